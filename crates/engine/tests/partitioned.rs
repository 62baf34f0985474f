//! The breadth-first search split across workers that share no memory
//! (`search::partition`, the page's web workers) gives the one-thread search's result on
//! any number of workers: the same verdict, counterexample, states, transitions, depth
//! and frontier, with and without CPU symmetry, and the same stop at a state limit.

mod common;
use common::*;
use sdlab_engine::checker::partition::{run_local, Coordinator, Liveness};
use sdlab_engine::checker::{Checker, Options, Outcome};

fn compare(what: &str, m: &sdlab_engine::Machine, symmetry: bool, max_states: usize) {
    let opts = Options { liveness: false, symmetry, max_states, ..Options::default() };
    let (one, p1) = Checker::new(m.clone(), opts).check();
    for n in [1, 2, 3, 4] {
        let (o, p) = run_local(m, n, symmetry, max_states);
        assert_eq!(o, one, "{what}, {n} workers, symmetry {symmetry}: the outcome");
        assert_eq!(p, p1, "{what}, {n} workers, symmetry {symmetry}: the counts");
    }
}

/// Scenario, CPUs, options set.
type Case = (&'static str, u32, &'static [(&'static str, &'static str)]);

#[test]
fn every_worker_count_gives_the_one_thread_result() {
    let sb = scoreboard();
    let cases: &[Case] = &[
        ("unmap_free", 3, &[]),
        ("crossfire", 2, &[]),
        // E4: a deadlock (a stuck state) at 28 steps.
        ("crossfire", 2, &[("initiator_if", "false")]),
        // E1: a lost shootdown at 67 steps, deep in a wide level.
        ("crossfire", 3, &[("rescan", "false")]),
        // E2: a stale use through an NMI (a violating step); E2_window: the window.
        ("unmap_free", 2, &[("nmi_reads_user", "true"), ("hw_nmi", "1"), ("check_window", "false")]),
        ("unmap_free", 2, &[("nmi_reads_user", "true"), ("hw_nmi", "1")]),
        // E3: the PCID regression.
        ("switch_back", 2, &[("pcid", "true"), ("pm_gen_late", "true")]),
    ];
    for &(scenario, ncpu, set) in cases {
        let m = session(&sb, ncpu, scenario, set).into_machine();
        let what = format!("scoreboard {scenario} {ncpu} CPUs {set:?}");
        compare(&what, &m, true, 5_000_000);
        compare(&what, &m, false, 5_000_000);
    }
}

/// Every interleaving that lets a CPU read the counter at 13 is a violation (an
/// assertion, or a fault writing past the end of an array), and many of them lie in the
/// first violating level, spread over the workers' slices. The workers' answers are
/// compared by rank (a property before a fault), then taken in worker order (the
/// one-thread order), and under CPU symmetry a fault's schedule is made concrete as a
/// property's is: the counterexample is the one-thread search's on any worker count.
#[test]
fn many_violations_in_one_level_give_the_one_thread_counterexample() {
    let p = program(include_str!("cases/wide-level.sdm"));
    for scenario in ["s", "faults", "mixed"] {
        let m = session(&p, 4, scenario, &[]).into_machine();
        compare(&format!("wide level, {scenario}"), &m, false, 5_000_000);
        compare(&format!("wide level, {scenario}"), &m, true, 5_000_000);
    }
}

/// A level is cut into equal slices only when moving records pays: when it holds at least
/// 64 records a worker and one worker holds more than an eighth over its share. Below, each
/// worker keeps what it found (the result is the same either way; only the messages
/// differ).
#[test]
fn a_level_is_cut_only_when_it_is_big_and_uneven() {
    let m = session(&program(include_str!("cases/wide-level.sdm")), 4, "s", &[]).into_machine();
    let mut c = Coordinator::new(m, 2, false, 1000);
    assert_eq!(c.cuts(&[127, 0]), None, "fewer than 64 a worker");
    assert_eq!(c.cuts(&[100, 0]), None, "fewer than 64 a worker");
    assert_eq!(c.cuts(&[128, 0]), Some(vec![vec![64, 128], vec![0, 0]]), "64 a worker, all on one");
    assert_eq!(c.cuts(&[72, 56]), None, "within an eighth of equal");
    assert_eq!(c.cuts(&[73, 55]), Some(vec![vec![64, 73], vec![0, 55]]), "beyond an eighth");
}

#[test]
fn the_state_limit_stops_every_worker_count_where_one_thread_stops() {
    let m = session(&scoreboard(), 3, "unmap_free", &[]).into_machine();
    for limit in [1, 2, 1000, 7777] {
        compare(&format!("limit {limit}"), &m, true, limit);
    }
}

#[test]
fn symmetric_cpus_give_the_same_counterexample_on_every_worker_count() {
    // dillon-2004 with the shootdown that does not wait: interchangeable CPUs, a G-DIRTY
    // race whose counterexample is found among representatives and made concrete.
    let p = program(sdlab_engine::models::find("dillon-2004").expect("bundled").source);
    let m = session(&p, 3, "launder", &[("quiesce_first", "false"), ("synchronous", "false")]).into_machine();
    compare("dillon-2004 4.5B", &m, true, 5_000_000);
}

#[test]
fn the_liveness_pass_after_a_partitioned_search_is_the_checkers() {
    // E1 with the rescan: safety holds; the checker's liveness pass then runs over the
    // same machine and finds what it finds, with the same counts.
    for (scenario, set) in [("crossfire", &[][..]), ("crossfire", &[("hw_irr_latch", "false")][..])] {
        let m = session(&scoreboard(), 2, scenario, set).into_machine();
        let (whole, pw) = Checker::new(m.clone(), Options::default()).check();
        let (safety, ps) = run_local(&m, 2, true, 5_000_000);
        let (o, p) = match safety {
            Outcome::Verified => {
                let mut l = Liveness::new(m.clone(), 5_000_000, ps);
                loop {
                    if let Some(o) = l.run(1000) {
                        break (o, l.progress);
                    }
                }
            }
            other => (other, ps),
        };
        assert_eq!((o, p), (whole, pw), "{scenario} {set:?}");
    }
}
