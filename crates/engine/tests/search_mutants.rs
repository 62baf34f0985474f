//! The searches' own bookkeeping, asserted where a slip would change what a check
//! reports without changing its verdict on the bundled models: where the depth and state
//! limits stop, the counts and the frontier they leave, the schedule of a counterexample,
//! and that every way of running the breadth-first search (threads, slices, workers)
//! reports the same. Written for the surviving mutants of issue #20 (docs/mutants.md).

mod common;
use common::*;
use sdlab_engine::checker::partition::run_local;
use sdlab_engine::checker::{Checker, Mode, Options, Outcome, Progress};
use sdlab_engine::Machine;

fn run(m: &Machine, o: Options) -> (Outcome, Progress) {
    let r = Checker::new(m.clone(), o).check();
    common::replay::assert_replays(m, &r.0, "search_mutants");
    r
}

/// The scoreboard's unmap_free on 2 CPUs: 403 states, the deepest at 32 steps.
fn unmap_free_2() -> Machine {
    session(&scoreboard(), 2, "unmap_free", &[]).into_machine()
}

fn counts(p: &Progress) -> (u64, u64, u32, u64) {
    (p.states, p.transitions, p.depth, p.frontier)
}

/// Breadth-first modes that must agree on every count: one thread; two threads on every
/// level (in rounds of one record and of seven); and two threads on the levels of at
/// least 8 records only, the narrower ones on one (as the CLI's `--threads` runs, with
/// 1024), so that both kinds of level meet states the other kind stored.
fn breadth_first_modes(base: Options) -> Vec<(&'static str, Options)> {
    vec![
        ("1 thread", base.clone()),
        ("2 threads", Options { threads: 2, parallel_level: 1, ..base.clone() }),
        ("2 threads, rounds of 7", Options { threads: 2, parallel_level: 1, parallel_chunk: 7, ..base.clone() }),
        ("2 threads on wide levels", Options { threads: 2, parallel_level: 8, ..base }),
    ]
}

/// The deepest states of unmap_free are 32 steps from the initial state: a limit of 33
/// steps lets the search expand them (and find nothing new), a limit of 32 stops at the
/// first of them, having stored all 403 states and taken the 690 transitions into and
/// within the levels before. Every breadth-first mode stops at the same place with the
/// same counts: the depth reached and the records left in the frontier included.
#[test]
fn the_depth_limit_stops_breadth_first_at_the_first_record_that_deep_in_every_mode() {
    let m = unmap_free_2();
    let base = Options { liveness: false, ..Options::default() };
    for (what, o) in breadth_first_modes(Options { max_depth: 33, ..base.clone() }) {
        let (out, p) = run(&m, o);
        assert_eq!(out, Outcome::Verified, "{what}");
        assert_eq!(counts(&p), (403, 690, 32, 0), "{what}");
    }
    for (limit, expect) in [(32, (403, 690, 32, 1)), (31, (401, 684, 31, 5))] {
        for (what, o) in breadth_first_modes(Options { max_depth: limit, ..base.clone() }) {
            let (out, p) = run(&m, o);
            assert_eq!(out, Outcome::Limit { reason: format!("depth limit of {limit} steps reached") }, "{what}");
            assert_eq!(counts(&p), expect, "{what}, limit {limit}");
        }
    }
}

/// Depth-first, the limit is on the stack: a path of 32 steps reaches the deepest state,
/// one more would be refused. With a limit of 32 the first path down stops the search
/// (33 states on it); with 33 the whole space is explored.
#[test]
fn the_depth_limit_stops_depth_first_at_the_first_path_that_long() {
    let m = unmap_free_2();
    for por in [false, true] {
        let o = Options { mode: Mode::Dfs, por, ..Options::default() };
        let (out, p) = run(&m, Options { max_depth: 32, ..o.clone() });
        assert_eq!(out, Outcome::Limit { reason: "depth limit of 32 steps reached".into() }, "por {por}");
        assert_eq!((p.states, p.transitions, p.depth), (33, 32, 32), "por {por}");
        let (out, p) = run(&m, Options { max_depth: 33, ..o });
        assert_eq!(out, Outcome::Verified, "por {por}");
        assert_eq!(p.depth, 32, "por {por}");
    }
}

/// The state limit stops every breadth-first mode, the partitioned search included, at
/// the same new state, with the same counts and the same number of states still to
/// explore in its message.
#[test]
fn the_state_limit_leaves_the_same_frontier_in_every_breadth_first_mode() {
    let m = unmap_free_2();
    let base = Options { liveness: false, ..Options::default() };
    for (limit, depth, left, expect) in
        [(3, 1, 1, (3, 2, 0, 1)), (100, 15, 10, (100, 159, 14, 10)), (403, 32, 3, (403, 688, 31, 3))]
    {
        let reason = format!("state limit of {limit} reached at depth {depth} with {left} states still to explore");
        for (what, o) in breadth_first_modes(Options { max_states: limit, ..base.clone() }) {
            let (out, p) = run(&m, o);
            assert_eq!(out, Outcome::Limit { reason: reason.clone() }, "{what}");
            assert_eq!(counts(&p), expect, "{what}, limit {limit}");
        }
        for n in [1, 2, 3] {
            let (out, p) = run_local(&m, n, true, limit);
            assert_eq!(out, Outcome::Limit { reason: reason.clone() }, "{n} workers");
            assert_eq!(counts(&p), expect, "{n} workers, limit {limit}");
        }
    }
    // One more state than there are: the search ends verified.
    for (what, o) in breadth_first_modes(Options { max_states: 404, ..base }) {
        assert_eq!(run(&m, o).0, Outcome::Verified, "{what}");
    }
}

/// One CPU that waits for a flag nobody sets: its initial state is already stuck.
const WAITS_FROM_THE_START: &str = r#"
model "a waiter alone";
cpus 1..1 default 1;
shared ready = 0;
proc waiter() {
    while (ready == 0) { pause(); }
}
scenario s { cpu 0: waiter(); }
"#;

/// A stuck initial state is a counterexample of no steps, reported as soon as the check
/// is made, before any slice runs, in both modes and by the partitioned search, with
/// nothing explored.
#[test]
fn a_stuck_initial_state_is_a_counterexample_of_no_steps() {
    let m = session(&program(WAITS_FROM_THE_START), 1, "s", &[]).into_machine();
    for o in [Options::default(), Options { mode: Mode::Dfs, ..Options::default() }] {
        let mut c = Checker::new(m.clone(), o.clone());
        let Some(Outcome::Violation { property, schedule, cycle_start: None, message, .. }) = c.outcome().cloned()
        else {
            panic!("{:?}: {:?}", o.mode, c.outcome())
        };
        assert_eq!((property.code(), schedule.len()), ("G-NOLOST", 0), "{:?}", o.mode);
        assert!(message.contains("CPU 0 spins at line 6"), "{message}");
        assert!(c.run(1000), "the check is over");
        assert_eq!(counts(c.progress()), (1, 0, 0, 0), "{:?}", o.mode);
    }
    // The partitioned search says so before any worker expands anything.
    let (one, _) = run(&m, Options::default());
    for n in [1, 2] {
        let (o, p) = run_local(&m, n, true, 5_000_000);
        assert_eq!((o, p.states, p.transitions), (one.clone(), 1, 0), "{n} workers");
    }
}

/// The reductions in force, in the words the CLI and the page show: CPU symmetry only
/// breadth-first and only where CPUs are interchangeable, the partial-order reduction
/// only depth-first with `por`.
#[test]
fn the_reductions_in_force_are_named_for_each_mode() {
    let p = program(include_str!("cases/same-depth-two-properties.sdm"));
    let m = session(&p, 3, "s", &[]).into_machine();
    let words = |o: Options| Checker::new(m.clone(), o).reductions().to_string();
    assert_eq!(words(Options::default()), "CPU symmetry (CPUs 0–2 are interchangeable)");
    assert_eq!(words(Options { symmetry: false, ..Options::default() }), "none");
    assert_eq!(words(Options { mode: Mode::Dfs, ..Options::default() }), "none");
    assert_eq!(
        words(Options { mode: Mode::Dfs, por: true, ..Options::default() }),
        "partial-order reduction (private steps)"
    );
    // `por` means nothing breadth-first: the symmetry is what is in force there.
    assert_eq!(words(Options { por: true, ..Options::default() }), "CPU symmetry (CPUs 0–2 are interchangeable)");
    let lone = session(&program(WAITS_FROM_THE_START), 1, "s", &[]).into_machine();
    assert_eq!(
        Checker::new(lone, Options::default()).reductions(),
        "none (no CPU symmetry: no two CPUs run the same scenario entry)"
    );
}

/// After a breadth-first search that finds nothing, the liveness pass runs (and says
/// so) until the end: in slices of 100 transitions, unmap_free's breadth-first search
/// takes 690, then the pass 690 more; a finished check stays finished. Without
/// `liveness` the check ends after the breadth-first search.
#[test]
fn the_liveness_pass_runs_after_a_safe_breadth_first_search_and_says_so() {
    let m = unmap_free_2();
    let mut c = Checker::new(m.clone(), Options::default());
    let mut slices = Vec::new();
    while !c.run(100) {
        slices.push((c.progress().transitions, c.in_liveness_pass()));
    }
    assert_eq!(slices.iter().filter(|s| !s.1).map(|s| s.0).max(), Some(604), "{slices:?}");
    assert_eq!(slices.iter().filter(|s| s.1).map(|s| s.0).min(), Some(690), "{slices:?}");
    assert!(slices.windows(2).all(|w| w[0].1 <= w[1].1), "the pass comes last: {slices:?}");
    assert_eq!((c.outcome(), c.in_liveness_pass()), (Some(&Outcome::Verified), false));
    assert_eq!(c.progress().transitions, 1380);
    assert!(c.run(100));
    assert_eq!(c.progress().transitions, 1380);
    let mut c = Checker::new(m, Options { liveness: false, ..Options::default() });
    while !c.run(100) {
        assert!(!c.in_liveness_pass());
    }
    assert_eq!((c.outcome(), c.progress().transitions), (Some(&Outcome::Verified), 690));
}

/// A thread that a preemption can interrupt (tests/sched.rs's two windows).
const PREEMPTIBLE: &str = include_str!("cases/two-windows.sdm");

/// What a verdict covers under a preemption bound, in words; nothing without threads.
#[test]
fn the_preemption_bound_is_worded_only_for_scenarios_with_threads() {
    let m = session(&program(PREEMPTIBLE), 1, "s", &[]).into_machine();
    let words =
        |b: Option<u8>| Checker::new(m.clone(), Options { preemptions: b, ..Options::default() }).preemption_words();
    assert_eq!(words(None).as_deref(), Some("with any number of preemptions"));
    assert_eq!(words(Some(1)).as_deref(), Some("with up to 1 preemption"));
    assert_eq!(words(Some(2)).as_deref(), Some("with up to 2 preemptions"));
    assert_eq!(words(Some(0)).as_deref(), Some("with up to 0 preemptions"));
    let none = Checker::new(unmap_free_2(), Options { preemptions: Some(1), ..Options::default() });
    assert_eq!(none.preemption_words(), None);
}

/// tests/cases/same-depth-two-properties.sdm breaks an assertion and G-USERMODE-WINDOW
/// at the same depth, the window (the better rank) in several runs of 4 steps: one per
/// loser on 3 CPUs without symmetry. The search reports the first of the best rank in
/// the order it expands states, CPU 0 winning and CPU 1 reading: the same run, with the
/// same counts at the first event, on one thread, two, and any number of workers.
#[test]
fn of_several_events_at_the_shortest_depth_the_first_of_the_best_rank_is_reported() {
    let p = program(include_str!("cases/same-depth-two-properties.sdm"));
    for (ncpu, symmetry, expect) in
        [(2, true, (7, 9, 3, 2)), (2, false, (13, 15, 3, 5)), (3, true, (10, 17, 3, 4)), (3, false, (31, 40, 3, 17))]
    {
        let m = session(&p, ncpu, "s", &[]).into_machine();
        let what = format!("{ncpu} CPUs, symmetry {symmetry}");
        let base = Options { symmetry, liveness: false, ..Options::default() };
        let mut results: Vec<(String, (Outcome, Progress))> =
            breadth_first_modes(base).into_iter().map(|(w, o)| (w.to_string(), run(&m, o))).collect();
        results.extend((1..=3).map(|n| (format!("{n} workers"), run_local(&m, n, symmetry, 5_000_000))));
        for (mode, (o, pr)) in &results {
            let Outcome::Violation { property, schedule, message, .. } = o else { panic!("{what}, {mode}: {o:?}") };
            assert_eq!(
                (property.code(), schedule.join(" ")),
                ("G-USERMODE-WINDOW", "0 1 1 1".into()),
                "{what}, {mode}"
            );
            assert!(message.starts_with("CPU 1 read va 0x1000"), "{what}, {mode}: {message}");
            assert_eq!(counts(pr), expect, "{what}, {mode}");
        }
    }
}

/// The liveness pass explores the full space, without symmetry, and counts what it
/// stores against the same state limit: dillon-2004's protect_once on 3 CPUs has 296
/// states up to symmetry (the breadth-first search, whose limit is judged on them) and 524
/// in all (the pass). A limit of 297 or 524 lets the first finish and stops the second,
/// 525 lets both finish; the pass adds transitions, never states, to the counts.
#[test]
fn the_liveness_pass_stops_at_the_state_limit_on_the_states_it_stores() {
    let p = program(sdlab_engine::models::find("dillon-2004").expect("bundled").source);
    let m = session(&p, 3, "protect_once", &[]).into_machine();
    for (limit, transitions) in [(297, 1271), (524, 1784)] {
        let (o, pr) = run(&m, Options { max_states: limit, ..Options::default() });
        let reason = format!("safety verified, but the liveness pass reached the state limit of {limit}");
        assert_eq!(o, Outcome::Limit { reason }, "limit {limit}");
        assert_eq!(counts(&pr), (296, transitions, 30, 0), "limit {limit}");
    }
    let (o, pr) = run(&m, Options { max_states: 525, ..Options::default() });
    assert_eq!((o, counts(&pr)), (Outcome::Verified, (296, 1786, 30, 0)));
    // The breadth-first search itself stops at its 296th state.
    let (o, pr) = run(&m, Options { max_states: 296, ..Options::default() });
    let reason = "state limit of 296 reached at depth 30 with 3 states still to explore".to_string();
    assert_eq!((o, counts(&pr)), (Outcome::Limit { reason }, (296, 642, 29, 3)));
}

/// Depth-first, the state limit is judged on each new state: the search stops at the
/// state that reaches it, with that many states counted.
#[test]
fn the_state_limit_stops_depth_first_at_that_many_states() {
    let m = unmap_free_2();
    for por in [false, true] {
        for limit in [3, 100, 375] {
            let o = Options { mode: Mode::Dfs, por, max_states: limit, ..Options::default() };
            let (out, pr) = run(&m, o);
            assert_eq!(out, Outcome::Limit { reason: format!("state limit of {limit} reached") }, "por {por}");
            assert_eq!(pr.states, limit as u64, "por {por}");
        }
    }
    // 375 states with the reduction (tests/pinned.rs), 403 without.
    let o = Options { mode: Mode::Dfs, por: true, max_states: 376, ..Options::default() };
    assert_eq!(run(&m, o).0, Outcome::Verified);
}

/// The partitioned search driven phase by phase as the page drives it (`run_local`'s
/// loop), checking what each worker holds between levels: every state stored by exactly
/// one worker (the stored fingerprints add up to the states counted), the level's records
/// spread over the workers (they add up to the frontier) and, after a cut, in equal
/// contiguous slices; the coordinator's depth one more per level. Returns the outcome and
/// the number of levels that were cut.
fn partitioned_by_hand(m: &Machine, n: usize, symmetry: bool) -> (Outcome, Progress, usize) {
    use sdlab_engine::checker::partition::{Coordinator, Kept, Merged, Part};
    let mut coord = Coordinator::new(m.clone(), n, symmetry, 5_000_000);
    assert_eq!(coord.initial_outcome(), None);
    let mut parts: Vec<Part> = (0..n).map(|i| Part::new(m.clone(), i, n, symmetry)).collect();
    for (i, p) in parts.iter().enumerate() {
        assert_eq!((p.index(), p.records()), (i, usize::from(i == 0)), "worker {i} at the start");
    }
    assert_eq!(parts.iter().map(Part::stored).sum::<usize>(), 1);
    let mut cut_levels = 0;
    for level in 0.. {
        assert_eq!(coord.depth(), level);
        let sent: Vec<Vec<Vec<u128>>> = parts.iter_mut().map(Part::expand).collect();
        for s in &sent {
            assert_eq!(s.len(), n);
        }
        let answers: Vec<Vec<Vec<bool>>> = parts
            .iter_mut()
            .enumerate()
            .map(|(o, p)| p.dedup(&sent.iter().map(|s| s[o].clone()).collect::<Vec<_>>()))
            .collect();
        let kept: Vec<Kept> = parts
            .iter_mut()
            .enumerate()
            .map(|(w, p)| p.keep(&answers.iter().map(|a| a[w].clone()).collect::<Vec<_>>()))
            .collect();
        match coord.merge(&kept) {
            Merged::Over(o) => return (o, coord.progress.clone(), cut_levels),
            Merged::Event => {
                let best = parts.iter_mut().map(Part::best_event).collect();
                let o = coord.settle(best);
                return (o, coord.progress.clone(), cut_levels);
            }
            Merged::Next { bases } => {
                assert_eq!(
                    parts.iter().map(Part::stored).sum::<usize>() as u64,
                    coord.progress.states,
                    "level {level}: every state stored once"
                );
                for (p, b) in parts.iter_mut().zip(bases) {
                    p.commit(b);
                }
                let counts: Vec<usize> = parts.iter().map(Part::records).collect();
                let total: usize = counts.iter().sum();
                assert_eq!(total as u64, coord.progress.frontier, "level {level}: the frontier");
                if let Some(cuts) = coord.cuts(&counts) {
                    cut_levels += 1;
                    let pieces: Vec<Vec<Vec<u32>>> = parts.iter_mut().zip(&cuts).map(|(p, c)| p.split(c)).collect();
                    for (v, p) in parts.iter_mut().enumerate() {
                        let mine: Vec<Vec<u32>> = pieces.iter().map(|ps| ps[v].clone()).collect();
                        p.join(&mine);
                    }
                    let after: Vec<usize> = parts.iter().map(Part::records).collect();
                    assert_eq!(after.iter().sum::<usize>(), total, "level {level}: no record lost in the cut");
                    let (lo, hi) = (after.iter().min().unwrap(), after.iter().max().unwrap());
                    assert!(hi - lo <= 1, "level {level}: equal slices after the cut: {after:?}");
                } else {
                    let most = counts.iter().copied().max().unwrap_or(0);
                    assert!(
                        most * n <= total + total / 8 || total < 64 * n,
                        "level {level}: slices left uneven: {counts:?}"
                    );
                }
            }
        }
    }
    unreachable!()
}

#[test]
fn partitioned_workers_store_each_state_once_and_share_each_level_evenly() {
    let sb = scoreboard();
    let mut cut = 0;
    for (scenario, ncpu, set, verdict) in
        [("unmap_free", 3, &[][..], "verified"), ("crossfire", 2, &[("initiator_if", "false")][..], "G-DEADLOCK")]
    {
        let m = session(&sb, ncpu, scenario, set).into_machine();
        for symmetry in [true, false] {
            let one = run(&m, Options { symmetry, liveness: false, ..Options::default() });
            for n in [2, 3] {
                let (o, p, cut_levels) = partitioned_by_hand(&m, n, symmetry);
                let what = format!("{scenario} {set:?}, {n} workers, symmetry {symmetry}");
                let v = match &o {
                    Outcome::Violation { property, .. } => property.code(),
                    _ => "verified",
                };
                assert_eq!(v, verdict, "{what}");
                assert_eq!((o, p), one.clone(), "{what}");
                cut += cut_levels;
            }
        }
    }
    assert!(cut > 0, "some level is cut again");
}

/// CPU 0 sends an IPI to CPU 1 and waits for its handler; CPU 1 keeps masking and
/// unmasking interrupts. A cycle of CPU 1's loop passes an instruction boundary with IF=1
/// and the interrupt pending, where the LAPIC delivers it (SDM vol. 3A §7.8.1): a cycle
/// that never takes it is no run of the hardware, though CPU 1 takes its steps in it.
const TOGGLER: &str = r#"
model "a pending interrupt is taken at the first IF=1 boundary";
cpus 2..2 default 2;
vector V = 0x40;
shared acked = 0;
shared busy = 0;
handler V {
    acked = 1;
    eoi();
}
proc sender() {
    send_ipi(bit(1), V);
    while (acked == 0) { pause(); }
}
proc toggler() {
    while (true) {
        disable_interrupts();
        busy = 1;
        enable_interrupts();
    }
}
scenario s { cpu 0: sender(); cpu 1: toggler(); }
"#;

/// CPU 0 issues an INVLPGB and waits in TLBSYNC until it has reached every TLB; CPU 1
/// runs a loop forever. Once the invalidation has reached CPU 0's own TLB, a cycle of CPU
/// 1's loop with the arrival at CPU 1 enabled throughout and never taken is no run: an
/// INVLPGB reaches every TLB eventually, whatever that CPU does meanwhile.
const BROADCAST_PENDING: &str = r#"
model "a broadcast reaches every TLB";
cpus 2..2 default 2;
aspace mm;
map mm 0x1000 writable;
shared busy = 0;
proc issuer() {
    invlpgb(mm, 0x1000);
    tlbsync();
}
proc spinner() {
    while (true) { busy = 1; busy = 0; }
}
scenario s { cpu 0: issuer() in mm; cpu 1: spinner() in mm; }
"#;

/// The liveness pass (after a breadth-first search, and the depth-first search's own)
/// reports no lost wake-up where only an unfair cycle keeps the waiter waiting.
#[test]
fn a_cycle_that_never_delivers_a_pending_interrupt_or_broadcast_is_no_lost_wakeup() {
    for (what, src) in [("interrupt", TOGGLER), ("broadcast", BROADCAST_PENDING)] {
        let m = session(&program(src), 2, "s", &[]).into_machine();
        for mode in [Mode::Bfs, Mode::Dfs] {
            let (o, _) = run(&m, Options { mode, ..Options::default() });
            assert_eq!(o, Outcome::Verified, "{what}, {mode:?}");
        }
    }
}

/// The states reachable from `m`'s initial state, by a search that keeps whole states
/// (no fingerprints, no frontier encoding, no threads).
fn independent_states(m: &Machine) -> u64 {
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![m.initial()];
    seen.insert(m.initial());
    let (mut en, mut fx) = (Vec::new(), Vec::new());
    while let Some(s) = todo.pop() {
        m.enabled(&s, &mut en);
        for &c in &en {
            let mut t = s.clone();
            m.step(&mut t, c, &mut fx).expect("no fault");
            if seen.insert(t.clone()) {
                todo.push(t);
            }
        }
    }
    seen.len() as u64
}

/// In these models a loop leads back to states met before on shorter paths, the initial
/// state among them (CPU 1's loop, before CPU 0 has moved), which the search stored
/// before the first level was expanded. Every breadth-first mode stores each reachable
/// state exactly once, on one thread or two, on every level or the wide ones only.
#[test]
fn a_state_met_again_on_a_longer_path_is_stored_once_in_every_breadth_first_mode() {
    let models = [("interrupt", TOGGLER), ("broadcast", BROADCAST_PENDING), ("lasso", LIVELOCK)];
    for (what, src) in models {
        let m = session(&program(src), 2, "s", &[]).into_machine();
        let all = independent_states(&m);
        let base = Options { symmetry: false, liveness: false, ..Options::default() };
        for (mode, o) in breadth_first_modes(base) {
            let (out, p) = run(&m, o);
            assert_eq!((out, p.states), (Outcome::Verified, all), "{what}, {mode}");
        }
        for n in [1, 2, 3] {
            assert_eq!(run_local(&m, n, false, 5_000_000).1.states, all, "{what}, {n} workers");
        }
    }
}

/// checker.rs's lasso: CPU 0 waits for a flag, CPU 1 writes another word forever.
const LIVELOCK: &str = include_str!("cases/livelock.sdm");

/// CPU 0 waits for `ready`; CPU 1 sends itself an IPI forever, and its handler takes it.
/// The cycle of sending, delivery, handler and return is fair: the interrupt pending in
/// it is taken in it, so CPU 0 waits forever in a run of the hardware.
const SELF_IPI_FOREVER: &str = r#"
model "interrupts taken forever while a waiter waits";
cpus 2..2 default 2;
vector V = 0x40;
shared ready = 0;
shared n = 0;
handler V {
    n = 1;
    eoi();
}
proc waiter() {
    while (ready == 0) { pause(); }
}
proc pinger() {
    while (true) {
        send_ipi(bit(1), V);
        n = 0;
    }
}
scenario s { cpu 0: waiter(); cpu 1: pinger(); }
"#;

/// CPU 0 waits for `ready`; CPU 3 flips `x` forever; CPU 1 could leave its loop (and set
/// `ready`) only while x is 1, CPU 2 only while x is 0. Neither is enabled in every state
/// of CPU 3's cycle, so under weak fairness the cycle is a run in which CPU 0 waits
/// forever, though in every state of it some CPU other than CPU 3 could move.
const NEVER_CONTINUOUSLY_ENABLED: &str = r#"
model "each waiter enabled half of the time";
cpus 4..4 default 4;
shared ready = 0;
shared x = 0;
proc waiter() {
    while (ready == 0) { pause(); }
}
proc on_one() {
    while (x == 0) { pause(); }
    ready = 1;
}
proc on_zero() {
    while (x == 1) { pause(); }
    ready = 1;
}
proc flipper() {
    while (true) {
        x = 1;
        x = 0;
    }
}
scenario s { cpu 0: waiter(); cpu 1: on_one(); cpu 2: on_zero(); cpu 3: flipper(); }
"#;

/// Lassos, in both modes (the breadth-first search's liveness pass and the depth-first
/// search): each cycle takes what it has pending (the interrupt, both arrivals of the
/// INVLPGB, the callout) or has it pending only at times (the callout cancelled by each
/// wake-up), and the flipper's leaves no CPU continuously enabled and idle.
#[test]
fn a_fair_cycle_is_a_lasso_though_it_takes_interrupts_or_others_could_move_at_times() {
    let cases = [
        (SELF_IPI_FOREVER, 2, "1 i1.0 1 1 1", 0, 0),
        (NEVER_CONTINUOUSLY_ENABLED, 4, "3 3", 0, 0),
        (BROADCASTS_FOREVER, 2, "1 b0.0 b1.0 1", 0, 0),
        (NAPS_FOREVER, 2, "s0.2 0 c0.2 s0.2", 1, 1),
        (WOKEN_FOREVER, 3, "s0.3 0 2 s0.3", 1, 1),
    ];
    for (src, ncpu, schedule, start, waiter) in cases {
        let m = session(&program(src), ncpu, "s", &[]).into_machine();
        for mode in [Mode::Bfs, Mode::Dfs] {
            let (o, _) = run(&m, Options { mode, ..Options::default() });
            let Outcome::Violation { property, schedule: s, cycle_start, message, .. } = &o else {
                panic!("{schedule}, {mode:?}: {o:?}")
            };
            let got = (property.code(), s.join(" "), *cycle_start);
            assert_eq!(got, ("G-NOLOST", schedule.into(), Some(start)), "{mode:?}");
            let lead = format!("Lost wake-up: CPU {waiter} waits forever");
            assert!(message.starts_with(&lead), "{message}");
        }
    }
}

/// CPU 0 waits for `ready`; CPU 1 issues INVLPGB and waits for it in TLBSYNC, forever.
/// Each arrival pending in the cycle is taken in it.
const BROADCASTS_FOREVER: &str = r#"
model "broadcasts forever while a CPU waits";
cpus 2..2 default 2;
aspace mm;
map mm 0x1000 writable;
shared ready = 0;
proc waiter() {
    while (ready == 0) { pause(); }
}
proc flusher() {
    while (true) {
        invlpgb(mm, 0x1000);
        tlbsync();
    }
}
scenario s { cpu 0: waiter() in mm; cpu 1: flusher() in mm; }
"#;

/// CPU 1 waits for `done`; a thread on CPU 0 sleeps with a callout, forever: the callout
/// pending in the cycle fires in it.
const NAPS_FOREVER: &str = r#"
model "a callout fires forever while a CPU waits";
cpus 2..2 default 2;
const CH = 3;
shared done = 0;
proc napper() {
    while (true) { sleep_timo(CH); }
}
proc watcher() {
    while (done == 0) { pause(); }
}
scenario s { cpu 0: idle; cpu 1: watcher(); thread 0: napper(); }
"#;

/// A thread on CPU 0 sleeps with a callout, forever; CPU 2 wakes it, forever; CPU 1
/// waits for `done`. In the cycle the thread is woken by CPU 2, and the callout, pending
/// while it sleeps, is cancelled by the wake-up before it fires.
const WOKEN_FOREVER: &str = r#"
model "a callout cancelled by each wake-up";
cpus 3..3 default 3;
const CH = 3;
shared done = 0;
proc napper() {
    while (true) { sleep_timo(CH); }
}
proc watcher() {
    while (done == 0) { pause(); }
}
proc waker() {
    while (true) { wakeup(CH); }
}
scenario s { cpu 0: idle; cpu 1: watcher(); cpu 2: waker(); thread 0: napper(); }
"#;

/// tests/cases/same-depth-fault-first.sdm: in the first step, CPU 0's indexing fault is
/// met first (the search expands CPU 0's choices first) and CPU 1's assertion after it in
/// the same level (the branch on `self` costs no step). A fault ranks after every property (`outcome::rank`), so the assertion is
/// reported, in every breadth-first mode: a fault met first does not end the level's
/// comparison.
#[test]
fn a_fault_met_first_yields_to_a_property_at_the_same_depth() {
    let m = session(&program(include_str!("cases/same-depth-fault-first.sdm")), 2, "s", &[]).into_machine();
    let base = Options { liveness: false, ..Options::default() };
    let mut results: Vec<(String, (Outcome, Progress))> =
        breadth_first_modes(base).into_iter().map(|(w, o)| (w.to_string(), run(&m, o))).collect();
    results.extend((1..=3).map(|n| (format!("{n} workers"), run_local(&m, n, false, 1000))));
    for (mode, (o, pr)) in &results {
        let Outcome::Violation { property, schedule, message, .. } = o else { panic!("{mode}: {o:?}") };
        assert_eq!((property.code(), schedule.join(" ")), ("assert", "1".into()), "{mode}: {message}");
        assert_eq!(message, "CPU 1 sees a[0] set", "{mode}");
        assert_eq!(counts(pr), (1, 1, 0, 0), "{mode}: the counts at the first event");
    }
}
