//! The time index: state snapshots every [`CHECKPOINT_EVERY`] events, so scrubbing to any
//! event replays at most that many events' changes.

use super::{Delta, Op, CHECKPOINT_EVERY};
use crate::event::Trace;
use serde::{Deserialize, Serialize};

/// CPUs the snapshots follow: every checkpoint holds a per-CPU vector, and a file that
/// names CPU 65535 once must not make each of them 256 KiB. The readers' cap.
pub const MAX_CPUS: usize = crate::event::CPU_LIMIT as usize;

/// Depth of one ipiq ring (messages sent by `scpu` to `dcpu`, not yet received).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RingDepth {
    pub scpu: u16,
    pub dcpu: u16,
    pub depth: u32,
}

/// The reconstructed machine state after some event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Number of events applied (the state is after event `applied - 1`).
    pub applied: usize,
    /// Time of the last applied event (0 before any).
    pub ts: u64,
    /// IPIs and ipiq messages sent to each CPU whose receipt is in the trace but has not
    /// happened yet.
    pub pending: Vec<u32>,
    /// Non-empty rings, sorted by (scpu, dcpu).
    pub rings: Vec<RingDepth>,
    /// Rounds started and not completed, ascending.
    pub in_flight: Vec<u32>,
}

impl Snapshot {
    pub(super) fn apply(&mut self, op: Op) {
        match op {
            Op::PendingUp(c) | Op::PendingDown(c) => {
                let c = c as usize;
                if c >= MAX_CPUS {
                    return;
                }
                if c >= self.pending.len() {
                    self.pending.resize(c + 1, 0);
                }
                let p = &mut self.pending[c];
                *p = if matches!(op, Op::PendingUp(_)) { p.saturating_add(1) } else { p.saturating_sub(1) };
            }
            Op::RingUp(s, d) | Op::RingDown(s, d) => {
                if s as usize >= MAX_CPUS || d as usize >= MAX_CPUS {
                    return;
                }
                let up = matches!(op, Op::RingUp(..));
                match self.rings.binary_search_by_key(&(s, d), |r| (r.scpu, r.dcpu)) {
                    Ok(i) if up => self.rings[i].depth += 1,
                    Ok(i) => {
                        self.rings[i].depth -= 1;
                        if self.rings[i].depth == 0 {
                            self.rings.remove(i);
                        }
                    }
                    Err(i) if up => self.rings.insert(i, RingDepth { scpu: s, dcpu: d, depth: 1 }),
                    Err(_) => {}
                }
            }
            Op::RoundOpen(r) => {
                if let Err(i) = self.in_flight.binary_search(&r) {
                    self.in_flight.insert(i, r);
                }
            }
            Op::RoundClose(r) => {
                if let Ok(i) = self.in_flight.binary_search(&r) {
                    self.in_flight.remove(i);
                }
            }
        }
    }
}

/// Snapshots before events 0, K, 2K, … (`checkpoints[k].applied == k * K`).
pub(super) fn checkpoints(trace: &Trace, deltas: &[Delta]) -> Vec<Snapshot> {
    let n = trace.events.len();
    let mut out = Vec::with_capacity(n / CHECKPOINT_EVERY + 1);
    let mut s = Snapshot { pending: vec![0; (trace.cpus as usize).min(MAX_CPUS)], ..Snapshot::default() };
    let mut d = 0;
    let mut at = 0;
    loop {
        out.push(s.clone());
        let next = at + CHECKPOINT_EVERY;
        if next > n {
            break;
        }
        while let Some(delta) = deltas.get(d).filter(|x| (x.event as usize) < next) {
            s.apply(delta.op);
            d += 1;
        }
        s.applied = next;
        s.ts = trace.events[next - 1].ts;
        at = next;
    }
    out
}

pub(super) fn state_at(trace: &Trace, checkpoints: &[Snapshot], deltas: &[Delta], index: usize) -> Snapshot {
    let upto = index.saturating_add(1).min(trace.events.len());
    let k = (upto / CHECKPOINT_EVERY).min(checkpoints.len().saturating_sub(1));
    let mut s = checkpoints.get(k).cloned().unwrap_or_default();
    let from = s.applied;
    let first = deltas.partition_point(|d| (d.event as usize) < from);
    for d in deltas[first..].iter().take_while(|d| (d.event as usize) < upto) {
        s.apply(d.op);
    }
    s.applied = upto.max(from);
    if upto > 0 {
        s.ts = trace.events[upto - 1].ts;
    }
    s
}
