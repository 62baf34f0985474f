//! Event kinds as the Traces mode groups them: one colour, one legend entry and one
//! filter checkbox per group. Colours are Okabe–Ito (colour-blind safe); lanes are
//! labelled by number, so CPU colours are not needed on the canvas.

use sdlab_trace::{Kind, Names};

/// CPU badge colours: the Okabe–Ito order the stepper's CPU cards use, so CPU 1 is the
/// same sky blue in both modes.
const CPU_COLOURS: [&str; 8] = ["#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442", "#999999"];

pub fn cpu_colour(c: usize) -> &'static str {
    CPU_COLOURS[c % CPU_COLOURS.len()]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cat {
    IpiSend,
    Handler,
    CsdQueue,
    CsdFunc,
    TlbFlush,
    Ipiq,
    Sync,
    Switch,
    Marker,
    Other,
}

pub const CATS: [Cat; 10] = [
    Cat::IpiSend,
    Cat::Handler,
    Cat::CsdQueue,
    Cat::CsdFunc,
    Cat::TlbFlush,
    Cat::Ipiq,
    Cat::Sync,
    Cat::Switch,
    Cat::Marker,
    Cat::Other,
];

impl Cat {
    pub fn of(k: &Kind) -> Cat {
        match k {
            Kind::IpiSend { .. } => Cat::IpiSend,
            Kind::IrqEntry { .. } | Kind::IrqExit { .. } => Cat::Handler,
            Kind::CsdQueue { .. } => Cat::CsdQueue,
            Kind::CsdEntry { .. } | Kind::CsdExit { .. } => Cat::CsdFunc,
            Kind::TlbFlush { .. } => Cat::TlbFlush,
            Kind::IpiqSend { .. } | Kind::IpiqSendFail { .. } | Kind::IpiqSendEnd { .. } | Kind::IpiqReceive { .. } => {
                Cat::Ipiq
            }
            Kind::SyncStart { .. } | Kind::SyncEnd { .. } | Kind::SyncQuick { .. } => Cat::Sync,
            Kind::SchedSwitch { .. } => Cat::Switch,
            Kind::Marker | Kind::Lost { .. } => Cat::Marker,
            Kind::Other { .. } | Kind::FuncEntry { .. } | Kind::FuncExit { .. } => Cat::Other,
        }
    }

    pub fn index(self) -> usize {
        CATS.iter().position(|&c| c == self).unwrap_or(0)
    }

    pub fn bit(self) -> u16 {
        1 << self.index()
    }

    pub fn label(self) -> &'static str {
        match self {
            Cat::IpiSend => "IPI send",
            Cat::Handler => "IRQ handler",
            Cat::CsdQueue => "csd queued",
            Cat::CsdFunc => "csd function",
            Cat::TlbFlush => "TLB flush",
            Cat::Ipiq => "ipiq ring",
            Cat::Sync => "cpusync",
            Cat::Switch => "context switch",
            Cat::Marker => "marker / lost",
            Cat::Other => "other",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Cat::IpiSend => "ipi",
            Cat::Handler => "irq",
            Cat::CsdQueue => "csdq",
            Cat::CsdFunc => "csdf",
            Cat::TlbFlush => "flush",
            Cat::Ipiq => "ipiq",
            Cat::Sync => "sync",
            Cat::Switch => "switch",
            Cat::Marker => "marker",
            Cat::Other => "other",
        }
    }

    pub fn colour(self) -> &'static str {
        match self {
            Cat::IpiSend => "#D55E00",
            Cat::Handler => "#0072B2",
            Cat::CsdQueue => "#E69F00",
            Cat::CsdFunc => "#56B4E9",
            Cat::TlbFlush => "#009E73",
            Cat::Ipiq => "#CC79A7",
            Cat::Sync => "#8c6d00",
            Cat::Switch => "#999999",
            Cat::Marker => "#000000",
            Cat::Other => "#bbbbbb",
        }
    }

    /// Mark height as a fraction of the lane: the shootdown's own events stand out from
    /// the background traffic even in grey-scale.
    pub fn height(self) -> f64 {
        match self {
            Cat::IpiSend | Cat::TlbFlush | Cat::Marker => 1.0,
            Cat::CsdQueue | Cat::CsdFunc | Cat::Ipiq | Cat::Sync => 0.75,
            Cat::Handler => 0.6,
            Cat::Switch | Cat::Other => 0.4,
        }
    }
}

/// Linux `tlb_flush` reason codes (trace-formats.md): the number is stable, the text changed.
pub fn flush_reason(code: u8) -> &'static str {
    match code {
        0 => "flush on task switch",
        1 => "remote shootdown",
        2 => "local shootdown",
        3 => "local mm shootdown",
        4 => "remote ipi send",
        _ => "other reason",
    }
}

/// The event's name and fields in one line, as the details panel and the step log show.
pub fn describe(k: &Kind, names: &Names) -> String {
    match *k {
        Kind::IpiSend { targets, vector, all_but_self } => {
            let to = if all_but_self { "all but self".to_string() } else { mask_list(targets) };
            if vector > 0 {
                format!("IPI send → {to} (vector {vector})")
            } else {
                format!("IPI send → {to}")
            }
        }
        Kind::IrqEntry { vector } => format!("handler entry, vector {vector}"),
        Kind::IrqExit { vector } => format!("handler exit, vector {vector}"),
        Kind::CsdQueue { target, csd, func } => format!("csd queued for CPU {target}: {} csd={csd:x}", names.get(func)),
        Kind::CsdEntry { csd, func } => format!("csd function entry: {} csd={csd:x}", names.get(func)),
        Kind::CsdExit { csd, func } => format!("csd function exit: {} csd={csd:x}", names.get(func)),
        Kind::TlbFlush { pages, reason } => {
            let p = if pages < 0 { "full".to_string() } else { format!("{pages} pages") };
            format!("TLB flush, {p}, {} ({reason})", flush_reason(reason))
        }
        Kind::IpiqSend { mode, dcpu, func } => format!("ipiq send ({mode:?}) → CPU {dcpu}, func {func:#x}"),
        Kind::IpiqSendFail { dcpu, func } => format!("ipiq send refused (ring full) → CPU {dcpu}, func {func:#x}"),
        Kind::IpiqSendEnd { dcpu, func } => format!("ipiq send end → CPU {dcpu}, func {func:#x}"),
        Kind::IpiqReceive { scpu, func } => format!("ipiq receive from CPU {scpu}, func {func:#x}"),
        Kind::SyncStart { mask } => format!("cpusync start, CPUs {}", mask_list(mask)),
        Kind::SyncEnd { mask } => format!("cpusync end, CPUs {}", mask_list(mask)),
        Kind::SyncQuick { mask } => format!("quick cpusync, CPUs {}", mask_list(mask)),
        Kind::SchedSwitch { next_pid } => format!("context switch to pid {next_pid}"),
        Kind::Marker => "marker".to_string(),
        Kind::Lost { count } if count > 0 => format!("{count} events lost"),
        Kind::Lost { .. } => "events lost".to_string(),
        Kind::Other { name } => names.get(name).to_string(),
        Kind::FuncEntry { func } => format!("{}() entered", names.get(func)),
        Kind::FuncExit { func } => format!("{}() returned", names.get(func)),
    }
}

pub fn mask_list(mask: u64) -> String {
    let cpus: Vec<String> = (0..64).filter(|c| mask >> c & 1 == 1).map(|c| c.to_string()).collect();
    if cpus.is_empty() {
        "none".into()
    } else {
        format!("CPU {}", cpus.join(","))
    }
}
