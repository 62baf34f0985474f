//! x86-TSO store buffers (option `hw_tso`): the store-buffer litmus test, forwarding,
//! what drains a buffer, drains as schedule steps, the checker's modes agreeing on TSO
//! models, Linux's LX2 (CVE-2025-40174) and the store-buffer variant of FreeBSD's E3.

mod common;
use common::*;
use sdlab_engine::checker::{Checker, Mode, Options, Outcome};
use sdlab_engine::machine::{describe_store_buffer, Store, STORE_BUFFER_SIZE};
use sdlab_engine::*;

/// The classic SB litmus test: each CPU stores its word, then loads the other's. Under
/// sequential consistency one of the loads sees a 1; under TSO both may read 0, unless
/// an MFENCE sits between the store and the load.
const SB: &str = r#"
model "store-buffer litmus";
cpus 2..2 default 2;
option hw_tso = false;
option mfence = false;
shared x = 0;
shared y = 0;
percpu r = -1;
shared cpumask done = 0;
proc sb() {
    if (self == 0) { x = 1; } else { y = 1; }
    if (mfence) { fence(seq_cst); }
    local v = 0;
    if (self == 0) { v = y; } else { v = x; }
    r = v;
    atomic_or(done, bit(self));
    while (done != 3) { pause(); }
    local a = r[0];
    assert(a != 0 || r[1] != 0, "SB: both CPUs read 0");
}
scenario s { cpu *: sb(); }
"#;

/// Plain stores and loads of one CPU, a locked increment, and a second CPU that reads.
const STORES: &str = r#"
model "stores";
cpus 2..2 default 2;
option hw_tso = true;
shared x = 0;
shared y = 0;
shared z = 0;
shared seen = 0;
proc writer() {
    x = 5;
    local v = x;
    seen = v;
    y = 7;
    fetch_add(z, 1);
}
proc reader() {
    local v = x;
}
scenario s { cpu 0: writer(); cpu 1: reader(); }
"#;

/// CPU 0 raises a flag and waits for the answer; CPU 1 waits for the flag. Under TSO the
/// flag sits in CPU 0's buffer while both spin: not stuck, the drain is still a choice.
const HANDSHAKE: &str = r#"
model "handshake";
cpus 2..2 default 2;
option hw_tso = true;
shared flag = 0;
shared ack = 0;
proc ask() {
    flag = 1;
    while (ack == 0) { pause(); }
}
proc answer() {
    while (flag == 0) { pause(); }
    ack = 1;
}
scenario s { cpu 0: ask(); cpu 1: answer(); }
"#;

fn outcome(src: &str, opts: &[(&str, &str)], o: Options) -> Outcome {
    let p = program(src);
    Checker::new(session(&p, 2, "s", opts).into_machine(), o).check().0
}

fn property(o: &Outcome) -> Option<&str> {
    match o {
        Outcome::Violation { property, .. } => Some(property.code()),
        _ => None,
    }
}

fn addr(m: &Machine, name: &str) -> usize {
    (0..m.initial().mem.len() as u32).find(|&a| m.addr_name(a) == name).expect("word") as usize
}

#[test]
fn both_loads_read_zero_only_with_store_buffers_and_no_fence() {
    let bfs = Options::default();
    assert_eq!(outcome(SB, &[], bfs.clone()), Outcome::Verified, "sequentially consistent");
    let o = outcome(SB, &[("hw_tso", "true")], bfs.clone());
    assert_eq!(property(&o), Some("assert"), "{o:?}");
    assert_eq!(outcome(SB, &[("hw_tso", "true"), ("mfence", "true")], bfs), Outcome::Verified, "MFENCE");
}

#[test]
fn a_cpu_reads_its_own_buffered_store_and_the_others_read_memory() {
    let p = program(STORES);
    let mut s = session(&p, 2, "s", &[]);
    let x = addr(s.machine(), "x");
    let e = s.step(Choice::Step(0)).expect("store").effects.clone();
    assert_eq!(e, vec![Effect::StoreBuffered { cpu: 0, addr: x as u32, value: 5 }]);
    assert_eq!(s.state().mem[x], 0, "not in memory yet");
    assert_eq!(s.state().cpus[0].sb, vec![Store { addr: x as u32, value: 5 }]);
    let d = describe_store_buffer(s.machine(), &s.state().cpus[0].sb);
    assert_eq!(d, vec!["x ← 5".to_string()]);
    let e = s.step(Choice::Step(0)).expect("load").effects.clone();
    assert!(e.contains(&Effect::Read { cpu: 0, addr: x as u32, value: 5 }), "forwarded: {e:?}");
    let e = s.step(Choice::Step(1)).expect("the other CPU loads").effects.clone();
    assert!(e.contains(&Effect::Read { cpu: 1, addr: x as u32, value: 0 }), "from memory: {e:?}");
    assert!(s.enabled().contains(&Choice::Drain(0)));
    let e = s.step(Choice::Drain(0)).expect("drain").clone();
    assert_eq!(e.effects, vec![Effect::StoreCommitted { cpu: 0, addr: x as u32, old: 0, new: 5 }]);
    assert_eq!(e.summary(s.machine()), "CPU 0's store buffer commits x = 5 to memory (was 0)");
    assert_eq!(s.state().mem[x], 5);
    assert!(s.step(Choice::Drain(1)).is_err(), "an empty buffer has nothing to drain");
}

#[test]
fn a_locked_instruction_commits_the_buffer_first_and_a_full_buffer_its_oldest_store() {
    let p = program(STORES);
    let mut s = session(&p, 2, "s", &[]);
    let [x, y, z, seen] = ["x", "y", "z", "seen"].map(|n| addr(s.machine(), n) as u32);
    for _ in 0..3 {
        s.step(Choice::Step(0)).expect("x = 5, load, seen = v");
    }
    assert_eq!(s.state().cpus[0].sb.len(), STORE_BUFFER_SIZE);
    let e = s.step(Choice::Step(0)).expect("y = 7").effects.clone();
    assert_eq!(
        e,
        vec![
            Effect::StoreCommitted { cpu: 0, addr: x, old: 0, new: 5 },
            Effect::StoreBuffered { cpu: 0, addr: y, value: 7 }
        ],
        "a full buffer commits its oldest store before taking a new one"
    );
    let e = s.step(Choice::Step(0)).expect("fetch_add").effects.clone();
    assert_eq!(
        e[..3],
        [
            Effect::StoreCommitted { cpu: 0, addr: seen, old: 0, new: 5 },
            Effect::StoreCommitted { cpu: 0, addr: y, old: 0, new: 7 },
            Effect::Rmw { cpu: 0, addr: z, old: 0, new: 1 },
        ],
        "oldest first, then the locked increment"
    );
    assert!(s.state().cpus[0].sb.is_empty());
}

#[test]
fn a_waiter_whose_buffer_holds_a_store_is_not_stuck() {
    let p = program(HANDSHAKE);
    let mut s = session(&p, 2, "s", &[]);
    s.step(Choice::Step(0)).expect("flag = 1");
    assert_eq!(s.enabled(), vec![Choice::Drain(0)], "both spin; only the drain is left");
    assert!(s.stuck().is_none());
    for mode in [Mode::Bfs, Mode::Dfs] {
        for por in [false, true] {
            assert_eq!(outcome(HANDSHAKE, &[], Options { mode, por, ..Options::default() }), Outcome::Verified);
        }
    }
}

#[test]
fn drains_are_schedule_steps_that_print_parse_and_replay() {
    assert_eq!(Choice::Drain(1).to_string(), "d1");
    assert_eq!("d1".parse::<Choice>(), Ok(Choice::Drain(1)));
    for bad in ["d", "dx", "d1.0", "d300"] {
        assert!(bad.parse::<Choice>().is_err(), "{bad}");
    }
    let p = program(STORES);
    let mut s = session(&p, 2, "s", &[]);
    let f = s.step("d99".parse().expect("parses")).unwrap_err();
    assert_eq!(
        f.error,
        sdlab_engine::RunError::NotPossible { choice: Choice::Drain(99), why: sdlab_engine::Refused::NoSuchCpu }
    );
    assert_eq!(f.to_string(), "CPU 99: choice d99 is not possible now: no such CPU");
    let sched: Vec<Choice> = ["0", "d0", "1"].iter().map(|t| t.parse().expect("step")).collect();
    s.replay(&sched).expect("replays");
    assert_eq!(s.schedule(), sched);
    let x = addr(s.machine(), "x") as u32;
    assert!(s.log()[2].effects.contains(&Effect::Read { cpu: 1, addr: x, value: 5 }), "{:?}", s.log()[2].effects);
}

#[test]
fn without_hw_tso_there_are_no_buffers_and_no_drains() {
    let p = program(STORES);
    let mut s = session(&p, 2, "s", &[("hw_tso", "false")]);
    let e = s.step(Choice::Step(0)).expect("store").effects.clone();
    assert!(matches!(e[..], [Effect::Write { new: 5, .. }]), "{e:?}");
    assert!(s.state().cpus.iter().all(|c| c.sb.is_empty()));
    assert!(!s.enabled().iter().any(|c| matches!(c, Choice::Drain(_))));
}

fn linux(ncpu: u32, opts: &[(&str, &str)], o: Options) -> Outcome {
    let p = program(models::find("linux").expect("bundled").source);
    Checker::new(session(&p, ncpu, "switch_back", opts).into_machine(), o).check().0
}

#[test]
fn lx2_the_loaded_mm_store_waits_in_the_buffer_without_the_barrier() {
    let lx2 = [("hw_tso", "true"), ("switch_mb", "false")];
    let o = linux(2, &lx2, Options::default());
    assert_eq!(property(&o), Some("G-STALE"), "{o:?}");
    assert!(o.choices().contains(&Choice::Drain(1)), "CPU 1's SWITCHING store commits late: {o:?}");
    assert_eq!(linux(2, &[("hw_tso", "true")], Options::default()), Outcome::Verified, "smp_mb() fixes it");
    assert_eq!(linux(3, &[("hw_tso", "true")], Options::default()), Outcome::Verified);
    assert_eq!(linux(2, &[("switch_mb", "false")], Options::default()), Outcome::Verified, "needs TSO");
}

#[test]
fn depth_first_with_and_without_reduction_agrees_on_tso_models() {
    type Case<'a> = (&'a str, u32, &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        (SB, 2, &[("hw_tso", "true")]),
        (SB, 2, &[("hw_tso", "true"), ("mfence", "true")]),
        (HANDSHAKE, 2, &[]),
        ("linux", 2, &[("hw_tso", "true"), ("switch_mb", "false")]),
        ("linux", 2, &[("hw_tso", "true")]),
        ("linux", 3, &[("hw_tso", "true")]),
        ("freebsd-scoreboard", 2, &[("pcid", "true"), ("hw_tso", "true"), ("pm_gen_fence", "false")]),
        ("freebsd-scoreboard", 2, &[("pcid", "true"), ("hw_tso", "true")]),
    ];
    for &(src, ncpu, opts) in cases {
        let src = models::find(src).map_or(src, |b| b.source);
        let p = program(src);
        let scenario = if src.contains("switch_back") { "switch_back" } else { "s" };
        let run = |o: Options| Checker::new(session(&p, ncpu, scenario, opts).into_machine(), o).check();
        let (bfs, _) = run(Options::default());
        let dfs = Options { mode: Mode::Dfs, ..Options::default() };
        let (full, fp) = run(dfs.clone());
        let (por, rp) = run(Options { por: true, ..dfs });
        assert_eq!(property(&bfs), property(&full), "{ncpu} {opts:?}");
        assert_eq!(property(&bfs), property(&por), "{ncpu} {opts:?} with reduction");
        if bfs == Outcome::Verified {
            assert_eq!(full, Outcome::Verified);
            assert!(rp.states <= fp.states);
        } else {
            assert!(bfs.choices().len() <= full.choices().len() && bfs.choices().len() <= por.choices().len());
        }
    }
}

#[test]
fn the_compact_encoding_keeps_store_buffers() {
    let p = program(STORES);
    let mut s = session(&p, 2, "s", &[]);
    s.replay(&[Choice::Step(0), Choice::Step(0), Choice::Step(0)]).expect("two stores buffered");
    assert_eq!(s.state().cpus[0].sb.len(), 2);
    assert_encoding_round_trips(s.state());
}

/// CPU 1 raises the flag and then keeps reading another word, forever; CPU 0 waits for the
/// flag. The store stays buffered only as long as CPU 1's drain is never taken, which no
/// hardware does: the liveness pass must not report that cycle as a lost wake-up.
const BUSY_AFTER_STORE: &str = r#"
model "busy after a store";
cpus 2..2 default 2;
option hw_tso = true;
shared flag = 0;
shared other = 0;
proc waiter() {
    while (flag == 0) { pause(); }
}
proc setter() {
    flag = 1;
    while (true) {
        local v = other;
    }
}
scenario s { cpu 0: waiter(); cpu 1: setter(); }
"#;

#[test]
fn a_cycle_that_never_drains_a_buffered_store_is_no_lost_wakeup() {
    for mode in [Mode::Bfs, Mode::Dfs] {
        let o = outcome(BUSY_AFTER_STORE, &[], Options { mode, ..Options::default() });
        assert_eq!(o, Outcome::Verified, "{mode:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Interrupt delivery does not commit the store buffer: the SDM lists no event delivery
// among the serializing instructions (vol. 3A §9.3, §8.3 before 2024; IRET is one), and
// the ordering rules (§9.2.2) name only I/O, locked and serializing instructions. Linux's
// membarrier fences in its IPI handler for this reason (ipi_mb: "IPIs should be
// serializing but paranoid").

/// The SB litmus test with CPU 0's load moved into an interrupt handler: CPU 0 stores x and
/// is interrupted; its handler reads y. CPU 1 stores y, fences, reads x. x may still sit
/// in CPU 0's buffer while the handler runs, so both may read 0 — unless the handler
/// fences first, as membarrier's ipi_mb() does.
const IRQ_SB: &str = r#"
model "store buffer and interrupt delivery";
cpus 2..2 default 2;
option hw_tso = true;
vector V = 0x40;
shared x = 0;
shared y = 0;
shared r0 = -1;
handler V {
    local s = x;
    local v = y;
    if (s == 1) { r0 = v; } else { r0 = 2; }
    eoi();
}
proc stores() {
    x = 1;
}
proc reads() {
    send_ipi(bit(0), V);
    y = 1;
    fence(seq_cst);
    local a = x;
    while (r0 == -1) { pause(); }
    local h = r0;
    assert(h != 0 || a != 0, "SB through a handler: both read 0");
}
scenario s { cpu 0: stores(); cpu 1: reads(); }
"#;

#[test]
fn interrupt_delivery_leaves_the_interrupted_codes_stores_in_the_buffer() {
    let p = program(IRQ_SB);
    let mut s = session(&p, 2, "s", &[]);
    s.step(Choice::Step(1)).expect("send_ipi");
    s.step(Choice::Step(0)).expect("x = 1");
    assert_eq!(s.state().cpus[0].sb.len(), 1, "x waits in the buffer");
    let e = s.step(Choice::Irq(0, 0)).expect("delivery").effects.clone();
    assert_eq!(e[0], Effect::IrqEnter { cpu: 0, vector: 0 }, "no commit before the handler runs");
    assert_eq!(s.state().cpus[0].sb.len(), 1, "x still waits in the buffer");
    for mode in [Mode::Bfs, Mode::Dfs] {
        for por in [false, true] {
            let o = outcome(IRQ_SB, &[], Options { mode, por, ..Options::default() });
            assert_eq!(property(&o), Some("assert"), "{mode:?} por={por}: {o:?}");
        }
    }
    // A fence at the handler's start (ipi_mb) restores the order.
    let fenced = IRQ_SB.replace("handler V {\n", "handler V {\n    fence(seq_cst);\n");
    assert_ne!(fenced, IRQ_SB);
    assert_eq!(outcome(&fenced, &[], Options::default()), Outcome::Verified);
}

/// Same for an NMI: CPU 0's store may still be buffered when the NMI handler loads.
const NMI_SB: &str = r#"
model "store buffer and NMI delivery";
cpus 2..2 default 2;
option hw_tso = true;
option hw_nmi = 1;
shared x = 0;
shared y = 0;
shared r0 = -1;
nmi {
    local s = x;
    local v = y;
    if (s == 1) { r0 = v; } else { r0 = 2; }
}
proc stores() {
    x = 1;
}
proc reads() {
    y = 1;
    fence(seq_cst);
    local a = x;
    while (r0 == -1) { pause(); }
    local h = r0;
    assert(h != 0 || a != 0, "SB through an NMI handler: both read 0");
}
scenario s { cpu 0: stores(); cpu 1: reads(); }
"#;

#[test]
fn nmi_delivery_leaves_the_interrupted_codes_stores_in_the_buffer() {
    let p = program(NMI_SB);
    let mut s = session(&p, 2, "s", &[]);
    s.step(Choice::Step(0)).expect("x = 1");
    let e = s.step(Choice::Nmi(0)).expect("NMI").effects.clone();
    assert_eq!(e[0], Effect::NmiEnter { cpu: 0 });
    assert_eq!(s.state().cpus[0].sb.len(), 1, "x still waits in the buffer");
    let o = outcome(NMI_SB, &[], Options::default());
    assert_eq!(property(&o), Some("assert"), "{o:?}");
}

// ---------------------------------------------------------------------------------------
// `pte_set` is a plain store. Linux's set_pte (native_set_pte: WRITE_ONCE of the entry)
// and FreeBSD's pte_store are ordinary MOVs, not locked instructions: under TSO the new
// PTE waits in the store buffer like any store (SDM vol. 3A §9.2.3.5 forwarding, §8.2.3.5
// before 2024). Another CPU's page walk reads the page table in memory; the CPU's own
// plain `pte_read` sees its buffered store.

/// CPU 0 maps the page and then reads y; CPU 1 stores y, fences, and reads the PTE. With
/// a buffered PTE store both can see the old state (the SB outcome); a locked PTE write
/// (the old semantics) makes that impossible.
const PTE_SB: &str = r#"
model "a PTE store waits in the buffer";
cpus 2..2 default 2;
option hw_tso = true;
aspace mm;
map mm 0x1000 unmapped;
frames 1;
shared y = 0;
shared r0 = -1;
shared r1 = -1;
proc maps() {
    pte_set(mm, 0x1000, 0, 1);
    local mine = pte_read(mm, 0x1000);
    assert(mine == 0, "a CPU does not see its own buffered PTE store");
    local v = y;
    r0 = v;
}
proc looks() {
    y = 1;
    fence(seq_cst);
    local f = pte_read(mm, 0x1000);
    r1 = f;
    while (r0 == -1) { pause(); }
    local a = r0;
    assert(a != 0 || f != -1, "SB through a PTE: both saw the old state");
}
scenario s { cpu 0: maps() in mm; cpu 1: looks() in mm; }
"#;

#[test]
fn pte_set_waits_in_the_store_buffer_and_its_cpu_reads_it_there() {
    let p = program(PTE_SB);
    let mut s = session(&p, 2, "s", &[]);
    let e = s.step(Choice::Step(0)).expect("pte_set").effects.clone();
    assert!(matches!(e[..], [Effect::StoreBuffered { cpu: 0, .. }]), "{e:?}");
    assert!(!s.state().ptes[0].present, "not in the page table yet");
    let d = describe_store_buffer(s.machine(), &s.state().cpus[0].sb);
    assert_eq!(d, vec!["PTE mm 0x1000 ← frame 0 (writable)".to_string()]);
    assert_encoding_round_trips(s.state());
    s.step(Choice::Step(0)).expect("CPU 0 reads its own PTE store");
    let e = s.step(Choice::Drain(0)).expect("drain").effects.clone();
    assert!(matches!(e[..], [Effect::PteWrite { slot: 0, .. }]), "{e:?}");
    assert!(s.state().ptes[0].present && s.state().ptes[0].writable);
    let o = outcome(PTE_SB, &[], Options::default());
    assert_eq!(property(&o), Some("assert"), "{o:?}");
    let Outcome::Violation { message, .. } = &o else { unreachable!() };
    assert!(message.contains("SB through a PTE"), "{o:?}");
    assert!(o.choices().contains(&Choice::Drain(0)), "{o:?}");
}

/// Two plain stores and two PTE stores on one CPU, nothing else running.
const PTE_AMONG_STORES: &str = r#"
model "PTE stores among plain stores";
cpus 1..1 default 1;
option hw_tso = true;
aspace mm;
map mm 0x1000 unmapped;
map mm 0x2000 unmapped;
frames 2;
shared x = 0;
shared y = 0;
proc f() {
    x = 1;
    pte_set(mm, 0x1000, 0, 1);
    y = 2;
    pte_set(mm, 0x2000, 1, 1);
}
scenario s { cpu 0: f(); }
"#;

/// A `pte_set` joins the buffer behind the CPU's older stores like any store: into a
/// buffer with room it commits nothing, into a full one it first commits the oldest
/// entry, so the buffer never holds more than `STORE_BUFFER_SIZE` (the same rule as a
/// plain store, `a_locked_instruction_commits_the_buffer_first_and_a_full_buffer_its_oldest_store`).
#[test]
fn a_pte_store_takes_a_free_buffer_entry_and_a_full_buffer_commits_its_oldest_first() {
    let p = program(PTE_AMONG_STORES);
    let mut s = session(&p, 1, "s", &[]);
    let x = addr(s.machine(), "x") as u32;
    s.step(Choice::Step(0)).expect("x = 1");
    let e = s.step(Choice::Step(0)).expect("pte_set with room").effects.clone();
    assert!(matches!(e[..], [Effect::StoreBuffered { cpu: 0, .. }]), "nothing commits: {e:?}");
    assert_eq!(s.state().cpus[0].sb.len(), 2);
    let e = s.step(Choice::Step(0)).expect("y = 2 into a full buffer").effects.clone();
    assert_eq!(e[0], Effect::StoreCommitted { cpu: 0, addr: x, old: 0, new: 1 }, "{e:?}");
    let e = s.step(Choice::Step(0)).expect("pte_set into a full buffer").effects.clone();
    assert!(
        matches!(e[..2], [Effect::PteWrite { slot: 0, .. }, Effect::StoreBuffered { cpu: 0, .. }]),
        "the oldest entry, the first PTE store, commits first: {e:?}"
    );
    assert_eq!(s.state().cpus[0].sb.len(), STORE_BUFFER_SIZE);
    assert!(s.state().ptes[0].present && !s.state().ptes[1].present);
}

/// A CPU that maps a page and touches it at once walks into the new PTE: its own walk
/// commits the buffer first (the walk's accessed-bit update is locked, SDM vol. 3A
/// §9.1.2.1 "Automatic Locking").
const MAP_AND_TOUCH: &str = r#"
model "map and touch";
cpus 1..1 default 1;
option hw_tso = true;
aspace mm;
map mm 0x1000 unmapped;
frames 1;
proc t() {
    local f = alloc_page();
    pte_set(mm, 0x1000, f, 1);
    user_store(0x1000);
}
scenario s { cpu 0: t() in mm; }
"#;

#[test]
fn a_cpus_own_walk_commits_its_buffered_pte_store_first() {
    let p = program(MAP_AND_TOUCH);
    let mut s = session(&p, 1, "s", &[]);
    step_while_can(&mut s, 0);
    let fx: Vec<Effect> = s.log().iter().flat_map(|st| st.effects.clone()).collect();
    assert!(fx.iter().any(|e| matches!(e, Effect::PteWrite { slot: 0, .. })), "{fx:?}");
    assert!(!fx.iter().any(|e| matches!(e, Effect::PageFault { .. })), "{fx:?}");
    assert!(fx.iter().any(|e| matches!(e, Effect::UserAccess { write: true, .. })), "{fx:?}");
}

/// The same for a speculative walk (issue #13): a walk is a walk, and its locked
/// accessed-bit update waits for the CPU's older stores whether an access or the
/// speculation engine started it (SDM vol. 3A §9.1.2.1). The page moves from frame 0
/// to frame 1 with the new PTE still in CPU 0's buffer; a speculative fill by CPU 0
/// then caches frame 1, never the old frame 0 its buffer has overwritten.
const REMAP_AND_SPECULATE: &str = r#"
model "remap and speculate";
cpus 1..1 default 1;
option hw_tso = true;
option hw_speculative_fill = true;
aspace mm;
map mm 0x1000 writable;
frames 1;
proc t() {
    local f = alloc_page();
    pte_set(mm, 0x1000, f, 1);
    pause();
}
scenario s { cpu 0: t() in mm; }
"#;

#[test]
fn a_cpus_own_speculative_fill_commits_its_buffered_pte_store_first() {
    let p = program(REMAP_AND_SPECULATE);
    let mut s = session(&p, 1, "s", &[]);
    s.step(Choice::Step(0)).expect("alloc_page");
    s.step(Choice::Step(0)).expect("pte_set");
    assert_eq!(s.state().cpus[0].sb.len(), 1, "the new PTE waits in the buffer");
    assert!(s.state().cpus[0].tlb.is_empty());
    assert!(s.enabled().contains(&Choice::Fill(0, 0)), "{:?}", s.enabled());
    let fx = s.step(Choice::Fill(0, 0)).expect("the speculative fill").effects.clone();
    assert!(fx.iter().any(|e| matches!(e, Effect::PteWrite { slot: 0, .. })), "committed first: {fx:?}");
    let st = s.state();
    assert!(st.cpus[0].sb.is_empty());
    assert_eq!(st.cpus[0].tlb.iter().map(|e| e.frame).collect::<Vec<_>>(), vec![1], "the new frame, not the old");
}

/// Before its PTE store is committed, the page is not present in memory: a fill from
/// memory would find nothing, but the CPU's own walk sees the store, so the fill is enabled.
#[test]
fn a_cpus_own_speculative_fill_sees_a_mapping_only_its_buffer_holds() {
    let p = program(
        &MAP_AND_TOUCH.replace("option hw_tso = true;", "option hw_tso = true;\noption hw_speculative_fill = true;"),
    );
    let mut s = session(&p, 1, "s", &[]);
    s.step(Choice::Step(0)).expect("alloc_page");
    s.step(Choice::Step(0)).expect("pte_set");
    assert!(s.enabled().contains(&Choice::Fill(0, 0)), "{:?}", s.enabled());
    s.step(Choice::Fill(0, 0)).expect("the speculative fill");
    assert_eq!(s.state().cpus[0].tlb.iter().map(|e| e.frame).collect::<Vec<_>>(), vec![0]);
}

/// A walk commits the buffer only when the buffer holds a PTE store of the CPU's own,
/// which the walk must see. With plain stores alone it leaves them buffered: the
/// processor sets a paging-structure entry's accessed flag only "if it is not already
/// set" (SDM vol. 3A §5.8 "Accessed and Dirty Flags", §4.8 before 2024), so a walk
/// through an accessed entry does no locked update and waits for no older store, and a
/// walk is no serializing instruction (§9.3, §8.3 before 2024). The model keeps the
/// weaker of the two machines, as for interrupt delivery above.
const STORE_THEN_WALK: &str = r#"
model "store then walk";
cpus 2..2 default 2;
option hw_tso = true;
aspace mm;
map mm 0x1000 writable;
frames 1;
shared x = 0;
proc t() {
    x = 1;
    user_load(0x1000);
}
proc other() { local v = x; }
scenario s { cpu 0: t() in mm; cpu 1: other(); }
"#;

#[test]
fn a_walk_with_only_plain_stores_in_the_buffer_leaves_them_there() {
    let p = program(STORE_THEN_WALK);
    let mut s = session(&p, 2, "s", &[]);
    s.step(Choice::Step(0)).expect("x = 1");
    assert!(s.state().cpus[0].tlb.is_empty(), "the load misses the TLB and walks");
    let fx = s.step(Choice::Step(0)).expect("user_load").effects.clone();
    assert!(fx.iter().any(|e| matches!(e, Effect::UserAccess { write: false, .. })), "{fx:?}");
    assert!(!fx.iter().any(|e| matches!(e, Effect::StoreCommitted { .. })), "the walk committed x: {fx:?}");
    assert_eq!(s.state().cpus[0].sb, vec![Store { addr: 0, value: 1 }]);
    let x = addr(s.machine(), "x") as u32;
    let fx = s.step(Choice::Step(1)).expect("CPU 1 reads x").effects.clone();
    assert!(fx.contains(&Effect::Read { cpu: 1, addr: x, value: 0 }), "{fx:?}");
}

/// Only a walk commits the buffer: a load or a store that hits the TLB walks nothing
/// and leaves a buffered PTE store where it is; a store through an entry caching D=0
/// walks again to set D (the assist, SDM vol. 3A §4.8), and that walk commits it.
const HITS: &str = r#"
model "hits do not walk";
cpus 1..1 default 1;
option hw_tso = true;
aspace mm;
map mm 0x1000 writable;
map mm 0x2000 unmapped;
frames 1;
proc t() {
    user_load(0x1000);
    pte_set(mm, 0x2000, 1, 1);
    user_load(0x1000);
    user_store(0x1000);
    pte_set(mm, 0x2000, 1, 0);
    user_store(0x1000);
}
scenario s { cpu 0: t() in mm; }
"#;

#[test]
fn a_tlb_hit_commits_nothing_and_the_dirty_bit_assist_commits_the_buffer() {
    let p = program(HITS);
    let mut s = session(&p, 1, "s", &[]);
    let mut after = Vec::new();
    each_step(&mut s, 0, |_, s| {
        let st = s.state();
        after.push((st.cpus[0].sb.len(), st.ptes[1].present, st.ptes[1].writable));
    });
    assert_eq!(
        after,
        [
            (0, false, false), // the load misses and walks: a TLB entry with D=0
            (1, false, false), // the PTE store waits in the buffer
            (1, false, false), // a load that hits walks nothing
            (0, true, true),   // a store through D=0: the assist walks, committing the buffer
            (1, true, true),   // another PTE store waits
            (1, true, true),   // a store through the entry now caching D=1 walks nothing
        ]
    );
}
