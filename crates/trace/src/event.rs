//! The normalized record every parser produces and every consumer reads.
//!
//! An [`Event`] is `Copy` and small (no strings): text lives once in the trace's
//! [`Names`] table or in the original bytes, found again through `offset`. That keeps a
//! million events in a few tens of megabytes and lets the app send them to the page cheaply.

use serde::{Deserialize, Serialize};

/// Which dialect a file was read as (research/trace-formats.md §1–§3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    /// `/sys/kernel/tracing/trace` or `trace_pipe` text (4-, 5- or 8-character flags).
    LinuxFtrace,
    /// `trace-cmd report` (`cpus=N` first line).
    TraceCmd,
    /// ftrace latency format (`trace_options latency-format`, cpu glued to flags, `us` times).
    LinuxLatency,
    /// FreeBSD `ktrdump` (any of `-c -t -f -H -q -r`).
    FreeBsdKtr,
    /// DragonFly `ktrdump` (per-CPU blocks or `-s` merged, `TSC frequency` line).
    DragonFlyKtr,
    /// A run of the emulated machine (one tick per step), not read from a file.
    Emulated,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::LinuxFtrace => "linux-ftrace",
            Format::TraceCmd => "trace-cmd",
            Format::LinuxLatency => "linux-latency",
            Format::FreeBsdKtr => "freebsd-ktrdump",
            Format::DragonFlyKtr => "dragonfly-ktrdump",
            Format::Emulated => "emulated",
        }
    }
}

/// What `Event::ts` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeBase {
    /// Nanoseconds (Linux ftrace and trace-cmd with a ns clock; the latency format's µs scaled).
    Nanos,
    /// Counter ticks (ktr TSC, Linux `counter`/`x86-tsc` clocks, emulated steps). `hz` when the
    /// file states it (DragonFly's `TSC frequency is … MHz`) or the user gives it.
    Ticks { hz: Option<u64> },
}

/// A set of CPUs. Traces of machines with more than 64 CPUs keep every event, but IPI
/// targets beyond CPU 63 are dropped from the mask with a warning.
pub type CpuMask = u64;

/// CPU numbers at or above this are refused: the record is dropped with a located warning
/// (a header's CPU count above it is ignored the same way), so nothing sized per CPU (lanes,
/// snapshots, the IPI matrix, export tables) can be made huge by one hostile line such as
/// `[65535]` or `#P:65535`. 1024 is FreeBSD's amd64 `MAXCPU` (sys/amd64/include/param.h,
/// raised to 1024 for 14.0) and four times DragonFly's x86_64 `SMP_MAXCPU` (256); Linux
/// allows `NR_CPUS` up to 8192 with `MAXSMP`, but a trace of that many lanes is not
/// something the viewer can draw, and its records beyond CPU 1023 are warned about.
pub const CPU_LIMIT: u16 = 1024;

/// `n` as a CPU number when it is below [`CPU_LIMIT`].
#[inline]
pub(crate) fn cpu_number(n: u64) -> Option<u16> {
    (n < CPU_LIMIT as u64).then_some(n as u16)
}

/// The reason every reader gives for a record of a CPU at or above [`CPU_LIMIT`].
pub(crate) fn cpu_limit_reason(n: u64) -> String {
    format!("CPU {n} is above the {}-CPU limit; record dropped", CPU_LIMIT)
}

/// Index into [`Names`].
pub type Sym = u32;

/// How an ipiq message was sent (DragonFly `ipiq_send_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SendMode {
    Normal,
    Passive,
    NonBlocking,
}

/// What happened, normalized across kernels. Payload numbers are parsed; anything else
/// is `Other` with its event name interned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// An IPI raised by this CPU: Linux `ipi_send_cpu`/`ipi_send_cpumask`/`ipi_raise`,
    /// FreeBSD `ipi_selected`/`ipi_cpu`/`smp_targeted_tlb_shootdown`/`ipi_send` (one target
    /// each; arm's `ipi_selected` names none: `targets` 0; where per-target `ipi_send`
    /// records exist, only they), `ipi_all`/`ipi_self` (FreeBSD 5-8) and `ipi_all_but_self`
    /// (`all_but_self` set, targets unknown until the CPU count is),
    /// DragonFly `ipiq_cpu_send` (the hardware IPI actually raised).
    IpiSend {
        targets: CpuMask,
        vector: u16,
        all_but_self: bool,
    },
    /// Interrupt handler entry / exit on the receiving CPU (`call_function_entry`,
    /// `call_function_single_entry`, `reschedule_entry`, `ipi_entry`, …).
    IrqEntry {
        vector: u16,
    },
    IrqExit {
        vector: u16,
    },
    /// Linux `csd_queue_cpu`: a call-function request for `target` queued with this csd.
    CsdQueue {
        target: u16,
        csd: u64,
        func: Sym,
    },
    /// Linux `csd_function_entry` / `csd_function_exit` on the CPU running the request.
    CsdEntry {
        csd: u64,
        func: Sym,
    },
    CsdExit {
        csd: u64,
        func: Sym,
    },
    /// Linux `tlb_flush`: `pages` is -1 for a full flush; `reason` is the numeric code
    /// (0 task switch, 1 remote shootdown, 2 local shootdown, 3 local mm shootdown,
    /// 4 remote send IPI, 5 …), never the string, which changed in 2025.
    TlbFlush {
        pages: i64,
        reason: u8,
    },
    /// DragonFly `ipiq_send_{norm,pasv,nbio}`: a message enqueued on this CPU's ring to `dcpu`.
    /// `nbio` only comes from older kernels: current sys/kern/lwkt_ipiq.c declares no
    /// `send_nbio` or `send_fail` point, so nothing may depend on seeing them.
    IpiqSend {
        mode: SendMode,
        dcpu: u16,
        func: u64,
    },
    /// DragonFly `ipiq_send_fail` (older kernels only): non-blocking send refused, ring ≥ 2/3
    /// full.
    IpiqSendFail {
        dcpu: u16,
        func: u64,
    },
    /// DragonFly `ipiq_send_end`.
    IpiqSendEnd {
        dcpu: u16,
        func: u64,
    },
    /// DragonFly `ipiq_receive`, logged on the destination: a message from `scpu` dequeued.
    IpiqReceive {
        scpu: u16,
        func: u64,
    },
    /// DragonFly `ipiq_sync_start` / `ipiq_sync_end` (cpusync rendezvous, low 64 bits).
    SyncStart {
        mask: CpuMask,
    },
    SyncEnd {
        mask: CpuMask,
    },
    /// DragonFly `ipiq_sync_quick` (lwkt_cpusync_quick): a cpusync whose targets are not
    /// quiesced, logged once the messages are sent; no record marks its end.
    SyncQuick {
        mask: CpuMask,
    },
    /// Linux `sched_switch`.
    SchedSwitch {
        next_pid: u32,
    },
    /// A marker the user wrote (`tracing_mark_write`, `print`).
    Marker,
    /// Events were lost on this CPU before this point (`LOST n EVENTS`, `EVENTS DROPPED`,
    /// `buffer started`); `count` is 0 when the file does not say how many.
    Lost {
        count: u64,
    },
    /// Anything else, by name.
    Other {
        name: Sym,
    },
    /// A function of the shootdown path entered / returned, from `function_graph` output
    /// (`flush_tlb_mm_range() {` … `}`); other functions of such a trace are not kept.
    FuncEntry {
        func: Sym,
    },
    FuncExit {
        func: Sym,
    },
}

impl Kind {
    /// The event's kernel-facing name, one per kind (every IPI-queue send mode is
    /// `ipiq_send`; a foreign event is `other`). The exports name sends by mode and a
    /// foreign event by its own name: `export::kind_name`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::IpiSend { .. } => "ipi_send",
            Kind::IrqEntry { .. } => "irq_entry",
            Kind::IrqExit { .. } => "irq_exit",
            Kind::CsdQueue { .. } => "csd_queue_cpu",
            Kind::CsdEntry { .. } => "csd_function_entry",
            Kind::CsdExit { .. } => "csd_function_exit",
            Kind::TlbFlush { .. } => "tlb_flush",
            Kind::IpiqSend { .. } => "ipiq_send",
            Kind::IpiqSendFail { .. } => "ipiq_send_fail",
            Kind::IpiqSendEnd { .. } => "ipiq_send_end",
            Kind::IpiqReceive { .. } => "ipiq_receive",
            Kind::SyncStart { .. } => "ipiq_sync_start",
            Kind::SyncEnd { .. } => "ipiq_sync_end",
            Kind::SyncQuick { .. } => "ipiq_sync_quick",
            Kind::SchedSwitch { .. } => "sched_switch",
            Kind::Marker => "marker",
            Kind::Lost { .. } => "lost",
            Kind::Other { .. } => "other",
            Kind::FuncEntry { .. } => "funcgraph_entry",
            Kind::FuncExit { .. } => "funcgraph_exit",
        }
    }
}

/// One normalized trace record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Event {
    /// Time in the trace's [`TimeBase`], rebased so the earliest event of the file is 0.
    pub ts: u64,
    pub cpu: u16,
    /// 1-based line number of the record in the file.
    pub line: u32,
    /// Byte offset of that line's start, to show the raw text.
    pub offset: u64,
    pub kind: Kind,
}

/// Interned names (event names, Linux function symbols).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    list: Vec<String>,
    #[serde(skip)]
    index: std::collections::HashMap<String, Sym>,
}

impl Names {
    pub fn intern(&mut self, s: &str) -> Sym {
        if self.index.is_empty() && !self.list.is_empty() {
            self.rebuild();
        }
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as Sym;
        self.list.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }

    pub fn get(&self, sym: Sym) -> &str {
        self.list.get(sym as usize).map_or("?", String::as_str)
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    fn rebuild(&mut self) {
        self.index = self.list.iter().enumerate().map(|(i, s)| (s.clone(), i as Sym)).collect();
    }
}

/// Which stage of reading found a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WarningClass {
    /// The line could not be split into fields (not a record of the detected format).
    Tokenize,
    /// The fields were there but a value was not understood.
    Parse,
    /// The records parsed but do not fit together (an orphan receive, an unmatched csd).
    Reconstruct,
}

/// A located complaint about the input. The rest of the file still loads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub line: u32,
    pub offset: u64,
    pub class: WarningClass,
    pub reason: String,
}

/// A parsed trace: events sorted by `(ts, line)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trace {
    pub format: Format,
    pub time: TimeBase,
    pub events: Vec<Event>,
    /// One more than the highest CPU number seen (or stated by the file's header).
    pub cpus: u16,
    pub names: Names,
    /// The first [`MAX_WARNINGS`] warnings; `warning_count` counts them all.
    pub warnings: Vec<Warning>,
    pub warning_count: u64,
    pub lines: u64,
    pub bytes: u64,
}

/// Warnings kept with their text; the rest are only counted.
pub const MAX_WARNINGS: usize = 10_000;
