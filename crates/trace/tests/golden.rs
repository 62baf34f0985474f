//! Golden numbers of the six real Linux 6.12 captures in traces/linux-6.12-qemu-4cpu/.
//!
//! Every expected number below was counted from the text files with grep/awk, never read
//! off this crate's output. The methods, run in traces/linux-6.12-qemu-4cpu/:
//!
//! - records: `grep -c '^ *.*\[[0-9][0-9][0-9]\] ' F` (every event line has `[cpu]`).
//! - queued: `grep -c 'csd_queue_cpu:.*func=flush_tlb_func' F` — one per round target.
//! - remote flushes: `grep -c 'remote shootdown (1)' F`.
//! - rounds and targets per round: for each `tlb_flush … (4)` line, count the
//!   `csd_queue_cpu … func=flush_tlb_func` lines of the same `[cpu]` that follow it before
//!   any other line of that CPU (awk, keyed on the `[NNN]` field); a flush followed by none
//!   is no round (none occurs in these files).
//! - initiators: `grep 'remote ipi send (4)' F | grep -c '\[000\]'` (all but one round,
//!   in munmap-4cpu-4pages, start on CPU 0; that one is on CPU 1).
//! - the first round of munmap-4cpu-4pages, read with
//!   `awk 'NR>=165 && NR<=187 && /csd_.*flush_tlb_func/' F`: start 3.800953 (line 165),
//!   requests on lines 166-168 for CPUs 1-3, entries with the same csd on lines 179 (CPU 1),
//!   184 (CPU 2), 174 (CPU 3); the last exit is CPU 2's at 3.804554 (line 186): 3601 µs.
//! - latency: not countable with grep; a separate Python script (regular expressions over
//!   the lines, no code of this crate) took each `tlb_flush … (4)` as a round's start, its
//!   CPU's following `csd_queue_cpu … func=flush_tlb_func` csds as its targets, and the
//!   last `csd_function_exit` of those csds as its end; the sorted latencies' nearest-rank
//!   50th and 90th percentiles and maximum are pinned (every round completes; the
//!   shortest are 149, 232, 1305, 1098, 512 and 144 µs).

use sdlab_trace::replay::{reconstruct, ArrowKind, RoundKind};
use sdlab_trace::{parse, Kind, Trace};
use std::path::PathBuf;

struct Golden {
    file: &'static str,
    records: usize,
    rounds: usize,
    /// Rounds with 3 targets and with 2 targets.
    three: u64,
    two: u64,
    queued: usize,
    remote_flushes: usize,
    from_cpu0: usize,
    /// Round latency in µs: median, 90th percentile (nearest rank) and longest.
    latency_us: [f64; 3],
}

const GOLDEN: [Golden; 6] = [
    Golden {
        file: "madvise-4cpu-4pages",
        records: 4929,
        rounds: 201,
        three: 200,
        two: 1,
        queued: 602,
        remote_flushes: 600,
        from_cpu0: 201,
        latency_us: [7922.0, 21312.0, 166503.0],
    },
    Golden {
        file: "madvise-4cpu-64pages",
        records: 4927,
        rounds: 201,
        three: 198,
        two: 3,
        queued: 600,
        remote_flushes: 598,
        from_cpu0: 201,
        latency_us: [9754.0, 15844.0, 248947.0],
    },
    Golden {
        file: "mprotect-4cpu-4pages",
        records: 9515,
        rounds: 401,
        three: 400,
        two: 1,
        queued: 1202,
        remote_flushes: 1199,
        from_cpu0: 401,
        latency_us: [10567.0, 15893.0, 43859.0],
    },
    Golden {
        file: "mprotect-4cpu-64pages",
        records: 9526,
        rounds: 401,
        three: 395,
        two: 6,
        queued: 1197,
        remote_flushes: 1194,
        from_cpu0: 401,
        latency_us: [3934.0, 10945.0, 283516.0],
    },
    Golden {
        file: "munmap-4cpu-4pages",
        records: 6913,
        rounds: 201,
        three: 200,
        two: 1,
        queued: 602,
        remote_flushes: 599,
        from_cpu0: 200,
        latency_us: [3769.0, 10112.0, 41169.0],
    },
    Golden {
        file: "munmap-4cpu-64pages",
        records: 6753,
        rounds: 201,
        three: 201,
        two: 0,
        queued: 603,
        remote_flushes: 599,
        from_cpu0: 201,
        latency_us: [3048.0, 7143.0, 20475.0],
    },
];

fn load(name: &str) -> Trace {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../traces/linux-6.12-qemu-4cpu").join(name);
    let bytes = std::fs::read(format!("{}.trace", path.display())).expect("bundled trace");
    parse(&bytes).expect("parses")
}

#[test]
fn rounds_targets_and_pairing_match_the_counts_of_the_files() {
    for g in &GOLDEN {
        let t = load(g.file);
        let f = g.file;
        assert_eq!(t.events.len(), g.records, "{f}: records");
        assert_eq!(t.warning_count, 0, "{f}: parse warnings {:?}", t.warnings.first());
        let r = reconstruct(&t);
        assert_eq!(r.warning_count, 0, "{f}: reconstruct warnings {:?}", r.warnings.first());
        assert_eq!(r.rounds.len(), g.rounds, "{f}: rounds");
        assert!(r.rounds.iter().all(|x| x.kind == RoundKind::LinuxTlb), "{f}");
        assert_eq!(r.rounds.iter().filter(|x| x.initiator == 0).count(), g.from_cpu0, "{f}: rounds from CPU 0");
        let s = r.stats(&t);
        assert_eq!(s.targets_per_round.get(&3).copied().unwrap_or(0), g.three, "{f}: rounds with 3 targets");
        assert_eq!(s.targets_per_round.get(&2).copied().unwrap_or(0), g.two, "{f}: rounds with 2 targets");
        assert_eq!(s.targets_per_round.values().sum::<u64>(), g.rounds as u64, "{f}: no other target count");

        // Pairing complete: every flush_tlb_func request reached its target's entry and exit.
        let legs: Vec<_> = r.rounds.iter().flat_map(|x| &x.legs).collect();
        assert_eq!(legs.len(), g.queued, "{f}: legs = queued requests");
        assert!(legs.iter().all(|l| l.queued.is_some() && l.received.is_some() && l.done.is_some()), "{f}");
        for l in &legs {
            let (q, rx) = (l.queued.unwrap() as usize, l.received.unwrap() as usize);
            // The receive is on the target CPU, with the csd address of the request.
            let (Kind::CsdQueue { target, csd, .. }, Kind::CsdEntry { csd: c2, .. }) =
                (t.events[q].kind, t.events[rx].kind)
            else {
                panic!("{f}: leg is not queue → entry")
            };
            assert_eq!((target, csd), (t.events[rx].cpu, c2), "{f}: line {}", t.events[q].line);
        }
        // Every remote shootdown flush happened inside one of these legs.
        assert_eq!(legs.iter().filter(|l| l.flushed.is_some()).count(), g.remote_flushes, "{f}: remote flushes");
        let csd_arrows = r.arrows.iter().filter(|a| a.kind == ArrowKind::Csd).count();
        assert!(csd_arrows >= g.queued, "{f}: csd arrows include every round request");

        // Latency is sane: every round completed after it started and within the trace.
        assert_eq!(s.rounds_complete, g.rounds as u64, "{f}: complete");
        let span_us = (t.events.last().unwrap().ts - t.events[0].ts) as f64 / 1e3;
        let lat = s.latency_us.expect("latency in µs");
        assert_eq!(lat.count, g.rounds, "{f}");
        assert!(r.rounds.iter().all(|x| x.latency(&t).is_some_and(|l| l > 0)), "{f}: positive latency");
        assert!(lat.p50 <= lat.p90 && lat.p90 <= lat.max && lat.max < span_us, "{f}: {lat:?}");
        // Emulated CPUs on shared host cores: milliseconds, not microseconds (README).
        assert_eq!([lat.p50, lat.p90, lat.max], g.latency_us, "{f}: latency p50, p90, max (µs)");
        assert_eq!(s.time_unit, "us");
    }
}

#[test]
fn the_first_munmap_round_is_the_one_read_by_hand() {
    let t = load("munmap-4cpu-4pages");
    let r = reconstruct(&t);
    let first = &r.rounds[0];
    let line = |i: u32| t.events[i as usize].line;
    assert_eq!(line(first.start), 165);
    assert_eq!(line(first.end.unwrap()), 186);
    assert_eq!(first.latency(&t), Some(3_601_000));
    let targets: Vec<_> =
        first.legs.iter().map(|l| (l.cpu, line(l.queued.unwrap()), line(l.received.unwrap()))).collect();
    assert_eq!(targets, [(1, 166, 179), (2, 167, 184), (3, 168, 174)]);
    assert_eq!(first.pages, Some(4));
}

#[test]
fn scrubbing_state_agrees_with_the_rounds() {
    let t = load("mprotect-4cpu-64pages");
    let r = reconstruct(&t);
    for (id, x) in r.rounds.iter().enumerate().step_by(37) {
        let (start, end) = (x.start as usize, x.end.unwrap() as usize);
        assert!(r.state_at(&t, start).in_flight.contains(&(id as u32)), "round {id} in flight at its start");
        assert!(r.state_at(&t, (start + end) / 2).in_flight.contains(&(id as u32)));
        assert!(!r.state_at(&t, end).in_flight.contains(&(id as u32)), "round {id} done at its end");
    }
    let w = r.window(t.events[100].ts, t.events[200].ts);
    assert!(w.start <= 100 && w.end >= 200 && w.end <= t.events.len());
}
