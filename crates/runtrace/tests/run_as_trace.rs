//! A stepper run seen as a trace keeps what a kernel trace would show: every IPI sent,
//! every handler entered because of one, and TLB flushes told apart by where they ran.

mod common;
use common::race_session;
use sdlab_engine::machine::Effect;
use sdlab_runtrace::session_to_trace;
use sdlab_trace::Kind;

#[test]
fn every_ipi_sent_in_the_run_is_in_the_trace_at_its_step() {
    let s = race_session("freebsd-scoreboard", "E1");
    let t = session_to_trace(&s);
    let mut sent = 0;
    for (step, entry) in s.log().iter().enumerate() {
        for fx in &entry.effects {
            if let Effect::IpiSent { cpu, targets, vector } = *fx {
                sent += 1;
                let found = t.events.iter().any(|e| {
                    e.ts == step as u64
                        && e.cpu == u16::from(cpu)
                        && e.kind
                            == Kind::IpiSend {
                                targets: u64::from(targets),
                                vector: sdlab_runtrace::vector_number(s.machine(), vector),
                                all_but_self: false,
                            }
                });
                assert!(found, "step {step}: IPI from CPU {cpu} to {targets:#b} missing");
            }
        }
    }
    // E1's shortest counterexample (67 steps) is two crossing shootdowns: CPU 0 to CPUs 1
    // and 2 at step 13, CPU 1 to CPUs 0 and 2 at step 39.
    assert_eq!(sent, 2, "IPIs");
    assert!(t.events.windows(2).all(|w| w[0].ts <= w[1].ts), "events in time order");
}

#[test]
fn a_handler_entry_always_follows_an_ipi_to_that_cpu_and_its_flushes_are_remote() {
    let s = race_session("freebsd-scoreboard", "E1");
    let t = session_to_trace(&s);
    let mut entries = 0;
    let mut remote_flushes = 0;
    for (i, e) in t.events.iter().enumerate() {
        match e.kind {
            Kind::IrqEntry { vector } => {
                entries += 1;
                let caused = t.events[..i].iter().any(|p| {
                    matches!(p.kind, Kind::IpiSend { targets, vector: v, .. } if v == vector && targets >> e.cpu & 1 == 1)
                });
                assert!(caused, "handler on CPU {} at step {} without an IPI to it", e.cpu, e.ts);
            }
            Kind::TlbFlush { reason: 1, .. } => {
                remote_flushes += 1;
                // The step that made a remote flush ran a line of the handler, which the
                // model's source places after `handler`.
                let line = s.log()[e.ts as usize].line as usize;
                let handler_line =
                    s.machine().prog().source.lines().position(|l| l.starts_with("handler ")).expect("a handler") + 1;
                assert!(line > handler_line, "remote flush at step {} from line {line}", e.ts);
            }
            _ => {}
        }
    }
    // Four targets, three handlers: CPU 2 is sent both IPIs before its handler runs, and
    // one IRR bit per vector latches them as one (the race E1 is about); each handler
    // makes one remote flush (CPU 1 at step 15, CPU 0 at 40, CPU 2 at 53).
    assert_eq!((entries, remote_flushes), (3, 3), "handler entries, remote flushes");
}

#[test]
fn the_invlpgb_migration_race_shows_the_broadcast_and_the_violation() {
    let s = race_session("linux", "INVLPGB_migrate");
    let t = session_to_trace(&s);
    let named = |cpu: u16, want: &str| {
        t.events.iter().any(|e| e.cpu == cpu && matches!(e.kind, Kind::Other { name } if t.names.get(name) == want))
    };
    assert!(named(0, "invlpgb"), "CPU 0 issues the broadcast");
    assert!(named(1, "tlbsync"), "the migrated thread's TLBSYNC runs on CPU 1");
    assert!(named(0, "violation_G_STALE"));
}
