#![allow(dead_code)]
pub mod replay;
use sdlab_engine::*;
use std::sync::Arc;

pub fn program(src: &str) -> Arc<Program> {
    let (p, d) = compile(src);
    assert!(d.is_empty(), "unexpected diagnostics: {d:?}");
    Arc::new(p.expect("compiled"))
}

pub fn scoreboard() -> Arc<Program> {
    program(models::find("freebsd-scoreboard").expect("bundled").source)
}

pub fn session(p: &Arc<Program>, ncpu: u32, scenario: &str, opts: &[(&str, &str)]) -> Session {
    let mut cfg = Config::new(p);
    cfg.ncpu = ncpu;
    cfg.scenario = p.scenario_index(scenario).expect("scenario");
    for (k, v) in opts {
        cfg.set(p, k, v).expect("option");
    }
    Session::new(Machine::new(p.clone(), cfg).expect("machine"))
}

/// Step CPU `cpu` (its thread or handler) until a step whose narration contains `mark`
/// has been taken. Panics (test failure) if the CPU cannot step before that.
pub fn step_until(s: &mut Session, cpu: u8, mark: &str) {
    for _ in 0..500 {
        let e = s.step(Choice::Step(cpu)).unwrap_or_else(|f| panic!("CPU {cpu} could not step before `{mark}`: {f}"));
        if e.narration.as_deref().is_some_and(|n| n.contains(mark)) {
            return;
        }
    }
    panic!("CPU {cpu} never reached `{mark}`");
}

/// `st` through the checker's compact encoding and back: the words are as many as
/// `encoded_len` says, and decode to the same state. Returns the words.
pub fn assert_encoding_round_trips(st: &State) -> Vec<u32> {
    let mut words = Vec::new();
    st.encode(&mut words);
    assert_eq!(words.len(), st.encoded_len());
    let mut back = State::empty();
    assert_eq!(back.decode_from(&words), words.len());
    assert_eq!(&back, st);
    words
}

/// Step CPU `cpu` while it can (no interrupts taken).
pub fn step_while_can(s: &mut Session, cpu: u8) {
    each_step(s, cpu, |_, _| {});
}

/// Step CPU `cpu` while it can (no interrupts taken), handing each step's log entry and
/// the session after it to `seen`.
pub fn each_step(s: &mut Session, cpu: u8, mut seen: impl FnMut(&sdlab_engine::session::LogEntry, &Session)) {
    while s.enabled().contains(&Choice::Step(cpu)) {
        let e = s.step(Choice::Step(cpu)).expect("enabled step").clone();
        seen(&e, s);
    }
}
