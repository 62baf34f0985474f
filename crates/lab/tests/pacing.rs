//! Pacing (issue #19, item 8): "run CPU n to its next IPI / acknowledgement / violation"
//! stops exactly at the step that reaches the goal, or says why it could not.

use sdlab_engine::machine::Effect;
use sdlab_lab::state::{Action, Goal, Pane};

fn scoreboard(ncpu: u32) -> Pane {
    let mut p = Pane::opening();
    p.apply(Action::SetModel("freebsd-scoreboard".into()));
    p.apply(Action::SetCpus(ncpu));
    assert_eq!(p.error, None);
    p
}

#[test]
fn run_to_the_next_ipi_then_to_the_acknowledgement() {
    let mut p = scoreboard(3);
    let initiator = p.session.machine().prog().scenarios[p.cfg.scenario].name.clone();
    // Find the CPU that sends: the first whose run reaches an IPI it sends.
    let sender = (0..3u8)
        .find(|&c| {
            let mut q = scoreboard(3);
            q.apply(Action::RunTo(Some(c), Goal::Ipi));
            q.session
                .log()
                .last()
                .is_some_and(|e| e.effects.iter().any(|f| matches!(f, Effect::IpiSent { cpu, .. } if *cpu == c)))
        })
        .unwrap_or_else(|| panic!("no CPU sends an IPI in scenario {initiator}"));
    // The initiator writes its request but acknowledges nothing: it runs until it waits.
    let mut q = scoreboard(3);
    q.apply(Action::RunTo(Some(sender), Goal::Ack));
    let said = q.session.log().last().and_then(|e| e.narration.clone()).unwrap_or_default();
    assert!(
        q.error.as_deref().is_some_and(|e| e.starts_with(&format!("CPU {sender} reached no acknowledgement"))),
        "the initiator's writes are not acknowledgements: stopped at {said:?}, {:?}",
        q.error
    );
    p.apply(Action::RunTo(Some(sender), Goal::Ipi));
    let n = p.session.steps();
    assert!(n > 1, "more than one step to the IPI");
    assert!(p.session.log()[..n - 1].iter().all(|e| !Goal::Ipi.reached(sender, e)), "it stops at the first IPI");
    assert!(p.session.log().iter().all(|e| e.cpu == sender), "only that CPU moved");
    let target = p
        .session
        .log()
        .last()
        .and_then(|e| {
            e.effects.iter().find_map(|f| match f {
                Effect::IpiSent { targets, .. } => (0..3u8).find(|t| targets & (1 << t) != 0),
                _ => None,
            })
        })
        .expect("the IPI has a target");
    // The target takes it and acknowledges: the run stops at the write of the acknowledgement.
    p.apply(Action::RunTo(Some(target), Goal::Ack));
    let last = p.session.log().last().unwrap();
    assert_eq!(last.cpu, target);
    assert!(Goal::Ack.reached(target, last), "{:?}", last.narration);
    assert!(last.narration.as_deref().unwrap_or("").to_lowercase().contains("acknowledg"), "{:?}", last.narration);
    assert!(
        p.session.log()[n..]
            .iter()
            .any(|e| e.effects.iter().any(|f| matches!(f, Effect::IrqEnter { cpu, .. } if *cpu == target))),
        "it took the IPI first"
    );
}

#[test]
fn run_to_a_violation_that_never_comes_says_why_and_a_missing_cpu_is_refused() {
    let mut p = scoreboard(2);
    p.apply(Action::RunTo(Some(0), Goal::Violation));
    let said = p.error.clone().expect("the run says why it stopped");
    assert!(said.starts_with("CPU 0 reached no violation"), "{said}");
    assert!(p.session.first_violation().is_none());
    let steps = p.session.steps();
    p.apply(Action::RunTo(Some(7), Goal::Ipi));
    assert!(p.error.as_deref().is_some_and(|e| e.contains("There is no CPU 7")), "{:?}", p.error);
    assert_eq!(p.session.steps(), steps, "nothing moved");
    // Step back is exact after a run.
    p.apply(Action::Back);
    assert_eq!(p.session.steps(), steps - 1);
}
