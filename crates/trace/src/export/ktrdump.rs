//! ktrdump text (research/trace-formats.md §1.2, §1.3, §2.2, §2.3).
//!
//! FreeBSD: `ktrdump -ct` — two header lines, then `"%6d %3d %16ju %s"` rows newest first
//! (as the real tool walks its ring backwards), IPI sends as KTR_SMP `ipi_selected: cpu: N
//! ipi: %x`, one row per target. DragonFly: `ktrdump -c -i -t -p` — the TSC line, then
//! each CPU's rows oldest first with the header repeated every 20 rows, a hex per-CPU
//! index, the `ipiq_*` IDs with their `IPIQ_STRING` payload.
//!
//! Timestamps are written as the trace's units (ns for Linux, steps for an emulated run)
//! and read back as ticks; DragonFly's are offset by [`TSC_BASE`].

use super::{fields, kind_name};
use crate::event::{Event, Kind, TimeBase, Trace};
use crate::replay::track_bits;
use std::io::{self, Write};

/// One FreeBSD message per record: IPI sends become one row per target.
fn freebsd_messages(trace: &Trace, e: &Event) -> Vec<String> {
    match e.kind {
        Kind::IpiSend { targets, vector, all_but_self } => {
            let mut m: Vec<String> = Vec::new();
            if all_but_self {
                m.push(format!("ipi_all_but_self: ipi: {vector:x}"));
            }
            m.extend(track_bits(targets).map(|t| format!("ipi_selected: cpu: {t} ipi: {vector:x}")));
            m
        }
        _ => {
            let mut s = kind_name(trace, &e.kind).to_string();
            for (k, v) in fields(trace, e) {
                s.push_str(&format!(" {k}: {v}"));
            }
            if let Some(colon) = s.find(' ') {
                s.insert(colon, ':');
            }
            vec![s]
        }
    }
}

/// `ktrdump -ct` of `trace`, newest first; the index column is the ring slot, as if the
/// ring held exactly these records. Streams: nothing is kept per record.
pub fn freebsd<W: Write>(trace: &Trace, out: &mut W) -> io::Result<()> {
    writeln!(out, "{:<6} {:<3} {:<16} trace", "index", "cpu", "timestamp")?;
    writeln!(out, "------ --- ---------------- ----- ")?;
    let records = |e: &Event| match e.kind {
        Kind::IpiSend { targets, all_but_self, .. } => targets.count_ones() as usize + usize::from(all_but_self),
        _ => 1,
    };
    let mut slot: usize = trace.events.iter().map(records).sum();
    for e in trace.events.iter().rev() {
        for msg in freebsd_messages(trace, e).iter().rev() {
            slot = slot.saturating_sub(1);
            writeln!(out, "{slot:6} {:3} {:16} {msg}", e.cpu, e.ts)?;
        }
    }
    Ok(())
}

/// IPIQ_STRING: `func=%p arg1=%p arg2=%d scpu=%d dcpu=%d` (arg1/arg2 are not kept).
fn ipiq(func: u64, scpu: u16, dcpu: u16) -> String {
    format!("func={} arg1=0x0 arg2=0 scpu={scpu} dcpu={dcpu}", pointer(func))
}

/// The BSD libc `%p`: `0x` and lower-case hex, `0x0` for null.
fn pointer(p: u64) -> String {
    format!("{p:#x}")
}

/// One DragonFly (ID, payload) per record: `ipiq_cpu_send` once per target of an IPI.
fn dragonfly_rows(trace: &Trace, e: &Event) -> Vec<(String, String)> {
    let id = |s: &str| s.to_string();
    match e.kind {
        Kind::IpiqSend { dcpu, func, .. } | Kind::IpiqSendFail { dcpu, func } | Kind::IpiqSendEnd { dcpu, func } => {
            vec![(id(kind_name(trace, &e.kind)), ipiq(func, e.cpu, dcpu))]
        }
        Kind::IpiqReceive { scpu, func } => vec![(id("ipiq_receive"), ipiq(func, scpu, e.cpu))],
        Kind::SyncStart { mask } => vec![(id("ipiq_sync_start"), format!("cpumask={mask:08x}"))],
        Kind::SyncEnd { mask } => vec![(id("ipiq_sync_end"), format!("cpumask={mask:08x}"))],
        Kind::SyncQuick { mask } => vec![(id("ipiq_sync_quick"), format!("cpumask={mask:08x}"))],
        Kind::IpiSend { targets, .. } => {
            track_bits(targets).map(|t| (id("ipiq_cpu_send"), ipiq(0, e.cpu, t))).collect()
        }
        _ => {
            let payload: Vec<String> = fields(trace, e).into_iter().map(|(k, v)| format!("{k}={v}")).collect();
            vec![(id(kind_name(trace, &e.kind)), payload.join(" "))]
        }
    }
}

/// Added to DragonFly timestamps: a real TSC is never near 0, and a column starting at 0
/// is how readers recognise relative (`-r`) times. Readers rebase to the first event, so
/// the events read back are the same.
const TSC_BASE: u64 = 1_000_000_000;

fn dragonfly_header<W: Write>(out: &mut W) -> io::Result<()> {
    writeln!(out, "{:<6} {:<3} {:<16} {:<20} trace", "index", "cpu", "timestamp", "ID")
}

/// `ktrdump -c -i -t -p` of `trace`: per-CPU blocks, oldest first.
pub fn dragonfly<W: Write>(trace: &Trace, out: &mut W) -> io::Result<()> {
    let mhz = match trace.time {
        TimeBase::Nanos => 1000.0,
        TimeBase::Ticks { hz: Some(hz) } => hz as f64 / 1e6,
        TimeBase::Ticks { hz: None } => 0.0,
    };
    writeln!(out, "TSC frequency is {mhz:6.3} MHz")?;
    // One block per CPU, in time order inside it: a stable sort by CPU, not a table indexed
    // by CPU number (a hand-made trace's CPU 65535 would make 65535 empty blocks).
    let mut by_cpu: Vec<&Event> = trace.events.iter().collect();
    by_cpu.sort_by_key(|e| e.cpu);
    for events in by_cpu.chunk_by(|a, b| a.cpu == b.cpu) {
        let cpu = events[0].cpu;
        let mut row: u32 = 0;
        for e in events {
            for (id, payload) in dragonfly_rows(trace, e) {
                if row.is_multiple_of(20) {
                    dragonfly_header(out)?;
                }
                let ts = e.ts.saturating_add(TSC_BASE);
                writeln!(out, " {:06x} {cpu:<3} {ts:<16} {id:<20} {payload}", row & 0xff_ffff)?;
                row = row.wrapping_add(1);
            }
        }
    }
    Ok(())
}
