//! `view` declarations: presentation only. They resolve to the words of the machine at
//! every CPU count, bad ones are located errors, and they change no state the checker sees.

mod common;
use common::*;
use sdlab_engine::checker::{Checker, Options};
use sdlab_engine::lang::program::ViewKind;
use sdlab_engine::*;

const DRAGONFLY_VIEW: &str =
    "view ring ipiq(ip_info, windex, rindex, xindex) by (source, target) \"lwkt_ipiq: one FIFO per (source, target)\";";

fn dragonfly() -> &'static str {
    models::find("dragonfly").expect("bundled").source
}

#[test]
fn dragonfly_rings_cover_every_pair_at_every_cpu_count() {
    let p = program(dragonfly());
    let v = p.views.iter().find(|v| v.name == "ipiq").expect("the ipiq view");
    assert_eq!(v.kind, ViewKind::Ring);
    let names: Vec<&str> = v.vars.iter().map(|&i| p.vars[i as usize].name.as_str()).collect();
    assert_eq!(names, ["ip_info", "windex", "rindex", "xindex"]);
    assert_eq!(v.axes, ["source", "target"]);
    for ncpu in 2..=4 {
        let s = session(&p, ncpu, "unmap_free", &[]);
        let r = v.ring(&p, s.machine().vars()).expect("fits");
        assert_eq!(r.rings, [ncpu, ncpu]);
        assert_eq!(r.count(), ncpu * ncpu);
        assert_eq!(r.size, 4);
        // Ring (1, 0): row 1·NCPU + 0 of ip_info, element [1][0] of windex.
        let ring = ncpu;
        assert_eq!(s.machine().addr_name(r.slot_addr(ring, 2)), format!("ip_info[{ncpu}][2]"));
        assert_eq!(s.machine().addr_name(r.pointer_addr(0, ring)), "windex[1][0]");
        assert_eq!(s.machine().addr_name(r.pointer_addr(2, ring)), "xindex[1][0]");
        assert_eq!(r.words(ring).count(), 4 + 3);
    }
}

/// The same model without its view explores exactly the same states.
#[test]
fn a_view_changes_no_state() {
    let with = program(dragonfly());
    let without = program(&dragonfly().replace(DRAGONFLY_VIEW, ""));
    assert!(without.views.is_empty(), "the test removes the view");
    for scenario in ["unmap_free", "flood"] {
        let count = |p| {
            let s = session(p, 2, scenario, &[]);
            let (o, progress) =
                Checker::new(s.machine().clone(), Options { max_states: 200_000, ..Options::default() }).check();
            (format!("{o:?}"), progress.states, progress.transitions)
        };
        assert_eq!(count(&with), count(&without), "{scenario}");
    }
}

const BASE: &str = "model \"m\";\ncpus 1..3;\nshared q[NCPU][4] = 0;\nshared w[NCPU] = 0;\nshared r[NCPU] = 0;\npercpu pw = 0;\nshared cpumask m = 0;\nshared one = 0;\nproc f() { w[0] = 1; }\nscenario s { cpu 0: f(); }\n";

fn view_error(view: &str) -> Diagnostic {
    let (p, d) = compile(&format!("{BASE}{view}\n"));
    assert!(p.is_none(), "should not compile: {view}");
    let d = d.into_iter().next().expect("a diagnostic");
    assert_eq!(d.span.line as usize, 11 + view.matches('\n').count(), "{view}: {d}");
    d
}

#[test]
fn rings_over_arrays_and_per_cpu_pointers_compile() {
    for ok in [
        "view ring a(q, w, r);",
        "view ring b(q, pw, r) by (cpu) \"per-CPU\";",
        "view ring c(q, w, r, pw, r2);",
        "view matrix d(q) by (cpu, slot) \"q\";",
    ] {
        let src = format!("{BASE}shared r2[NCPU] = 0;\n{ok}\n");
        let (p, d) = compile(&src);
        assert!(d.is_empty(), "{ok}: {d:?}");
        assert_eq!(p.expect("program").views.len(), 1);
    }
}

#[test]
fn bad_views_are_located() {
    let cases = [
        ("view ring a(q, w, nope);", "`nope` is not a shared or per-CPU variable"),
        ("view ring a(q, w);", "2 to 4 pointers"),
        ("view ring a(one, w, r);", "`one` is one word"),
        ("view ring a(q, w, m);", "`m` is a cpumask"),
        ("view ring a(q, w, w);", "`w` is named twice"),
        ("view circle a(q, w, r);", "unknown kind of view `circle` (ring, matrix)"),
        ("view ring a(w, q, r);", "pointer `r` has dimensions"),
        ("view ring a(q, one, r);", "pointer `r` has dimensions"),
        ("view ring a(q, one, one2);", "not a shared"),
        ("view ring a(w, r, pw);", "at 2 CPUs: `w` has dimensions [2], but its pointers make 2 ring(s)"),
        ("view ring a(q, w, r);\nview ring a(q, w, r);", "view `a` is declared twice"),
        ("view ring a(q, w, r) by (src, dst);", "`w` has 1 dimension(s), so `by` names 1 axes"),
        ("view matrix a(w);", "`w` has 1 dimension(s); a matrix view draws a 2-D array"),
        ("view matrix a(q, w);", "a matrix view names one array"),
        ("view matrix a(q) by (cpu);", "`q` has 2 dimension(s), so `by` names 2 axes"),
    ];
    for (view, want) in cases {
        let d = view_error(view);
        assert!(d.message.contains(want), "{view}: got `{}`, want `{want}`", d.message);
    }
    // The shape is checked at every CPU count: one ring per row of `q` holds at 1 CPU
    // only, as NCPU·NCPU pointers outgrow NCPU rows from 2 CPUs on.
    let (p, d) =
        compile(&format!("{BASE}shared ww[NCPU][NCPU] = 0;\nshared wr[NCPU][NCPU] = 0;\nview ring a(q, ww, wr);\n"));
    assert!(p.is_none());
    assert_eq!(d[0].span.line, 13);
    assert!(
        d[0].message.contains("view `a` at 2 CPUs: `q` has dimensions [2, 4], but its pointers make 4 ring(s)"),
        "{}",
        d[0].message
    );
}
