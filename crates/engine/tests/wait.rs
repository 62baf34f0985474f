//! Threads that block, wake, yield and time out (issue #14, DI-R3 slice): a thread's
//! priority decides who a switch may run, a `yield()` gives the CPU only to a thread of
//! its priority or higher, a sleeping thread is on no run queue until a `wakeup` of its
//! channel or its callout, the liveness pass treats a callout as weakly fair, and bad
//! uses are located errors or faults, never panics.

mod common;
use common::*;
use sdlab_engine::checker::{Checker, Options, Outcome};
use sdlab_engine::*;

/// One CPU, idle, and two queued threads: `hi` yields between two stores.
const YIELD: &str = r#"model "yield";
cpus 1..1 default 1;
option peer = 1 "the priority of the second thread";
shared x = 0;
shared y = 0;
proc hi() {
    x = 1;
    yield();
    x = 2;
}
proc lo() {
    y = 1;
}
scenario lower "hi (priority 2) and a thread of priority 1" {
    cpu 0: idle;
    thread 0: hi() prio 2;
    thread 0: lo() prio 1;
}
scenario running "lo runs on CPU 0 with priority 3; hi (priority 2) waits on its queue" {
    cpu 0: lo() prio 3;
    thread 0: hi() prio 2;
}
scenario equal "hi and a thread of the same priority" {
    cpu 0: idle;
    thread 0: hi() prio 2;
    thread 0: lo() prio 2;
}
"#;

fn enabled(m: &Machine, s: &State) -> Vec<Choice> {
    let mut en = Vec::new();
    m.enabled(s, &mut en);
    en
}

#[test]
fn an_idle_cpu_runs_its_best_thread_and_a_yield_never_goes_to_a_lower_priority() {
    let p = program(YIELD);
    let m = session(&p, 1, "lower", &[]).into_machine();
    let mut s = m.initial().clone();
    let mut fx = Vec::new();
    // Thread 1 (hi, priority 2) and thread 2 (lo, priority 1): only hi may run.
    assert_eq!(enabled(&m, &s), vec![Choice::Switch(0, 1)]);
    let err = m.step(&mut s.clone(), Choice::Switch(0, 2), &mut fx).unwrap_err();
    assert!(matches!(err.error, RunError::NotPossible { why: Refused::Priority, .. }), "{err:?}");
    m.step(&mut s, Choice::Switch(0, 1), &mut fx).expect("switch to hi");
    m.step(&mut s, Choice::Step(0), &mut fx).expect("x = 1");
    // At the yield: nothing of priority 2 or higher waits, so hi runs on; lo may not
    // preempt it either.
    assert_eq!(enabled(&m, &s), vec![Choice::Step(0)]);
    fx.clear();
    m.step(&mut s, Choice::Step(0), &mut fx).expect("the yield");
    assert_eq!(fx, vec![Effect::Yield { cpu: 0, gave: false }]);
    assert_eq!(
        sdlab_engine::machine::describe_effect(&m, &fx[0]),
        "CPU 0's thread yields, but no runnable thread of its priority or higher waits: it runs on"
    );
    m.step(&mut s, Choice::Step(0), &mut fx).expect("x = 2");
    assert_eq!(s.mem[0], 2);
    // hi is done (its return folds into its last store): the idle CPU takes lo.
    assert_eq!(enabled(&m, &s), vec![Choice::Switch(0, 2)]);
}

#[test]
fn a_cpu_entry_has_a_priority_too_and_a_worse_thread_does_not_preempt_it() {
    let p = program(YIELD);
    let m = session(&p, 1, "running", &[]).into_machine();
    let mut s = m.initial().clone();
    let mut fx = Vec::new();
    assert_eq!((m.thread_prio(0), m.thread_prio(1)), (3, 2));
    assert_eq!(enabled(&m, &s), vec![Choice::Step(0)]);
    m.step(&mut s, Choice::Step(0), &mut fx).expect("lo's store, and its return");
    assert_eq!(enabled(&m, &s), vec![Choice::Switch(0, 1)]);
}

#[test]
fn a_yield_gives_the_cpu_to_a_thread_of_equal_priority_and_resumes_after_it() {
    let p = program(YIELD);
    let m = session(&p, 1, "equal", &[]).into_machine().with_preemption_bound(Some(0));
    let mut s = m.initial().clone();
    let mut fx = Vec::new();
    m.step(&mut s, Choice::Switch(0, 1), &mut fx).expect("switch to hi");
    // Under bound 0, equal priority: no preemption of hi while it can step.
    assert_eq!(enabled(&m, &s), vec![Choice::Step(0)]);
    m.step(&mut s, Choice::Step(0), &mut fx).expect("x = 1");
    // At the yield the CPU's next move is the switch (free: the thread gave its CPU).
    assert_eq!(enabled(&m, &s), vec![Choice::Switch(0, 2)]);
    let err = m.step(&mut s.clone(), Choice::Step(0), &mut fx).unwrap_err();
    assert!(matches!(err.error, RunError::NotPossible { why: Refused::Yielding, .. }), "{err:?}");
    fx.clear();
    m.step(&mut s, Choice::Switch(0, 2), &mut fx).expect("yield to lo");
    assert_eq!(fx[..2], [Effect::Yield { cpu: 0, gave: true }, Effect::Switch { cpu: 0, from: 1, to: 2, gave: true }]);
    assert_eq!(
        sdlab_engine::machine::describe_effect(&m, &fx[1]),
        "context switch on CPU 0: thread 1 gives up the CPU (back on the run queue), thread 2 runs"
    );
    assert_eq!(s.preemptions, 0);
    m.step(&mut s, Choice::Step(0), &mut fx).expect("y = 1");
    m.step(&mut s, Choice::Switch(0, 1), &mut fx).expect("back to hi");
    // hi resumes after its yield.
    m.step(&mut s, Choice::Step(0), &mut fx).expect("x = 2");
    assert_eq!((s.mem[0], s.mem[1]), (2, 1));
}

/// Thread 2 sleeps on channel 3 and then sets `done`; thread 3 wakes channel 3.
const SLEEP: &str = r#"model "sleep";
cpus 2..3 default 2;
option timo = false "sleep with a 1-tick callout";
const CH = 3;
shared done = 0;
shared tick = 0;
proc sleeper() {
    if (timo) {
        sleep_timo(CH);
    } else {
        sleep(CH);
    }
    done = 1;
}
proc waker() {
    wakeup(CH);
}
proc watcher() {
    while (done == 0) { pause(); }
}
proc ticker() {
    while (true) {
        tick = 1;
        tick = 0;
    }
}
scenario wake "thread 2 sleeps, thread 3 wakes it" {
    cpu 0: idle;
    cpu 1: idle;
    thread 0: sleeper();
    thread 1: waker();
}
scenario order "the waker is thread 2, the sleeper thread 3" {
    cpu 0: idle;
    cpu 1: idle;
    thread 0: waker();
    thread 0: sleeper();
}
scenario alone "thread 3 sleeps and nobody wakes it; CPU 1 waits for it, CPU 2 ticks" {
    cpu 0: idle;
    cpu 1: watcher();
    cpu 2: ticker();
    thread 0: sleeper();
}
"#;

#[test]
fn a_sleeping_thread_is_on_no_run_queue_until_a_wakeup_of_its_channel() {
    let p = program(SLEEP);
    let m = session(&p, 2, "wake", &[]).into_machine();
    let mut s = m.initial().clone();
    let mut fx = Vec::new();
    m.step(&mut s, Choice::Switch(0, 2), &mut fx).expect("switch to the sleeper");
    fx.clear();
    m.step(&mut s, Choice::Step(0), &mut fx).expect("sleep");
    assert_eq!(fx, vec![Effect::Sleep { cpu: 0, thread: 2, chan: 3, timo: false }]);
    assert_eq!(
        sdlab_engine::machine::describe_effect(&m, &fx[0]),
        "thread 2 blocks on wait channel 3 until a wakeup; CPU 0 is free for another thread"
    );
    let t = s.threads.iter().find(|t| t.id == 2).expect("the sleeper is saved");
    assert_eq!((t.wchan(), t.runnable()), (Some(3), false));
    assert!(s.cpus[0].stack.is_empty());
    // Not runnable: no switch to it, no migration, no callout.
    let en = enabled(&m, &s);
    assert!(
        !en.iter().any(|c| matches!(c, Choice::Switch(_, 2) | Choice::Migrate(2, _) | Choice::Timeout(..))),
        "{en:?}"
    );
    let err = m.step(&mut s.clone(), Choice::Switch(0, 2), &mut fx).unwrap_err();
    assert!(matches!(err.error, RunError::NotPossible { why: Refused::Blocked, .. }), "{err:?}");
    // The waker runs on CPU 1 and wakes channel 3.
    m.step(&mut s, Choice::Switch(1, 3), &mut fx).expect("switch to the waker");
    fx.clear();
    m.step(&mut s, Choice::Step(1), &mut fx).expect("wakeup");
    assert_eq!(fx[0], Effect::Wakeup { cpu: 1, chan: 3, woken: 1 });
    assert_eq!(
        sdlab_engine::machine::describe_effect(&m, &fx[0]),
        "CPU 1 wakes wait channel 3: 1 thread(s) become runnable"
    );
    assert!(enabled(&m, &s).contains(&Choice::Switch(0, 2)));
    m.step(&mut s, Choice::Switch(0, 2), &mut fx).expect("the woken thread runs");
    m.step(&mut s, Choice::Step(0), &mut fx).expect("done = 1");
    assert_eq!(s.mem[0], 1, "done");
}

/// The saved threads are kept in id order, the order the state's encoding and its
/// fingerprint take them in: a thread that goes to sleep is filed among those queued by
/// its id, before a higher one (scenario `wake`) and after a lower one (`order`), as a
/// switched-out thread is.
#[test]
fn a_sleeping_thread_is_filed_in_id_order() {
    let p = program(SLEEP);
    for (scenario, sleeper) in [("wake", 2u8), ("order", 3)] {
        let m = session(&p, 2, scenario, &[]).into_machine();
        let mut s = m.initial().clone();
        let mut fx = Vec::new();
        m.step(&mut s, Choice::Switch(0, sleeper), &mut fx).expect("switch to the sleeper");
        m.step(&mut s, Choice::Step(0), &mut fx).expect("sleep");
        let ids: Vec<u8> = s.threads.iter().map(|t| t.id).collect();
        assert_eq!(ids, [2, 3], "{scenario}");
        assert!(!s.threads[usize::from(sleeper - 2)].runnable(), "{scenario}");
    }
}

#[test]
fn a_wakeup_before_the_sleep_is_lost_and_the_checker_says_so() {
    let p = program(SLEEP);
    let m = session(&p, 2, "wake", &[]).into_machine();
    let (o, _) = Checker::new(m.clone(), Options::default()).check();
    let Outcome::Violation { property, message, .. } = &o else { panic!("{o:?}") };
    assert_eq!(*property, Property::NoLost);
    assert!(message.contains("thread 2 sleeps on wait channel 3 and nothing is left to wake it"), "{message}");
    common::replay::assert_replays(&m, &o, "sleep");
    // With the callout, the sleep always ends.
    let m = session(&p, 2, "wake", &[("timo", "true")]).into_machine();
    let (o, _) = Checker::new(m, Options::default()).check();
    assert_eq!(o, Outcome::Verified);
}

#[test]
fn a_callout_fires_and_wakes_its_thread() {
    let p = program(SLEEP);
    let m = session(&p, 2, "wake", &[("timo", "true")]).into_machine();
    let mut s = m.initial().clone();
    let mut fx = Vec::new();
    m.step(&mut s, Choice::Switch(0, 2), &mut fx).expect("switch to the sleeper");
    m.step(&mut s, Choice::Step(0), &mut fx).expect("sleep_timo");
    assert!(enabled(&m, &s).contains(&Choice::Timeout(0, 2)));
    assert_eq!(Choice::Timeout(0, 2).to_string(), "c0.2");
    assert_eq!("c0.2".parse::<Choice>(), Ok(Choice::Timeout(0, 2)));
    fx.clear();
    m.step(&mut s, Choice::Timeout(0, 2), &mut fx).expect("the callout fires");
    assert_eq!(fx, vec![Effect::Timeout { cpu: 0, thread: 2 }]);
    assert_eq!(
        sdlab_engine::machine::describe_choice(&m, Choice::Timeout(0, 2)),
        "the callout of thread 2 (CPU 0) fires: its sleep times out"
    );
    assert!(s.threads.iter().any(|t| t.id == 2 && t.runnable()));
    let err = m.step(&mut s.clone(), Choice::Timeout(0, 2), &mut fx).unwrap_err();
    assert!(matches!(err.error, RunError::NotPossible { why: Refused::NoTimeout, .. }), "{err:?}");
    m.step(&mut s, Choice::Switch(0, 2), &mut fx).expect("it runs");
}

#[test]
fn the_liveness_pass_makes_a_pending_callout_fire() {
    let p = program(SLEEP);
    // CPU 2 ticks forever, CPU 1 waits for the sleeper. Without a callout nothing wakes
    // it: a fair cycle (CPU 2 ticking) with CPU 1 waiting throughout.
    let m = session(&p, 3, "alone", &[]).into_machine();
    let (o, _) = Checker::new(m.clone(), Options::default()).check();
    let Outcome::Violation { property, cycle_start, .. } = &o else { panic!("{o:?}") };
    assert_eq!((*property, cycle_start.is_some()), (Property::NoLost, true));
    common::replay::assert_replays(&m, &o, "alone");
    // With one, the cycle that never fires the pending callout is not a run.
    let m = session(&p, 3, "alone", &[("timo", "true")]).into_machine();
    let (o, _) = Checker::new(m, Options::default()).check();
    assert_eq!(o, Outcome::Verified);
}

#[test]
fn bad_priorities_and_sleeps_are_located_errors_or_faults() {
    let base = "model \"m\"; cpus 1..2 default 2; shared x = 0; proc f() { x = 1; }\n";
    for (item, msg) in [
        ("thread 0: f() prio 256;", "a priority is 0 to 255"),
        ("thread 0: f() prio -1;", "a priority is 0 to 255"),
        ("thread 0: f() prio;", "a number"),
        ("thread 0: f() prio x;", "a number"),
        ("cpu 1: f() prio 300;", "a priority is 0 to 255"),
    ] {
        let (p, d) = compile(&format!("{base}scenario s {{ cpu 0: f();\n{item} }}"));
        assert!(p.is_none(), "{item}");
        assert!(d.iter().any(|d| d.message.contains(msg) && d.span.line == 3), "{item}: {d:?}");
    }
    for (call, msg) in
        [("sleep()", "takes 1 argument"), ("wakeup(1, 2)", "takes 1 argument"), ("sleep(x)", "reads shared memory")]
    {
        let (p, d) = compile(&format!("{base}proc g() {{\n{call}; }} scenario s {{ cpu 0: g(); }}"));
        assert!(p.is_none(), "{call}");
        assert!(d.iter().any(|d| d.message.contains(msg) && d.span.line == 3), "{call}: {d:?}");
    }
    // At run time: a channel out of range, a sleep with interrupts off, a sleep with no
    // scheduler; each a fault of the step, none a panic.
    let src = format!(
        "{base}proc bad() {{ sleep(200); }} proc cli() {{ disable_interrupts(); sleep(1); }} proc lone() {{ sleep(1); }}\n\
         scenario a {{ cpu 0: idle; thread 0: bad(); }} scenario b {{ cpu 0: idle; thread 0: cli(); }} scenario c {{ cpu 0: lone(); }}"
    );
    let p = program(&src);
    for (sc, switch, msg) in [
        ("a", true, "wait channel 200 is outside"),
        ("b", true, "interrupts are disabled"),
        ("c", false, "no `thread` entries"),
    ] {
        let m = session(&p, 2, sc, &[]).into_machine();
        let mut s = m.initial().clone();
        let mut fx = Vec::new();
        if switch {
            m.step(&mut s, Choice::Switch(0, 2), &mut fx).expect("switch");
        }
        let mut err = None;
        for _ in 0..3 {
            if let Err(e) = m.step(&mut s, Choice::Step(0), &mut fx) {
                err = Some(e);
                break;
            }
        }
        let err = err.unwrap_or_else(|| panic!("{sc}: no fault"));
        assert!(err.to_string().contains(msg), "{sc}: {err}");
    }
}

/// freebsd-di.sdm, race DI_R3: the first lock-less waiter yields, and a yield never goes
/// to the lower-priority DI thread it waits for (found, the shortest counterexample, one
/// preemption); the fix blocks with a 1-tick callout and verifies, with any number of
/// preemptions and within each bound.
#[test]
fn di_r3_the_yielding_waiter_livelocks_and_the_blocking_one_verifies() {
    let p = program(models::find("freebsd-di").expect("bundled").source);
    let race = p.races.iter().find(|r| r.name == "DI_R3").expect("DI_R3");
    assert_eq!((race.kind, race.expect), (RaceKind::Bug, Property::NoLost));
    assert!(race.cite.contains("r349326"), "{}", race.cite);
    let m = Machine::new(p.clone(), Config::for_race(&p, race)).expect("machine");
    let (o, pr) = Checker::new(m.clone(), Options::default()).check();
    common::replay::assert_replays(&m, &o, "DI_R3");
    let Outcome::Violation { property, message, choices, .. } = &o else { panic!("{o:?}") };
    let schedule: Vec<String> = choices.iter().map(|c| c.to_string()).collect();
    assert_eq!(*property, Property::NoLost);
    // The DI thread stamps the page and drops the PV-list lock; the waiter preempts it.
    assert_eq!(schedule.join(" "), "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 s0.2 0 0 0 0");
    assert!(message.starts_with("Livelock by priority inversion"), "{message}");
    assert!(message.contains("so thread 0 (priority 0) queued on CPU 0 never runs"), "{message}");
    assert_eq!(pr.states, 1005);
    // Without preemptions it is found too: the DI thread waits for its shootdown's
    // acknowledgement (a free switch), and once it could go on, it never runs again.
    let (o, _) = Checker::new(m, Options { preemptions: Some(0), ..Options::default() }).check();
    assert!(
        matches!(o, Outcome::Violation { property: Property::NoLost, ref choices, .. } if choices.len() == 33),
        "{o:?}"
    );
    // The fix, r349326.
    let mut cfg = Config::for_race(&p, race);
    cfg.set(&p, "di_wait", "2").expect("option");
    let m = Machine::new(p.clone(), cfg).expect("machine");
    for (bound, states) in [(None, 4849), (Some(0), 1946), (Some(1), 4833)] {
        let (o, pr) = Checker::new(m.clone(), Options { preemptions: bound, ..Options::default() }).check();
        assert_eq!((o, pr.states), (Outcome::Verified, states), "bound {bound:?}");
    }
}
