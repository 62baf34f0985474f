//! FreeBSD `ktrdump` output (research/trace-formats.md §1.2): `%6d` ring slot, then, as the
//! flags asked, `%3d` CPU (`-c`), `%16ju` timestamp (`-t`, deltas with `-r`), `%-40s`
//! file:line (`-f`, never truncated), `%p` thread (`-H`), then the message.
//!
//! The layout comes from the header when there is one, otherwise (`-q`) from a sample of
//! rows: every combination of columns is tried on the sample with the printf column
//! positions enforced, and the combination that explains most rows wins (ties go to more
//! columns). Rows are kept until the end because their order is only known then: the
//! default dump is newest first, with a slot index that wraps, so the direction is read
//! from the timestamps (or, for relative or missing times, from the index) and events are
//! pushed oldest first, so equal times keep their true order through the stable sort.
//!
//! ddb's `show ktr` listing (`slot (thread:cpuN) time file.line: message`) is read too; it
//! is newest first in the same way.

use crate::event::{cpu_limit_reason, cpu_number, CpuMask, Kind, TimeBase, WarningClass};
use crate::lines::{column, find, parse_hex, parse_u64, skip_spaces, token_end, trim, Align, Loc};
use crate::reader::{Finished, Sink};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Layout {
    cpu: bool,
    ts: bool,
    file: bool,
    thread: bool,
}

impl Layout {
    fn all() -> impl Iterator<Item = Layout> {
        (0..16u8).map(|b| Layout { cpu: b & 1 != 0, ts: b & 2 != 0, file: b & 4 != 0, thread: b & 8 != 0 })
    }

    fn columns(self) -> u32 {
        self.cpu as u32 + self.ts as u32 + self.file as u32 + self.thread as u32
    }
}

#[derive(Clone, Copy, Debug)]
struct Row {
    index: u64,
    cpu: u16,
    ts: u64,
    kind: Kind,
    loc: Loc,
    send: Send,
}

/// Which KTR_SMP record an IPI send came from, for what `finish` does with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Send {
    /// Not an IPI send.
    No,
    /// `ipi_selected`/`ipi_cpu`/`ipi_all_but_self`/`ipi_self`/`smp_targeted_tlb_shootdown`
    /// (the record's name): a send as logged by the machine-independent entry points.
    Entry(&'static [u8]),
    /// `ipi_all`: every CPU, the sender included (the mask is known once the CPUs are).
    All(&'static [u8]),
    /// `ipi_send` naming its CPU (riscv, mips, powerpc, loongarch): the per-target send the
    /// entry points above call, so when a file has these, the entries are not further sends.
    PerCpu,
}

#[derive(Debug)]
pub(crate) struct FreeBsd {
    layout: Layout,
    /// The input is ddb's `show ktr` rather than ktrdump.
    ddb: bool,
    rows: Vec<Row>,
}

/// Fields of one row; `msg` is the rest of the line.
struct Fields<'a> {
    index: u64,
    cpu: Option<u64>,
    ts: Option<u64>,
    msg: &'a [u8],
}

fn looks_like_file(tok: &[u8]) -> bool {
    match tok.iter().rposition(|&b| b == b':') {
        Some(c) => c > 0 && parse_u64(&tok[c + 1..]).is_some(),
        None => false,
    }
}

fn split(line: &[u8], layout: Layout, strict: bool) -> Option<Fields<'_>> {
    let (idx, mut pos) = column(line, 0, Align::Right(6), strict)?;
    let index = parse_u64(idx)?;
    let mut cpu = None;
    let mut ts = None;
    if layout.cpu {
        let (c, p) = column(line, pos, Align::Right(3), strict)?;
        cpu = Some(parse_u64(c).filter(|&c| c <= u16::MAX as u64)?);
        pos = p;
    }
    if layout.ts {
        let (t, p) = column(line, pos, Align::Right(16), strict)?;
        ts = Some(parse_u64(t)?);
        pos = p;
    }
    if layout.file {
        let (f, p) = column(line, pos, Align::Left(40), strict)?;
        if !looks_like_file(f) {
            return None;
        }
        pos = p;
    }
    if layout.thread {
        let (t, p) = column(line, pos, Align::Free, strict)?;
        if !t.starts_with(b"0x") || parse_hex(t).is_none() {
            return None;
        }
        pos = p;
    }
    let msg = &line[pos.min(line.len())..];
    if strict && msg.first() == Some(&b' ') {
        // A padded column the layout does not have.
        return None;
    }
    Some(Fields { index, cpu, ts, msg: trim(msg) })
}

/// The header's column names, if `line` is the header.
fn header_layout(line: &[u8]) -> Option<Layout> {
    let t = trim(line);
    if !t.starts_with(b"index") || !t.ends_with(b"trace") {
        return None;
    }
    Some(Layout {
        cpu: find(b" cpu ", t).is_some(),
        ts: find(b"timestamp", t).is_some(),
        file: find(b"file and line", t).is_some(),
        thread: find(b" tid ", t).is_some(),
    })
}

pub(crate) fn looks_like_header(line: &[u8]) -> bool {
    header_layout(line).is_some() && find(b" ID ", line).is_none()
}

/// An index column (`%6d`, or `cat -n`'s number and TAB) and something after it.
pub(crate) fn looks_like_row(line: &[u8]) -> bool {
    let start = skip_spaces(line, 0);
    let end = token_end(line, start);
    let aligned = end == 6.max(end - start) || line.get(end) == Some(&b'\t');
    aligned && end > start && line[start..end].iter().all(u8::is_ascii_digit) && skip_spaces(line, end) < line.len()
}

/// ddb `show ktr[/vV]` (§1.4): `1022 (0xfffff80003a1b000:cpu3) 0087345123 kern/x.c.12: msg`,
/// newest first like ktrdump; `:cpuN` only on SMP kernels, the time with `/V` or `/v`, the
/// file and line with `/v`.
fn split_ddb(line: &[u8]) -> Option<(Fields<'_>, bool)> {
    let start = skip_spaces(line, 0);
    let end = token_end(line, start);
    let index = parse_u64(&line[start..end])?;
    let rest = line[end..].strip_prefix(b" (")?;
    let close = rest.iter().position(|&b| b == b')')?;
    let (thread, cpu) = match rest[..close].iter().position(|&b| b == b':') {
        Some(c) => (&rest[..c], Some(parse_u64(rest[c + 1..close].strip_prefix(b"cpu")?)?)),
        None => (&rest[..close], None),
    };
    if !thread.starts_with(b"0x") || parse_hex(thread).is_none() || cpu.is_some_and(|c| c > u16::MAX as u64) {
        return None;
    }
    let after = &rest[close + 1..];
    if let Some(msg) = after.strip_prefix(b":") {
        return Some((Fields { index, cpu, ts: None, msg: trim(msg) }, cpu.is_some()));
    }
    let a = skip_spaces(after, 0);
    let b = token_end(after, a);
    let tok = &after[a..b];
    let (digits, mut p) = match tok.strip_suffix(b":") {
        Some(d) => (d, b),
        None => {
            // `/v`: the file.line token, ending in `:`.
            let c = skip_spaces(after, b);
            let e = token_end(after, c);
            after[c..e].strip_suffix(b":")?;
            (tok, e)
        }
    };
    // `%10.10lld` of an unsigned counter: a value past 2^63 prints negative.
    let ts = crate::lines::parse_i64(digits)? as u64;
    p = p.min(after.len());
    Some((Fields { index, cpu, ts: Some(ts), msg: trim(&after[p..]) }, cpu.is_some()))
}

pub(crate) fn looks_like_ddb_row(line: &[u8]) -> bool {
    split_ddb(after_pager(line)).is_some()
}

/// What a terminal shows of a console line: the text after its last carriage return.
/// ddb's pager (db_pager in sys/ddb/db_output.c, db_simple_pager in DragonFly's) prints
/// `--More--\r`, waits for a key, then blanks the prompt with spaces and another `\r`; a
/// serial capture therefore has the next record on the pager's line, after the `\r`s.
pub(crate) fn after_pager(line: &[u8]) -> &[u8] {
    match line.iter().rposition(|&b| b == b'\r') {
        Some(p) => &line[p + 1..],
        None => line,
    }
}

fn infer_layout(sample: &[u8]) -> Layout {
    let layouts: Vec<Layout> = Layout::all().collect();
    let splits = |r: &[u8], lay, strict| split(r, lay, strict).is_some();
    crate::lines::infer_layout(sample, header_layout, looks_like_row, &layouts, Layout::columns, splits)
        .unwrap_or(Layout { cpu: true, ts: true, file: false, thread: false })
}

/// The event's name: the message up to its first `:`, `(`, `=`, `,` or blank. A KTR
/// format's fixed prefix is mostly `__func__` or a literal name, and the conversions come
/// after one of these, so `pmap_enter(%p, %#lx, …)` and `pmap_demote_pde: failure for va
/// %#lx` give one name per trace point, not one per pointer value.
pub(crate) fn event_name(msg: &[u8]) -> &[u8] {
    let end = msg.iter().position(|&b| matches!(b, b':' | b'(' | b'=' | b',' | b' ' | b'\t')).unwrap_or(msg.len());
    if end == 0 {
        b"ktr"
    } else {
        &msg[..end]
    }
}

/// The value after `key` up to a blank or `,` (`cpu: 3 ipi: f4` on x86, `cpu: 3, ipi: 2`
/// on arm/arm64, `cpu=3, ipi=2` on riscv/mips).
fn value<'a>(s: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let p = find(key, s)?;
    let v = &s[p + key.len()..];
    let end = v.iter().position(|&b| matches!(b, b' ' | b',' | b'\t')).unwrap_or(v.len());
    Some(&v[..end])
}

/// IPI records of FreeBSD's KTR_SMP trace points, as their CTR formats print them:
///
/// - x86 (sys/x86/x86/mp_x86.c): `ipi_selected`/`ipi_cpu` `"%s: cpu: %d ipi: %x"` (one per
///   target), `ipi_all_but_self` `"%s: ipi: %x"`, and up to FreeBSD 12
///   `smp_targeted_tlb_shootdown` `"%s: cpu: %d ipi: %x"`. Before the cpuset_t
///   conversion (i386/amd64 mp_machdep.c, FreeBSD 5 to 8), `ipi_selected` logged one
///   record for the whole 32-bit mask, `"%s: cpus: %x ipi: %x"`, and `ipi_all`
///   (every CPU, the sender too) and `ipi_self` (the sender) `"%s: ipi: %x"`.
/// - arm/arm64 (sys/kern/subr_intr.c, older sys/arm64/arm64/mp_machdep.c): `ipi_cpu`
///   `"%s: cpu: %d, ipi: %x"`, `ipi_selected` and `ipi_all_but_self` `"%s: ipi: %x"`
///   (`ipi_selected` names no target: kept with an empty mask).
/// - riscv (sys/riscv/riscv/intc.c, earlier mp_machdep.c), mips (sys/mips/mips/mp_machdep.c)
///   and loongarch: `ipi_all_but_self` and `ipi_selected` log `"%s: ipi: %x"` (riscv's
///   `ipi_selected` also `pc: %p`) and then call the static `ipi_send` for each target,
///   which logs `"%s: cpu: %d, ipi: %x"` (older: `cpu=%d, ipi=%x`) and `"%s: sent"`.
/// - powerpc (sys/powerpc/powerpc/mp_machdep.c): `ipi_send` `"%s: pc=%p, targetcpu=%d,
///   IPI=%d"` (decimal), then `"%s: sent"`.
///
/// When a file has `ipi_send` records naming a CPU, those are the sends, and the entry
/// records above them (`ipi_all_but_self`, `ipi_selected`, `ipi_cpu`, …) are kept as plain
/// events rather than counted a second time (see `FreeBsd::finish`).
fn decode(msg: &[u8], sink: &mut Sink, loc: Loc) -> (Kind, Send) {
    let name = event_name(msg);
    // `event_name` stands in `ktr` for an empty prefix: the rest is then the whole message.
    let rest = msg.strip_prefix(name).unwrap_or(msg);
    if !name.starts_with(b"ipi_") && name != b"smp_targeted_tlb_shootdown" {
        return (Kind::Other { name: sink.intern(name) }, Send::No);
    }
    let ipi = value(rest, b"ipi: ")
        .or_else(|| value(rest, b"ipi="))
        .map(|v| parse_hex(v).and_then(|v| u16::try_from(v).ok()))
        .or_else(|| value(rest, b"IPI=").map(|v| parse_u64(v).and_then(|v| u16::try_from(v).ok())));
    let cpu =
        value(rest, b"targetcpu=").or_else(|| value(rest, b"cpu: ")).or_else(|| value(rest, b"cpu=")).map(parse_u64);
    let cpus = value(rest, b"cpus: ").map(parse_hex);
    let plain = |sink: &mut Sink| (Kind::Other { name: sink.intern(name) }, Send::No);
    // The record's name, for when `finish` keeps it as a plain event.
    let entry = Send::Entry(match name {
        b"ipi_selected" => b"ipi_selected",
        b"ipi_cpu" => b"ipi_cpu",
        b"ipi_all_but_self" => b"ipi_all_but_self",
        b"ipi_self" => b"ipi_self",
        _ => b"smp_targeted_tlb_shootdown",
    });
    let per_cpu = if name == b"ipi_send" { Send::PerCpu } else { entry };
    match name {
        b"ipi_selected" | b"ipi_cpu" | b"smp_targeted_tlb_shootdown" | b"ipi_send" => match (cpu, ipi) {
            (Some(Some(c)), Some(Some(vector))) if c < 64 => {
                (Kind::IpiSend { targets: 1 << c, vector, all_but_self: false }, per_cpu)
            }
            (Some(Some(_)), Some(Some(vector))) => {
                sink.warn(loc, WarningClass::Parse, "IPI target beyond CPU 63 dropped from the mask");
                (Kind::IpiSend { targets: 0, vector, all_but_self: false }, per_cpu)
            }
            (None, Some(Some(vector))) if name == b"ipi_selected" => match cpus {
                // The old x86 form: the targets as a hex mask (CPU n = bit n).
                Some(Some(targets)) => (Kind::IpiSend { targets, vector, all_but_self: false }, entry),
                Some(None) => {
                    sink.warn(
                        loc,
                        WarningClass::Parse,
                        "ipi_selected with a `cpus:` mask that is not hex; kept as a plain event",
                    );
                    plain(sink)
                }
                // arm's and riscv's form names no target.
                None => (Kind::IpiSend { targets: 0, vector, all_but_self: false }, entry),
            },
            // riscv/mips/powerpc log `ipi_send: sent` after each send.
            (None, None) if name == b"ipi_send" => plain(sink),
            _ => {
                sink.warn(loc, WarningClass::Parse, "IPI message without `cpu: N ipi: HEX`; kept as a plain event");
                plain(sink)
            }
        },
        b"ipi_all_but_self" | b"ipi_all" | b"ipi_self" => match ipi {
            Some(Some(vector)) => match name {
                b"ipi_all_but_self" => (Kind::IpiSend { targets: 0, vector, all_but_self: true }, entry),
                b"ipi_all" => (Kind::IpiSend { targets: 0, vector, all_but_self: false }, Send::All(b"ipi_all")),
                // `ipi_self`: the sender, set by `finish` from the row's CPU.
                _ => (Kind::IpiSend { targets: 0, vector, all_but_self: false }, entry),
            },
            _ => {
                sink.warn_with(loc, WarningClass::Parse, || {
                    format!("{} without `ipi: HEX`; kept as a plain event", String::from_utf8_lossy(name))
                });
                plain(sink)
            }
        },
        _ => plain(sink),
    }
}

impl FreeBsd {
    pub(crate) fn new(sample: &[u8]) -> FreeBsd {
        let lines = || sample.split(|&b| b == b'\n').take(400).map(crate::lines::strip_cr).map(after_pager);
        let ddb: Vec<(bool, bool)> = lines().filter_map(split_ddb).map(|(f, cpu)| (cpu, f.ts.is_some())).collect();
        if ddb.len() > lines().filter(|l| looks_like_row(l)).count() {
            let layout =
                Layout { cpu: ddb.iter().any(|d| d.0), ts: ddb.iter().any(|d| d.1), file: false, thread: true };
            return FreeBsd { layout, ddb: true, rows: Vec::new() };
        }
        FreeBsd { layout: infer_layout(sample), ddb: false, rows: Vec::new() }
    }

    pub(crate) fn line(&mut self, line: &[u8], loc: Loc, sink: &mut Sink) {
        let t = trim(line);
        if t.is_empty() || header_layout(t).is_some() || t.iter().all(|&b| b == b'-' || b == b' ') {
            return;
        }
        let fields = if self.ddb {
            let line = after_pager(line);
            let t = trim(line);
            if t.is_empty() || t.starts_with(b"--- End of trace buffer") || t.starts_with(b"db>") || t == b"--More--" {
                return;
            }
            split_ddb(line).map(|(f, _)| f)
        } else {
            split(line, self.layout, false)
        };
        let Some(f) = fields else {
            sink.warn(loc, WarningClass::Tokenize, "not a ktrdump row of the layout the header or first rows set");
            return;
        };
        let Some(cpu) = cpu_number(f.cpu.unwrap_or(0)) else {
            return sink.warn_with(loc, WarningClass::Parse, || cpu_limit_reason(f.cpu.unwrap_or(0)));
        };
        let (kind, send) = decode(f.msg, sink, loc);
        self.rows.push(Row { index: f.index, cpu, ts: f.ts.unwrap_or(0), kind, loc, send });
    }

    pub(crate) fn finish(mut self, sink: &mut Sink) -> Finished {
        let rows = &mut self.rows;
        let Some(first) = rows.first().copied() else {
            return Finished { time: TimeBase::Ticks { hz: None }, cpus: 0 };
        };
        if !self.layout.cpu {
            sink.warn(first.loc, WarningClass::Parse, "no CPU column (ktrdump -c): every event is put on CPU 0");
        }
        let steps = |f: &dyn Fn(&Row, &Row) -> bool| rows.windows(2).filter(|w| f(&w[0], &w[1])).count();
        let index_down = steps(&|a, b| b.index.wrapping_add(1) == a.index);
        let index_up = steps(&|a, b| a.index.wrapping_add(1) == b.index);
        // -r: the first printed delta is 0 and absolute cycle counts never are.
        let relative = self.layout.ts && first.ts == 0 && rows.len() > 1;
        let (ts_down, ts_up) =
            if self.layout.ts && !relative { (steps(&|a, b| b.ts < a.ts), steps(&|a, b| b.ts > a.ts)) } else { (0, 0) };
        let newest_first = if ts_down != ts_up { ts_down > ts_up } else { index_down > index_up };
        if newest_first {
            rows.reverse();
        }
        let n = rows.len();
        if !self.layout.ts {
            for (i, r) in rows.iter_mut().enumerate() {
                r.ts = i as u64;
            }
        } else if relative {
            // ktrdump.c prints `tlast - tnow` unless `-i` (then `tnow - tlast`), whatever the
            // walk's direction: newest first (default) the deltas are the step back to the
            // previous line; `-i` (an ALQ file, oldest first) the step forward; and `-l`
            // walks oldest first yet still prints `tlast - tnow`, so its deltas are the
            // negated steps forward, printed `%16ju` as values near 2^64. Oldest first, the
            // sign the majority of deltas has says which of the two it is (cross-CPU skew
            // flips a few, never most).
            let mut deltas: Vec<i64> = rows.iter().map(|r| r.ts as i64).collect();
            if !newest_first {
                let negative = deltas[1..].iter().filter(|&&d| d < 0).count();
                let positive = deltas[1..].iter().filter(|&&d| d > 0).count();
                if negative > positive {
                    deltas.iter_mut().for_each(|d| *d = d.wrapping_neg());
                }
            }
            let mut t = vec![0i64; n];
            if newest_first {
                // Reversed: row i was printed after row i+1, so t[i] = t[i+1] - delta[i].
                for i in (0..n - 1).rev() {
                    t[i] = t[i + 1].wrapping_sub(deltas[i]);
                }
            } else {
                for i in 1..n {
                    t[i] = t[i - 1].wrapping_add(deltas[i]);
                }
            }
            let min = t.iter().copied().min().unwrap_or(0);
            for (r, t) in rows.iter_mut().zip(t) {
                r.ts = t.wrapping_sub(min) as u64;
            }
        }
        let cpus = rows.iter().map(|r| r.cpu).max().unwrap_or(0).saturating_add(1);
        let all: CpuMask = if cpus >= 64 { !0 } else { (1u64 << cpus) - 1 };
        let per_cpu = rows.iter().any(|r| r.send == Send::PerCpu);
        let mut targets_seen: CpuMask = 0;
        for r in rows.iter() {
            let mut kind = r.kind;
            if let (true, Send::Entry(name) | Send::All(name)) = (per_cpu, r.send) {
                // The per-target `ipi_send` records it leads to are the sends.
                kind = Kind::Other { name: sink.intern(name) };
            }
            match &mut kind {
                Kind::IpiSend { targets, all_but_self: true, .. } if self.layout.cpu => {
                    *targets = all & !(1u64.checked_shl(r.cpu as u32).unwrap_or(0));
                }
                Kind::IpiSend { targets, .. } if matches!(r.send, Send::All(_)) => *targets = all,
                Kind::IpiSend { targets, .. } if r.send == Send::Entry(b"ipi_self") => {
                    *targets = 1u64.checked_shl(r.cpu as u32).unwrap_or(0);
                }
                _ => {}
            }
            if let Kind::IpiSend { targets, .. } = kind {
                // KTR logs only the sender: a target is the only sign of a CPU that logged
                // nothing (powerpc's `ipi_send: …, targetcpu=3` from CPU 0).
                targets_seen |= targets;
            }
            sink.push(r.ts, r.cpu, r.loc, kind);
        }
        // Without a CPU column every event is on CPU 0 and the lanes mean nothing: one lane.
        let cpus = if self.layout.cpu { (64 - targets_seen.leading_zeros()) as u16 } else { 0 };
        Finished { time: TimeBase::Ticks { hz: None }, cpus }
    }
}
