//! A kernel trace's round played in the stepper: the guide built from the worker's verdict
//! on real captures, loaded into a pane, stepped, left and rejoined.

use sdlab_lab::guide::Guide;
use sdlab_lab::protocol::{ConformVerdict, RoundVerdict};
use sdlab_lab::state::{Action, Pane};
use sdlab_runtrace::conform::{self, Options};
use sdlab_trace::{Reader, Trace};

const CAPTURE: &str = include_str!("../../../traces/linux-6.12-qemu-4cpu/munmap-4cpu-4pages.trace");
const ALTERED: &str = include_str!("../../../traces/altered/munmap-handler-before-queue.trace");

fn read(text: &str) -> Trace {
    let mut r = Reader::new();
    r.feed(text.as_bytes());
    r.finish().expect("a trace")
}

/// The verdict the worker sends for round `k` of `trace`, as the page receives it.
fn verdict(trace: &Trace, k: usize) -> RoundVerdict {
    let rounds = conform::rounds(trace, conform::max_cpus("linux"));
    let r = &rounds[k];
    let mut machines = conform::Machines::new("linux", None);
    let (o, scenario) = machines.check(trace, r, &Options::default(), &mut || true);
    let v = RoundVerdict::new(r, o, scenario, 0.0);
    // Through the worker's JSON, as the page gets it.
    let text = serde_json::to_string(&v).expect("serialise");
    serde_json::from_str(&text).expect("parse")
}

fn guide(text: &'static str, trace: &Trace, v: &RoundVerdict) -> Guide {
    let raw = |i: u32| {
        let e = &trace.events[i as usize];
        text[e.offset as usize..].lines().next().unwrap_or("").to_string()
    };
    Guide::from_verdict(
        "capture, round #1".into(),
        "linux",
        Some(conform::LINUX_SCENARIO),
        trace,
        v,
        conform::FACTS,
        &raw,
    )
    .expect("a guide")
}

#[test]
fn a_real_round_plays_to_its_last_event_with_every_line_at_the_step_that_made_it() {
    let trace = read(CAPTURE);
    let v = verdict(&trace, 0);
    let ConformVerdict::Conforms { matched, .. } = &v.verdict else { panic!("{v:?}") };
    let g = guide(CAPTURE, &trace, &v);
    assert_eq!(g.lines.len(), matched.len());
    assert_eq!(g.lines.len(), v.events, "every event of the round is matched");
    let mut pane = Pane::opening();
    pane.apply(Action::LoadGuide(Box::new(g.clone())));
    assert_eq!(pane.error, None);
    assert_eq!(pane.model_id, "linux");
    assert_eq!(pane.session.machine().ncpu(), v.cpus.len());
    assert_eq!(pane.session.steps(), 0, "loaded at step 0");
    // Each step forward follows the run; the lines it produced were logged by the trace
    // CPU the stepping model CPU stands for, and raw text is the file's line.
    for k in 1..=g.schedule.len() {
        pane.apply(Action::StepSeeded);
        assert_eq!(pane.session.steps(), k);
        let cpu = g.schedule[k - 1].cpu() as usize;
        let on = pane.guide_on_track().expect("on the trace's run");
        for l in on.lines_of_step(k) {
            assert_eq!(on.model_cpu(l.cpu), Some(cpu), "line {} logged by the CPU that took step {k}", l.line);
            assert_eq!(CAPTURE.lines().nth(l.line as usize - 1), Some(l.raw.as_str()));
        }
    }
    let g = pane.guide.as_ref().expect("still loaded");
    assert_eq!(g.matched_by(pane.session.steps()), g.lines.len());
    let per_step: usize = (1..=g.schedule.len()).map(|k| g.lines_of_step(k).len()).sum();
    assert_eq!(per_step, g.lines.len(), "every line belongs to exactly one step");
    // The round's own completion: the last line is a target's call-function exit or the
    // initiator's local flush exit, not anything after the round.
    assert!(g.lines.last().is_some_and(|l| l.raw.contains("exit")), "{:?}", g.lines.last());
}

#[test]
fn an_altered_round_plays_its_matching_prefix_and_names_the_line_where_it_parts() {
    let trace = read(ALTERED);
    let v = verdict(&trace, 0);
    let ConformVerdict::Mismatch { prefix, .. } = &v.verdict else { panic!("{v:?}") };
    let g = guide(ALTERED, &trace, &v);
    let mm = g.mismatch.clone().expect("a mismatch");
    assert_eq!(mm.line, 15);
    assert_eq!(mm.prefix, *prefix);
    assert_eq!(mm.raw, ALTERED.lines().nth(14).unwrap());
    assert_eq!(
        mm.reason,
        "CPU 3 enters flush_tlb_func for csd ffff88c2bedbc280 before that csd was queued (csd_queue_cpu on CPU 0 at line 21)"
    );
    assert_eq!(g.lines.len(), *prefix);
    let mut pane = Pane::opening();
    pane.apply(Action::LoadGuide(Box::new(g.clone())));
    pane.apply(Action::End);
    assert_eq!(pane.session.steps(), g.schedule.len(), "End stops at the end of the prefix's run");
    assert!(pane.guide_on_track().is_some());
}

#[test]
fn leaving_the_run_is_noticed_and_stepping_back_rejoins_it() {
    let trace = read(CAPTURE);
    let g = guide(CAPTURE, &trace, &verdict(&trace, 0));
    let mut pane = Pane::opening();
    pane.apply(Action::LoadGuide(Box::new(g.clone())));
    pane.apply(Action::StepSeeded);
    // A step by another CPU than the run's next one, where one is enabled, leaves it.
    let next = g.schedule[1];
    let c = pane.session.enabled().into_iter().find(|c| *c != next).expect("another CPU can step");
    pane.apply(Action::Choose(c));
    assert!(pane.guide_on_track().is_none(), "{c:?} is off the run {next:?}");
    pane.apply(Action::Back);
    assert!(pane.guide_on_track().is_some());
    // A new configuration is another machine: the guide goes with the old one.
    pane.apply(Action::SetCpus(2));
    assert!(pane.guide.is_none());
}

#[test]
fn a_guide_whose_run_does_not_replay_is_refused_and_nothing_changes() {
    let trace = read(CAPTURE);
    let mut g = guide(CAPTURE, &trace, &verdict(&trace, 0));
    // Cut the run before a step the remaining steps depend on: replaying a handler step
    // before its interrupt was delivered is not possible.
    g.schedule.reverse();
    let mut pane = Pane::opening();
    let before = pane.model_id.clone();
    pane.apply(Action::LoadGuide(Box::new(g)));
    assert_eq!(pane.model_id, before);
    assert!(pane.guide.is_none());
    let e = pane.error.expect("a message");
    assert!(e.starts_with("capture, round #1 cannot be played in the machine: its run does not replay at step"), "{e}");
}

#[test]
fn an_undecided_round_and_a_verdict_naming_missing_events_are_refused_with_a_reason() {
    let trace = read(CAPTURE);
    let mut v = verdict(&trace, 0);
    v.verdict = ConformVerdict::Undecided { reason: "bound reached".into() };
    let e = Guide::from_verdict("r".into(), "linux", None, &trace, &v, &[], &|_| String::new()).unwrap_err();
    assert_eq!(e, "the round was not decided: bound reached");
    let mut v = verdict(&trace, 0);
    if let ConformVerdict::Conforms { matched, .. } = &mut v.verdict {
        matched[0].1 = u32::MAX;
    }
    let e = Guide::from_verdict("r".into(), "linux", None, &trace, &v, &[], &|_| String::new()).unwrap_err();
    assert_eq!(e, format!("the verdict names event {}, which the trace lacks", u32::MAX));
    let mut v = verdict(&trace, 0);
    if let ConformVerdict::Conforms { matched, schedule } = &mut v.verdict {
        matched[0].0 = 10_000;
        assert!(!schedule.is_empty());
    }
    let e = Guide::from_verdict("r".into(), "linux", None, &trace, &v, &[], &|_| String::new()).unwrap_err();
    assert!(e.contains("past the run's"), "{e}");
}
