//! The properties and hardware added for algorithms.md §0.4 and §7.6 on minimal models:
//! G-USERMODE-WINDOW (`ack_window`), G-MEM (`retire`), and INVLPGB/TLBSYNC
//! (`invlpgb`, `tlbsync`, `Choice::Bcast`).

mod common;
use common::*;
use sdlab_engine::checker::{Checker, Mode, Options, Outcome};
use sdlab_engine::machine::{Retired, Window};
use sdlab_engine::*;

fn check_with(src: &str, ncpu: u32, opts: &[(&str, &str)], dfs_por: bool) -> Outcome {
    let p = program(src);
    let s = session(&p, ncpu, &p.scenarios[0].name.clone(), opts);
    let o = if dfs_por { Options { mode: Mode::Dfs, por: true, ..Options::default() } } else { Options::default() };
    Checker::new(s.into_machine(), o).check().0
}

fn property(o: &Outcome) -> &str {
    match o {
        Outcome::Violation { property, .. } => property.code(),
        _ => panic!("expected a violation, got {o:?}"),
    }
}

/// A responder that acknowledges, then (with `late`) reads the page before invalidating.
const WINDOW: &str = r#"
model "window";
option late = true "read before invalidating";
option touch = true "read the page first, so that the TLB caches it";
const VA = 0x1000;
aspace p;
map p VA writable;
shared ack = 0;
proc init() {
    local f = pte_clear(p, VA);
    while (ack == 0) { pause(); }
    free_page(f);
}
proc resp() {
    if (touch) { user_load(VA); }
    /// Acknowledge before invalidating.
    ack = 1;
    ack_window(VA);
    if (late) { user_load(VA); }
    invlpg(VA);
    user_load(VA);
}
scenario s { cpu 0: init() in p; cpu 1: resp() in p; }
"#;

#[test]
fn window_fires_on_an_access_between_ack_and_invalidate() {
    for por in [false, true] {
        let o = check_with(WINDOW, 2, &[], por);
        assert_eq!(property(&o), "G-USERMODE-WINDOW", "por {por}");
    }
    // The read right after the ack, before the initiator has even freed the page.
    let p = program(WINDOW);
    let mut s = session(&p, 2, "s", &[]);
    for _ in 0..2 {
        s.step(Choice::Step(1)).expect("step");
    }
    assert!(s.state().cpus[1].window.is_some(), "the window opens with the acknowledging step");
    let e = s.step(Choice::Step(1)).expect("step");
    let v = e.violation.clone().expect("violation");
    assert_eq!(v.property, Property::UsermodeWindow);
    assert!(v.message.contains("0x1000"), "{}", v.message);
}

#[test]
fn window_fires_only_on_an_access_that_could_use_the_cached_translation() {
    // Nothing cached: the read in the window walks the page table as it is now, and
    // faults or finds the page, but uses no stale translation (issue #13).
    for por in [false, true] {
        assert_eq!(check_with(WINDOW, 2, &[("touch", "false")], por), Outcome::Verified, "por {por}");
    }
    // The bundled window races: the access that breaks the window hits the TLB.
    for (model, race) in [("freebsd-scoreboard", "E2_window"), ("linux", "AX1_window"), ("dragonfly", "R5")] {
        let p = program(models::find(model).expect("bundled").source);
        let r = p.races.iter().find(|r| r.name == race).expect("race");
        let m = Machine::new(p.clone(), Config::for_race(&p, r)).expect("machine");
        let (o, _) = Checker::new(m.clone(), Options::default()).check();
        let Outcome::Violation { property, choices, .. } = &o else { panic!("{race}: {o:?}") };
        assert_eq!(*property, Property::UsermodeWindow, "{race}");
        let mut s = Session::new(m);
        s.replay(choices).expect("replays");
        let last = s.log().last().expect("a step");
        assert!(last.effects.iter().any(|e| matches!(e, Effect::UserAccess { .. })), "{race}: {:?}", last.effects);
        assert!(!last.effects.iter().any(|e| matches!(e, Effect::PageFault { .. })), "{race}: {:?}", last.effects);
    }
}

#[test]
fn window_does_not_fire_when_the_invalidation_comes_first() {
    for por in [false, true] {
        assert_eq!(check_with(WINDOW, 2, &[("late", "false")], por), Outcome::Verified, "por {por}");
    }
    let p = program(WINDOW);
    let mut s = session(&p, 2, "s", &[("late", "false")]);
    step_while_can(&mut s, 1);
    assert!(s.state().cpus[1].window.is_none(), "invlpg closes the window");
}

/// One CPU, two pages: the window is on VA, the TLB may hold VB.
const WINDOW_TWO_PAGES: &str = r#"
model "window, two pages";
option first = 0x2000 "the page read before the acknowledgement";
option other = 0x2000 "the page invalidated in the window";
const VA = 0x1000;
const VB = 0x2000;
aspace p;
map p VA writable;
map p VB writable;
proc resp() {
    user_load(first);
    ack_window(VA);
    invlpg(other);
    user_load(VA);
}
scenario s { cpu 0: resp() in p; }
"#;

/// The window is on one page of one address space (algorithms.md §0.4): an INVLPG of
/// another page leaves it open, and only a TLB entry of the window's page makes an
/// access in it a violation; an access to that page that misses walks the page table as
/// it is now (issue #13), whatever else the TLB caches.
#[test]
fn the_window_is_on_its_own_page_only() {
    // The last access of `resp`: its step's violation, and the window then.
    let last = |opts: &[(&str, &str)]| {
        let p = program(WINDOW_TWO_PAGES);
        let mut s = session(&p, 1, "s", opts);
        let mut v = None;
        each_step(&mut s, 0, |e, _| v = e.violation.clone());
        v.map(|v| v.property)
    };
    // VA cached, VB invalidated: the window stays open and the read of VA hits.
    assert_eq!(last(&[("first", "4096")]), Some(Property::UsermodeWindow));
    // VA cached and invalidated: closed.
    assert_eq!(last(&[("first", "4096"), ("other", "4096")]), None);
    // Only VB cached: the read of VA misses and walks.
    assert_eq!(last(&[("other", "12288")]), None);
}

/// The initiator retires its request once acknowledged; with `late` the responder reads
/// it after acknowledging.
const MEM: &str = r#"
model "mem";
option late = true "read the request after acknowledging";
shared req = 0;
shared done = 0;
proc init() {
    req = 7;
    while (done == 0) { pause(); }
    /// The request is complete: the storage may be reused.
    retire(req);
    req = 8;
    retire(req);
}
proc resp() {
    while (req == 0) { pause(); }
    local v = 0;
    if (!late) { v = req; }
    done = 1;
    if (late) { v = req; }
}
scenario s { cpu 0: init(); cpu 1: resp(); }
"#;

#[test]
fn g_mem_fires_on_a_read_after_retire() {
    for por in [false, true] {
        assert_eq!(property(&check_with(MEM, 2, &[], por)), "G-MEM", "por {por}");
        assert_eq!(check_with(MEM, 2, &[("late", "false")], por), Outcome::Verified, "por {por}");
    }
    // The owner's write makes the word live again; the second retire retires it anew.
    let p = program(MEM);
    let mut s = session(&p, 2, "s", &[("late", "false")]);
    s.step(Choice::Step(0)).expect("req = 7");
    step_while_can(&mut s, 1);
    s.step(Choice::Step(0)).expect("sees done, retires");
    assert_eq!(s.state().retired.len(), 1);
    s.step(Choice::Step(0)).expect("req = 8");
    assert_eq!(s.state().retired.len(), 1, "reclaimed by the write, retired again");
}

/// CPU 0 unmaps with INVLPGB; with `sync` it waits in TLBSYNC before freeing.
const BCAST: &str = r#"
model "bcast";
option sync = true "TLBSYNC before the free";
const VA = 0x1000;
aspace p;
map p VA writable;
proc init() {
    local f = pte_clear(p, VA);
    invlpgb(p, VA);
    if (sync) { tlbsync(); }
    free_page(f);
}
user proc touch() {
    for k in 0..2 { user_load(VA); }
}
scenario s { cpu 0: init() in p; cpu *: touch() in p; }
"#;

#[test]
fn broadcast_reaches_tlbs_only_through_its_choice_and_tlbsync_waits() {
    let p = program(BCAST);
    let mut s = session(&p, 2, "s", &[]);
    s.step(Choice::Step(1)).expect("CPU 1 caches VA");
    s.step(Choice::Step(0)).expect("pte_clear");
    s.step(Choice::Step(0)).expect("invlpgb");
    assert_eq!(s.state().bcast.len(), 1);
    assert_eq!(s.state().cpus[1].tlb.len(), 1, "issuing INVLPGB removes nothing by itself");
    let en = s.enabled();
    assert!(!en.contains(&Choice::Step(0)), "TLBSYNC waits: {en:?}");
    assert!(en.contains(&Choice::Bcast(1, 0)) && en.contains(&Choice::Bcast(0, 0)), "{en:?}");
    let w = s.machine().wait(s.state(), 0).expect("a wait");
    assert!(w.condition.contains("TLBSYNC"), "{}", w.condition);
    s.step(Choice::Bcast(1, 0)).expect("reaches CPU 1");
    assert!(s.state().cpus[1].tlb.is_empty());
    assert!(!s.enabled().contains(&Choice::Step(0)), "CPU 0's own TLB has not seen it yet");
    s.step(Choice::Bcast(0, 0)).expect("reaches CPU 0");
    assert!(s.state().bcast.is_empty());
    assert!(s.enabled().contains(&Choice::Step(0)));
    assert!(s.step(Choice::Bcast(0, 0)).is_err(), "nothing left in flight");
    for ncpu in [2, 3] {
        for por in [false, true] {
            assert_eq!(check_with(BCAST, ncpu, &[], por), Outcome::Verified, "{ncpu} CPUs, por {por}");
            let o = check_with(BCAST, ncpu, &[("sync", "false")], por);
            assert_eq!(property(&o), "G-STALE", "{ncpu} CPUs, por {por}");
        }
    }
}

/// CPU 1 caches two pages; CPU 0 unmaps one and broadcasts its invalidation.
const BCAST_ONE_OF_TWO: &str = r#"
model "bcast one of two";
const VA = 0x1000;
const VB = 0x2000;
aspace p;
map p VA writable;
map p VB writable;
proc init() {
    local f = pte_clear(p, VA);
    invlpgb(p, VA);
    tlbsync();
}
user proc touch() {
    user_load(VA);
    user_load(VB);
}
scenario s { cpu 0: init() in p; cpu 1: touch() in p; }
"#;

/// An INVLPGB removes the issued page from each TLB it reaches, and no other page (AMD
/// APM vol. 3, INVLPGB: the invalidation of one address; algorithms.md §7.6); it reaches
/// each CPU once, so a second arrival at a CPU it has reached is refused while it is
/// still on its way to another.
#[test]
fn a_broadcast_removes_only_its_page_and_reaches_each_cpu_once() {
    let p = program(BCAST_ONE_OF_TWO);
    let mut s = session(&p, 2, "s", &[]);
    s.step(Choice::Step(1)).expect("CPU 1 caches VA");
    s.step(Choice::Step(1)).expect("CPU 1 caches VB");
    s.step(Choice::Step(0)).expect("pte_clear");
    s.step(Choice::Step(0)).expect("invlpgb");
    let e = s.step(Choice::Bcast(1, 0)).expect("reaches CPU 1").clone();
    assert_eq!(e.effects, vec![Effect::BcastReach { cpu: 1, issuer: 0, va: 0x1000, removed: 1 }]);
    assert_eq!(e.summary(s.machine()), "CPU 0's INVLPGB of va 0x1000 reaches CPU 1's TLB (1 entry removed)");
    let left: Vec<i32> = s.state().cpus[1].tlb.iter().map(|e| e.va).collect();
    assert_eq!(left, vec![0x2000], "VB stays cached");
    let f = s.step(Choice::Bcast(1, 0)).expect_err("CPU 1 was reached");
    assert!(matches!(f.error, RunError::NotPossible { why: Refused::NoBroadcast, .. }), "{f:?}");
    assert_eq!(s.enabled(), vec![Choice::Bcast(0, 0)], "still on its way to CPU 0, TLBSYNC waits");
    let e = s.step(Choice::Bcast(0, 0)).expect("reaches CPU 0").clone();
    assert_eq!(e.effects, vec![Effect::BcastReach { cpu: 0, issuer: 0, va: 0x1000, removed: 0 }]);
    assert!(s.state().bcast.is_empty());
}

#[test]
fn bcast_choices_round_trip_as_text_and_bad_tokens_are_errors() {
    for c in [Choice::Bcast(1, 0), Choice::Bcast(31, 7)] {
        assert_eq!(c.to_string().parse::<Choice>(), Ok(c));
    }
    assert_eq!(Choice::Bcast(2, 3).to_string(), "b2.3");
    for bad in ["b", "b1", "b1.", "b.2", "b1.300", "b300.1", "bx.y", "b-1.0"] {
        assert!(bad.parse::<Choice>().is_err(), "{bad}");
    }
}

#[test]
fn new_builtins_give_located_errors() {
    let base = "model \"m\"; shared x = 0; aspace p; proc f() { local a = 1;\n";
    for (stmt, msg) in [
        ("ack_window();", "`ack_window` takes 1 argument"),
        ("ack_window(x);", "reads shared memory"),
        ("retire(a);", "`retire` names a shared word"),
        ("invlpgb(p);", "`invlpgb` takes 2 argument"),
        ("tlbsync(1);", "`tlbsync` takes 0 argument"),
        ("local b = tlbsync();", "returns no value"),
    ] {
        let (prog, d) = compile(&format!("{base}{stmt} }} scenario s {{ cpu 0: f(); }}"));
        assert!(prog.is_none(), "{stmt}");
        assert!(d.iter().any(|d| d.message.contains(msg) && d.span.line == 2), "{stmt}: {d:?}");
    }
    let (p, d) = compile("model \"m\"; proc f() { } scenario s { cpu 0: f(); }\nrace r \"t\" { kind mutation; cite \"§0.4\"; expect window; }\nrace q \"t\" { kind mutation; cite \"§0.4\"; expect mem; }");
    assert!(d.is_empty(), "{d:?}");
    let p = p.expect("compiles");
    assert_eq!(p.races[0].expect, Property::UsermodeWindow);
    assert_eq!(p.races[1].expect, Property::Mem);
}

/// The new races of the bundled models, and the configurations that fix them: depth-first
/// search, with and without partial-order reduction, gives the breadth-first verdict.
#[test]
fn bundled_window_mem_and_broadcast_races_agree_across_searches() {
    type Case<'a> = (&'a str, u32, &'a str, &'a [(&'a str, &'a str)]);
    let nmi: [(&str, &str); 2] = [("nmi_reads_user", "true"), ("hw_nmi", "1")];
    let cases: &[Case] = &[
        ("freebsd-scoreboard", 2, "unmap_free", &[nmi[0], nmi[1]]),
        ("dragonfly", 2, "unmap_free", &[("remote2_order", "1"), nmi[0], nmi[1]]),
        ("dragonfly", 2, "unmap_free", &[("remote2_order", "1")]),
        ("dragonfly", 2, "unmap_free", &[("remote2_order", "2")]),
        ("linux", 2, "unmap_touch", &[("async_ack", "true"), nmi[0], nmi[1]]),
        ("linux", 2, "unmap_touch", &[("async_ack", "true"), ("copy_before_unlock", "false")]),
        ("linux", 2, "unmap_touch", &[("async_ack", "true")]),
        ("linux", 2, "migrate", &[("use_invlpgb", "true"), ("cant_migrate", "false")]),
        ("linux", 2, "migrate", &[("use_invlpgb", "true")]),
        ("linux", 3, "unmap_touch", &[("use_invlpgb", "true")]),
    ];
    for &(model, ncpu, scenario, opts) in cases {
        let p = program(models::find(model).expect("bundled").source);
        let m = session(&p, ncpu, scenario, opts).into_machine();
        let verdict = |o: Options| {
            let (out, _) = Checker::new(m.clone(), o).check();
            match out {
                Outcome::Violation { property, .. } => property.code(),
                Outcome::Verified => "verified",
                other => panic!("{model} {scenario} {opts:?}: {other:?}"),
            }
        };
        let bfs = verdict(Options::default());
        let dfs = Options { mode: Mode::Dfs, ..Options::default() };
        assert_eq!(verdict(dfs.clone()), bfs, "{model} {scenario} {opts:?}: DFS");
        assert_eq!(verdict(Options { por: true, ..dfs }), bfs, "{model} {scenario} {opts:?}: DFS+POR");
    }
}

/// The compact encoding (the checker's frontier and fingerprints) keeps the new state:
/// an open window, broadcasts in flight and retired words.
#[test]
fn encoding_round_trips_windows_broadcasts_and_retired_words() {
    let p = program(models::find("linux").expect("bundled").source);
    let mut s = session(&p, 2, "migrate", &[("use_invlpgb", "true"), ("cant_migrate", "false")]);
    for _ in 0..4 {
        s.step(Choice::Step(0)).expect("up to INVLPGB");
    }
    let mut st = s.state().clone();
    assert_eq!(st.bcast.len(), 1);
    st.cpus[1].window = Some(Window { aspace: 0, va: 0x1000 });
    st.retired.push(Retired { addr: 3, owner: 1 });
    let words = assert_encoding_round_trips(&st);
    // A state differing only in the window encodes differently.
    let mut other = st.clone();
    other.cpus[1].window = None;
    let mut w2 = Vec::new();
    other.encode(&mut w2);
    assert_ne!(words, w2);
}

#[test]
fn too_many_retired_words_is_a_located_fault() {
    let src = "model \"m\"; shared req[100] = 0;\nproc f() { for i in 0..100 {\nretire(req[i]);\n} }\nscenario s { cpu 0: f(); }";
    let p = program(src);
    let mut cfg = Config::new(&p);
    cfg.ncpu = 1;
    match Machine::new(p.clone(), cfg) {
        Err(e) => assert!(e.to_string().contains("line 3") && e.to_string().contains("more than 64 words"), "{e}"),
        Ok(_) => panic!("the runaway retire loop is a model error"),
    }
}

// ---------------------------------------------------------------------------------------
// G-DIRTY (issue #13): every user store is unseen until the kernel reads a dirty bit set
// for the frame or writes the frame out (`page_save`); holding the page clean while no
// dirty bit records such a store, or freeing it once clean, loses it.

/// One CPU, in program order: the kernel reads D, a user store sets it through the A/D
/// assist, and the kernel writes the PTE back read-only, erasing it (PR 61852's shape).
const ERASE: &str = r#"
model "erased dirty bit";
cpus 1..1 default 1;
option look_again = false "read the dirty bit after the store";
option erase = true "write the PTE back with a plain store";
option free_dirty = false "after page_clean, store again and free without a look";
const VA = 0x1000;
aspace mm;
map mm VA writable;
proc t() {
    local f = pte_read(mm, VA);
    local d = pte_dirty(mm, VA);
    user_store(VA);
    if (look_again) { d = pte_dirty(mm, VA); }
    if (erase) { pte_set(mm, VA, f, 1); }
    if (d == 0) { page_clean(f); }
    if (free_dirty) {
        user_store(VA);
        free_page(f);
    }
}
scenario s { cpu 0: t() in mm; }
"#;

#[test]
fn g_dirty_a_single_store_whose_dirty_bit_the_kernel_erases_is_lost() {
    // The store went through a TLB entry with D=0, so no write ever escaped the dirty bit:
    // the property that only watched writes through D=1 entries verified this.
    assert_eq!(property(&check_with(ERASE, 1, &[], false)), "G-DIRTY");
    // The kernel looked at D after the store: it knows the page is dirty.
    assert_eq!(check_with(ERASE, 1, &[("look_again", "true")], false), Outcome::Verified);
    // No erasure: the dirty bit still records the store, so holding the page clean
    // loses nothing yet (the next look finds it) ...
    assert_eq!(check_with(ERASE, 1, &[("erase", "false"), ("look_again", "false")], false), Outcome::Verified);
    // ... but freeing the page without that look does.
    let o = check_with(ERASE, 1, &[("erase", "false"), ("free_dirty", "true")], false);
    let Outcome::Violation { property, message, .. } = &o else { panic!("{o:?}") };
    assert_eq!(*property, Property::Dirty);
    assert!(message.contains("frees frame 0, held clean"), "{message}");
}

/// One CPU: a TLB entry caching the page writable with D=0, then the PTE changes under it
/// (no INVLPG) and the CPU stores through the entry.
const REWALK: &str = r#"
model "A/D assist re-walk";
cpus 1..1 default 1;
option unmap = false "clear the PTE and free the frame (else: write-protect it)";
const VA = 0x1000;
aspace mm;
map mm VA writable;
proc t() {
    user_load(VA);
    local f = pte_read(mm, VA);
    if (unmap) {
        f = pte_clear(mm, VA);
        free_page(f);
    } else {
        pte_set(mm, VA, f, 0);
    }
    user_store(VA);
    local d = pte_dirty(mm, VA);
    assert(d == 0, "the assist set D in a PTE that no longer allows the store");
    user_load(VA);
}
scenario s { cpu 0: t() in mm; }
"#;

#[test]
fn a_store_through_a_clean_entry_rewalks_and_faults_on_a_pte_no_longer_writable() {
    // Read-only now: the assist used to set D in it, and the store landed.
    assert_eq!(check_with(REWALK, 1, &[], false), Outcome::Verified);
    // Gone and freed: the store used to land in the freed frame (G-STALE). The fault drops
    // the entry, so the read after it faults too instead of using it.
    assert_eq!(check_with(REWALK, 1, &[("unmap", "true")], false), Outcome::Verified);
    let p = program(REWALK);
    let mut s = session(&p, 1, "s", &[("unmap", "true")]);
    let mut faults = 0;
    let mut stores = 0;
    while let Some(r) = s.step_seeded(1) {
        for e in &r.expect("no fault").effects {
            match e {
                Effect::PageFault { .. } => faults += 1,
                Effect::UserAccess { write: true, .. } => stores += 1,
                _ => {}
            }
        }
    }
    assert_eq!((faults, stores), (2, 0));
}

#[test]
fn bundled_dirty_races_need_one_store_and_the_launder_that_waits_verifies() {
    let p = program(models::find("dillon-2004").expect("bundled").source);
    let c = p.races.iter().find(|r| r.name == "C").expect("race C");
    assert_eq!(p.scenarios[c.scenario].name, "protect_once", "race C with a single store");
    let check = |sc: &str, ncpu: u32, opts: &[(&str, &str)]| {
        Checker::new(session(&p, ncpu, sc, opts).into_machine(), Options::default()).check().0
    };
    for ncpu in [2, 3] {
        let once = check("protect_once", ncpu, &[("quiesce_first", "false")]);
        assert_eq!(property(&once), "G-DIRTY", "{ncpu} CPUs");
        for fix in [&[("quiesce_first", "false"), ("pte_atomic", "true")][..], &[]] {
            assert_eq!(check("protect_once", ncpu, fix), Outcome::Verified, "{ncpu} CPUs {fix:?}");
        }
        // The premise kernels keep: the dirty bit is cleared and the shootdown done before
        // the I/O, so a store in the window before the target's INVLPG is on disk.
        assert_eq!(check("launder", ncpu, &[("quiesce_first", "false")]), Outcome::Verified, "{ncpu} CPUs");
        let not_waiting = check("launder", ncpu, &[("quiesce_first", "false"), ("synchronous", "false")]);
        assert_eq!(property(&not_waiting), "G-DIRTY", "{ncpu} CPUs");
    }
}

// ---------------------------------------------------------------------------------------
// G-STALE through a speculative fill (issue #13): a walk through a PTE that maps a free
// frame caches a translation that stays unsafe, even once the frame is allocated again.

const FILL_FREED: &str = r#"
model "speculative fill of a freed frame";
cpus 1..1 default 1;
option hw_speculative_fill = true;
const VA = 0x1000;
aspace mm;
map mm VA writable;
proc t() {
    /// The kernel frees the frame before it clears the PTE (the bug).
    local f = pte_read(mm, VA);
    free_page(f);
    /// The frame goes to a new owner.
    local g = alloc_page();
    user_load(VA);
}
scenario s { cpu 0: t() in mm; }
"#;

#[test]
fn a_speculative_fill_from_a_pte_that_maps_a_free_frame_trips_g_stale() {
    // Only the fill while the frame is free leads to the violation: a demand walk after
    // the reallocation finds an allocated frame. The fill used to take the frame's
    // current generation, so the entry looked fresh after the reallocation.
    let o = check_with(FILL_FREED, 1, &[], false);
    let Outcome::Violation { property, choices, message, .. } = &o else { panic!("{o:?}") };
    assert_eq!(*property, Property::Stale);
    assert!(choices.iter().any(|c| matches!(c, Choice::Fill(..))), "{choices:?}");
    assert!(message.contains("speculative walk"), "{message}");
    assert_eq!(check_with(FILL_FREED, 1, &[("hw_speculative_fill", "false")], false), Outcome::Verified);
}

// ---------------------------------------------------------------------------------------
// freebsd-global X1 (issue #13): the kernel's I4 panic guards the deadlock.

#[test]
fn freebsd_global_i4_panics_before_the_x1_deadlock() {
    let p = program(models::find("freebsd-global").expect("bundled").source);
    let check = |opts: &[(&str, &str)]| {
        Checker::new(session(&p, 2, "crossfire_locked", opts).into_machine(), Options::default()).check().0
    };
    let o = check(&[]);
    let Outcome::Violation { property: what, message, .. } = &o else { panic!("{o:?}") };
    assert_eq!((*what, message.contains("interrupts disabled")), (Property::Assert, true), "{message}");
    assert_eq!(property(&check(&[("i4_panic", "false")])), "G-DEADLOCK");
    let x1 = p.races.iter().find(|r| r.name == "X1").expect("race X1");
    assert_eq!(p.scenarios[x1.scenario].name, "crossfire_locked");
}

// ---------------------------------------------------------------------------------------
// freebsd-di DI_R2 (issue #13): the waiter's three guards, each modelled on its own.

#[test]
fn freebsd_di_the_trywait_recheck_or_the_callout_alone_prevents_the_lost_wakeup() {
    let p = program(models::find("freebsd-di").expect("bundled").source);
    let check = |opts: &[(&str, &str)]| {
        Checker::new(session(&p, 2, "truncate", opts).into_machine(), Options::default()).check().0
    };
    let off = |name: &'static str| (name, "false");
    // The re-check after turnstile_trywait alone, or the callout alone: no lost wake-up.
    assert_eq!(check(&[off("waiter_recheck"), off("callout")]), Outcome::Verified);
    assert_eq!(check(&[off("waiter_recheck"), off("trywait_recheck")]), Outcome::Verified);
    // The re-check before trywait alone leaves the window up to trywait open.
    assert_eq!(property(&check(&[off("trywait_recheck"), off("callout")])), "G-NOLOST");
    assert_eq!(property(&check(&[off("waiter_recheck"), off("trywait_recheck"), off("callout")])), "G-NOLOST");
}

/// Issue #13: every bundled model changes page tables, so every one accepts speculative
/// TLB fills (off by default).
#[test]
fn every_bundled_model_accepts_speculative_fills() {
    for b in models::BUNDLED {
        let p = program(b.source);
        let i = p.option_index("hw_speculative_fill").unwrap_or_else(|| panic!("{}", b.id));
        assert_eq!(p.options[i].default, 0, "{}", b.id);
    }
}
