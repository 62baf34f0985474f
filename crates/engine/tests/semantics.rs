//! Hardware and property semantics pinned against the manuals, each test written so that
//! a plausible one-line mistake in the machine fails it (issue #20 names the mistakes;
//! the report of that work says which test kills which).

mod common;
use common::*;
use sdlab_engine::checker::{Checker, Options, Outcome};
use sdlab_engine::*;

fn check(src: &str, ncpu: u32, opts: &[(&str, &str)], o: Options) -> Outcome {
    let p = program(src);
    Checker::new(session(&p, ncpu, "s", opts).machine, o).check().0
}

fn property(o: &Outcome) -> Option<&str> {
    match o {
        Outcome::Violation { property, .. } => Some(property),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// G-MEM under store buffers

/// CPU 0 completes a request and retires its storage, then says so; CPU 1 waits for
/// that and stores into the storage: a use after retirement with or without TSO.
const MEM_STORE_AFTER: &str = r#"
model "store to retired storage";
cpus 2..2 default 2;
option hw_tso = false;
shared req = 0;
shared flag = 0;
proc owner() {
    req = 1;
    retire(req);
    flag = 1;
}
proc other() {
    while (flag == 0) { pause(); }
    req = 5;
}
scenario s { cpu 0: owner(); cpu 1: other(); }
"#;

/// CPU 0 retires its request storage, then builds the next request in it (its own store
/// reclaims it) and publishes it; CPU 1 reads the new request only after that.
const MEM_OWNER_REUSES: &str = r#"
model "owner reuses retired storage";
cpus 2..2 default 2;
option hw_tso = false;
shared req = 0;
shared flag = 0;
proc owner() {
    req = 1;
    retire(req);
    req = 2;
    flag = 1;
}
proc other() {
    while (flag == 0) { pause(); }
    local v = req;
    assert(v == 2, "the published request");
}
scenario s { cpu 0: owner(); cpu 1: other(); }
"#;

/// CPU 1 stores into the request; CPU 0, which does not wait for anything, retires it.
/// Under TSO the store may sit in CPU 1's buffer across the retirement and land after.
const MEM_LATE_COMMIT: &str = r#"
model "store lands after retirement";
cpus 2..2 default 2;
option hw_tso = true;
shared req = 0;
shared flag = 0;
proc owner() {
    flag = 1;
    retire(req);
}
proc other() {
    req = 5;
}
scenario s { cpu 0: owner(); cpu 1: other(); }
"#;

#[test]
fn g_mem_judges_another_cpus_store_with_and_without_store_buffers() {
    for tso in ["false", "true"] {
        let o = check(MEM_STORE_AFTER, 2, &[("hw_tso", tso)], Options::default());
        assert_eq!(property(&o), Some("G-MEM"), "hw_tso={tso}: {o:?}");
        let Outcome::Violation { message, .. } = &o else { unreachable!() };
        assert_eq!(message, "CPU 1 wrote req after CPU 0 considered the request complete and free to reuse");
    }
}

#[test]
fn the_owners_buffered_store_reclaims_its_retired_storage() {
    for tso in ["false", "true"] {
        let o = check(MEM_OWNER_REUSES, 2, &[("hw_tso", tso)], Options::default());
        assert_eq!(o, Outcome::Verified, "hw_tso={tso}");
    }
}

#[test]
fn a_store_that_commits_after_the_retirement_is_g_mem() {
    let p = program(MEM_LATE_COMMIT);
    let mut s = session(&p, 2, "s", &[]);
    let e = s.step(Choice::Step(1)).expect("CPU 1 buffers its store");
    assert!(e.violation.is_none(), "issued before the retirement");
    let e = s.step(Choice::Step(0)).expect("CPU 0 retires");
    assert!(e.effects.iter().any(|e| matches!(e, Effect::Retire { cpu: 0, .. })), "{:?}", e.effects);
    let e = s.step(Choice::Drain(1)).expect("the store lands");
    let v = e.violation.as_ref().expect("G-MEM on the commit");
    assert_eq!(v.property, "G-MEM");
    assert_eq!(
        v.message,
        "a store of CPU 1 to req reached memory (from its store buffer) after CPU 0 considered the request complete and free to reuse"
    );
    // The owner's own buffered store landing after its retirement is no violation.
    let mut s = session(&p, 2, "s", &[]);
    s.step(Choice::Step(0)).expect("CPU 0 buffers flag and retires");
    let e = s.step(Choice::Drain(0)).expect("flag lands");
    assert!(e.violation.is_none());
    let o = check(MEM_LATE_COMMIT, 2, &[], Options::default());
    assert_eq!(property(&o), Some("G-MEM"), "{o:?}");
}
