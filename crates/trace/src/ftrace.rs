//! Linux ftrace text: the `trace` file and `trace_pipe`, `trace-cmd report`, the latency
//! format, and perf-script-like `[cpu] ts: sys:event:` lines (research/trace-formats.md §3).
//!
//! A record is found from the fixed `[cpu]` anchor, not from the left: the comm before it
//! may hold spaces, `-` and even brackets, and may be preceded by a TGID column. After the
//! anchor come an optional flags token (4, 5 or 8 characters: its width is never needed),
//! the timestamp ending in `:`, the event name ending in `:` (perhaps `sys:`-qualified and
//! padded by trace-cmd; perf may put a period column before it), and the payload. Lines
//! without brackets are tried as the latency format (`comm-pid  0d.h1.  12us+: event: …`)
//! and trace-cmd's `-l` layout (CPU and flags unbracketed, seconds).
//!
//! Payloads of the IPI, csd, TLB and scheduler events become [`Kind`]s; every other event is
//! `Other` by name. Stack continuation lines (` => sym`, `=> sym (addr)`) carry nothing the
//! replay uses and are skipped silently, as are perf's callchain lines. `LOST`/`DROPPED`/`buffer started` annotations
//! become [`Kind::Lost`] at the time of that CPU's next record, which is when the gap ends.
//!
//! `ipi_send_cpu`/`ipi_send_cpumask` do not log a vector. The vector set here is the one the
//! send raises on x86 (253 reschedule for `callback=0x0`, 251 for a single-CPU function call,
//! 252 for a mask), so a send can be paired with its `*_entry`; ARM's `ipi_entry`/`ipi_raise`
//! reasons map onto the same numbers. 0 means unknown.

use crate::event::{cpu_limit_reason, cpu_number, Kind, TimeBase, WarningClass, CPU_LIMIT};
use crate::funcgraph::{self, Body, GraphLine};
use crate::lines::{
    field, field_word, find, find_byte, hex_digit, is_space, parse_hex, parse_i64, parse_u64, skip_spaces, times,
    token_end, trim, Loc,
};
use crate::reader::{Finished, Sink};

/// How far into a line the `[cpu]` anchor may be: comm (16) + pid (7) + TGID (10) and
/// padding fit well inside; searching further would find brackets inside payloads.
const ANCHOR_WINDOW: usize = 160;

const VEC_CALL_FUNCTION_SINGLE: u16 = 251;
const VEC_CALL_FUNCTION: u16 = 252;
const VEC_RESCHEDULE: u16 = 253;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ts {
    /// `secs.fraction` (ns clocks) or the latency format's µs, scaled to ns.
    Nanos(u64),
    /// A raw counter (`counter`, `x86-tsc`, `uptime` clocks).
    Ticks(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rec<'a> {
    cpu: u32,
    ts: Ts,
    event: &'a [u8],
    payload: &'a [u8],
}

#[derive(Clone, Copy, Debug)]
struct PendingLost {
    count: u64,
    loc: Loc,
}

#[derive(Debug)]
pub(crate) struct Linux {
    /// Whether timestamps are raw counter ticks, fixed by the first record.
    clock: Option<bool>,
    header_cpus: u16,
    /// Per CPU: a loss announced but not yet placed in time.
    lost: Vec<Option<PendingLost>>,
    last_ts: u64,
    /// Per CPU: its last record was an `ipi_send_cpu`/`ipi_send_cpumask`, as (event index in
    /// the sink, targets); an `ipi_raise` of the same targets right after it is the same IPI.
    ipi_sent: Vec<Option<(usize, u64)>>,
    graph: Graph,
}

/// Reading `function_graph` output (funcgraph.rs has the line grammar).
#[derive(Debug, Default)]
struct Graph {
    /// The file is function_graph output (its header says so, or a line was one).
    on: bool,
    /// Synthetic clock of records without funcgraph-abstime: one tick per record, file order.
    ticks: u64,
    untimed_flagged: bool,
    /// A record without the CPU column was warned about.
    no_cpu_flagged: bool,
    /// Per CPU: open functions as (depth, symbol when on the shootdown path).
    stacks: Vec<Vec<(u16, Option<u32>)>>,
    /// A comment that goes on over the next lines: (cpu, time, where it began, lines so far).
    comment: Option<(u16, Ts, Loc, u16)>,
    /// Its text so far, reused from one comment to the next.
    text: Vec<u8>,
}

/// Functions whose entry and exit become [`Kind::FuncEntry`]/[`Kind::FuncExit`]: the x86
/// shootdown path in arch/x86/mm/tlb.c and kernel/smp.c (initiator, IPI send, target
/// handler), as named in kernels 4.18 to 6.x. Any other function is only tracked for nesting.
const SHOOTDOWN_PATH: [&[u8]; 31] = [
    b"flush_tlb_mm_range",
    b"flush_tlb_multi",
    b"native_flush_tlb_multi",
    b"native_flush_tlb_others",
    b"flush_tlb_others",
    b"on_each_cpu_cond_mask",
    b"smp_call_function_many_cond",
    b"smp_call_function_many",
    b"smp_call_function_single",
    b"generic_exec_single",
    b"__smp_call_single_queue",
    b"send_call_function_ipi_mask",
    b"send_call_function_single_ipi",
    b"native_send_call_func_ipi",
    b"native_send_call_func_single_ipi",
    b"flush_tlb_func",
    b"flush_tlb_func_common",
    b"flush_tlb_func_remote",
    b"flush_tlb_func_local",
    b"smp_call_function_interrupt",
    b"smp_call_function_single_interrupt",
    b"generic_smp_call_function_interrupt",
    b"sysvec_call_function",
    b"sysvec_call_function_single",
    b"__sysvec_call_function",
    b"__sysvec_call_function_single",
    b"generic_smp_call_function_single_interrupt",
    b"__flush_smp_call_function_queue",
    b"flush_smp_call_function_queue",
    b"arch_tlbbatch_flush",
    b"flush_tlb_kernel_range",
];

/// Deeper nesting than this is not tracked (the kernel's own return stack is shallower).
const MAX_GRAPH_DEPTH: usize = 256;
/// CPUs whose function nesting is tracked; records of higher CPUs still become events.
const MAX_GRAPH_CPUS: usize = 4096;
/// A comment spread over more lines or bytes than this is closed where it stands.
const MAX_COMMENT_LINES: u16 = 64;
const MAX_COMMENT_BYTES: usize = 4096;

impl Linux {
    pub(crate) fn new() -> Linux {
        Linux {
            clock: None,
            header_cpus: 0,
            lost: Vec::new(),
            last_ts: 0,
            ipi_sent: Vec::new(),
            graph: Graph::default(),
        }
    }

    pub(crate) fn line(&mut self, line: &[u8], loc: Loc, sink: &mut Sink) {
        if self.graph.comment.is_some() && self.graph_comment_goes_on(line, sink) {
            return;
        }
        if self.graph.on && self.graph_line(line, loc, sink) {
            return;
        }
        let start = skip_spaces(line, 0);
        let Some(&first) = line.get(start) else { return };
        let rest = &line[start..];
        match first {
            b'#' => return self.comment(rest, loc, sink),
            b'=' if rest.starts_with(b"=>") => return,
            b'C' if rest.starts_with(b"CPU") && self.cpu_annotation(rest, loc, sink) => return,
            b'c' if rest.starts_with(b"cpus=") => {
                match parse_u64(trim(&rest[5..])) {
                    Some(n) => self.header_count(n, loc, sink),
                    None => sink.warn(loc, WarningClass::Parse, "`cpus=` line without a CPU count"),
                }
                return;
            }
            b'v' if rest.starts_with(b"version =") => return,
            b'<' if rest.starts_with(b"<stack trace>") || rest.starts_with(b"<user stack trace>") => return,
            _ => {}
        }
        match parse_bracket(line).or_else(|| parse_latency(line)).or_else(|| parse_latency_verbose(line)) {
            Some(rec) => self.record(rec, loc, sink),
            None if is_callchain(line) => {}
            None if !self.graph.on && self.graph_line(line, loc, sink) => {}
            None if self.console_line(line, loc, sink) => {}
            None => {
                sink.warn(loc, WarningClass::Tokenize, "not an ftrace record (no `[cpu]`, timestamp and event name)")
            }
        }
    }

    /// A line of a console capture of ftrace_dump (ftrace_dump_on_oops, sysrq-z) that is not a
    /// record: after the dmesg `[ sec.usec] ` or syslog `… kernel: ` prefix, a `CPU:N [LOST n
    /// EVENTS]` annotation, or ftrace_dump's own `Dumping ftrace buffer:`, dashes and
    /// `(ftrace buffer empty)` lines (kernel/trace/trace.c). Records with the prefix are found
    /// by their `[cpu]` anchor or latency columns already. Only tried on lines that are not
    /// records, so the per-line path does not pay for it.
    fn console_line(&mut self, line: &[u8], loc: Loc, sink: &mut Sink) -> bool {
        let Some(body) = console_body(line) else { return false };
        let body = trim(body);
        if body.starts_with(b"CPU") {
            return self.cpu_annotation(body, loc, sink);
        }
        body == b"Dumping ftrace buffer:"
            || body == b"(ftrace buffer empty)"
            || (!body.is_empty() && body.iter().all(|&b| b == b'-'))
    }

    fn comment(&mut self, rest: &[u8], loc: Loc, sink: &mut Sink) {
        if rest.starts_with(b"# tracer: function_graph") {
            self.graph.on = true;
            return;
        }
        if rest.starts_with(b"#####") {
            // `##### CPU N buffer started ####`: the ring of CPU N wrapped before this point.
            let t = trim(rest.trim_ascii_start().strip_prefix(b"#####").unwrap_or(rest));
            let cpu = t
                .strip_prefix(b"CPU ")
                .map(|r| &r[..token_end(r, 0)])
                .and_then(parse_u64)
                .filter(|_| find(b"buffer started", t).is_some());
            match cpu {
                Some(cpu) => self.announce_lost(cpu, 0, loc, sink),
                None => sink.warn(loc, WarningClass::Parse, "`#####` annotation not understood"),
            }
            return;
        }
        if let Some(p) = find(b"#P:", rest) {
            // `#P:8` (trace header) or `HP:0 #P:8)` (latency header): the digits.
            let v = &rest[p + 3..];
            if let Some(n) = parse_u64(&v[..v.iter().position(|b| !b.is_ascii_digit()).unwrap_or(v.len())]) {
                self.header_count(n, loc, sink);
            }
        }
        if let Some(p) = find(b"entries-in-buffer/entries-written:", rest) {
            let v = trim(&rest[p + 34..]);
            let v = &v[..token_end(v, 0)];
            if let Some(slash) = find_byte(b'/', v) {
                if let (Some(kept), Some(written)) = (parse_u64(&v[..slash]), parse_u64(&v[slash + 1..])) {
                    if written > kept {
                        sink.warn_with(loc, WarningClass::Reconstruct, || {
                            format!(
                                "the ring buffer overwrote {} of {written} events: each CPU's lane starts at a \
                                 different time and early records may have no partner",
                                written - kept
                            )
                        });
                    }
                }
            }
        }
    }

    /// `CPU:N [LOST n EVENTS]`, `CPU:N [n EVENTS DROPPED]` and friends. False when the line
    /// is not such an annotation (a comm may start with `CPU`).
    fn cpu_annotation(&mut self, rest: &[u8], loc: Loc, sink: &mut Sink) -> bool {
        if let Some(r) = rest.strip_prefix(b"CPU ") {
            // trace-cmd: `CPU 2 is empty`.
            return find(b"is empty", r).is_some();
        }
        let Some(r) = rest.strip_prefix(b"CPU:") else { return false };
        let end = r.iter().position(|b| !b.is_ascii_digit()).unwrap_or(r.len());
        let Some(cpu) = parse_u64(&r[..end]) else { return false };
        let note = trim(&r[end..]);
        let Some(inner) = note.strip_prefix(b"[").and_then(|n| n.strip_suffix(b"]")) else { return false };
        let inner = trim(inner);
        let count = if let Some(x) = inner.strip_prefix(b"LOST") {
            let x = trim(x);
            let x = x.strip_suffix(b"EVENTS").map(trim);
            match x {
                Some(b"") => Some(0),
                Some(n) => parse_u64(n),
                None => None,
            }
        } else if let Some(x) = inner.strip_suffix(b"EVENTS DROPPED") {
            match trim(x) {
                b"" => Some(0),
                n => parse_u64(n),
            }
        } else if inner == b"SUBBUFFER START" {
            return true;
        } else {
            None
        };
        match count {
            Some(n) => self.announce_lost(cpu, n, loc, sink),
            None => sink.warn(loc, WarningClass::Parse, "`CPU:N [...]` annotation not understood"),
        }
        true
    }

    /// A header's CPU count (`#P:N`, `cpus=N`); one above [`CPU_LIMIT`] is ignored.
    fn header_count(&mut self, n: u64, loc: Loc, sink: &mut Sink) {
        match u16::try_from(n).ok().filter(|&n| n <= CPU_LIMIT) {
            Some(n) => self.header_cpus = self.header_cpus.max(n),
            None => sink.warn_with(loc, WarningClass::Parse, || {
                format!("header states {n} CPUs, above the {CPU_LIMIT}-CPU limit; ignored")
            }),
        }
    }

    fn announce_lost(&mut self, cpu: u64, count: u64, loc: Loc, sink: &mut Sink) {
        let Some(cpu) = cpu_number(cpu) else {
            sink.warn_with(loc, WarningClass::Parse, || cpu_limit_reason(cpu));
            return;
        };
        let i = cpu as usize;
        if self.lost.len() <= i {
            self.lost.resize(i + 1, None);
        }
        let slot = &mut self.lost[i];
        match slot {
            // Two announcements before a record: one gap, counts add up.
            Some(p) => p.count = p.count.saturating_add(count),
            None => *slot = Some(PendingLost { count, loc }),
        }
    }

    fn record(&mut self, rec: Rec<'_>, loc: Loc, sink: &mut Sink) {
        let Some(cpu) = cpu_number(rec.cpu as u64) else {
            sink.warn_with(loc, WarningClass::Parse, || cpu_limit_reason(rec.cpu as u64));
            return;
        };
        let before = sink.events.len();
        self.push_timed(
            cpu,
            rec.ts,
            loc,
            "timestamp unit differs from the first record's (seconds vs. raw counter); skipped",
            sink,
            |sink| decode(rec.event, rec.payload, loc, sink),
        );
        if sink.events.len() > before {
            self.one_ipi(cpu, rec.event, sink);
        }
    }

    /// arm64 since 6.4 logs one IPI twice: kernel/smp.c traces `ipi_send_cpu`/
    /// `ipi_send_cpumask`, then arch/arm64/kernel/smp.c smp_cross_call traces `ipi_raise` for
    /// the same mask. An `ipi_raise` of the same targets as the CPU's record just before it,
    /// an `ipi_send_*`, is that send: it stays a plain event, and the send takes its vector
    /// (arm64 raises IPI_CALL_FUNC, "Function call interrupts", for a single target too, so
    /// the send pairs with the target's `ipi_entry`). `record` just pushed `event`'s record.
    fn one_ipi(&mut self, cpu: u16, event: &[u8], sink: &mut Sink) {
        let last = sink.events.len() - 1;
        let i = cpu as usize;
        match (event, sink.events[last].kind) {
            (b"ipi_send_cpu" | b"ipi_send_cpumask", Kind::IpiSend { targets, .. }) => {
                if self.ipi_sent.len() <= i {
                    self.ipi_sent.resize(i + 1, None);
                }
                self.ipi_sent[i] = Some((last, targets));
            }
            (b"ipi_raise", Kind::IpiSend { targets, vector, .. }) => {
                let Some(slot) = self.ipi_sent.get_mut(i) else { return };
                let Some((send, sent)) = slot.take() else { return };
                if sent != targets {
                    return;
                }
                if let Some(Kind::IpiSend { vector: v, .. }) = sink.events.get_mut(send).map(|e| &mut e.kind) {
                    if vector != 0 {
                        *v = vector;
                    }
                }
                sink.events[last].kind = other(event, sink);
            }
            _ => {
                if let Some(slot) = self.ipi_sent.get_mut(i) {
                    *slot = None;
                }
            }
        }
    }

    /// One clock per file (a record in the other unit is skipped with `mismatch`), the CPU's
    /// pending loss placed first, then the event `kind` makes (decoded only when kept).
    fn push_timed(
        &mut self,
        cpu: u16,
        ts: Ts,
        loc: Loc,
        mismatch: &'static str,
        sink: &mut Sink,
        kind: impl FnOnce(&mut Sink) -> Kind,
    ) {
        let (ticks, t) = match ts {
            Ts::Nanos(t) => (false, t),
            Ts::Ticks(t) => (true, t),
        };
        match self.clock {
            None => self.clock = Some(ticks),
            Some(c) if c != ticks => {
                sink.warn(loc, WarningClass::Parse, mismatch);
                return;
            }
            Some(_) => {}
        }
        if let Some(Some(p)) = self.lost.get_mut(cpu as usize).map(Option::take) {
            sink.push(t, cpu, p.loc, Kind::Lost { count: p.count });
        }
        self.last_ts = self.last_ts.max(t);
        let kind = kind(sink);
        sink.push(t, cpu, loc, kind);
    }

    pub(crate) fn finish(mut self, sink: &mut Sink) -> Finished {
        if self.graph.comment.is_some() {
            self.close_comment(false, sink);
        }
        for (cpu, p) in self.lost.iter().enumerate() {
            if let Some(p) = p {
                sink.push(self.last_ts, cpu as u16, p.loc, Kind::Lost { count: p.count });
            }
        }
        let time = if self.clock == Some(true) { TimeBase::Ticks { hz: None } } else { TimeBase::Nanos };
        Finished { time, cpus: self.header_cpus }
    }
}

impl Linux {
    /// A line of function_graph output; false when it is not one (the caller warns).
    fn graph_line(&mut self, line: &[u8], loc: Loc, sink: &mut Sink) -> bool {
        let t = trim(line);
        if self.graph.on && (t.is_empty() || t.iter().all(|&b| b == b'-') || t.starts_with(b"(Overruns:")) {
            // Task-switch block borders and overrun counts.
            return true;
        }
        let Some(g) = funcgraph::parse(line, !self.graph.on) else { return false };
        self.graph.on = true;
        self.graph_record(g, loc, sink);
        true
    }

    fn graph_time(&mut self, g: &GraphLine<'_>, loc: Loc, sink: &mut Sink) -> Ts {
        match g.time {
            Some(ns) => Ts::Nanos(ns),
            // verif_pid prints task-switch lines without the time even under
            // funcgraph-abstime: they happen by the latest time printed.
            None if self.clock == Some(false) => Ts::Nanos(self.last_ts),
            None => {
                if !self.graph.untimed_flagged {
                    self.graph.untimed_flagged = true;
                    sink.warn(
                        loc,
                        WarningClass::Parse,
                        "function_graph output without funcgraph-abstime: records have no time, so they keep \
                         file order with one synthetic tick each (times and latencies are not real)",
                    );
                }
                self.graph.ticks += 1;
                Ts::Ticks(self.graph.ticks)
            }
        }
    }

    /// Like `record`: one clock per file, pending losses placed first.
    fn graph_push(&mut self, cpu: u16, ts: Ts, loc: Loc, kind: Kind, sink: &mut Sink) {
        let mismatch = "some function_graph lines have funcgraph-abstime and some not; skipped";
        self.push_timed(cpu, ts, loc, mismatch, sink, |_| kind);
    }

    fn graph_record(&mut self, g: GraphLine<'_>, loc: Loc, sink: &mut Sink) {
        if g.cpu.is_none() && !self.graph.no_cpu_flagged {
            self.graph.no_cpu_flagged = true;
            sink.warn(
                loc,
                WarningClass::Parse,
                "function_graph output without the CPU column (options/funcgraph-cpu off): every event is put \
                 on CPU 0",
            );
        }
        let Ok(cpu) = u16::try_from(g.cpu.unwrap_or(0)) else {
            sink.warn(loc, WarningClass::Parse, "CPU number out of range");
            return;
        };
        let ts = self.graph_time(&g, loc, sink);
        match g.body {
            Body::Entry { name } => {
                let func = shootdown_sym(name, sink);
                let stack = self.stack(cpu);
                if let Some(stack) = stack {
                    // Deeper entries still open lost their return (or belong to a task
                    // switched out): no exit time is known for them.
                    while stack.last().is_some_and(|&(d, _)| d >= g.depth) {
                        stack.pop();
                    }
                    if stack.len() < MAX_GRAPH_DEPTH {
                        stack.push((g.depth, func));
                    }
                }
                if let Some(func) = func {
                    self.graph_push(cpu, ts, loc, Kind::FuncEntry { func }, sink);
                }
            }
            Body::Leaf { name, dur } => {
                if let Some(stack) = self.stack(cpu) {
                    while stack.last().is_some_and(|&(d, _)| d >= g.depth) {
                        stack.pop();
                    }
                }
                if let Some(func) = shootdown_sym(name, sink) {
                    self.graph_push(cpu, ts, loc, Kind::FuncEntry { func }, sink);
                    let end = match ts {
                        Ts::Nanos(t) => Ts::Nanos(t.saturating_add(dur.unwrap_or(0))),
                        ticks => ticks,
                    };
                    self.graph_push(cpu, end, loc, Kind::FuncExit { func }, sink);
                }
            }
            Body::Exit { name } => {
                let mut func = None;
                if let Some(stack) = self.stack(cpu) {
                    if let Some(at) = stack.iter().rposition(|&(d, _)| d <= g.depth) {
                        if stack[at].0 == g.depth {
                            func = Some(stack[at].1);
                            stack.truncate(at);
                        }
                    }
                }
                // `} /* name */` without a matching entry: the entry is before the trace.
                let func = match func {
                    Some(f) => f,
                    None => name.and_then(|n| shootdown_sym(n, sink)),
                };
                if let Some(func) = func {
                    self.graph_push(cpu, ts, loc, Kind::FuncExit { func }, sink);
                }
            }
            Body::Irq { enter } => {
                // Interrupt code entered / left (funcgraph-irqs); the vector is not printed.
                let kind = if enter { Kind::IrqEntry { vector: 0 } } else { Kind::IrqExit { vector: 0 } };
                self.graph_push(cpu, ts, loc, kind, sink);
            }
            Body::Switch { next_pid } => {
                if let Some(stack) = self.stack(cpu) {
                    stack.clear();
                }
                match next_pid {
                    Some(next_pid) => self.graph_push(cpu, ts, loc, Kind::SchedSwitch { next_pid }, sink),
                    None => sink.warn(loc, WarningClass::Parse, "task switch line without the next pid"),
                }
            }
            Body::Comment { text, closed: true } => {
                let kind = comment_kind(text, loc, sink);
                self.graph_push(cpu, ts, loc, kind, sink);
            }
            Body::Comment { text, closed: false } => {
                self.graph.text.clear();
                self.graph.text.extend_from_slice(&text[..text.len().min(MAX_COMMENT_BYTES)]);
                self.graph.comment = Some((cpu, ts, loc, 1));
            }
        }
    }

    fn stack(&mut self, cpu: u16) -> Option<&mut Vec<(u16, Option<u32>)>> {
        let i = cpu as usize;
        if i >= MAX_GRAPH_CPUS {
            return None;
        }
        if self.graph.stacks.len() <= i {
            self.graph.stacks.resize_with(i + 1, Vec::new);
        }
        self.graph.stacks.get_mut(i)
    }

    /// A raw line inside a comment spread over several lines (a message with newlines, a
    /// stack trace). False when the line is a record of its own: the comment was cut short.
    fn graph_comment_goes_on(&mut self, line: &[u8], sink: &mut Sink) -> bool {
        let t = trim(line);
        if funcgraph::parse(line, true).is_some() {
            self.close_comment(false, sink);
            return false;
        }
        let (closing, part) = match t.strip_suffix(b"*/") {
            Some(p) => (true, trim(p)),
            None => (false, t),
        };
        let room = MAX_COMMENT_BYTES.saturating_sub(self.graph.text.len() + 1);
        if room > 0 && !part.is_empty() {
            self.graph.text.push(b' ');
            self.graph.text.extend_from_slice(&part[..part.len().min(room)]);
        }
        let lines = match &mut self.graph.comment {
            Some((_, _, _, n)) => {
                *n = n.saturating_add(1);
                *n
            }
            None => 0,
        };
        if closing {
            self.close_comment(true, sink);
        } else if lines >= MAX_COMMENT_LINES {
            self.close_comment(false, sink);
        }
        true
    }

    fn close_comment(&mut self, closed: bool, sink: &mut Sink) {
        let Some((cpu, ts, loc, _)) = self.graph.comment.take() else { return };
        if !closed {
            sink.warn(loc, WarningClass::Tokenize, "function_graph comment not closed by `*/`; read up to here");
        }
        let text = std::mem::take(&mut self.graph.text);
        let kind = comment_kind(&text, loc, sink);
        self.graph.text = text;
        self.graph_push(cpu, ts, loc, kind, sink);
    }
}

/// The symbol of a shootdown-path function, `None` for any other (nothing interned).
fn shootdown_sym(name: &[u8], sink: &mut Sink) -> Option<u32> {
    // `flush_tlb_func.isra.0` and friends are the same function.
    let base = &name[..find_byte(b'.', name).unwrap_or(name.len())];
    SHOOTDOWN_PATH.contains(&base).then(|| sink.intern(base))
}

/// A function_graph comment: a trace event (`name: payload`) decodes as it would in the
/// normal format; a message without an event name (trace_printk, trace_marker) is a marker.
fn comment_kind(text: &[u8], loc: Loc, sink: &mut Sink) -> Kind {
    if text.starts_with(b"<stack trace>") {
        return other(b"kernel_stack", sink);
    }
    if text.starts_with(b"<user stack trace>") {
        return other(b"user_stack", sink);
    }
    let e = token_end(text, 0);
    match text[..e].strip_suffix(b":") {
        Some(name) if !name.is_empty() && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_') => {
            decode(name, trim(&text[e..]), loc, sink)
        }
        _ => Kind::Marker,
    }
}

/// A function_graph line with its `N)` CPU column (detection without a `# tracer:` header).
pub(crate) fn looks_like_graph(line: &[u8]) -> bool {
    funcgraph::parse(line, true).is_some()
}

pub(crate) fn looks_like_bracket(line: &[u8]) -> bool {
    parse_bracket(line).is_some()
}

pub(crate) fn looks_like_latency(line: &[u8]) -> bool {
    parse_latency(line).is_some()
}

#[inline]
fn is_flag_char(b: u8) -> bool {
    b == b'.' || b.is_ascii_alphanumeric()
}

fn is_flags(tok: &[u8]) -> bool {
    (1..=8).contains(&tok.len()) && tok.iter().all(|&b| is_flag_char(b))
}

/// `-<pid>` (and perhaps `(tgid)`) right before position `p`, which is how a real `[cpu]`
/// anchor is told from brackets inside a comm.
fn pid_before(l: &[u8], p: usize) -> bool {
    let mut k = p;
    while k > 0 && is_space(l[k - 1]) {
        k -= 1;
    }
    if k > 0 && l[k - 1] == b')' {
        let lo = k.saturating_sub(12);
        match l[lo..k - 1].iter().rposition(|&b| b == b'(') {
            Some(o) => k = lo + o,
            None => return false,
        }
        while k > 0 && is_space(l[k - 1]) {
            k -= 1;
        }
    }
    let digits_end = k;
    while k > 0 && l[k - 1].is_ascii_digit() {
        k -= 1;
    }
    k < digits_end && k > 0 && l[k - 1] == b'-'
}

/// The `[cpu]` anchor: `(cpu, index after ']')`.
fn find_cpu_anchor(l: &[u8]) -> Option<(u32, usize)> {
    let lim = l.len().min(ANCHOR_WINDOW);
    let mut from = 0;
    let mut fallback = None;
    while let Some(p) = find_byte(b'[', &l[from..lim]) {
        let p = from + p;
        from = p + 1;
        if p > 0 && !is_space(l[p - 1]) {
            continue;
        }
        let mut j = p + 1;
        let mut cpu: u32 = 0;
        while j < l.len() && l[j].is_ascii_digit() && j - p <= 6 {
            cpu = cpu * 10 + (l[j] - b'0') as u32;
            j += 1;
        }
        if j == p + 1 || j >= l.len() || l[j] != b']' || (j + 1 < l.len() && !is_space(l[j + 1])) {
            continue;
        }
        if pid_before(l, p) {
            return Some((cpu, j + 1));
        }
        fallback = fallback.or(Some((cpu, j + 1)));
    }
    fallback
}

/// `secs.fraction:` → ns, `counter:` → ticks. The token must end in `:`.
fn parse_ts_token(tok: &[u8]) -> Option<Ts> {
    let body = tok.strip_suffix(b":")?;
    match find_byte(b'.', body) {
        None => parse_u64(body).map(Ts::Ticks),
        Some(dot) => {
            let secs = parse_u64(&body[..dot])?;
            let frac = &body[dot + 1..];
            if frac.is_empty() || frac.len() > 12 {
                return None;
            }
            let mut ns: u64 = 0;
            for i in 0..9 {
                let d = match frac.get(i) {
                    Some(&b) if b.is_ascii_digit() => (b - b'0') as u64,
                    Some(_) => return None,
                    None => 0,
                };
                ns = ns * 10 + d;
            }
            if !frac[9.min(frac.len())..].iter().all(u8::is_ascii_digit) {
                return None;
            }
            times(secs, 1_000_000_000)?.checked_add(ns).map(Ts::Nanos)
        }
    }
}

/// The event name and payload starting at `i` (just after the timestamp).
fn split_event(l: &[u8], i: usize) -> (&[u8], &[u8]) {
    let i = skip_spaces(l, i);
    let e = token_end(l, i);
    let tok = &l[i..e];
    let (mut name, payload_start) = if tok.starts_with(b"<stack") {
        (&b"kernel_stack"[..], i)
    } else if tok.starts_with(b"<user") {
        (&b"user_stack"[..], i)
    } else if let Some(n) = tok.strip_suffix(b":") {
        (n, e)
    } else if let Some(c) = find_byte(b':', tok) {
        (&tok[..c], i + c + 1)
    } else {
        // Function tracer: `func <-parent`.
        let name: &[u8] = if find(b"<-", &l[e..]).is_some() { b"function" } else { tok };
        (name, i)
    };
    // `sys:event` from perf, `sys_write(fd` from the syscall tracer.
    if let Some(c) = name.iter().rposition(|&b| b == b':') {
        name = &name[c + 1..];
    }
    if let Some(c) = find_byte(b'(', name) {
        name = &name[..c];
    }
    (name, trim(&l[payload_start.min(l.len())..]))
}

fn parse_bracket(l: &[u8]) -> Option<Rec<'_>> {
    let (cpu, after) = find_cpu_anchor(l)?;
    let mut i = skip_spaces(l, after);
    let mut e = token_end(l, i);
    let ts = match parse_ts_token(&l[i..e]) {
        Some(ts) => ts,
        None => {
            if !is_flags(&l[i..e]) {
                return None;
            }
            i = skip_spaces(l, e);
            e = token_end(l, i);
            parse_ts_token(&l[i..e])?
        }
    };
    let mut j = skip_spaces(l, e);
    if l[j..].starts_with(b"(+") {
        // trace-cmd --ts-diff
        j = token_end(l, j);
    }
    // perf script's optional period column.
    let s = skip_spaces(l, j);
    if l.get(s).is_some_and(u8::is_ascii_digit) {
        let k = token_end(l, s);
        if l[s..k].iter().all(u8::is_ascii_digit) && token_end(l, skip_spaces(l, k)) > skip_spaces(l, k) {
            j = k;
        }
    }
    let (event, payload) = split_event(l, j);
    if event.is_empty() {
        return None;
    }
    Some(Rec { cpu, ts, event, payload })
}

fn is_mark(b: u8) -> bool {
    matches!(b, b' ' | b'+' | b'!' | b'#' | b'*' | b'@' | b'$')
}

/// `12us+:` (latency format: µs and a delay mark) → ns.
fn latency_ts(tok: &[u8]) -> Option<u64> {
    let t = tok.strip_suffix(b":")?;
    let t = match t.last() {
        Some(&m) if m != b's' && is_mark(m) => &t[..t.len() - 1],
        _ => t,
    };
    times(parse_u64(t.strip_suffix(b"us")?)?, 1000)
}

/// Records without `[cpu]` brackets: the latency format `comm-pid  0d.h1.  12us+: event: …`
/// (CPU glued to the flags, µs and a delay mark, which may be a space) and `trace-cmd
/// report -l` style `comm-pid  0 d.h1. 12.345678: event: …`. The timestamp token is looked
/// for among the first tokens; before it come the flags and CPU, and before those `-pid`.
fn parse_latency(l: &[u8]) -> Option<Rec<'_>> {
    const MAX_TOKENS: usize = 12;
    let mut toks = [(0usize, 0usize); MAX_TOKENS];
    let mut n = 0;
    let mut i = 0;
    while n < MAX_TOKENS {
        let a = skip_spaces(l, i);
        let b = token_end(l, a);
        if a == b {
            break;
        }
        toks[n] = (a, b);
        n += 1;
        i = b;
    }
    let tok = |k: usize| &l[toks[k].0..toks[k].1];
    for k in 1..n {
        let t = tok(k);
        let (ts, ts_end) = if let Some(ns) = latency_ts(t) {
            (Ts::Nanos(ns), toks[k].1)
        } else if k + 1 < n && tok(k + 1) == b":" && t.ends_with(b"us") {
            let Some(ns) = parse_u64(&t[..t.len() - 2]).and_then(|us| times(us, 1000)) else { continue };
            (Ts::Nanos(ns), toks[k + 1].1)
        } else if let Some(ts) = parse_ts_token(t) {
            (ts, toks[k].1)
        } else {
            continue;
        };
        let prev = tok(k - 1);
        let nd = prev.iter().take_while(|b| b.is_ascii_digit()).count();
        let (cpu, ctx) = if (1..=6).contains(&nd) && (nd == prev.len() || is_flags(&prev[nd..])) {
            (&prev[..nd], k - 1)
        } else if k >= 2 && is_flags(prev) && (1..=6).contains(&tok(k - 2).len()) {
            (tok(k - 2), k - 2)
        } else {
            continue;
        };
        let Some(cpu) = parse_u64(cpu) else { continue };
        if !pid_before(l, toks[ctx].0) {
            continue;
        }
        let (event, payload) = split_event(l, ts_end);
        if event.is_empty() {
            return None;
        }
        return Some(Rec { cpu: cpu as u32, ts, event, payload });
    }
    None
}

/// The text after a console prefix: dmesg's `[  137.398213] ` (a bracketed `sec.usec`) or a
/// syslog line's `… kernel: `. `None` without one.
fn console_body(line: &[u8]) -> Option<&[u8]> {
    let start = skip_spaces(line, 0);
    if line.get(start) == Some(&b'[') {
        let close = find_byte(b']', &line[start..])? + start;
        let stamp = trim(&line[start + 1..close]);
        let dot = find_byte(b'.', stamp)?;
        let digits = |t: &[u8]| !t.is_empty() && t.iter().all(u8::is_ascii_digit);
        return (digits(&stamp[..dot]) && digits(&stamp[dot + 1..])).then(|| &line[close + 1..]);
    }
    let lim = line.len().min(ANCHOR_WINDOW);
    find(b" kernel: ", &line[..lim]).map(|p| &line[p + 9..])
}

/// The latency format with `trace_options verbose` (trace_output.c trace_print_lat_context):
/// `comm pid cpu flags preempt idx [ts-hex] A.BBBms (+C.DDDms): event: …`, the comm `%16s`,
/// then `%7d %3d %d %08x %08lx [%08llx]`, the time since the trace began in ms to the µs.
/// The CPU is the third token before the `[…]` one from the end: four columns, idx last.
fn parse_latency_verbose(l: &[u8]) -> Option<Rec<'_>> {
    let ms_end = find(b"ms (+", l)?;
    let ts_start = l[..ms_end].iter().rposition(|&b| b == b' ')? + 1;
    let (whole, frac) = {
        let t = &l[ts_start..ms_end];
        let dot = find_byte(b'.', t)?;
        (parse_u64(&t[..dot])?, &t[dot + 1..])
    };
    if frac.len() != 3 {
        return None;
    }
    let ns = times(whole, 1_000_000)?.checked_add(times(parse_u64(frac)?, 1000)?)?;
    // Tokens before the time, right to left: `[ts]`, idx, preempt, flags, cpu.
    let mut end = l[..ts_start].trim_ascii_end().len();
    let mut cpu = None;
    for k in 0..5 {
        let start = l[..end].iter().rposition(|&b| b == b' ').map_or(0, |p| p + 1);
        let tok = &l[start..end];
        match k {
            0 if !(tok.starts_with(b"[") && tok.ends_with(b"]")) => return None,
            4 => cpu = parse_u64(tok),
            _ => {}
        }
        end = l[..start].trim_ascii_end().len();
    }
    let close = find(b"):", &l[ms_end..])? + ms_end + 2;
    let (event, payload) = split_event(l, close);
    if event.is_empty() {
        return None;
    }
    Some(Rec { cpu: u32::try_from(cpu?).ok()?, ts: Ts::Nanos(ns), event, payload })
}

/// perf script `-g`: `\t<addr> <sym> (<dso>)` under a sample.
fn is_callchain(line: &[u8]) -> bool {
    let a = skip_spaces(line, 0);
    let b = token_end(line, a);
    a > 0 && b - a >= 4 && line[a..b].iter().all(u8::is_ascii_hexdigit) && line.ends_with(b")")
}

fn bit(cpu: u64, loc: Loc, sink: &mut Sink) -> u64 {
    if cpu < 64 {
        1 << cpu
    } else {
        sink.warn(loc, WarningClass::Parse, "IPI target beyond CPU 63 dropped from the mask");
        0
    }
}

/// A cpumask as the kernel prints it (comma-grouped big-endian hex, `00000000,0000000e`),
/// as a CPU list (`%*pbl`: `1-3,5`, `1,3`: a `-`, or a group after the first that is not 8
/// hex digits), or as converters do (`0x0e`, decimal `14`). `None` if unreadable; bits past
/// 63 are dropped with a warning.
fn parse_mask(v: &[u8], loc: Loc, sink: &mut Sink) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    let later_group_short = v.split(|&b| b == b',').skip(1).any(|g| g.len() != 8);
    if find_byte(b'-', v).is_some() || later_group_short {
        return parse_cpu_list(v, loc, sink);
    }
    let hex = if let Some(h) = v.strip_prefix(b"0x").or_else(|| v.strip_prefix(b"0X")) {
        h
    } else if find_byte(b',', v).is_none() && v.len() & 7 != 0 && v.iter().all(u8::is_ascii_digit) {
        let n = parse_u64(v)?;
        return Some(n);
    } else {
        v
    };
    let mut mask = 0u64;
    let mut high = false;
    let mut k = 0u32;
    for &b in hex.iter().rev() {
        if b == b',' {
            continue;
        }
        let d = hex_digit(b)? as u64;
        if k < 16 {
            mask |= d << (4 * k);
        } else if d != 0 {
            high = true;
        }
        k += 1;
    }
    if k == 0 {
        return None;
    }
    if high {
        sink.warn(loc, WarningClass::Parse, "IPI targets beyond CPU 63 dropped from the mask");
    }
    Some(mask)
}

/// A CPU list (`1-3,5`): decimal CPUs and ranges, comma-separated. CPUs past 63 are dropped
/// with one warning; a range is walked only up to 63, so `0-4294967295` costs nothing.
fn parse_cpu_list(v: &[u8], loc: Loc, sink: &mut Sink) -> Option<u64> {
    let mut mask = 0u64;
    let mut high = false;
    for part in v.split(|&b| b == b',') {
        let (lo, hi) = match find_byte(b'-', part) {
            Some(d) => (parse_u64(&part[..d])?, parse_u64(&part[d + 1..])?),
            None => {
                let c = parse_u64(part)?;
                (c, c)
            }
        };
        if lo > hi {
            return None;
        }
        high |= hi > 63;
        for c in lo..=hi.min(63) {
            mask |= 1 << c;
        }
    }
    if high {
        sink.warn(loc, WarningClass::Parse, "IPI targets beyond CPU 63 dropped from the mask");
    }
    Some(mask)
}

/// libtraceevent's `[FAILED TO PARSE]` rendering of a cpumask it has no format for:
/// `cpumask=ARRAY[06, 00, …]`, the bitmap's bytes in memory order (little-endian: byte i
/// holds CPUs 8i to 8i+7).
fn parse_mask_array(payload: &[u8], loc: Loc, sink: &mut Sink) -> Option<u64> {
    const KEY: &[u8] = b"cpumask=ARRAY[";
    let p = find(KEY, payload)?;
    let rest = &payload[p + KEY.len()..];
    let body = &rest[..find_byte(b']', rest)?];
    let mut mask = 0u64;
    let mut high = false;
    for (i, byte) in body.split(|&b| b == b',').enumerate() {
        let b = parse_hex(trim(byte)).filter(|&b| b <= 0xff)?;
        match i {
            0..8 => mask |= b << (8 * i),
            _ => high |= b != 0,
        }
    }
    if high {
        sink.warn(loc, WarningClass::Parse, "IPI targets beyond CPU 63 dropped from the mask");
    }
    Some(mask)
}

/// The x86-equivalent vector of an ARM IPI reason string.
fn reason_vector(payload: &[u8]) -> u16 {
    if find(b"Rescheduling", payload).is_some() {
        VEC_RESCHEDULE
    } else if find(b"Single function call", payload).is_some() {
        VEC_CALL_FUNCTION_SINGLE
    } else if find(b"Function call", payload).is_some() {
        VEC_CALL_FUNCTION
    } else {
        0
    }
}

fn csd_addr(payload: &[u8], loc: Loc, sink: &mut Sink) -> u64 {
    // `csd=` ends both payloads: look there first.
    let tail = payload.iter().rposition(|&b| b == b' ').map_or(payload, |p| &payload[p + 1..]);
    let value = tail.strip_prefix(b"csd=").or_else(|| field(payload, b"csd="));
    match value.and_then(parse_hex) {
        Some(a) => a,
        None => {
            sink.warn(loc, WarningClass::Parse, "csd address missing or not hex (hashed pointers off?); using 0");
            0
        }
    }
}

fn func_sym(payload: &[u8], sink: &mut Sink) -> u32 {
    let f = field(payload, b"func=").unwrap_or(b"?");
    sink.intern(f)
}

fn other(name: &[u8], sink: &mut Sink) -> Kind {
    Kind::Other { name: sink.intern(name) }
}

/// Payload → [`Kind`]. A payload that does not fit its event's format still yields an
/// event (`Other`), with a warning, so counts stay right.
fn decode(name: &[u8], payload: &[u8], loc: Loc, sink: &mut Sink) -> Kind {
    let bad = |sink: &mut Sink, what: &'static str| {
        sink.warn_with(loc, WarningClass::Parse, || {
            format!("{} payload not understood ({what}); kept as a plain event", String::from_utf8_lossy(name))
        });
        other(name, sink)
    };
    match name {
        b"tlb_flush" => {
            let pages = field(payload, b"pages:").and_then(parse_i64);
            let reason = payload
                .strip_suffix(b")")
                .and_then(|p| p.iter().rposition(|&b| b == b'(').map(|o| &p[o + 1..]))
                .and_then(parse_u64)
                .and_then(|r| u8::try_from(r).ok());
            match (pages, reason) {
                (Some(pages), Some(reason)) => Kind::TlbFlush { pages, reason },
                (None, _) => bad(sink, "no `pages:N`"),
                (_, None) => bad(sink, "no numeric reason `(N)`"),
            }
        }
        b"ipi_send_cpu" => match field(payload, b"cpu=").and_then(parse_u64) {
            Some(cpu) => {
                let callback = field(payload, b"callback=");
                let vector = match callback {
                    Some(b"0x0") | Some(b"0") => VEC_RESCHEDULE,
                    Some(_) => VEC_CALL_FUNCTION_SINGLE,
                    None => 0,
                };
                Kind::IpiSend { targets: bit(cpu, loc, sink), vector, all_but_self: false }
            }
            None => bad(sink, "no `cpu=N`"),
        },
        b"ipi_send_cpumask" => match parse_mask_array(payload, loc, sink)
            .or_else(|| field_word(payload, b"cpumask=").and_then(|v| parse_mask(v, loc, sink)))
        {
            Some(targets) => {
                let vector = match field(payload, b"callback=") {
                    Some(b"0x0") | Some(b"0") => VEC_RESCHEDULE,
                    Some(_) => VEC_CALL_FUNCTION,
                    None => 0,
                };
                Kind::IpiSend { targets, vector, all_but_self: false }
            }
            None => bad(sink, "no readable `cpumask=`"),
        },
        b"ipi_raise" => match field_word(payload, b"target_mask=").and_then(|v| parse_mask(v, loc, sink)) {
            Some(targets) => Kind::IpiSend { targets, vector: reason_vector(payload), all_but_self: false },
            None => bad(sink, "no readable `target_mask=`"),
        },
        b"ipi_entry" => Kind::IrqEntry { vector: reason_vector(payload) },
        b"ipi_exit" => Kind::IrqExit { vector: reason_vector(payload) },
        b"csd_queue_cpu" => match field(payload, b"cpu=").and_then(parse_u64).and_then(|c| u16::try_from(c).ok()) {
            Some(target) => {
                let csd = csd_addr(payload, loc, sink);
                Kind::CsdQueue { target, csd, func: func_sym(payload, sink) }
            }
            None => bad(sink, "no `cpu=N`"),
        },
        b"csd_function_entry" | b"csd_function_exit" => {
            let csd = csd_addr(payload, loc, sink);
            let func = func_sym(payload, sink);
            if name == b"csd_function_entry" {
                Kind::CsdEntry { csd, func }
            } else {
                Kind::CsdExit { csd, func }
            }
        }
        b"sched_switch" => match next_pid(payload) {
            Some(next_pid) => Kind::SchedSwitch { next_pid },
            None => bad(sink, "no next pid"),
        },
        b"tracing_mark_write" | b"print" => Kind::Marker,
        _ => {
            let entry = name.ends_with(b"_entry");
            if (entry || name.ends_with(b"_exit")) && payload.starts_with(b"vector=") {
                match parse_u64(&payload[7..token_end(payload, 7)]).and_then(|v| u16::try_from(v).ok()) {
                    Some(vector) if entry => Kind::IrqEntry { vector },
                    Some(vector) => Kind::IrqExit { vector },
                    None => bad(sink, "`vector=` not a number"),
                }
            } else {
                other(name, sink)
            }
        }
    }
}

/// `next_pid=N` (kernel), or trace-cmd's plugin form `prev:pid [prio] S ==> next:pid [prio]`.
fn next_pid(payload: &[u8]) -> Option<u32> {
    if let Some(v) = field(payload, b"next_pid=") {
        return parse_u64(v).and_then(|v| u32::try_from(v).ok());
    }
    let p = find(b"==>", payload)?;
    let after = trim(&payload[p + 3..]);
    let end = find(b" [", after).unwrap_or(after.len());
    let who = trim(&after[..end]);
    let c = who.iter().rposition(|&b| b == b':')?;
    parse_u64(&who[c + 1..]).and_then(|v| u32::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors() {
        let l = b"     Web Content-4242    [003] d..2.   100.000001: tlb_flush: pages:1 reason:x (3)";
        let r = parse_bracket(l).unwrap();
        assert_eq!(r.cpu, 3);
        assert_eq!(r.ts, Ts::Nanos(100_000_001_000));
        assert_eq!(r.event, b"tlb_flush");
        let l = b"  a [1] b-12  (  12) [002] .... 5.5: x: y";
        assert_eq!(parse_bracket(l).unwrap().cpu, 2);
        let l = b"[003] 1.000010: ipi:ipi_entry: (Rescheduling interrupts)";
        let r = parse_bracket(l).unwrap();
        assert_eq!((r.cpu, r.event, r.payload), (3, &b"ipi_entry"[..], &b"(Rescheduling interrupts)"[..]));
        let l = b"  <idle>-0       0d.h1.   12us+: ipi_entry: (x)";
        let r = parse_latency(l).unwrap();
        assert_eq!((r.cpu, r.ts), (0, Ts::Nanos(12_000)));
        assert!(parse_latency(b"  <idle>-0       0d.h1.   12us : ipi_entry: (x)").is_some());
    }
}
