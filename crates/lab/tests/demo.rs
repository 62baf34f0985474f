//! Lecture hall (issue #19): a loaded counterexample plays whole in about 30 seconds at the
//! demo speed, the iterations the step log folds going by fast; a GIF has one frame per
//! row of the folded log.

mod common;

use common::show_me;
use sdlab_lab::pace::{self, FAST_MS};
use sdlab_lab::state::{Action, Pane, NORMAL_MS};
use sdlab_lab::view::{fold_steps, gif_frames, LogRow, Marks};

/// Play the loaded run as the page does (a tick after each `tick_ms`): the delays taken.
fn play(lab: &mut Pane) -> Vec<u32> {
    let mut delays = Vec::new();
    lab.apply(Action::ToggleRun);
    while lab.running && delays.len() < 1000 {
        delays.push(lab.tick_ms());
        lab.apply(Action::Tick);
    }
    delays
}

#[test]
fn the_dragonfly_ring_deadlock_plays_in_30_s_with_its_repeated_sends_fast() {
    let mut lab = show_me("dragonfly", "R1");
    let n = lab.plan.as_ref().unwrap().choices.len();
    lab.apply(Action::SetSpeed(pace::DEMO));
    assert_eq!(lab.speed_ms, pace::DEMO);
    let delays = play(&mut lab);
    // The last tick finds nothing to take and stops the run.
    assert_eq!(lab.session.steps(), n);
    let total: u32 = delays[..n].iter().sum();
    assert!(total.abs_diff(pace::DEMO_MS) <= 200, "{n} steps in {total} ms");
    // Fast exactly where the log, at the end of the run, folds.
    let rows = fold_steps(lab.session.log(), 0, n, &Marks::of(&lab));
    assert!(rows.iter().any(|r| matches!(r, LogRow::Folded { .. })), "the deadlock repeats: {rows:?}");
    for (i, &d) in delays[..n].iter().enumerate() {
        let folded =
            rows.iter().any(|r| matches!(*r, LogRow::Folded { first, last, .. } if (first..=last).contains(&(i + 1))));
        assert_eq!(d == FAST_MS, folded, "step {}: {d} ms", i + 1);
    }
    // A GIF of the run: the first state, then one frame per row, a folded row marked.
    let frames = gif_frames(0, &rows);
    assert_eq!(frames.len(), rows.len() + 1);
    let hidden: usize =
        rows.iter().map(|r| if let LogRow::Folded { first, last, .. } = *r { last - first } else { 0 }).sum();
    assert!(hidden >= 16, "the repeated sends fold: {rows:?}");
    assert_eq!(frames.len(), n + 1 - hidden);
    assert!(frames.iter().any(|(_, m)| m.as_deref().is_some_and(|m| m.starts_with("↻ ×"))));
    assert_eq!(frames.last().map(|f| f.0), Some(n));
}

#[test]
fn the_linux_race_plays_in_30_s_and_without_a_plan_the_demo_speed_is_normal() {
    let mut lab = show_me("linux", "LX1");
    lab.apply(Action::SetSpeed(pace::DEMO));
    let n = lab.plan.as_ref().unwrap().choices.len();
    let total: u32 = play(&mut lab)[..n].iter().sum();
    assert!(total.abs_diff(pace::DEMO_MS) <= 200, "{n} steps in {total} ms");
    assert!(lab.session.first_violation().is_some());
    // Another model drops the plan: nothing to fit into 30 s.
    lab.apply(Action::SetModel("freebsd-scoreboard".into()));
    assert_eq!((lab.speed_ms, lab.tick_ms()), (NORMAL_MS, NORMAL_MS));
}
