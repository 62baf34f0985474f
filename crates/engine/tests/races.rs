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
            assert!(!r.cite.trim().is_empty(), "{} {}: no citation", b.id, r.name);
            n += 1;
        }
    }
    assert!(n >= 10, "{n} races");
}

#[test]
fn race_declarations_are_checked() {
    let base = "model \"m\"; option o = true; proc f() { } scenario s { cpu 0: f(); }\n";
    let k = "kind mutation; cite \"§0\";";
    for (race, msg) in [
        (format!("race r \"t\" {{ {k} scenario nope; expect stale; }}"), "no scenario `nope`"),
        (format!("race r \"t\" {{ {k} set nope = 1; expect stale; }}"), "no option `nope`"),
        (format!("race r \"t\" {{ {k} expect sometimes; }}"), "unknown property `sometimes`"),
        (format!("race r \"t\" {{ {k} cpus 2; }}"), "needs `expect PROPERTY;`"),
        (format!("race r \"t\" {{ {k} colour red; }}"), "unknown race field `colour`"),
        // Provenance is required: the gallery and docs/races.md show it.
        ("race r \"t\" { cite \"§1\"; expect stale; }".into(), "race `r` needs `kind bug;`"),
        ("race r \"t\" { kind bug; expect stale; }".into(), "race `r` needs `cite \"...\";`"),
        ("race r \"t\" { kind design; cite \"§1\"; expect stale; }".into(), "unknown kind `design`"),
        ("race r \"t\" { kind bug; cite \" \"; expect stale; }".into(), "an empty citation"),
    ] {
        let (p, d) = compile(&format!("{base}{race}"));
        assert!(p.is_none());
        assert!(d.iter().any(|d| d.message.contains(msg) && d.span.line == 2), "{race}: {d:?}");
    }
    let (p, d) = compile(&format!("{base}race r \"t\" {{ {k} expect stale; story \"s\"; }}"));
    let p = p.unwrap_or_else(|| panic!("{d:?}"));
    assert_eq!((p.races[0].kind, p.races[0].cite.as_str()), (RaceKind::Mutation, "§0"));
}
