//! The checker on the scoreboard model (algorithms.md §1.6): the correct variant verifies,
//! each mutation gives its race, and every counterexample is as short as possible and
//! replays in a session to the same violation.

mod common;
use common::replay::{assert_replays, replayed};
use common::*;
use sdlab_engine::checker::{Checker, Options, Outcome};
use sdlab_engine::*;

/// Check breadth-first; every counterexample found replays to the reported property at
/// the reported step.
fn check(ncpu: u32, scenario: &str, opts: &[(&str, &str)]) -> (Outcome, checker::Progress) {
    check_with(ncpu, scenario, opts, Options::default())
}

/// Replays the counterexample to the reported property at the reported step, and returns
/// what the session shows at its end.
fn replay(ncpu: u32, scenario: &str, opts: &[(&str, &str)], o: &Outcome) -> Session {
    let p = scoreboard();
    let m = session(&p, ncpu, scenario, opts).into_machine();
    replayed(&m, o, &format!("{scenario}/{ncpu}/{opts:?}"))
}

/// Verified, with the exact states, transitions and depth (as docs/checker.md and
/// tests/pinned.rs give them; crossfire at 3 CPUs is above pinned.rs's limit): a change
/// that merges or splits states shows even where the verdict stays.
#[test]
fn correct_scoreboard_verifies_for_two_and_three_cpus() {
    for (ncpu, scenario, states, transitions, depth) in [
        (2, "unmap_free", 403, 1380, 32),
        (2, "crossfire", 3224, 12288, 59),
        (3, "unmap_free", 25453, 137018, 52),
        (3, "crossfire", 210702, 1240354, 93),
    ] {
        let (o, p) = check(ncpu, scenario, &[]);
        assert_eq!(o, Outcome::Verified, "{scenario} with {ncpu} CPUs");
        assert_eq!((p.states, p.transitions, p.depth), (states, transitions, depth), "{scenario} with {ncpu} CPUs");
    }
}

#[test]
fn e4_initiators_with_interrupts_disabled_deadlock_with_two_cpus() {
    let opts = [("initiator_if", "false")];
    let (o, _) = check(2, "crossfire", &opts);
    let Outcome::Violation { property, message, schedule, .. } = &o else { panic!("{o:?}") };
    assert_eq!(*property, Property::Deadlock);
    assert!(message.contains("CPU 0") && message.contains("CPU 1"), "{message}");
    let s = replay(2, "crossfire", &opts, &o);
    assert_eq!(s.stuck().expect("stuck after replay").property, Property::Deadlock);
    // Shortest: every step of the schedule is needed. Dropping the last one leaves a
    // state that is not stuck yet.
    let mut shorter = replay(2, "crossfire", &opts, &o);
    shorter.back();
    assert!(shorter.stuck().is_none());
    assert!(schedule.len() >= 20, "both initiators must get to their spin: {}", schedule.len());
}

#[test]
fn e1_no_rescan_loses_a_shootdown_with_three_cpus_but_not_two() {
    let opts = [("rescan", "false")];
    let (o, _) = check(3, "crossfire", &opts);
    let Outcome::Violation { property, .. } = &o else { panic!("{o:?}") };
    assert_eq!(*property, Property::NoLost);
    let s = replay(3, "crossfire", &opts, &o);
    assert!(s.stuck().expect("stuck").waits.iter().all(|w| w.interrupts_enabled));
    let (o2, _) = check(2, "crossfire", &opts);
    assert_eq!(o2, Outcome::Verified, "with one target per initiator there is nothing to merge");
}

#[test]
fn e1_lapic_without_the_irr_latch_loses_a_shootdown() {
    let (o, _) = check(3, "crossfire", &[("hw_irr_latch", "false")]);
    let Outcome::Violation { property, .. } = &o else { panic!("{o:?}") };
    assert_eq!(*property, Property::NoLost);
}

#[test]
fn e2_nmi_in_the_ack_window_gives_a_stale_use_with_two_cpus() {
    // With the window property checked, the same NMI is caught at the read itself.
    let (o, _) = check(2, "unmap_free", &[("nmi_reads_user", "true"), ("hw_nmi", "1")]);
    let (Outcome::Violation { property, .. }, Outcome::Violation { choices, .. }) = (&o, &o) else { panic!("{o:?}") };
    assert_eq!(*property, Property::UsermodeWindow);
    let window_len = choices.len();
    let opts = [("nmi_reads_user", "true"), ("hw_nmi", "1"), ("check_window", "false")];
    let (o, _) = check(2, "unmap_free", &opts);
    assert!(o.choices().len() > window_len, "the window breaks before the frame is freed");
    let Outcome::Violation { property, message, .. } = &o else { panic!("{o:?}") };
    assert_eq!(*property, Property::Stale);
    assert!(message.contains("0x1000"), "{message}");
    let s = replay(2, "unmap_free", &opts, &o);
    let (step, v) = s.first_violation().expect("violation on replay");
    assert_eq!(step, o.choices().len(), "the violation is the last step");
    assert_eq!(v.property, Property::Stale);
    // Without the NMI's user read, the same machine verifies.
    let (o, _) = check(2, "unmap_free", &[("hw_nmi", "1")]);
    assert_eq!(o, Outcome::Verified);
}

/// Depth of the first violation by an independent, unreduced layered search that
/// stores whole states (no fingerprints): a step that breaks a property, or a stuck state.
fn independent_shortest(m: &Machine) -> usize {
    let mut layer = vec![m.initial()];
    let mut seen = std::collections::HashSet::new();
    let (mut en, mut fx) = (Vec::new(), Vec::new());
    for depth in 0.. {
        let mut next = Vec::new();
        for st in &layer {
            if m.stuck(st).is_some() {
                return depth;
            }
        }
        for st in &layer {
            m.enabled(st, &mut en);
            for &c in &en {
                let mut t = st.clone();
                if m.step(&mut t, c, &mut fx).expect("no fault").violation.is_some() {
                    return depth + 1;
                }
                if seen.insert(t.clone()) {
                    next.push(t);
                }
            }
        }
        assert!(!next.is_empty(), "no violation anywhere");
        layer = next;
    }
    unreachable!()
}

#[test]
fn counterexamples_are_shortest() {
    let p = scoreboard();
    for (ncpu, scenario, opts) in [
        (2, "crossfire", vec![("initiator_if", "false")]),
        (3, "crossfire", vec![("rescan", "false")]),
        (2, "unmap_free", vec![("nmi_reads_user", "true"), ("hw_nmi", "1")]),
    ] {
        let (o, _) = check(ncpu, scenario, &opts);
        let m = session(&p, ncpu, scenario, &opts).into_machine();
        assert_eq!(o.choices().len(), independent_shortest(&m), "{scenario} {opts:?}");
    }
}

#[test]
fn limits_stop_with_a_message() {
    let p = scoreboard();
    let s = session(&p, 3, "crossfire", &[]);
    let (o, progress) = Checker::new(s.into_machine(), Options { max_states: 1000, ..Options::default() }).check();
    let Outcome::Limit { reason } = o else { panic!("{o:?}") };
    assert!(reason.contains("state limit of 1000"), "{reason}");
    assert_eq!(progress.states, 1000);
}

#[test]
fn checking_in_slices_gives_the_same_result() {
    let p = scoreboard();
    let s = session(&p, 3, "crossfire", &[("rescan", "false")]);
    let (whole, wp) = Checker::new(s.machine().clone(), Options::default()).check();
    let mut c = Checker::new(s.into_machine(), Options::default());
    let mut slices = 0;
    while !c.run(997) {
        slices += 1;
    }
    assert!(slices > 2);
    assert_eq!(c.outcome(), Some(&whole));
    assert_eq!(c.progress().states, wp.states);
}

fn check_with(ncpu: u32, scenario: &str, opts: &[(&str, &str)], o: Options) -> (Outcome, checker::Progress) {
    let p = scoreboard();
    let m = session(&p, ncpu, scenario, opts).into_machine();
    let what = format!("{scenario}/{ncpu}/{opts:?} {:?} por={}", o.mode, o.por);
    let r = Checker::new(m.clone(), o).check();
    assert_replays(&m, &r.0, &what);
    r
}

fn property(o: &Outcome) -> Option<&str> {
    match o {
        Outcome::Violation { property, .. } => Some(property.code()),
        _ => None,
    }
}

#[test]
fn depth_first_with_and_without_reduction_agrees_with_breadth_first() {
    type Case<'a> = (u32, &'a str, &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        (2, "unmap_free", &[]),
        (2, "crossfire", &[]),
        (3, "unmap_free", &[]),
        (3, "crossfire", &[]),
        (2, "crossfire", &[("initiator_if", "false")]),
        (3, "crossfire", &[("rescan", "false")]),
        (3, "crossfire", &[("hw_irr_latch", "false")]),
        (2, "unmap_free", &[("nmi_reads_user", "true"), ("hw_nmi", "1")]),
    ];
    for &(ncpu, scenario, opts) in cases {
        let (bfs, _) = check(ncpu, scenario, opts);
        let dfs_opts = Options { mode: checker::Mode::Dfs, ..Options::default() };
        let (dfs, full) = check_with(ncpu, scenario, opts, dfs_opts.clone());
        let (por, reduced) = check_with(ncpu, scenario, opts, Options { por: true, ..dfs_opts });
        assert_eq!(property(&bfs), property(&dfs), "{scenario}/{ncpu}/{opts:?}");
        assert_eq!(property(&bfs), property(&por), "{scenario}/{ncpu}/{opts:?} with reduction");
        if bfs == Outcome::Verified {
            assert_eq!(dfs, Outcome::Verified);
            assert!(
                reduced.states < full.states,
                "{scenario}/{ncpu}: reduction stored {} of {}",
                reduced.states,
                full.states
            );
        } else {
            // Every counterexample replayed to its property in `check_with`; the BFS one
            // is never longer.
            for o in [&dfs, &por] {
                assert!(bfs.choices().len() <= o.choices().len());
            }
        }
    }
}

/// CPU 0 waits for a flag, CPU 1 writes another word forever.
const LIVELOCK: &str = include_str!("cases/livelock.sdm");

#[test]
fn a_waiter_that_is_never_released_is_a_lasso() {
    let p = program(LIVELOCK);
    let m = session(&p, 2, "s", &[]).into_machine();
    let (o, _) = Checker::new(m.clone(), Options::default()).check();
    let Outcome::Violation { property, message, cycle_start, choices, .. } = &o else { panic!("{o:?}") };
    assert_eq!(*property, Property::NoLost);
    assert!(message.contains("CPU 0 waits forever"), "{message}");
    let k = cycle_start.expect("a lasso");
    assert!(k < choices.len());
    // Playing prefix + cycle comes back to the state where the cycle starts.
    let mut s = Session::new(m);
    s.replay(&choices[..k]).expect("prefix");
    let at_cycle = s.state().clone();
    for &c in &choices[k..] {
        s.step(c).expect("cycle step");
    }
    assert_eq!(s.state(), &at_cycle);
    // The scoreboard's state graph has no such cycle.
    let (o, _) = check(3, "crossfire", &[]);
    assert_eq!(o, Outcome::Verified);
}
