//! Conformance: can the model produce what the kernel logged? The inverse of the rest of
//! this crate, which turns a run into a trace.
//!
//! Trace validation as constrained model checking (Cirstea, Kuppe, Loillier, Merz,
//! "Validating Traces of Distributed Programs Against TLA+ Specifications", 2024): a
//! breadth-first search over the product of the machine and a cursor into each CPU's
//! expected events. A step whose effects map to a trace event must produce the next
//! expected event of its CPU; steps that map to nothing are free. The first product state
//! with every cursor at its end gives the shortest matching run. docs/conformance.md says
//! what is matched and which facts of the trace are relied on.

use crate::Builder;
use sdlab_engine::{Choice, Machine, State};
use sdlab_trace::replay::{reconstruct, Evidence, RoundKind};
use sdlab_trace::{Event, Format, Kind, Trace};
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// The bundled model that matches a trace's kernel.
pub fn default_model(format: Format) -> &'static str {
    match format {
        Format::FreeBsdKtr => "freebsd-scoreboard",
        Format::DragonFlyKtr => "dragonfly",
        _ => "linux",
    }
}

/// The scenario a Linux round is replayed from: one initiator (model CPU 0) and targets
/// running mm's user code, all in the initial state.
pub const LINUX_SCENARIO: &str = "unmap_touch";

/// What the search may spend on one round.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Product states kept before the round is left undecided.
    pub max_states: usize,
    /// Two events on different CPUs are taken as ordered only when their timestamps differ
    /// by more than this (trace time units); 0 trusts a global clock exactly.
    pub skew: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options { max_states: 1_000_000, skew: 0 }
    }
}

/// The facts of a trace the search relies on, in words (printed with every mismatch).
pub const FACTS: &[&str] = &[
    "per CPU, events happened in the order of the file (per-CPU ring buffers are ordered)",
    "across CPUs, an event whose timestamp is earlier (by more than the skew) happened first: \
     trace_clock=global, so the kernel's own causal orders (queue before entry, send before \
     handler, exit before the initiator's wait ends) are among them",
    "a csd address names one request slot for the round: trace addresses map one-to-one to the \
     model's csd slots (csd 0 is the NULL csd of a local call on both sides)",
    "the IPIs of one ipi_send_cpumask may be sent one by one by the model: a trace send is matched \
     when the model's sends since the last match cover its mask",
    "tlb_flush sizes are matched by kind (none, partial, full); a full request (pages -1 at the \
     remote ipi send) may be flushed by either kind in the model, whose request is one page",
];

/// A trace event turned into what the model can emit, CPU numbers in model numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Obs {
    Flush {
        reason: u8,
        pages: i64,
    },
    Queue {
        target: u16,
        csd: u64,
    },
    CsdEntry {
        csd: u64,
    },
    CsdExit {
        csd: u64,
    },
    /// `vector` is compared only when both sides name one (Linux: any call-function vector).
    Send {
        targets: u64,
        vector: Option<u16>,
    },
    IrqEntry {
        vector: Option<u16>,
    },
    IrqExit {
        vector: Option<u16>,
    },
    Ipiq {
        what: u8,
        peer: u16,
        func: u64,
    },
    Sync {
        end: bool,
        mask: u64,
    },
}

impl fmt::Display for Obs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Obs::Flush { reason, pages } => write!(f, "tlb_flush reason {reason} pages {pages}"),
            Obs::Queue { target, csd } => write!(f, "csd_queue_cpu to CPU {target} csd {csd:x}"),
            Obs::CsdEntry { csd } => write!(f, "csd_function_entry csd {csd:x}"),
            Obs::CsdExit { csd } => write!(f, "csd_function_exit csd {csd:x}"),
            Obs::Send { targets, .. } => write!(f, "IPI to mask {targets:#x}"),
            Obs::IrqEntry { .. } => write!(f, "call-function handler entry"),
            Obs::IrqExit { .. } => write!(f, "call-function handler exit"),
            Obs::Ipiq { what, peer, func } => write!(f, "{} peer {peer} func {func:#x}", IPIQ_NAMES[what as usize % 6]),
            Obs::Sync { end, mask } => write!(f, "ipiq_sync_{} mask {mask:#x}", if end { "end" } else { "start" }),
        }
    }
}

const IPIQ_NAMES: [&str; 6] =
    ["ipiq_send_norm", "ipiq_send_pasv", "ipiq_send_nbio", "ipiq_send_fail", "ipiq_send_end", "ipiq_receive"];

/// Linux call-function vectors (arch/x86/include/asm/irq_vectors.h); the model has one.
fn call_function_vector(v: u16) -> bool {
    v == 0xfb || v == 0xfc
}

/// How events of one dialect become observations. `map` renames trace CPUs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dialect {
    Linux,
    Bsd,
}

fn observe(kind: &Kind, dialect: Dialect, flush_func: Option<u32>, map: &dyn Fn(u16) -> Option<u16>) -> Option<Obs> {
    let mask = |m: u64| -> Option<u64> {
        let mut out = 0u64;
        for c in 0..64u16 {
            if m >> c & 1 == 1 {
                out |= 1u64 << map(c)?;
            }
        }
        Some(out)
    };
    Some(match (*kind, dialect) {
        (Kind::TlbFlush { pages, reason }, Dialect::Linux) => Obs::Flush { reason, pages },
        (Kind::CsdQueue { target, csd, func }, Dialect::Linux) if Some(func) == flush_func => {
            Obs::Queue { target: map(target)?, csd }
        }
        (Kind::CsdEntry { csd, func }, Dialect::Linux) if Some(func) == flush_func => Obs::CsdEntry { csd },
        (Kind::CsdExit { csd, func }, Dialect::Linux) if Some(func) == flush_func => Obs::CsdExit { csd },
        (Kind::IpiSend { targets, vector, .. }, Dialect::Linux) if call_function_vector(vector) => {
            Obs::Send { targets: mask(targets)?, vector: None }
        }
        (Kind::IrqEntry { vector }, Dialect::Linux) if call_function_vector(vector) => Obs::IrqEntry { vector: None },
        (Kind::IrqExit { vector }, Dialect::Linux) if call_function_vector(vector) => Obs::IrqExit { vector: None },
        (Kind::IpiSend { targets, vector, all_but_self: false }, Dialect::Bsd) => {
            // DragonFly's ipiq_cpu_send names no vector: its reader says 0.
            Obs::Send { targets: mask(targets)?, vector: (vector != 0).then_some(vector) }
        }
        (Kind::IpiqSend { mode, dcpu, func }, Dialect::Bsd) => {
            let what = match mode {
                sdlab_trace::SendMode::Normal => 0,
                sdlab_trace::SendMode::Passive => 1,
                sdlab_trace::SendMode::NonBlocking => 2,
            };
            Obs::Ipiq { what, peer: map(dcpu)?, func }
        }
        (Kind::IpiqSendFail { dcpu, func }, Dialect::Bsd) => Obs::Ipiq { what: 3, peer: map(dcpu)?, func },
        (Kind::IpiqSendEnd { dcpu, func }, Dialect::Bsd) => Obs::Ipiq { what: 4, peer: map(dcpu)?, func },
        (Kind::IpiqReceive { scpu, func }, Dialect::Bsd) => Obs::Ipiq { what: 5, peer: map(scpu)?, func },
        (Kind::SyncStart { mask: m }, Dialect::Bsd) => Obs::Sync { end: false, mask: mask(m)? },
        (Kind::SyncEnd { mask: m }, Dialect::Bsd) => Obs::Sync { end: true, mask: mask(m)? },
        _ => return None,
    })
}

/// Which of the Linux kinds the model emits a capture holds at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Recorded {
    csd: bool,
    sends: bool,
    handlers: bool,
}

impl Recorded {
    const ALL: Recorded = Recorded { csd: true, sends: true, handlers: true };

    fn of(trace: &Trace, flush_func: Option<u32>) -> Recorded {
        let mut r = Recorded { csd: false, sends: false, handlers: false };
        for e in &trace.events {
            match e.kind {
                Kind::CsdQueue { func, .. } | Kind::CsdEntry { func, .. } if Some(func) == flush_func => r.csd = true,
                Kind::IpiSend { vector, .. } if call_function_vector(vector) => r.sends = true,
                Kind::IrqEntry { vector } | Kind::IrqExit { vector } if call_function_vector(vector) => {
                    r.handlers = true
                }
                _ => {}
            }
        }
        r
    }

    fn holds(self, o: &Obs) -> bool {
        match o {
            Obs::Queue { .. } | Obs::CsdEntry { .. } | Obs::CsdExit { .. } => self.csd,
            Obs::Send { .. } => self.sends,
            Obs::IrqEntry { .. } | Obs::IrqExit { .. } => self.handlers,
            _ => true,
        }
    }
}

/// One event the model must produce.
#[derive(Clone, Debug)]
struct Expected {
    /// Index into `Trace::events`.
    index: u32,
    ts: u64,
    obs: Obs,
}

/// A unit of checking: the expected events of some CPUs, in model numbering.
#[derive(Clone, Debug)]
pub struct Round {
    /// Trace CPU of each model CPU (model CPU 0 is the initiator of a Linux round).
    pub cpus: Vec<u16>,
    pub initiator: u16,
    /// Event index of the first event of the round.
    pub start: u32,
    seqs: Vec<Vec<Expected>>,
    /// The request was for a full flush (`tlb_flush` pages -1 with reason 4).
    full_request: bool,
    /// The kinds of events the capture holds: the model's trace points of other kinds are
    /// silent steps, so a kernel without csd tracepoints (before 6.4) or a capture without
    /// `ipi_send_cpu` or `irq_vectors` is checked on what it has.
    recorded: Recorded,
    /// Set when the round cannot be checked at all (too many CPUs for the model, …).
    unfit: Option<String>,
}

impl Round {
    pub fn events(&self) -> usize {
        self.seqs.iter().map(Vec::len).sum()
    }
}

/// The rounds of a trace: Linux shootdown rounds (by csd evidence), or for the ktrdump
/// dialects one window of the whole trace from the model's initial state.
pub fn rounds(trace: &Trace, max_cpus: usize) -> Vec<Round> {
    if whole_window(trace.format) {
        whole(trace, max_cpus)
    } else {
        linux_rounds(trace, max_cpus)
    }
}

/// Whether a trace of this format is checked as one window from the model's initial
/// state (the ktrdump dialects and the product's own runs) rather than round by round.
pub fn whole_window(format: Format) -> bool {
    matches!(format, Format::FreeBsdKtr | Format::DragonFlyKtr | Format::Emulated)
}

/// Whether a reconstructed Linux round is checked: a TLB shootdown with a target that
/// logged its part (a queued request with csd evidence, Linux 6.4 and later; a target's
/// `remote shootdown` flush before that), which is what the search matches.
pub fn checks_round(evidence: Option<Evidence>, r: &sdlab_trace::replay::Round) -> bool {
    r.kind == RoundKind::LinuxTlb
        && match evidence {
            Some(Evidence::Csd) => r.legs.iter().any(|l| l.queued.is_some()),
            Some(Evidence::TlbIrq | Evidence::TlbFlush) => r.legs.iter().any(|l| l.flushed.is_some()),
            _ => false,
        }
}

fn whole(trace: &Trace, max_cpus: usize) -> Vec<Round> {
    let n = trace.cpus as usize;
    let mut seqs = vec![Vec::new(); n];
    let map = |c: u16| (usize::from(c) < n).then_some(c);
    for (i, e) in trace.events.iter().enumerate() {
        if let Some(obs) = observe(&e.kind, Dialect::Bsd, None, &map) {
            if let Some(s) = seqs.get_mut(e.cpu as usize) {
                s.push(Expected { index: i as u32, ts: e.ts, obs });
            }
        }
    }
    let unfit = (n > max_cpus).then(|| format!("the trace has {n} CPUs; the model allows at most {max_cpus}"));
    vec![Round {
        cpus: (0..n as u16).collect(),
        initiator: 0,
        start: 0,
        seqs,
        full_request: false,
        recorded: Recorded::ALL,
        unfit,
    }]
}

fn linux_rounds(trace: &Trace, max_cpus: usize) -> Vec<Round> {
    let replay = reconstruct(trace);
    let flush_func = (0..trace.names.len() as u32).find(|&s| trace.names.get(s) == crate::CSD_FUNC);
    if replay.evidence != Some(Evidence::Csd) {
        return linux_rounds_without_csd(trace, &replay, max_cpus);
    }
    let recorded = Recorded::of(trace, flush_func);
    let mut out = Vec::new();
    for r in replay.rounds.iter().filter(|r| checks_round(replay.evidence, r)) {
        let legs: Vec<_> = r.legs.iter().filter(|l| l.queued.is_some()).collect();
        let mut cpus = vec![r.initiator];
        let mut targets: Vec<u16> = legs.iter().map(|l| l.cpu).collect();
        targets.sort_unstable();
        targets.dedup();
        cpus.extend(targets.iter().copied().filter(|&t| t != r.initiator));
        let map = |c: u16| cpus.iter().position(|&x| x == c).map(|p| p as u16);
        let n = cpus.len();
        let mut seqs: Vec<Vec<Expected>> = vec![Vec::new(); n];
        let mut overlap: Option<String> = None;
        let start = r.start as usize;
        let full_request = matches!(trace.events.get(start).map(|e| e.kind), Some(Kind::TlbFlush { pages: -1, .. }));
        // The initiator: its request, its queues and sends, its own local call, up to the
        // next request of its own.
        let mut local_done = false;
        for (i, e) in trace.events.iter().enumerate().skip(start) {
            if e.cpu != r.initiator {
                continue;
            }
            if i > start && matches!(e.kind, Kind::TlbFlush { reason: 4, .. }) {
                break;
            }
            let Some(obs) = observe(&e.kind, Dialect::Linux, flush_func, &map) else { continue };
            let keep = match obs {
                Obs::Flush { reason, .. } => i == start || reason == 3 || reason == 2,
                Obs::Queue { .. } => !local_done,
                Obs::Send { .. } => i > start && !local_done,
                Obs::CsdEntry { csd: 0 } => true,
                Obs::CsdExit { csd: 0 } => {
                    local_done = true;
                    true
                }
                _ => false,
            };
            if keep {
                seqs[0].push(Expected { index: i as u32, ts: e.ts, obs });
            }
            if local_done {
                break;
            }
        }
        // Each target: the handler around its request, the request's entry, flush and exit.
        let sent = seqs[0].iter().fold(0u64, |m, e| match e.obs {
            Obs::Send { targets, .. } => m | targets,
            _ => m,
        });
        for l in &legs {
            let Some(mc) = map(l.cpu) else { continue };
            if mc == 0 {
                continue;
            }
            let seq = &mut seqs[mc as usize];
            let on_cpu = |i: &usize| trace.events.get(*i).is_some_and(|e| e.cpu == l.cpu);
            // The request's run, found by csd address and CPU rather than by the replay's
            // pairing, so that a run logged before its queue (which no kernel can do) is
            // still checked, and reported, instead of being left out.
            let Some(q) = l.queued.map(|q| q as usize) else { continue };
            let Some(Kind::CsdQueue { csd, .. }) = trace.events.get(q).map(|e| e.kind) else { continue };
            let is_queue = |i: usize| matches!(trace.events[i].kind, Kind::CsdQueue { csd: c, .. } if c == csd);
            let lo = (0..q).rev().find(|&i| is_queue(i)).map_or(0, |i| i + 1);
            let hi = (q + 1..trace.events.len()).find(|&i| is_queue(i)).unwrap_or(trace.events.len());
            let entry_of = |i: usize| matches!(trace.events[i].kind, Kind::CsdEntry { csd: c, .. } if c == csd);
            // After the queue first; only when the target ran nothing of it before the next
            // queue of the same csd, the last run logged since the previous queue.
            let after = (q + 1..hi).filter(on_cpu).find(|&i| entry_of(i));
            let Some(recv) = after.or_else(|| (lo..q).rev().filter(on_cpu).find(|&i| entry_of(i))) else { continue };
            let exit_of = |i: usize| matches!(trace.events[i].kind, Kind::CsdExit { csd: c, .. } if c == csd);
            let Some(done) = (recv + 1..trace.events.len()).filter(on_cpu).find(|&i| exit_of(i)) else { continue };
            // A target that ran another CPU's request since this round began, and then
            // nothing of this one (flush_tlb_func found its TLB fresh: the other request's
            // flush covered this one's generation), did what a model of one round cannot:
            // there, every request finds its target behind. Say so instead of a mismatch.
            // Likewise a target whose queue already held another CPU's request when this
            // round queued its own: llist_add said it was not first, so this round sent it
            // no IPI, and another round's IPI ran this request.
            if sent & (1 << mc) == 0 && overlap.is_none() {
                overlap = Some(format!(
                    "CPU {} was sent no IPI by this round (its call_single_queue already held another CPU's request, event {q}'s llist_add was not first); a model of one round cannot show a request run by another round's IPI",
                    l.cpu
                ));
            }
            let flushed =
                (recv..done).filter(on_cpu).any(|i| matches!(trace.events[i].kind, Kind::TlbFlush { reason: 1, .. }));
            if !flushed && overlap.is_none() {
                let other = (start..recv)
                    .filter(on_cpu)
                    .find(|&i| matches!(trace.events[i].kind, Kind::CsdEntry { csd: c, .. } if c != csd && c != 0));
                if let Some(i) = other {
                    overlap = Some(format!(
                        "CPU {} ran another round's request first (event {}), whose flush left nothing for this one; a model of one round cannot show a request that another round's flush has covered",
                        l.cpu, i
                    ));
                }
            }
            let start = lo.min(recv);
            // The call-function handler open at the entry: the last entry before it on
            // this CPU with no exit in between.
            let mut irq = None;
            for i in (start..recv).rev().filter(on_cpu) {
                match trace.events[i].kind {
                    Kind::IrqExit { vector } if call_function_vector(vector) => break,
                    Kind::IrqEntry { vector } if call_function_vector(vector) => {
                        irq = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let exit = (done + 1..trace.events.len())
                .filter(on_cpu)
                .find(|&i| matches!(trace.events[i].kind, Kind::IrqExit { vector } if call_function_vector(vector)));
            let mut push = |i: usize| {
                if let Some(obs) = trace.events.get(i).and_then(|e| observe(&e.kind, Dialect::Linux, flush_func, &map))
                {
                    seq.push(Expected { index: i as u32, ts: trace.events[i].ts, obs });
                }
            };
            if let Some(i) = irq {
                push(i);
            }
            // The request's own flush: after its entry, before the next request's entry
            // or the handler's exit (a flush logged after the exit is still this one's).
            let last = exit.unwrap_or(done);
            for i in (recv..=last).filter(on_cpu) {
                match trace.events[i].kind {
                    Kind::TlbFlush { reason: 1, .. } => push(i),
                    Kind::CsdEntry { .. } if i > recv => break,
                    _ if i == recv || i == done => push(i),
                    _ => {}
                }
            }
            if let Some(i) = exit {
                push(i);
            }
        }
        for s in &mut seqs {
            s.sort_by_key(|e| e.index);
        }
        let unfit =
            (n > max_cpus).then(|| format!("{n} CPUs take part; the model allows at most {max_cpus}")).or(overlap);
        out.push(Round { cpus, initiator: r.initiator, start: r.start, seqs, full_request, recorded, unfit });
    }
    out
}

/// Rounds of a kernel before 6.4 (no csd tracepoints): the initiator's `remote ipi send`
/// flush and its own local flush; each target's call-function handler entry, its `remote
/// shootdown` flush and the handler's exit, as the reconstruction paired them by time and
/// CPU (the pairing is an inference, said in the round notes; a wrong pairing shows here as
/// a mismatch, never as a conforming round).
fn linux_rounds_without_csd(trace: &Trace, replay: &sdlab_trace::replay::Replay, max_cpus: usize) -> Vec<Round> {
    let recorded = Recorded::of(trace, None);
    let mut out = Vec::new();
    for r in replay.rounds.iter().filter(|r| checks_round(replay.evidence, r)) {
        let legs: Vec<_> = r.legs.iter().filter(|l| l.flushed.is_some() && l.cpu != r.initiator).collect();
        let mut cpus = vec![r.initiator];
        for l in &legs {
            if !cpus.contains(&l.cpu) {
                cpus.push(l.cpu);
            }
        }
        let map = |c: u16| cpus.iter().position(|&x| x == c).map(|p| p as u16);
        let n = cpus.len();
        let mut seqs: Vec<Vec<Expected>> = vec![Vec::new(); n];
        let start = r.start as usize;
        let full_request = matches!(trace.events.get(start).map(|e| e.kind), Some(Kind::TlbFlush { pages: -1, .. }));
        let expected = |i: usize| {
            let e = trace.events.get(i)?;
            observe(&e.kind, Dialect::Linux, None, &map).map(|obs| Expected { index: i as u32, ts: e.ts, obs })
        };
        // The initiator: the request, then its own flush of the range (smp_call_function's
        // local call), unless its next request comes first.
        seqs[0].extend(expected(start));
        for (i, e) in trace.events.iter().enumerate().skip(start + 1) {
            if e.cpu != r.initiator {
                continue;
            }
            match e.kind {
                Kind::TlbFlush { reason: 4, .. } => break,
                Kind::TlbFlush { reason: 2 | 3, .. } => {
                    seqs[0].extend(expected(i));
                    break;
                }
                _ => {}
            }
        }
        for l in &legs {
            let Some(mc) = map(l.cpu) else { continue };
            let mut at: Vec<u32> = [l.received, l.flushed, l.done].into_iter().flatten().collect();
            at.sort_unstable();
            at.dedup();
            seqs[mc as usize].extend(at.into_iter().filter_map(|i| expected(i as usize)));
        }
        for s in &mut seqs {
            s.sort_by_key(|e| e.index);
        }
        let unfit = (n > max_cpus).then(|| format!("{n} CPUs take part; the model allows at most {max_cpus}"));
        out.push(Round { cpus, initiator: r.initiator, start: r.start, seqs, full_request, recorded, unfit });
    }
    out
}

/// A matching run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Matched {
    /// The model's schedule (what `sdlab run --schedule` and the stepper load).
    pub schedule: Vec<Choice>,
    /// For each matched trace event: the step (0-based index into `schedule`) that produced
    /// it and the event's index in `Trace::events`.
    pub steps: Vec<(u32, u32)>,
}

/// Why no run of the model produces the round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Events of the round matched by the longest matching prefix.
    pub prefix: usize,
    /// The shortest run of the model that matches that prefix: the stepper plays it to
    /// show the machine where the kernel and the model part ways.
    pub run: Matched,
    /// The event the model cannot produce there (index into `Trace::events`).
    pub event: u32,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Conforms(Matched),
    Mismatch(Mismatch),
    /// The bound was reached, or the round cannot be set up: never read as conforming.
    Undecided(String),
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    /// Product states visited.
    pub states: usize,
}

/// The search's position: the machine's state and what of the trace it has produced.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    state: State,
    cursor: Vec<u16>,
    /// Per CPU, IPI targets the model has sent that no trace send has absorbed yet.
    pending: Vec<u64>,
    /// Trace csd address → model csd slot, in the order the pairs were made.
    csd: Vec<(u64, u64)>,
}

struct Node {
    parent: u32,
    choice: Option<Choice>,
    /// Indices into the round's expected events (per CPU, flattened as (cpu, position)).
    matched: Vec<(u16, u16)>,
}

/// Check one round on `machine`, which must have `round.cpus.len()` CPUs. `keep_going` is
/// asked every 1024 states (the caller's clock: this crate has none).
pub fn check(
    machine: &Machine,
    trace: &Trace,
    round: &Round,
    opts: &Options,
    keep_going: &mut dyn FnMut() -> bool,
) -> Outcome {
    if let Some(why) = &round.unfit {
        return Outcome { verdict: Verdict::Undecided(why.clone()), states: 0 };
    }
    let dialect = match trace.format {
        Format::FreeBsdKtr | Format::DragonFlyKtr | Format::Emulated => Dialect::Bsd,
        _ => Dialect::Linux,
    };
    let n = round.cpus.len();
    if machine.ncpu() != n {
        let why = format!("the machine has {} CPUs, the round {n}", machine.ncpu());
        return Outcome { verdict: Verdict::Undecided(why), states: 0 };
    }
    let total = round.events();
    // need[c][k][d]: how many of CPU d's events must be matched before CPU c's event k.
    let need: Vec<Vec<Vec<u16>>> = round
        .seqs
        .iter()
        .map(|s| {
            s.iter()
                .map(|e| {
                    round
                        .seqs
                        .iter()
                        .map(|d| d.iter().take_while(|x| x.ts.saturating_add(opts.skew) < e.ts).count() as u16)
                        .collect()
                })
                .collect()
        })
        .collect();
    let ctx = Ctx { round, need: &need, dialect };
    let mut builder = Builder::new(machine);
    let mut root = Key { state: machine.initial(), cursor: vec![0; n], pending: vec![0; n], csd: Vec::new() };
    let mut root_matched = Vec::new();
    let mut init_obs = effects_obs(&mut builder, machine, machine.initial_effects(), dialect);
    init_obs.retain(|(_, o)| round.recorded.holds(o));
    if ctx.apply_all(&mut root, &init_obs, &mut root_matched).is_err() {
        let verdict = ctx.diagnose(trace, machine, &root, 0);
        return Outcome { verdict, states: 1 };
    }
    let mut nodes = vec![Node { parent: u32::MAX, choice: None, matched: root_matched }];
    let mut seen: HashSet<u128, BuildHasherDefault<Low64>> = HashSet::default();
    let mut queue: VecDeque<(u32, Key)> = VecDeque::new();
    let mut best = (count(&root), 0u32, root.clone());
    if best.0 == total {
        return Outcome { verdict: Verdict::Conforms(path(&nodes, 0, round)), states: 1 };
    }
    seen.insert(fingerprint(&root));
    queue.push_back((0, root));
    let mut choices = Vec::new();
    let mut fx = Vec::new();
    while let Some((id, key)) = queue.pop_front() {
        if nodes.len() >= opts.max_states {
            let why = format!("bound reached: {} states (longest prefix {} of {total} events)", nodes.len(), best.0);
            return Outcome { verdict: Verdict::Undecided(why), states: nodes.len() };
        }
        if nodes.len() % 1024 == 0 && !keep_going() {
            let why = format!(
                "time bound reached after {} states (longest prefix {} of {total} events)",
                nodes.len(),
                best.0
            );
            return Outcome { verdict: Verdict::Undecided(why), states: nodes.len() };
        }
        choices.clear();
        machine.enabled(&key.state, &mut choices);
        for &ch in &choices {
            let mut next = key.clone();
            fx.clear();
            if machine.step(&mut next.state, ch, &mut fx).is_err() {
                continue;
            }
            let mut obs = effects_obs(&mut builder, machine, &fx, dialect);
            obs.retain(|(_, o)| round.recorded.holds(o));
            let mut matched = Vec::new();
            if ctx.apply_all(&mut next, &obs, &mut matched).is_err() || !seen.insert(fingerprint(&next)) {
                continue;
            }
            let nid = nodes.len() as u32;
            nodes.push(Node { parent: id, choice: Some(ch), matched });
            let got = count(&next);
            if got == total {
                return Outcome { verdict: Verdict::Conforms(path(&nodes, nid, round)), states: nodes.len() };
            }
            if got > best.0 {
                best = (got, nid, next.clone());
            }
            queue.push_back((nid, next));
        }
    }
    let mut verdict = ctx.diagnose(trace, machine, &best.2, best.0);
    if let Verdict::Mismatch(m) = &mut verdict {
        m.run = path(&nodes, best.1, round);
    }
    Outcome { verdict, states: nodes.len() }
}

/// A 128-bit fingerprint of a product state. The search keeps fingerprints, not states, as
/// the checker does: two distinct states collide with probability about n²/2¹²⁹, far below
/// one in a billion for the bound's 200 000 states. SipHash over the derived `Hash` cost
/// half the search's time; this mixes each word with two multiplies.
fn fingerprint(k: &Key) -> u128 {
    let mut h = Fp { a: 0x243F_6A88_85A3_08D3, b: 0x1319_8A2E_0370_7344 };
    k.hash(&mut h);
    (u128::from(h.a) << 64) | u128::from(h.b)
}

struct Fp {
    a: u64,
    b: u64,
}

impl Fp {
    #[inline]
    fn word(&mut self, w: u64) {
        let m = |x: u64, k: u64| {
            let r = u128::from(x).wrapping_mul(u128::from(k));
            (r as u64) ^ ((r >> 64) as u64)
        };
        self.a = m(self.a ^ w, 0xA076_1D64_78BD_642F);
        self.b = m(self.b.rotate_left(23) ^ w, 0xE703_7ED1_A0B4_28DB);
    }
}

impl Hasher for Fp {
    fn finish(&self) -> u64 {
        self.a
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            // The length keeps "ab" + "" apart from "a" + "b".
            self.word(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.word(u64::from(i) | 1 << 62);
    }
    fn write_u16(&mut self, i: u16) {
        self.word(u64::from(i) | 2 << 62);
    }
    fn write_u32(&mut self, i: u32) {
        self.word(u64::from(i) | 3 << 62);
    }
    fn write_u64(&mut self, i: u64) {
        self.word(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.word(i as u64);
    }
}

/// The set of fingerprints hashes a fingerprint by its low half: it is already mixed.
#[derive(Default)]
struct Low64(u64);

impl Hasher for Low64 {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, i: u128) {
        self.0 = i as u64;
    }
}

fn count(k: &Key) -> usize {
    k.cursor.iter().map(|&c| c as usize).sum()
}

fn path(nodes: &[Node], mut id: u32, round: &Round) -> Matched {
    let mut rev = Vec::new();
    while let Some(n) = nodes.get(id as usize) {
        rev.push(n);
        id = n.parent;
    }
    rev.reverse();
    let mut schedule = Vec::new();
    let mut steps = Vec::new();
    for n in rev {
        let step = schedule.len().saturating_sub(usize::from(n.choice.is_none())) as u32;
        for &(c, k) in &n.matched {
            if let Some(e) = round.seqs.get(c as usize).and_then(|s| s.get(k as usize)) {
                // The initial node's matches belong to time 0, before any step.
                steps.push((if n.choice.is_some() { step } else { 0 }, e.index));
            }
        }
        if let Some(ch) = n.choice {
            schedule.push(ch);
        }
    }
    Matched { schedule, steps }
}

fn effects_obs(b: &mut Builder, m: &Machine, fx: &[sdlab_engine::Effect], dialect: Dialect) -> Vec<(u16, Obs)> {
    b.clear();
    for f in fx {
        b.effect(m, 0, f);
    }
    let flush = (0..b.names.len() as u32).find(|&s| b.names.get(s) == crate::CSD_FUNC);
    let id = |c: u16| Some(c);
    b.events.iter().filter_map(|e: &Event| observe(&e.kind, dialect, flush, &id).map(|o| (e.cpu, o))).collect()
}

struct Ctx<'a> {
    round: &'a Round,
    need: &'a [Vec<Vec<u16>>],
    dialect: Dialect,
}

impl Ctx<'_> {
    fn ready(&self, k: &Key, c: usize) -> bool {
        let Some(need) = self.need.get(c).and_then(|v| v.get(k.cursor[c] as usize)) else { return false };
        need.iter().enumerate().all(|(d, &m)| d == c || k.cursor[d] >= m)
    }

    /// Trace sends whose mask the model's sends cover are consumed.
    fn absorb_sends(&self, k: &mut Key, c: usize, matched: &mut Vec<(u16, u16)>) {
        while let Some(e) = self.round.seqs[c].get(k.cursor[c] as usize) {
            let Obs::Send { targets, .. } = e.obs else { break };
            if targets & !k.pending[c] != 0 || !self.ready(k, c) {
                break;
            }
            k.pending[c] &= !targets;
            matched.push((c as u16, k.cursor[c]));
            k.cursor[c] += 1;
        }
    }

    fn apply_all(&self, k: &mut Key, obs: &[(u16, Obs)], matched: &mut Vec<(u16, u16)>) -> Result<(), ()> {
        for &(c, o) in obs {
            self.apply(k, c as usize, o, matched)?;
        }
        for c in 0..k.cursor.len() {
            self.absorb_sends(k, c, matched);
        }
        Ok(())
    }

    fn apply(&self, k: &mut Key, c: usize, o: Obs, matched: &mut Vec<(u16, u16)>) -> Result<(), ()> {
        let seq = self.round.seqs.get(c).ok_or(())?;
        if let Obs::Send { targets, vector } = o {
            // Every target must be in a send the trace still shows on this CPU.
            let later: u64 = seq[k.cursor[c] as usize..]
                .iter()
                .filter_map(|e| match e.obs {
                    Obs::Send { targets: t, vector: v } if v == vector || v.is_none() || vector.is_none() => Some(t),
                    _ => None,
                })
                .fold(0, |a, t| a | t);
            if targets & !later != 0 {
                return Err(());
            }
            k.pending[c] |= targets;
            return Ok(());
        }
        self.absorb_sends(k, c, matched);
        let e = seq.get(k.cursor[c] as usize).ok_or(())?;
        if !self.ready(k, c) || !self.same(k, e.obs, o) {
            return Err(());
        }
        matched.push((c as u16, k.cursor[c]));
        k.cursor[c] += 1;
        Ok(())
    }

    /// Whether the model's `m` is the trace's `t`, binding csd addresses as it goes.
    fn same(&self, k: &mut Key, t: Obs, m: Obs) -> bool {
        match (t, m) {
            // The initiator's own flush (TLB_LOCAL_MM_SHOOTDOWN) is partial or full by
            // generations other CPUs' rounds may have moved, which a round checked from
            // the model's initial state does not know: any flush matches any.
            (Obs::Flush { reason: 3, pages: p }, Obs::Flush { reason: 3, pages: s }) => p != 0 && s != 0,
            (Obs::Flush { reason: r, pages: p }, Obs::Flush { reason: q, pages: s }) => {
                r == q && (p == s || (p > 0 && s > 0) || (self.round.full_request && p == -1 && s != 0))
            }
            (Obs::Queue { target: a, csd: x }, Obs::Queue { target: b, csd: y }) => a == b && bind(k, x, y),
            (Obs::CsdEntry { csd: x }, Obs::CsdEntry { csd: y })
            | (Obs::CsdExit { csd: x }, Obs::CsdExit { csd: y }) => bind(k, x, y),
            (Obs::IrqEntry { vector: a }, Obs::IrqEntry { vector: b })
            | (Obs::IrqExit { vector: a }, Obs::IrqExit { vector: b }) => a.is_none() || b.is_none() || a == b,
            _ => self.dialect == Dialect::Bsd && t == m,
        }
    }

    /// The first event the model cannot produce after the longest prefix, and why.
    fn diagnose(&self, trace: &Trace, machine: &Machine, k: &Key, prefix: usize) -> Verdict {
        let seqs = &self.round.seqs;
        let next = (0..seqs.len())
            .filter_map(|c| seqs[c].get(k.cursor[c] as usize).map(|e| (c, e)))
            .min_by_key(|(_, e)| (e.ts, e.index));
        let Some((c, e)) = next else {
            return Verdict::Undecided("no event left to match, yet no run ended there".into());
        };
        let line = |i: u32| trace.events.get(i as usize).map_or(0, |e| e.line);
        let tcpu = |mc: usize| self.round.cpus.get(mc).copied().unwrap_or(0);
        let all = || seqs.iter().enumerate().flat_map(|(c, s)| s.iter().enumerate().map(move |(p, e)| (c, p, e)));
        let done = |c: usize, p: usize| p < k.cursor[c] as usize;
        let mismatch =
            |event: u32, reason: String| Verdict::Mismatch(Mismatch { prefix, run: Matched::default(), event, reason });
        // The handler's request, when the handler entry is what is blocked.
        let mut focus = (c, k.cursor[c] as usize, e);
        if let Obs::IrqEntry { .. } = e.obs {
            if let Some(n) = seqs[c].get(k.cursor[c] as usize + 1) {
                if matches!(n.obs, Obs::CsdEntry { .. }) {
                    focus = (c, k.cursor[c] as usize + 1, n);
                }
            }
        }
        let (fc, _, fe) = focus;
        match fe.obs {
            Obs::CsdEntry { csd } if csd != 0 => {
                let queued = all().find(|(_, _, x)| matches!(x.obs, Obs::Queue { csd: q, .. } if q == csd));
                match queued {
                    Some((qc, qp, q)) if !done(qc, qp) => {
                        return mismatch(
                            fe.index,
                            format!(
                                "CPU {} enters flush_tlb_func for csd {csd:x} before that csd was queued (csd_queue_cpu on CPU {} at line {})",
                                tcpu(fc),
                                tcpu(qc),
                                line(q.index)
                            ),
                        )
                    }
                    None => {
                        return mismatch(
                            fe.index,
                            format!("CPU {} enters flush_tlb_func for csd {csd:x}, which this round never queued", tcpu(fc)),
                        )
                    }
                    _ => {}
                }
            }
            Obs::Queue { csd, .. } => {
                let queues = all()
                    .filter(|&(qc, qp, x)| done(qc, qp) && matches!(x.obs, Obs::Queue { csd: q, .. } if q == csd))
                    .count();
                let exits = all()
                    .filter(|&(xc, xp, x)| done(xc, xp) && matches!(x.obs, Obs::CsdExit { csd: q } if q == csd))
                    .count();
                if queues > exits {
                    let prev = all()
                        .filter(|&(qc, qp, x)| done(qc, qp) && matches!(x.obs, Obs::Queue { csd: q, .. } if q == csd))
                        .max_by_key(|p| p.2.index);
                    return mismatch(
                        fe.index,
                        format!(
                            "CPU {} queues csd {csd:x} again while it is still locked: the request queued at line {} has not finished (no csd_function_exit yet)",
                            tcpu(fc),
                            prev.map_or(0, |p| line(p.2.index))
                        ),
                    );
                }
            }
            Obs::Flush { reason: 1, .. }
                if self.round.recorded.handlers
                    && !seqs[fc][..focus.1].iter().any(|x| matches!(x.obs, Obs::IrqEntry { .. })) =>
            {
                return mismatch(
                    fe.index,
                    format!(
                        "CPU {} logs a remote shootdown flush (line {}) outside any call-function handler: a kernel flushes for another CPU's request only inside the IPI's handler",
                        tcpu(fc),
                        line(fe.index)
                    ),
                );
            }
            Obs::CsdExit { csd } => {
                // A flush after the exit on the same CPU: the model flushes first.
                let after = seqs[fc][k.cursor[fc] as usize + 1..]
                    .iter()
                    .take_while(|x| !matches!(x.obs, Obs::CsdEntry { .. }))
                    .find(|x| matches!(x.obs, Obs::Flush { reason: 1, .. }));
                if let Some(f) = after {
                    return mismatch(
                        f.index,
                        format!(
                            "CPU {} flushes (tlb_flush remote shootdown) after it reported completion of csd {csd:x} (csd_function_exit at line {}): the initiator may already have gone on",
                            tcpu(fc),
                            line(fe.index)
                        ),
                    );
                }
            }
            _ => {}
        }
        // Blocked by an earlier event elsewhere, or simply not what the model does next.
        let blocker = self.need[c][k.cursor[c] as usize].iter().enumerate().find(|&(d, &m)| d != c && k.cursor[d] < m);
        if let Some((d, _)) = blocker {
            if let Some(b) = seqs[d].get(k.cursor[d] as usize) {
                return mismatch(
                    e.index,
                    format!(
                        "CPU {} logs {} at line {}, but the model cannot first produce CPU {}'s earlier {} (line {})",
                        tcpu(c),
                        e.obs,
                        line(e.index),
                        tcpu(d),
                        b.obs,
                        line(b.index)
                    ),
                );
            }
        }
        let mut choices = Vec::new();
        machine.enabled(&k.state, &mut choices);
        let what = if choices.iter().any(|ch| ch.cpu() as usize == c) {
            "its steps there emit something else or nothing"
        } else {
            "the CPU has no step enabled there"
        };
        mismatch(
            e.index,
            format!("the model cannot produce {} on CPU {} after the matched prefix: {what}", e.obs, tcpu(c)),
        )
    }
}

fn bind(k: &mut Key, t: u64, m: u64) -> bool {
    if t == 0 || m == 0 {
        return t == m;
    }
    match (k.csd.iter().find(|p| p.0 == t), k.csd.iter().find(|p| p.1 == m)) {
        (Some(p), _) => p.1 == m,
        (None, Some(_)) => false,
        (None, None) => {
            k.csd.push((t, m));
            true
        }
    }
}

/// The machine a round is checked on: bundled model `id` with `ncpu` CPUs, in `scenario`
/// (for Linux, [`LINUX_SCENARIO`] when none is given), options at their defaults.
pub fn machine_for(id: &str, scenario: Option<&str>, ncpu: usize) -> Result<Machine, String> {
    let b = sdlab_engine::models::find(id).ok_or_else(|| format!("no bundled model `{id}`"))?;
    let (prog, _) = sdlab_engine::compile(b.source);
    let prog = prog.ok_or_else(|| format!("model `{id}` does not compile"))?;
    let mut cfg = sdlab_engine::Config::new(&prog);
    let (lo, hi) = (prog.cpus.0, prog.cpus.1);
    if ncpu < lo as usize || ncpu > hi as usize {
        return Err(format!("{ncpu} CPUs take part; model `{id}` allows {lo} to {hi}"));
    }
    cfg.ncpu = ncpu as u32;
    let scenario = scenario.or((id == "linux").then_some(LINUX_SCENARIO));
    if let Some(s) = scenario {
        cfg.scenario = prog.scenario_index(s).ok_or_else(|| format!("model `{id}` has no scenario `{s}`"))?;
    }
    Ok(Machine::new(std::sync::Arc::new(prog), cfg)?)
}

/// The most CPUs model `id` allows (0 when there is no such model).
pub fn max_cpus(id: &str) -> usize {
    sdlab_engine::models::find(id).and_then(|b| sdlab_engine::compile(b.source).0).map_or(0, |p| p.cpus.1 as usize)
}

/// The machines rounds are checked on, per scenario and CPU count, built on first use:
/// compiling the model per round would cost more than checking most rounds.
///
/// Without a scenario asked for, a round is checked from the model's default scenario
/// first ([`LINUX_SCENARIO`] for Linux, else the first), then from each other one: a
/// kernel round may start from any of the situations the model's scenarios set up (a
/// target fresh from a context switch, a lazy one, …), and a run the product emulated from
/// any scenario must read back as conforming.
pub struct Machines {
    model: String,
    scenarios: Vec<String>,
    /// `[scenario][ncpu]`.
    built: Vec<Vec<Option<Result<Machine, String>>>>,
}

impl Machines {
    pub fn new(model: &str, scenario: Option<&str>) -> Machines {
        let scenarios = match scenario {
            Some(s) => vec![s.to_string()],
            None => {
                let names: Vec<String> = sdlab_engine::models::find(model)
                    .and_then(|b| sdlab_engine::compile(b.source).0)
                    .map(|p| p.scenarios.iter().map(|s| s.name.clone()).collect())
                    .unwrap_or_default();
                let first = names.iter().position(|n| model == "linux" && n == LINUX_SCENARIO).unwrap_or(0);
                let mut order: Vec<String> = names.get(first).cloned().into_iter().collect();
                order.extend(names.iter().enumerate().filter(|&(i, _)| i != first).map(|(_, n)| n.clone()));
                order
            }
        };
        let built = vec![Vec::new(); scenarios.len().max(1)];
        Machines { model: model.to_string(), scenarios, built }
    }

    /// The machine for scenario `k` (in the order tried) with `ncpu` CPUs, or why there is
    /// none (too many CPUs for the model, too few for the scenario, no such scenario, …).
    pub fn get(&mut self, k: usize, ncpu: usize) -> Result<&Machine, &str> {
        let Some(row) = self.built.get_mut(k) else { return Err("no such scenario") };
        if row.len() <= ncpu {
            row.resize_with(ncpu + 1, || None);
        }
        let (model, scenario) = (&self.model, self.scenarios.get(k).map(String::as_str));
        match row[ncpu].get_or_insert_with(|| machine_for(model, scenario, ncpu)) {
            Ok(m) => Ok(m),
            Err(why) => Err(why.as_str()),
        }
    }

    /// Check `round` from each scenario in turn until one produces it. The verdict is a
    /// mismatch only when every scenario that fits the round's CPUs was searched to the end
    /// without producing it (its prefix and reason are those of the scenario that matched
    /// the most events); undecided when some scenario was not decided. The scenario of the
    /// run (or of the mismatch's prefix) comes with it.
    pub fn check(
        &mut self,
        trace: &Trace,
        round: &Round,
        opts: &Options,
        keep_going: &mut dyn FnMut() -> bool,
    ) -> (Outcome, Option<String>) {
        let mut states = 0;
        let mut best: Option<(Mismatch, usize)> = None;
        let mut undecided: Option<String> = None;
        let mut unfit: Option<String> = None;
        for k in 0..self.scenarios.len().max(1) {
            let machine = match self.get(k, round.cpus.len()) {
                Ok(m) => m,
                // A scenario for more CPUs than the round has is not this round's.
                Err(why) => {
                    unfit.get_or_insert_with(|| why.to_string());
                    continue;
                }
            };
            let o = check(machine, trace, round, opts, keep_going);
            states += o.states;
            match o.verdict {
                Verdict::Conforms(m) => {
                    return (Outcome { verdict: Verdict::Conforms(m), states }, self.scenarios.get(k).cloned())
                }
                Verdict::Mismatch(mm) => {
                    if best.as_ref().is_none_or(|(b, _)| mm.prefix > b.prefix) {
                        best = Some((mm, k));
                    }
                }
                Verdict::Undecided(why) => {
                    undecided.get_or_insert(why);
                }
            }
        }
        let verdict = match (undecided, best) {
            (Some(why), _) => Verdict::Undecided(why),
            (None, Some((mm, k))) => {
                return (Outcome { verdict: Verdict::Mismatch(mm), states }, self.scenarios.get(k).cloned())
            }
            (None, None) => Verdict::Undecided(unfit.unwrap_or_else(|| "the model has no scenario".into())),
        };
        (Outcome { verdict, states }, None)
    }
}
