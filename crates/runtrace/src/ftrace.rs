//! An emulated run written as Linux ftrace text (`/sys/kernel/tracing/trace` layout), so a
//! run of the Linux model reads back through the trace crate's ftrace parser with the same
//! `Kind`s as a capture: `tlb_flush`, `csd_queue_cpu`, `csd_function_entry/exit`,
//! `ipi_send_cpu[mask]` and the `call_function[_single]_entry/exit` vectors
//! (include/trace/events/{tlb,csd,ipi}.h, arch/x86/include/asm/trace/irq_vectors.h).

use sdlab_trace::{Kind, Trace};
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

/// Write the Linux records of `trace` (other kinds are left out); one tick is one µs.
pub fn write(trace: &Trace, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# tracer: nop")?;
    writeln!(out, "#")?;
    writeln!(out, "# emulated by Shootdown Lab: one step per microsecond, not a capture")?;
    writeln!(out, "#")?;
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
        writeln!(
            out,
            "{:>16}-{:<7} [{:03}] d.h1. {:>6}.{:06}: {payload}",
            "emulated",
            0,
            e.cpu,
            e.ts / 1_000_000,
            e.ts % 1_000_000
        )?;
    }
    Ok(())
}
