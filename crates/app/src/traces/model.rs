//! A loaded trace and what the views derive from it once: handler and flush intervals per
//! CPU, IPI arrows, shootdown rounds, and the per-lane time index the timeline draws from.
//!
//! The reconstruction is the trace crate's (`replay::reconstruct`), the same the CLI
//! prints; this module resolves its event indices to times once, for drawing.

use super::kinds::Cat;
use sdlab_trace::replay::{reconstruct, ArrowKind, BarKind, Replay};
use sdlab_trace::{Event, Trace};

/// A handler or csd-function interval on one CPU, in trace time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub start: u64,
    pub end: u64,
    pub cat: Cat,
}

/// An IPI (or ipiq message) from the sending event to the receiving one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arrow {
    pub from: u16,
    pub to: u16,
    pub t_send: u64,
    pub t_recv: u64,
    /// Event indices.
    pub send: u32,
    pub recv: u32,
    pub kind: ArrowKind,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub cpu: u16,
    pub queued: u64,
    /// The handler entry (or csd function entry) on the target.
    pub received: Option<u64>,
    pub flushed: Option<u64>,
    pub done: Option<u64>,
    pub queued_idx: u32,
    pub received_idx: Option<u32>,
    pub done_idx: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Round {
    /// What the round is (a TLB shootdown, a cpusync rendezvous, …).
    pub kind: sdlab_trace::replay::RoundKind,
    pub initiator: u16,
    pub start: u64,
    pub start_idx: u32,
    pub targets: Vec<Target>,
    /// When the last target finished (Linux) or the cpusync ended (DragonFly).
    pub end: Option<u64>,
    pub end_idx: Option<u32>,
    /// Pages of the initiator's flush (-1 = full).
    pub pages: Option<i64>,
}

impl Round {
    pub fn latency(&self) -> Option<u64> {
        self.end.map(|e| e.saturating_sub(self.start))
    }

    /// Where the round's time went, along the target the initiator waited for longest
    /// (the last to acknowledge). None while the round or that target is unfinished.
    pub fn breakdown(&self) -> Option<Breakdown> {
        let end = self.end?;
        let t = self.targets.iter().filter(|t| t.done.is_some()).max_by_key(|t| t.done)?;
        let (received, done) = (t.received?, t.done?);
        // Times come from one clock per CPU; a target whose clock runs behind the
        // initiator's by a little must not make a segment negative.
        let queued = t.queued.max(self.start);
        let received = received.max(queued);
        let flushed = t.flushed.unwrap_or(done).clamp(received, done.max(received));
        let done = done.max(flushed);
        let end = end.max(done);
        Some(Breakdown {
            cpu: t.cpu,
            send: queued - self.start,
            delivery: received - queued,
            to_flush: flushed - received,
            to_ack: done - flushed,
            notice: end - done,
            flush_seen: t.flushed.is_some(),
        })
    }
}

/// A round's latency in five consecutive parts, in trace time: the initiator's work
/// before the IPI is queued, the IPI's delivery to the handler, the handler up to its
/// TLB flush, the flush up to the acknowledgement, and the initiator noticing the last
/// acknowledgement. They add up to the round's latency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Breakdown {
    /// The target the initiator waited for longest.
    pub cpu: u16,
    pub send: u64,
    pub delivery: u64,
    pub to_flush: u64,
    pub to_ack: u64,
    pub notice: u64,
    /// The target logged its flush (a `tlb_flush` event); else `to_flush` holds the whole
    /// handler and `to_ack` is 0.
    pub flush_seen: bool,
}

impl Breakdown {
    /// The parts with their names, in time order.
    pub fn parts(&self) -> [(&'static str, u64); 5] {
        [
            ("initiator, before the IPI", self.send),
            ("IPI delivery", self.delivery),
            ("handler, to the flush", self.to_flush),
            ("flush, to the acknowledgement", self.to_ack),
            ("initiator notices", self.notice),
        ]
    }

    pub fn total(&self) -> u64 {
        self.parts().iter().map(|p| p.1).sum()
    }
}

/// What the timeline draws from: per lane, the indices of the events that pass the
/// filter and their times (a separate array, so the binary searches stay in cache).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LaneIndex {
    pub ids: Vec<Vec<u32>>,
    pub ts: Vec<Vec<u64>>,
    /// `Cat` index of each, so drawing never reaches into the events themselves.
    pub cats: Vec<Vec<u8>>,
    pub shown: usize,
}

pub struct Model {
    pub name: String,
    pub trace: Trace,
    /// Per CPU, sorted by start: IRQ handlers, and csd functions (which nest inside them,
    /// hence a separate list each, so neither hides the other).
    pub handlers: Vec<Vec<Interval>>,
    pub funcs: Vec<Vec<Interval>>,
    /// Per CPU: an initiator waiting for its round.
    pub waits: Vec<Vec<Interval>>,
    pub replay: Replay,
    pub arrows: Vec<Arrow>,
    pub rounds: Vec<Round>,
    /// Round indices, slowest first (incomplete rounds last): "show me the outliers".
    pub slowest: Vec<usize>,
    /// What the rounds are and what they rest on (`Replay::notes`).
    pub notes: Vec<String>,
    pub end: u64,
    pub timing: Timing,
    /// For a run of the stepper: the bundled model and scenario that made it.
    pub origin: Option<(String, String)>,
}

/// Where the time to open a trace went, shown with the trace and read by the benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timing {
    /// In the worker: slices read and parsed (of which `read_ms` reading).
    pub parse_ms: f64,
    pub read_ms: f64,
    /// On the page: records decoded, rounds reconstructed, lanes indexed.
    pub build_ms: f64,
}

impl Model {
    /// Views of the trace crate's reconstruction, with times resolved, so drawing and the
    /// tables never chase event indices.
    pub fn new(name: String, trace: Trace, timing: Timing) -> Model {
        let replay = reconstruct(&trace);
        let ncpu = trace.cpus.max(1) as usize;
        let ev = |i: u32| trace.events.get(i as usize);
        let ts = |i: u32| ev(i).map_or(0, |e| e.ts);
        let cpu = |i: u32| ev(i).map_or(0, |e| e.cpu);
        let mut handlers = vec![Vec::new(); ncpu];
        let mut funcs = vec![Vec::new(); ncpu];
        let mut waits = vec![Vec::new(); ncpu];
        for b in &replay.bars {
            let (lane, cat) = match b.kind {
                BarKind::Handler { .. } => (&mut handlers, Cat::Handler),
                // function_graph spans of the shootdown path share the function lane.
                BarKind::CsdFunction { .. } | BarKind::Function { .. } => (&mut funcs, Cat::CsdFunc),
                BarKind::RoundWait { .. } => (&mut waits, Cat::TlbFlush),
            };
            if let Some(l) = lane.get_mut(b.cpu as usize) {
                l.push(Interval { start: ts(b.start), end: ts(b.end), cat });
            }
        }
        for lane in handlers.iter_mut().chain(funcs.iter_mut()).chain(waits.iter_mut()) {
            lane.sort_by_key(|iv| (iv.start, iv.end));
        }
        let mut arrows: Vec<Arrow> = replay
            .arrows
            .iter()
            .map(|a| Arrow {
                from: cpu(a.from),
                to: cpu(a.to),
                t_send: ts(a.from),
                t_recv: ts(a.to),
                send: a.from,
                recv: a.to,
                kind: a.kind,
            })
            .collect();
        arrows.sort_by_key(|a| (a.t_send, a.send));
        let rounds: Vec<Round> = replay
            .rounds
            .iter()
            .map(|r| Round {
                kind: r.kind,
                initiator: r.initiator,
                start: ts(r.start),
                start_idx: r.start,
                targets: r
                    .legs
                    .iter()
                    .map(|l| Target {
                        cpu: l.cpu,
                        queued: ts(l.queued.unwrap_or(r.start)),
                        received: l.received.map(ts),
                        flushed: l.flushed.map(ts),
                        done: l.done.map(ts),
                        queued_idx: l.queued.unwrap_or(r.start),
                        received_idx: l.received,
                        done_idx: l.done,
                    })
                    .collect(),
                end: r.end.map(ts),
                end_idx: r.end,
                pages: r.pages,
            })
            .collect();
        let end = trace.events.last().map_or(1, |e| e.ts.max(1));
        let mut slowest: Vec<usize> = (0..rounds.len()).collect();
        slowest.sort_by_key(|&r| std::cmp::Reverse(rounds[r].latency().map_or(0, |l| l + 1)));
        let notes = replay.notes(&trace);
        Model { name, trace, replay, handlers, funcs, waits, arrows, rounds, slowest, notes, end, timing, origin: None }
    }

    pub fn ncpu(&self) -> usize {
        self.trace.cpus.max(1) as usize
    }

    pub fn event(&self, i: u32) -> Option<&Event> {
        self.trace.events.get(i as usize)
    }

    /// The per-lane index of the events that `keep` accepts.
    pub fn index(&self, keep: impl Fn(&Event) -> bool) -> LaneIndex {
        let n = self.ncpu();
        let mut ix =
            LaneIndex { ids: vec![Vec::new(); n], ts: vec![Vec::new(); n], cats: vec![Vec::new(); n], shown: 0 };
        for (i, e) in self.trace.events.iter().enumerate() {
            let c = e.cpu as usize;
            if c < n && keep(e) {
                ix.ids[c].push(i as u32);
                ix.ts[c].push(e.ts);
                ix.cats[c].push(Cat::of(&e.kind).index() as u8);
                ix.shown += 1;
            }
        }
        ix
    }

    /// Seconds per time unit, when the trace says (ns; ticks with a stated frequency).
    pub fn unit_seconds(&self) -> Option<f64> {
        match self.trace.time {
            sdlab_trace::TimeBase::Nanos => Some(1e-9),
            sdlab_trace::TimeBase::Ticks { hz: Some(hz) } if hz > 0 => Some(1.0 / hz as f64),
            sdlab_trace::TimeBase::Ticks { .. } => None,
        }
    }

    /// A duration for people: µs/ms/s when the unit is known, else ticks.
    pub fn dur(&self, d: u64) -> String {
        match self.unit_seconds() {
            Some(u) => fmt_secs(d as f64 * u),
            None => format!("{d} ticks"),
        }
    }

    pub fn at(&self, t: u64) -> String {
        match self.unit_seconds() {
            Some(u) => format!("{:.6} s", t as f64 * u),
            None => format!("tick {t}"),
        }
    }
}

pub fn fmt_secs(s: f64) -> String {
    if s < 1e-6 {
        format!("{:.0} ns", s * 1e9)
    } else if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.3} s")
    }
}

/// The reconstructed state just after event `i`: what step mode shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StateAt {
    /// IPIs (and ipiq messages) sent to each CPU whose receipt has not happened yet.
    pub pending_ipis: Vec<u32>,
    /// Shootdown requests queued for each CPU and not yet started there.
    pub queued: Vec<u32>,
    /// (sender, receiver, messages in the ring), non-empty rings only.
    pub rings: Vec<(u16, u16, u32)>,
    /// Indices of the rounds started and not finished.
    pub in_flight: Vec<usize>,
}

impl Model {
    pub fn state_at(&self, i: u32) -> StateAt {
        let n = self.ncpu();
        let snap = self.replay.state_at(&self.trace, i as usize);
        let mut s = StateAt { pending_ipis: snap.pending.clone(), queued: vec![0; n], ..StateAt::default() };
        s.pending_ipis.resize(n, 0);
        s.rings = snap.rings.iter().map(|r| (r.scpu, r.dcpu, r.depth)).collect();
        s.in_flight = snap.in_flight.iter().map(|&r| r as usize).collect();
        for &r in &s.in_flight {
            let Some(round) = self.rounds.get(r) else { continue };
            for t in &round.targets {
                if t.queued_idx <= i && t.received_idx.is_none_or(|x| x > i) {
                    if let Some(q) = s.queued.get_mut(t.cpu as usize) {
                        *q += 1;
                    }
                }
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(targets: Vec<Target>, end: Option<u64>) -> Round {
        Round {
            kind: sdlab_trace::replay::RoundKind::LinuxTlb,
            initiator: 0,
            start: 100,
            start_idx: 0,
            targets,
            end,
            end_idx: None,
            pages: None,
        }
    }

    fn target(cpu: u16, queued: u64, received: u64, flushed: Option<u64>, done: u64) -> Target {
        Target {
            cpu,
            queued,
            received: Some(received),
            flushed,
            done: Some(done),
            queued_idx: 0,
            received_idx: None,
            done_idx: None,
        }
    }

    #[test]
    fn the_breakdown_follows_the_last_target_and_adds_up_to_the_latency() {
        let r = round(vec![target(1, 110, 130, Some(150), 160), target(2, 112, 140, Some(170), 200)], Some(230));
        let b = r.breakdown().expect("complete");
        assert_eq!((b.cpu, b.send, b.delivery, b.to_flush, b.to_ack, b.notice), (2, 12, 28, 30, 30, 30));
        assert_eq!(Some(b.total()), r.latency());
        // No flush logged: the handler's whole time is before the acknowledgement.
        let r = round(vec![target(1, 110, 130, None, 160)], Some(170));
        let b = r.breakdown().expect("complete");
        assert_eq!((b.to_flush, b.to_ack, b.flush_seen), (30, 0, false));
        // Unfinished rounds have none; clocks slightly apart never give a negative part.
        assert_eq!(round(vec![target(1, 110, 130, None, 160)], None).breakdown(), None);
        let r = round(vec![target(1, 90, 95, Some(120), 118)], Some(119));
        let b = r.breakdown().expect("complete");
        assert_eq!(Some(b.total()), Some(b.send + b.delivery + b.to_flush + b.to_ack + b.notice));
        assert!(b.total() >= r.latency().unwrap_or(0));
    }
}
