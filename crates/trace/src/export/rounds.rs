//! Rounds as CSV: one row per shootdown round (`rounds_csv`) and one row per target of a
//! round (`legs_csv`), so that a fleet's captures can be queried with the engines people
//! already run (DuckDB on one machine, Spark or Trino on a cluster) instead of this tool.
//!
//! Times are in the trace's unit: microseconds when the trace's clock converts to them,
//! else ticks (the `time_unit` column says which). A round's `start` is its time from the
//! first event of the file; the per-target times are relative to the round's start, so
//! that they read as phases (delivery, handler, flush, done). Per-target columns of the
//! rounds file are lists in DuckDB's literal syntax (`[1.5, NULL, 3]`, in the order of the
//! `targets` list), which `CAST(col AS DOUBLE[])` reads; the legs file has the same
//! numbers one target per row.

use crate::event::{TimeBase, Trace};
use crate::replay::{Leg, Replay, Round};
use std::io::{self, Write};

/// Header of [`rounds_csv`].
pub const ROUND_COLUMNS: &str =
    "trace,round,kind,initiator,targets,start_line,start,end_line,latency,time_unit,pages,vector,\
received,flushed,done,evidence";

/// Header of [`legs_csv`].
pub const LEG_COLUMNS: &str =
    "trace,round,kind,initiator,target,queued,received,flushed,done,queued_line,received_line,done_line,time_unit,evidence";

/// How a trace's ticks become the CSV's numbers.
#[derive(Clone, Copy)]
struct Clock {
    us_per_tick: Option<f64>,
}

impl Clock {
    fn of(trace: &Trace) -> Clock {
        let us_per_tick = match trace.time {
            TimeBase::Nanos => Some(1e-3),
            TimeBase::Ticks { hz: Some(hz) } if hz > 0 => Some(1e6 / hz as f64),
            TimeBase::Ticks { .. } => None,
        };
        Clock { us_per_tick }
    }

    fn unit(self) -> &'static str {
        if self.us_per_tick.is_some() {
            "us"
        } else {
            "ticks"
        }
    }

    /// A duration or time, written in the unit: µs with nanosecond precision, or whole ticks.
    fn show(self, ticks: i128) -> String {
        match self.us_per_tick {
            Some(k) => {
                let us = ticks as f64 * k;
                let s = format!("{us:.3}");
                // `-0.000` reads as a negative time in a query; a zero is a zero.
                if s == "-0.000" {
                    "0.000".into()
                } else {
                    s
                }
            }
            None => ticks.to_string(),
        }
    }
}

/// A field quoted when it holds a separator, a quote or a line break (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn ts(trace: &Trace, index: Option<u32>) -> Option<u64> {
    trace.events.get(index? as usize).map(|e| e.ts)
}

fn line(trace: &Trace, index: Option<u32>) -> String {
    index.and_then(|i| trace.events.get(i as usize)).map_or(String::new(), |e| e.line.to_string())
}

/// Time of `index` after the round's start, in the clock's unit; empty when unknown.
fn since(trace: &Trace, clock: Clock, start: u64, index: Option<u32>) -> Option<String> {
    ts(trace, index).map(|t| clock.show(i128::from(t) - i128::from(start)))
}

fn list(items: impl Iterator<Item = Option<String>>) -> String {
    let inner: Vec<String> = items.map(|x| x.unwrap_or_else(|| "NULL".into())).collect();
    format!("[{}]", inner.join(", "))
}

fn evidence(replay: &Replay) -> &'static str {
    replay.evidence.map_or("", |e| e.name())
}

fn start_of(trace: &Trace, r: &Round) -> u64 {
    ts(trace, Some(r.start)).unwrap_or(0)
}

/// One row per round of `replay`, after a header. `name` labels the trace in every row
/// (a file name, so that many traces' rows can be concatenated).
pub fn rounds_csv<W: Write + ?Sized>(name: &str, trace: &Trace, replay: &Replay, out: &mut W) -> io::Result<()> {
    let clock = Clock::of(trace);
    let name = field(name);
    writeln!(out, "{ROUND_COLUMNS}")?;
    for (k, r) in replay.rounds.iter().enumerate() {
        let start = start_of(trace, r);
        let legs = |f: fn(&Leg) -> Option<u32>| list(r.legs.iter().map(|l| since(trace, clock, start, f(l))));
        let targets: Vec<String> = r.legs.iter().map(|l| l.cpu.to_string()).collect();
        writeln!(
            out,
            "{name},{k},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.kind.name(),
            r.initiator,
            field(&format!("[{}]", targets.join(", "))),
            line(trace, Some(r.start)),
            clock.show(i128::from(start)),
            line(trace, r.end),
            r.latency(trace).map_or(String::new(), |l| clock.show(i128::from(l))),
            clock.unit(),
            r.pages.map_or(String::new(), |p| p.to_string()),
            r.vector.map_or(String::new(), |v| v.to_string()),
            field(&legs(|l| l.received)),
            field(&legs(|l| l.flushed)),
            field(&legs(|l| l.done)),
            evidence(replay),
        )?;
    }
    Ok(())
}

/// One row per target of every round, after a header: the long form of [`rounds_csv`]'s
/// per-target lists, with the line of each event so that a row leads back to the file.
pub fn legs_csv<W: Write + ?Sized>(name: &str, trace: &Trace, replay: &Replay, out: &mut W) -> io::Result<()> {
    let clock = Clock::of(trace);
    let name = field(name);
    writeln!(out, "{LEG_COLUMNS}")?;
    for (k, r) in replay.rounds.iter().enumerate() {
        let start = start_of(trace, r);
        for l in &r.legs {
            let t = |i: Option<u32>| since(trace, clock, start, i).unwrap_or_default();
            writeln!(
                out,
                "{name},{k},{},{},{},{},{},{},{},{},{},{},{},{}",
                r.kind.name(),
                r.initiator,
                l.cpu,
                t(l.queued),
                t(l.received),
                t(l.flushed),
                t(l.done),
                line(trace, l.queued),
                line(trace, l.received),
                line(trace, l.done),
                clock.unit(),
                evidence(replay),
            )?;
        }
    }
    Ok(())
}
