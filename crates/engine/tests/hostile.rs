//! Hostile input (issue #12): whatever a user types, pastes or links, the engine answers
//! with located diagnostics of bounded size, or `Err`/`None`, and never panics, wraps a
//! size around or overflows the stack. The page runs the engine in wasm with a stack of
//! about 1 MB, so the deep cases run in a thread with far less.
//!
//! Inputs the model fuzzer (`sdlab fuzz-model`) found are in `tests/hostile/`; each must
//! compile or be refused without a panic, with bounded diagnostics.

mod common;
use sdlab_engine::checker::{Checker, Mode, Options, Outcome};
use sdlab_engine::diag::MAX_DIAGNOSTICS;
use sdlab_engine::*;
use std::sync::Arc;

/// Stack of the thread the deep cases run in: well under the page's.
const SMALL_STACK: usize = 256 * 1024;

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(SMALL_STACK).spawn(f).expect("thread").join().expect("no stack overflow")
}

/// The diagnostics of text that must not compile; each is short, and there are few.
fn refused(src: &str) -> Vec<Diagnostic> {
    let (p, d) = compile(src);
    assert!(p.is_none(), "should not compile");
    assert!(!d.is_empty() && d.len() <= MAX_DIAGNOSTICS, "{} diagnostics", d.len());
    for x in &d {
        assert!(x.message.chars().count() <= 301, "long message: {}", x.message);
    }
    d
}

fn has(d: &[Diagnostic], line: u32, col: u32, text: &str) -> bool {
    d.iter().any(|x| x.span.line == line && x.span.col == col && x.message.contains(text))
}

const HEAD: &str = "model \"m\";\n";
const TAIL: &str = "proc f() { }\nscenario s { cpu 0: f(); }\n";

// ---- 1. sizes and layout ---------------------------------------------------------

#[test]
fn array_size_product_does_not_wrap() {
    // 65536 x 65536 is 2^32 words, 0 in 32-bit arithmetic.
    let d = refused(&format!("{HEAD}shared x[65536][65536] = 0;\n{TAIL}"));
    assert!(has(&d, 2, 8, "`x` takes 4294967296 words; shared memory holds 65536"), "{d:?}");
    // Another variable after it used to alias x[0][0].
    let d = refused(&format!("{HEAD}shared x[65536][65536] = 0;\nshared y = 7;\n{TAIL}"));
    assert!(has(&d, 2, 8, "4294967296 words"), "{d:?}");
    // Each array fits, together they do not.
    let d = refused(&format!("{HEAD}shared a[40000];\nshared b[40000];\n{TAIL}"));
    assert!(has(&d, 3, 8, "with `b`, the variables take 80000 words; shared memory holds 65536"), "{d:?}");
    // A per-CPU array: the CPU count is a dimension too.
    let d = refused(&format!("{HEAD}cpus 2..4;\npercpu p[30000];\n{TAIL}"));
    assert!(has(&d, 3, 8, "`p` takes 90000 words") && d[0].message.contains("at 3 CPUs"), "{d:?}");
    let d = refused(&format!("{HEAD}const K = 1 / 0;\nshared z[K];\n{TAIL}"));
    assert!(has(&d, 2, 7, "constant `K`: division by zero"), "{d:?}");
    let d = refused(&format!("{HEAD}shared z[0];\n{TAIL}"));
    assert!(has(&d, 2, 8, "`z` has size 0; sizes run from 1 to 65536"), "{d:?}");
}

#[test]
fn machine_refuses_a_layout_that_depends_on_an_option() {
    let p = common::program(&format!("{HEAD}option n = 4;\nshared a[n][n];\n{TAIL}"));
    let mut cfg = Config::new(&p);
    cfg.set(&p, "n", "65536").expect("any word");
    let e = Machine::new(p.clone(), cfg).expect_err("too large");
    assert_eq!(e.to_string(), "line 3: `a` takes 4294967296 words; shared memory holds 65536");
}

#[test]
fn three_dimensional_array_is_a_declaration_error() {
    let src = format!("{HEAD}shared q[2][2][2];\nproc f() {{ q[1][1][1] = 1; }}\nscenario s {{ cpu 0: f(); }}\n");
    let d = refused(&src);
    assert!(has(&d, 2, 8, "arrays have at most two dimensions"), "{d:?}");
    assert!(has(&d, 3, 12, "`q` takes 2 index(es), 3 given"), "{d:?}");
}

// ---- 2. depth --------------------------------------------------------------------

#[test]
fn long_operator_chain_is_refused_on_a_small_stack() {
    // About 120 KB: `1 + 1 + ...` parses without recursion but builds a left-deep tree.
    let d = on_small_stack(|| {
        let chain = vec!["1"; 30_000].join(" + ");
        refused(&format!("{HEAD}proc f() {{ local a = {chain}; }}\nscenario s {{ cpu 0: f(); }}\n"))
    });
    assert!(has(&d, 2, 22, "expression too deep: more than 128 operators"), "{d:?}");
    assert_eq!(d.len(), 1, "{d:?}");
}

#[test]
fn deep_nesting_is_refused_on_a_small_stack() {
    let d = on_small_stack(|| {
        let n = 20_000;
        let parens = format!("{}1{}", "(".repeat(n), ")".repeat(n));
        refused(&format!("{HEAD}proc f() {{ local a = {parens}; }}\nscenario s {{ cpu 0: f(); }}\n"))
    });
    assert!(d.iter().any(|x| x.span.line == 2 && x.message.contains("nesting limit reached")), "{d:?}");
    let d = on_small_stack(|| {
        let neg = "-".repeat(50_000);
        refused(&format!("{HEAD}proc f() {{ local a = {neg}1; }}\nscenario s {{ cpu 0: f(); }}\n"))
    });
    assert!(d.iter().any(|x| x.span.line == 2 && x.message.contains("nesting limit reached")), "{d:?}");
    let d = on_small_stack(|| {
        let ifs = "if (1) ".repeat(20_000);
        refused(&format!("{HEAD}proc f() {{ {ifs} pause(); }}\nscenario s {{ cpu 0: f(); }}\n"))
    });
    assert!(d.iter().any(|x| x.span.line == 2 && x.message.contains("nesting limit reached")), "{d:?}");
    // Right-deep: `1 + (1 + (1 + ...))` within the nesting limit, beyond the operand stack.
    let d = on_small_stack(|| {
        let n = 60;
        let e = format!("{}1{}", "1 + (".repeat(n), ")".repeat(n));
        refused(&format!("{HEAD}proc f() {{ local a = {e}; }}\nscenario s {{ cpu 0: f(); }}\n"))
    });
    assert!(has(&d, 2, 22, "expression too large"), "{d:?}");
}

#[test]
fn deepest_accepted_program_runs_on_a_small_stack() {
    // Just inside both budgets: statements nested 40 deep around a 120-high chain.
    on_small_stack(|| {
        let chain = vec!["a"; 120].join(" + ");
        let body = format!("{}local b = {chain};{}", "if (a == 0) { ".repeat(40), " }".repeat(40));
        let src = format!("{HEAD}proc f() {{ local a = 0; {body} }}\nscenario s {{ cpu 0: f(); }}\n");
        let p = common::program(&src);
        let mut s = Session::new(Machine::new(p, Config::new(&common::program(&src))).expect("machine"));
        while s.step_seeded(1).is_some() {}
        assert!(s.state().cpus[0].stack.is_empty());
    });
}

// ---- 3. bounded diagnostics --------------------------------------------------------

#[test]
fn a_line_of_junk_is_one_error() {
    let d = refused(&format!("{HEAD}{}\n{TAIL}", "}".repeat(20_000)));
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(has(&d, 2, 1, "expected a declaration"), "{d:?}");
    let d = refused(&format!("{HEAD}{}\n{TAIL}", ";".repeat(64 * 1024)));
    assert_eq!(d.len(), 1, "{d:?}");
    let d = refused(&format!("{HEAD}proc g() {{ {} }}\n{TAIL}", ";".repeat(64 * 1024)));
    assert_eq!(d.len(), 1, "{d:?}");
    // An error in a race: its fields `cpus` and `scenario` are not declarations.
    let race = "race r \"t\" { set x = 9y; cpus 3; scenario s; expect assert; }\n";
    let d = refused(&format!("{HEAD}{TAIL}{race}shared z;\n"));
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(has(&d, 4, 22, "malformed number `9y`"), "{d:?}");
    // Junk, then a good item, then junk again: two errors.
    let d = refused(&format!("{HEAD}}}}}}}\nshared x;\n))))\n{TAIL}"));
    assert_eq!(d.iter().map(|x| x.span.line).collect::<Vec<_>>(), [2, 4], "{d:?}");
}

#[test]
fn many_errors_are_capped_with_a_count() {
    // One error per statement, 5000 statements.
    let body = "x = 1;\n".repeat(5000);
    let d = refused(&format!("{HEAD}proc g() {{\n{body}}}\n{TAIL}"));
    assert_eq!(d.len(), MAX_DIAGNOSTICS);
    assert_eq!(d.last().map(|x| x.message.as_str()), Some("and 4951 more errors after this one (fix these first)"));
    assert!(has(&d, 3, 1, "unknown variable `x`"), "{d:?}");
}

#[test]
fn a_long_name_is_cut_in_messages() {
    let name = "n".repeat(100_000);
    let d = refused(&format!("{HEAD}proc g() {{ {name} = 1; }}\n{TAIL}"));
    assert!(has(&d, 2, 12, "unknown variable `nnn"), "{d:?}");
    assert!(d[0].message.ends_with('…'));
    let digits = "9".repeat(100_000);
    let d = refused(&format!("{HEAD}const K = {digits};\n{TAIL}"));
    assert!(has(&d, 2, 11, "does not fit in a 32-bit word"), "{d:?}");
}

#[test]
fn columns_on_a_long_line_are_exact_and_linear() {
    // 800 KB on one line: columns were counted from the line start for every token,
    // which took minutes here (not timed: a quadratic count shows as a test that hangs).
    let line = "shared a; ".repeat(80_000);
    let d = refused(&format!("{HEAD}{line}@\n{TAIL}"));
    // `a` declared twice at column 18, and the `@` after 800 000 characters.
    assert!(has(&d, 2, 18, "`a` is declared twice"), "{d:?}");
    let (p, d) = compile(&format!("{HEAD}const é = 1; @\n"));
    assert!(p.is_none());
    assert!(has(&d, 2, 7, "unexpected character `é`"), "{d:?}");
}

#[test]
fn quoted_conditions_are_cut() {
    let name = "v".repeat(10_000);
    let src = format!("{HEAD}proc f() {{ local {name} = 1; assert({name} == 2); }}\nscenario s {{ cpu 0: f(); }}\n");
    let p = common::program(&src);
    let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
    let v = s.step(Choice::Step(0)).expect("step").violation.clone().expect("violation");
    assert_eq!(v.message.chars().count(), 201);
    assert!(v.message.starts_with("assertion `vvv") && v.message.ends_with('…'));
}

#[test]
fn oversized_text_is_refused_at_once() {
    let big = " ".repeat(lang::compile::MAX_SOURCE_BYTES + 1);
    let d = refused(&big);
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].span.line, d[0].span.col), (1, 1));
}

// ---- 4. reports that mislead ---------------------------------------------------------

const LOCAL_ASSERT: &str = "model \"m\";\nproc f() {\n  local a = 1;\n  assert(a == 2, \"a is 2\");\n}\nscenario s { cpu 0: f(); cpu *: idle; }\n";

#[test]
fn a_failing_assertion_over_locals_is_a_violation() {
    let p = common::program(LOCAL_ASSERT);
    let m = Machine::new(p.clone(), Config::new(&p)).expect("a machine: the assertion waits for its step");
    let mut s = Session::new(m);
    let e = s.step(Choice::Step(0)).expect("the assertion's step");
    let v = e.violation.as_ref().expect("violation");
    assert_eq!((v.property, v.message.as_str(), e.line), (Property::Assert, "a is 2", 4));
    for mode in [Mode::Bfs, Mode::Dfs] {
        let m = Machine::new(p.clone(), Config::new(&p)).expect("machine");
        let (out, _) = Checker::new(m, Options { mode, ..Options::default() }).check();
        match out {
            Outcome::Violation { property, message, schedule, .. } => {
                assert_eq!((property.code(), message.as_str()), ("assert", "a is 2"));
                assert_eq!(schedule, ["0"]);
            }
            other => panic!("{mode:?}: {other:?}"),
        }
    }
}

#[test]
fn a_local_assertion_after_a_step_is_a_violation() {
    let src = "model \"m\";\nshared x = 0;\nproc f() {\n  x = 1;\n  local a = 2;\n  assert(a == 3);\n}\nscenario s { cpu 0: f(); cpu *: idle; }\n";
    let p = common::program(src);
    let (out, _) = Checker::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"), Options::default()).check();
    assert!(
        matches!(&out, Outcome::Violation { property, message, .. } if *property == Property::Assert && message == "assertion `a == 3` failed"),
        "{out:?}"
    );
}

#[test]
fn out_of_range_options_are_refused_by_name() {
    let src = format!("{HEAD}option hw_nmi = 0;\noption hw_ipi_loss = 0;\noption flag = false;\nnmi {{ }}\n{TAIL}");
    let p = common::program(&src);
    let mut cfg = Config::new(&p);
    assert_eq!(
        cfg.set(&p, "hw_nmi", "99999").map_err(|e| e.to_string()),
        Err("option `hw_nmi` takes 0 to 255, not 99999".into())
    );
    assert_eq!(
        cfg.set(&p, "hw_nmi", "-5").map_err(|e| e.to_string()),
        Err("option `hw_nmi` takes 0 to 255, not -5".into())
    );
    assert_eq!(
        cfg.set(&p, "hw_ipi_loss", "256").map_err(|e| e.to_string()),
        Err("option `hw_ipi_loss` takes 0 to 255, not 256".into())
    );
    assert_eq!(
        cfg.set(&p, "flag", "2").map_err(|e| e.to_string()),
        Err("option `flag` is true or false, not 2".into())
    );
    assert_eq!(cfg.options, [0, 0, 0], "a refused value is not kept");
    cfg.set(&p, "hw_nmi", "255").expect("in range");
    // A configuration built by hand is checked by the machine.
    let mut bad = Config::new(&p);
    bad.options[0] = 99_999;
    assert_eq!(
        Machine::new(p.clone(), bad).err().map(|e| e.to_string()),
        Some("option `hw_nmi` takes 0 to 255, not 99999".into())
    );
}

#[test]
fn out_of_range_declarations_are_located() {
    let d = refused(&format!("{HEAD}cpus 1..64;\n{TAIL}"));
    assert!(has(&d, 2, 1, "`cpus 1..64 default 1`: the machine has 1 to 32 CPUs"), "{d:?}");
    let d = refused(&format!("{HEAD}cpus 4..2;\n{TAIL}"));
    assert!(has(&d, 2, 1, "the range runs low to high"), "{d:?}");
    let d = refused(&format!("{HEAD}option hw_nmi = 300;\nnmi {{ }}\n{TAIL}"));
    assert!(has(&d, 2, 8, "option `hw_nmi` is 300, but it takes 0 to 255"), "{d:?}");
    let race = "race r \"t\" { set hw_nmi = 999; expect assert; }\n";
    let d = refused(&format!("{HEAD}option hw_nmi = 0;\nnmi {{ }}\n{TAIL}{race}"));
    assert!(has(&d, 6, 18, "race `r`: option `hw_nmi` is 999, but it takes 0 to 255"), "{d:?}");
    let d = refused(&format!("{HEAD}frames 99999;\n{TAIL}"));
    assert!(has(&d, 2, 1, "`frames` takes a number from 0 to 64"), "{d:?}");
    let d = refused(&format!("{HEAD}proc f() {{ }}\nscenario s {{ cpu 0..2147483647: f(); }}\n"));
    assert!(has(&d, 3, 14, "CPU numbers run from 0 to 31"), "{d:?}");
    let race = "race r \"t\" { cpus 40; expect assert; }\n";
    let d = refused(&format!("{HEAD}{TAIL}{race}"));
    assert!(has(&d, 4, 6, "race `r`: 40 CPUs, but the model runs on 2 to 8"), "{d:?}");
}

// ---- 5. indices from outside --------------------------------------------------------

fn three_cpus() -> (Arc<Program>, Machine) {
    let p = common::scoreboard();
    let mut cfg = Config::new(&p);
    cfg.ncpu = 3;
    let m = Machine::new(p.clone(), cfg).expect("machine");
    (p, m)
}

#[test]
fn queries_about_a_missing_cpu_answer_none() {
    let (_, m) = three_cpus();
    let s = m.initial();
    assert!(m.wait(&s, 7).is_none());
    assert!(!m.spinning(&s, 7));
    assert!(m.cursor(&s, 7).is_none());
}

#[test]
fn choices_that_name_nothing_are_errors() {
    let (_, m) = three_cpus();
    let mut sess = Session::new(m);
    for c in [
        Choice::Step(7),
        Choice::Step(255),
        Choice::Irq(0, 200),
        Choice::Irq(9, 0),
        Choice::Fill(0, 9999),
        Choice::Nmi(0),
        Choice::Nmi(200),
        Choice::Drain(0),
        Choice::Bcast(0, 200),
        Choice::Lose(0, 40),
        Choice::Lose(0, 255),
    ] {
        let f = sess.step(c).expect_err("not possible");
        assert!(matches!(f.error, RunError::NotPossible { choice, .. } if choice == c), "{c}: {f}");
        assert!(f.to_string().contains(&format!("choice {c} is not possible now: ")), "{c}: {f}");
    }
    assert_eq!(sess.steps(), 0);
}

#[test]
fn schedule_text_with_huge_numbers_is_an_error() {
    for t in [
        "99999999999999999999",
        "i1.99999",
        "f300.1",
        "b1.256",
        "l1.9999999999",
        "n256",
        "d-1",
        "i",
        "é",
        "s0.256",
        "m256.1",
        "s0",
        "m",
    ] {
        assert!(t.parse::<Choice>().is_err(), "{t}");
    }
    assert_eq!(
        schedule::parse("0 1 i1.0 184467440737095516150").map_err(|e| e.to_string()),
        Err("schedule item 4: `184467440737095516150` is not a schedule step (expected e.g. 2, i1.0, f0.3, n1, d1, b1.0, l1.0, s0.2, m2.1 or c0.2)".into())
    );
}

#[test]
fn configuration_indices_are_checked() {
    let (p, _) = three_cpus();
    let cfg = Config { scenario: 99, ..Config::new(&p) };
    assert_eq!(
        Machine::new(p.clone(), cfg).err().map(|e| e.to_string()),
        Some("no scenario number 99 (the model has 6)".into())
    );
    let cfg = Config { options: vec![], ..Config::new(&p) };
    assert!(Machine::new(p.clone(), cfg).is_err());
    let cfg = Config { ncpu: 33, ..Config::new(&p) };
    assert!(Machine::new(p.clone(), cfg).is_err());
    let mut short = Config { options: vec![], ..Config::new(&p) };
    assert!(short.set(&p, "rescan", "true").is_err());
}

#[test]
fn a_session_of_large_states_stops_at_its_memory_budget() {
    // Every state holds 65 536 words: 200 000 snapshots would take 50 GB.
    let src =
        format!("{HEAD}shared big[65536];\nproc f() {{ while (1) {{ big[0] = 1; }} }}\nscenario s {{ cpu 0: f(); }}\n");
    let p = common::program(&src);
    let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
    let fault = loop {
        match s.step(Choice::Step(0)) {
            Ok(_) => continue,
            Err(f) => break f,
        }
    };
    assert_eq!(s.steps(), 1020);
    assert_eq!(fault.error, RunError::HistoryFull { snapshots: 1021, mb: 255, state_kb: 256 });
    assert_eq!(
        fault.error.to_string(),
        "the run's 1021 snapshots take 255 MB, the most a session keeps (states of this model are 256 KB)"
    );
    // Stepping back frees room for a step again.
    assert!(s.back());
    s.step(Choice::Step(0)).expect("room for one step");
}

// ---- 6. the state encoding (issue #20) ----------------------------------------------

fn recursion(depth: u32) -> Arc<Program> {
    // 2001 locals per activation: 33 of them exceed the 16-bit count of the encoding.
    recursion_of(2001, depth)
}

/// `r` with `n` locals recursing until `depth` calls have been made (`depth + 1`
/// activations).
fn recursion_of(n: usize, depth: u32) -> Arc<Program> {
    let locals: String = (0..n - 1).map(|i| format!("local v{i} = {i};\n")).collect();
    common::program(&format!(
        "model \"m\";\nshared depth = 0;\nproc r() {{\n{locals}local d = fetch_add(depth, 1);\nif (d < {depth}) {{ r(); }}\n}}\nscenario s {{ cpu 0: r(); cpu *: idle; }}\n"
    ))
}

#[test]
fn recursion_just_below_the_locals_bound_round_trips() {
    // 32 activations of 2001 locals: 64 032, within the 16-bit count.
    let p = recursion(31);
    let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
    while s.step_seeded(0).is_some_and(|r| r.is_ok()) {
        common::assert_encoding_round_trips(s.state());
    }
    assert_eq!(s.steps(), 32);
    for mode in [Mode::Bfs, Mode::Dfs] {
        let m = Machine::new(p.clone(), Config::new(&p)).expect("machine");
        let (out, progress) = Checker::new(m, Options { mode, ..Options::default() }).check();
        assert_eq!(out, Outcome::Verified, "{mode:?}");
        assert_eq!(progress.states, 33, "{mode:?}");
    }
}

/// The bound is exact: 51 activations of 1285 locals are 65 535, the most the encoding
/// counts, and run; a 52nd activation is the fault.
#[test]
fn the_locals_bound_admits_exactly_65535() {
    for (depth, fits) in [(50, true), (51, false)] {
        let p = recursion_of(1285, depth);
        let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
        let mut last = None;
        while let Some(r) = s.step_seeded(0) {
            last = Some(r.map(|_| ()).map_err(|f| f.to_string()));
            if last.as_ref().is_some_and(|r| r.is_err()) {
                break;
            }
        }
        match last {
            Some(Ok(())) if fits => assert_eq!(s.state().cpus[0].locals.len(), 0, "the recursion returned"),
            Some(Err(e)) if !fits => assert!(e.contains("more than 65535 locals"), "{e}"),
            other => panic!("depth {depth}: {other:?}"),
        }
    }
}

#[test]
fn recursion_with_many_locals_is_a_located_fault() {
    let p = recursion(50);
    for mode in [Mode::Bfs, Mode::Dfs] {
        let m = Machine::new(p.clone(), Config::new(&p)).expect("machine");
        let (out, _) = Checker::new(m, Options { mode, ..Options::default() }).check();
        match out {
            Outcome::Fault { message, .. } => {
                assert!(message.contains("more than 65535 locals"), "{mode:?}: {message}");
                assert!(message.starts_with(&format!("line {}: CPU 0:", 2005)), "{mode:?}: {message}");
            }
            other => panic!("{mode:?}: {other:?}"),
        }
    }
}

// ---- 7. what the model fuzzer found --------------------------------------------------

/// What `sdlab fuzz-model` does with an input, shortened: compile; build the default
/// machine; a seeded walk that also asks about CPUs the machine lacks and steps back;
/// a check with a small state budget.
fn exercise(text: &str, name: &str) {
    let (p, d) = compile(text);
    assert!(d.len() <= MAX_DIAGNOSTICS, "{name}");
    let Some(p) = p else { return };
    let p = Arc::new(p);
    let Ok(m) = Machine::new(p.clone(), Config::new(&p)) else { return };
    let mut s = Session::new(m.clone());
    for step in 0..60u64 {
        for c in [7, 255] {
            assert!(m.wait(s.state(), c).is_none() && m.cursor(s.state(), c).is_none(), "{name}");
        }
        let before = s.state().clone();
        match s.step_seeded(step) {
            None => break,
            Some(Err(_)) => assert_eq!(s.state(), &before, "{name}: a refused step changed the state"),
            Some(Ok(_)) => {
                let after = s.state().clone();
                common::assert_encoding_round_trips(&after);
                s.back();
                assert_eq!(s.state(), &before, "{name}: back-step");
                s.step_seeded(step);
                assert_eq!(s.state(), &after, "{name}: step again");
            }
        }
    }
    let _ = Checker::new(m, Options { max_states: 2000, ..Options::default() }).check();
}

#[test]
fn fuzzer_findings_stay_fixed() {
    // Named by kind (what the engine did before the fix: `panic`, `output` beyond its
    // bound, `stack` overflow) and by hash, as `sdlab fuzz-model --out` saves them.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let mut n = 0;
    let mut paths: Vec<_> = std::fs::read_dir(&dir).expect("tests/hostile").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    for path in paths {
        if path.extension().is_none_or(|e| e != "sdm") {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
        let name = path.display().to_string();
        on_small_stack(move || exercise(&text, &name));
        n += 1;
    }
    assert_eq!(n, 11, "inputs in {}", dir.display());
}

// ---- 8. variants found in review -------------------------------------------------------

#[test]
fn arithmetic_that_does_not_fit_a_word_is_named() {
    // Not "division by zero": the quotient is 2^31.
    let d = refused(&format!("{HEAD}const N = (-2147483647 - 1) / -1;\n{TAIL}"));
    assert!(has(&d, 2, 7, "constant `N`: -2147483648 / -1 overflows a 32-bit word"), "{d:?}");
    let d = refused(&format!("{HEAD}const N = (-2147483647 - 1) % -1;\n{TAIL}"));
    assert!(has(&d, 2, 7, "-2147483648 % -1 overflows a 32-bit word"), "{d:?}");
    // `1 << 40` was 256 (the count masked), `1 << -1` was i32::MIN.
    let d = refused(&format!("{HEAD}const N = 1 << 40;\nshared a[N];\n{TAIL}"));
    assert!(has(&d, 2, 7, "constant `N`: shift by 40: shift counts run from 0 to 31"), "{d:?}");
    let d = refused(&format!("{HEAD}const N = 1 >> -1;\n{TAIL}"));
    assert!(has(&d, 2, 7, "shift by -1"), "{d:?}");
    let d = refused(&format!("{HEAD}const N = 5 % 0;\n{TAIL}"));
    assert!(has(&d, 2, 7, "constant `N`: division by zero"), "{d:?}");
    // At run time, the same faults, located.
    let src = format!(
        "{HEAD}shared x = 0;\nproc f() {{\n  local a = -2147483647 - 1;\n  local b = -1;\n  x = a / b;\n}}\nscenario s {{ cpu 0: f(); }}\n"
    );
    let p = common::program(&src);
    let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
    let f = s.step(Choice::Step(0)).expect_err("fault");
    assert_eq!((f.line, &f.error), (6, &RunError::DivisionOverflow { x: i32::MIN, op: '/' }));
    assert_eq!(f.error.to_string(), "-2147483648 / -1 overflows a 32-bit word");
    let src =
        format!("{HEAD}shared x = 0;\nproc f() {{\n  local a = 33;\n  x = 1 << a;\n}}\nscenario s {{ cpu 0: f(); }}\n");
    let p = common::program(&src);
    let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
    let f = s.step(Choice::Step(0)).expect_err("fault");
    assert_eq!((f.line, &f.error), (5, &RunError::ShiftOutOfRange { by: 33 }));
    assert_eq!(f.error.to_string(), "shift by 33: shift counts run from 0 to 31");
    // In range, shifts are C's: logical right shift of the word.
    let src = format!(
        "{HEAD}shared x = 0;\nproc f() {{\n  local a = 31;\n  x = (1 << a) >> a;\n}}\nscenario s {{ cpu 0: f(); }}\n"
    );
    let p = common::program(&src);
    let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
    s.step(Choice::Step(0)).expect("step");
    assert_eq!(s.state().mem[0], 1);
}

#[test]
fn what_a_machine_evaluates_from_declarations_is_located() {
    // These failed only when a machine was built, as `sdlab: error: ...` without a line.
    let d = refused(&format!("{HEAD}aspace a;\nmap a 0 writable;\nmap a 0 readonly;\n{TAIL}"));
    assert!(has(&d, 4, 1, "address 0x0 is mapped twice in `a`"), "{d:?}");
    // One page-table page per address space (a `table`), and the state counts a CPU's
    // paging-structure cache in 4 bits: at most 15 of them.
    let d = refused(&format!("{HEAD}aspace a;\nmap a 0 table;\nmap a 1 table;\n{TAIL}"));
    assert!(has(&d, 4, 1, "`a` has a `table` mapping already (one page-table page per address space)"), "{d:?}");
    let many: String = (0..16).map(|i| format!("aspace a{i};\nmap a{i} 0 table;\n")).collect();
    let d = refused(&format!("{HEAD}{many}{TAIL}"));
    assert!(has(&d, 33, 1, "at most 15 `table` mappings"), "{d:?}");
    let d = refused(&format!("{HEAD}aspace a;\nmap a 1 / 0 writable;\n{TAIL}"));
    assert!(has(&d, 3, 1, "mapped address: division by zero"), "{d:?}");
    let d = refused(&format!("{HEAD}cpus 1..4;\npercpu p = 1 / (self - 2);\n{TAIL}"));
    assert!(has(&d, 3, 8, "initial value of `p`: division by zero (at 3 CPUs)"), "{d:?}");
    let d = refused(&format!("{HEAD}cpus 1..4;\nproc f(a) {{ }}\nscenario s {{ cpu *: f(4 / (NCPU - 3)); }}\n"));
    assert!(has(&d, 4, 10, "argument of `f`: division by zero (at 3 CPUs)"), "{d:?}");
    // A scenario is checked from the fewest CPUs it names on, that count included (its
    // `cpu 2` entry needs 3), and not below it, where it cannot run.
    let d = refused(&format!("{HEAD}cpus 1..4;\nproc f(a) {{ }}\nscenario s {{ cpu 2: f(4 / (NCPU - 3)); }}\n"));
    assert!(has(&d, 4, 10, "argument of `f`: division by zero (at 3 CPUs)"), "{d:?}");
    common::program(&format!(
        "{HEAD}cpus 1..4;\nproc f(a) {{ }}\nproc g() {{ }}\nscenario s {{ cpu *: f(4 / (NCPU - 1)); cpu 2: g(); }}\n"
    ));
    // A machine built by hand with other options still says where.
    let p = common::program(&format!("{HEAD}option k = 1;\naspace a;\nmap a 0;\nmap a k;\n{TAIL}"));
    let mut cfg = Config::new(&p);
    cfg.set(&p, "k", "0").expect("any word");
    assert_eq!(
        Machine::new(p.clone(), cfg).err().map(|e| e.to_string()),
        Some("line 5: address 0x0 is mapped twice in `a`".into())
    );
}

#[test]
fn scenarios_and_vectors_that_would_be_silently_ignored_are_refused() {
    // The CLI ran this at 8 CPUs although the model allows 2 to 4.
    let d = refused(&format!("{HEAD}cpus 2..4;\nproc f() {{ }}\nscenario s {{ cpu 7: f(); }}\n"));
    assert!(has(&d, 4, 14, "CPU 7, but the model runs on at most 4 CPUs (CPUs 0 to 3)"), "{d:?}");
    // A CPU named twice ran the first entry only.
    let d = refused(&format!("{HEAD}proc f() {{ }}\nproc g() {{ }}\nscenario s {{ cpu 0: f(); cpu 0..1: g(); }}\n"));
    assert!(has(&d, 4, 26, "scenario `s` names a CPU of this entry twice"), "{d:?}");
    let d = refused(&format!("{HEAD}proc f() {{ }}\nscenario s {{ cpu *: f(); cpu *: idle; }}\n"));
    assert!(has(&d, 3, 26, "scenario `s` has two `cpu *` entries"), "{d:?}");
    // Two names for one vector: one of the two handlers never ran.
    let d = refused(&format!("{HEAD}vector V = 64;\nvector W = 0x40;\nhandler V {{ eoi(); }}\n{TAIL}"));
    assert!(has(&d, 3, 8, "vector 64 is already `V`"), "{d:?}");
}

#[test]
fn line_ends_and_invisible_characters() {
    // CR-only line ends: the first `//` comment hid the rest of the model.
    let src = "model \"m\";\r// note\rproc f() { x = 1; }\rscenario s { cpu 0: f(); }\r";
    let d = refused(src);
    assert!(has(&d, 3, 12, "unknown variable `x`"), "{d:?}");
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(compile(&src.replace("x = 1;", "local x = 1;")).0.is_some());
    // Mixed with CRLF, columns and lines stay right.
    let d = refused("model \"m\";\r\nproc f() {\r x = 1; }\r\nscenario s { cpu 0: f(); }\r\n");
    assert!(has(&d, 3, 2, "unknown variable `x`"), "{d:?}");
    // A NUL, an escape, a byte-order mark: named by code, not written raw.
    for (ch, code) in [('\0', "U+0000"), ('\x1b', "U+001B"), ('\u{feff}', "U+FEFF"), ('\u{200b}', "U+200B")] {
        let d = refused(&format!("{HEAD}{ch}\n{TAIL}"));
        assert!(has(&d, 2, 1, &format!("unexpected character {code}")), "{d:?}");
        assert!(!d[0].message.contains(ch), "{d:?}");
    }
}

#[test]
fn a_hostile_schedule_item_is_quoted_short() {
    let item = "9".repeat(10_000_000);
    let e = schedule::parse(&format!("0 {item}")).expect_err("not a step");
    assert_eq!(
        e.to_string(),
        format!(
            "schedule item 2: `{}…` is not a schedule step (expected e.g. 2, i1.0, f0.3, n1, d1, b1.0, l1.0, s0.2, m2.1 or c0.2)",
            "9".repeat(40)
        )
    );
    // Leading zeros are a number like any other.
    assert_eq!(schedule::parse(&format!("{}1", "0".repeat(1_000_000))), Ok(vec![Choice::Step(1)]));
}

#[test]
fn large_initialised_memory_and_many_scenarios_compile_to_the_right_words() {
    // The editor compiles on every keystroke, and the compiler builds the memory of every
    // CPU count: initial values were evaluated once per word (2 million evaluations of a
    // 120-operator expression, 2.6 s in a debug build; 0.1 s now), scenario arguments
    // once per CPU. Not timed here: a timed test fails on a loaded machine, and a slow
    // compile shows as a slow test.
    let sum = ["NCPU"; 120].join(" + ");
    let mut src = format!("model \"m\";\ncpus 1..32;\nshared a[60000] = {sum};\npercpu p[100] = self * 2 + NCPU;\n");
    src.push_str("proc f(a, b, c, d, e, g, h, i) { }\n");
    let arg = ["NCPU"; 10].join(" + ");
    for k in 0..1200 {
        src.push_str(&format!("scenario s{k} {{ cpu *: f({}); }}\n", [arg.as_str(); 8].join(", ")));
    }
    let p = common::program(&src);
    let mut cfg = Config::new(&p);
    cfg.ncpu = 3;
    let m = Machine::new(p.clone(), cfg).expect("machine");
    let s = m.initial();
    assert_eq!((s.mem[0], s.mem[59_999]), (360, 360));
    // p[cpu][k] = 2 cpu + 3, a row per CPU.
    assert_eq!((s.mem[60_000], s.mem[60_099], s.mem[60_100], s.mem[60_299]), (3, 3, 5, 7));
    assert_eq!(s.mem.len(), 60_300);
}

#[test]
fn control_characters_in_shown_text_are_refused() {
    // A title, a message or a narration with an escape sequence acted on the terminal
    // that printed it.
    let d = refused("model \"a\x1b[31mb\";\nproc f() { assert(0, \"x\x07\"); }\nscenario s { cpu 0: f(); }\n");
    assert!(has(&d, 1, 9, "control character U+001B: strings and `///` text hold printable text only"), "{d:?}");
    assert!(has(&d, 2, 24, "control character U+0007"), "{d:?}");
    assert_eq!(d.len(), 2, "{d:?}");
    let d = refused(&format!("{HEAD}/// a\x1bb\n{TAIL}"));
    assert!(has(&d, 2, 6, "control character U+001B"), "{d:?}");
    // A tab is text.
    assert!(compile(&format!("model \"a\tb\";\n/// x\ty\n{TAIL}")).0.is_some());
}

#[test]
fn counters_that_would_wrap_or_stick_are_faults() {
    // The depths saturated at 65 535: the 65 536th exit then faulted for no reason.
    for (enter, name) in [("critical_enter", "critical_enter"), ("pin", "pin")] {
        let src = format!(
            "{HEAD}shared x = 0;\nproc f() {{\n  while (1) {{\n    {enter}();\n  }}\n}}\nscenario s {{ cpu 0: f(); }}\n"
        );
        let p = common::program(&src);
        let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
        let f = loop {
            if let Err(f) = s.step(Choice::Step(0)) {
                break f;
            }
        };
        assert_eq!(s.steps(), 65_535, "{name}");
        assert_eq!((f.line, &f.error), (5, &RunError::NestedTooDeep { open: name }));
        assert_eq!(f.error.to_string(), format!("{name} nested more than 65535 deep"));
    }
    // A frame's generation wrapped after 65 536 frees, and a TLB entry of its first
    // allocation looked fresh again.
    let src = format!(
        "{HEAD}frames 1;\nshared x = 0;\nproc f() {{\n  while (1) {{\n    local p = alloc_page();\n    free_page(p);\n  }}\n}}\nscenario s {{ cpu 0: f(); }}\n"
    );
    let p = common::program(&src);
    let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
    let f = loop {
        if let Err(f) = s.step(Choice::Step(0)) {
            break f;
        }
    };
    assert_eq!((f.line, &f.error), (7, &RunError::GenerationFull { frame: 0 }));
    assert_eq!(f.error.to_string(), "free_page: frame 0 was freed 65535 times; its generation count is full");
}

#[test]
fn hardware_switches_declared_as_numbers_take_0_or_1() {
    // `option hw_tso = 5;` ran with hw_tso=5 shown, and TSO on.
    let d = refused(&format!("{HEAD}option hw_tso = 5;\n{TAIL}"));
    assert!(has(&d, 2, 8, "option `hw_tso` is 5, but it takes 0 to 1"), "{d:?}");
    let p = common::program(&format!("{HEAD}option hw_speculative_fill = 0;\n{TAIL}"));
    let mut cfg = Config::new(&p);
    assert_eq!(
        cfg.set(&p, "hw_speculative_fill", "2").map_err(|e| e.to_string()),
        Err("option `hw_speculative_fill` takes 0 to 1, not 2".into())
    );
    cfg.set(&p, "hw_speculative_fill", "1").expect("a switch");
}

#[test]
fn a_race_with_fewer_cpus_than_its_scenario_needs_is_refused() {
    let src = format!("{HEAD}cpus 2..8;\nproc f() {{ }}\nscenario s {{ cpu 5: f(); cpu *: idle; }}\nrace r \"t\" {{ cpus 2; scenario s; expect assert; }}\n");
    let d = refused(&src);
    assert!(has(&d, 5, 6, "race `r`: 2 CPUs, but scenario `s` needs at least 6"), "{d:?}");
}

#[test]
fn a_race_field_given_twice_is_refused() {
    let race = "race r \"t\" { cpus 2; cpus 3; expect assert; }\n";
    let d = refused(&format!("{HEAD}{TAIL}{race}"));
    assert!(has(&d, 4, 22, "race field `cpus` is given twice"), "{d:?}");
    assert_eq!(d.len(), 1, "{d:?}");
    let race = "race r \"t\" { set b = true; set b = false; expect assert; }\n";
    let d = refused(&format!("{HEAD}option b = true;\n{TAIL}{race}"));
    assert!(has(&d, 5, 32, "race `r`: option `b` is set twice"), "{d:?}");
}

#[test]
fn a_parameter_named_twice_is_an_error_not_a_panic() {
    // Slots were counted by distinct names: `b` took the slot of the second `a`, and the
    // table of local names was one short (index out of bounds).
    let d = refused(&format!("{HEAD}proc g(a, a) {{ }}\n{TAIL}"));
    assert!(has(&d, 2, 6, "parameter `a` is named twice"), "{d:?}");
    let d = refused(&format!("{HEAD}proc g(a, a, b) {{ local c = a + b; }}\n{TAIL}"));
    assert_eq!(d.len(), 1, "{d:?}");
}

#[test]
fn a_declaration_made_once_is_refused_the_second_time() {
    // The second `cpus`, `frames`, `model` or `nmi` replaced the first without a word.
    for (decl, col) in [
        ("model \"b\";", 1),
        ("cpus 2..4; cpus 3..5;", 12),
        ("frames 2; frames 3;", 11),
        ("nmi { local a = 1; } nmi { local b = 2; }", 22),
    ] {
        let d = refused(&format!("{HEAD}{decl}\n{TAIL}"));
        let kw = decl.split_whitespace().next().unwrap_or_default();
        assert!(has(&d, 2, col, &format!("`{kw}` is declared twice")), "{decl}: {d:?}");
        assert_eq!(d.len(), 1, "{decl}: {d:?}");
    }
}

#[test]
fn locals_and_parameters_cannot_take_reserved_names() {
    let d = refused(&format!("{HEAD}proc g() {{ local self = 2; local NCPU = 1; local bit = 3; }}\n{TAIL}"));
    for (col, name) in [(12, "self"), (28, "NCPU"), (44, "bit")] {
        assert!(has(&d, 2, col, &format!("`{name}` is a reserved name")), "{d:?}");
    }
    let d = refused(&format!("{HEAD}proc g(self) {{ }}\n{TAIL}"));
    assert!(has(&d, 2, 6, "parameter `self`: a reserved name"), "{d:?}");
    let d = refused(&format!("{HEAD}proc g() {{ for true in 0..2 {{ }} }}\n{TAIL}"));
    assert!(has(&d, 2, 12, "`true` is a reserved name"), "{d:?}");
}

#[test]
fn an_address_space_number_out_of_range_is_a_located_fault() {
    // `invlpgb`, `load_cr3` and `switch_to` take an address space's number; a computed
    // one outside the declared spaces is a fault of the step, and every declared one,
    // the last included, is accepted.
    for op in ["invlpgb(a, 0x1000)", "load_cr3(a, 0)", "switch_to(a)"] {
        let src = |a: i32| {
            format!("{HEAD}aspace p;\naspace q;\nproc f() {{\n  local a = {a};\n  {op};\n}}\nscenario s {{ cpu 0: f(); }}\n")
        };
        // The CPU's steps up to its first fault, or to its end.
        let run = |a: i32| {
            let p = common::program(&src(a));
            let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
            while s.enabled().contains(&Choice::Step(0)) {
                s.step(Choice::Step(0))?;
            }
            Ok::<_, Fault>(())
        };
        for a in [0, 1] {
            run(a).unwrap_or_else(|f| panic!("{op} with a = {a}: {f}"));
        }
        let name = &op[..op.find('(').unwrap_or(0)];
        for a in [2, -1] {
            let f = run(a).expect_err("no such address space");
            assert_eq!((f.line, &f.error), (6, &RunError::NoAddressSpace { op: name, aspace: a }), "{op}");
            assert_eq!(f.error.to_string(), format!("{name}: no address space {a}"));
        }
    }
}

#[test]
fn broadcasts_in_flight_and_retired_words_stop_at_their_limits() {
    // 32 broadcast invalidations may be in flight at once; the 33rd is a fault.
    let src = format!(
        "{HEAD}aspace p;\nproc f() {{\n  while (1) {{\n    invlpgb(p, 0x1000);\n  }}\n}}\nscenario s {{ cpu 0: f(); }}\n"
    );
    let p = common::program(&src);
    let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
    let f = loop {
        if let Err(f) = s.step(Choice::Step(0)) {
            break f;
        }
    };
    assert_eq!(s.state().bcast.len(), 32);
    assert_eq!((f.line, &f.error), (5, &RunError::TooManyBroadcasts { max: 32 }));
    // 64 words may be retired at once; the 65th is a fault, retiring one again is not.
    // The loop has no shared access, so it runs as the CPU settles before step 1.
    let src = format!(
        "{HEAD}shared w[65];\nproc f() {{\n  retire(w[0]);\n  for k in 0..65 {{\n    retire(w[k]);\n  }}\n}}\nscenario s {{ cpu 0: f(); }}\n"
    );
    let p = common::program(&src);
    let e = Machine::new(p.clone(), Config::new(&p)).expect_err("65 words retired");
    let machine::ConfigError::Start(f) = e else { panic!("{e:?}") };
    assert_eq!((f.line, &f.error), (6, &RunError::TooManyRetired { max: 64 }));
}

/// The CLI and the page report a configuration error as text (`?` into a `String`): the
/// text is the error's own sentence, option name and range included.
#[test]
fn a_configuration_error_as_text_is_its_sentence() {
    let p = common::program("model \"m\";\noption hw_nmi = 0;\nproc f() {}\nscenario s { cpu 0: f(); }\n");
    let mut cfg = Config::new(&p);
    cfg.options[0] = 256;
    let e = Machine::new(p.clone(), cfg).expect_err("hw_nmi takes 0 to 255");
    let text = e.to_string();
    assert_eq!(text, "option `hw_nmi` takes 0 to 255, not 256");
    assert_eq!(String::from(e), text);
    let bad = "q7".parse::<Choice>().expect_err("no such step");
    let text = bad.to_string();
    assert!(text.starts_with("`q7` is not a schedule step"), "{text}");
    assert_eq!(String::from(bad), text);
}

/// The narration names constants with their values at the machine's configuration
/// (`Machine::consts`): one computed from the CPU count and an option.
#[test]
fn a_machine_s_constants_are_those_of_its_configuration() {
    let p = common::program(
        "model \"m\";\ncpus 1..4;\noption k = 3;\nconst A = 7;\nconst B = NCPU * k + A;\nproc f() {}\nscenario s { cpu *: f(); }\n",
    );
    let mut cfg = Config::new(&p);
    cfg.ncpu = 4;
    cfg.set(&p, "k", "5").expect("any word");
    let m = Machine::new(p.clone(), cfg).expect("machine");
    assert_eq!(m.consts(), [7, 27]);
}
