//! The breadth-first search gives the same answer on any number of threads: the same
//! verdict, property and schedule, and the same counts of states and transitions, for
//! violations, stuck states, verified configurations and state limits (level.rs).

mod common;
use sdlab_engine::checker::{Checker, Options, Outcome, Progress};
use sdlab_engine::*;

/// Every level on the threads, however small, in rounds of a few records, so that small
/// searches test both.
fn run(m: &Machine, opts: Options, threads: usize) -> (Outcome, Progress) {
    Checker::new(m.clone(), Options { threads, parallel_level: 1, parallel_chunk: 61, ..opts }).check()
}

fn assert_same_on_threads(m: &Machine, opts: Options, what: &str) -> (Outcome, Progress) {
    let one = run(m, opts.clone(), 1);
    for threads in [2, 3] {
        let many = run(m, opts.clone(), threads);
        assert_eq!(many.0, one.0, "{what}: outcome on {threads} threads");
        assert_eq!(many.1, one.1, "{what}: progress on {threads} threads");
    }
    one
}

#[test]
fn every_declared_race_has_the_same_counterexample_on_one_two_and_three_threads() {
    let mut n = 0;
    for b in models::BUNDLED {
        let p = common::program(b.source);
        for r in &p.races {
            let m = Machine::new(p.clone(), Config::for_race(&p, r)).unwrap();
            let (o, _) = assert_same_on_threads(&m, Options::default(), &format!("{} {}", b.id, r.name));
            assert!(matches!(o, Outcome::Violation { .. }), "{} {}: {o:?}", b.id, r.name);
            n += 1;
        }
    }
    // Every race the models' text declares (`grep -c '^race '`), counted without the compiler.
    let declared: usize =
        models::BUNDLED.iter().map(|b| b.source.lines().filter(|l| l.starts_with("race ")).count()).sum();
    assert_eq!(n, declared, "races");
}

#[test]
fn verified_configurations_count_the_same_states_on_any_number_of_threads() {
    let opts = Options { liveness: false, ..Options::default() };
    // (states, transitions, depth) of the safety search. Where pinned.rs, checker.rs or
    // docs/checker.md count the same configuration with the liveness pass, the states and
    // depth are theirs and the transitions half theirs (the liveness pass walks every
    // transition again): scoreboard crossfire 210 702 (checker.rs: 1 240 354 transitions,
    // depth 93), unmap_free 25 453 (pinned.rs: 137 018, 52), freebsd-di 276 519
    // (docs/checker.md).
    for (model, scenario, ncpu, sets, pinned) in [
        ("freebsd-scoreboard", "crossfire", 3, &[][..], (210_702, 620_177, 93)),
        ("freebsd-scoreboard", "unmap_free", 3, &[][..], (25_453, 68_509, 52)),
        ("freebsd-global", "crossfire", 3, &[("generation", "false")][..], (1_686, 3_900, 52)),
        ("linux", "crossfire", 3, &[][..], (508_637, 1_447_902, 91)),
        ("freebsd-di", "two_unmaps", 3, &[("di", "1")][..], (276_519, 742_535, 100)),
    ] {
        let p = common::program(models::find(model).unwrap().source);
        let m = common::session(&p, ncpu, scenario, sets).into_machine();
        let (o, progress) = assert_same_on_threads(&m, opts.clone(), &format!("{model} {scenario}"));
        assert_eq!(o, Outcome::Verified, "{model} {scenario}");
        assert_eq!((progress.states, progress.transitions, progress.depth), pinned, "{model} {scenario}");
    }
}

#[test]
fn a_state_limit_stops_at_the_same_state_on_any_number_of_threads() {
    let p = common::scoreboard();
    let m = common::session(&p, 3, "crossfire", &[]).into_machine();
    for max_states in [700, 5_000, 50_001] {
        let opts = Options { max_states, liveness: false, ..Options::default() };
        let (o, progress) = assert_same_on_threads(&m, opts, &format!("limit {max_states}"));
        let Outcome::Limit { reason } = &o else { panic!("{o:?}") };
        assert!(reason.contains(&format!("state limit of {max_states}")), "{reason}");
        assert_eq!(progress.states, max_states as u64);
    }
}
