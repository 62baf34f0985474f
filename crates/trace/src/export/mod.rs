//! Writers: Perfetto / Chrome JSON (IPIs as flow arrows) and ktrdump text in the FreeBSD
//! and DragonFly layouts. Every writer takes a [`Trace`], so a parsed file and an emulated
//! run (`Format::Emulated`, made by the app from a stepper run) export the same way.
//!
//! The ktrdump writers print the events each format has natively (FreeBSD KTR_SMP
//! `ipi_selected`, DragonFly `ipiq_*`) exactly as the kernels' format strings do, so the
//! project's parsers read them back to the same events; other kinds become readable
//! `name: key: value` lines (FreeBSD) or `name` + `key=value` rows (DragonFly).

mod ktrdump;
mod perfetto;
mod rounds;

pub use ktrdump::{dragonfly, freebsd};
pub use perfetto::perfetto;
pub use rounds::{legs_csv, rounds_csv, LEG_COLUMNS, ROUND_COLUMNS};

use crate::event::{Event, Kind, SendMode, Trace};

/// Event name as the replay and the exports label it.
pub fn kind_name<'a>(trace: &'a Trace, kind: &Kind) -> &'a str {
    match *kind {
        Kind::IpiqSend { mode: SendMode::Normal, .. } => "ipiq_send_norm",
        Kind::IpiqSend { mode: SendMode::Passive, .. } => "ipiq_send_pasv",
        Kind::IpiqSend { mode: SendMode::NonBlocking, .. } => "ipiq_send_nbio",
        Kind::Other { name } => trace.names.get(name),
        ref k => k.name(),
    }
}

/// An event's payload as (key, value) pairs, values already rendered.
pub fn fields(trace: &Trace, e: &Event) -> Vec<(&'static str, String)> {
    let hex = |v: u64| format!("{v:#x}");
    match e.kind {
        Kind::IpiSend { targets, vector, all_but_self } => {
            let mut f = vec![("targets", format!("{targets:#x}")), ("vector", vector.to_string())];
            if all_but_self {
                f.push(("all_but_self", "1".into()));
            }
            f
        }
        Kind::IrqEntry { vector } | Kind::IrqExit { vector } => vec![("vector", vector.to_string())],
        Kind::CsdQueue { target, csd, func } => {
            vec![("cpu", target.to_string()), ("func", trace.names.get(func).into()), ("csd", hex(csd))]
        }
        Kind::CsdEntry { csd, func } | Kind::CsdExit { csd, func } => {
            vec![("func", trace.names.get(func).into()), ("csd", hex(csd))]
        }
        Kind::TlbFlush { pages, reason } => vec![("pages", pages.to_string()), ("reason", reason.to_string())],
        Kind::IpiqSend { dcpu, func, .. } | Kind::IpiqSendFail { dcpu, func } | Kind::IpiqSendEnd { dcpu, func } => {
            vec![("func", hex(func)), ("scpu", e.cpu.to_string()), ("dcpu", dcpu.to_string())]
        }
        Kind::IpiqReceive { scpu, func } => {
            vec![("func", hex(func)), ("scpu", scpu.to_string()), ("dcpu", e.cpu.to_string())]
        }
        Kind::SyncStart { mask } | Kind::SyncEnd { mask } | Kind::SyncQuick { mask } => {
            vec![("cpumask", format!("{mask:08x}"))]
        }
        Kind::SchedSwitch { next_pid } => vec![("next_pid", next_pid.to_string())],
        Kind::Lost { count } => vec![("count", count.to_string())],
        Kind::FuncEntry { func } | Kind::FuncExit { func } => vec![("func", trace.names.get(func).into())],
        Kind::Marker | Kind::Other { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
