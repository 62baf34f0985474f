//! Every race a bundled model declares (its gallery entry) is found by the checker with
//! the declared property, in the declared configuration, and its counterexample replays to
//! that property at the reported step.

mod common;
use sdlab_engine::checker::{Checker, Options, Outcome};
use sdlab_engine::*;

#[test]
fn every_declared_race_is_found_as_declared() {
    let mut n = 0;
    for b in models::BUNDLED {
        let p = common::program(b.source);
        for r in &p.races {
            let cfg = Config::for_race(&p, r);
            let m = Machine::new(p.clone(), cfg).unwrap_or_else(|e| panic!("{} {}: {e}", b.id, r.name));
            let (o, _) = Checker::new(m.clone(), Options::default()).check();
            let Outcome::Violation { property, .. } = &o else { panic!("{} {}: {o:?}", b.id, r.name) };
            assert_eq!(property, &r.expect, "{} {}", b.id, r.name);
            common::replay::assert_replays(&m, &o, &format!("{} {}", b.id, r.name));
            assert!(!r.story.is_empty() && !r.title.is_empty());
            n += 1;
        }
    }
    assert!(n >= 10, "{n} races");
}

#[test]
fn race_declarations_are_checked() {
    let base = "model \"m\"; option o = true; proc f() { } scenario s { cpu 0: f(); }\n";
    for (race, msg) in [
        ("race r \"t\" { scenario nope; expect stale; }", "no scenario `nope`"),
        ("race r \"t\" { set nope = 1; expect stale; }", "no option `nope`"),
        ("race r \"t\" { expect sometimes; }", "unknown property `sometimes`"),
        ("race r \"t\" { cpus 2; }", "needs `expect PROPERTY;`"),
        ("race r \"t\" { colour red; }", "unknown race field `colour`"),
    ] {
        let (p, d) = compile(&format!("{base}{race}"));
        assert!(p.is_none());
        assert!(d.iter().any(|d| d.message.contains(msg) && d.span.line == 2), "{race}: {d:?}");
    }
}
