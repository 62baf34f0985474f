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

/// Breadth-first modes that must agree on every count: one thread, and two threads on
/// every level (in rounds of one record and of seven).
fn breadth_first_modes(base: Options) -> Vec<(&'static str, Options)> {
    vec![
        ("1 thread", base.clone()),
        ("2 threads", Options { threads: 2, parallel_level: 1, ..base.clone() }),
        ("2 threads, rounds of 7", Options { threads: 2, parallel_level: 1, parallel_chunk: 7, ..base }),
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
