//! CPU-symmetry reduction (issue #3): which bundled configurations are symmetric, and on
//! those, that renaming interchangeable CPUs commutes with every step (equivariance), the
//! soundness condition of the reduction, checked on the reachable states.

mod common;
use common::*;
use sdlab_engine::machine::{Choice, Symmetry};
use sdlab_engine::*;
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::Arc;

fn machine(p: &Arc<Program>, ncpu: u32, scenario: &str, opts: &[(&str, &str)]) -> Machine {
    session(p, ncpu, scenario, opts).into_machine()
}

fn bundled(id: &str) -> Arc<Program> {
    program(models::find(id).expect("bundled").source)
}

/// `s` with the dead loop variables of trace-only `for t in mask` loops cleared.
fn without_scratch(sym: &Symmetry, s: &State) -> State {
    let mut s = s.clone();
    for cpu in &mut s.cpus {
        for a in &cpu.stack {
            for &(p, slot) in sym.scratch_slots() {
                if a.proc == p {
                    cpu.locals[a.base as usize + slot as usize] = 0;
                }
            }
        }
    }
    s
}

/// Every renaming of the CPUs within their classes.
fn permutations(sym: &Symmetry, ncpu: usize) -> Vec<Vec<u8>> {
    let mut all = vec![(0..ncpu as u8).collect::<Vec<u8>>()];
    for class in sym.classes() {
        let mut next = Vec::new();
        for base in &all {
            for order in orders(class) {
                let mut p = base.clone();
                for (i, &c) in class.iter().enumerate() {
                    p[c as usize] = order[i];
                }
                next.push(p);
            }
        }
        all = next;
    }
    all
}

fn orders(xs: &[u8]) -> Vec<Vec<u8>> {
    if xs.len() <= 1 {
        return vec![xs.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..xs.len() {
        let mut rest = xs.to_vec();
        let x = rest.remove(i);
        for mut o in orders(&rest) {
            o.insert(0, x);
            out.push(o);
        }
    }
    out
}

/// Breadth-first over up to `limit` reachable states, asserting at each state s, for every
/// enabled choice c and renaming π: enabled(π s) = π enabled(s) as sets, step(π s, π c) =
/// π step(s, c) (same state up to dead loop variables, same violation property, same
/// fault or none), and the same stuck verdict. Returns (states, distinct representatives).
fn assert_equivariant(m: &Machine, limit: usize) -> (usize, usize) {
    let sym = m.symmetry();
    assert!(sym.reduces(), "{}", sym.describe());
    let perms = permutations(&sym, m.ncpu());
    let mut seen: HashSet<State> = HashSet::new();
    let mut reps: HashSet<State> = HashSet::new();
    let mut queue = VecDeque::new();
    let init = m.initial();
    seen.insert(init.clone());
    queue.push_back(init);
    let (mut en, mut pen, mut fx) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ps, mut rep, mut perm) = (State::empty(), State::empty(), Vec::new());
    while let Some(s) = queue.pop_front() {
        sym.representative(&s, &mut rep, &mut perm);
        reps.insert(without_scratch(&sym, &rep));
        m.enabled(&s, &mut en);
        for pi in &perms {
            sym.permute(&s, pi, &mut ps);
            m.enabled(&ps, &mut pen);
            let mut want: Vec<Choice> = en.iter().map(|&c| sym.permute_choice(pi, c)).collect();
            want.sort();
            pen.sort();
            assert_eq!(pen, want, "enabled choices under {pi:?}");
            assert_eq!(m.stuck(&s).map(|x| x.property), m.stuck(&ps).map(|x| x.property), "stuck verdict under {pi:?}");
            for &c in &en {
                let mut a = s.clone();
                let ra = m.step(&mut a, c, &mut fx);
                let mut b = ps.clone();
                let rb = m.step(&mut b, sym.permute_choice(pi, c), &mut fx);
                match (&ra, &rb) {
                    (Ok(x), Ok(y)) => {
                        assert_eq!(
                            x.violation.as_ref().map(|v| v.property),
                            y.violation.as_ref().map(|v| v.property),
                            "violation of {c} under {pi:?}"
                        );
                        let mut pa = State::empty();
                        sym.permute(&a, pi, &mut pa);
                        assert!(
                            without_scratch(&sym, &pa) == without_scratch(&sym, &b),
                            "step {c} does not commute with renaming {pi:?}"
                        );
                    }
                    (Err(_), Err(_)) => {}
                    _ => panic!("{c} under {pi:?}: {ra:?} vs {rb:?}"),
                }
            }
        }
        for &c in &en {
            let mut a = s.clone();
            if let Ok(st) = m.step(&mut a, c, &mut fx) {
                if st.violation.is_none() && seen.len() < limit && seen.insert(a.clone()) {
                    queue.push_back(a);
                }
            }
        }
        fx.clear();
    }
    (seen.len(), reps.len())
}

/// Breadth-first search of the whole space, or of one representative per orbit: the
/// number of states and every property found (violations by steps, stuck verdicts,
/// faults). A state is not expanded past a violation.
fn search(m: &Machine, reduce: bool) -> (usize, BTreeSet<&'static str>, HashSet<State>) {
    let sym = m.symmetry();
    let (mut rep, mut perm) = (State::empty(), Vec::new());
    let canon = |s: &State, rep: &mut State, perm: &mut Vec<u8>| {
        if reduce {
            sym.representative(s, rep, perm);
        } else {
            rep.clone_from(s);
        }
    };
    canon(&m.initial(), &mut rep, &mut perm);
    let mut seen: HashSet<State> = HashSet::from([rep.clone()]);
    let mut queue = VecDeque::from([rep.clone()]);
    let mut found = BTreeSet::new();
    let (mut en, mut fx) = (Vec::new(), Vec::new());
    while let Some(s) = queue.pop_front() {
        if let Some(st) = m.stuck(&s) {
            found.insert(st.property.code());
        }
        m.enabled(&s, &mut en);
        for &c in &en {
            let mut a = s.clone();
            match m.step(&mut a, c, &mut fx) {
                Ok(st) => {
                    if let Some(v) = st.violation {
                        found.insert(v.property.code());
                        continue;
                    }
                    canon(&a, &mut rep, &mut perm);
                    if seen.insert(rep.clone()) {
                        queue.push_back(rep.clone());
                    }
                }
                Err(_) => {
                    found.insert("fault");
                }
            }
            fx.clear();
        }
    }
    (seen.len(), found, seen)
}

/// The reduced search finds exactly the properties the full one finds, in fewer states,
/// and no fewer than there are orbits (counted exactly, as the least encoding over every
/// renaming). Returns (states, orbits, states of the reduced search).
fn assert_reduction_agrees(m: &Machine) -> (usize, usize, usize) {
    let (full, f1, states) = search(m, false);
    let (reduced, f2, _) = search(m, true);
    assert_eq!(f1, f2, "the reduced search must find what the full one finds");
    assert!(reduced < full, "{reduced} representatives for {full} states");
    let sym = m.symmetry();
    let perms = permutations(&sym, m.ncpu());
    let mut ps = State::empty();
    let orbits: HashSet<Vec<u32>> = states
        .iter()
        .map(|s| {
            let mut least: Option<Vec<u32>> = None;
            for pi in &perms {
                sym.permute(s, pi, &mut ps);
                let mut w = Vec::new();
                without_scratch(&sym, &ps).encode(&mut w);
                if least.as_ref().is_none_or(|l| w < *l) {
                    least = Some(w);
                }
            }
            least.expect("the identity")
        })
        .collect();
    // Not promised in general (ties between CPUs fall to index order), but on every model
    // tested here the representative is canonical: one state per orbit, no more.
    assert_eq!(reduced, orbits.len(), "representatives against orbits");
    (full, orbits.len(), reduced)
}

/// Every bundled configuration the analysis accepts at 3 and 4 CPUs (default options but
/// those named), as (model, scenario, options).
type Opts = &'static [(&'static str, &'static str)];
const SYMMETRIC: &[(&str, &str, Opts)] = &[
    ("dillon-2004", "launder", &[]),
    ("dillon-2004", "pageout", &[]),
    ("dillon-2004", "protect", &[]),
    ("freebsd-global", "unmap_free", &[("generation", "false")]),
    // Race D1 (a lost dirty bit), so that the comparison covers a property that is found.
    ("dillon-2004", "launder", &[("quiesce_first", "false"), ("synchronous", "false")]),
];

#[test]
fn bundled_symmetric_configurations_are_accepted() {
    for &(id, sc, opts) in SYMMETRIC {
        let p = bundled(id);
        for ncpu in [3u32, 4] {
            let sym = machine(&p, ncpu, sc, opts).symmetry();
            let rest: Vec<u8> = (1..ncpu as u8).collect();
            assert_eq!(sym.classes(), [rest], "{id} {sc} {ncpu}: {}", sym.describe());
        }
    }
    let p = bundled("freebsd-global");
    let sym = machine(&p, 4, "crossfire", &[("generation", "false")]).symmetry();
    assert_eq!(sym.describe(), "CPUs 2 and 3 are interchangeable");
    let sym = machine(&p, 4, "unmap_free", &[("generation", "false")]).symmetry();
    assert_eq!(sym.describe(), "CPUs 1–3 are interchangeable");
}

#[test]
fn renaming_commutes_with_every_step_on_the_bundled_symmetric_configurations() {
    for &(id, sc, opts) in SYMMETRIC {
        let p = bundled(id);
        for (ncpu, limit) in [(3u32, 3000), (4, 1500)] {
            let m = machine(&p, ncpu, sc, opts);
            let (states, reps) = assert_equivariant(&m, limit);
            println!("{id} {sc} {ncpu} CPUs: equivariant on {states} states ({reps} representatives)");
        }
    }
    let p = bundled("freebsd-global");
    let m = machine(&p, 4, "crossfire", &[("generation", "false")]);
    assert_equivariant(&m, 1500);
    // Race X1's deadlock, with idle CPUs 2 and 3 interchangeable.
    let m = machine(&p, 4, "crossfire", &[("generation", "false"), ("spin_enables_if", "false")]);
    assert_equivariant(&m, 1500);
    let (full, found, _) = search(&m, false);
    let (reduced, found_reduced, _) = search(&m, true);
    assert!(found.contains("G-DEADLOCK") && found == found_reduced, "{found:?} {found_reduced:?}");
    println!("freebsd-global crossfire X1 4 CPUs: {full} states, {reduced} with symmetry");
}

#[test]
fn the_reduced_search_finds_what_the_full_one_finds_in_fewer_states() {
    for &(id, sc, opts) in SYMMETRIC {
        let p = bundled(id);
        let m = machine(&p, 3, sc, opts);
        let (full, orbits, reduced) = assert_reduction_agrees(&m);
        println!("{id} {sc} {opts:?} 3 CPUs: {full} states, {orbits} orbits, {reduced} with symmetry");
    }
    let m = machine(&bundled("dillon-2004"), 3, "launder", &[("quiesce_first", "false"), ("synchronous", "false")]);
    let (_, found, _) = search(&m, true);
    assert!(found.contains("G-DIRTY"), "race D1 is found with symmetry too: {found:?}");
}

/// A small model: CPU 0 asks every other CPU, which are idle, to run the handler, and
/// waits until all have counted themselves. `HANDLER` and `ASK` are spliced in.
const SMALL: &str = r#"model "symmetry test";
cpus 2..4 default 3;
vector V = 0x40;
shared done[NCPU] = 0;
shared count = 0;
shared lock = 0;
shared cpumask pending = 0;
percpu owner = -1;

handler V {
    done[self] = 1;
HANDLER
    fetch_add(count, 1);
    eoi();
}

proc ask() {
ASK
    send_ipi(all_cpus() & ~bit(self), V);
    for t in all_cpus() & ~bit(self) { ktr(ipi_sent, t); }
    while (count < NCPU - 1) { pause(); }
}

scenario s "CPU 0 asks" { cpu 0: ask(); cpu *: idle; }
"#;

fn small(handler: &str, ask: &str) -> (Arc<Program>, String) {
    let src = SMALL.replace("HANDLER", handler).replace("ASK", ask);
    (program(&src), src)
}

/// The analysis of the small model at 3 CPUs refuses with `why`, at the line marked `// HERE`.
fn assert_refused(handler: &str, ask: &str, why: &str) {
    let (p, src) = small(handler, ask);
    let sym = machine(&p, 3, "s", &[]).symmetry();
    let line = src.lines().position(|l| l.contains("// HERE")).expect("a marked line") + 1;
    let r = sym.refusal().unwrap_or_else(|| panic!("accepted: {handler} {ask}"));
    assert!(r.starts_with(&format!("line {line}: ")), "wrong line ({line} expected): {r}");
    assert!(r.contains(why), "`{why}` expected: {r}");
    assert!(sym.classes().is_empty());
}

#[test]
fn the_small_model_is_symmetric_and_equivariant() {
    // `self + 1` only in code CPU 0 runs, a constant naming CPU 0, a trace-only loop.
    let (p, _) = small("    owner = self;\n    if (has(pending, self)) { done[0] = 2; }", "    lock = self + 1;");
    for ncpu in [3, 4] {
        let m = machine(&p, ncpu, "s", &[]);
        assert_eq!(
            m.symmetry().describe(),
            if ncpu == 3 { "CPUs 1 and 2" } else { "CPUs 1–3" }.to_owned() + " are interchangeable"
        );
        assert_equivariant(&m, 5000);
        let (full, orbits, reduced) = assert_reduction_agrees(&m);
        println!("small model {ncpu} CPUs: {full} states, {orbits} orbits, {reduced} with symmetry");
    }
}

#[test]
fn each_refusal_rule_names_its_line() {
    let cases: &[(&str, &str, &str)] = &[
        ("    for t in pending { done[t] = 2; } // HERE", "", "its body takes steps"),
        ("    local n = 0;\n    for t in pending { n = n + 1; } // HERE", "", "its body computes with them"),
        ("    for i in 0..NCPU { done[i] = 0; } // HERE", "", "indexed by CPU numbers"),
        ("    done[2] = 3; // HERE", "", "indexed by CPU numbers"),
        ("    owner = self + 1; // HERE", "", "arithmetic on a CPU number"),
        ("    local k = 0;\n    if (self < 2) { k = 1; } // HERE", "", "orders CPU numbers"),
        ("    local l = lowest(pending); // HERE", "", "`lowest()` picks a CPU"),
        ("    invlpg(self); // HERE", "", "a CPU number or mask is used as a page-table or frame argument"),
        // Right after a branch, as the pick of a `for t in mask` loop is, but not one.
        (
            "    local m = all_cpus();\n    local l = 0;\n    if (m != 0) { l = lowest(m); } // HERE",
            "",
            "`lowest()` picks a CPU",
        ),
        ("    for i in 0..NCPU { atomic_or(pending, bit(i)); } // HERE", "", "bit() of a plain number"),
        ("    local x = self;\n    x = bit(self); // HERE", "", "holds a CPU number in one place and a CPU mask"),
        (
            "    local x = 0;\n    for t in pending { ktr(seen, t); }\n    done[t] = 2; // HERE",
            "",
            "still holds the last CPU",
        ),
        (
            "    atomic_or(pending, bit(self));\n    local b = 0;\n    if (self == pending) { b = 1; } // HERE",
            "",
            "compares a CPU number with a CPU mask",
        ),
        ("    local o = count;\n    send_ipi(o, V); // HERE", "", "send_ipi's targets are a plain number"),
    ];
    for &(h, a, why) in cases {
        assert_refused(h, a, why);
    }
}

#[test]
fn a_scenario_argument_naming_an_interchangeable_cpu_is_a_plain_number() {
    let src = SMALL.replace("HANDLER", "").replace("ASK", "").replace("cpu 0: ask();", "cpu 0: poke(2);")
        + "proc poke(t) {\n    done[t] = 1; // HERE\n}\n";
    let p = program(&src);
    let sym = machine(&p, 4, "s", &[]).symmetry();
    let line = src.lines().position(|l| l.contains("// HERE")).unwrap() + 1;
    let r = sym.refusal().expect("refused");
    assert!(r.starts_with(&format!("line {line}: `done` is indexed by CPU numbers")), "{r}");
}

#[test]
fn code_only_singleton_cpus_run_may_use_its_cpu_number() {
    // The same arithmetic in a handler (every CPU) is refused, in CPU 0's thread it is not.
    let (p, _) = small("", "    owner = self + 1;\n    if (self < 1) { lock = 1; }");
    assert!(machine(&p, 3, "s", &[]).symmetry().reduces());
}

#[test]
fn the_scoreboard_is_refused_at_its_wait_loop() {
    let p = scoreboard();
    for sc in ["unmap_free", "crossfire", "switch_back"] {
        let sym = machine(&p, 4, sc, &[]).symmetry();
        let r = sym.refusal().expect("refused");
        // The initiator waits for its targets one by one, in index order (D3/I12).
        assert!(
            r.starts_with(
                "line 101: a `for` loop over a CPU mask visits CPUs in index order, and its body takes steps"
            ),
            "{sc}: {r}"
        );
    }
    // With 3 CPUs crossfire and switch_back have no two CPUs alike to begin with.
    let sym = machine(&p, 3, "crossfire", &[]).symmetry();
    assert!(sym.refusal().is_none() && !sym.reduces());
}

#[test]
fn other_bundled_configurations_are_refused_with_a_reason() {
    let cases = [
        (
            "freebsd-global",
            "unmap_free",
            "line 115: a `for` loop over a CPU mask visits CPUs in index order, and its body takes steps",
        ),
        ("mach", "unmap_free", "line 56: arithmetic on a CPU number"),
        (
            "linux",
            "unmap_touch",
            "line 110: a `for` loop over a CPU mask visits CPUs in index order, and its body takes steps",
        ),
        ("dragonfly", "unmap_free", "line 127: arithmetic on a CPU number"),
    ];
    for (id, sc, why) in cases {
        let sym = machine(&bundled(id), 4, sc, &[]).symmetry();
        let r = sym.refusal().unwrap_or_else(|| panic!("{id} {sc} accepted"));
        assert!(r.starts_with(why), "{id} {sc}: {r}");
    }
}

/// Every bundled scenario, with default options and with each model option flipped (at
/// 3 and 4 CPUs): the analysis either accepts it, and then the checker with symmetry
/// gives the full verdict (property and length; a configuration over 150 000 states is
/// left to the benchmarks), or refuses it with the line it objects to (or because no two
/// CPUs run the same entry). `--nocapture` prints what the analysis says of each.
#[test]
fn survey() {
    use sdlab_engine::checker::{Checker, Options, Outcome};
    let (mut accepted, mut compared) = (0, 0);
    for b in models::BUNDLED {
        let p = bundled(b.id);
        for sc in &p.scenarios {
            let mut variants: Vec<Vec<(usize, i32)>> = vec![vec![]];
            for (i, o) in p.options.iter().enumerate() {
                if o.is_bool && !o.name.starts_with("hw_") {
                    variants.push(vec![(i, 1 - o.default)]);
                }
            }
            for ncpu in [3, 4] {
                for v in &variants {
                    let mut c = Config::new(&p);
                    c.ncpu = ncpu;
                    c.scenario = p.scenario_index(&sc.name).unwrap();
                    for &(i, x) in v {
                        c.options[i] = x;
                    }
                    let Ok(m) = Machine::new(p.clone(), c) else { continue };
                    let sym = m.symmetry();
                    let names: Vec<String> = v.iter().map(|&(i, x)| format!("{}={x}", p.options[i].name)).collect();
                    let what = format!("{} {} {ncpu} CPUs [{}]", b.id, sc.name, names.join(","));
                    println!("{what}: {}", sym.describe());
                    if let Some(r) = sym.refusal() {
                        assert!(r.starts_with("line "), "{what}: the refusal names no line: {r}");
                        continue;
                    }
                    if !sym.reduces() || ncpu == 4 {
                        continue;
                    }
                    accepted += 1;
                    let o = Options { liveness: false, max_states: 150_000, ..Options::default() };
                    let full = Checker::new(m.clone(), Options { symmetry: false, ..o.clone() }).check().0;
                    if matches!(full, Outcome::Limit { .. }) {
                        continue;
                    }
                    let reduced = Checker::new(m.clone(), o).check().0;
                    let summary = |o: &Outcome| match o {
                        Outcome::Violation { property, choices, .. } => format!("{property} in {}", choices.len()),
                        other => format!("{other:?}"),
                    };
                    assert_eq!(summary(&reduced), summary(&full), "{what}");
                    compared += 1;
                }
            }
        }
    }
    println!("{accepted} accepted at 3 CPUs, {compared} compared with the full search");
    assert!(compared >= 10, "{compared} of {accepted}");
}

/// Full against reduced at 4 CPUs: the same findings, and the state counts pinned (13 s
/// in the dev profile on a busy 2-core VM). `sdlab check … --cpus 4 --no-liveness` with
/// and without `--no-symmetry` reports the same states (docs/checker.md's table). In
/// dillon-2004 CPUs 1–3 are interchangeable, so an orbit holds at most 3! = 6 states and
/// full / reduced is at most 6: it is 5.0–5.4 (states where two of them are alike have
/// smaller orbits).
#[test]
fn four_cpus() {
    let pinned: [(usize, usize, &[&str]); 5] = [
        (60_995, 11_728, &[]),
        (36_729, 7_192, &[]),
        (49_712, 9_502, &[]),
        (96_342, 17_856, &[]),
        (297_174, 55_066, &["G-DIRTY"]),
    ];
    for (&(id, sc, opts), &(states, reps, finding)) in SYMMETRIC.iter().zip(&pinned) {
        let m = machine(&bundled(id), 4, sc, opts);
        let (full, f1, _) = search(&m, false);
        let (reduced, f2, _) = search(&m, true);
        assert_eq!(f1, f2, "{id} {sc} {opts:?}");
        let what = format!("{id} {sc} {opts:?} 4 CPUs: {full} states, {reduced} with symmetry, finding {f1:?}");
        assert_eq!((full, reduced, f1.into_iter().collect::<Vec<_>>().as_slice()), (states, reps, finding), "{what}");
    }
}

#[test]
fn every_cpu_alike_including_cpu_0() {
    let src = r#"model "barrier";
cpus 2..4 default 3;
shared cpumask arrived = 0;
percpu passed = 0;
proc worker() {
    atomic_or(arrived, bit(self));
    while (arrived != all_cpus()) { pause(); }
    passed = 1;
}
scenario s "every CPU meets at a barrier" { cpu *: worker(); }
"#;
    let p = program(src);
    let m = machine(&p, 3, "s", &[]);
    assert_eq!(m.symmetry().describe(), "CPUs 0–2 are interchangeable");
    assert_equivariant(&m, 5000);
    let (full, orbits, reduced) = assert_reduction_agrees(&m);
    assert_eq!(orbits, reduced);
    println!("barrier 3 CPUs: {full} states, {reduced} with symmetry");
    // A local holding a CPU number starts as 0, which names an interchangeable CPU.
    let src = src.replace("    passed = 1;", "    local me = self;\n    passed = me;");
    let r = machine(&program(&src), 3, "s", &[]).symmetry();
    assert!(r.refusal().is_some_and(|r| r.contains("local `me` holds a plain number")), "{:?}", r.refusal());
}

/// The checker with the reduction against the checker without it, on every bundled
/// configuration that has interchangeable CPUs: the same verdict and property, a
/// counterexample of the same (shortest) length that replays in a session, as a run of
/// the machine as it is, to the property and message reported; fewer states when
/// verified; and the same answer on two threads.
#[test]
fn the_checker_under_symmetry_keeps_verdicts_and_shortest_lengths() {
    use sdlab_engine::checker::{Checker, Options, Outcome};
    let opts = Options { liveness: false, ..Options::default() };
    // (model, CPUs, scenario, option settings)
    type Case = (&'static str, u32, &'static str, Vec<(&'static str, &'static str)>);
    let mut cases: Vec<Case> = Vec::new();
    for scenario in ["launder", "pageout", "protect"] {
        for sets in [
            vec![],
            vec![("quiesce_first", "false")],
            vec![("quiesce_first", "false"), ("synchronous", "false")],
            vec![("remove_first", "false"), ("quiesce_first", "false")],
        ] {
            cases.push(("dillon-2004", 3, scenario, sets));
        }
    }
    cases.push(("freebsd-global", 3, "unmap_free", vec![("generation", "false")]));
    cases.push(("freebsd-global", 4, "crossfire", vec![("generation", "false"), ("spin_enables_if", "false")]));
    let (mut violations, mut verified) = (0, 0);
    for (id, ncpu, scenario, sets) in &cases {
        let what = format!("{id} {scenario} {ncpu} CPUs {sets:?}");
        let m = machine(&bundled(id), *ncpu, scenario, sets);
        assert!(m.symmetry().reduces(), "{what}: {}", m.symmetry().describe());
        let full = Checker::new(m.clone(), Options { symmetry: false, ..opts.clone() }).check();
        let reduced = Checker::new(m.clone(), opts.clone()).check();
        let threads = Checker::new(m.clone(), Options { threads: 2, parallel_level: 1, ..opts.clone() }).check();
        assert_eq!(threads, reduced, "{what}: two threads");
        match (&full.0, &reduced.0) {
            (Outcome::Verified, Outcome::Verified) => {
                assert!(reduced.1.states < full.1.states, "{what}: {} vs {}", reduced.1.states, full.1.states);
                verified += 1;
            }
            (
                Outcome::Violation { property: p, choices: c, .. },
                Outcome::Violation { property: q, choices: d, message, .. },
            ) => {
                assert_eq!(p, q, "{what}");
                assert_eq!(c.len(), d.len(), "{what}: shortest lengths");
                let mut s = Session::new(m.clone());
                s.replay(d).unwrap_or_else(|e| panic!("{what}: {e:?}"));
                let (got, text) = match (s.first_violation(), s.stuck()) {
                    (Some((_, v)), _) => (v.property.to_string(), v.message.clone()),
                    (None, Some(st)) => (st.property.to_string(), st.message),
                    (None, None) => panic!("{what}: the run shows nothing"),
                };
                assert_eq!((&got, &text), (&q.to_string(), message), "{what}: the run replays to what was reported");
                violations += 1;
            }
            (a, b) => panic!("{what}: full {a:?}, reduced {b:?}"),
        }
    }
    assert!(violations >= 4 && verified >= 4, "{violations} violations, {verified} verified");
}

/// The reduced checker agrees with the full one (verdict, property, length) and both
/// counterexamples replay to what they report, at the reported step. Returns whether CPUs were merged.
fn assert_checker_agrees(src: &str, ncpu: u32) -> bool {
    use sdlab_engine::checker::{Checker, Options, Outcome};
    let p = program(src);
    let m = machine(&p, ncpu, "s", &[]);
    let o = Options { liveness: false, ..Options::default() };
    let full = Checker::new(m.clone(), Options { symmetry: false, ..o.clone() }).check().0;
    let reduced = Checker::new(m.clone(), o).check().0;
    let what = |o: &Outcome| match o {
        Outcome::Verified => "verified".to_string(),
        Outcome::Violation { property, choices, .. } => format!("{property} in {}", choices.len()),
        Outcome::Fault { choices, .. } => format!("fault in {}", choices.len()),
        Outcome::Limit { .. } => "limit".into(),
    };
    assert_eq!(what(&reduced), what(&full), "{src}");
    // Both counterexamples replay to the reported property (or fault), with its message,
    // at the reported step.
    common::replay::assert_replays(&m, &full, &format!("full\n{src}"));
    common::replay::assert_replays(&m, &reduced, &format!("reduced\n{src}"));
    m.symmetry().reduces()
}

/// Holes a review found (each a wrong verdict or a schedule that did not replay), kept
/// as regressions: a CPU number waiting in a store buffer, trace-point arguments that
/// fault, and a double-width CAS reading a trace-only loop's variable.
#[test]
fn reviewed_holes_stay_closed() {
    let tso = |decl: &str, word: &str| {
        format!(
            "model \"tso\"; cpus 2..4 default 3; option hw_tso = true; {decl} shared x = 0;\n\
             proc w() {{ x = 1; {word} = self; assert({word} == self, \"own buffered store\"); }}\n\
             scenario s \"x\" {{ cpu 0: idle; cpu *: w(); }}"
        )
    };
    // The store buffer's value is renamed with its word: merged, and right.
    assert!(assert_checker_agrees(&tso("percpu me = -1;", "me"), 3));
    assert!(assert_checker_agrees(&tso("shared last = -1;", "last"), 3));
    for k in ["1", "2"] {
        let src = format!(
            "model \"ktr\"; cpus 2..4 default 3; shared cpumask arrived = 0;\n\
             proc w() {{ local o = atomic_or(arrived, bit(self)); if (o != 0) {{ ktr(second, 10 / (self - {k})); }} }}\n\
             scenario s \"x\" {{ cpu 0: idle; cpu *: w(); }}"
        );
        assert!(!assert_checker_agrees(&src, 3), "a trace argument that can fault on one CPU is judged");
    }
    let dcas = "model \"dcas\"; cpus 2..4 default 3; percpu q[2] = -1;\n\
                proc w() { q[0] = self; local c = bit(self); for t in c { ktr(seen, t); } local u = -1;\n\
                local ok = dcas(q[0], q[1], t, u, self, self); assert(ok == 1, \"dcas fails\"); }\n\
                scenario s \"x\" { cpu 0: idle; cpu *: w(); }";
    assert!(!assert_checker_agrees(dcas, 3), "the loop variable read by dcas is refused");
    // A double-width CAS needs adjacent words, and which words are adjacent depends on the
    // layout, which renaming changes across CPU rows and variables (a second review).
    let dcas = |decls: &str, call: &str, cpus: &str, n: u32| {
        let src = format!(
            "model \"d\"; cpus 2..4 default 3; {decls}\n\
             proc w() {{ local o = xchg(lock, self); if (o != -1) {{ local e0 = 0; local e1 = 0;\n\
             local ok = dcas({call}, e0, e1, 5, 5); }} }}\n\
             scenario s \"x\" {{ {cpus} }}"
        );
        assert_checker_agrees(&src, n)
    };
    let rows = "shared lock = -1; percpu q[2] = 0;";
    let idle0 = "cpu 0: idle; cpu *: w();";
    assert!(!dcas(rows, "q[o][1], q[self][0]", idle0, 3), "two CPU rows");
    assert!(!dcas(rows, "q[self][1], q[o][0]", idle0, 3), "two CPU rows");
    assert!(!dcas("shared lock = -1; percpu q[2] = 0; shared b = 0;", "q[1], b", idle0, 3), "a row and a word");
    assert!(!dcas("shared lock = -1; shared b = 0; percpu q[2] = 0;", "b, q[0]", "cpu *: w();", 2), "a word and a row");
    assert!(dcas(rows, "q[o][0], q[o][1]", idle0, 3), "one row: its words stay adjacent");
    // `-1` is a constant, not an unknown number: comparing a CPU number with it is fine.
    let minus = "model \"m\"; cpus 2..4 default 3; shared owner = -1;\n\
                 proc w() { local o = cmpxchg(owner, -1, self); if (owner != -1) { pause(); } }\n\
                 scenario s \"x\" { cpu 0: idle; cpu *: w(); }";
    assert!(assert_checker_agrees(minus, 3), "{}", machine(&program(minus), 3, "s", &[]).symmetry().describe());
}

/// A trace-only `for t in mask` loop on an interchangeable CPU leaves `t` holding the last
/// CPU it visited: CPU 1 ends on 2 and CPU 2 on 1 (both skip themselves), so a step and a
/// renaming commute only up to that dead slot, which `scratch_slots` names. Renaming the
/// state after the loop exchanges the records but not `t`: without the slot cleared the
/// two sides differ, with it they are equal.
#[test]
fn a_trace_only_loop_on_an_interchangeable_cpu_is_a_scratch_slot() {
    let (p, _) = small("    for t in all_cpus() & ~bit(self) { ktr(seen, t); }", "");
    let m = machine(&p, 3, "s", &[]);
    let sym = m.symmetry();
    assert_eq!(sym.describe(), "CPUs 1 and 2 are interchangeable");
    // `ask`'s `t` (the loop of SMALL, on CPU 0) and the handler's.
    let slot = |name: &str| {
        let q = p.procs.iter().position(|q| q.name == name).expect("a procedure");
        (q as u16, p.procs[q].local_names.iter().position(|n| n == "t").expect("`t`") as u16)
    };
    assert_eq!(sym.scratch_slots(), [slot("ask"), slot("handler V")]);
    // Some reachable state and step where the slot alone tells the two sides apart.
    let swap = [0u8, 2, 1];
    let (mut en, mut fx, mut ps, mut pa) = (Vec::new(), Vec::new(), State::empty(), State::empty());
    let mut seen = HashSet::from([m.initial()]);
    let mut queue = VecDeque::from([m.initial()]);
    let mut differs_only_there = 0;
    while let Some(s) = queue.pop_front() {
        m.enabled(&s, &mut en);
        sym.permute(&s, &swap, &mut ps);
        for &c in &en {
            let (mut a, mut b) = (s.clone(), ps.clone());
            if m.step(&mut a, c, &mut fx).is_err() || m.step(&mut b, sym.permute_choice(&swap, c), &mut fx).is_err() {
                continue;
            }
            sym.permute(&a, &swap, &mut pa);
            assert!(without_scratch(&sym, &pa) == without_scratch(&sym, &b), "{c}");
            differs_only_there += usize::from(pa != b);
            if seen.len() < 5000 && seen.insert(a.clone()) {
                queue.push_back(a);
            }
        }
        fx.clear();
    }
    assert!(differs_only_there > 0, "the loop variable never told the sides apart");
    assert_equivariant(&m, 5000);
}

/// A CPU number that reaches a word through two copies, each in a procedure the analysis
/// visits before the one that writes its source: the sorts need three passes to settle,
/// and only the settled ones show that `a` computes with a CPU number. Judging after the
/// first change-free pass (not after the first pass) is what makes that refusal.
#[test]
fn sorts_settle_before_the_model_is_judged() {
    let src = "model \"chain\"; cpus 2..4 default 3;\n\
               shared x = -1; shared y = -1; shared z = 0;\n\
               proc a() { local v = x; z = v + 1; }\n\
               proc b() { local v = y; x = v; }\n\
               proc c() { y = self; }\n\
               proc w() { c(); b(); a(); }\n\
               scenario s \"x\" { cpu 0: idle; cpu *: w(); }\n";
    let sym = machine(&program(src), 3, "s", &[]).symmetry();
    let r = sym.refusal().unwrap_or_else(|| panic!("accepted: {}", sym.describe()));
    assert!(r.starts_with("line 3: arithmetic on a CPU number"), "{r}");
    // Without `a`'s arithmetic the same chain is accepted.
    let sym = machine(&program(&src.replace("v + 1", "v")), 3, "s", &[]).symmetry();
    assert_eq!(sym.describe(), "CPUs 1 and 2 are interchangeable");
}

/// A constant used as a CPU mask is invariant when it holds each class whole or not at
/// all: with CPUs 1 and 2 interchangeable, 6 (both) and 1 (CPU 0 alone) are, 3 (CPUs 0
/// and 1) and 2 (CPU 1 alone) name one of the two and are refused.
#[test]
fn a_constant_mask_must_hold_each_class_whole_or_not_at_all() {
    for ok in ["6", "1", "0"] {
        let (p, _) = small("", &format!("    send_ipi({ok}, V);"));
        assert!(machine(&p, 3, "s", &[]).symmetry().reduces(), "send_ipi({ok})");
    }
    for bad in ["3", "2"] {
        assert_refused("", &format!("    send_ipi({bad}, V); // HERE"), "send_ipi's targets are a plain number");
    }
}

/// A word holding CPU numbers may also hold a "none" beyond them (99, NCPU or -1 here):
/// renaming leaves such values alone, in the initial state as in any other.
#[test]
fn a_cpu_word_may_hold_a_number_beyond_the_cpus() {
    for none in ["99", "3", "-1"] {
        let src = format!(
            "model \"none\"; cpus 2..4 default 3; shared last = {none};\n\
             proc w() {{ local l = last; if (l == {none}) {{ last = self; }} }}\n\
             scenario s \"x\" {{ cpu 0: idle; cpu *: w(); }}"
        );
        let m = machine(&program(&src), 3, "s", &[]);
        assert_eq!(m.symmetry().describe(), "CPUs 1 and 2 are interchangeable", "{none}");
        assert_equivariant(&m, 5000);
        let (full, orbits, _) = assert_reduction_agrees(&m);
        assert!(orbits < full, "{none}");
    }
}

/// A mask is no index: `done[m]` with `m` a CPU mask is refused.
#[test]
fn a_mask_used_as_an_index_is_refused() {
    assert_refused("    local m = all_cpus() & ~bit(self);\n    done[m] = 2; // HERE", "", "a CPU mask indexes `done`");
}

/// Two-dimensional variables whose CPU dimension is the first (a per-CPU array) or the
/// last: renaming moves whole rows, or one column in each row, and commutes with steps.
#[test]
fn multi_dimensional_cpu_indexed_words_move_with_their_cpus() {
    let src = "model \"rows\"; cpus 2..4 default 3;\n\
               percpu q[2] = 0; shared r[2][NCPU] = 0;\n\
               proc w() { q[1] = 5; r[1][self] = 7; q[0] = 1; r[0][self] = 3; }\n\
               scenario s \"x\" { cpu 0: idle; cpu *: w(); }\n";
    let m = machine(&program(src), 3, "s", &[]);
    assert_eq!(m.symmetry().describe(), "CPUs 1 and 2 are interchangeable");
    assert_equivariant(&m, 5000);
    let (full, orbits, _) = assert_reduction_agrees(&m);
    assert!(orbits < full);
}

/// A CPU-indexed dimension may be longer than the CPUs: the rows beyond them stay put.
#[test]
fn rows_beyond_the_cpus_stay_put() {
    let src = "model \"rows\"; cpus 2..4 default 3;\n\
               shared d[4] = 0;\n\
               proc w() { d[self] = 1; }\n\
               scenario s \"x\" { cpu 0: idle; cpu *: w(); }\n";
    let m = machine(&program(src), 3, "s", &[]);
    assert_eq!(m.symmetry().describe(), "CPUs 1 and 2 are interchangeable");
    assert_equivariant(&m, 5000);
}

/// A recursive procedure run by a CPU no renaming moves: its calls are followed once, and
/// the analysis ends (run on a thread, so that a loop fails the test instead of hanging it).
#[test]
fn a_recursive_procedure_is_reached_once() {
    let src = "model \"rec\"; cpus 2..4 default 3;\n\
               proc down(k) { if (k > 0) { down(k - 1); } }\n\
               scenario s \"x\" { cpu 0: down(3); cpu *: idle; }\n";
    let m = machine(&program(src), 3, "s", &[]);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(m.symmetry().describe()));
    let got = rx.recv_timeout(std::time::Duration::from_secs(20)).expect("the analysis ends");
    assert_eq!(got, "CPUs 1 and 2 are interchangeable");
}

/// Under TSO a buffered store is renamed by the word it writes: a CPU number moves, a
/// plain 1 stays 1 (the same value as CPU 1) and a per-CPU word's address follows its row,
/// whichever order the variables are declared in.
#[test]
fn buffered_stores_are_renamed_by_the_word_they_write() {
    let decls = ["shared last = -1; shared x = 0; percpu me = -1;", "percpu me = -1; shared x = 0; shared last = -1;"];
    for decl in decls {
        let src = format!(
            "model \"tso\"; cpus 2..4 default 3; option hw_tso = true; {decl}\n\
             proc w() {{ last = self; x = 1; me = self; }}\n\
             scenario s \"x\" {{ cpu 0: idle; cpu *: w(); }}"
        );
        let m = machine(&program(&src), 3, "s", &[]);
        assert_eq!(m.symmetry().describe(), "CPUs 1 and 2 are interchangeable", "{decl}");
        assert_equivariant(&m, 5000);
    }
}

/// Code an option makes dead is not judged: the branch on `fast` is folded, so neither the
/// `else` part nor what follows a `return` is reached, and the arithmetic on `self` there
/// refuses nothing; with the option false the same code is live and refused.
#[test]
fn code_an_option_makes_dead_is_not_judged() {
    for body in ["if (fast) { z = 1; } else { z = self + 1; }", "if (fast) { return; } z = self + 1;"] {
        let src = format!(
            "model \"dead\"; cpus 2..4 default 3; option fast = true; shared z = 0;\n\
             proc w() {{ {body} }}\n\
             scenario s \"x\" {{ cpu 0: idle; cpu *: w(); }}"
        );
        let p = program(&src);
        assert_eq!(machine(&p, 3, "s", &[]).symmetry().describe(), "CPUs 1 and 2 are interchangeable", "{body}");
        let sym = machine(&p, 3, "s", &[("fast", "false")]).symmetry();
        assert!(sym.refusal().is_some_and(|r| r.starts_with("line 2: arithmetic on a CPU number")), "{body}");
    }
}

/// The first CPU to take `last` records itself in its own per-CPU word, the second the
/// first: the two differ only in whether their word names themselves (a CPU number) or
/// holds their own bit (a mask). The representative must tell them apart by that alone,
/// or both orderings of the same run are kept (more representatives than orbits).
#[test]
fn the_representative_tells_me_from_another_in_per_cpu_words() {
    for (decl, mine, first) in [
        ("percpu seen = -1;", "seen = self;", "seen = o;"),
        ("percpu cpumask seen = 0;", "seen = bit(self);", "seen = bit(o);"),
    ] {
        let src = format!(
            "model \"first\"; cpus 2..4 default 3; shared last = -1; {decl}\n\
             proc w() {{ local o = xchg(last, self); if (o == -1) {{ {mine} }} else {{ {first} }} }}\n\
             scenario s \"x\" {{ cpu 0: idle; cpu *: w(); }}"
        );
        let m = machine(&program(&src), 3, "s", &[]);
        assert_eq!(m.symmetry().describe(), "CPUs 1 and 2 are interchangeable", "{decl}");
        assert_equivariant(&m, 5000);
        let (full, orbits, reduced) = assert_reduction_agrees(&m);
        assert!(orbits < full, "{decl}: {full} {orbits} {reduced}");
    }
}

/// Two CPUs in the NMI handler at the same place, one with a second NMI latched: only
/// the latch tells them apart, and the representative must see it.
#[test]
fn the_representative_sees_a_latched_nmi() {
    let src = "model \"nmi\"; cpus 2..4 default 3; option hw_nmi = 3; shared z = 0;\n\
               nmi { z = 1; z = 2; }\n\
               scenario s \"x\" { cpu *: idle; }\n";
    let m = machine(&program(src), 3, "s", &[]);
    assert_eq!(m.symmetry().describe(), "CPUs 0–2 are interchangeable");
    assert_equivariant(&m, 5000);
    let (full, orbits, _) = assert_reduction_agrees(&m);
    assert!(orbits < full);
}

/// A double-width CAS over a plain word and a per-CPU row (in either order), or over two
/// per-CPU variables: which words
/// are adjacent depends on the numbering, so it is refused, at its line, whatever else.
#[test]
fn a_dcas_over_a_word_and_a_row_is_refused() {
    for call in ["b, q[0]", "q[1], b", "q[1], r[0]"] {
        let src = format!(
            "model \"d\"; cpus 2..4 default 3; shared b = 0; percpu q[2] = 0; percpu r[2] = 0;\n\
             proc w() {{ local e0 = 0; local e1 = 0;\n\
             local ok = dcas({call}, e0, e1, 5, 5); }}\n\
             scenario s \"x\" {{ cpu 0: idle; cpu *: w(); }}"
        );
        let sym = machine(&program(&src), 3, "s", &[]).symmetry();
        let r = sym.refusal().unwrap_or_else(|| panic!("{call}: accepted"));
        assert!(r.starts_with("line 3: a double-width CAS pairs words whose adjacency depends"), "{call}: {r}");
    }
}

/// The initiator (CPU 0) waits for a responder to be ready, then releases them one at a
/// time in index order, asserting something of the first one it releases. In the machine
/// CPU 1 comes first whichever responder is ready; a renamed state does not follow that
/// order (a representative in which the *other* responder is ready is stepped as if it
/// were the original), so a reduction would explore only one of "the first released is
/// ready" and "the first released is not", and miss the violation of one of the two
/// assertions. The analysis refuses the loop, and both verdicts are the full ones. (With
/// the two `for`-loop rules removed, the rule on the loop variable still refuses it: the
/// body reads `t`, and a body that does not cannot tell the order.)
#[test]
fn a_for_loop_that_takes_steps_is_refused_and_the_verdict_is_the_full_one() {
    use sdlab_engine::checker::{Checker, Options, Outcome};
    let src = include_str!("cases/symmetry-for-order.sdm");
    for (want, message) in [("", "the first released is not ready"), ("!", "the first released is ready")] {
        let src = src.replace("WANT ", want).replace("MESSAGE", message);
        let p = program(&src);
        let m = machine(&p, 3, "s", &[]);
        let line = src.lines().position(|l| l.contains("for t in")).unwrap() + 1;
        let r = m.symmetry().refusal().map(str::to_string).unwrap_or_default();
        assert!(
            r.starts_with(&format!(
                "line {line}: a `for` loop over a CPU mask visits CPUs in index order, and its body takes steps"
            )),
            "{r}"
        );
        assert!(!assert_checker_agrees(&src, 3), "not reduced");
        let o = Options { symmetry: false, liveness: false, ..Options::default() };
        match Checker::new(m, o).check().0 {
            Outcome::Violation { property, message: got, .. } => {
                assert_eq!((property.code(), got.as_str()), ("assert", message))
            }
            other => panic!("{other:?}"),
        }
    }
}

/// Two interchangeable CPUs that end alike but for one thing their TLBs or counters
/// hold: the first to arrive (`xchg` on `last`) takes one path, the second the other,
/// and both return. The two ways round are one orbit, so the reduced search must keep
/// one representative of it: the representative must see what tells the CPUs apart.
fn assert_one_representative_per_orbit(what: &str, decls: &str, first: &str, second: &str) {
    assert_one_representative_per_orbit_at(&[3, 4], what, decls, first, second);
}

/// The same at the CPU counts given. With three interchangeable CPUs the `o` of the later
/// two chain (each names the one before it), which no fingerprint of one CPU can order
/// (see assert_the_word_tells_them_apart): a difference that shows only then is tested at
/// 3 CPUs.
fn assert_one_representative_per_orbit_at(cpus: &[u32], what: &str, decls: &str, first: &str, second: &str) {
    for &ncpu in cpus {
        let src = format!(
            "model \"{what}\"; cpus 2..4 default 3; shared last = -1; shared turn = 0;\n{decls}\n\
             proc w() {{ local o = xchg(last, self); if (o == -1) {{ {first} turn = 1; }} \
             else {{ while (turn == 0) {{ pause(); }} {second} }} }}\n\
             scenario s \"x\" {{ cpu 0: idle; cpu *: w() in mm; }}"
        );
        let m = machine(&program(&src), ncpu, "s", &[]);
        assert!(m.symmetry().refusal().is_none(), "{what}: {:?}", m.symmetry().refusal());
        assert_equivariant(&m, 20_000);
        let (full, orbits, reduced) = assert_reduction_agrees(&m);
        assert!(orbits < full, "{what} at {ncpu} CPUs: {full} {orbits} {reduced}");
        if ncpu == 3 {
            assert_canonical(&m, what);
        }
    }
}

/// The first CPU caches page A, the second page B (SDM vol. 3A §4.10.2: an entry is
/// keyed by its page number): only the cached VA tells them apart.
#[test]
fn the_representative_sees_which_page_a_tlb_caches() {
    assert_one_representative_per_orbit(
        "page",
        "aspace mm; map mm 0x1000 readonly; map mm 0x2000 readonly;",
        "user_load(0x1000);",
        "user_load(0x2000);",
    );
}

/// The first CPU caches the page, the second remaps it to a new frame (no invalidation
/// reaches the first) and caches it too: same VA, only the frame tells them apart.
#[test]
fn the_representative_sees_which_frame_a_tlb_entry_caches() {
    assert_one_representative_per_orbit(
        "frame",
        "aspace mm; map mm 0x1000 readonly; frames 3;",
        "user_load(0x1000);",
        "local g = pte_clear(mm, 0x1000); local f = alloc_page(); pte_set(mm, 0x1000, f, 0); user_load(0x1000);",
    );
}

/// The first CPU caches the page; the second frees its frame, gets the same frame back
/// (one frame in all) with a new generation, maps it again and caches it: same VA and
/// frame, only the generation tells the entries apart.
#[test]
fn the_representative_sees_a_tlb_entry_s_generation() {
    assert_one_representative_per_orbit(
        "generation",
        "aspace mm; map mm 0x1000 unmapped; frames 1; shared fr = -1;",
        "local f = alloc_page(); fr = f; pte_set(mm, 0x1000, f, 0); user_load(0x1000);",
        "local g = pte_clear(mm, 0x1000); free_page(g); local f = alloc_page(); pte_set(mm, 0x1000, f, 0); user_load(0x1000);",
    );
}

/// The first CPU returns pinned, or inside a critical section; the second does not:
/// only the depth tells them apart.
#[test]
fn the_representative_sees_pin_and_critical_section_depths() {
    for (what, first) in [("pin", "pin();"), ("critical section", "critical_enter();")] {
        assert_one_representative_per_orbit(what, "aspace mm;", first, "");
    }
}

/// Two interchangeable CPUs end with different values in a per-CPU word and nothing
/// shared that tells them apart (the second resets `last`): the representative must see
/// the difference in the word itself. `first` runs on the CPU that comes first (`o` is
/// -1 there), `second` on the other (`o` names the first). At 3 CPUs only: with three
/// interchangeable CPUs the words chain (each names the one before it), and a chain is
/// told apart by who names whom, which no fingerprint of one CPU can see; ties in index
/// order are then documented (`Symmetry::representative`), not a fault.
fn assert_the_word_tells_them_apart(decl: &str, first: &str, second: &str) {
    let ncpu = 3;
    let src = format!(
        "model \"word\"; cpus 2..4 default 3; shared last = -1; {decl}\n\
             proc w() {{ local o = xchg(last, self); if (o == -1) {{ {first} }} else {{ {second} last = -1; }} }}\n\
             scenario s \"x\" {{ cpu 0: idle; cpu *: w(); }}"
    );
    let m = machine(&program(&src), ncpu, "s", &[]);
    assert!(m.symmetry().refusal().is_none(), "{first} / {second}: {:?}", m.symmetry().refusal());
    assert_equivariant(&m, 20_000);
    let (full, orbits, reduced) = assert_reduction_agrees(&m);
    assert!(orbits < full, "{first} / {second} at {ncpu} CPUs: {full} {orbits} {reduced}");
    assert_canonical(&m, &format!("{first} / {second}"));
}

/// Every renaming of every reachable state has the same representative as the state: the
/// representative is canonical here whatever order the search meets the states in.
fn assert_canonical(m: &Machine, what: &str) {
    let sym = m.symmetry();
    let (_, _, states) = search(m, false);
    let (mut renamed, mut a, mut b, mut perm) = (State::empty(), State::empty(), State::empty(), Vec::new());
    for s in &states {
        sym.representative(s, &mut a, &mut perm);
        for pi in permutations(&sym, m.ncpu()) {
            sym.permute(s, &pi, &mut renamed);
            sym.representative(&renamed, &mut b, &mut perm);
            assert!(a == b, "{what}: two representatives of one orbit:\n{a:?}\n{b:?}");
        }
    }
}

/// In the representative's fingerprint a CPU number is "me", "a CPU of class k" or the
/// value itself (-1, or CPU 0, which no renaming moves), and a mask is my bit, its bits
/// outside every class and its count per class: each pair below differs in exactly one
/// of these and must not tie.
#[test]
fn the_representative_tells_every_kind_of_cpu_number_and_mask_apart() {
    let cpu = "percpu seen = -1;";
    let mask = "percpu cpumask seen = 0;";
    for (decl, first, second) in [
        (cpu, "seen = -1;", "seen = o;"),
        (cpu, "seen = self;", "seen = 0;"),
        (cpu, "seen = 0;", "seen = o;"),
        (mask, "seen = bit(self);", "seen = bit(o);"),
        (mask, "seen = bit(0) | bit(self);", "seen = bit(self);"),
        (mask, "seen = bit(self);", "seen = bit(self) | bit(o);"),
    ] {
        assert_the_word_tells_them_apart(decl, first, second);
    }
}

/// The first CPU loads another address space, or issues a broadcast invalidation that
/// stays in flight (nothing waits for it): only that tells the two CPUs apart at the end.
#[test]
fn the_representative_sees_the_loaded_address_space_and_a_broadcast_in_flight() {
    assert_one_representative_per_orbit("aspace", "aspace mm; aspace mm2;", "load_cr3(mm2, 0);", "");
    let bcast = "aspace mm; map mm 0x1000 readonly;";
    assert_one_representative_per_orbit_at(&[3], "broadcast", bcast, "invlpgb(mm, 0x1000);", "");
}

/// A CPU number passed as a procedure's second argument keeps its sort, so the procedure's
/// use of it is judged (here refused: `b` is compared with the plain 0); each argument of
/// a call is judged by its own expression, not a neighbour's.
#[test]
fn a_cpu_number_passed_as_a_later_argument_keeps_its_sort() {
    let src = "model \"arg\"; cpus 2..4 default 3; shared z = 0;\n\
               proc g(a, b) { if (b == 0) { z = a; } }\n\
               proc w() { g(5, self); }\n\
               scenario s \"x\" { cpu *: w(); }";
    let sym = machine(&program(src), 3, "s", &[]).symmetry();
    let r = sym.refusal().unwrap_or_else(|| panic!("accepted: {}", sym.describe()));
    assert!(r.contains("`b`") || r.contains("zero"), "{r}");
}

/// Testing a CPU number for zero is refused only when CPU 0 is interchangeable: with CPU 0
/// fixed (idle here), "is it CPU 0" means the same after any renaming, and the model is
/// reduced.
#[test]
fn testing_a_cpu_number_for_zero_is_accepted_when_cpu_0_is_fixed() {
    let src = "model \"zero\"; cpus 2..4 default 3; shared last = -1; shared z = 0;\n\
               proc w() { local o = xchg(last, self); if (o) { z = 1; } }\n\
               scenario s \"x\" { cpu 0: idle; cpu *: w(); }";
    let m = machine(&program(src), 3, "s", &[]);
    assert_eq!(m.symmetry().refusal(), None);
    assert_eq!(m.symmetry().describe(), "CPUs 1 and 2 are interchangeable");
}

/// A CPU-indexed word too short for every interchangeable CPU is refused: renaming would
/// move a CPU's word out of bounds.
#[test]
fn a_cpu_indexed_word_too_short_for_the_cpus_is_refused() {
    let src = "model \"short\"; cpus 2..4 default 3; shared a[2] = 0;\n\
               proc w() { a[self] = 1; }\n\
               scenario s \"x\" { cpu 0: idle; cpu *: w(); }";
    let sym = machine(&program(src), 3, "s", &[]).symmetry();
    let r = sym.refusal().unwrap_or_else(|| panic!("accepted: {}", sym.describe()));
    assert!(r.starts_with("line 1:") && r.contains("`a`"), "{r}");
}

/// `&&` and `||` test each operand for zero, which is no arithmetic: with CPU 0 fixed,
/// `self && m` and `m || self` mean the same after any renaming, and the model is reduced
/// (the arithmetic rule would refuse them).
#[test]
fn logical_and_and_or_test_their_operands_for_zero() {
    for cond in ["self && has(pending, self)", "pending || self"] {
        let (p, _) = small(&format!("    local b = 0;\n    if ({cond}) {{ b = 1; }}"), "");
        let m = machine(&p, 3, "s", &[]);
        assert_eq!(m.symmetry().refusal(), None, "{cond}");
        assert_equivariant(&m, 5000);
        assert_reduction_agrees(&m);
    }
}

/// A number combined bit by bit is invariant as a mask only when both operands are: the
/// counter's copy `o` may hold any bits, so `o & 6` (6 holding CPUs 1 and 2, a whole class)
/// is a plain number, and sending to it is refused. Negating a CPU number is arithmetic
/// on it (only `-` of a literal is a constant).
#[test]
fn a_mask_and_a_negation_are_judged_by_every_operand() {
    assert_refused(
        "    local o = count;\n    send_ipi(o & 6, V); // HERE",
        "",
        "send_ipi's targets are a plain number",
    );
    assert_refused("    local x = 0;\n    x = -self; // HERE", "", "arithmetic on a CPU number");
}

/// The words of a shared array of CPU numbers other than its first, the loaded address
/// space, and a broadcast's issuer each tell two CPUs apart on their own (the template
/// resets `last`, so nothing else does).
#[test]
fn the_representative_sees_later_words_of_a_cpu_array_the_address_space_and_a_broadcast_s_issuer() {
    assert_the_word_tells_them_apart("shared who[3] = -1;", "who[2] = self;", "");
    assert_the_word_tells_them_apart("aspace mm; aspace mm2;", "load_cr3(mm2, 0);", "");
    assert_the_word_tells_them_apart("aspace mm; map mm 0x1000 readonly;", "invlpgb(mm, 0x1000);", "");
}

/// A broadcast invalidation (AMD APM vol. 3, INVLPGB) arrives at each CPU on its own:
/// while it is in flight, the CPUs it has not reached yet are told apart from those it
/// has. CPU 0 issues, CPUs 1-3 are idle.
#[test]
fn the_representative_sees_which_cpus_a_broadcast_has_yet_to_reach() {
    let src = "model \"reach\"; cpus 2..4 default 4; aspace mm; map mm 0x1000 readonly;\n\
               proc w() { invlpgb(mm, 0x1000); }\n\
               scenario s \"x\" { cpu 0: w() in mm; cpu *: idle; }";
    let m = machine(&program(src), 4, "s", &[]);
    assert_eq!(m.symmetry().describe(), "CPUs 1–3 are interchangeable");
    assert_equivariant(&m, 5000);
    let (full, orbits, _) = assert_reduction_agrees(&m);
    assert!(orbits < full, "{full} {orbits}");
    assert_canonical(&m, "broadcast in flight");
}

/// With two classes, a mask's count per class tells masks apart that the same total
/// would not: CPUs 1 and 2 are one class, 3 and 4 another (the first of them to arrive
/// adds itself to `bm`), CPU 0 is idle (a local starts as 0, which must name no
/// interchangeable CPU). The second of CPUs 1 and 2 to arrive keeps a mask of the first
/// and of `bm` as it finds it, one CPU of each class for some orders; the first keeps an
/// empty mask.
#[test]
fn the_representative_counts_a_mask_s_cpus_in_each_class() {
    let src = "model \"classes\"; cpus 5..5 default 5; shared last = -1; shared lastb = -1;\n\
               shared cpumask bm = 0;\n\
               percpu cpumask seen = 0;\n\
               proc a() { local o = xchg(last, self); local x = 0; if (o != -1) { x = bm; seen = bit(o) | x; last = -1; } }\n\
               proc b() { local o = xchg(lastb, self); if (o == -1) { atomic_or(bm, bit(self)); } }\n\
               scenario s \"x\" { cpu 0: idle; cpu 1..2: a(); cpu 3..4: b(); }";
    let m = machine(&program(src), 5, "s", &[]);
    assert_eq!(m.symmetry().refusal(), None);
    assert_equivariant(&m, 20_000);
    let (full, orbits, _) = assert_reduction_agrees(&m);
    assert!(orbits < full, "{full} {orbits}");
    assert_canonical(&m, "two classes");
}
