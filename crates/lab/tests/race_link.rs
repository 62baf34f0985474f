//! A loaded counterexample survives its permalink at every step, the last included: the
//! reopened page has the plan (the timeline), the violation at its step and forward steps
//! that follow the counterexample, not the seed (issue #19, item 1).

mod common;

use common::{show_me, worker_finds_cause};
use sdlab_engine::Property;
use sdlab_lab::permalink;
use sdlab_lab::state::{Action, Pane};

fn reopen(lab: &Pane) -> Pane {
    let mut fresh = Pane::opening();
    fresh.apply(Action::FromLink(permalink::encode(&lab.link())));
    assert_eq!(fresh.error, None);
    worker_finds_cause(&mut fresh);
    fresh
}

#[test]
fn a_link_at_any_step_of_a_counterexample_keeps_it() {
    let mut lab = show_me("linux", "LX1");
    let plan = lab.plan.clone().unwrap();
    let n = plan.choices.len();
    assert_eq!(plan.property, Some(Property::Stale));
    for at in [0, 1, n / 2, n - 1, n] {
        lab.apply(Action::JumpTo(at));
        assert_eq!(lab.session.steps(), at);
        let again = reopen(&lab);
        assert_eq!(again.session.steps(), at, "at={at}");
        let p = again.plan.as_ref().unwrap_or_else(|| panic!("at={at}: the link dropped the counterexample"));
        assert_eq!(p.choices, plan.choices, "at={at}");
        assert_eq!(p.property, Some(Property::Stale), "at={at}: the timeline says counterexample, not a schedule");
        assert_eq!(again.session.first_violation().map(|(k, _)| k), (at == n).then_some(n), "at={at}");
    }
    // End, then the link; Home there keeps the schedule in the link, and End plays it
    // again to the violation, not the seed.
    lab.apply(Action::End);
    let mut again = reopen(&lab);
    assert_eq!(again.session.steps(), n);
    again.apply(Action::JumpTo(0));
    assert!(permalink::encode(&again.link()).contains("&x="), "Home keeps the schedule");
    again.apply(Action::End);
    assert_eq!(again.session.first_violation().map(|(k, _)| k), Some(n));
}

#[test]
fn a_users_own_run_at_its_end_reopens_without_a_counterexample() {
    let mut lab = Pane::opening();
    for _ in 0..5 {
        lab.apply(Action::StepSeeded);
    }
    let again = reopen(&lab);
    assert_eq!(again.session.steps(), 5);
    assert!(again.plan.is_none(), "a run with nothing broken is no counterexample");
}

/// No bundled race ends in a lasso today (their lost shootdowns end stuck), so the lasso
/// is made by hand: the link carries where its cycle starts.
#[test]
fn a_lasso_keeps_its_cycle_in_the_link() {
    let mut lab = show_me("freebsd-scoreboard", "E1");
    let n = lab.plan.as_ref().unwrap().choices.len();
    lab.plan.as_mut().unwrap().cycle_start = Some(n - 2);
    lab.apply(Action::End);
    let link = permalink::encode(&lab.link());
    assert!(link.contains(&format!("&cyc={}", n - 2)), "{link}");
    let again = reopen(&lab);
    let p = again.plan.as_ref().expect("the lasso is kept");
    assert_eq!((p.cycle_start, p.property), (Some(n - 2), Some(Property::NoLost)));
    let mut bad = Pane::opening();
    bad.apply(Action::FromLink(link.replace(&format!("&cyc={}", n - 2), &format!("&cyc={n}"))));
    assert!(bad.error.is_some_and(|e| e.contains("cycle")), "a cycle past the end is refused");
}

#[test]
fn the_step_that_makes_cve_2025_37964_and_its_story_are_found() {
    let lab = show_me("linux", "LX1");
    let p = lab.plan.as_ref().unwrap();
    // After step 24 CPU 0 has freed the frame that CPU 1 still caches, having skipped CPU 1
    // at step 16: from there every continuation reads it. Before it, CPU 1 could still
    // touch the page first (a read before the free breaks nothing).
    assert_eq!(p.cause, Some(24));
    assert_eq!(
        sdlab_lab::cause::unavoidable_after(lab.session.machine(), &p.choices, sdlab_lab::cause::BUDGET),
        Some(24)
    );
    let race = lab.race().expect("the race's declaration is found from the configuration");
    assert_eq!(race.name, "LX1");
    // The race panel's view: the story, the cause and the violating step on the timeline.
    let mut stepped = show_me("linux", "LX1");
    stepped.apply(Action::JumpTo(3));
    let v = sdlab_lab::view::race(&stepped);
    assert_eq!(v.story.as_ref().map(|(t, _)| t.as_str()), Some(race.title.as_str()));
    let (label, cells) = v.timeline.clone().expect("a timeline");
    assert_eq!(cells.len(), p.choices.len());
    assert!(label.contains("◆ after step 24"), "{label}");
    let marked = |f: fn(&sdlab_lab::view::TimelineCell) -> bool| {
        cells.iter().filter(|c| f(c)).map(|c| c.step).collect::<Vec<_>>()
    };
    assert_eq!(marked(|c| c.now), [3]);
    assert_eq!(marked(|c| c.done), [1, 2, 3]);
    assert_eq!(marked(|c| c.cause), [24]);
    assert_eq!(marked(|c| c.violation), [p.choices.len()]);
    assert_ne!(v, sdlab_lab::view::race(&lab), "a step moves the timeline, so the panel draws again");
    // And after a link at the last step.
    let mut at_end = show_me("linux", "LX1");
    at_end.apply(Action::End);
    let again = reopen(&at_end);
    assert_eq!(again.plan.as_ref().and_then(|p| p.cause), Some(24));
    assert_eq!(again.race().map(|r| r.name.as_str()), Some("LX1"));
}

#[test]
fn the_step_that_makes_the_race_is_asked_of_the_worker_and_only_its_answer_is_taken() {
    let settled = show_me("linux", "LX1");
    // Reopen the race's link without the worker: the page computes nothing itself.
    let mut fresh = Pane::opening();
    fresh.apply(Action::FromLink(permalink::encode(&settled.link())));
    let req = fresh.cause_request().expect("a counterexample that broke a property asks for its cause");
    assert_eq!(fresh.plan.as_ref().and_then(|p| p.cause), None, "nothing is marked before the answer");
    // A late answer to another request (another schedule) is ignored.
    let mut other = sdlab_lab::cause::answer(&req);
    other.request.schedule = "0".into();
    fresh.apply(Action::CauseFound(other));
    assert_eq!(fresh.plan.as_ref().and_then(|p| p.cause), None);
    assert!(fresh.cause_request().is_some(), "still pending");
    // A reply naming a step past the run is not drawn.
    let mut bogus = sdlab_lab::cause::answer(&req);
    bogus.step = Some(10_000);
    fresh.apply(Action::CauseFound(bogus));
    assert_eq!(fresh.plan.as_ref().and_then(|p| p.cause), None);
    // The answer to this request is.
    let mut fresh = Pane::opening();
    fresh.apply(Action::FromLink(permalink::encode(&settled.link())));
    let pending = sdlab_lab::view::race(&fresh);
    assert!(pending.cause_pending, "the timeline says the step is being looked for");
    assert!(pending.timeline.as_ref().is_some_and(|(label, _)| label.contains("looking for the step")));
    fresh.apply(Action::CauseFound(sdlab_lab::cause::answer(&req)));
    assert_eq!(fresh.plan.as_ref().and_then(|p| p.cause), Some(24));
    let done = sdlab_lab::view::race(&fresh);
    assert!(!done.cause_pending);
    assert!(done.timeline.as_ref().is_some_and(|(label, _)| label.contains("◆ after step 24")));
    // A worker that could not answer settles it too: the violating step stays the mark.
    let mut failed = Pane::opening();
    failed.apply(Action::FromLink(permalink::encode(&settled.link())));
    let mut none = sdlab_lab::cause::answer(&req);
    (none.step, none.error) = (None, Some("no worker".into()));
    failed.apply(Action::CauseFound(none));
    let v = sdlab_lab::view::race(&failed);
    assert!(!v.cause_pending && v.timeline.as_ref().is_some_and(|(l, _)| !l.contains("looking for")));
}

/// LX3 is found through the paging-structure cache (issue #13): the CPU card shows the
/// cached upper-level entry, and marks it once the page table it points to is freed.
#[test]
fn lx3_shows_the_paging_structure_cache_on_the_cpu_card() {
    let mut lab = show_me("linux", "LX3");
    let n = lab.plan.as_ref().unwrap().choices.len();
    lab.apply(Action::JumpTo(n - 1));
    let cards = sdlab_lab::view::cpus(&lab);
    assert_eq!(cards[1].psc.len(), 1, "{:?}", cards[1].psc);
    assert!(cards[1].psc[0].starts_with("mm → frame") && cards[1].psc[0].ends_with("⚠ freed"), "{:?}", cards[1].psc);
    lab.apply(Action::JumpTo(0));
    assert!(sdlab_lab::view::cpus(&lab).iter().all(|c| c.psc.is_empty()), "nothing cached before any walk");
}

/// The arm64 race (issue #14): its counterexample switches and migrates threads, survives
/// its link, and each CPU card names the thread it runs and its run queue.
#[test]
fn r355427_plays_to_its_banner_with_threads_on_the_cpu_cards() {
    let mut lab = show_me("arm64-tlbi", "R355427");
    let plan = lab.plan.clone().unwrap();
    assert_eq!(sdlab_engine::schedule::format(&plan.choices), "1 0 0 s0.2 m0.1 s1.0 1 1 s1.1 1");
    let cards = sdlab_lab::view::cpus(&lab);
    assert_eq!(cards[0].threads.as_deref(), Some("thread 0 · queue 2"));
    assert_eq!(cards[1].threads.as_deref(), Some("thread 1 · queue empty"));
    lab.apply(Action::JumpTo(6));
    let cards = sdlab_lab::view::cpus(&lab);
    assert_eq!(cards[0].threads.as_deref(), Some("thread 2 · queue empty"));
    assert_eq!(cards[1].threads.as_deref(), Some("thread 0 · queue 1"));
    lab.apply(Action::End);
    let again = reopen(&lab);
    assert_eq!(again.session.first_violation().map(|(k, _)| k), Some(plan.choices.len()));
    assert_eq!(again.plan.as_ref().unwrap().property, Some(Property::Stale));
    // A model without threads keeps its cards as they were.
    let lx1 = show_me("linux", "LX1");
    assert!(sdlab_lab::view::cpus(&lx1).iter().all(|c| c.threads.is_none()));
}
