//! An emulated run, seen as a kernel trace.
//!
//! Each step of a [`Session`] becomes one tick of time; the effects that a real kernel's
//! tracepoints would record become normalized [`Event`]s: IPIs sent and taken, handler
//! entry and exit, TLB invalidations (as Linux `tlb_flush` reasons), and the model's own
//! `ktr(...)` trace points. The trace crate's exporters then write it as ktrdump text or
//! Perfetto JSON, and the Traces view replays it like a capture.

pub mod conform;
pub mod ftrace;

use sdlab_engine::machine::{Effect, Machine};
use sdlab_engine::session::LogEntry;
use sdlab_engine::Session;
use sdlab_trace::{Event, Format, Kind, Names, SendMode, TimeBase, Trace};

/// Linux `tlb_flush` reason codes (research/trace-formats.md §3.1): the trace view groups
/// flushes by them, so the emulated ones say whether they ran in a handler.
const REASON_REMOTE_SHOOTDOWN: u8 = 1;
const REASON_LOCAL_SHOOTDOWN: u8 = 2;

/// The NMI has no LAPIC vector; x86 delivers it through IDT entry 2.
const NMI_VECTOR: u16 = 2;

/// The run so far as a trace (one tick per step).
pub fn session_to_trace(session: &Session) -> Trace {
    log_to_trace(session.machine(), session.log())
}

/// The steps of `log`, run on `machine`, as a trace.
pub fn log_to_trace(machine: &Machine, log: &[LogEntry]) -> Trace {
    let mut b = Builder::new(machine);
    // Trace points a thread passes before its first step belong to time 0.
    for fx in machine.initial_effects() {
        b.effect(machine, 0, fx);
    }
    for (step, entry) in log.iter().enumerate() {
        b.step(machine, step as u64, entry);
    }
    b.finish(log.len())
}

/// The Linux function name of the csd requests a model's `csd_queue_cpu` trace points
/// queue: the bundled Linux model queues nothing else.
pub const CSD_FUNC: &str = "flush_tlb_func";

/// The x86 vector a model's vector index stands for (`vector CALL_FUNCTION = 0xfb;`), as a
/// kernel trace records it; the index itself when the program does not declare it.
pub fn vector_number(m: &Machine, index: u8) -> u16 {
    m.prog().vectors.get(usize::from(index)).map_or(u16::from(index), |v| u16::from(v.number))
}

/// Turns effects into events; also used one step at a time by [`conform`], so a replayed
/// trace and an emulated one are read through the same mapping.
pub(crate) struct Builder {
    pub(crate) events: Vec<Event>,
    pub(crate) names: Names,
    /// Interrupt nesting per CPU: a flush inside a handler is a remote shootdown.
    handler_depth: Vec<u32>,
    cpus: usize,
    /// The model declares the kernel's own `tlb_flush` trace point (the Linux model does):
    /// its records, with the kernel's reason and size, replace the generic ones derived
    /// from TLB effects, which would otherwise appear twice.
    own_tlb_flush: bool,
}

impl Builder {
    pub(crate) fn new(m: &Machine) -> Builder {
        let cpus = m.ncpu();
        let own_tlb_flush = m.prog().ktr_names.iter().any(|n| n == "tlb_flush");
        Builder { events: Vec::new(), names: Names::default(), handler_depth: vec![0; cpus], cpus, own_tlb_flush }
    }

    fn push(&mut self, ts: u64, cpu: u8, kind: Kind) {
        // `line` is the step number (1-based) so a warning or a click on an emulated event
        // leads back to the stepper's timeline.
        self.events.push(Event { ts, cpu: cpu as u16, line: ts as u32 + 1, offset: 0, kind });
    }

    fn other(&mut self, ts: u64, cpu: u8, name: &str) {
        let name = self.names.intern(name);
        self.push(ts, cpu, Kind::Other { name });
    }

    /// Forget the events pushed so far (the names stay interned).
    pub(crate) fn clear(&mut self) {
        self.events.clear();
    }

    fn step(&mut self, m: &Machine, ts: u64, entry: &LogEntry) {
        for fx in &entry.effects {
            self.effect(m, ts, fx);
        }
        if let Some(v) = &entry.violation {
            // An identifier, as ktrdump IDs are: `violation_G_STALE`.
            let id: String =
                v.property.code().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
            self.other(ts, v.cpu, &format!("violation_{id}"));
        }
    }

    pub(crate) fn effect(&mut self, m: &Machine, ts: u64, fx: &Effect) {
        match *fx {
            Effect::IpiSent { cpu, targets, vector } => {
                let targets = u64::from(targets);
                self.push(ts, cpu, Kind::IpiSend { targets, vector: vector_number(m, vector), all_but_self: false });
            }
            Effect::IrqEnter { cpu, vector } => {
                self.enter(cpu);
                self.push(ts, cpu, Kind::IrqEntry { vector: vector_number(m, vector) });
            }
            Effect::Iret { cpu, vector } => {
                self.leave(cpu);
                self.push(ts, cpu, Kind::IrqExit { vector: vector_number(m, vector) });
            }
            Effect::NmiEnter { cpu } => {
                self.enter(cpu);
                self.push(ts, cpu, Kind::IrqEntry { vector: NMI_VECTOR });
            }
            Effect::NmiExit { cpu } => {
                self.leave(cpu);
                self.push(ts, cpu, Kind::IrqExit { vector: NMI_VECTOR });
            }
            Effect::TlbInvalidate { .. } | Effect::TlbFlush { .. } if self.own_tlb_flush => {}
            Effect::TlbInvalidate { cpu, .. } => {
                let reason = self.reason(cpu);
                self.push(ts, cpu, Kind::TlbFlush { pages: 1, reason });
            }
            Effect::TlbFlush { cpu, .. } => {
                let reason = self.reason(cpu);
                self.push(ts, cpu, Kind::TlbFlush { pages: -1, reason });
            }
            Effect::UserAccess { cpu, stale: true, .. } => self.other(ts, cpu, "stale_tlb_use"),
            Effect::FrameFree { cpu, .. } => self.other(ts, cpu, "free_page"),
            // No kernel tracepoint records INVLPGB (§7.11): named records, so a run of the
            // broadcast flush still shows where each invalidation went out and landed.
            Effect::BcastIssue { cpu, .. } => self.other(ts, cpu, "invlpgb"),
            Effect::BcastReach { cpu, .. } => self.other(ts, cpu, "invlpgb_arrive"),
            Effect::Tlbsync { cpu } => self.other(ts, cpu, "tlbsync"),
            Effect::Ktr { cpu, name, .. } => self.ktr(ts, cpu, m.prog().ktr_name(name), fx.ktr_args()),
            Effect::Call { cpu, proc } => {
                let name = m.prog().procs.get(proc as usize).map_or("?", |p| p.name.as_str()).to_owned();
                self.other(ts, cpu, &name);
            }
            _ => {}
        }
    }

    /// A model's `ktr(NAME, ...)` trace point, read in the order of the kernel record it
    /// imitates: DragonFly's IPIQ_STRING puts the function first and the peer CPU last
    /// (`ktr(ipiq_send_norm, func, arg, dcpu)`), the cpusync records carry only the mask.
    fn ktr(&mut self, ts: u64, cpu: u8, name: &str, args: &[i32]) {
        let peer = args.last().map_or(0, |&a| a.clamp(0, i32::from(u16::MAX)) as u16);
        let func = if args.len() >= 2 { args[0] as u32 as u64 } else { 0 };
        let mask = args.first().map_or(0, |&a| a as u32 as u64);
        let arg = |i: usize| args.get(i).copied().unwrap_or(0);
        let kind = match name {
            // Linux tracepoints (include/trace/events/tlb.h, csd.h), arguments in the
            // order the model writes them: tlb_flush(reason, pages), csd_queue_cpu(cpu,
            // csd), csd_function_entry/exit(csd); csd 0 is the NULL csd of a local call.
            "tlb_flush" => Kind::TlbFlush { pages: i64::from(arg(1)), reason: arg(0).clamp(0, 255) as u8 },
            "csd_queue_cpu" => {
                let func = self.names.intern(CSD_FUNC);
                Kind::CsdQueue { target: arg(0).clamp(0, i32::from(u16::MAX)) as u16, csd: arg(1) as u32 as u64, func }
            }
            "csd_function_entry" => Kind::CsdEntry { csd: arg(0) as u32 as u64, func: self.names.intern(CSD_FUNC) },
            "csd_function_exit" => Kind::CsdExit { csd: arg(0) as u32 as u64, func: self.names.intern(CSD_FUNC) },
            // The hardware IPI itself is already in the trace (from `IpiSent`); these records
            // restate it per target, as the kernels log it.
            "ipi_selected" | "ipi_cpu" | "smp_targeted_tlb_shootdown" | "ipiq_cpu_send" => return,
            "ipiq_send_norm" => Kind::IpiqSend { mode: SendMode::Normal, dcpu: peer, func },
            "ipiq_send_pasv" => Kind::IpiqSend { mode: SendMode::Passive, dcpu: peer, func },
            "ipiq_send_nbio" => Kind::IpiqSend { mode: SendMode::NonBlocking, dcpu: peer, func },
            "ipiq_send_fail" => Kind::IpiqSendFail { dcpu: peer, func },
            "ipiq_send_end" => Kind::IpiqSendEnd { dcpu: peer, func },
            "ipiq_receive" => Kind::IpiqReceive { scpu: peer, func },
            "ipiq_sync_start" => Kind::SyncStart { mask },
            "ipiq_sync_end" => Kind::SyncEnd { mask },
            other => {
                let name = self.names.intern(other);
                Kind::Other { name }
            }
        };
        self.push(ts, cpu, kind);
    }

    fn enter(&mut self, cpu: u8) {
        if let Some(d) = self.handler_depth.get_mut(cpu as usize) {
            *d += 1;
        }
    }

    fn leave(&mut self, cpu: u8) {
        if let Some(d) = self.handler_depth.get_mut(cpu as usize) {
            *d = d.saturating_sub(1);
        }
    }

    fn reason(&self, cpu: u8) -> u8 {
        match self.handler_depth.get(cpu as usize) {
            Some(&d) if d > 0 => REASON_REMOTE_SHOOTDOWN,
            _ => REASON_LOCAL_SHOOTDOWN,
        }
    }

    pub(crate) fn finish(self, steps: usize) -> Trace {
        Trace {
            format: Format::Emulated,
            time: TimeBase::Ticks { hz: None },
            events: self.events,
            cpus: self.cpus as u16,
            names: self.names,
            warnings: Vec::new(),
            warning_count: 0,
            lines: steps as u64,
            bytes: 0,
        }
    }
}
