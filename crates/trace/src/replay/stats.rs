//! Numbers about a trace: what `sdlab trace stats --json` prints and the charts draw.

use super::{ArrowKind, Evidence, Replay};
use crate::event::{Format, TimeBase, Trace, WarningClass};
use serde::Serialize;
use std::collections::BTreeMap;

/// Percentiles of round latency (nearest rank), in the unit the owner says.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub count: usize,
    pub p50: f64,
    pub p90: f64,
    pub max: f64,
}

/// One bar of the latency histogram: `lo <= latency < hi`, in `time_unit`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Bucket {
    pub lo: f64,
    pub hi: f64,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    pub format: &'static str,
    pub events: u64,
    pub cpus: u16,
    pub lines: u64,
    pub bytes: u64,
    /// Every warning: the parser's and the reconstruction's.
    pub warnings: u64,
    pub warnings_tokenize: u64,
    pub warnings_parse: u64,
    pub warnings_reconstruct: u64,
    /// Receives whose send fell before the start of the trace (or a lost-events marker):
    /// expected in a ring-buffer capture, not counted as warnings.
    pub orphans_at_start: u64,
    /// Requests and rounds still open at the end of the trace.
    pub unfinished_at_end: u64,
    pub rounds: u64,
    pub rounds_complete: u64,
    /// Rounds by [`super::RoundKind::name`]: not every round is a TLB shootdown
    /// (DragonFly's are cpusync rendezvous).
    pub rounds_by_kind: BTreeMap<&'static str, u64>,
    /// Rounds whose kind is a TLB shootdown ([`super::RoundKind::is_tlb_shootdown`]).
    pub tlb_shootdown_rounds: u64,
    /// Linux: which records the rounds were built from (`csd`, `tlb-flush+irq-vectors`,
    /// `tlb-flush`, `none`); `null` for other kernels.
    pub round_evidence: Option<&'static str>,
    /// Legs paired with their round by time and CPU, not by a csd address.
    pub legs_by_time: u64,
    /// Of those, legs with more than one open round to choose from (the oldest was taken).
    pub legs_ambiguous: u64,
    /// Number of rounds by number of targets.
    pub targets_per_round: BTreeMap<u32, u64>,
    /// `"us"` when the trace's time converts to microseconds, else `"ticks"`.
    pub time_unit: &'static str,
    /// Round latency (start → last target done) in microseconds; `null` when the time
    /// unit is ticks of unknown frequency (then see `latency`).
    pub latency_us: Option<Latency>,
    /// The same in `time_unit`.
    pub latency: Option<Latency>,
    /// Power-of-two buckets of round latency in `time_unit`.
    pub latency_histogram: Vec<Bucket>,
    /// `ipi_matrix[sender][receiver]`: IPIs (one per target of a send) and ipiq messages.
    pub ipi_matrix: Vec<Vec<u64>>,
    pub events_per_cpu: Vec<u64>,
    pub arrows: BTreeMap<&'static str, u64>,
    /// What the numbers cannot say for this format.
    pub notes: Vec<String>,
}

/// Largest CPU count the IPI matrix covers.
const MATRIX_CPUS: usize = 256;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn latency(sorted: &[f64]) -> Option<Latency> {
    (!sorted.is_empty()).then(|| Latency {
        count: sorted.len(),
        p50: percentile(sorted, 0.5),
        p90: percentile(sorted, 0.9),
        max: sorted[sorted.len() - 1],
    })
}

pub(super) fn histogram(sorted: &[f64]) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::new();
    for &x in sorted {
        let k = if x < 1.0 { 0 } else { x.log2().floor() as i32 + 1 };
        let lo = if k == 0 { 0.0 } else { 2f64.powi(k - 1) };
        match out.last_mut() {
            Some(b) if b.lo == lo => b.count += 1,
            _ => out.push(Bucket { lo, hi: 2f64.powi(k), count: 1 }),
        }
    }
    out
}

pub(super) fn compute(trace: &Trace, r: &Replay) -> Stats {
    // A unit per tick: µs per ns, or µs per tick at a known frequency.
    let us_per_unit = match trace.time {
        TimeBase::Nanos => Some(1e-3),
        TimeBase::Ticks { hz: Some(hz) } if hz > 0 => Some(1e6 / hz as f64),
        TimeBase::Ticks { .. } => None,
    };
    let mut raw: Vec<f64> = r.rounds.iter().filter_map(|x| x.latency(trace)).map(|l| l as f64).collect();
    raw.sort_by(f64::total_cmp);
    let scaled: Vec<f64> = raw.iter().map(|&l| l * us_per_unit.unwrap_or(1.0)).collect();
    // Masks name at most 64 CPUs; ipiq rings could name more, up to DragonFly's 256.
    let n = (trace.cpus as usize).max(r.per_cpu.len()).min(MATRIX_CPUS);
    let mut matrix = vec![vec![0u64; n]; n];
    let mut bump = |s: u16, d: u16| {
        if let Some(c) = matrix.get_mut(s as usize).and_then(|row| row.get_mut(d as usize)) {
            *c += 1;
        }
    };
    let mut arrows = BTreeMap::new();
    for a in &r.arrows {
        let name = match a.kind {
            ArrowKind::Ipi => "ipi",
            ArrowKind::Csd => "csd",
            ArrowKind::Ipiq => "ipiq",
        };
        *arrows.entry(name).or_insert(0) += 1;
    }
    for e in &trace.events {
        match e.kind {
            crate::Kind::IpiSend { targets, all_but_self, .. } => {
                let mut mask = targets;
                if all_but_self {
                    let all = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
                    mask |= all & !(1u64.checked_shl(e.cpu as u32).unwrap_or(0));
                }
                super::track::bits(mask).for_each(|t| bump(e.cpu, t));
            }
            crate::Kind::IpiqSend { dcpu, .. } if dcpu != e.cpu => bump(e.cpu, dcpu),
            _ => {}
        }
    }
    let mut targets_per_round = BTreeMap::new();
    let mut rounds_by_kind = BTreeMap::new();
    for x in &r.rounds {
        *targets_per_round.entry(x.legs.len() as u32).or_insert(0) += 1;
        *rounds_by_kind.entry(x.kind.name()).or_insert(0) += 1;
    }
    // Classes are counted over the kept warnings (the first MAX_WARNINGS).
    let class = |c: WarningClass| trace.warnings.iter().filter(|w| w.class == c).count() as u64;
    let (tok, parse) = (class(WarningClass::Tokenize), class(WarningClass::Parse));
    let mut notes = Vec::new();
    if us_per_unit.is_none() {
        notes.push("timestamps are counter ticks of unknown frequency: latencies are in ticks".into());
    }
    notes.extend(round_notes(trace, r));
    Stats {
        format: trace.format.name(),
        events: trace.events.len() as u64,
        cpus: trace.cpus,
        lines: trace.lines,
        bytes: trace.bytes,
        warnings: trace.warning_count + r.warning_count,
        warnings_tokenize: tok,
        warnings_parse: parse,
        warnings_reconstruct: r.warning_count,
        orphans_at_start: r.orphans_at_start,
        unfinished_at_end: r.unfinished_at_end,
        rounds: r.rounds.len() as u64,
        rounds_complete: r.rounds.iter().filter(|x| x.end.is_some()).count() as u64,
        tlb_shootdown_rounds: r.rounds.iter().filter(|x| x.kind.is_tlb_shootdown()).count() as u64,
        rounds_by_kind,
        round_evidence: r.evidence.map(Evidence::name),
        legs_by_time: r.legs_by_time,
        legs_ambiguous: r.legs_ambiguous,
        targets_per_round,
        time_unit: if us_per_unit.is_some() { "us" } else { "ticks" },
        latency_us: us_per_unit.and_then(|_| latency(&scaled)),
        latency: latency(&scaled),
        latency_histogram: histogram(&scaled),
        ipi_matrix: matrix,
        events_per_cpu: r.per_cpu.iter().map(|l| l.len() as u64).collect(),
        arrows,
        notes,
    }
}

/// What a trace's rounds are and what they rest on (the kernel's own limits, the evidence a
/// Linux trace had, and for a trace without rounds what is missing), in sentences: what
/// `sdlab trace stats` prints as notes and the Traces mode shows beside the rounds table.
pub fn round_notes(trace: &Trace, r: &Replay) -> Vec<String> {
    let mut notes = Vec::new();
    if trace.format == Format::FreeBsdKtr {
        notes.push(
            "FreeBSD KTR logs only the sending side of an IPI: rounds are bursts of IPI records from one \
             CPU with one shootdown vector (0xf4-0xf7: INVLTLB/INVLOP, INVLPG, INVLRNG, INVLCACHE); they \
             have targets but no receive legs and never complete"
                .into(),
        );
    }
    if trace.format == Format::DragonFlyKtr {
        notes.push(
            "DragonFly rounds are cpusync rendezvous (ipiq_sync_start..end, ipiq_sync_quick), not TLB \
             shootdowns: pmap_inval_smp signals its targets with Xinvltlb and logs no KTR record"
                .into(),
        );
    }
    if let Some(evidence) = r.evidence {
        linux_notes(trace, r, evidence, &mut notes);
    }
    notes
}

/// The events an x86 kernel has for a shootdown long before 6.4 (`tlb:tlb_flush` since 3.17),
/// as a tracefs line and as a trace-cmd command.
const CAPTURE_HINT: &str = "echo 'tlb:tlb_flush irq_vectors:call_function_entry irq_vectors:call_function_exit \
     irq_vectors:call_function_single_entry irq_vectors:call_function_single_exit' > /sys/kernel/tracing/set_event \
     (or trace-cmd record -e tlb:tlb_flush -e irq_vectors:call_function_entry -e irq_vectors:call_function_exit \
     -e irq_vectors:call_function_single_entry -e irq_vectors:call_function_single_exit)";

/// What the rounds of a Linux trace rest on, and for a trace that yields none, what is missing.
/// Events only Linux 6.4+ has are never asked for: the trace may come from an older kernel.
fn linux_notes(trace: &Trace, r: &Replay, evidence: Evidence, notes: &mut Vec<String>) {
    match evidence {
        Evidence::Csd => {
            notes.push(
                "round evidence: csd (csd_queue_cpu of flush_tlb_func paired with csd_function_entry/exit by csd \
                 address: every pairing is exact)"
                    .into(),
            );
            notes.push(
                "latency is from the initiator's tlb_flush (remote ipi send) to the last target's csd_function_exit"
                    .into(),
            );
        }
        Evidence::TlbIrq | Evidence::TlbFlush => {
            let handlers = evidence == Evidence::TlbIrq;
            let sends = trace.events.iter().any(|e| matches!(e.kind, crate::event::Kind::IpiSend { .. }));
            notes.push(format!(
                "round evidence: {}: no csd events (Linux before 6.4, or not captured), so rounds are rebuilt \
                 from tlb_flush reasons{}. \
                 A round starts at the initiator's `remote ipi send` flush; a target's leg is its `remote shootdown` \
                 flush{}, given by time and CPU to the open round of another CPU. Certain: {}; inferred: which round \
                 a leg belongs to ({} of {} legs had more than one open round and got the oldest){}. A target that \
                 skipped its flush (lazy TLB, another mm) logs nothing and is not counted",
                evidence.name(),
                if handlers { " and irq_vectors call-function handlers" } else { "" },
                if handlers { " with the call_function(_single) handler around it" } else { "" },
                if handlers {
                    "a leg's handler entry, flush and exit (one CPU, nested), and that every leg of a round flushed \
                     before its initiator logged anything else"
                } else {
                    "that every leg of a round flushed before its initiator logged anything else"
                },
                r.legs_ambiguous,
                r.legs_by_time,
                if sends {
                    " (IPI arrows come from the ipi_send_* records, Linux 6.4+)"
                } else {
                    " and the IPI arrows (drawn from the `remote ipi send` flush, as the send itself is not logged)"
                },
            ));
            notes.push(if handlers {
                "latency is from the initiator's tlb_flush (remote ipi send) to the last target's \
                 call_function_exit or call_function_single_exit"
                    .into()
            } else {
                "latency is from the initiator's tlb_flush (remote ipi send) to the last target's remote shootdown \
                 flush; capture irq_vectors:call_function_entry/exit and call_function_single_entry/exit for \
                 handler spans"
                    .into()
            });
        }
        Evidence::Insufficient => {
            let mut flush = false;
            let (mut send, mut remote) = (false, false);
            for e in &trace.events {
                if let crate::Kind::TlbFlush { reason, .. } = e.kind {
                    flush = true;
                    send |= reason == 4;
                    remote |= reason == 1;
                }
            }
            let missing = if !flush {
                "no tlb:tlb_flush events".to_string()
            } else {
                let mut m = Vec::new();
                if !send {
                    m.push("no tlb_flush with reason `remote ipi send` (4), the initiator's start");
                }
                if !remote {
                    m.push("no tlb_flush with reason `remote shootdown` (1), a target's flush");
                }
                m.join(" and ")
            };
            notes.push(format!(
                "round evidence: none. No shootdown rounds: the trace has {missing}. Capture with: {CAPTURE_HINT}"
            ));
        }
    }
}
