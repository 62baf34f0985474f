//! The model language: every bundled model compiles, and errors carry line and column.

mod common;
use sdlab_engine::*;

#[test]
fn bundled_models_compile_with_their_declarations() {
    for b in models::BUNDLED {
        let (p, d) = compile(b.source);
        assert!(d.is_empty(), "{}: {:?}", b.id, d);
        let p = p.expect("program");
        assert!(!p.scenarios.is_empty());
        assert!(p.procs.iter().all(|pr| !pr.code.is_empty()));
    }
    let p = common::scoreboard();
    let names: Vec<&str> = p.options.iter().map(|o| o.name.as_str()).collect();
    for want in ["rescan", "initiator_if", "hw_irr_latch"] {
        assert!(names.contains(&want));
    }
    assert_eq!(
        p.scenarios.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["unmap_free", "crossfire", "switch_back", "rendezvous", "sched_switch", "sched_migrate"]
    );
    // Narration comments reach the instructions.
    assert!(p.narrations.iter().any(|n| n.starts_with("H9: acknowledge BEFORE invalidating")));
}

fn first_error(src: &str) -> Diagnostic {
    let (p, d) = compile(src);
    assert!(p.is_none(), "should not compile: {src}");
    d.into_iter().next().expect("a diagnostic")
}

#[test]
fn compile_errors_are_located() {
    let cases: &[(&str, u32, u32, &str)] = &[
        ("model \"m\";\nproc f() {\n  x = 1;\n}\nscenario s { cpu 0: f(); }", 3, 3, "unknown variable `x`"),
        (
            "model \"m\";\nshared a = 0;\nshared b = 0;\nproc f() {\n  a = b;\n}\nscenario s { cpu 0: f(); }",
            5,
            3,
            "touches shared memory more than once",
        ),
        ("model \"m\";\nproc f() { local y = 1 +; }\nscenario s { cpu 0: f(); }", 2, 25, "expected an expression"),
        ("model \"m\";\nproc f() { g(); }\nscenario s { cpu 0: f(); }", 2, 12, "unknown procedure or built-in `g`"),
        ("model \"m\";\nvector V = 0xf3;\nscenario s { cpu *: idle; }", 2, 8, "has no handler"),
        ("model \"m\";\nproc f() { }\nscenario s { cpu 0: h(); }", 3, 14, "unknown procedure `h`"),
        ("model \"m\";\nproc f() { local s = \"x; }\n", 2, 22, "unterminated string"),
        ("model \"m\";\nproc f() { local a = 1 # 2; }\nscenario s { cpu 0: f(); }", 2, 24, "unexpected character `#`"),
        ("model \"m\";\nproc f() { break; }\nscenario s { cpu 0: f(); }", 2, 12, "inside a loop"),
        (
            "model \"m\";\nshared a[2][2] = 0;\nproc f() { local x = a[1]; }\nscenario s { cpu 0: f(); }",
            3,
            22,
            "takes 2 index(es), 1 given",
        ),
        ("model \"m\";\nproc f(a) { }\nscenario s { cpu 0: f(); }", 3, 14, "takes 1 argument(s), 0 given"),
        (
            "model \"m\";\nproc f() { local x = 99999999999; }\nscenario s { cpu 0: f(); }",
            2,
            22,
            "does not fit in a 32-bit word",
        ),
        (
            "model \"m\";\naspace mm;\nproc f() { invlpgb(mm, 0x1000);\n  dsb_ish(); }\nscenario s { cpu 0: f(); }",
            4,
            3,
            "already spells the broadcast invalidation `invlpgb` and `tlbsync`",
        ),
        (
            "model \"m\";\naspace mm;\nproc f() { tlbi_is(mm, 0x1000); tlbsync(); }\nscenario s { cpu 0: f(); }",
            3,
            33,
            "already spells the broadcast invalidation `tlbi_is` and `dsb_ish`",
        ),
    ];
    for &(src, line, col, msg) in cases {
        let d = first_error(src);
        assert!(d.message.contains(msg), "{src:?}: got `{}`", d.message);
        assert_eq!((d.span.line, d.span.col), (line, col), "{src:?}: {}", d.message);
    }
}

#[test]
fn several_errors_are_all_reported() {
    let (_, d) = compile("model \"m\";\nproc f() { x = 1; y = 2; }\nproc g() { z( ; }\nscenario s { cpu 0: f(); }");
    assert!(d.len() >= 3, "{d:?}");
}

#[test]
fn hostile_sources_never_panic() {
    // Deep nesting, garbage bytes and truncations of a real model: errors, never a panic.
    let deep = format!("model \"m\"; proc f() {{ local x = {}1{}; }}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(compile(&deep).0.is_none());
    let ifs = format!("model \"m\"; proc f() {{ {} }}", "if (1) {".repeat(5_000));
    assert!(compile(&ifs).0.is_none());
    let src = models::BUNDLED[0].source;
    let mut cut = 0;
    while cut < src.len() {
        if src.is_char_boundary(cut) {
            let _ = compile(&src[..cut]);
        }
        cut += 37;
    }
    let mut x: u64 = 1;
    for _ in 0..300 {
        let bytes: Vec<u8> = (0..200)
            .map(|_| {
                x = schedule::splitmix64(x);
                let table = b" (){}[];=+-*/<>!&|^~.,:\"\nabcxyz019_#\xc3";
                table[(x % table.len() as u64) as usize]
            })
            .collect();
        let _ = compile(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn the_language_reference_example_compiles_and_runs() {
    let doc = include_str!("../../../docs/model-language.md");
    let start = doc.find("```\nmodel \"one IPI\"").expect("example in the reference") + 4;
    let src = &doc[start..start + doc[start..].find("```").expect("end of example")];
    let p = common::program(src);
    for ncpu in 2..=4 {
        let mut s = common::session(&p, ncpu, "basic", &[]);
        while let Some(r) = s.step_seeded(ncpu as u64) {
            r.expect("no fault");
        }
        assert!(s.stuck().is_none());
        assert!(s.state().mem[1..ncpu as usize].iter().all(|&d| d == 1));
    }
}

/// Every built-in of the table is reserved: a model's procedure, variable or local of the
/// same name is refused where it is declared, instead of being shadowed by the built-in
/// (once `proc load_cr3()` compiled and was never called).
#[test]
fn every_builtin_name_is_reserved() {
    for b in lang::builtins::TABLE {
        let name = b.name;
        for src in [
            format!("model \"m\";\nproc {name}() {{ }}\nproc main() {{ }}\nscenario s {{ cpu *: main(); }}"),
            format!("model \"m\";\nshared {name};\nproc main() {{ }}\nscenario s {{ cpu *: main(); }}"),
            format!("model \"m\";\nproc main() {{ local {name} = 1; }}\nscenario s {{ cpu *: main(); }}"),
        ] {
            let d = first_error(&src);
            assert!(d.message.contains(&format!("`{name}` is a reserved name")), "{name}: {}", d.message);
        }
    }
}

/// A call checks its count and its result against the table: a built-in that returns
/// nothing cannot be assigned, one that returns something can.
#[test]
fn builtin_calls_follow_the_table() {
    for b in lang::builtins::TABLE {
        let lang::builtins::Arity::Exactly(n) = b.arity else { continue };
        let args = vec!["1"; n as usize + 1].join(", ");
        let src = format!("model \"m\";\nproc main() {{ {}({args}); }}\nscenario s {{ cpu *: main(); }}", b.name);
        let d = first_error(&src);
        assert!(d.message.contains(&format!("takes {n} argument(s), {} given", n + 1)), "{}: {}", b.name, d.message);
        if !b.returns {
            let args = vec!["1"; n as usize].join(", ");
            let src = format!(
                "model \"m\";\nproc main() {{ local x = {}({args}); }}\nscenario s {{ cpu *: main(); }}",
                b.name
            );
            let d = first_error(&src);
            assert!(d.message.contains("returns no value"), "{}: {}", b.name, d.message);
        }
    }
}

/// The language reference documents every built-in.
#[test]
fn the_reference_names_every_builtin() {
    let doc = include_str!("../../../docs/model-language.md");
    for b in lang::builtins::TABLE {
        let call = format!("{}(", b.name);
        let shown =
            doc.match_indices(&call).any(|(i, _)| !doc[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'));
        assert!(shown, "docs/model-language.md does not show `{call}…)`");
    }
    let expect = doc.lines().find(|l| l.trim_start().starts_with("| \"expect\"")).expect("the grammar's expect rule");
    for p in Property::ALL {
        assert!(expect.contains(&format!("\"{}\"", p.keyword())), "the grammar's expect rule lacks `{}`", p.keyword());
    }
}

/// A name declared twice points at its first declaration, and a reserved name says what
/// the language means by it: the diagnostic carries a label and a note, not only a message.
#[test]
fn diagnostics_carry_labels_and_notes() {
    let d = first_error("model \"m\";\nshared w;\nshared w;\nproc main() { }\nscenario s { cpu *: main(); }");
    assert_eq!((d.span.line, d.message.as_str()), (3, "`w` is declared twice"));
    assert_eq!(
        d.labels.iter().map(|l| (l.span.line, l.message.as_str())).collect::<Vec<_>>(),
        [(2, "first declared here")]
    );
    let d = first_error("model \"m\";\nproc pin() { }\nproc main() { }\nscenario s { cpu *: main(); }");
    assert_eq!(d.notes, ["`pin` is a built-in statement: pin the thread to this CPU (sched_pin)"]);
    let d = first_error("model \"m\";\nshared w;\nproc main() { local w = 1; }\nscenario s { cpu *: main(); }");
    assert_eq!(d.labels.iter().map(|l| l.span.line).collect::<Vec<_>>(), [2], "{d:?}");
}

/// The expression language's functions and its less obvious operators, on the edge cases
/// a model meets (docs/model-language.md, "expr"): a CPU outside the mask's 32 bits is not
/// in it, `lowest` of the empty mask is -1, `>>` shifts in zeros (masks are unsigned), `/`
/// and `%` round toward zero as in C. Each line is checked by an assertion of the model.
#[test]
fn expression_functions_and_operators_on_their_edge_cases() {
    let src = r#"
model "functions";
cpus 3..3 default 3;
shared done = 0;
proc main(five, m1, top) {
    assert(bit(0) == 1 && bit(31) == top, "bit");
    assert(all_cpus() == 7, "all_cpus at 3 CPUs");
    assert(has(five, 0) && !has(five, 1) && has(five, 2) && !has(five, 3), "has, low bits");
    assert(has(top, 31) && !has(m1, 32) && !has(m1, -1) && !has(0, 0), "has, bits outside the mask");
    assert(lowest(0) == -1 && lowest(12) == 2 && lowest(top) == 31 && lowest(m1) == 0, "lowest");
    assert(popcount(0) == 0 && popcount(m1) == 32 && popcount(five) == 2, "popcount");
    assert(min(m1, five) == m1 && max(m1, five) == five && min(five, five) == 5, "min and max");
    assert(top >> 31 == 1 && m1 >> 28 == 15 && 1 << 31 == top, "shifts are of unsigned words");
    assert(-7 / 2 == -3 && -7 % 2 == -1 && 7 % -2 == 1, "division rounds toward zero");
    assert(~five == -6 && -five == -5 && !five == 0 && !0 == 1, "unary operators");
    assert((five ^ 4) == 1 && (five | 4) == 5 && (five & 6) == 4, "bitwise operators");
    assert(!(five > five) && five >= five && !(five < five) && five <= five, "comparisons at equality");
    assert(five > 4 && !(five >= 6) && five < 6 && !(five <= 4) && m1 < five, "comparisons, signed");
    done = 1;
}
scenario s { cpu 0: main(5, -1, bit(31)); }
"#;
    let (p, d) = compile(src);
    assert!(d.is_empty(), "{d:?}");
    let p = std::sync::Arc::new(p.expect("compiled"));
    let mut cfg = Config::new(&p);
    cfg.ncpu = 3;
    let mut s = Session::new(Machine::new(p, cfg).expect("machine"));
    common::each_step(&mut s, 0, |e, _| assert!(e.violation.is_none(), "{:?}", e.violation));
    assert_eq!(s.state().mem[0], 1, "ran to the end");
}

/// CPU 0 of scenario `s` run alone to its end, every step free of violations (the
/// models below assert what they compute).
fn run_cpu0(src: &str) -> Session {
    let p = common::program(src);
    let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
    common::each_step(&mut s, 0, |e, _| assert!(e.violation.is_none(), "{:?}", e.violation));
    s
}

/// A procedure may take 16 parameters (the compiler's bound); a call with all 16 passes
/// each value to its parameter.
#[test]
fn a_call_with_the_most_arguments_passes_every_one() {
    let params: Vec<String> = (0..16).map(|i| format!("p{i}")).collect();
    let sum: Vec<String> = (0..16).map(|i| format!("p{i} * {}", 1 << i)).collect();
    let args: Vec<String> = (0..16).map(|i| (i % 2).to_string()).collect();
    let src = format!(
        "model \"arguments\";\nshared got = 0;\nproc f({}) {{\n    got = {};\n}}\nproc main() {{\n    f({});\n}}\nscenario s {{ cpu 0: main(); cpu *: idle; }}\n",
        params.join(", "),
        sum.join(" + "),
        args.join(", ")
    );
    let s = run_cpu0(&src);
    assert_eq!(s.state().mem[0], 0xAAAA, "the odd parameters got 1, the even 0");
}

/// The locked atomics on words where the operation shows: an OR of a bit already set
/// (not an XOR), an AND that clears, an add that wraps, a failed and a successful
/// compare-exchange (SDM vol. 2: LOCK OR/AND/XADD/XCHG/CMPXCHG), each returning what the
/// model language reference says.
#[test]
fn the_atomics_compute_and_return_what_the_instructions_do() {
    let src = r#"
model "atomics";
shared w = 5;
shared a = 6;
shared big = 0x7FFFFFFF;
shared x = 1;
shared c = 3;
shared done = 0;
proc main() {
    local o = atomic_or(w, 4);
    assert(w == 5 && o == 5, "atomic_or keeps a bit already set and returns the old word");
    o = atomic_and(a, 3);
    assert(a == 2 && o == 6, "atomic_and clears and returns the old word");
    o = fetch_add(big, 1);
    assert(big == -2147483647 - 1 && o == 2147483647, "fetch_add wraps and returns the old word");
    o = xchg(x, 9);
    assert(x == 9 && o == 1, "xchg stores and returns the old word");
    o = cmpxchg(c, 4, 7);
    assert(c == 3 && o == 0, "a failed cmpxchg leaves the word");
    o = cmpxchg(c, 3, 7);
    assert(c == 7 && o == 1, "a cmpxchg that matches stores");
    done = 1;
}
scenario s { cpu 0: main(); cpu *: idle; }
"#;
    let s = run_cpu0(src);
    assert_eq!(s.state().mem[5], 1, "ran to the end");
}

/// `pte_cmpset` compares a PTE that is not present as frame -1, as the reference says:
/// expecting any real frame of it fails and leaves it, expecting -1 succeeds.
#[test]
fn pte_cmpset_sees_a_cleared_entry_as_frame_minus_one() {
    let src = r#"
model "cmpset";
aspace mm;
map mm 0x1000 writable;
shared done = 0;
proc main() {
    local f = pte_clear(mm, 0x1000);
    local now = pte_read(mm, 0x1000);
    assert(f >= 0 && now == -1, "cleared");
    local ok = pte_cmpset(mm, 0x1000, 1, 0, 1);
    assert(ok == 0, "a cleared entry is no frame 1");
    ok = pte_cmpset(mm, 0x1000, f, 0, 1);
    assert(ok == 0, "nor the frame it had");
    ok = pte_cmpset(mm, 0x1000, -1, 0, 0);
    assert(ok == 1, "a cleared entry is frame -1");
    done = 1;
}
scenario s { cpu 0: main(); cpu *: idle; }
"#;
    let s = run_cpu0(src);
    assert_eq!(s.state().mem[0], 1, "ran to the end");
}

/// `pte_set` of a frame the machine does not have is the model's fault, located, for a
/// negative number as for one past the last frame.
#[test]
fn pte_set_of_a_frame_that_does_not_exist_is_a_located_fault() {
    for (frame, want) in [("-1", "pte_set: there is no frame -1"), ("NF", "pte_set: there is no frame 3")] {
        let src = format!(
            "model \"bad frame\";\naspace mm;\nmap mm 0x1000 writable;\nframes 2;\nconst NF = 3;\nproc main() {{\n    pte_set(mm, 0x1000, {frame}, 1);\n}}\nscenario s {{ cpu 0: main(); cpu *: idle; }}\n"
        );
        let p = common::program(&src);
        let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
        assert_eq!(s.state().frames.len(), 3, "one mapped frame and two free ones");
        let f = s.step(Choice::Step(0)).expect_err("no such frame");
        assert_eq!((f.cpu, f.line, f.error.to_string()), (0, 7, want.to_string()), "{frame}");
    }
}

/// `invlpg`, `flush_tlb` and a flushing `load_cr3` act on the loaded address space only
/// (entries are tagged by PCID and kept across switches, SDM vol. 3A §4.10.4.1): with
/// both spaces' translations cached, each drops the loaded space's entries and keeps the
/// other's, and says how many it removed.
#[test]
fn invlpg_flush_tlb_and_load_cr3_drop_only_the_loaded_space_s_entries() {
    let src = r#"
model "pcid";
aspace mm1;
aspace mm2;
map mm1 0x1000 writable;
map mm1 0x2000 writable;
map mm2 0x1000 writable;
proc main() {
    load_cr3(mm2, 0);
    user_load(0x1000);
    load_cr3(mm1, 0);
    user_load(0x1000);
    user_load(0x2000);
    invlpg(0x1000);
    invlpg(0x1000);
    load_cr3(mm2, 1);
    user_load(0x1000);
    load_cr3(mm1, 0);
    flush_tlb();
}
scenario s { cpu 0: main(); cpu *: idle; }
"#;
    let p = common::program(src);
    let mut s = Session::new(Machine::new(p.clone(), Config::new(&p)).expect("machine"));
    let mut removed = Vec::new();
    common::each_step(&mut s, 0, |e, _| {
        for fx in &e.effects {
            match *fx {
                Effect::TlbInvalidate { removed: n, .. } => removed.push(("invlpg", n)),
                Effect::TlbFlush { removed: n, .. } => {
                    let load = e.effects.iter().any(|f| matches!(f, Effect::AddressSpace { .. }));
                    removed.push((if load { "load_cr3" } else { "flush_tlb" }, n))
                }
                _ => {}
            }
        }
    });
    assert_eq!(removed, [("invlpg", 1), ("invlpg", 0), ("load_cr3", 1), ("flush_tlb", 1)]);
    let tlb = &s.state().cpus[0].tlb;
    assert_eq!(tlb.len(), 1, "{tlb:?}");
    assert_eq!((tlb[0].va, p.aspaces[tlb[0].aspace as usize].as_str()), (0x1000, "mm2"));
}
