//! An emulated run written as Linux ftrace text (`/sys/kernel/tracing/trace` layout), so a
//! run of the Linux model reads back through the trace crate's ftrace parser with the same
//! `Kind`s as a capture: `tlb_flush`, `csd_queue_cpu`, `csd_function_entry/exit`,
//! `ipi_send_cpu[mask]` and the `call_function[_single]_entry/exit` vectors
//! (include/trace/events/{tlb,csd,ipi}.h, arch/x86/include/asm/trace/irq_vectors.h).

use sdlab_trace::{Format, Kind, TimeBase, Trace};
use std::io::{self, Write};

/// x86 vectors the ftrace parser names (arch/x86/include/asm/irq_vectors.h).
const CALL_FUNCTION_SINGLE: u16 = 0xfb;
const CALL_FUNCTION: u16 = 0xfc;
const RESCHEDULE: u16 = 0xfd;

/// `tlb_flush`'s reason strings (include/linux/mm_types.h `tlb_flush_reason`, as printed by
/// include/trace/events/tlb.h); the parser reads only the number in parentheses.
fn reason_name(r: u8) -> &'static str {
    match r {
        0 => "flush on task switch",
        1 => "remote shootdown",
        2 => "local shootdown",
        3 => "local mm shootdown",
        4 => "remote ipi send",
        _ => "unknown",
    }
}

/// An event time in ns, by the trace's time base: ns as they are, ticks of a known frequency
/// scaled, and ticks of no stated frequency (emulated steps) read as one µs each, as the
/// ktrdump writer reads them (export/ktrdump.rs prints ns as a 1000 MHz TSC).
fn nanos(time: TimeBase, ts: u64) -> u64 {
    match time {
        TimeBase::Nanos => ts,
        TimeBase::Ticks { hz: Some(hz) } if hz > 0 => {
            u64::try_from(ts as u128 * 1_000_000_000 / hz as u128).unwrap_or(u64::MAX)
        }
        TimeBase::Ticks { .. } => ts.saturating_mul(1000),
    }
}

/// Write the Linux records of `trace` (other kinds are left out). Times are scaled by
/// `trace.time` to seconds; printed to the µs like the `trace` file when every time is a
/// whole µs, else to the ns like trace-cmd with a ns clock.
pub fn write(trace: &Trace, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# tracer: nop")?;
    writeln!(out, "#")?;
    match (trace.format, trace.time) {
        (Format::Emulated, _) => writeln!(out, "# emulated by Shootdown Lab: one step per microsecond, not a capture")?,
        (_, TimeBase::Ticks { hz: None | Some(0) }) => writeln!(
            out,
            "# converted by Shootdown Lab from {}: counter ticks of unknown frequency written as microseconds",
            trace.format.name()
        )?,
        _ => writeln!(out, "# converted by Shootdown Lab from {}", trace.format.name())?,
    }
    writeln!(out, "#")?;
    let micros = trace.events.iter().all(|e| nanos(trace.time, e.ts).is_multiple_of(1000));
    for e in &trace.events {
        let func = |sym: u32| trace.names.get(sym).to_owned();
        let payload = match e.kind {
            Kind::TlbFlush { pages, reason } => {
                format!("tlb_flush: pages:{pages} reason:{} ({reason})", reason_name(reason))
            }
            Kind::IpiSend { targets, vector, .. } => {
                let callback = match vector {
                    RESCHEDULE => "0x0",
                    _ => "generic_smp_call_function_single_interrupt+0x0/0x20",
                };
                if targets.count_ones() == 1 && vector != CALL_FUNCTION {
                    format!("ipi_send_cpu: cpu={} callsite=emulated callback={callback}", targets.trailing_zeros())
                } else {
                    format!(
                        "ipi_send_cpumask: cpumask={:08x},{:08x} callsite=emulated callback={callback}",
                        targets >> 32,
                        targets & 0xffff_ffff
                    )
                }
            }
            Kind::IrqEntry { vector } | Kind::IrqExit { vector } => {
                let name = match vector {
                    CALL_FUNCTION_SINGLE => "call_function_single",
                    CALL_FUNCTION => "call_function",
                    RESCHEDULE => "reschedule",
                    _ => continue,
                };
                let side = if matches!(e.kind, Kind::IrqEntry { .. }) { "entry" } else { "exit" };
                format!("{name}_{side}: vector={vector}")
            }
            Kind::CsdQueue { target, csd, func: f } => {
                format!("csd_queue_cpu: cpu={target} callsite=emulated func={} csd={csd:016x}", func(f))
            }
            Kind::CsdEntry { csd, func: f } => format!("csd_function_entry: func={}, csd={csd:016x}", func(f)),
            Kind::CsdExit { csd, func: f } => format!("csd_function_exit: func={}, csd={csd:016x}", func(f)),
            _ => continue,
        };
        let ns = nanos(trace.time, e.ts);
        let (secs, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
        write!(out, "{:>16}-{:<7} [{:03}] d.h1. ", "emulated", 0, e.cpu)?;
        if micros {
            writeln!(out, "{secs:>6}.{:06}: {payload}", frac / 1000)?;
        } else {
            writeln!(out, "{secs:>6}.{frac:09}: {payload}")?;
        }
    }
    Ok(())
}
