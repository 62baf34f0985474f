//! Threads, context switches and migration (issue #14): where a switch is enabled, that a
//! pinned thread stays on its CPU, that states with threads encode without ambiguity,
//! the arm64 race r355427 found with its exact counterexample and its fixes verified,
//! and the located errors of bad `thread` entries.

mod common;
use common::*;
use sdlab_engine::checker::{Checker, Options, Outcome};
use sdlab_engine::machine::Ctx;
use sdlab_engine::*;
use std::collections::{HashMap, HashSet, VecDeque};

fn arm64() -> std::sync::Arc<Program> {
    program(models::find("arm64-tlbi").expect("bundled").source)
}

fn machine(p: &std::sync::Arc<Program>, ncpu: u32, opts: &[(&str, &str)]) -> Machine {
    session(p, ncpu, "preempt", opts).into_machine()
}

/// Every reachable state of `m` (the spaces here are small).
fn reachable(m: &Machine) -> Vec<State> {
    let mut seen = HashSet::new();
    let mut todo = VecDeque::from([m.initial().clone()]);
    let mut out = Vec::new();
    let (mut en, mut fx) = (Vec::new(), Vec::new());
    while let Some(s) = todo.pop_front() {
        if !seen.insert(s.clone()) {
            continue;
        }
        m.enabled(&s, &mut en);
        for &ch in &en {
            let mut next = s.clone();
            fx.clear();
            if let Ok(st) = m.step(&mut next, ch, &mut fx) {
                if st.violation.is_none() {
                    todo.push_back(next);
                }
            }
        }
        out.push(s);
    }
    out
}

fn check(m: &Machine) -> (Outcome, u64) {
    let (o, pr) = Checker::new(m.clone(), Options::default()).check();
    common::replay::assert_replays(m, &o, "arm64-tlbi");
    (o, pr.states)
}

fn schedule(o: &Outcome) -> (String, String) {
    match o {
        Outcome::Violation { property, choices, .. } => {
            (property.to_string(), choices.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" "))
        }
        other => panic!("no violation: {other:?}"),
    }
}

#[test]
fn r355427_is_found_with_its_shortest_counterexample_at_two_and_three_cpus() {
    let p = arm64();
    // CPU 1 caches the page; CPU 0 clears the PTE and issues the TLBI; the interrupt
    // thread preempts it; it migrates and runs its DSB on the other CPU, which issued
    // nothing; it frees the page; a reader still translates to it.
    let (o, states) = check(&machine(&p, 2, &[]));
    assert_eq!(schedule(&o), ("G-STALE".into(), "1 0 0 s0.2 m0.1 s1.0 1 1 s1.1 1".into()));
    assert_eq!(states, 1026);
    let (o, states) = check(&machine(&p, 3, &[]));
    assert_eq!(schedule(&o), ("G-STALE".into(), "1 0 0 s0.3 m0.2 s2.0 2 2 1".into()));
    assert_eq!(states, 7778);
}

#[test]
fn r355427_fixed_by_a_dsb_in_the_switch_or_by_pinning_verifies_at_two_and_three_cpus() {
    let p = arm64();
    for (opt, pins) in [("sched_switch_dsb", [732, 28250]), ("pin_flush", [1078, 39926])] {
        for (ncpu, want) in [2, 3].into_iter().zip(pins) {
            let (o, states) = check(&machine(&p, ncpu, &[(opt, "true")]));
            assert_eq!(o, Outcome::Verified, "{opt} at {ncpu} CPUs");
            assert_eq!(states, want, "{opt} at {ncpu} CPUs");
        }
    }
}

#[test]
fn the_declared_race_is_r355427_labelled_as_a_real_bug() {
    let p = arm64();
    let r = p.races.iter().find(|r| r.name == "R355427").expect("declared");
    assert_eq!(r.kind, RaceKind::Bug);
    assert!(r.cite.contains("r355427") && r.cite.contains("D22622"), "{}", r.cite);
}

const SMALL: &str = r#"model "switch points";
cpus 2..2 default 2;
vector V = 0x40;
shared x = 0;
handler V {
    x = 10;
    x = 11;
    eoi();
}
proc a() {
    x = 1;
    disable_interrupts();
    x = 2;
    enable_interrupts();
    critical_enter();
    x = 3;
    critical_exit();
    x = 4;
}
proc b() {
    x = 5;
}
proc kick() {
    send_ipi(bit(0), V);
}
scenario s { cpu 0: a(); cpu 1: kick(); thread 0: b(); }
"#;

#[test]
fn a_switch_is_enabled_exactly_at_thread_boundaries_with_if_set_and_no_critical_section() {
    let p = program(SMALL);
    let m = session(&p, 2, "s", &[]).into_machine();
    let (mut seen_on, mut seen_off_if, mut seen_off_crit, mut seen_off_handler) = (false, false, false, false);
    for s in reachable(&m) {
        let cpu = &s.cpus[0];
        let mut en = Vec::new();
        m.enabled(&s, &mut en);
        let queued = s.threads.iter().any(|t| t.cpu == 0);
        let switch = en.iter().any(|c| matches!(c, Choice::Switch(0, _)));
        let in_handler = cpu.stack.iter().any(|a| a.ctx != Ctx::Thread);
        let allowed = cpu.stack.is_empty() || (cpu.intr && cpu.crit == 0 && !in_handler);
        assert_eq!(switch, queued && allowed, "{s:?}");
        if queued && !cpu.stack.is_empty() {
            seen_on |= switch;
            seen_off_if |= !cpu.intr && !in_handler;
            seen_off_crit |= cpu.intr && cpu.crit > 0;
            seen_off_handler |= in_handler;
        }
        // The machine refuses the switch where it is not enabled, whoever asks.
        if queued && !allowed {
            let t = s.threads.iter().find(|t| t.cpu == 0).unwrap().id;
            let mut next = s.clone();
            let err = m.step(&mut next, Choice::Switch(0, t), &mut Vec::new()).unwrap_err();
            assert!(matches!(err.error, RunError::NotPossible { why: Refused::NotPreemptible, .. }), "{err:?}");
        }
    }
    assert!(seen_on && seen_off_if && seen_off_crit && seen_off_handler);
}

/// Where thread `t` is (the CPU that runs it or queues it) and its pin depth.
fn place(s: &State, t: u8) -> Option<(usize, u16)> {
    if let Some(c) = s.current.iter().position(|&x| x == t) {
        return Some((c, s.cpus[c].pin));
    }
    s.threads.iter().find(|q| q.id == t).map(|q| (q.cpu as usize, q.pin))
}

#[test]
fn a_pinned_thread_never_migrates() {
    let p = arm64();
    let m = machine(&p, 3, &[("pin_flush", "true")]);
    let (mut pinned_and_queued, mut moved_unpinned) = (0, 0);
    for s in reachable(&m) {
        let mut en = Vec::new();
        m.enabled(&s, &mut en);
        for t in s.threads.iter().filter(|t| t.pin > 0) {
            pinned_and_queued += 1;
            assert!(!en.iter().any(|c| matches!(c, Choice::Migrate(id, _) if *id == t.id)), "{s:?}");
            let mut next = s.clone();
            let to = (t.cpu + 1) % 3;
            let err = m.step(&mut next, Choice::Migrate(t.id, to), &mut Vec::new()).unwrap_err();
            assert!(matches!(err.error, RunError::NotPossible { why: Refused::Pinned, .. }), "{err:?}");
        }
        // Along every transition, a thread pinned before it is on the same CPU after it.
        for &ch in &en {
            let mut next = s.clone();
            m.step(&mut next, ch, &mut Vec::new()).expect("enabled");
            for t in 0..8u8 {
                if let (Some((c, pin)), Some((d, _))) = (place(&s, t), place(&next, t)) {
                    assert!(pin == 0 || c == d, "thread {t} pinned on CPU {c} is on CPU {d} after {ch}");
                    moved_unpinned += usize::from(c != d);
                }
            }
        }
    }
    assert!(pinned_and_queued > 0, "the unmapper is never preempted while pinned: the test shows nothing");
    assert!(moved_unpinned > 0, "no thread ever migrates: the test shows nothing");
}

#[test]
fn states_with_threads_encode_without_ambiguity() {
    let p = arm64();
    let mut words: HashMap<Vec<u32>, State> = HashMap::new();
    for s in reachable(&machine(&p, 3, &[])) {
        let w = assert_encoding_round_trips(&s);
        if let Some(other) = words.insert(w, s.clone()) {
            assert_eq!(other, s, "two states, one encoding");
        }
    }
}

#[test]
fn neither_symmetry_nor_por_reduce_a_scenario_with_threads() {
    let p = arm64();
    let m = machine(&p, 3, &[]);
    let sym = m.symmetry();
    let r = sym.refusal().expect("refused");
    let line = models::find("arm64-tlbi").unwrap().source.lines().position(|l| l.contains("thread 0:")).unwrap() + 1;
    assert!(r.starts_with(&format!("line {line}: the scenario queues threads")), "{r}");
    let full = Checker::new(m.clone(), Options { symmetry: false, ..Options::default() }).check();
    let por = Checker::new(m, Options { mode: checker::Mode::Dfs, por: true, ..Options::default() }).check();
    assert!(matches!(por.0, Outcome::Violation { .. }), "{:?}", por.0);
    assert!(por.1.states >= full.1.states, "POR pruned a configuration with threads");
}

#[test]
fn a_scenario_without_threads_never_switches() {
    for b in models::BUNDLED.iter().filter(|b| b.id != "arm64-tlbi") {
        let p = program(b.source);
        let m = Machine::new(p.clone(), Config::new(&p)).expect("machine");
        assert!(m.initial().threads.is_empty() && m.initial().current.is_empty(), "{}", b.id);
        assert!(!m.has_threads(), "{}", b.id);
    }
}

#[test]
fn bad_thread_entries_are_located_errors() {
    let base = "model \"t\";\ncpus 1..2 default 2;\naspace mm;\nproc f(a) { }\nscenario s { cpu 0: f(1); ENTRY }\n";
    for (entry, want) in [
        ("thread 2: f(1);", "thread on CPU 2"),
        ("thread 0: g(1);", "unknown procedure `g`"),
        ("thread 0: f();", "takes 1 argument"),
        ("thread 0: f(1); thread 0: f(1); thread 0: f(1); thread 0: f(1); thread 0: f(1); thread 0: f(1); thread 0: f(1); thread 0: f(1); thread 1: f(1);", "more than 8 queued threads"),
    ] {
        let (_, d) = compile(&base.replace("ENTRY", entry));
        assert!(d.iter().any(|d| d.message.contains(want) && d.span.line == 5), "{entry}: {d:?}");
    }
}

/// One CPU, two threads: B sees A's first window (x = 1) and, after it waits for z, A's
/// second window (z = 1; z = 2 lets B go on either way). Each window opens and closes with A running, so B gets into
/// each only by preempting A there: two preemptions. B's wait for z makes the switch
/// back to A free (a waiting thread is not preempted).
const TWO_WINDOWS: &str = include_str!("cases/two-windows.sdm");

fn check_bounded(m: &Machine, bound: Option<u8>) -> (Outcome, u64, Option<String>) {
    let c = Checker::new(m.clone(), Options { preemptions: bound, ..Options::default() });
    let words = c.preemption_words();
    let (o, pr) = c.check();
    common::replay::assert_replays(m, &o, "bounded");
    (o, pr.states, words)
}

#[test]
fn a_race_that_needs_two_preemptions_is_found_with_bound_two_and_not_with_one() {
    let p = program(TWO_WINDOWS);
    let m = session(&p, 1, "s", &[]).into_machine();
    let (o, states, words) = check_bounded(&m, Some(1));
    assert_eq!((o, states, words.as_deref()), (Outcome::Verified, 34, Some("with up to 1 preemption")));
    let (o, states, words) = check_bounded(&m, Some(2));
    assert_eq!(words.as_deref(), Some("with up to 2 preemptions"));
    assert_eq!(schedule(&o), ("assert".into(), "0 s0.1 0 s0.0 0 0 s0.1 0 0 0".into()));
    assert_eq!(states, 66);
    // Unbounded: the same shortest counterexample, over the states without a count.
    let (o2, states, words) = check_bounded(&m, None);
    assert_eq!((schedule(&o2), words.as_deref()), (schedule(&o), Some("with any number of preemptions")));
    assert_eq!(states, 39);
}

#[test]
fn r355427_needs_one_preemption_and_the_bound_is_part_of_the_state() {
    let p = arm64();
    // The switch away from the unmapper is free: it waits in its DSB (the TLBI is in
    // flight); the switch away from CPU 1's reader is the one preemption.
    let m = machine(&p, 2, &[]);
    let (o, states, words) = check_bounded(&m, Some(0));
    assert_eq!((o, states, words.as_deref()), (Outcome::Verified, 253, Some("with up to 0 preemptions")));
    let (o, states, _) = check_bounded(&m, Some(1));
    assert_eq!(schedule(&o), ("G-STALE".into(), "1 0 0 s0.2 m0.1 s1.0 1 1 s1.1 1".into()));
    assert_eq!(states, 830);
    // Without a bound the states are the first slice's (no count is kept).
    assert_eq!(check_bounded(&m, None).1, 1026);
}

#[test]
fn a_switch_past_the_bound_is_refused_and_a_switch_from_a_waiting_thread_is_free() {
    let p = program(TWO_WINDOWS);
    let m = session(&p, 1, "s", &[]).into_machine().with_preemption_bound(Some(0));
    let mut s = m.initial();
    let mut fx = Vec::new();
    let err = m.step(&mut s.clone(), Choice::Switch(0, 1), &mut fx).unwrap_err();
    assert!(matches!(err.error, RunError::NotPossible { why: Refused::PreemptionBound, .. }), "{err:?}");
    // A finishes; the idle CPU takes B (free); B waits for z, which A left at 0.
    for _ in 0..4 {
        m.step(&mut s, Choice::Step(0), &mut fx).expect("A steps");
    }
    m.step(&mut s, Choice::Switch(0, 1), &mut fx).expect("free switch from an idle CPU");
    assert_eq!(s.preemptions, 0);
}

/// A thread that loops (each test of `go` is a step) keeps the thread that would end the
/// loop off its CPU unless the scheduler preempts it; CPU 1 waits for that thread.
const BUSY: &str = r#"model "busy loop";
cpus 2..2 default 2;
shared go = 0;
shared done = 0;
shared n = 0;
proc a() {
    while (go == 0) {
        local t = n;
    }
}
proc w() {
    while (done == 0) { pause(); }
}
proc b() {
    go = 1;
    done = 1;
}
scenario s { cpu 0: a(); cpu 1: w(); thread 0: b(); }
"#;

#[test]
fn a_cycle_that_only_the_bound_keeps_going_is_no_lost_wake_up() {
    let p = program(BUSY);
    let m = session(&p, 2, "s", &[]).into_machine();
    for bound in [None, Some(0), Some(1)] {
        let (o, _, _) = check_bounded(&m, bound);
        assert_eq!(o, Outcome::Verified, "bound {bound:?}");
    }
}

/// A model with its own switch-in code: it records the address spaces it is given and
/// loads the next one, with an interrupt window (IF=1) in the middle.
const SWITCHER: &str = r#"model "switch-in";
cpus 2..2 default 2;
vector V = 0x40;
aspace mm1;
aspace mm2;
shared seen_prev = 9;
shared seen_next = 9;
shared hits = 0;
handler V {
    hits = 1;
    eoi();
}
/// Switch-in: which spaces?
proc sw(prev, next) {
    seen_prev = prev;
    enable_interrupts();
    disable_interrupts();
    if (next != -1) {
        load_cr3(next, 1);
    }
    seen_next = next;
}
shared ran = 0;
proc run() {
    ran = 1;
}
proc kick() {
    send_ipi(bit(0), V);
}
on_switch sw;
scenario s { cpu 0: run() in mm1; cpu 1: kick(); thread 0: run() in mm2; thread 0: run(); }
"#;

#[test]
fn a_switch_runs_the_models_on_switch_code_with_prev_and_next_and_interrupts_off() {
    let p = program(SWITCHER);
    let m = session(&p, 2, "s", &[]).into_machine();
    let mm = |n: &str| p.aspaces.iter().position(|a| a == n).unwrap() as i32;
    let mut s = m.initial();
    let mut fx = Vec::new();
    // Thread 2 (in mm2) preempts thread 0 (in mm1) before it starts.
    m.step(&mut s, Choice::Switch(0, 2), &mut fx).expect("switch");
    assert!(fx.iter().any(|e| matches!(e, Effect::Call { cpu: 0, .. })), "{fx:?}");
    let cpu = &s.cpus[0];
    assert_eq!((cpu.intr, cpu.ctx()), (false, Some(Ctx::Switch)));
    assert_eq!(
        m.cursor(&s, 0),
        Some(SWITCHER.lines().position(|l| l.contains("seen_prev = prev")).unwrap() as u32 + 1)
    );
    let mut en = Vec::new();
    m.enabled(&s, &mut en);
    assert!(!en.iter().any(|c| matches!(c, Choice::Switch(0, _))), "no switch inside the switch path: {en:?}");
    m.step(&mut s, Choice::Step(0), &mut fx).expect("seen_prev");
    m.step(&mut s, Choice::Step(0), &mut fx).expect("sti");
    // CPU 1's IPI arrives in the window the switch code opened: delivered, no switch.
    m.step(&mut s, Choice::Step(1), &mut fx).expect("send");
    m.enabled(&s, &mut en);
    assert!(en.contains(&Choice::Irq(0, 0)) && !en.iter().any(|c| matches!(c, Choice::Switch(0, _))), "{en:?}");
    m.step(&mut s, Choice::Irq(0, 0), &mut fx).expect("irq");
    for _ in 0..2 {
        m.step(&mut s, Choice::Step(0), &mut fx).expect("handler");
    }
    for _ in 0..3 {
        m.step(&mut s, Choice::Step(0), &mut fx).expect("switch code");
    }
    let word =
        |s: &State, name: &str| s.mem[m.vars()[p.vars.iter().position(|v| v.name == name).unwrap()].base as usize];
    assert_eq!((word(&s, "seen_prev"), word(&s, "seen_next"), word(&s, "hits")), (mm("mm1"), mm("mm2"), 1));
    let cpu = &s.cpus[0];
    assert_eq!((cpu.intr, cpu.ctx()), (true, Some(Ctx::Thread)), "back in thread 2 with IF=1");
    assert_eq!(i32::from(cpu.aspace), mm("mm2"));
    // The kernel thread (3) gets next = -1, and mm2 stays loaded (lazy).
    m.step(&mut s, Choice::Switch(0, 3), &mut fx).expect("switch to the kernel thread");
    for _ in 0..5 {
        m.step(&mut s, Choice::Step(0), &mut fx).expect("switch code");
    }
    assert_eq!((word(&s, "seen_prev"), word(&s, "seen_next"), i32::from(s.cpus[0].aspace)), (mm("mm2"), -1, mm("mm2")));
}

#[test]
fn bad_on_switch_declarations_and_thread_spaces_are_located_errors() {
    let base = "model \"t\";\ncpus 1..2 default 2;\naspace mm;\nproc f(a) { }\nproc g(a, b) { }\nITEM\nscenario s { cpu 0: f(1); ENTRY }\n";
    for (item, entry, want, line) in [
        ("", "thread 0: f(1) in mm;", "declares no `on_switch` procedure", 7),
        ("on_switch g;", "thread 0: f(1) in nope;", "`nope` is not an address space", 7),
        ("on_switch f;", "", "takes 1 parameter(s); a context switch passes two", 6),
        ("on_switch h;", "", "no procedure `h`", 6),
        ("on_switch g; on_switch g;", "", "`on_switch` is declared twice", 6),
    ] {
        let (_, d) = compile(&base.replace("ITEM", item).replace("ENTRY", entry));
        assert!(d.iter().any(|d| d.message.contains(want) && d.span.line == line), "{item} {entry}: {d:?}");
    }
    let ok = base.replace("ITEM", "on_switch g;").replace("ENTRY", "thread 0: f(1) in mm;");
    assert!(compile(&ok).1.is_empty());
}

fn linux() -> std::sync::Arc<Program> {
    program(models::find("linux").expect("bundled").source)
}

/// Linux's scheduler-driven races (context_switch as the model's `on_switch` code): each
/// found with its shortest counterexample, none within 0 preemptions, and the real code
/// verified. (scenario, options of the race, schedule, states; states within bound 0;
/// the fix's options and states.)
#[test]
fn linux_switch_path_races_are_found_and_their_fixes_verify() {
    let p = linux();
    type Opts<'a> = &'a [(&'a str, &'a str)];
    let cases: [(&str, Opts, &str, u64, u64, Opts, u64); 3] = [
        (
            "sched_switch",
            &[("switching_sentinel", "false")],
            "1 0 0 s1.2 1 1 1 1 1 s1.1 1 1 1 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 1 1 1",
            31202,
            1977,
            &[],
            188808,
        ),
        (
            "sched_lazy",
            &[("lazy_tlb", "true"), ("lazy_gen_check", "false")],
            "1 0 0 0 0 0 0 0 s1.2 1 0 0 0 0 0 0 0 0 0 s1.1 1 1 1 1 1 1 1 1 1",
            20294,
            1755,
            &[("lazy_tlb", "true")],
            93590,
        ),
        (
            "sched_migrate",
            &[("use_invlpgb", "true"), ("cant_migrate", "false")],
            "1 0 0 0 s0.2 m0.1 s1.0 1 1 1 s1.1 1 1",
            6364,
            799,
            &[("use_invlpgb", "true")],
            39633,
        ),
    ];
    for (sc, opts, want, states, bound0, fix, fixed) in cases {
        let m = session(&p, 2, sc, opts).into_machine();
        let (o, n, _) = check_bounded(&m, None);
        assert_eq!(schedule(&o), ("G-STALE".into(), want.into()), "{sc}");
        assert!(matches!(&o, Outcome::Violation { message, .. } if message.contains("stale TLB entry")), "{o:?}");
        assert_eq!(n, states, "{sc}");
        let (o, n, words) = check_bounded(&m, Some(0));
        assert_eq!((o, n, words.as_deref()), (Outcome::Verified, bound0, Some("with up to 0 preemptions")), "{sc}");
        let m = session(&p, 2, sc, fix).into_machine();
        let (o, n, _) = check_bounded(&m, None);
        assert_eq!((o, n), (Outcome::Verified, fixed), "{sc} fixed");
    }
}

#[test]
fn the_linux_scheduler_races_are_labelled() {
    let p = linux();
    let kind = |n: &str| p.races.iter().find(|r| r.name == n).map(|r| (r.kind, r.cite.clone())).expect(n);
    assert!(
        matches!(kind("LX1_sched"), (RaceKind::Bug, c) if c.contains("CVE-2025-37964") && c.contains("fea4e317f9e7"))
    );
    assert!(matches!(kind("LXL_sched"), (RaceKind::Mutation, c) if c.contains("switch_mm_irqs_off")));
    assert!(matches!(kind("INVLPGB_sched"), (RaceKind::Mutation, c) if c.contains("cant_migrate")));
}

/// FreeBSD's scheduler-driven races (cpu_switch → pmap_activate_sw as the model's
/// `on_switch` code), as for Linux above.
#[test]
fn freebsd_activation_races_are_found_and_their_fixes_verify() {
    let p = scoreboard();
    type Opts<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Opts, &str, u64, u64, Opts, u64); 2] = [
        (
            &[("activate_bit_first", "false"), ("hw_speculative_fill", "true")],
            "s1.2 1 1 1 1 s1.1 1 1 f1.0 0 0 0 0 0 0 1 1 1",
            40532,
            8724,
            &[("hw_speculative_fill", "true")],
            114950,
        ),
        (
            &[("pcid", "true"), ("pm_gen_late", "true")],
            "1 0 0 s1.2 1 1 1 0 0 1 s1.1 1 1 1 0 0 0 1 1 1",
            13146,
            1696,
            &[("pcid", "true")],
            102749,
        ),
    ];
    for (opts, want, states, bound0, fix, fixed) in cases {
        let m = session(&p, 2, "sched_switch", opts).into_machine();
        let (o, n, _) = check_bounded(&m, None);
        assert_eq!((schedule(&o), n), (("G-STALE".into(), want.into()), states), "{opts:?}");
        assert!(matches!(&o, Outcome::Violation { message, .. } if message.contains("stale TLB entry")), "{o:?}");
        let (o, n, _) = check_bounded(&m, Some(0));
        assert_eq!((o, n), (Outcome::Verified, bound0), "{opts:?} within 0 preemptions");
        let m = session(&p, 2, "sched_switch", fix).into_machine();
        assert_eq!(check_bounded(&m, None).0, Outcome::Verified, "{fix:?}");
        assert_eq!(check_bounded(&m, None).1, fixed, "{fix:?}");
    }
    let kind = |n: &str| p.races.iter().find(|r| r.name == n).map(|r| r.kind).expect(n);
    assert_eq!((kind("E5_sched"), kind("E3_sched")), (RaceKind::Mutation, RaceKind::Bug));
}

/// The activation and migration races of issue #14 written as model text (P1_unpinned,
/// E3_unpinned, M_A4_sched, R4_sched): each found with its shortest counterexample, none within 0
/// preemptions, each within 1, and the kernel's code verified with any number of
/// preemptions.
#[test]
fn activation_and_migration_races_need_the_scheduler_and_their_fixes_verify() {
    type Opts<'a> = &'a [(&'a str, &'a str)];
    /// (model, scenario, race, the race's options, schedule, states)
    type Found<'a> = (&'a str, &'a str, &'a str, Opts<'a>, &'a str, u64);
    /// (states within bound 0, within bound 1, the fix's options, its states)
    type Bounds<'a> = (u64, u64, Opts<'a>, u64);
    let cases: [(Found, Bounds); 4] = [
        (
            (
                "freebsd-scoreboard",
                "sched_migrate",
                "P1_unpinned",
                &[("pin_preipi", "false")],
                "0 0 m2.1 s1.2 1 1 1 0 1 s0.3 m0.1 s1.0 1 1 1 1 1 1 0",
                15551,
            ),
            (2138, 4444, &[], 36906),
        ),
        (
            (
                "freebsd-scoreboard",
                "sched_migrate",
                "E3_unpinned",
                &[("pcid", "true"), ("pin_preipi", "false")],
                "0 0 0 0 s0.2 0 0 0 0 s0.3 0 m0.1 s1.0 1 0 0 0 0 1 1 0",
                33090,
            ),
            (2663, 6588, &[("pcid", "true")], 103691),
        ),
        (
            (
                "mach",
                "sched_switch",
                "M_A4_sched",
                &[("activate_using_locked", "false")],
                "0 0 s1.2 1 1 s1.1 1 1 1 1 1 0 0 0 0 1 1 0 0 0 0 0 1",
                6266,
            ),
            (694, 1116, &[], 43394),
        ),
        (
            (
                "dragonfly",
                "sched_switch",
                "R4_sched",
                &[("switch_interlock", "false")],
                "0 0 0 0 s1.2 1 0 0 0 0 1 s1.1 1 1 1 0 0 0 0 0 0 0 0 0 1",
                5110,
            ),
            (2387, 1328, &[], 67320),
        ),
    ];
    for ((model, sc, race, opts, want, states), (bound0, bound1, fix, fixed)) in cases {
        let p = program(models::find(model).expect("bundled").source);
        let r = p.races.iter().find(|r| r.name == race).expect(race);
        assert_eq!((r.kind, p.scenarios[r.scenario].name.as_str(), r.cpus), (RaceKind::Mutation, sc, 2), "{race}");
        let m = session(&p, 2, sc, opts).into_machine();
        let (o, n, _) = check_bounded(&m, None);
        assert_eq!((schedule(&o), n), (("G-STALE".into(), want.into()), states), "{race}");
        assert!(matches!(&o, Outcome::Violation { message, .. } if message.contains("stale TLB entry")), "{o:?}");
        let (o, n, words) = check_bounded(&m, Some(0));
        assert_eq!((o, n, words.as_deref()), (Outcome::Verified, bound0, Some("with up to 0 preemptions")), "{race}");
        let (o, n, _) = check_bounded(&m, Some(1));
        assert_eq!(schedule(&o).0, "G-STALE", "{race} within 1 preemption");
        assert_eq!(n, bound1, "{race} within 1 preemption");
        let m = session(&p, 2, sc, fix).into_machine();
        assert_eq!(check_bounded(&m, None).0, Outcome::Verified, "{race} fixed");
        assert_eq!(check_bounded(&m, None).1, fixed, "{race} fixed");
    }
}

/// DragonFly's switch between two threads of one process (CR3_sched): cpu_heavy_switch
/// clears the CPU's pm_active bit even then, so skipping the CR3 reload when CR3 is
/// unchanged leaves a stale entry. The race needs a switch but no preemption (the first
/// thread may end), so it is found within 0 preemptions too; the unconditional reload
/// verifies with any number.
#[test]
fn a_dragonfly_switch_that_keeps_an_unchanged_cr3_is_found_without_preemption() {
    let p = program(models::find("dragonfly").expect("bundled").source);
    let r = p.races.iter().find(|r| r.name == "CR3_sched").expect("CR3_sched");
    assert_eq!((r.kind, p.scenarios[r.scenario].name.as_str()), (RaceKind::Mutation, "sched_same"));
    let m = session(&p, 2, "sched_same", &[("switch_reload_cr3", "false")]).into_machine();
    let (o, n, _) = check_bounded(&m, None);
    assert_eq!(
        (schedule(&o), n),
        (("G-STALE".into(), "0 0 0 0 1 s1.2 1 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 1".into()), 9112)
    );
    assert!(matches!(&o, Outcome::Violation { message, .. } if message.contains("stale TLB entry")), "{o:?}");
    let (o, n, _) = check_bounded(&m, Some(0));
    assert_eq!((schedule(&o).1.split(' ').count(), n), (24, 495));
    let m = session(&p, 2, "sched_same", &[]).into_machine();
    assert_eq!(check_bounded(&m, None).0, Outcome::Verified);
    assert_eq!(check_bounded(&m, None).1, 132623);
}
