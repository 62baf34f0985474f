//! The one pass over the events: small per-protocol trackers that pair sends with
//! receives and build rounds, bars and state deltas.

use super::{Arrow, ArrowKind, Bar, BarKind, Delta, Evidence, Leg, Op, Replay, RingSample, Round, RoundKind};
use crate::event::{CpuMask, Event, Format, Kind, Sym, Trace, Warning, WarningClass, CPU_LIMIT, MAX_WARNINGS};
use std::collections::{HashMap, HashSet, VecDeque};

/// x86 Linux IPI vectors a `ipi_send_*` can land on: call-function-single (251),
/// call-function (252), reschedule (253). A send whose vector the file does not give
/// (0) pairs with the target's next handler entry on one of these.
const LINUX_IPI_VECTORS: [u16; 3] = [251, 252, 253];

/// The x86 reschedule vector; ARM's "Rescheduling interrupts" reason reads as it too.
const LINUX_RESCHEDULE_VECTOR: u16 = 253;

/// `tlb_flush` reason codes (numeric, the strings changed in 2025).
const REASON_REMOTE_SHOOTDOWN: u8 = 1;
const REASON_LOCAL_SHOOTDOWN: u8 = 2;
const REASON_LOCAL_MM_SHOOTDOWN: u8 = 3;
const REASON_REMOTE_SEND: u8 = 4;

/// The x86 IPI vectors that carry TLB (and cache) invalidation on FreeBSD 9.0 and later,
/// from sys/x86/include/apicvar.h (APIC_IPI_INTS = 243 = 0xf3): IPI_INVLTLB (12 and
/// earlier) / IPI_INVLOP (13 and later, amd64) 0xf4, IPI_INVLPG 0xf5, IPI_INVLRNG 0xf6,
/// IPI_INVLCACHE 0xf7. FreeBSD 13+ amd64 logs no `smp_targeted_tlb_shootdown`: its rounds
/// are `ipi_selected`/`ipi_all_but_self` records of IPI_INVLOP. Other sends are not rounds:
/// IPI_RENDEZVOUS 0xf3, IPI_STOP 0xf9, IPI_SUSPEND 0xfa, IPI_SWI 0xfb, and the bitmapped
/// IPIs logged by bit number before they are mapped to IPI_BITMAP_VECTOR (IPI_AST 0,
/// IPI_PREEMPT 1, IPI_HARDCLOCK 2, IPI_TRACE 3). FreeBSD 7-8 had APIC_IPI_INTS = 242
/// (IPI_INVLTLB 0xf3 … IPI_INVLCACHE 0xf6) and is not covered; arm64 and riscv invalidate
/// with broadcast instructions, not IPIs, and their small IPI numbers never match.
pub const FREEBSD_SHOOTDOWN_VECTORS: [u16; 4] = [0xf4, 0xf5, 0xf6, 0xf7];
/// Call-function vectors (single, mask): the handlers a shootdown's `flush_tlb_func` runs in.
const CALL_FUNCTION_VECTORS: [u16; 2] = [251, 252];

/// FreeBSD logs one `ipi_selected` line per target, back to back: records of one CPU with
/// one vector closer than this (in ticks) belong to one round. About 7 µs at 3 GHz; the
/// loop over targets takes well under a microsecond per CPU.
const FREEBSD_BURST_TICKS: u64 = 20_000;

/// Sends waiting for a handler entry on one CPU. A CPU that never logs handler entries
/// (ktr traces) would otherwise hold every send: past this many, the oldest is dropped.
const MAX_PENDING_IPIS: usize = 256;

/// Rounds still taking legs by time at once (pre-6.4 traces); more are sealed oldest first.
const MAX_OPEN_TLB_ROUNDS: usize = 256;

/// Nesting of shootdown-path functions kept per CPU (function_graph traces).
const MAX_OPEN_FUNCS: usize = 64;

/// A round leg waiting for its target: (round, leg).
type LegRef = Option<(u32, u16)>;

#[derive(Default, Clone)]
struct Lane {
    /// Event indices on this CPU.
    events: Vec<u32>,
    /// IPI sends to this CPU not yet matched to a handler entry: (event, vector).
    pending_ipis: VecDeque<(u32, u16)>,
    /// Open handlers: (entry event, vector).
    irqs: Vec<(u32, u16)>,
    /// Running csd functions: (entry event, csd, leg).
    csds: Vec<(u32, u64, LegRef)>,
    /// A `tlb_flush (4)` whose `csd_queue_cpu` records have not come yet: (event, pages).
    flush_start: Option<(u32, i64)>,
    /// The round whose `csd_queue_cpu` records are being collected.
    collecting: Option<u32>,
    /// The last round this CPU initiated (Linux, DragonFly).
    waiting: Option<u32>,
    /// Open DragonFly cpusync round.
    sync: Option<u32>,
    /// The latest ipiq message this CPU sent to each other CPU since its last cpusync
    /// boundary (start or end), and its receive if it came: (dcpu, send, receive). At most
    /// one per target. lwkt_cpusync_interlock sends to the mask *before* it logs
    /// `ipiq_sync_start`, so a target may receive before the round's start.
    sent_before_sync: Vec<(u16, u32, Option<u32>)>,
    /// FreeBSD send burst: (round, last send ts, vector).
    burst: Option<(u32, u64, u16)>,
    seen_irq: bool,
    seen_csd_entry: bool,
    seen_sync_start: bool,
    /// A lost-events marker was seen: later orphans on this CPU are expected.
    lost: bool,
    /// Open shootdown-path functions (function_graph): (entry event, symbol).
    funcs: Vec<(u32, Sym)>,
}

pub(super) struct Tracker<'t> {
    trace: &'t Trace,
    linux: bool,
    freebsd: bool,
    /// An emulated run: every IPI send is a round (see `RoundKind::IpiRound`).
    emulated: bool,
    /// IPI sends that opened a round: send event → round.
    send_round: HashMap<u32, u32>,
    /// Handler entries that received round legs: entry event → legs.
    irq_legs: HashMap<u32, Vec<(u32, u16)>>,
    /// Handler entries that already have an IPI arrow from a logged send (`ipi_send_*`).
    irq_sent: HashSet<u32>,
    /// Whether any handler entry exists: without one, IPI sends are not paired at all.
    has_irq: bool,
    flush_sym: Option<Sym>,
    ttwu_sym: Option<Sym>,
    /// function_graph: the functions whose return means the initiator stopped waiting.
    wait_end_syms: Vec<Sym>,
    lanes: Vec<Lane>,
    /// Requests queued for (target, csd), oldest first: (queue event, leg).
    csd_queue: HashMap<(u16, u64), VecDeque<(u32, LegRef)>>,
    csd_seen: HashSet<(u16, u64)>,
    /// ipiq FIFO per (scpu, dcpu): send events not yet received.
    rings: HashMap<(u16, u16), VecDeque<u32>>,
    /// Per round: legs not done yet, whether its targets are all known (collection
    /// sealed), and the last leg's done event.
    remaining: Vec<(u32, bool, u32)>,
    /// Rounds of traces without csd events (Linux before 6.4), while they can still gain legs.
    tlb_open: Vec<TlbStart>,
    out: Replay,
}

/// An initiator's `tlb_flush (4)` in a trace without csd events. The round itself is made
/// at its first leg, as a flush followed by no request is no round on the csd path either.
#[derive(Clone, Copy, Debug)]
struct TlbStart {
    cpu: u16,
    start: u32,
    pages: i64,
    /// Whether the initiator's own flush (reason 2 or 3) has been seen.
    local: bool,
    /// Time of the initiator's first later event that is not part of the shootdown: every
    /// target's flush happened before it, but one logged at the same time may come after
    /// it in the file (ties are ordered by CPU number), so legs are taken until time moves on.
    sealed_at: Option<u64>,
    round: Option<u32>,
}

impl<'t> Tracker<'t> {
    pub fn new(trace: &'t Trace) -> Tracker<'t> {
        let names = &trace.names;
        let sym = |name: &str| (0..names.len() as Sym).find(|&s| names.get(s) == name);
        let (flush_sym, ttwu_sym) = (sym("flush_tlb_func"), sym("sched_ttwu_pending"));
        let lanes = trace.cpus.min(CPU_LIMIT) as usize;
        let linux = matches!(trace.format, Format::LinuxFtrace | Format::TraceCmd | Format::LinuxLatency);
        let evidence = linux.then(|| Evidence::of(trace, flush_sym));
        Tracker {
            trace,
            linux,
            freebsd: trace.format == Format::FreeBsdKtr,
            emulated: trace.format == Format::Emulated,
            send_round: HashMap::new(),
            irq_legs: HashMap::new(),
            irq_sent: HashSet::new(),
            has_irq: trace.events.iter().any(|e| matches!(e.kind, Kind::IrqEntry { .. })),
            flush_sym,
            ttwu_sym,
            wait_end_syms: ["smp_call_function_many_cond", "smp_call_function_many", "on_each_cpu_cond_mask"]
                .iter()
                .filter_map(|n| sym(n))
                .collect(),
            lanes: vec![Lane::default(); lanes],
            csd_queue: HashMap::new(),
            csd_seen: HashSet::new(),
            rings: HashMap::new(),
            remaining: Vec::new(),
            tlb_open: Vec::new(),
            out: Replay {
                rounds: Vec::new(),
                arrows: Vec::new(),
                bars: Vec::new(),
                rings: Vec::new(),
                per_cpu: Vec::new(),
                warnings: Vec::new(),
                warning_count: 0,
                orphans_at_start: 0,
                unfinished_at_end: 0,
                evidence,
                legs_by_time: 0,
                legs_ambiguous: 0,
                // The time index is built by `reconstruct` once the deltas are known.
                ts: Vec::new(),
                deltas: Vec::new(),
                checkpoints: Vec::new(),
            },
        }
    }

    /// Rounds come from tlb_flush reasons and handlers, not from csd requests.
    fn by_flush(&self) -> bool {
        matches!(self.out.evidence, Some(Evidence::TlbIrq | Evidence::TlbFlush))
    }

    fn lane(&mut self, cpu: u16) -> &mut Lane {
        let i = cpu as usize;
        if i >= self.lanes.len() {
            self.lanes.resize(i + 1, Lane::default());
        }
        &mut self.lanes[i]
    }

    fn delta(&mut self, event: u32, op: Op) {
        self.out.deltas.push(Delta { event, op });
    }

    fn warn(&mut self, e: &Event, reason: String) {
        self.out.warning_count += 1;
        if self.out.warnings.len() < MAX_WARNINGS {
            self.out.warnings.push(Warning {
                line: e.line,
                offset: e.offset,
                class: WarningClass::Reconstruct,
                reason,
            });
        }
    }

    /// An orphan is expected when its channel was never seen before (the trace started
    /// after the send) or the CPU lost events; otherwise it is a warning.
    fn orphan(&mut self, e: &Event, expected: bool, reason: impl FnOnce() -> String) {
        if expected || self.lane(e.cpu).lost {
            self.out.orphans_at_start += 1;
        } else {
            let r = reason();
            self.warn(e, r);
        }
    }

    fn open_round(&mut self, round: Round) -> u32 {
        let id = self.out.rounds.len() as u32;
        let (start, cpu, kind) = (round.start, round.initiator, round.kind);
        self.remaining.push((round.legs.len() as u32, kind != RoundKind::LinuxTlb, start));
        self.out.rounds.push(round);
        // FreeBSD rounds never complete (no receive side): they are never "in flight".
        if kind == RoundKind::FreeBsdShootdownIpis {
            return id;
        }
        // Emulated initiators may have several IPIs out at once; runs are short.
        if kind == RoundKind::IpiRound {
            self.delta(start, Op::RoundOpen(id));
            return id;
        }
        // An initiator waits for its round before it starts another: an older one still
        // open lost its completion, and keeping it in flight forever would grow every
        // later snapshot.
        if let Some(prev) = self.lane(cpu).waiting.replace(id) {
            if self.out.rounds.get(prev as usize).is_some_and(|r| r.end.is_none()) {
                self.delta(start, Op::RoundClose(prev));
                if let Some(e) = self.trace.events.get(start as usize) {
                    let line =
                        self.trace.events.get(self.out.rounds[prev as usize].start as usize).map_or(0, |p| p.line);
                    self.warn(e, format!("CPU {cpu} starts a round before its round of line {line} completed"));
                }
            }
        }
        self.delta(start, Op::RoundOpen(id));
        id
    }

    fn close_round(&mut self, id: u32, at: u32) {
        let Some(r) = self.out.rounds.get_mut(id as usize) else { return };
        if r.end.is_some() {
            return;
        }
        r.end = Some(at);
        let (cpu, start) = (r.initiator, r.start);
        self.out.bars.push(Bar { cpu, start, end: at, kind: BarKind::RoundWait { round: id } });
        self.delta(at, Op::RoundClose(id));
    }

    fn leg_mut(&mut self, leg: LegRef) -> Option<&mut Leg> {
        let (r, l) = leg?;
        self.out.rounds.get_mut(r as usize)?.legs.get_mut(l as usize)
    }

    /// A leg finished: complete its round when it was the last and no target can still
    /// be added (a fast target may finish before the initiator queued the next one).
    fn leg_done(&mut self, leg: LegRef, at: u32) {
        let Some((r, _)) = leg else { return };
        let Some((left, sealed, last)) = self.remaining.get_mut(r as usize) else { return };
        *left = left.saturating_sub(1);
        *last = at;
        if *left == 0 && *sealed {
            self.close_round(r, at);
        }
    }

    /// The initiator stopped queueing: complete the round if every target already finished.
    fn seal(&mut self, r: u32) {
        let Some((left, sealed, last)) = self.remaining.get_mut(r as usize) else { return };
        *sealed = true;
        if *left == 0 {
            let at = *last;
            self.close_round(r, at);
        }
    }

    pub fn event(&mut self, i: u32, e: &Event) {
        let cpu = e.cpu;
        if cpu >= CPU_LIMIT {
            // Readers never produce these; a hand-made `Trace` might. No lane for it.
            return self.warn(e, crate::event::cpu_limit_reason(cpu as u64));
        }
        self.lane(cpu).events.push(i);
        self.seal_collection(i, e);
        if self.by_flush() {
            self.tlb_progress(i, e);
        }
        match e.kind {
            Kind::IpiSend { targets, vector, all_but_self } => self.ipi_send(i, e, targets, vector, all_but_self),
            Kind::IrqEntry { vector } => self.irq_entry(i, cpu, vector),
            Kind::IrqExit { vector } => self.irq_exit(i, e, vector),
            Kind::TlbFlush { pages, reason } if self.by_flush() => self.tlb_flush_by_time(i, e, pages, reason),
            Kind::TlbFlush { pages, reason } => self.tlb_flush(i, cpu, pages, reason),
            Kind::CsdQueue { target, csd, func } => self.csd_queue(i, e, target, csd, func),
            Kind::CsdEntry { csd, .. } => self.csd_entry(i, e, csd),
            Kind::CsdExit { csd, .. } => self.csd_exit(i, e, csd),
            Kind::IpiqSend { dcpu, .. } => self.ipiq_send(i, cpu, dcpu),
            Kind::IpiqReceive { scpu, .. } => self.ipiq_receive(i, e, scpu),
            Kind::SyncStart { mask } => self.sync_start(i, cpu, mask, RoundKind::DragonFlyCpusync),
            Kind::SyncQuick { mask } => self.sync_start(i, cpu, mask, RoundKind::DragonFlyCpusyncQuick),
            Kind::SyncEnd { .. } => self.sync_end(i, e),
            Kind::Lost { .. } => self.lane(cpu).lost = true,
            Kind::IpiqSendFail { .. }
            | Kind::IpiqSendEnd { .. }
            | Kind::SchedSwitch { .. }
            | Kind::Marker
            | Kind::Other { .. } => {}
            Kind::FuncEntry { func } => {
                let lane = self.lane(cpu);
                if lane.funcs.len() < MAX_OPEN_FUNCS {
                    lane.funcs.push((i, func));
                }
            }
            Kind::FuncExit { func } => self.func_exit(i, e, func),
        }
        if self.freebsd && !matches!(e.kind, Kind::IpiSend { .. }) {
            self.lane(cpu).burst = None;
        }
    }

    /// A round collects the initiator's `csd_queue_cpu` records that directly follow its
    /// `tlb_flush (4)`; anything else the initiator does (except an interrupt arriving in
    /// between) ends the collection.
    fn seal_collection(&mut self, i: u32, e: &Event) {
        let flush_sym = self.flush_sym;
        let lane = self.lane(e.cpu);
        let keeps = match e.kind {
            Kind::CsdQueue { func, .. } => Some(func) == flush_sym,
            // function_graph: the calls that queue the requests sit between them.
            Kind::IrqEntry { .. } | Kind::IrqExit { .. } | Kind::FuncEntry { .. } | Kind::FuncExit { .. } => true,
            Kind::CsdEntry { .. } | Kind::CsdExit { .. } | Kind::TlbFlush { .. } => !lane.irqs.is_empty(),
            _ => false,
        };
        if !keeps && lane.flush_start.is_some_and(|(s, _)| s != i) {
            lane.flush_start = None;
        }
        if !keeps {
            if let Some(r) = lane.collecting.take() {
                self.seal(r);
            }
        }
    }

    fn ipi_send(&mut self, i: u32, e: &Event, targets: CpuMask, vector: u16, all_but_self: bool) {
        let mut mask = targets;
        if all_but_self {
            let all = if self.trace.cpus >= 64 { u64::MAX } else { (1u64 << self.trace.cpus) - 1 };
            mask |= all & !(1u64.checked_shl(e.cpu as u32).unwrap_or(0));
        }
        if self.has_irq {
            for t in bits(mask) {
                let lane = self.lane(t);
                if lane.pending_ipis.len() >= MAX_PENDING_IPIS {
                    lane.pending_ipis.pop_front();
                }
                lane.pending_ipis.push_back((i, vector));
            }
        }
        if self.freebsd && FREEBSD_SHOOTDOWN_VECTORS.contains(&vector) {
            self.freebsd_burst(i, e, mask, vector);
        }
        let others = mask & !(1u64.checked_shl(e.cpu as u32).unwrap_or(0));
        if self.emulated && others != 0 {
            let legs = bits(others).map(|t| Leg { cpu: t, queued: Some(i), received: None, flushed: None, done: None });
            let id = self.open_round(Round {
                kind: RoundKind::IpiRound,
                initiator: e.cpu,
                start: i,
                end: None,
                targets: others,
                legs: legs.collect(),
                pages: None,
                vector: Some(vector),
            });
            self.send_round.insert(i, id);
        }
    }

    fn freebsd_burst(&mut self, i: u32, e: &Event, mask: CpuMask, vector: u16) {
        let burst = self.lane(e.cpu).burst;
        let open = burst.filter(|&(r, last, v)| {
            v == vector
                && e.ts.saturating_sub(last) <= FREEBSD_BURST_TICKS
                && self.out.rounds.get(r as usize).is_some_and(|r| r.targets & mask == 0)
        });
        let id = match open {
            Some((r, _, _)) => r,
            None => self.open_round(Round {
                kind: RoundKind::FreeBsdShootdownIpis,
                initiator: e.cpu,
                start: i,
                end: None,
                targets: 0,
                legs: Vec::new(),
                pages: None,
                vector: Some(vector),
            }),
        };
        if let Some(r) = self.out.rounds.get_mut(id as usize) {
            r.targets |= mask;
            for t in bits(mask) {
                r.legs.push(Leg { cpu: t, queued: Some(i), received: None, flushed: None, done: None });
            }
        }
        self.lane(e.cpu).burst = Some((id, e.ts, vector));
    }

    fn irq_entry(&mut self, i: u32, cpu: u16, vector: u16) {
        let linux = self.linux;
        let lane = self.lane(cpu);
        lane.seen_irq = true;
        lane.irqs.push((i, vector));
        let matches = |sent: u16| sent == vector || (linux && sent == 0 && LINUX_IPI_VECTORS.contains(&vector));
        // The LAPIC merges IPIs of one vector that arrive before the handler runs: one
        // entry receives every send still pending for it.
        let mut paired = Vec::new();
        lane.pending_ipis.retain(|&(s, v)| {
            let m = matches(v);
            if m {
                paired.push(s);
            }
            !m
        });
        if !paired.is_empty() && self.by_flush() {
            self.irq_sent.insert(i);
        }
        for s in paired {
            self.out.arrows.push(Arrow { kind: ArrowKind::Ipi, from: s, to: i });
            self.delta(s, Op::PendingUp(cpu));
            self.delta(i, Op::PendingDown(cpu));
            let Some(&r) = self.send_round.get(&s) else { continue };
            let Some(round) = self.out.rounds.get_mut(r as usize) else { continue };
            if let Some(l) = round.legs.iter().position(|l| l.cpu == cpu && l.received.is_none()) {
                round.legs[l].received = Some(i);
                self.irq_legs.entry(i).or_default().push((r, l as u16));
            }
        }
    }

    fn irq_exit(&mut self, i: u32, e: &Event, vector: u16) {
        let lane = self.lane(e.cpu);
        match lane.irqs.iter().rposition(|&(_, v)| v == vector) {
            Some(at) => {
                let (start, _) = lane.irqs[at];
                lane.irqs.truncate(at);
                self.out.bars.push(Bar { cpu: e.cpu, start, end: i, kind: BarKind::Handler { vector } });
                for leg in self.irq_legs.remove(&start).unwrap_or_default() {
                    if let Some(l) = self.leg_mut(Some(leg)) {
                        l.done = Some(i);
                    }
                    self.leg_done(Some(leg), i);
                }
            }
            None => {
                let expected = !lane.seen_irq;
                self.orphan(e, expected, || format!("handler exit (vector {vector}) without its entry"));
            }
        }
    }

    fn tlb_flush(&mut self, i: u32, cpu: u16, pages: i64, reason: u8) {
        match reason {
            REASON_REMOTE_SEND => self.lane(cpu).flush_start = Some((i, pages)),
            REASON_REMOTE_SHOOTDOWN => {
                let lane = self.lane(cpu);
                let (csd, irq) = (lane.csds.last().and_then(|c| c.2), lane.irqs.last().map(|x| x.0));
                let in_handler = irq.and_then(|s| self.irq_legs.get(&s)).and_then(|l| l.first().copied());
                let leg = csd.or(in_handler);
                if let Some(l) = self.leg_mut(leg) {
                    l.flushed.get_or_insert(i);
                }
            }
            _ => {}
        }
    }

    /// Before Linux 6.4 (no `csd:*`, no `ipi_send_*`) a shootdown is seen only as the
    /// initiator's `tlb_flush (4)`, its own flush, and on each target a `remote shootdown`
    /// flush, normally inside a call-function handler (native_flush_tlb_multi and
    /// flush_tlb_func in arch/x86/mm/tlb.c). What is certain: a target's handler entry,
    /// flush and exit belong together (same CPU, nested), and the initiator, which waits
    /// with preemption off, logs nothing but interrupts until every target has flushed.
    /// What is inferred: which round a target's flush belongs to when several initiators
    /// have one open (the oldest is taken, and the leg counted as ambiguous), and the IPI
    /// arrow, drawn from the `tlb_flush (4)` that stands for the unlogged send. A target
    /// that skipped the flush (lazy TLB, another mm loaded) logs none and is no leg.
    fn tlb_progress(&mut self, i: u32, e: &Event) {
        // Legs are taken until time moves past the moment the initiator went on.
        let mut k = 0;
        while k < self.tlb_open.len() {
            match self.tlb_open[k].sealed_at {
                Some(t) if t < e.ts => {
                    let s = self.tlb_open.remove(k);
                    if let Some(r) = s.round {
                        self.seal(r);
                    }
                }
                _ => k += 1,
            }
        }
        let in_irq = !self.lane(e.cpu).irqs.is_empty();
        let Some(s) = self.tlb_open.iter_mut().find(|s| s.cpu == e.cpu && s.sealed_at.is_none()) else { return };
        let wait_ends = &self.wait_end_syms;
        let part_of_it = match e.kind {
            _ if s.start == i => true,
            Kind::IrqEntry { .. } | Kind::IrqExit { .. } => true,
            // function_graph: the initiator's own calls; returning from the call that
            // waits for the targets is the end of the round.
            Kind::FuncExit { func } => !wait_ends.contains(&func),
            Kind::FuncEntry { .. } => true,
            // Linux 6.4+ without csd events: the send itself (`ipi_send_cpumask` from
            // smp_call_function_many_cond, after native_flush_tlb_multi traced the
            // `remote ipi send` flush) is the middle of the round, not the end. A reschedule
            // IPI (a wake-up) is something else the initiator does.
            Kind::IpiSend { vector, .. } => vector != LINUX_RESCHEDULE_VECTOR,
            // Annotations of what the initiator does (a stack trace, a probe) are not a
            // sign it stopped waiting; its next flush or task switch is.
            Kind::Other { .. } => true,
            _ if in_irq => true,
            Kind::TlbFlush { reason: REASON_LOCAL_SHOOTDOWN | REASON_LOCAL_MM_SHOOTDOWN, .. } if !s.local => {
                s.local = true;
                true
            }
            _ => false,
        };
        if !part_of_it {
            s.sealed_at = Some(e.ts);
        }
    }

    fn tlb_flush_by_time(&mut self, i: u32, e: &Event, pages: i64, reason: u8) {
        match reason {
            REASON_REMOTE_SEND => {
                // One shootdown at a time per CPU, even when a send is logged inside an
                // interrupt; and a file whose clock never moves must not pile them up.
                for s in self.tlb_open.iter_mut().filter(|s| s.cpu == e.cpu) {
                    s.sealed_at.get_or_insert(e.ts);
                }
                if self.tlb_open.len() >= MAX_OPEN_TLB_ROUNDS {
                    let s = self.tlb_open.remove(0);
                    if let Some(r) = s.round {
                        self.seal(r);
                    }
                }
                self.tlb_open.push(TlbStart { cpu: e.cpu, start: i, pages, local: false, sealed_at: None, round: None })
            }
            REASON_REMOTE_SHOOTDOWN => self.leg_by_time(i, e),
            _ => {}
        }
    }

    /// A target's `remote shootdown` flush: the leg of the oldest round of another CPU that
    /// is still taking legs and has none on this CPU yet.
    fn leg_by_time(&mut self, i: u32, e: &Event) {
        let cpu = e.cpu;
        let rounds = &self.out.rounds;
        let has_leg = |s: &TlbStart| s.round.is_some_and(|r| rounds[r as usize].legs.iter().any(|l| l.cpu == cpu));
        let mut candidates =
            self.tlb_open.iter().enumerate().filter(|(_, s)| s.cpu != cpu && s.start < i && !has_leg(s));
        let Some((k, _)) = candidates.next() else {
            // Its round began before the trace, or its initiator's start was lost.
            let expected = self.out.rounds.is_empty() && self.tlb_open.is_empty();
            self.orphan(e, expected, || {
                format!("remote shootdown flush on CPU {cpu} with no open round of another CPU")
            });
            return;
        };
        let ambiguous = candidates.next().is_some();
        self.out.legs_by_time += 1;
        self.out.legs_ambiguous += ambiguous as u64;
        let handler = self.lane(cpu).irqs.last().copied().filter(|&(_, v)| CALL_FUNCTION_VECTORS.contains(&v));
        let s = self.tlb_open[k];
        let r = match s.round {
            Some(r) => r,
            None => {
                let r = self.open_tlb_round(s);
                self.tlb_open[k].round = Some(r);
                r
            }
        };
        let received = handler.map_or(i, |(entry, _)| entry);
        let done = if handler.is_some() { None } else { Some(i) };
        let Some(round) = self.out.rounds.get_mut(r as usize) else { return };
        round.targets |= 1u64.checked_shl(cpu as u32).unwrap_or(0);
        round.legs.push(Leg { cpu, queued: None, received: Some(received), flushed: Some(i), done });
        let leg = Some((r, (round.legs.len() - 1) as u16));
        if let Some(left) = self.remaining.get_mut(r as usize) {
            left.0 += 1;
        }
        match handler {
            Some((entry, _)) => {
                // A logged send already drew its arrow to this handler.
                if entry > s.start && !self.irq_sent.contains(&entry) {
                    self.out.arrows.push(Arrow { kind: ArrowKind::Ipi, from: s.start, to: entry });
                    self.delta(s.start, Op::PendingUp(cpu));
                    self.delta(entry, Op::PendingDown(cpu));
                }
                if let Some(leg) = leg {
                    self.irq_legs.entry(entry).or_default().push(leg);
                }
            }
            None => self.leg_done(leg, i),
        }
    }

    /// Unlike `open_round`, an initiator's earlier round may still wait for a handler exit
    /// here: it stopped taking legs when the initiator went on, which is all it promises.
    fn open_tlb_round(&mut self, s: TlbStart) -> u32 {
        let id = self.out.rounds.len() as u32;
        self.out.rounds.push(Round {
            kind: RoundKind::LinuxTlb,
            initiator: s.cpu,
            start: s.start,
            end: None,
            targets: 0,
            legs: Vec::new(),
            pages: Some(s.pages),
            vector: None,
        });
        self.remaining.push((0, false, s.start));
        self.delta(s.start, Op::RoundOpen(id));
        self.lane(s.cpu).waiting = Some(id);
        id
    }

    fn csd_queue(&mut self, i: u32, e: &Event, target: u16, csd: u64, func: Sym) {
        let mut leg = None;
        if self.linux && Some(func) == self.flush_sym {
            let lane = self.lane(e.cpu);
            let round = match (lane.collecting, lane.flush_start.take()) {
                (Some(r), _) => Some(r),
                (None, Some((start, pages))) => {
                    let id = self.open_round(Round {
                        kind: RoundKind::LinuxTlb,
                        initiator: e.cpu,
                        start,
                        end: None,
                        targets: 0,
                        legs: Vec::new(),
                        pages: Some(pages),
                        vector: None,
                    });
                    self.lane(e.cpu).collecting = Some(id);
                    Some(id)
                }
                (None, None) => None,
            };
            if let Some(r) = round.and_then(|r| self.out.rounds.get_mut(r as usize).map(|x| (r, x))) {
                let (id, round) = r;
                let bit = 1u64.checked_shl(target as u32).unwrap_or(0);
                if round.targets & bit == 0 || bit == 0 {
                    round.targets |= bit;
                    round.legs.push(Leg { cpu: target, queued: Some(i), received: None, flushed: None, done: None });
                    leg = Some((id, (round.legs.len() - 1) as u16));
                    if let Some(left) = self.remaining.get_mut(id as usize) {
                        left.0 += 1;
                    }
                }
            }
        }
        self.csd_seen.insert((target, csd));
        let q = self.csd_queue.entry((target, csd)).or_default();
        // csd_lock keeps a csd from being queued again before it ran: an older request
        // still here lost its entry record. Except wake-ups: one sched_ttwu_pending call
        // runs the CPU's whole wake list and is logged with only one of its csds.
        let stale = q.pop_front();
        q.push_back((i, leg));
        if let Some((old, _)) = stale.filter(|_| Some(func) != self.ttwu_sym) {
            let line = self.trace.events.get(old as usize).map_or(0, |o| o.line);
            self.warn(e, format!("csd {csd:x} queued again for CPU {target}; the request of line {line} never ran"));
        }
    }

    fn csd_entry(&mut self, i: u32, e: &Event, csd: u64) {
        let cpu = e.cpu;
        self.lane(cpu).seen_csd_entry = true;
        if csd == 0 {
            // Run locally by the sender (smp_call_function_many's own CPU): nothing queued.
            self.lane(cpu).csds.push((i, 0, None));
            return;
        }
        let req = self.csd_queue.get_mut(&(cpu, csd)).and_then(VecDeque::pop_front);
        let leg = match req {
            Some((q, leg)) => {
                self.out.arrows.push(Arrow { kind: ArrowKind::Csd, from: q, to: i });
                if let Some(l) = self.leg_mut(leg) {
                    l.received = Some(i);
                }
                leg
            }
            None => {
                let expected = !self.csd_seen.contains(&(cpu, csd));
                self.orphan(e, expected, || format!("csd_function_entry csd={csd:x} on CPU {cpu} without a request"));
                None
            }
        };
        self.lane(cpu).csds.push((i, csd, leg));
    }

    fn csd_exit(&mut self, i: u32, e: &Event, csd: u64) {
        let lane = self.lane(e.cpu);
        match lane.csds.iter().rposition(|c| c.1 == csd) {
            Some(at) => {
                let (start, _, leg) = lane.csds[at];
                lane.csds.truncate(at);
                let round = leg.map(|l| l.0);
                self.out.bars.push(Bar { cpu: e.cpu, start, end: i, kind: BarKind::CsdFunction { round } });
                if let Some(l) = self.leg_mut(leg) {
                    l.done = Some(i);
                }
                self.leg_done(leg, i);
            }
            None => {
                let expected = !lane.seen_csd_entry;
                self.orphan(e, expected, || format!("csd_function_exit csd={csd:x} without its entry"));
            }
        }
    }

    /// A function's return closes its span; one whose entry came before the trace (a
    /// pasted excerpt often starts inside a call) is an expected orphan.
    fn func_exit(&mut self, i: u32, e: &Event, func: Sym) {
        let lane = self.lane(e.cpu);
        match lane.funcs.iter().rposition(|&(_, f)| f == func) {
            Some(at) => {
                let (start, _) = lane.funcs[at];
                lane.funcs.truncate(at);
                self.out.bars.push(Bar { cpu: e.cpu, start, end: i, kind: BarKind::Function { func } });
            }
            None => self.out.orphans_at_start += 1,
        }
    }

    fn ipiq_send(&mut self, i: u32, cpu: u16, dcpu: u16) {
        if dcpu == cpu {
            // A send to oneself runs the function inline: nothing is queued.
            return;
        }
        let q = self.rings.entry((cpu, dcpu)).or_default();
        q.push_back(i);
        let depth = q.len() as u32;
        self.out.rings.push(RingSample { event: i, scpu: cpu, dcpu, depth });
        self.delta(i, Op::RingUp(cpu, dcpu));
        let lane = self.lane(cpu);
        if lane.sync.is_none() {
            lane.sent_before_sync.retain(|&(t, _, _)| t != dcpu);
            lane.sent_before_sync.push((dcpu, i, None));
        }
    }

    fn ipiq_receive(&mut self, i: u32, e: &Event, scpu: u16) {
        let dcpu = e.cpu;
        if scpu == dcpu {
            // cpusync requeues on the CPU's own queue: self-receives have no send.
            return;
        }
        let q = self.rings.get_mut(&(scpu, dcpu));
        let seen = q.is_some();
        match q.and_then(VecDeque::pop_front) {
            Some(s) => {
                let depth = self.rings.get(&(scpu, dcpu)).map_or(0, |q| q.len() as u32);
                self.out.rings.push(RingSample { event: i, scpu, dcpu, depth });
                self.out.arrows.push(Arrow { kind: ArrowKind::Ipiq, from: s, to: i });
                self.delta(s, Op::PendingUp(dcpu));
                self.delta(i, Op::PendingDown(dcpu));
                self.delta(i, Op::RingDown(scpu, dcpu));
                if let Some(sent) = self
                    .lanes
                    .get_mut(scpu as usize)
                    .and_then(|l| l.sent_before_sync.iter_mut().find(|(t, send, _)| *t == dcpu && *send == s))
                {
                    sent.2 = Some(i);
                }
                // `get`, not `lane`: a payload's CPU number must not size the lanes.
                if let Some(r) = self.lanes.get(scpu as usize).and_then(|l| l.sync) {
                    let quick =
                        self.out.rounds.get(r as usize).is_some_and(|x| x.kind == RoundKind::DragonFlyCpusyncQuick);
                    let mut fresh = false;
                    let start = self.out.rounds.get(r as usize).map_or(0, |x| x.start);
                    if let Some(l) =
                        self.out.rounds.get_mut(r as usize).and_then(|r| r.legs.iter_mut().find(|l| l.cpu == dcpu))
                    {
                        fresh = l.received.is_none();
                        // A receive before the start (see `sync_start`) is a guess that a
                        // receive inside the round replaces.
                        if l.received.is_none_or(|rx| rx < start) {
                            l.received = Some(i);
                        }
                        if quick && fresh {
                            // The target acks right after running the function it just
                            // dequeued (lwkt_cpusync_remote2): its receive is its leg's end.
                            l.done = Some(i);
                        }
                    }
                    if quick && fresh {
                        self.leg_done(Some((r, 0)), i);
                        if self.out.rounds.get(r as usize).is_some_and(|x| x.end.is_some()) {
                            self.lane(scpu).sync = None;
                        }
                    }
                }
            }
            None => self.orphan(e, !seen, || format!("ipiq_receive from CPU {scpu} on CPU {dcpu} without a send")),
        }
    }

    fn sync_start(&mut self, i: u32, cpu: u16, mask: CpuMask, kind: RoundKind) {
        // Targets that already received the message sent just before this record (its
        // latest to them since the last sync record): lwkt_cpusync_interlock sends to the
        // mask, then logs sync_start. A receive inside the round takes precedence.
        let sent = std::mem::take(&mut self.lane(cpu).sent_before_sync);
        let early = |t: u16| sent.iter().find(|&&(d, _, _)| d == t).and_then(|&(_, _, rx)| rx);
        let quick = kind == RoundKind::DragonFlyCpusyncQuick;
        let legs: Vec<Leg> = bits(mask)
            .filter(|&t| t != cpu)
            .map(|t| {
                let rx = early(t);
                // A quick target acks when it runs the function (see `ipiq_receive`).
                Leg { cpu: t, queued: Some(i), received: rx, flushed: None, done: if quick { rx } else { None } }
            })
            .collect();
        let acked = if quick { legs.iter().filter(|l| l.done.is_some()).count() } else { 0 };
        let id = self.open_round(Round {
            kind,
            initiator: cpu,
            start: i,
            end: None,
            targets: mask,
            legs,
            pages: None,
            vector: None,
        });
        let lane = self.lane(cpu);
        lane.seen_sync_start = true;
        lane.sync = Some(id);
        // The initiator stops waiting no earlier than its own record: early acks complete
        // the quick round at its start.
        for _ in 0..acked {
            self.leg_done(Some((id, 0)), i);
        }
        if self.out.rounds.get(id as usize).is_some_and(|x| x.end.is_some()) {
            self.lane(cpu).sync = None;
        }
    }

    fn sync_end(&mut self, i: u32, e: &Event) {
        let lane = self.lane(e.cpu);
        lane.sent_before_sync.clear();
        match lane.sync.take() {
            Some(r) => {
                if let Some(round) = self.out.rounds.get_mut(r as usize) {
                    for l in &mut round.legs {
                        l.done = Some(i);
                    }
                }
                self.close_round(r, i);
            }
            None => {
                let expected = !lane.seen_sync_start;
                self.orphan(e, expected, || "ipiq_sync_end without its sync_start".to_string());
            }
        }
    }

    /// The reconstruction, all but its time index (`ts`, `checkpoints`).
    pub fn finish(mut self) -> Replay {
        for r in 0..self.remaining.len() as u32 {
            if !self.remaining[r as usize].1 {
                self.seal(r);
            }
        }
        let queued: usize = self.csd_queue.values().map(VecDeque::len).sum();
        let ring: usize = self.rings.values().map(VecDeque::len).sum();
        // Abandoned rounds (their initiator went on) were warned about; only the last round
        // of each initiator can still be waiting when the trace ends.
        let lanes = &self.lanes;
        let open = (self.out.rounds.iter().enumerate())
            .filter(|(id, r)| {
                r.end.is_none()
                    && match r.kind {
                        RoundKind::FreeBsdShootdownIpis => false,
                        RoundKind::IpiRound => true,
                        _ => lanes.get(r.initiator as usize).is_some_and(|l| l.waiting == Some(*id as u32)),
                    }
            })
            .count();
        self.out.unfinished_at_end = (queued + ring + open) as u64;
        self.out.per_cpu = self.lanes.into_iter().map(|l| l.events).collect();
        // Pairing records a send's change when its receive is found: put them in order.
        self.out.deltas.sort_by_key(|d| d.event);
        self.out
    }
}

/// The CPUs of a mask, ascending.
pub(crate) fn bits(mask: CpuMask) -> impl Iterator<Item = u16> {
    (0..64u16).filter(move |&b| mask & (1u64 << b) != 0)
}
