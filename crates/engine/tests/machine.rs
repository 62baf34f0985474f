//! The machine's hardware rules and the step API, on the scoreboard model and on small
//! models written for one rule each.

mod common;
use common::*;
use sdlab_engine::machine::{Ctx, Effect};
use sdlab_engine::*;

#[test]
fn back_step_restores_the_exact_state() {
    let p = scoreboard();
    for (scenario, ncpu) in [("unmap_free", 3), ("crossfire", 4)] {
        for seed in 0..40 {
            let mut s = session(&p, ncpu, scenario, &[]);
            let mut states = vec![s.state().clone()];
            while let Some(r) = s.step_seeded(seed) {
                r.expect("no fault");
                states.push(s.state().clone());
            }
            assert!(states.len() > 20, "run too short to mean anything");
            while s.back() {
                states.pop();
                assert_eq!(s.state(), states.last().expect("state"), "seed {seed}: back-step differs");
            }
            assert_eq!(states.len(), 1);
            assert!(!s.back(), "cannot step back before step 0");
        }
    }
}

#[test]
fn a_schedule_replays_identically() {
    let p = scoreboard();
    for seed in 0..30 {
        let mut a = session(&p, 3, "crossfire", &[]);
        while let Some(r) = a.step_seeded(seed) {
            r.expect("no fault");
        }
        let text = schedule::format(&a.schedule());
        let mut b = session(&p, 3, "crossfire", &[]);
        b.replay(&schedule::parse(&text).expect("parses")).expect("replays");
        assert_eq!(a.state(), b.state());
        for (x, y) in a.log().iter().zip(b.log()) {
            assert_eq!(x.effects, y.effects);
            assert_eq!(x.line, y.line);
        }
        // The same seed gives the same schedule again.
        let mut c = session(&p, 3, "crossfire", &[]);
        while let Some(r) = c.step_seeded(seed) {
            r.expect("no fault");
        }
        assert_eq!(c.schedule(), a.schedule());
    }
}

#[test]
fn correct_scoreboard_never_breaks_under_random_schedules() {
    let p = scoreboard();
    for ncpu in 2..=4 {
        for scenario in ["unmap_free", "crossfire"] {
            for seed in 0..150 {
                let mut s = session(&p, ncpu, scenario, &[]);
                while let Some(r) = s.step_seeded(seed) {
                    let e = r.expect("no fault");
                    assert!(e.violation.is_none(), "{scenario}/{ncpu}/{seed}: {:?}", e.violation);
                }
                assert!(s.stuck().is_none(), "{scenario}/{ncpu}/{seed}: {:?}", s.stuck());
                let st = s.state();
                assert!(st.cpus.iter().all(|c| c.stack.is_empty() && c.isr == 0 && c.irr == 0));
                // Every request was acknowledged: no scoreboard word is left at 0.
                let sb = &s.machine().vars()[p.vars.iter().position(|v| v.name == "scoreboard").expect("var")];
                assert!(st.mem[sb.base as usize..(sb.base + sb.size()) as usize].iter().all(|&w| w != 0));
                // The freed frame is cached by no TLB.
                for c in &st.cpus {
                    for e in &c.tlb {
                        assert!(st.frames[e.frame as usize].gen == e.gen, "stale entry left: {e:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn deadlock_when_both_initiators_wait_with_interrupts_disabled() {
    let p = scoreboard();
    let mut s = session(&p, 2, "crossfire", &[("initiator_if", "false")]);
    step_until(&mut s, 0, "I12");
    step_until(&mut s, 1, "I12");
    step_while_can(&mut s, 0);
    step_while_can(&mut s, 1);
    assert!(s.enabled().is_empty());
    let stuck = s.stuck().expect("stuck");
    assert_eq!(stuck.property, Property::Deadlock);
    assert_eq!(stuck.waits.len(), 2);
    for w in &stuck.waits {
        assert!(!w.interrupts_enabled);
        assert_eq!(w.masked, vec!["IPI_INVLOP".to_string()]);
    }
    assert!(stuck.message.contains("scoreboard[1][0] is 0"), "{}", stuck.message);
    // With interrupts enabled the same interleaving completes.
    let mut s = session(&p, 2, "crossfire", &[]);
    step_until(&mut s, 0, "I12");
    step_until(&mut s, 1, "I12");
    while let Some(r) = s.step_seeded(7) {
        r.expect("no fault");
    }
    assert!(s.stuck().is_none());
}

#[test]
fn handler_without_rescan_loses_a_merged_shootdown() {
    let p = scoreboard();
    let run = |rescan: &str| {
        let mut s = session(&p, 3, "crossfire", &[("rescan", rescan)]);
        step_until(&mut s, 0, "I12");
        step_until(&mut s, 1, "I12");
        // CPU 2 got two IPIs before taking any: they merged into one IRR bit.
        assert!(s.log().last().expect("step").effects.iter().any(|e| matches!(e, Effect::IpiMerged { cpu: 2, .. })));
        while let Some(r) = s.step_seeded(3) {
            r.expect("no fault");
        }
        s.stuck()
    };
    let lost = run("false").expect("stuck");
    assert_eq!(lost.property, Property::NoLost);
    assert!(lost.waits.iter().all(|w| w.interrupts_enabled));
    assert!(lost
        .waits
        .iter()
        .any(|w| w.reads.as_ref().is_some_and(|(n, v)| n.starts_with("scoreboard[2]") && *v == 0)));
    assert!(run("true").is_none());
}

#[test]
fn nmi_in_the_ack_window_uses_a_freed_frame() {
    let p = scoreboard();
    let mut s = session(&p, 2, "unmap_free", &[("nmi_reads_user", "true"), ("hw_nmi", "1")]);
    // CPU 1's user code caches the translation.
    s.step(Choice::Step(1)).expect("touch");
    assert_eq!(s.state().cpus[1].tlb.len(), 1);
    step_until(&mut s, 0, "I12");
    s.step(Choice::Irq(1, 0)).expect("CPU 1 takes the IPI");
    assert_eq!(s.state().cpus[1].ctx(), Some(Ctx::Irq(0)));
    step_until(&mut s, 1, "H9");
    step_while_can(&mut s, 0); // the initiator sees the ack, returns and frees the frame
    assert!(s.state().cpus[0].stack.is_empty());
    assert!(!s.state().frames[0].allocated);
    s.step(Choice::Nmi(1)).expect("NMI");
    assert_eq!(s.state().cpus[1].ctx(), Some(Ctx::Nmi));
    assert!(s.state().cpus[1].window.is_some(), "acknowledged (H9), not yet invalidated (H10)");
    let e = s.step(Choice::Step(1)).expect("the NMI handler reads the user page");
    let v = e.violation.clone().expect("violation");
    // The read hits the entry in the window and reads the freed frame: the step reports
    // the window, and its message names the use after free.
    assert_eq!(v.property, Property::UsermodeWindow);
    assert_eq!(v.cpu, 1);
    assert!(v.message.contains("0x1000") && v.message.contains("use after free"), "{}", v.message);
    // Without the NMI's user read, the same window is harmless.
    let mut s = session(&p, 2, "unmap_free", &[("hw_nmi", "1")]);
    s.step(Choice::Step(1)).expect("touch");
    step_until(&mut s, 0, "I12");
    s.step(Choice::Irq(1, 0)).expect("irq");
    step_until(&mut s, 1, "H9");
    step_while_can(&mut s, 0);
    s.step(Choice::Nmi(1)).expect("NMI");
    assert!(s.state().cpus[1].ctx() != Some(Ctx::Nmi), "an NMI handler that reads nothing returns at once");
    assert_eq!(s.state().cpus[1].ctx(), Some(Ctx::Irq(0)), "back in the IPI handler");
    assert!(!s.state().cpus[1].intr, "the NMI's IRET restores the handler's IF=0");
}

const LAPIC: &str = r#"
model "lapic rules";
cpus 2..2 default 2;
option hw_irr_latch = true;
vector V = 0x40;
vector HI = 0x80;
shared hits = 0;
handler V { local x = hits; hits = x + 1; eoi(); }
handler HI { eoi(); }
proc sender() { send_ipi(bit(1), V); send_ipi(bit(1), V); send_ipi(bit(1), HI); }
proc blocker() { disable_interrupts(); enable_interrupts(); }
scenario s { cpu 0: sender(); cpu 1: blocker(); }
"#;

#[test]
fn lapic_merges_a_second_ipi_of_a_pending_vector() {
    let p = program(LAPIC);
    let mut s = session(&p, 2, "s", &[]);
    s.step(Choice::Step(1)).expect("cli");
    let e = s.step(Choice::Step(0)).expect("send").effects.clone();
    assert!(e.contains(&Effect::IpiPending { cpu: 1, vector: 0 }));
    let e = s.step(Choice::Step(0)).expect("send").effects.clone();
    assert!(e.contains(&Effect::IpiMerged { cpu: 1, vector: 0 }));
    assert!(!s.enabled().iter().any(|c| matches!(c, Choice::Irq(..))), "IF=0 blocks delivery");
    s.step(Choice::Step(1)).expect("sti");
    s.step(Choice::Irq(1, 0)).expect("deliver");
    let cpu = &s.state().cpus[1];
    assert!(!cpu.intr && cpu.isr == 1 && cpu.irr == 0, "handler entered with IF=0, IRR→ISR");
    step_while_can(&mut s, 1);
    assert_eq!(s.state().mem[0], 1, "two merged IPIs run the handler once");
    assert!(s.state().cpus[1].intr, "IRET restores IF");
}

#[test]
fn lapic_keeps_one_more_while_in_service_only_with_the_latch() {
    for (latch, expect_pending) in [("true", true), ("false", false)] {
        let p = program(LAPIC);
        let mut s = session(&p, 2, "s", &[("hw_irr_latch", latch)]);
        s.step(Choice::Step(0)).expect("send");
        s.step(Choice::Irq(1, 0)).expect("deliver");
        let e = s.step(Choice::Step(0)).expect("send again").effects.clone();
        if expect_pending {
            assert!(e.contains(&Effect::IpiPending { cpu: 1, vector: 0 }));
        } else {
            assert!(e.contains(&Effect::IpiDropped { cpu: 1, vector: 0 }));
        }
    }
}

#[test]
fn eoi_clears_the_highest_in_service_vector_and_priority_blocks_lower() {
    let p = program(LAPIC);
    let mut s = session(&p, 2, "s", &[]);
    for _ in 0..3 {
        s.step(Choice::Step(0)).expect("send");
    }
    // Both pending: the LAPIC offers only the higher-priority vector.
    assert_eq!(
        s.enabled().iter().filter(|c| matches!(c, Choice::Irq(1, _))).copied().collect::<Vec<_>>(),
        vec![Choice::Irq(1, 1)]
    );
    s.step(Choice::Irq(1, 1)).expect("HI");
    let e = s.step(Choice::Step(1)).expect("eoi").effects.clone();
    assert!(e.contains(&Effect::Eoi { cpu: 1, vector: 1 }));
    assert!(e.contains(&Effect::Iret { cpu: 1, vector: 1 }));
    assert_eq!(s.state().cpus[1].isr, 0);
    assert!(s.enabled().contains(&Choice::Irq(1, 0)));
}

#[test]
fn steps_that_are_not_enabled_are_errors_not_panics() {
    let p = scoreboard();
    let mut s = session(&p, 3, "unmap_free", &[]);
    for bad in [Choice::Irq(1, 0), Choice::Step(9), Choice::Fill(0, 0), Choice::Nmi(0), Choice::Irq(0, 7)] {
        assert!(s.step(bad).is_err(), "{bad}");
    }
    assert_eq!(s.steps(), 0);
    for bad in ["x", "i1", "f.2", "n", "999999", "i1.999"] {
        assert!(schedule::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn machine_rejects_bad_configurations_with_messages() {
    let p = scoreboard();
    let mut cfg = Config::new(&p);
    cfg.ncpu = 0;
    assert!(Machine::new(p.clone(), cfg.clone()).unwrap_err().to_string().contains("1 to 32"));
    cfg.ncpu = 1;
    cfg.scenario = p.scenario_index("crossfire").expect("scenario");
    assert!(Machine::new(p.clone(), cfg).unwrap_err().to_string().contains("at least 2 CPUs"));
    let mut cfg = Config::new(&p);
    assert!(cfg.set(&p, "nope", "1").unwrap_err().to_string().contains("unknown option"));
    assert!(cfg.set(&p, "rescan", "maybe").is_err());
}

#[test]
fn runtime_model_errors_are_located_faults() {
    let p = program(
        r#"model "m"; shared a[2] = 0;
        proc f() { local i = 5;
          a[i] = 1; }
        scenario s { cpu 0: f(); cpu *: idle; }"#,
    );
    let mut s = session(&p, 2, "s", &[]);
    let f = s.step(Choice::Step(0)).unwrap_err();
    assert_eq!(f.line, 3);
    assert_eq!(f.error, sdlab_engine::RunError::IndexOutOfBounds { var: "a".into(), index: 5, size: 2 });
    assert_eq!(f.to_string(), "line 3: CPU 0: index 5 is out of bounds for `a` (size 2)");
    let (p, d) =
        compile("model \"m\"; proc f() { local i = 0; while (i < 1) { i = i - 1; } } scenario s { cpu 0: f(); }");
    assert!(d.is_empty());
    let mut cfg = Config::new(p.as_ref().expect("ok"));
    cfg.ncpu = 1;
    let err = Machine::new(std::sync::Arc::new(p.expect("ok")), cfg).unwrap_err();
    assert!(err.to_string().contains("endless loop"), "{err}");
}

const KTR: &str = r#"
model "trace points";
cpus 2..2 default 2;
vector V = 0x40;
shared w = 0;
handler V { ktr(recv, self); eoi(); }
proc a() {
    ktr(start);
    local x = w;
    w = x + 1;
    ktr(wrote, x + 1, self, V);
    send_ipi(bit(1), V);
    ktr(sent, 1, V);
}
scenario s { cpu 0: a(); cpu *: idle; }
"#;

fn ktrs(m: &Machine, fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Ktr { cpu, name, .. } => Some(format!("{cpu}:{}{:?}", m.prog().ktr_name(*name), e.ktr_args())),
            _ => None,
        })
        .collect()
}

#[test]
fn ktr_records_a_trace_point_in_the_step_before_it_and_changes_nothing() {
    let p = program(KTR);
    assert_eq!(p.ktr_names, ["start", "wrote", "sent", "recv"]);
    let mut s = session(&p, 2, "s", &[]);
    // A trace point before the thread's first step belongs to no step.
    assert_eq!(ktrs(s.machine(), s.machine().initial_effects()), ["0:start[]"]);
    let e = s.step(Choice::Step(0)).expect("read").effects.clone();
    assert!(ktrs(s.machine(), &e).is_empty());
    let e = s.step(Choice::Step(0)).expect("write").effects.clone();
    assert_eq!(ktrs(s.machine(), &e), ["0:wrote[1, 0, 64]"], "folds into the write, like local computation");
    let e = s.step(Choice::Step(0)).expect("send").effects.clone();
    assert_eq!(ktrs(s.machine(), &e), ["0:sent[1, 64]"]);
    let e = s.step(Choice::Irq(1, 0)).expect("deliver").effects.clone();
    assert_eq!(ktrs(s.machine(), &e), ["1:recv[1]"], "a trace point at the top of a handler folds into its entry");
    let d = machine::describe_effect(s.machine(), e.iter().find(|e| matches!(e, Effect::Ktr { .. })).expect("ktr"));
    assert_eq!(d, "CPU 1 traces recv(1)");
    assert!(!s.log().last().expect("entry").summary(s.machine()).contains("traces"), "narration leaves it out");
    // No state and no step of its own: the state space is that of the model without them.
    let bare: String = KTR.lines().filter(|l| !l.trim_start().starts_with("ktr(")).collect::<Vec<_>>().join("\n");
    let bare = bare.replace("ktr(recv, self); ", "");
    let count = |src: &str| {
        let p = program(src);
        let (o, stats) = checker::Checker::new(session(&p, 2, "s", &[]).into_machine(), Default::default()).check();
        assert_eq!(o, checker::Outcome::Verified);
        (stats.states, stats.transitions)
    };
    assert!(!bare.contains("ktr"));
    assert_eq!(count(KTR), count(&bare));
}

#[test]
fn ktr_arguments_are_checked() {
    let base = "model \"m\"; shared w = 0; proc f() { local x = 1; STMT } scenario s { cpu 0: f(); }";
    for (stmt, msg) in [
        ("ktr();", "takes a trace-point name"),
        ("ktr(1, x);", "the first argument of `ktr` is the trace point's name"),
        ("ktr(t, x, x, x, x);", "at most 3 values, 4 given"),
        ("ktr(t, w);", "reads no shared memory"),
        ("local k = ktr(t);", "returns no value"),
    ] {
        let (p, d) = compile(&base.replace("STMT", stmt));
        assert!(p.is_none(), "{stmt}");
        assert!(d.iter().any(|d| d.message.contains(msg)), "{stmt}: {d:?}");
    }
}

#[test]
fn a_spin_condition_may_poll_several_words() {
    let src = r#"
model "polling wait";
cpus 2..2 default 2;
shared a = 0;
shared b = 0;
shared c = 0;
shared d = 0;
shared e = 0;
proc waiter() {
    while (true) {
        /// Wait until a or b is set.
        while (a == 0 && b == 0) { pause(); }
        local x = a;
        if (x != 0) { break; }
        b = 0;
    }
}
proc setter() { b = 1; a = 1; }
scenario s { cpu 0: waiter(); cpu 1: setter(); }
scenario lone { cpu 0: waiter(); cpu *: idle; }
"#;
    let p = program(src);
    let mut s = session(&p, 2, "s", &[]);
    assert!(!s.enabled().contains(&Choice::Step(0)), "both words clear: CPU 0 waits");
    s.step(Choice::Step(1)).expect("b = 1");
    assert!(s.enabled().contains(&Choice::Step(0)), "b set: the wait ends");
    let (o, _) = checker::Checker::new(s.machine().clone(), Default::default()).check();
    assert_eq!(o, checker::Outcome::Verified);
    // Alone, the waiter is a stuck state (a lost wake-up), not a busy loop.
    let m = session(&p, 2, "lone", &[]).into_machine();
    let (o, _) = checker::Checker::new(m, Default::default()).check();
    assert!(matches!(&o, checker::Outcome::Violation { property, .. } if *property == Property::NoLost), "{o:?}");
    // Only a spin-wait's condition may read several words, and at most four.
    for (cond, body, msg) in [
        ("a == 0 && b == 0", "b = 0;", "reads shared memory more than once"),
        ("a + b + c + d + e == 0", "pause();", "reads shared memory more than once"),
    ] {
        let bad = src.replace("while (a == 0 && b == 0) { pause(); }", &format!("while ({cond}) {{ {body} }}"));
        let (p, d) = compile(&bad);
        assert!(p.is_none() && d.iter().any(|d| d.message.contains(msg)), "{cond}: {d:?}");
    }
}

#[test]
fn dcas_swaps_two_adjacent_words_in_one_step() {
    let src = r#"
model "double-width CAS";
cpus 2..2 default 2;
shared pair[2][2] = 0;
shared other = 0;
percpu out = 0;
proc cas() {
    local g = 0;
    local n = 0;
    /// Swap (0, 0) for (5, 7).
    local ok = dcas(pair[0][0], pair[0][1], g, n, 5, 7);
    out = ok;
    /// Again: the words are (5, 7) now, so this fails and loads them.
    ok = dcas(pair[0][0], pair[0][1], g, n, 1, 1);
    out = ok * 100 + g * 10 + n;
    /// With the loaded pair as the expected one it succeeds.
    ok = dcas(pair[0][0], pair[0][1], g, n, g + 1, 0);
    out = ok;
}
proc apart() {
    local g = 0;
    local n = 0;
    dcas(pair[0][0], pair[1][0], g, n, 1, 1);
}
proc race(v) {
    local g = 0;
    local n = 0;
    local ok = dcas(pair[1][0], pair[1][1], g, n, v, v);
    out = ok;
}
scenario s { cpu 0: cas(); cpu *: idle; }
scenario bad { cpu 0: apart(); cpu *: idle; }
scenario both { cpu 0: race(1); cpu 1: race(2); }
"#;
    let p = program(src);
    let mut s = session(&p, 2, "s", &[]);
    let m = s.machine().clone();
    let word = |s: &Session, name: &str| {
        (0..s.state().mem.len() as u32).find(|&a| m.addr_name(a) == name).map(|a| s.state().mem[a as usize])
    };
    let e = s.step(Choice::Step(0)).expect("dcas").clone();
    let rmws = e.effects.iter().filter(|f| matches!(f, Effect::Rmw { .. })).count();
    assert_eq!(rmws, 2, "one step updates both words: {:?}", e.effects);
    assert_eq!((word(&s, "pair[0][0]"), word(&s, "pair[0][1]")), (Some(5), Some(7)));
    s.step(Choice::Step(0)).expect("out");
    assert_eq!(word(&s, "out[0]"), Some(1));
    let e = s.step(Choice::Step(0)).expect("failing dcas").clone();
    assert!(
        e.effects.iter().all(|f| !matches!(f, Effect::Rmw { .. } | Effect::Write { .. })),
        "a failure writes nothing"
    );
    s.step(Choice::Step(0)).expect("out");
    assert_eq!(word(&s, "out[0]"), Some(57), "failed (0), and the expected locals now hold the pair (5, 7)");
    s.step(Choice::Step(0)).expect("dcas");
    s.step(Choice::Step(0)).expect("out");
    assert_eq!((word(&s, "out[0]"), word(&s, "pair[0][0]"), word(&s, "pair[0][1]")), (Some(1), Some(6), Some(0)));
    // The two words must be adjacent, the low one first.
    let mut s = session(&p, 2, "bad", &[]);
    let f = s.step(Choice::Step(0)).unwrap_err();
    assert_eq!(
        f.error,
        sdlab_engine::RunError::DcasNotAdjacent { first: "pair[0][0]".into(), second: "pair[1][0]".into() }
    );
    // Two CPUs racing on the same pair: exactly one wins, and the pair is never torn.
    let m = session(&p, 2, "both", &[]).into_machine();
    let (o, stats) = checker::Checker::new(m, Default::default()).check();
    assert_eq!(o, checker::Outcome::Verified);
    assert!(stats.states > 3);
    let mut s = session(&p, 2, "both", &[]);
    for c in [1, 0, 0, 1] {
        s.step(Choice::Step(c)).expect("step");
    }
    assert_eq!((word(&s, "pair[1][0]"), word(&s, "pair[1][1]")), (Some(2), Some(2)));
    assert_eq!((word(&s, "out[0]"), word(&s, "out[1]")), (Some(0), Some(1)));
    // Compile-time checks.
    let base = "model \"m\"; shared w[2] = 0; proc f() { local x = 0; local y = 0; STMT } scenario s { cpu 0: f(); }";
    for (stmt, msg) in [
        ("dcas(w[0], w[1], x, y, 1);", "takes 6 argument(s), 5 given"),
        ("dcas(w[0], w[1], 0, y, 1, 1);", "the expected values of `dcas` are local variables"),
        ("dcas(x, w[1], x, y, 1, 1);", "two shared words"),
        ("dcas(w[0], w[1], x, y, w[0], 1);", "read it into a local first"),
    ] {
        let (p, d) = compile(&base.replace("STMT", stmt));
        assert!(p.is_none(), "{stmt}");
        assert!(d.iter().any(|d| d.message.contains(msg)), "{stmt}: {d:?}");
    }
}

#[test]
fn pte_cmpset_changes_w_only_if_the_pte_is_still_what_was_read() {
    let src = r#"
model "PTE compare-and-set";
cpus 1..1 default 1;
const VA = 0x1000;
aspace p1;
map p1 VA writable;
percpu out = 0;
proc protect() {
    local f = pte_read(p1, VA);
    /// Expect D=1: the PTE is clean, so this fails and changes nothing.
    local ok = pte_cmpset(p1, VA, f, 1, 0);
    out = ok;
    /// Expect what is there: W drops, the rest stays.
    ok = pte_cmpset(p1, VA, f, 0, 0);
    out = ok;
    /// Another frame: fails.
    ok = pte_cmpset(p1, VA, f + 1, 0, 1);
    out = ok + 10;
}
scenario s { cpu 0: protect() in p1; }
"#;
    let p = program(src);
    let mut s = session(&p, 1, "s", &[]);
    let m = s.machine().clone();
    let out = |s: &Session| {
        (0..s.state().mem.len() as u32).find(|&a| m.addr_name(a) == "out[0]").map(|a| s.state().mem[a as usize])
    };
    s.step(Choice::Step(0)).expect("pte_read");
    let e = s.step(Choice::Step(0)).expect("failing cmpset").clone();
    assert!(
        e.effects.iter().all(|f| !matches!(f, Effect::PteWrite { .. })),
        "a failure writes nothing: {:?}",
        e.effects
    );
    assert!(s.state().ptes[0].writable);
    s.step(Choice::Step(0)).expect("out");
    assert_eq!(out(&s), Some(0));
    let e = s.step(Choice::Step(0)).expect("cmpset").clone();
    assert!(e.effects.iter().any(|f| matches!(f, Effect::PteWrite { .. })), "{:?}", e.effects);
    let pte = s.state().ptes[0];
    assert!(pte.present && !pte.writable && !pte.dirty && pte.frame == 0, "{pte:?}");
    s.step(Choice::Step(0)).expect("out");
    assert_eq!(out(&s), Some(1));
    s.step(Choice::Step(0)).expect("cmpset");
    s.step(Choice::Step(0)).expect("out");
    assert_eq!(out(&s), Some(10));
    assert!(!s.state().ptes[0].writable, "unchanged by the failed compare");
    let (p, d) = compile(&src.replace("pte_cmpset(p1, VA, f, 1, 0)", "pte_cmpset(p1, VA, f, 1)"));
    assert!(p.is_none() && d.iter().any(|d| d.message.contains("takes 5 argument(s), 4 given")), "{d:?}");
}

#[test]
fn an_ipi_may_be_lost_only_while_pending_and_within_the_budget() {
    let src = LAPIC.replace("option hw_irr_latch = true;", "option hw_irr_latch = true;\noption hw_ipi_loss = 1;");
    let p = program(&src);
    // Without the option no loss is ever enabled.
    let mut s = session(&p, 2, "s", &[("hw_ipi_loss", "0")]);
    s.step(Choice::Step(0)).expect("send");
    assert!(!s.enabled().iter().any(|c| matches!(c, Choice::Lose(..))), "{:?}", s.enabled());
    assert!(s.step(Choice::Lose(1, 0)).is_err(), "not enabled: an error, not a panic");
    let mut s = session(&p, 2, "s", &[]);
    assert!(s.step(Choice::Lose(1, 0)).is_err(), "nothing pending yet");
    s.step(Choice::Step(0)).expect("send");
    assert!(s.enabled().contains(&Choice::Lose(1, 0)), "{:?}", s.enabled());
    let e = s.step(Choice::Lose(1, 0)).expect("lost").effects.clone();
    assert!(e.contains(&Effect::IpiLost { cpu: 1, vector: 0 }), "{e:?}");
    assert_eq!(s.state().cpus[1].irr, 0);
    // The budget is spent: the next IPI cannot be lost.
    s.step(Choice::Step(0)).expect("send");
    assert!(!s.enabled().iter().any(|c| matches!(c, Choice::Lose(..))), "{:?}", s.enabled());
    assert!(s.step(Choice::Lose(1, 0)).is_err());
    assert!(s.step(Choice::Lose(9, 0)).is_err(), "no such CPU");
    // Schedule text.
    for c in [Choice::Lose(1, 0), Choice::Lose(31, 7)] {
        assert_eq!(c.to_string().parse::<Choice>(), Ok(c));
    }
    assert_eq!(Choice::Lose(2, 3).to_string(), "l2.3");
    for bad in ["l", "l1", "l1.", "l.2", "l1.300", "l300.1", "lx.y", "l-1.0"] {
        assert!(bad.parse::<Choice>().is_err(), "{bad}");
    }
}

/// The same for a vector declared second: while HI is in service a second HI waits in
/// the IRR with the latch (SDM vol. 3A §11.8.4: "the IRR and ISR can queue two
/// interrupts for each interrupt vector") and is dropped without it (`hw_irr_latch`).
#[test]
fn the_in_service_latch_holds_for_every_vector() {
    let src = LAPIC.replace(
        "proc sender() { send_ipi(bit(1), V); send_ipi(bit(1), V); send_ipi(bit(1), HI); }",
        "proc sender() { send_ipi(bit(1), HI); send_ipi(bit(1), HI); }",
    );
    for (latch, expect_pending) in [("true", true), ("false", false)] {
        let p = program(&src);
        let mut s = session(&p, 2, "s", &[("hw_irr_latch", latch)]);
        s.step(Choice::Step(0)).expect("send HI");
        s.step(Choice::Irq(1, 1)).expect("deliver HI");
        assert_eq!(s.state().cpus[1].isr, 1 << 1);
        let e = s.step(Choice::Step(0)).expect("send HI again").effects.clone();
        if expect_pending {
            assert!(e.contains(&Effect::IpiPending { cpu: 1, vector: 1 }), "{e:?}");
            assert_eq!(s.state().cpus[1].irr, 1 << 1);
        } else {
            assert!(e.contains(&Effect::IpiDropped { cpu: 1, vector: 1 }), "{e:?}");
            assert_eq!(s.state().cpus[1].irr, 0);
        }
    }
}

/// The IRR holds one bit per vector: an IPI of a vector already pending collapses into
/// that bit (SDM vol. 3A §11.8.4, "Interrupt Acceptance for Fixed Interrupts": "any
/// additional interrupts issued for the same interrupt vector are collapsed into the
/// single bit in the IRR"), for every vector, not only the first declared.
#[test]
fn a_second_ipi_of_any_pending_vector_merges() {
    let src = LAPIC.replace("send_ipi(bit(1), HI); }", "send_ipi(bit(1), HI); send_ipi(bit(1), HI); }");
    let p = program(&src);
    let mut s = session(&p, 2, "s", &[]);
    for _ in 0..2 {
        s.step(Choice::Step(0)).expect("send V");
    }
    let e = s.step(Choice::Step(0)).expect("send HI").effects.clone();
    assert!(e.contains(&Effect::IpiPending { cpu: 1, vector: 1 }), "{e:?}");
    let e = s.step(Choice::Step(0)).expect("send HI again").effects.clone();
    assert!(e.contains(&Effect::IpiMerged { cpu: 1, vector: 1 }), "{e:?}");
    assert_eq!(s.state().cpus[1].irr, 1 << 0 | 1 << 1);
}

/// Every pending vector, and only a pending one, may be lost (docs/model-language.md,
/// "Lost IPIs": a pending IPI, an IRR bit, may be lost): with V and HI both pending
/// either may go, with V alone only V.
#[test]
fn each_pending_vector_and_no_other_may_be_lost() {
    let src = LAPIC.replace("option hw_irr_latch = true;", "option hw_irr_latch = true;\noption hw_ipi_loss = 1;");
    let p = program(&src);
    let mut s = session(&p, 2, "s", &[]);
    let losses =
        |s: &mut Session| s.enabled().into_iter().filter(|c| matches!(c, Choice::Lose(..))).collect::<Vec<_>>();
    s.step(Choice::Step(0)).expect("send V");
    assert_eq!(losses(&mut s), vec![Choice::Lose(1, 0)], "HI is not pending");
    s.step(Choice::Step(0)).expect("send V again: merged");
    s.step(Choice::Step(0)).expect("send HI");
    assert_eq!(losses(&mut s), vec![Choice::Lose(1, 0), Choice::Lose(1, 1)]);
    let e = s.step(Choice::Lose(1, 1)).expect("HI lost").effects.clone();
    assert_eq!(e, vec![Effect::IpiLost { cpu: 1, vector: 1 }]);
    assert_eq!(s.state().cpus[1].irr, 1 << 0, "V is still pending");
}

/// CPU 0 issues a broadcast invalidation and waits for it, then raises `flag` and waits
/// for `ack`; CPU 1 waits for `flag`, then acknowledges.
const WAITS: &str = r#"
model "waits";
cpus 2..2 default 2;
aspace mm;
map mm 0x1000 writable;
shared flag = 0;
shared ack = 0;
proc ask() {
    invlpgb(mm, 0x1000);
    tlbsync();
    flag = 1;
    while (ack == 0) { pause(); }
}
proc answer() {
    while (flag == 0) { pause(); }
    ack = 1;
}
scenario s { cpu 0: ask() in mm; cpu 1: answer() in mm; }
"#;

/// `Machine::wait` (what the stepper and a deadlock report say a CPU waits for) names
/// the loop the CPU sits on, and only while the CPU waits: a spin loop whose condition
/// still holds, or a TLBSYNC with a broadcast of its own CPU in flight (AMD APM vol. 3,
/// TLBSYNC: it waits for the CPU's earlier INVLPGBs to complete).
#[test]
fn a_wait_is_reported_only_while_the_cpu_waits_and_names_its_own_loop() {
    let p = program(WAITS);
    let mut s = session(&p, 2, "s", &[]);
    let m = s.machine().clone();
    let w = m.wait(s.state(), 1).expect("CPU 1 waits for flag");
    assert_eq!(w.condition, "flag == 0");
    assert_eq!(w.reads, Some(("flag".to_string(), 0)));
    assert!(m.wait(s.state(), 0).is_none(), "CPU 0 is about to issue, not waiting");
    s.step(Choice::Step(0)).expect("invlpgb");
    let w = m.wait(s.state(), 0).expect("TLBSYNC waits for the broadcast");
    assert!(w.condition.contains("TLBSYNC"), "{}", w.condition);
    s.step(Choice::Bcast(0, 0)).expect("reaches CPU 0");
    s.step(Choice::Bcast(1, 0)).expect("reaches CPU 1");
    assert!(m.wait(s.state(), 0).is_none(), "at TLBSYNC with nothing in flight: no wait");
    s.step(Choice::Step(0)).expect("tlbsync");
    s.step(Choice::Step(0)).expect("flag = 1");
    assert!(m.wait(s.state(), 1).is_none(), "flag is 1: CPU 1's loop would exit");
    let w = m.wait(s.state(), 0).expect("CPU 0 waits for ack");
    assert_eq!(w.condition, "ack == 0");
}

/// CPU 1 masks interrupts and waits for `go`; CPU 0 sends it X, the second vector
/// declared, and waits for X's handler to acknowledge.
const MASKED_WAIT: &str = r#"
model "a wait with interrupts masked";
cpus 2..2 default 2;
option hw_ipi_loss = 0;
vector V = 0x40;
vector X = 0x80;
shared go = 0;
shared ack = 0;
handler V { eoi(); }
handler X { ack = 1; eoi(); }
proc ask() {
    send_ipi(bit(1), X);
    while (ack == 0) { pause(); }
}
proc masked() {
    disable_interrupts();
    while (go == 0) { pause(); }
}
scenario s { cpu 0: ask(); cpu 1: masked(); }
"#;

/// With IF=0 the CPU takes no maskable interrupt (SDM vol. 3A §7.8.1, "Masking Maskable
/// Hardware Interrupts", §6.8.1 before 2024), so a waiter with IF=0 and an IPI pending
/// that would end another CPU's wait is a deadlock, not a lost IPI, whichever vector is
/// pending: the report names it. With nothing pending the same wait is G-NOLOST.
#[test]
fn a_masked_waiter_is_a_deadlock_with_any_vector_pending_and_g_nolost_with_none() {
    let p = program(MASKED_WAIT);
    let mut s = session(&p, 2, "s", &[]);
    s.step(Choice::Step(1)).expect("cli");
    s.step(Choice::Step(0)).expect("send X");
    assert_eq!(s.state().cpus[1].irr, 1 << 1);
    let m = s.machine().clone();
    let w = m.wait(s.state(), 1).expect("CPU 1 waits");
    assert!(!w.interrupts_enabled);
    assert_eq!(w.masked, vec!["X".to_string()]);
    let stuck = m.stuck(s.state()).expect("no choice is enabled");
    assert_eq!(stuck.property.code(), "G-DEADLOCK", "{}", stuck.message);
    assert!(stuck.message.contains("its pending X can never be taken"), "{}", stuck.message);
    // The IPI lost instead: nothing is pending that IF=0 holds back, and the wait that
    // never ends is a lost shootdown, not a deadlock.
    let mut s = session(&p, 2, "s", &[("hw_ipi_loss", "1")]);
    s.step(Choice::Step(1)).expect("cli");
    s.step(Choice::Step(0)).expect("send X");
    s.step(Choice::Lose(1, 1)).expect("X lost");
    let stuck = m.stuck(s.state()).expect("no choice is enabled");
    assert_eq!(stuck.property.code(), "G-NOLOST", "{}", stuck.message);
}

/// CPU 1's handler waits for `lock` to be released. In `held`, CPU 1's own thread took
/// the lock and was interrupted holding it; in `other`, CPU 0 took it and finished, and
/// the handler interrupted nothing (CPU 1 is idle).
const HANDLER_WAITS: &str = r#"
model "a handler waits for a lock";
cpus 2..2 default 2;
vector V = 0x40;
shared lock = 0;
handler V {
    while (lock != 0) { pause(); }
    eoi();
}
proc holder() {
    lock = 1;
    pause();
    lock = 0;
}
proc sender() { send_ipi(bit(1), V); }
proc taker() {
    lock = 1;
    send_ipi(bit(1), V);
}
scenario held { cpu 0: sender(); cpu 1: holder(); }
scenario other { cpu 0: taker(); cpu 1: idle; }
"#;

/// docs/checker.md, G-DEADLOCK: a CPU that waits in a handler while no other CPU has work
/// left, so that only the context it interrupted could end the wait, is deadlocked with
/// itself (Mach's M-D1). A handler that interrupted nothing and waits for a CPU that has
/// finished is a wait nobody will end: G-NOLOST.
#[test]
fn a_handler_waiting_for_the_code_it_interrupted_is_a_deadlock_with_itself() {
    let p = program(HANDLER_WAITS);
    let mut s = session(&p, 2, "held", &[]);
    s.step(Choice::Step(1)).expect("CPU 1 takes the lock");
    s.step(Choice::Step(0)).expect("send V");
    s.step(Choice::Irq(1, 0)).expect("V interrupts the holder");
    let m = s.machine().clone();
    assert!(m.wait(s.state(), 1).expect("the handler waits").self_deadlock);
    let stuck = m.stuck(s.state()).expect("no choice is enabled");
    assert_eq!(stuck.property.code(), "G-DEADLOCK", "{}", stuck.message);
    assert!(stuck.message.contains("only the code it interrupted on CPU 1"), "{}", stuck.message);

    let mut s = session(&p, 2, "other", &[]);
    s.step(Choice::Step(0)).expect("CPU 0 takes the lock");
    s.step(Choice::Step(0)).expect("send V");
    s.step(Choice::Irq(1, 0)).expect("V on the idle CPU 1");
    let m = s.machine().clone();
    assert!(!m.wait(s.state(), 1).expect("the handler waits").self_deadlock);
    let stuck = m.stuck(s.state()).expect("no choice is enabled");
    assert_eq!(stuck.property.code(), "G-NOLOST", "{}", stuck.message);
}

/// Take the choice `pick` makes until the machine is stuck (within 20 steps).
fn run_until_stuck(s: &mut Session, pick: impl Fn(&[Choice]) -> Option<Choice>) {
    for _ in 0..20 {
        if s.machine().stuck(s.state()).is_some() {
            return;
        }
        let ch = pick(&s.enabled()).expect("a choice");
        s.step(ch).expect("step");
    }
    panic!("never stuck");
}

/// CPU 0 runs `sleeper` (priority 1), which blocks on a channel nobody wakes; then
/// `waiter` (priority 2) waits for `flag`, yielding each round; no thread will set it.
const YIELDING_OVER_A_SLEEPER: &str = r#"
model "a yielding waiter over a sleeping thread";
cpus 1..1 default 1;
shared flag = 0;
proc sleeper() { sleep(1); }
proc waiter() {
    while (flag == 0) { yield(); }
}
scenario s { cpu 0: sleeper() prio 1; thread 0: waiter() prio 2; }
"#;

/// docs/checker.md, G-NOLOST: a waiter that yields in vain is a livelock by priority
/// inversion only when a *runnable* thread of lower priority is queued on its CPU and
/// never gets it (wait.rs, DI_R3). A lower thread that sleeps is no such thread: it could
/// not run anyway. The wait is a lost shootdown, and the report names the sleeper as
/// such, not as starved.
#[test]
fn a_yielding_waiter_over_a_sleeping_thread_is_a_lost_shootdown_not_a_livelock() {
    let p = program(YIELDING_OVER_A_SLEEPER);
    let mut s = session(&p, 1, "s", &[]);
    // The sleeper first, to its sleep; then whatever the scheduler offers.
    run_until_stuck(&mut s, |en| en.iter().find(|c| matches!(c, Choice::Step(_))).or(en.first()).copied());
    assert!(s.state().threads.iter().any(|t| !t.runnable()), "the sleeper sleeps");
    let stuck = s.machine().stuck(s.state()).expect("stuck");
    assert_eq!(stuck.property.code(), "G-NOLOST", "{}", stuck.message);
    assert!(stuck.message.starts_with("Lost shootdown"), "{}", stuck.message);
    assert!(stuck.message.contains("yielding each round in vain"), "{}", stuck.message);
    assert!(stuck.message.contains("sleeps on wait channel 1"), "{}", stuck.message);
    assert!(!stuck.message.contains("never runs"), "{}", stuck.message);
}

/// CPU 0's waiter yields each round inside a critical section; `other`, of the same
/// priority, is queued on CPU 0 and runnable. No yield may give it the CPU (the critical
/// section withholds every switch, and there is no other CPU to migrate to), so it waits
/// because of the section, not because of its priority: the report must not name it as
/// a thread that a higher-priority waiter starves (docs/checker.md, G-NOLOST; a livelock
/// by priority inversion needs a *lower* runnable thread, sched.rs's yield rule).
const YIELDING_IN_A_CRITICAL_SECTION: &str = r#"
model "a yielding waiter in a critical section";
cpus 1..1 default 1;
shared flag = 0;
proc waiter() {
    critical_enter();
    while (flag == 0) { yield(); }
    critical_exit();
}
proc other() { flag = 1; }
scenario s { cpu 0: waiter() prio 1; thread 0: other() prio 1; }
"#;

#[test]
fn a_thread_of_the_waiter_s_own_priority_is_not_named_as_starved() {
    let p = program(YIELDING_IN_A_CRITICAL_SECTION);
    let mut s = session(&p, 1, "s", &[]);
    run_until_stuck(&mut s, |en| en.first().copied());
    assert!(s.state().threads.iter().any(|t| t.runnable()), "`other` is queued and runnable");
    let stuck = s.machine().stuck(s.state()).expect("stuck");
    assert_eq!(stuck.property.code(), "G-NOLOST", "{}", stuck.message);
    assert!(stuck.message.starts_with("Lost shootdown"), "{}", stuck.message);
    assert!(stuck.message.contains("yielding each round in vain (its priority is 1"), "{}", stuck.message);
    assert!(!stuck.message.contains("never runs"), "{}", stuck.message);
}

/// The broadcast invalidation is narrated with the names of the model's architecture:
/// the arm64 model's step log says TLBI VALE1IS and DSB ISH, never AMD's INVLPGB and
/// TLBSYNC; an x86 model says INVLPGB and TLBSYNC.
#[test]
fn a_broadcast_invalidation_is_narrated_in_its_architecture_s_names() {
    let src = |issue: &str, wait: &str| {
        format!(
            "model \"b\"; cpus 2..2 default 2; aspace mm; map mm 0x1000 writable;\n\
             proc f() {{ user_load(0x1000); }}\n\
             proc g() {{ {issue}(mm, 0x1000); {wait}(); }}\n\
             scenario s {{ cpu 0: g() in mm; cpu 1: f() in mm; }}"
        )
    };
    for (issue, wait, names, not) in [
        ("tlbi_is", "dsb_ish", ["TLBI VALE1IS", "DSB ISH"], "INVLPGB"),
        ("invlpgb", "tlbsync", ["INVLPGB", "TLBSYNC"], "TLBI"),
    ] {
        let p = program(&src(issue, wait));
        let mut s = session(&p, 2, "s", &[]);
        let mut told = String::new();
        let m = s.machine().clone();
        // Issue, see the wait refused while the broadcast is in flight, let it reach
        // both TLBs, then wait.
        for e in &s.step(Choice::Step(0)).expect("issue").effects {
            told += &machine::describe_effect(&m, e);
            told.push('\n');
        }
        told += &m.wait(s.state(), 0).map(|w| w.condition + "\n").unwrap_or_default();
        for c in [0, 1] {
            told += &(machine::describe_choice(&m, Choice::Bcast(c, 0)) + "\n");
            s.step(Choice::Bcast(c, 0)).expect("arrival");
        }
        for e in &s.step(Choice::Step(0)).expect("wait").effects {
            told += &(machine::describe_effect(&m, e) + "\n");
        }
        for n in names {
            assert!(told.contains(n), "{issue}: `{n}` missing from: {told}");
        }
        assert!(!told.contains(not), "{issue}: `{not}` in: {told}");
    }
}

/// The narration names a vector as the model declares it, in the IPI's send, its IRR bit
/// and an IPI that merges into a pending one.
#[test]
fn the_narration_names_vectors_as_declared() {
    let p = common::program(
        "model \"v\";\ncpus 2..2 default 2;\nvector TLB_SHOOT = 0x40;\nhandler TLB_SHOOT { eoi(); }\nproc f() {\n  send_ipi(bit(1), TLB_SHOOT);\n  send_ipi(bit(1), TLB_SHOOT);\n}\nscenario s { cpu 0: f(); cpu 1: idle; }\n",
    );
    let mut s = common::session(&p, 2, "s", &[]);
    let mut told = Vec::new();
    for _ in 0..2 {
        let e = s.step(Choice::Step(0)).expect("send").effects.clone();
        told.extend(e.iter().map(|e| machine::describe_effect(s.machine(), e)));
    }
    assert_eq!(
        told,
        [
            "CPU 0 sends TLB_SHOOT to CPU 1",
            "TLB_SHOOT is now pending in CPU 1's IRR",
            "CPU 0 sends TLB_SHOOT to CPU 1",
            "TLB_SHOOT was already pending at CPU 1: the two IPIs merge into one IRR bit",
            "CPU 0's thread finishes; the CPU idles with interrupts enabled",
        ]
    );
}

/// The stepper lights each CPU's source line (`Machine::cursor`): the line of the
/// statement it runs next, none for an idle CPU.
#[test]
fn the_cursor_is_the_line_a_cpu_runs_next() {
    let p = common::program(
        "model \"c\";\ncpus 2..2 default 2;\nshared x = 0;\nproc f() {\n  x = 1;\n  x = 2;\n}\nscenario s { cpu 0: f(); cpu 1: idle; }\n",
    );
    let mut s = common::session(&p, 2, "s", &[]);
    let m = s.machine().clone();
    assert_eq!((m.cursor(s.state(), 0), m.cursor(s.state(), 1)), (Some(5), None));
    s.step(Choice::Step(0)).expect("x = 1");
    assert_eq!(m.cursor(s.state(), 0), Some(6));
    assert_eq!(m.cursor(s.state(), 7), None, "no such CPU");
}
