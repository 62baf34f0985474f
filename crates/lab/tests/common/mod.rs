//! What the tests of the lab share: the gallery's "show me" with the worker's parts (the
//! checker and the causing step) run natively, as the worker runs them.

use sdlab_engine::checker::{Checker, Options, Outcome};
use sdlab_engine::schedule;
use sdlab_lab::protocol::{CheckReply, Verdict};
use sdlab_lab::state::{Action, Pane};

/// The gallery's "show me" for `model`'s race `name`: the check asked for, its reply fed
/// to the pane as the worker would, and the step that makes the race found.
pub fn show_me(model: &str, name: &str) -> Pane {
    let mut lab = Pane::opening();
    let (prog, _) = sdlab_lab::state::load_bundled(model).unwrap();
    let r = prog.races.iter().position(|r| r.name == name).unwrap();
    lab.apply(Action::LoadRace(model.into(), r));
    assert!(lab.check_requested, "show me asks for a check");
    let gen = lab.check_gen + 1;
    lab.apply(Action::CheckStarted(gen));
    let (outcome, p) = Checker::new(lab.session.machine().clone(), Options::default()).check();
    let Outcome::Violation { property, message, choices, cycle_start, .. } = outcome else {
        panic!("{model}/{name}: no violation: {outcome:?}")
    };
    lab.apply(Action::CheckReply(
        gen,
        CheckReply::Done {
            verdict: Verdict::Violation,
            property: Some(property),
            message: Some(message),
            schedule: Some(schedule::format(&choices)),
            cycle_start,
            states: p.states,
            transitions: p.transitions,
            depth: p.depth,
            seconds: 0.1,
            reductions: String::new(),
            explored_depth: None,
            safety_seconds: None,
            memory_bytes: 0,
            workers: 1,
        },
    ));
    assert!(lab.plan.is_some(), "the counterexample is loaded");
    worker_finds_cause(&mut lab);
    lab
}

/// The worker's part: the step that makes the race, asked by the pane and answered by
/// `cause::answer` as the worker does.
pub fn worker_finds_cause(lab: &mut Pane) {
    if let Some(req) = lab.cause_request() {
        lab.apply(Action::CauseFound(sdlab_lab::cause::answer(&req)));
    }
    assert_eq!(lab.cause_request(), None, "the reply is taken");
}
