//! The machine runs its program with options, constants and addresses resolved and the
//! common expression shapes evaluated without the stack machine (machine/compiled.rs,
//! issue #18). None of that may show: each test here runs a model whose expressions take
//! one of those paths and checks what the general path gives: values, the read a step
//! records, the located error of a bad index, and the runaway-loop fault.

mod common;
use common::*;
use sdlab_engine::*;

/// Every shape (`x op y`, `f(x)`, `a[i]`, `a[i][j]`, `a[i][j] op y`), with operands of
/// every kind (constant, local, `self`, scalar and per-CPU loads), computed twice: by the
/// shaped expression and by one the stack machine evaluates (a longer one that adds 0).
/// `ring[one]` of the per-CPU `ring` names this CPU's word 1, which no shape may take for a
/// one-dimensional array.
const SHAPES: &str = r#"
model "expression shapes";
cpus 2..2 default 2;
const K = 3;
option opt = 2;
shared g = 7;
percpu mine = 0;
shared row[4] = 0;
shared grid[3][4] = 0;
percpu ring[4] = 0;
proc main(v) {
    mine = 10 + self;
    row[2] = 40;
    grid[self][K] = 50 + self;
    local i = 2;
    local a = i < K;
    local b = K - i + 0;
    assert(a == (i < K) + 0 && b == K - i, "x op y");
    local m = bit(i);
    assert(m == bit(i) + 0 && m == 4, "f(x)");
    local r = row[i];
    local r2 = row[i] + 0;
    assert(r == r2 && r == 40, "a[i]");
    local q = grid[self][K];
    local q2 = grid[self][K] + 0;
    assert(q == q2 && q == 50 + self, "a[i][j]");
    local e = grid[self][K] != v;
    local e2 = (grid[self][K] != v) + 0;
    assert(e == e2 && e == (50 + self != v), "a[i][j] op y");
    local s1 = mine;
    local s2 = mine + 0;
    local g1 = g;
    local g2 = g + 0;
    assert(s1 == s2 && s1 == 10 + self && g1 == g2 && g1 == 7, "per-CPU and scalar loads");
    local s3 = mine + 0 + 0;
    local g3 = g + 0 + 0;
    assert(s3 == s1 && g3 == g1, "per-CPU and scalar loads on the stack machine");
    local o = opt * K;
    assert(o == 6, "option times constant");
    // Index 1 < NCPU: read as a row number, it would be another CPU's row.
    local one = 1;
    ring[one] = 70 + self;
    local w = ring[one];
    local w2 = ring[one] + 0;
    assert(w == w2 && w == 70 + self, "a per-CPU array's word of this CPU");
    local x = ring[one] == 70 + self;
    local x2 = (ring[one] == 70 + self) + 0;
    assert(x == x2 && x == 1, "a per-CPU array's word of this CPU, compared");
}
scenario s { cpu 0: main(50); cpu 1: main(50); }
"#;

#[test]
fn every_expression_shape_evaluates_as_the_stack_machine_does() {
    let p = program(SHAPES);
    let mut s = session(&p, 2, "s", &[]);
    for cpu in [0, 1] {
        step_while_can(&mut s, cpu);
        assert!(s.machine().cursor(s.state(), cpu as usize).is_none(), "CPU {cpu} ran to its end");
        assert!(s.log().iter().all(|e| e.violation.is_none()), "{:?}", s.log().iter().find(|e| e.violation.is_some()));
    }
}

#[test]
fn a_shaped_load_records_the_word_it_read() {
    let p = program(SHAPES);
    let mut s = session(&p, 2, "s", &[]);
    step_while_can(&mut s, 1);
    // `local q = grid[self][K]` on CPU 1 reads word grid[1][3]: its value was 51.
    let read = s.log().iter().flat_map(|e| &e.effects).find_map(|fx| match fx {
        Effect::Read { cpu: 1, value: 51, addr } => Some(*addr),
        _ => None,
    });
    let grid = s.machine().vars()[p.vars.iter().position(|v| v.name == "grid").unwrap()].base;
    assert_eq!(read, Some(grid + 4 + 3), "the read of grid[1][3]");
}

fn first_fault(src: &str, cpu: u8) -> String {
    let p = program(src);
    let mut s = session(&p, 2, "s", &[]);
    for _ in 0..100 {
        if let Err(f) = s.step(Choice::Step(cpu)) {
            return f.to_string();
        }
    }
    panic!("no fault");
}

#[test]
fn an_index_outside_a_shaped_load_is_the_same_located_error() {
    // `i` is 3 and `j` is 4: each the first index past its dimension; `k` is far past both.
    let grid = |expr: &str| {
        format!(
            "model \"m\";\ncpus 2..2 default 2;\nshared grid[3][4] = 0;\nshared row[4] = 0;\n\
             proc main(i, j, k) {{\n    local x = {expr};\n}}\n\
             scenario s {{ cpu 0: main(3, 4, 9); cpu 1: main(3, 4, 9); }}\n"
        )
    };
    for (expr, want) in [
        ("grid[i][0]", "index 3 is out of bounds for `grid` (size 3)"),
        ("grid[0][j]", "index 4 is out of bounds for `grid` (size 4)"),
        ("grid[2][j]", "index 4 is out of bounds for `grid` (size 4)"),
        ("grid[-1][j]", "index -1 is out of bounds for `grid` (size 3)"),
        ("grid[i][0] == 1", "index 3 is out of bounds for `grid` (size 3)"),
        ("grid[1][j] == 1", "index 4 is out of bounds for `grid` (size 4)"),
        ("row[j]", "index 4 is out of bounds for `row` (size 4)"),
        ("row[j] != 2", "index 4 is out of bounds for `row` (size 4)"),
        ("grid[k][0]", "index 9 is out of bounds for `grid` (size 3)"),
        ("grid[0][k] != 1", "index 9 is out of bounds for `grid` (size 4)"),
        ("row[k]", "index 9 is out of bounds for `row` (size 4)"),
    ] {
        let got = first_fault(&grid(expr), 0);
        assert!(got.contains("line 6"), "{expr}: {got}");
        let general = first_fault(&grid(&format!("{expr} + 0")), 0);
        assert_eq!(got, general, "{expr}: the shaped and the general path differ");
        assert!(got.contains(want), "{expr}: {got}");
    }
}

/// A loop on an option alone is resolved to jumps; the fuel still runs out, at the line
/// of the loop, and with the option off the loop is passed.
#[test]
fn a_loop_on_an_option_is_still_a_runaway_loop() {
    let src = r#"
model "m";
cpus 2..2 default 2;
option forever = true;
shared x = 0;
proc main() {
    local i = 0;
    while (forever) {
        i = i + 1;
    }
    x = i;
}
scenario s { cpu 0: main(); }
"#;
    let p = program(src);
    let mut cfg = Config::new(&p);
    cfg.ncpu = 2;
    let err = Machine::new(p.clone(), cfg.clone()).expect_err("runs away while settling");
    assert!(err.to_string().contains("line 8"), "{err}");
    assert!(err.to_string().contains("10000"), "{err}");
    cfg.set(&p, "forever", "false").expect("option");
    let mut s = Session::new(Machine::new(p.clone(), cfg).expect("machine"));
    s.step(Choice::Step(0)).expect("x = i");
    assert_eq!(s.state().mem[0], 0);
}

/// The fuel counts every local instruction, jumps (taken without a dispatch) and the
/// rest alike: a loop of three local instructions an iteration (the test, the increment,
/// the jump back) runs out at 10 000 within 4 000 iterations and not within 3 000.
#[test]
fn the_fuel_counts_jumps_and_other_local_instructions_alike() {
    let src = |n: u32| {
        format!(
            "model \"m\";\ncpus 2..2 default 2;\nshared x = 0;\nproc main() {{\n    local i = 0;\n\
             while (i < {n}) {{\n        i = i + 1;\n    }}\n    x = i;\n}}\nscenario s {{ cpu 0: main(); }}\n"
        )
    };
    let build = |n| {
        let p = program(&src(n));
        let mut cfg = Config::new(&p);
        cfg.ncpu = 2;
        Machine::new(p, cfg)
    };
    let err = build(4000).expect_err("runs away while settling");
    assert!(err.to_string().contains("ran 10000 local instructions"), "{err}");
    let mut s = Session::new(build(3000).expect("9 001 local instructions fit the fuel"));
    s.step(Choice::Step(0)).expect("x = i");
    assert_eq!(s.state().mem[0], 3000);
}

/// The searches step a choice that `enabled` offered with `step_enabled`, which does not
/// ask again whether the CPU spins or yields the CPU away (issue #18). On every bundled
/// model and scenario (threads, yields and spin loops among them), along seeded random
/// runs, every enabled choice of every state steps to the same state, result and effects
/// both ways.
#[test]
fn a_choice_enabled_steps_the_same_without_asking_again() {
    let (mut states, mut choices) = (0, 0);
    for b in models::BUNDLED {
        let p = program(b.source);
        for sc in 0..p.scenarios.len() {
            let mut cfg = Config::new(&p);
            cfg.scenario = sc;
            let Ok(m) = Machine::new(p.clone(), cfg) else { continue };
            let mut s = m.initial();
            let (mut en, mut fx, mut fx2) = (Vec::new(), Vec::new(), Vec::new());
            for i in 0..400u64 {
                m.enabled(&s, &mut en);
                if en.is_empty() {
                    s = m.initial();
                    continue;
                }
                states += 1;
                for &ch in &en {
                    choices += 1;
                    let (mut a, mut b2) = (s.clone(), s.clone());
                    fx.clear();
                    fx2.clear();
                    let checked = m.step(&mut a, ch, &mut fx);
                    let trusted = m.step_enabled(&mut b2, ch, &mut fx2);
                    assert_eq!(checked, trusted, "{} scenario {sc}: {ch}", b.id);
                    assert!(a == b2 && fx == fx2, "{} scenario {sc}: {ch} stepped differently", b.id);
                }
                let ch = en[schedule::pick(7, i, en.len())];
                fx.clear();
                if m.step_enabled(&mut s, ch, &mut fx).is_err() {
                    s = m.initial();
                }
            }
        }
    }
    assert!(states > 5_000 && choices > 10_000, "{states} states, {choices} choices");
}
