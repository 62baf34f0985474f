//! Reconstruction: from sorted [`Event`]s to what a viewer shows — shootdown rounds, IPI
//! arrows, handler and csd bars, ipiq ring occupancy — plus a time index for scrubbing and
//! the statistics `sdlab trace stats` prints.
//!
//! One pass over the events drives small trackers (as Perfetto's flow and slice trackers
//! do): [`track::Tracker`] pairs sends with receives and builds rounds; every change of
//! the scrubbable state (pending IPIs, ring depth, rounds in flight) is recorded as a
//! [`Delta`] tagged with its event index. [`Replay::state_at`] starts from the nearest
//! checkpoint and applies at most [`CHECKPOINT_EVERY`] events' deltas.
//!
//! Nothing here panics on input: events that do not fit together become
//! [`WarningClass::Reconstruct`] warnings, and orphans that only mean "the trace started in
//! the middle of something" are counted apart, not warned about.

mod index;
mod stats;
mod track;

use crate::event::{CpuMask, Trace, Warning};
use serde::{Deserialize, Serialize};
use std::ops::Range;

pub use index::{RingDepth, Snapshot, MAX_CPUS};
pub use stats::{Bucket, Latency, Stats};
pub(crate) use track::bits as track_bits;

/// Checkpoint spacing of the time index: `state_at` replays at most this many events.
pub const CHECKPOINT_EVERY: usize = 1024;

/// What protocol a round was reconstructed from, and so what it is: not every round is a
/// TLB shootdown (see [`RoundKind::is_tlb_shootdown`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RoundKind {
    /// Linux x86: `tlb_flush (4)` on the initiator, `csd_queue_cpu func=flush_tlb_func` per
    /// target, paired with each target's `csd_function_entry/exit` by csd address; or, in a
    /// trace without csd events, each target's `remote shootdown` flush and the handler
    /// around it, paired by time and CPU (legs then have no `queued` record).
    #[serde(rename = "linux-tlb")]
    LinuxTlb,
    /// DragonFly `ipiq_sync_start` … `ipiq_sync_end` on the initiator: a cpusync rendezvous
    /// (lwkt_cpusync_interlock/deinterlock in sys/kern/lwkt_ipiq.c). Not a TLB shootdown:
    /// DragonFly's pmap_inval_smp (sys/platform/pc64/x86_64/pmap_inval.c) signals its
    /// targets with the Xinvltlb IPI and has no KTR point at all. The initiator sends to
    /// the mask *before* it logs `ipiq_sync_start`, so a leg's receive may precede the
    /// round's start (the initiator's latest message to that CPU since its last sync record).
    #[serde(rename = "dragonfly-cpusync")]
    DragonFlyCpusync,
    /// DragonFly `ipiq_sync_quick` (lwkt_cpusync_quick, "typically only used for
    /// kernel_pmap updates"): the targets run the function without being quiesced. No KTR
    /// point marks the end, so the round completes at the last target's `ipiq_receive` of
    /// the initiator's message, a lower bound of when the initiator stopped waiting (at the
    /// start if every target received before `ipiq_sync_quick` was logged).
    #[serde(rename = "dragonfly-cpusync-quick")]
    DragonFlyCpusyncQuick,
    /// An emulated run (every handler is traced): one IPI send is a round; each target's
    /// leg is received at the handler entry the IPI caused and done at its exit.
    #[serde(rename = "ipi-round")]
    IpiRound,
    /// FreeBSD x86: a burst of `ipi_selected`/`ipi_cpu`/`smp_targeted_tlb_shootdown`/
    /// `ipi_all_but_self` records from one CPU with one shootdown vector (`track.rs`'s
    /// `FREEBSD_SHOOTDOWN_VECTORS`). KTR logs only the send side: they never complete.
    #[serde(rename = "freebsd-shootdown-ipis")]
    FreeBsdShootdownIpis,
}

impl RoundKind {
    /// The name `sdlab trace stats` and the exports print.
    pub fn name(self) -> &'static str {
        match self {
            RoundKind::LinuxTlb => "linux-tlb",
            RoundKind::DragonFlyCpusync => "dragonfly-cpusync",
            RoundKind::DragonFlyCpusyncQuick => "dragonfly-cpusync-quick",
            RoundKind::IpiRound => "ipi-round",
            RoundKind::FreeBsdShootdownIpis => "freebsd-shootdown-ipis",
        }
    }

    /// What the round is, in words for a table.
    pub fn words(self) -> &'static str {
        match self {
            RoundKind::LinuxTlb => "TLB shootdown",
            RoundKind::DragonFlyCpusync => "cpusync rendezvous",
            RoundKind::DragonFlyCpusyncQuick => "quick cpusync",
            RoundKind::IpiRound => "IPI",
            RoundKind::FreeBsdShootdownIpis => "TLB shootdown IPIs (sends only)",
        }
    }

    /// Whether the round is a TLB shootdown, rather than a rendezvous or a plain IPI.
    pub fn is_tlb_shootdown(self) -> bool {
        matches!(self, RoundKind::LinuxTlb | RoundKind::FreeBsdShootdownIpis)
    }
}

/// Which records a Linux trace's rounds were reconstructed from, chosen per trace from the
/// events it has (`Replay::evidence`, `None` for other kernels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// `csd_queue_cpu func=flush_tlb_func` and `csd_function_entry/exit` (Linux 6.4 and
    /// later): requests and their runs are paired by csd address, every pairing is exact.
    Csd,
    /// No csd events (Linux before 6.4): `tlb_flush` reasons `remote ipi send` and `remote
    /// shootdown` plus the `call_function[_single]_entry/exit` handlers around the latter,
    /// paired by time and CPU (see `track.rs` for what is certain and what inferred).
    TlbIrq,
    /// The `tlb_flush` reasons alone: a leg is a target's `remote shootdown` flush.
    TlbFlush,
    /// Not enough for any round; the stats note says which events are missing.
    Insufficient,
}

impl Evidence {
    pub fn name(self) -> &'static str {
        match self {
            Evidence::Csd => "csd",
            Evidence::TlbIrq => "tlb-flush+irq-vectors",
            Evidence::TlbFlush => "tlb-flush",
            Evidence::Insufficient => "none",
        }
    }

    pub(crate) fn of(trace: &Trace, flush_sym: Option<crate::event::Sym>) -> Evidence {
        use crate::event::Kind;
        let (mut csd, mut send, mut remote, mut handler) = (false, false, false, false);
        for e in &trace.events {
            match e.kind {
                Kind::CsdQueue { func, .. } if Some(func) == flush_sym => csd = true,
                Kind::TlbFlush { reason: 4, .. } => send = true,
                Kind::TlbFlush { reason: 1, .. } => remote = true,
                Kind::IrqEntry { vector: 251 | 252 } => handler = true,
                _ => {}
            }
        }
        match (csd, send && remote, handler) {
            (true, _, _) => Evidence::Csd,
            (false, true, true) => Evidence::TlbIrq,
            (false, true, false) => Evidence::TlbFlush,
            (false, false, _) => Evidence::Insufficient,
        }
    }
}

/// One target of a round. Fields are event indices into `Trace::events`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    pub cpu: u16,
    /// The request for this target (`csd_queue_cpu`, the `ipi_selected` record).
    pub queued: Option<u32>,
    /// The target started handling it (`csd_function_entry`, `ipiq_receive`).
    pub received: Option<u32>,
    /// The target's own flush (`tlb_flush (1)`), if it logged one.
    pub flushed: Option<u32>,
    /// The target finished (`csd_function_exit`).
    pub done: Option<u32>,
}

/// A shootdown round: one initiator, its targets, and when it completed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    pub kind: RoundKind,
    pub initiator: u16,
    /// Event index of the start (`tlb_flush (4)`, `ipiq_sync_start`/`ipiq_sync_quick`, the
    /// first send).
    pub start: u32,
    /// Event index of the completion: the last target's `csd_function_exit`, the
    /// `ipiq_sync_end`. `None` while in flight at the end of the trace, and always for
    /// FreeBSD (no receive side in KTR).
    pub end: Option<u32>,
    pub targets: CpuMask,
    pub legs: Vec<Leg>,
    /// `tlb_flush` pages of the start (-1 = full flush); `vector`: the IPI vector (FreeBSD,
    /// emulated runs).
    pub pages: Option<i64>,
    pub vector: Option<u16>,
}

impl Round {
    /// Completion minus start, in the trace's time unit.
    pub fn latency(&self, trace: &Trace) -> Option<u64> {
        let end = trace.events.get(self.end? as usize)?.ts;
        let start = trace.events.get(self.start as usize)?.ts;
        Some(end.saturating_sub(start))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArrowKind {
    /// A hardware IPI: send event → the handler entry it caused on the target.
    Ipi,
    /// A Linux call-function request: `csd_queue_cpu` → `csd_function_entry`.
    Csd,
    /// A DragonFly ipiq message: `ipiq_send_*` → `ipiq_receive` on the destination.
    Ipiq,
}

/// A message from one CPU to another, by event indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrow {
    pub kind: ArrowKind,
    pub from: u32,
    pub to: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum BarKind {
    /// Interrupt handler, entry → exit.
    Handler { vector: u16 },
    /// A csd function (`csd_function_entry` → `exit`); `round` when it is a round's leg.
    CsdFunction { round: Option<u32> },
    /// The initiator waiting for its round, start → completion.
    RoundWait { round: u32 },
    /// A shootdown-path function, entry → return (function_graph traces).
    Function { func: crate::event::Sym },
}

/// An interval on one CPU lane, by event indices (inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    pub cpu: u16,
    pub start: u32,
    pub end: u32,
    pub kind: BarKind,
}

/// A change of the scrubbable state, applied when the event at `event` has happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Delta {
    pub event: u32,
    pub op: Op,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Op {
    PendingUp(u16),
    PendingDown(u16),
    RingUp(u16, u16),
    RingDown(u16, u16),
    RoundOpen(u32),
    RoundClose(u32),
}

/// A ring's depth at one moment: the chart of ring occupancy per CPU pair over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RingSample {
    pub event: u32,
    pub scpu: u16,
    pub dcpu: u16,
    pub depth: u32,
}

/// Everything reconstructed from one trace. Indices point into that trace's `events`.
/// Serializable so a worker can hand it to the page whole.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Replay {
    pub rounds: Vec<Round>,
    pub arrows: Vec<Arrow>,
    pub bars: Vec<Bar>,
    /// Every change of an ipiq ring's depth, in event order (DragonFly traces).
    pub rings: Vec<RingSample>,
    /// Event indices of each CPU, ascending.
    pub per_cpu: Vec<Vec<u32>>,
    /// Reconstruction warnings (first [`crate::MAX_WARNINGS`]); `warning_count` counts all.
    pub warnings: Vec<Warning>,
    pub warning_count: u64,
    /// Receives and exits whose send or entry fell before the start of the trace (or
    /// before a lost-events marker on that CPU): expected, not warned about.
    pub orphans_at_start: u64,
    /// Requests still outstanding when the trace ends (expected for the last moment).
    pub unfinished_at_end: u64,
    /// What a Linux trace's rounds were built from; `None` for other kernels.
    #[serde(default)]
    pub evidence: Option<Evidence>,
    /// Legs paired with their round by time and CPU ([`Evidence::TlbIrq`], [`Evidence::TlbFlush`]).
    #[serde(default)]
    pub legs_by_time: u64,
    /// Of those, legs for which more than one round was open (the oldest was taken).
    #[serde(default)]
    pub legs_ambiguous: u64,
    ts: Vec<u64>,
    deltas: Vec<Delta>,
    checkpoints: Vec<Snapshot>,
}

/// Reconstruct rounds, arrows, bars, ring occupancy and the time index of a trace.
pub fn reconstruct(trace: &Trace) -> Replay {
    let mut t = track::Tracker::new(trace);
    for (i, e) in trace.events.iter().enumerate() {
        t.event(i as u32, e);
    }
    let mut replay = t.finish();
    replay.ts = trace.events.iter().map(|e| e.ts).collect();
    replay.checkpoints = index::checkpoints(trace, &replay.deltas);
    replay
}

impl Replay {
    /// Indices of the events with `t0 <= ts < t1` (events are sorted by time).
    pub fn window(&self, t0: u64, t1: u64) -> Range<usize> {
        let a = self.ts.partition_point(|&t| t < t0);
        let b = self.ts.partition_point(|&t| t < t1).max(a);
        a..b
    }

    /// Indices of one CPU's events with `t0 <= ts < t1`, as a slice of `per_cpu[cpu]`.
    pub fn cpu_window(&self, cpu: u16, t0: u64, t1: u64) -> &[u32] {
        let Some(list) = self.per_cpu.get(cpu as usize) else { return &[] };
        let ts = |i: &u32| self.ts.get(*i as usize).copied().unwrap_or(u64::MAX);
        let a = list.partition_point(|i| ts(i) < t0);
        let b = list.partition_point(|i| ts(i) < t1).max(a);
        &list[a..b]
    }

    /// The reconstructed state just after event `index` happened (pending IPIs per CPU,
    /// ring depth per CPU pair, rounds in flight). Costs at most [`CHECKPOINT_EVERY`]
    /// events' changes. An index past the end gives the state at the end.
    pub fn state_at(&self, trace: &Trace, index: usize) -> Snapshot {
        index::state_at(trace, &self.checkpoints, &self.deltas, index)
    }

    /// Statistics for `sdlab trace stats` and the charts.
    pub fn stats(&self, trace: &Trace) -> Stats {
        stats::compute(trace, self)
    }

    /// What the rounds are and what they rest on, in sentences (`stats::round_notes`).
    pub fn notes(&self, trace: &Trace) -> Vec<String> {
        stats::round_notes(trace, self)
    }
}

#[cfg(test)]
pub(crate) mod tests;
