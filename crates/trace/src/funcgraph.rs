//! The line grammar of the `function_graph` tracer's text output, as
//! kernel/trace/trace_functions_graph.c prints it (`print_graph_prologue`,
//! `print_graph_duration`, `print_graph_entry_leaf`/`_nested`, `print_graph_return`,
//! `print_graph_comment`, `print_graph_irq`, `verif_pid`):
//!
//! ```text
//! [ SSSSS.UUUUUU |  ]            funcgraph-abstime: "%5lu.%06lu |  " (µs precision)
//! [ NNNNNNNNN us |  ]            funcgraph-reltime: "%9llu us |  "
//! [ N) ]                         funcgraph-cpu (on by default): " %*d) ", padded to the CPU count
//! [ comm-pid | ]                 funcgraph-proc: comm cut to 7 chars, centred in 14, then " | "
//! [ d..1 ]                       latency-format flags
//! [ M DURATION us |  ]           funcgraph-duration (on by default), M an overhead mark
//!                                (`+ ! # * @ $` or space); blank ("              |  ") on
//!                                nested entries and comments
//! INDENT text                    2 spaces per depth, then one of:
//!   name() {                     entry of a function that calls others
//!   name();                      a leaf: entry and exit, its duration in the column
//!   }  or  } /* name */          exit (the name with funcgraph-tail, or when the entry was lost)
//!   /* event: payload */         a trace event or trace_printk, printed as a comment; a
//!                                message with newlines goes on over raw lines until " */"
//! ==========> | and <========== |   entering / leaving interrupt code (funcgraph-irqs)
//! ------------------------------------------
//!  N)  comm-pid  =>  comm-pid    a task switch on CPU N
//! ------------------------------------------
//! ```
//!
//! (funcgraph-args and funcgraph-retval add text inside the parentheses and a trailing
//! `/* ret=… */`; only the name before `(` is read.) Everything here works on borrowed
//! bytes: no line allocates.

use crate::lines::{find_byte, is_space, parse_u64, skip_spaces, times, token_end, trim};

/// What a function_graph line holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Body<'a> {
    /// `name() {`
    Entry { name: &'a [u8] },
    /// `name();` and its duration in ns (when the duration column is printed).
    Leaf { name: &'a [u8], dur: Option<u64> },
    /// `}` and the name when printed (`} /* name */`).
    Exit { name: Option<&'a [u8]> },
    /// `/* … */`: the text inside; `closed` is false when the comment goes on over the next lines.
    Comment { text: &'a [u8], closed: bool },
    /// `==========>` (true) or `<==========` (false).
    Irq { enter: bool },
    /// `N)  prev-pid  =>  next-pid` inside a task-switch block.
    Switch { next_pid: Option<u32> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GraphLine<'a> {
    /// Absolute (or relative) time in ns when funcgraph-abstime / -reltime is on.
    pub time: Option<u64>,
    pub cpu: Option<u32>,
    /// Nesting depth from the indentation (function lines only; 0 otherwise).
    pub depth: u16,
    pub body: Body<'a>,
}

/// `12345.678901` → ns.
fn abs_time(tok: &[u8]) -> Option<u64> {
    let dot = find_byte(b'.', tok)?;
    let (secs, frac) = (parse_u64(&tok[..dot])?, &tok[dot + 1..]);
    if frac.len() != 6 {
        return None;
    }
    times(secs, 1_000_000_000)?.checked_add(parse_u64(frac)? * 1000)
}

/// `N)` → N.
fn cpu_token(tok: &[u8]) -> Option<u32> {
    let n = tok.strip_suffix(b")")?;
    if n.is_empty() || n.len() > 6 {
        return None;
    }
    parse_u64(n).and_then(|v| u32::try_from(v).ok())
}

/// A duration column's content, `[mark] 12.345 us` → ns.
fn duration(seg: &[u8]) -> Option<u64> {
    let seg = trim(seg);
    let seg = match seg.first() {
        Some(b'+' | b'!' | b'#' | b'*' | b'@' | b'$') => trim(&seg[1..]),
        _ => seg,
    };
    let num = trim(seg.strip_suffix(b"us")?);
    match find_byte(b'.', num) {
        Some(dot) => {
            let us = parse_u64(&num[..dot])?;
            let frac = &num[dot + 1..];
            if frac.is_empty() || frac.len() > 3 {
                return None;
            }
            let mut ns = parse_u64(frac)?;
            for _ in frac.len()..3 {
                ns *= 10;
            }
            times(us, 1000)?.checked_add(ns)
        }
        None => times(parse_u64(num)?, 1000),
    }
}

/// `comm-pid`: a `-` followed by digits to the end.
fn is_proc(seg: &[u8]) -> bool {
    let seg = trim(seg);
    match seg.iter().rposition(|&b| b == b'-') {
        Some(d) => d + 1 < seg.len() && seg[d + 1..].iter().all(u8::is_ascii_digit),
        None => false,
    }
}

fn pid_of(tok: &[u8]) -> Option<u32> {
    let d = tok.iter().rposition(|&b| b == b'-')?;
    parse_u64(&tok[d + 1..]).and_then(|v| u32::try_from(v).ok())
}

/// The function name before `(`; it must look like a symbol (`name`, `name.isra.0`,
/// `name+0x10/0x20` does not occur here).
fn symbol(text: &[u8]) -> Option<&[u8]> {
    let p = find_byte(b'(', text)?;
    let name = &text[..p];
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'$'));
    ok.then_some(name)
}

/// The text after the duration column (or the CPU/proc prefix): depth and body.
fn body(text: &[u8], dur: Option<u64>, indent_base: usize) -> Option<(u16, Body<'_>)> {
    let start = skip_spaces(text, 0);
    let depth = (start.saturating_sub(indent_base) / 2).min(u16::MAX as usize) as u16;
    let t = trim(&text[start..]);
    if let Some(c) = t.strip_prefix(b"/*") {
        return Some(match c.strip_suffix(b"*/") {
            Some(inner) => (depth, Body::Comment { text: trim(inner), closed: true }),
            None => (depth, Body::Comment { text: trim(c), closed: false }),
        });
    }
    if let Some(rest) = t.strip_prefix(b"}") {
        let rest = trim(rest);
        let name = rest
            .strip_prefix(b"/*")
            .and_then(|r| r.strip_suffix(b"*/"))
            .map(|r| {
                let r = trim(r);
                &r[..token_end(r, 0)]
            })
            .filter(|n| !n.is_empty());
        return (rest.is_empty() || name.is_some()).then_some((depth, Body::Exit { name }));
    }
    let name = symbol(t)?;
    // funcgraph-retval / -retaddr append a comment after `;` or `{`.
    let code = match find(b"/*", t) {
        Some(p) => trim(&t[..p]),
        None => t,
    };
    if code.ends_with(b"{") {
        Some((depth, Body::Entry { name }))
    } else if code.ends_with(b";") {
        Some((depth, Body::Leaf { name, dur }))
    } else {
        None
    }
}

fn find(pat: &[u8], hay: &[u8]) -> Option<usize> {
    crate::lines::find(pat, hay)
}

/// One function_graph line, or `None` when it is not one. `need_cpu`: a line without the
/// `N)` column is accepted only once the file is known to be function_graph output.
pub(crate) fn parse(l: &[u8], need_cpu: bool) -> Option<GraphLine<'_>> {
    let mut i = skip_spaces(l, 0);
    let mut time = None;
    // Where the line goes on after the time column (its start without one): without a CPU
    // column the indentation follows from there.
    let mut after_time = 0;
    // funcgraph-abstime `SSSSS.UUUUUU |` or -reltime `NNN us |`.
    let e = token_end(l, i);
    if let Some(t) = abs_time(&l[i..e]) {
        let j = skip_spaces(l, e);
        if l.get(j) != Some(&b'|') {
            return None;
        }
        time = Some(t);
        after_time = j + 1;
        i = skip_spaces(l, j + 1);
    } else if l[i..e].iter().all(u8::is_ascii_digit) && e > i {
        let j = skip_spaces(l, e);
        let k = token_end(l, j);
        let m = skip_spaces(l, k);
        if &l[j..k] == b"us" && l.get(m) == Some(&b'|') {
            time = parse_u64(&l[i..e]).and_then(|us| times(us, 1000));
            after_time = m + 1;
            i = skip_spaces(l, m + 1);
        }
    }
    let e = token_end(l, i);
    let cpu = cpu_token(&l[i..e]);
    let after_cpu = if cpu.is_some() { e } else { after_time };
    if cpu.is_none() && need_cpu {
        return None;
    }
    // Task switch: ` N)  prev-pid  =>  next-pid`.
    let rest = &l[after_cpu..];
    if let Some(p) = find(b"=>", rest) {
        if find_byte(b'|', rest).is_none() && is_proc(&rest[..p]) {
            let next = trim(&rest[p + 2..]);
            let next = &next[..token_end(next, 0)];
            return Some(GraphLine { time, cpu, depth: 0, body: Body::Switch { next_pid: pid_of(next) } });
        }
    }
    // Up to three `|`-ended segments before the function text: proc, (flags and) duration.
    let mut j = after_cpu;
    let mut dur = None;
    let mut had_column = false;
    for _ in 0..3 {
        let Some(bar) = find_byte(b'|', &l[j..]) else { break };
        let seg = trim(&l[j..j + bar]);
        let end = j + bar + 1;
        if seg == b"==========>" || seg == b"<==========" {
            return Some(GraphLine { time, cpu, depth: 0, body: Body::Irq { enter: seg[0] == b'=' } });
        }
        if seg.is_empty() {
            had_column = true;
            j = end;
            break;
        }
        if let Some(d) = duration(seg) {
            dur = Some(d);
            had_column = true;
            j = end;
            break;
        }
        // `d..1  12.345 us` (latency-format flags before the duration).
        let te = token_end(seg, 0);
        if te < seg.len() && seg[..te].iter().all(|&b| b == b'.' || b.is_ascii_alphanumeric()) {
            if let Some(d) = duration(&seg[te..]) {
                dur = Some(d);
                had_column = true;
                j = end;
                break;
            }
        }
        if is_proc(seg) || seg.iter().all(|&b| b == b'.' || b.is_ascii_alphanumeric()) {
            j = end;
            continue;
        }
        break;
    }
    // After a column's `|` the kernel prints two spaces before the indentation (after the
    // time column too, when no CPU column follows it); after `N) ` none.
    let after_bar = had_column || (cpu.is_none() && time.is_some());
    let text = if had_column || j > after_cpu { &l[j..] } else { &l[after_cpu..] };
    let text =
        if !had_column && cpu.is_some() && text.first().is_some_and(|&b| is_space(b)) { &text[1..] } else { text };
    // funcgraph-irqs with the duration column off: the arrow has no `|` after it.
    match trim(text) {
        b"==========>" => return Some(GraphLine { time, cpu, depth: 0, body: Body::Irq { enter: true } }),
        b"<==========" => return Some(GraphLine { time, cpu, depth: 0, body: Body::Irq { enter: false } }),
        _ => {}
    }
    let (depth, body) = body(text, dur, if after_bar { 2 } else { 0 })?;
    Some(GraphLine { time, cpu, depth, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns() {
        let g = parse(b" 0)               |  flush_tlb_mm_range() {", true).unwrap();
        assert_eq!((g.cpu, g.depth, g.body), (Some(0), 0, Body::Entry { name: b"flush_tlb_mm_range" }));
        let g = parse(b" 2)   0.345 us    |      __smp_call_single_queue();", true).unwrap();
        assert_eq!((g.cpu, g.depth), (Some(2), 2));
        assert_eq!(g.body, Body::Leaf { name: b"__smp_call_single_queue", dur: Some(345) });
        let g = parse(b" 0) + 12.345 us   |    }", true).unwrap();
        assert_eq!((g.depth, g.body), (1, Body::Exit { name: None }));
        let g = parse(b"  123.456789 |   1)  bash-1234    |  ! 123.456 us  |  } /* flush_tlb_func */", true).unwrap();
        assert_eq!(
            (g.time, g.cpu, g.body),
            (Some(123_456_789_000), Some(1), Body::Exit { name: Some(b"flush_tlb_func") })
        );
        let g = parse(b" 3)               |      /* tlb_flush: pages:1 reason:remote shootdown (1) */", true).unwrap();
        assert_eq!(g.body, Body::Comment { text: b"tlb_flush: pages:1 reason:remote shootdown (1)", closed: true });
        let g = parse(b" 0)   ==========> |", true).unwrap();
        assert_eq!(g.body, Body::Irq { enter: true });
        let g = parse(b" 1)  migration/0-16  =>  sshd-1755", true).unwrap();
        assert_eq!(g.body, Body::Switch { next_pid: Some(1755) });
        assert!(parse(b"------------------------------------------", true).is_none());
        assert!(parse(b" => flush_tlb_mm_range", true).is_none());
        assert!(parse(b"hello world", false).is_none());
        // Without the duration column.
        let g = parse(b" 0)   native_flush_tlb_multi() {", true).unwrap();
        assert_eq!((g.depth, g.body), (1, Body::Entry { name: b"native_flush_tlb_multi" }));
    }
}
