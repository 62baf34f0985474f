//! Chrome / Perfetto JSON (research/trace-formats.md §4): one process "CPUs", a thread per
//! CPU, handler and csd-function bars as `X` slices, rounds on a track of their own per
//! initiator, every IPI as a flow (`s` → `f`), ipiq ring depth as counters.
//!
//! Written by hand, one event per line, streaming: a million events never become a DOM.

use super::{fields, kind_name};
use crate::event::{Event, TimeBase, Trace};
use crate::replay::{ArrowKind, Bar, BarKind, Replay};
use std::io::{self, Write};

const PID: u32 = 1;
/// Round tracks are threads `ROUND_TID + initiator`, sorted after the CPU lanes.
const ROUND_TID: u32 = 100_000;

/// Microseconds per trace unit, and what the viewer should be told about it.
fn scale(time: TimeBase) -> (f64, &'static str) {
    match time {
        TimeBase::Nanos => (1e-3, "ns"),
        TimeBase::Ticks { hz: Some(hz) } if hz > 0 => (1e6 / hz as f64, "ticks converted with the stated frequency"),
        TimeBase::Ticks { .. } => (1.0, "ticks of unknown frequency, shown as 1 tick = 1 us"),
    }
}

fn string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"?\"".into())
}

/// Write `trace` with its reconstruction `replay` as Perfetto-loadable JSON.
pub fn perfetto<W: Write>(trace: &Trace, replay: &Replay, out: &mut W) -> io::Result<()> {
    let (us, unit) = scale(trace.time);
    let ts = |e: &Event| format!("{:.3}", e.ts as f64 * us);
    let at = |i: u32| trace.events.get(i as usize);
    writeln!(
        out,
        "{{\"displayTimeUnit\":\"ns\",\"otherData\":{{\"source\":{},\"time\":{}}},",
        string(trace.format.name()),
        string(unit)
    )?;
    writeln!(out, "\"traceEvents\":[")?;
    writeln!(out, "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{PID},\"tid\":0,\"args\":{{\"name\":\"CPUs\"}}}}")?;
    let lanes = (trace.cpus as usize).max(replay.per_cpu.len()).min(crate::CPU_LIMIT as usize);
    for cpu in 0..lanes {
        writeln!(
            out,
            ",{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{PID},\"tid\":{cpu},\"args\":{{\"name\":\"CPU {cpu}\"}}}}\n\
             ,{{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":{PID},\"tid\":{cpu},\"args\":{{\"sort_index\":{cpu}}}}}"
        )?;
    }
    // Arrow ends are slices (flows bind to the slice around their timestamp); bars start
    // at their own events, so only events that are not a bar's start need one.
    let mut endpoint = vec![false; trace.events.len()];
    for a in &replay.arrows {
        for i in [a.from, a.to] {
            if let Some(x) = endpoint.get_mut(i as usize) {
                *x = true;
            }
        }
    }
    for b in nested(&replay.bars) {
        let (Some(s), Some(e)) = (at(b.start), at(b.end)) else { continue };
        if let Some(x) = endpoint.get_mut(b.start as usize) {
            *x = false;
        }
        let (name, cat) = match b.kind {
            BarKind::Handler { vector } => (format!("handler {vector}"), "irq"),
            BarKind::CsdFunction { .. } => (format!("csd {}", field(trace, s, "func")), "csd"),
            BarKind::Function { func } => (trace.names.get(func).to_string(), "function"),
            BarKind::RoundWait { .. } => continue,
        };
        let dur = (e.ts.saturating_sub(s.ts)) as f64 * us;
        writeln!(
            out,
            ",{{\"ph\":\"X\",\"name\":{},\"cat\":\"{cat}\",\"pid\":{PID},\"tid\":{},\"ts\":{},\"dur\":{dur:.3},\"args\":{{\"line\":{},\"end_line\":{}}}}}",
            string(&name),
            b.cpu,
            ts(s),
            s.line,
            e.line
        )?;
    }
    for (i, e) in trace.events.iter().enumerate() {
        let mut args = format!("\"line\":{}", e.line);
        for (k, v) in fields(trace, e) {
            args.push_str(&format!(",\"{k}\":{}", string(&v)));
        }
        let name = string(kind_name(trace, &e.kind));
        if endpoint[i] {
            writeln!(
                out,
                ",{{\"ph\":\"X\",\"name\":{name},\"cat\":\"event\",\"pid\":{PID},\"tid\":{},\"ts\":{},\"dur\":0,\"args\":{{{args}}}}}",
                e.cpu,
                ts(e)
            )?;
        } else if !is_bar_event(&e.kind) {
            writeln!(
                out,
                ",{{\"ph\":\"i\",\"s\":\"t\",\"name\":{name},\"cat\":\"event\",\"pid\":{PID},\"tid\":{},\"ts\":{},\"args\":{{{args}}}}}",
                e.cpu,
                ts(e)
            )?;
        }
    }
    for (id, a) in replay.arrows.iter().enumerate() {
        let (Some(s), Some(r)) = (at(a.from), at(a.to)) else { continue };
        let (name, cat) = match a.kind {
            ArrowKind::Ipi => ("IPI", "ipi"),
            ArrowKind::Csd => ("csd", "csd"),
            ArrowKind::Ipiq => ("ipiq", "ipiq"),
        };
        writeln!(
            out,
            ",{{\"ph\":\"s\",\"name\":\"{name}\",\"cat\":\"{cat}\",\"id\":{id},\"pid\":{PID},\"tid\":{},\"ts\":{}}}\n\
             ,{{\"ph\":\"f\",\"bp\":\"e\",\"name\":\"{name}\",\"cat\":\"{cat}\",\"id\":{id},\"pid\":{PID},\"tid\":{},\"ts\":{}}}",
            s.cpu,
            ts(s),
            r.cpu,
            ts(r)
        )?;
    }
    rounds(trace, replay, out, us)?;
    for r in &replay.rings {
        let Some(e) = at(r.event) else { continue };
        writeln!(
            out,
            ",{{\"ph\":\"C\",\"name\":\"ipiq ring {}->{}\",\"pid\":{PID},\"ts\":{},\"args\":{{\"depth\":{}}}}}",
            r.scpu,
            r.dcpu,
            ts(e),
            r.depth
        )?;
    }
    writeln!(out, "]}}")
}

/// Events that open or close a bar are drawn as the bar, not again as instants.
fn is_bar_event(k: &crate::Kind) -> bool {
    use crate::Kind::*;
    matches!(k, IrqEntry { .. } | IrqExit { .. } | CsdEntry { .. } | CsdExit { .. })
}

fn field(trace: &Trace, e: &Event, key: &str) -> String {
    fields(trace, e).into_iter().find(|(k, _)| *k == key).map(|(_, v)| v).unwrap_or_default()
}

/// The CPU-lane bars that nest properly (Perfetto rejects partly overlapping slices on
/// one track); the pairing makes them nest, this guards against what it cannot see.
fn nested(bars: &[Bar]) -> Vec<Bar> {
    let mut lane: Vec<Bar> = bars.iter().filter(|b| !matches!(b.kind, BarKind::RoundWait { .. })).copied().collect();
    lane.sort_by_key(|b| (b.cpu, b.start, std::cmp::Reverse(b.end)));
    let mut out = Vec::with_capacity(lane.len());
    let mut open: Vec<Bar> = Vec::new();
    for b in lane {
        while open.last().is_some_and(|o| o.cpu != b.cpu || o.end < b.start) {
            open.pop();
        }
        if open.last().is_some_and(|o| o.end < b.end) {
            continue;
        }
        open.push(b);
        out.push(b);
    }
    out
}

/// Rounds as slices on one track per initiator; a round that overlaps the previous one
/// on its track (a trace where the initiator did not wait) becomes an async slice.
fn rounds<W: Write>(trace: &Trace, replay: &Replay, out: &mut W, us: f64) -> io::Result<()> {
    let mut named = vec![false; 0];
    let mut last_end: Vec<u64> = Vec::new();
    for (id, r) in replay.rounds.iter().enumerate() {
        let Some(start) = trace.events.get(r.start as usize) else { continue };
        // FreeBSD rounds have no end: the slice covers the send burst.
        let end_idx = r.end.or_else(|| r.legs.iter().filter_map(|l| l.queued).max()).unwrap_or(r.start);
        let end = trace.events.get(end_idx as usize).map_or(start.ts, |e| e.ts);
        let tid = ROUND_TID + r.initiator as u32;
        let i = r.initiator as usize;
        if i >= named.len() {
            named.resize(i + 1, false);
            last_end.resize(i + 1, 0);
        }
        if !named[i] {
            named[i] = true;
            writeln!(
                out,
                ",{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{PID},\"tid\":{tid},\"args\":{{\"name\":\"CPU {} rounds\"}}}}\n\
                 ,{{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":{PID},\"tid\":{tid},\"args\":{{\"sort_index\":{tid}}}}}",
                r.initiator
            )?;
        }
        let targets: Vec<String> = r.legs.iter().map(|l| l.cpu.to_string()).collect();
        let kind = r.kind.name();
        let args = format!(
            "\"round\":{id},\"kind\":\"{kind}\",\"targets\":\"{}\",\"complete\":{},\"line\":{}",
            targets.join(","),
            r.end.is_some(),
            start.line
        );
        let name = if r.end.is_some() { "shootdown round" } else { "shootdown round (no completion)" };
        let (t0, dur) = (start.ts as f64 * us, end.saturating_sub(start.ts) as f64 * us);
        if start.ts >= last_end[i] {
            writeln!(
                out,
                ",{{\"ph\":\"X\",\"name\":\"{name}\",\"cat\":\"round\",\"pid\":{PID},\"tid\":{tid},\"ts\":{t0:.3},\"dur\":{dur:.3},\"args\":{{{args}}}}}"
            )?;
            last_end[i] = end.max(start.ts);
        } else {
            writeln!(
                out,
                ",{{\"ph\":\"b\",\"name\":\"{name}\",\"cat\":\"round\",\"id\":{id},\"pid\":{PID},\"tid\":{tid},\"ts\":{t0:.3},\"args\":{{{args}}}}}\n\
                 ,{{\"ph\":\"e\",\"name\":\"{name}\",\"cat\":\"round\",\"id\":{id},\"pid\":{PID},\"tid\":{tid},\"ts\":{:.3}}}",
                t0 + dur
            )?;
        }
    }
    Ok(())
}
