//! Shift+digit forces a context switch on that CPU (issue #14): where the kernel could
//! preempt, the CPU runs the first thread of its run queue; elsewhere the pane says why
//! not, in the machine's terms, and nothing moves.

use sdlab_engine::machine::{Choice, Ctx};
use sdlab_lab::state::{load_bundled, Action, Pane};

fn linux(scenario: &str) -> Pane {
    let mut p = Pane::opening();
    p.apply(Action::SetModel("linux".into()));
    let (prog, _) = load_bundled("linux").unwrap();
    let k = prog.scenarios.iter().position(|s| s.name == scenario).expect("the scenario");
    p.apply(Action::SetCpus(2));
    p.apply(Action::SetScenario(k));
    p
}

#[test]
fn a_forced_switch_runs_the_first_queued_thread_where_the_kernel_could_preempt() {
    let mut p = linux("sched_switch");
    let queued: Vec<u8> = p.session.state().threads.iter().filter(|t| t.cpu == 1).map(|t| t.id).collect();
    assert!(!queued.is_empty(), "CPU 1 has a queued thread");
    let before = p.session.state().current.clone();
    p.apply(Action::SwitchCpu(1));
    assert_eq!(p.error, None);
    let last = p.session.log().last().expect("a step was taken");
    assert_eq!(last.choice, Choice::Switch(1, queued[0]));
    assert_ne!(p.session.state().current, before, "CPU 1 runs another thread");
    assert_eq!(p.session.state().current[1], queued[0]);
}

#[test]
fn where_no_switch_is_possible_the_pane_says_why_and_nothing_moves() {
    // A CPU that does not exist.
    let mut p = linux("sched_switch");
    p.apply(Action::SwitchCpu(7));
    assert_eq!(p.session.steps(), 0);
    assert!(
        p.error.as_deref().is_some_and(|e| e.starts_with("There is no CPU 7: this machine has 2 CPUs")),
        "{:?}",
        p.error
    );
    // A CPU whose run queue is empty (CPU 0 queues nothing in sched_switch).
    p.apply(Action::SwitchCpu(0));
    assert!(p.error.as_deref().is_some_and(|e| e.contains("run queue is empty")), "{:?}", p.error);
    assert_eq!(p.session.steps(), 0);
    // A scenario without queued threads has no scheduler.
    let mut plain = Pane::opening();
    plain.apply(Action::SwitchCpu(0));
    assert!(plain.error.as_deref().is_some_and(|e| e.contains("queues no threads")), "{:?}", plain.error);
    assert_eq!(plain.session.steps(), 0);
    // Inside an interrupt handler the kernel does not preempt: CPU 0 runs to its IPI,
    // and CPU 1 takes it.
    let mut q = linux("sched_switch");
    for _ in 0..200 {
        let st = q.session.state();
        if st.cpus[1].stack.iter().any(|a| a.ctx != Ctx::Thread) {
            break;
        }
        q.apply(Action::StepCpu(if st.cpus[1].irr != 0 { 1 } else { 0 }));
    }
    assert!(q.session.state().cpus[1].stack.iter().any(|a| a.ctx != Ctx::Thread), "CPU 1 runs a handler");
    let steps = q.session.steps();
    q.apply(Action::SwitchCpu(1));
    assert_eq!(q.session.steps(), steps, "no switch is taken");
    let e = q.error.clone().unwrap_or_default();
    assert!(e.starts_with("CPU 1 cannot switch now: an interrupt handler is on its stack"), "{e}");
}

/// With priorities (freebsd-di's `inversion`: the DI thread at 0 runs on CPU 0, the
/// waiter at 1 is queued), the scheduler runs the best thread: a forced switch takes the
/// waiter, and a second one is refused, naming both priorities.
#[test]
fn a_forced_switch_never_runs_a_worse_thread() {
    let mut p = Pane::opening();
    p.apply(Action::SetModel("freebsd-di".into()));
    let (prog, _) = load_bundled("freebsd-di").unwrap();
    p.apply(Action::SetCpus(2));
    p.apply(Action::SetScenario(prog.scenarios.iter().position(|s| s.name == "inversion").unwrap()));
    p.apply(Action::SwitchCpu(0));
    assert_eq!(p.error, None);
    assert_eq!(p.session.steps(), 1);
    p.apply(Action::SwitchCpu(0));
    assert_eq!(p.session.steps(), 1, "no switch to the worse thread");
    let e = p.error.clone().unwrap_or_default();
    assert!(e.contains("none queued here (priority 0) beats thread") && e.ends_with("(priority 1)."), "{e}");
}
