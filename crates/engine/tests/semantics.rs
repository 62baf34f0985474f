//! Hardware and property semantics pinned against the manuals, each test written so that
//! a plausible one-line mistake in the machine fails it (issue #20 names the mistakes;
//! the report of that work says which test kills which).

mod common;
use common::*;
use sdlab_engine::checker::{Checker, Options, Outcome};
use sdlab_engine::machine::Ctx;
use sdlab_engine::*;

fn check(src: &str, ncpu: u32, opts: &[(&str, &str)], o: Options) -> Outcome {
    let p = program(src);
    Checker::new(session(&p, ncpu, "s", opts).into_machine(), o).check().0
}

fn property(o: &Outcome) -> Option<&str> {
    match o {
        Outcome::Violation { property, .. } => Some(property.code()),
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
    assert_eq!(v.property, Property::Mem);
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

/// A locked read-modify-write is an access like a store (algorithms.md §0.4): another
/// CPU's atomic on retired storage is G-MEM, and the owner's reclaims it.
#[test]
fn g_mem_judges_a_locked_update_as_a_write() {
    for tso in ["false", "true"] {
        let other = MEM_STORE_AFTER.replace("    req = 5;", "    fetch_add(req, 4);");
        let o = check(&other, 2, &[("hw_tso", tso)], Options::default());
        let Outcome::Violation { message, .. } = &o else { panic!("hw_tso={tso}: {o:?}") };
        assert_eq!(message, "CPU 1 updated req after CPU 0 considered the request complete and free to reuse");
        let owner = MEM_OWNER_REUSES.replace("    req = 2;", "    fetch_add(req, 1);");
        let o = check(&owner, 2, &[("hw_tso", tso)], Options::default());
        assert_eq!(o, Outcome::Verified, "hw_tso={tso}");
    }
}

// ---------------------------------------------------------------------------------------
// LAPIC in-service priority and EOI (Intel SDM Vol. 3A §11.8.3.1, "Task and Processor
// Priorities": the processor-priority class is the class (bits 7:4) of the highest
// vector in service, and a pending vector is dispatched only if its class is *above*
// it; §11.8.5, "Signaling Interrupt Servicing Completion": EOI clears the highest-
// priority bit of the ISR).

/// CPU 1's LO handler re-enables interrupts before its EOI. CPU 0 sends LO, then a
/// vector of the same class, one of a lower class, and one of a higher class.
const LAPIC: &str = r#"
model "lapic in-service priority";
cpus 2..2 default 2;
vector LO = 0x40;
vector SAME = 0x41;
vector LOWER = 0x30;
vector HI = 0x80;
shared w = 0;
handler LO {
    enable_interrupts();
    local x = w;
    eoi();
}
handler SAME { eoi(); }
handler LOWER { eoi(); }
handler HI { eoi(); }
proc sender() {
    send_ipi(bit(1), LO);
    send_ipi(bit(1), SAME);
    send_ipi(bit(1), LOWER);
    send_ipi(bit(1), HI);
}
scenario s { cpu 0: sender(); cpu 1: idle; }
"#;

const LO: u8 = 0;
const SAME: u8 = 1;
const LOWER: u8 = 2;
const HI: u8 = 3;

fn irqs(s: &mut Session, cpu: u8) -> Vec<Choice> {
    s.enabled().into_iter().filter(|c| matches!(c, Choice::Irq(x, _) if *x == cpu)).collect()
}

#[test]
fn same_and_lower_classes_stay_masked_a_higher_class_nests_and_eoi_clears_the_highest() {
    let p = program(LAPIC);
    let mut s = session(&p, 2, "s", &[]);
    s.step(Choice::Step(0)).expect("send LO");
    s.step(Choice::Irq(1, LO)).expect("LO delivered");
    s.step(Choice::Step(1)).expect("the handler sets IF before its EOI");
    assert!(s.state().cpus[1].intr);
    s.step(Choice::Step(0)).expect("send SAME");
    s.step(Choice::Step(0)).expect("send LOWER");
    assert_eq!(s.state().cpus[1].irr, 1 << SAME | 1 << LOWER);
    assert_eq!(irqs(&mut s, 1), vec![], "class 4 in service masks classes 4 and 3");
    s.step(Choice::Step(0)).expect("send HI");
    assert_eq!(irqs(&mut s, 1), vec![Choice::Irq(1, HI)], "class 8 is above class 4: it nests");
    s.step(Choice::Irq(1, HI)).expect("HI nests");
    assert_eq!(s.state().cpus[1].isr, 1 << LO | 1 << HI);
    let e = s.step(Choice::Step(1)).expect("HI's EOI and IRET").effects.clone();
    assert!(e.contains(&Effect::Eoi { cpu: 1, vector: HI }), "EOI clears the highest in service: {e:?}");
    assert!(e.contains(&Effect::Iret { cpu: 1, vector: HI }));
    assert_eq!(s.state().cpus[1].isr, 1 << LO, "LO is still in service");
    assert!(s.state().cpus[1].intr, "IRET restores the IF=1 the LO handler had set");
    assert_eq!(irqs(&mut s, 1), vec![], "LO in service still masks SAME and LOWER");
    s.step(Choice::Step(1)).expect("LO handler reads");
    let e = s.step(Choice::Step(1)).expect("LO's EOI and IRET").effects.clone();
    assert!(e.contains(&Effect::Eoi { cpu: 1, vector: LO }), "{e:?}");
    assert_eq!(s.state().cpus[1].isr, 0);
    assert_eq!(irqs(&mut s, 1), vec![Choice::Irq(1, SAME)], "the highest pending goes first");
    s.step(Choice::Irq(1, SAME)).expect("SAME");
    s.step(Choice::Step(1)).expect("SAME's EOI");
    assert_eq!(irqs(&mut s, 1), vec![Choice::Irq(1, LOWER)]);
}

/// The processor-priority class is that of the highest vector in service, whatever the
/// order the model declares its vectors in (§11.8.3.1): here the higher vector is
/// declared second, and while it is in service the lower one, pending, stays masked.
const LAPIC_HIGH_DECLARED_SECOND: &str = r#"
model "lapic in-service priority, the high vector declared second";
cpus 2..2 default 2;
vector LOW = 0x40;
vector HIGH = 0x80;
shared w = 0;
handler LOW { eoi(); }
handler HIGH {
    enable_interrupts();
    local x = w;
    eoi();
}
proc sender() {
    send_ipi(bit(1), HIGH);
    send_ipi(bit(1), LOW);
}
scenario s { cpu 0: sender(); cpu 1: idle; }
"#;

#[test]
fn a_vector_in_service_masks_a_lower_class_declared_before_it() {
    let (low, high) = (0u8, 1u8);
    let p = program(LAPIC_HIGH_DECLARED_SECOND);
    let mut s = session(&p, 2, "s", &[]);
    s.step(Choice::Step(0)).expect("send HIGH");
    s.step(Choice::Irq(1, high)).expect("HIGH delivered");
    s.step(Choice::Step(1)).expect("the handler sets IF before its EOI");
    s.step(Choice::Step(0)).expect("send LOW");
    assert_eq!(s.state().cpus[1].isr, 1 << high);
    assert_eq!(s.state().cpus[1].irr, 1 << low);
    assert_eq!(irqs(&mut s, 1), vec![], "class 8 in service masks class 4");
    s.step(Choice::Step(1)).expect("HIGH's handler reads");
    s.step(Choice::Step(1)).expect("HIGH's EOI and IRET");
    assert_eq!(irqs(&mut s, 1), vec![Choice::Irq(1, low)], "nothing in service: LOW is delivered");
}

// ---------------------------------------------------------------------------------------
// NMIs (Intel SDM Vol. 3A §7.7.1, §6.7.1 in editions before 2024, "Handling Multiple
// NMIs": while an NMI handler runs, further NMIs are blocked until the next IRET, and one
// is latched and delivered after it; IRET pops the EFLAGS saved on entry, so IF is what
// it was when the NMI came).

const NMI: &str = r#"
model "nmi";
cpus 1..1 default 1;
option hw_nmi = 2;
shared n = 0;
shared seen = -1;
nmi {
    local x = n;
    n = x + 1;
}
proc t() {
    disable_interrupts();
    local a = n;
    seen = a;
    enable_interrupts();
}
scenario s { cpu 0: t(); }
"#;

fn nmi_depth(s: &Session) -> usize {
    s.state().cpus[0].stack.iter().filter(|a| a.ctx == Ctx::Nmi).count()
}

#[test]
fn nmi_return_restores_the_interrupt_flag_it_interrupted() {
    for (cli_first, want_if) in [(true, false), (false, true)] {
        let p = program(NMI);
        let mut s = session(&p, 1, "s", &[]);
        if cli_first {
            s.step(Choice::Step(0)).expect("cli");
        }
        assert_eq!(s.state().cpus[0].intr, want_if);
        s.step(Choice::Nmi(0)).expect("NMI");
        assert!(!s.state().cpus[0].intr, "an NMI handler runs with IF=0");
        s.step(Choice::Step(0)).expect("NMI reads n");
        let e = s.step(Choice::Step(0)).expect("NMI writes n and returns").effects.clone();
        assert!(e.contains(&Effect::NmiExit { cpu: 0 }), "{e:?}");
        assert_eq!(s.state().cpus[0].intr, want_if, "IRET restores IF (cli first: {cli_first})");
    }
}

#[test]
fn a_second_nmi_during_the_handler_is_latched_and_runs_after_the_first_returns() {
    let p = program(NMI);
    let mut s = session(&p, 1, "s", &[]);
    s.step(Choice::Nmi(0)).expect("first NMI");
    s.step(Choice::Step(0)).expect("the handler reads n = 0");
    let e = s.step(Choice::Nmi(0)).expect("second NMI").effects.clone();
    assert_eq!(e, vec![Effect::NmiLatched { cpu: 0 }], "blocked, not nested");
    assert_eq!(nmi_depth(&s), 1);
    assert!(!s.enabled().contains(&Choice::Nmi(0)), "no NMI left, and one is latched");
    let e = s.step(Choice::Step(0)).expect("the first handler writes n = 1 and returns").effects.clone();
    let exit = e.iter().position(|x| *x == Effect::NmiExit { cpu: 0 }).expect("exit");
    let enter = e.iter().position(|x| *x == Effect::NmiEnter { cpu: 0 }).expect("the latched NMI enters");
    assert!(exit < enter, "{e:?}");
    assert_eq!(nmi_depth(&s), 1);
    assert!(!s.state().cpus[0].nmi_latch);
    s.step(Choice::Step(0)).expect("the second handler reads n");
    s.step(Choice::Step(0)).expect("and writes it");
    assert_eq!(nmi_depth(&s), 0);
    let n = (0..s.state().mem.len() as u32).find(|&a| s.machine().addr_name(a) == "n").unwrap();
    assert_eq!(s.state().mem[n as usize], 2, "the handlers ran one after the other, not interleaved");
}

/// An NMI may arrive while the handler of another runs (§7.7.1: it is held pending, not
/// refused), so the environment offers it until one is latched.
#[test]
fn a_second_nmi_may_arrive_while_the_first_handler_runs() {
    let p = program(NMI);
    let mut s = session(&p, 1, "s", &[]);
    s.step(Choice::Nmi(0)).expect("first NMI");
    assert_eq!(nmi_depth(&s), 1);
    assert!(s.enabled().contains(&Choice::Nmi(0)), "one NMI left, none latched: {:?}", s.enabled());
    s.step(Choice::Nmi(0)).expect("second NMI, latched");
    assert!(s.state().cpus[0].nmi_latch);
    assert!(!s.enabled().contains(&Choice::Nmi(0)), "{:?}", s.enabled());
}

// ---------------------------------------------------------------------------------------
// Store-buffer forwarding (Intel SDM Vol. 3A §9.2.3.5, §8.2.3.5 in editions before 2024,
// "Intra-Processor Forwarding Is Allowed"; Owens, Sarkar, Sewell, "A better x86 memory
// model: x86-TSO": a read is satisfied by the *newest* buffered write to its address).

const FORWARD: &str = r#"
model "forwarding";
cpus 2..2 default 2;
option hw_tso = true;
shared x = 0;
proc t() {
    x = 1;
    x = 2;
    local v = x;
    assert(v == 2, "a load sees the newest buffered store");
}
proc other() { local v = x; }
scenario s { cpu 0: t(); cpu 1: other(); }
"#;

#[test]
fn a_load_sees_the_newest_of_two_buffered_stores_to_its_word() {
    let p = program(FORWARD);
    let mut s = session(&p, 2, "s", &[]);
    s.step(Choice::Step(0)).expect("x = 1");
    s.step(Choice::Step(0)).expect("x = 2");
    assert_eq!(s.state().cpus[0].sb.len(), 2);
    let e = s.step(Choice::Step(0)).expect("load").effects.clone();
    assert!(e.contains(&Effect::Read { cpu: 0, addr: 0, value: 2 }), "{e:?}");
    let e = s.step(Choice::Step(1)).expect("the other CPU reads memory").effects.clone();
    assert!(e.contains(&Effect::Read { cpu: 1, addr: 0, value: 0 }), "{e:?}");
    let e = s.step(Choice::Drain(0)).expect("drain the oldest").effects.clone();
    assert_eq!(e, vec![Effect::StoreCommitted { cpu: 0, addr: 0, old: 0, new: 1 }]);
    assert_eq!(check(FORWARD, 2, &[], Options::default()), Outcome::Verified);
}

/// The stepper's history is budgeted by `State::approx_bytes`: a buffered store counts
/// as what it takes in memory.
#[test]
fn a_buffered_store_counts_in_a_snapshots_size() {
    let p = program(FORWARD);
    let mut s = session(&p, 2, "s", &[]);
    let before = s.state().approx_bytes();
    s.step(Choice::Step(0)).expect("x = 1");
    s.step(Choice::Step(0)).expect("x = 2");
    assert_eq!(s.state().cpus[0].sb.len(), 2);
    assert_eq!(s.state().approx_bytes(), before + 2 * std::mem::size_of::<sdlab_engine::machine::Store>());
}

// ---------------------------------------------------------------------------------------
// A page walk into a freed frame.

const WALK: &str = include_str!("cases/walk-into-freed.sdm");

#[test]
fn a_page_walk_through_a_present_pte_into_a_freed_frame_is_g_stale() {
    let p = program(WALK);
    let mut s = session(&p, 1, "s", &[]);
    s.step(Choice::Step(0)).expect("pte_read");
    s.step(Choice::Step(0)).expect("free");
    assert!(s.state().cpus[0].tlb.is_empty(), "nothing cached: the access walks");
    let e = s.step(Choice::Step(0)).expect("access");
    let v = e.violation.clone().expect("G-STALE");
    assert_eq!(v.property, Property::Stale);
    assert_eq!(v.message, "use after free: CPU 0 read va 0x1000 through the page table into frame 0, which is free");
    match check(WALK, 1, &[], Options::default()) {
        Outcome::Violation { property, choices, .. } => assert_eq!((property.code(), choices.len()), ("G-STALE", 3)),
        o => panic!("{o:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// CPU symmetry: the refusal "a CPU number is tested for zero" end to end.

/// Every CPU, CPU 0 included, runs `p`; after a step, each tests its own number for
/// zero and takes one of two paths. In the machine exactly one CPU takes the zero path
/// and the others the other, so no counter passes its bound. A reduction that accepted
/// the test would step a renamed state in which a CPU's number is no longer the one it
/// tested, and could send two CPUs down one path.
const ZERO_TEST: &str = include_str!("cases/symmetry-cpu-zero.sdm");

/// The same model with another way of singling out CPU 0 (`COND` is the test).
const CPU_ZERO_BY: &str = include_str!("cases/symmetry-cpu-zero-by.sdm");

#[test]
fn testing_a_cpu_number_for_zero_is_refused_and_the_verdict_is_the_full_one() {
    let p = program(ZERO_TEST);
    for ncpu in [2, 3] {
        let m = session(&p, ncpu, "s", &[]).into_machine();
        let line = ZERO_TEST.lines().position(|l| l.contains("if (self)")).unwrap() + 1;
        let full = check(ZERO_TEST, ncpu, &[], Options { symmetry: false, ..Options::default() });
        assert_eq!(full, Outcome::Verified, "{ncpu} CPUs");
        assert_eq!(check(ZERO_TEST, ncpu, &[], Options::default()), full, "{ncpu} CPUs, symmetry requested");
        let sym = m.symmetry();
        let r = sym.refusal().expect("refused");
        assert_eq!(
            r,
            format!("line {line}: a CPU number is tested for zero, and CPU 0 is interchangeable (`if (self) {{`)")
        );
    }
}

/// Every way of singling out CPU 0 that the analysis knows is refused, with its rule;
/// the verdict with symmetry requested is the full one. Each rule is needed: with it
/// removed, the reduced search finds a violation the machine cannot reach (checked by
/// applying that mutant; docs/mutants.md lists them). `bit(0)` is the exception: with
/// its rule removed, the comparison's rule refuses the model instead.
#[test]
fn every_way_of_singling_out_cpu_0_is_refused() {
    let cases = [
        ("self < 1", "orders CPU numbers"),
        ("self + 1 == 1", "arithmetic on a CPU number"),
        ("self == 0", "compares a CPU number with a plain number"),
        ("bit(self) == 1", "compares a CPU mask with a plain number"),
        ("has(1, self)", "has() of a plain number and a CPU number"),
        ("lowest(bit(self)) == 0", "`lowest()` picks a CPU by its number"),
        ("min(self, 1) == 0", "min()/max() of CPU numbers"),
        ("popcount(self) == 0", "popcount() of a CPU number"),
        ("~self == -1", "`~` of a CPU number"),
        ("bit(0) == bit(self)", "bit() of a plain number"),
        ("(bit(self) & 1) != 0", "bit by bit"),
    ];
    for (cond, why) in cases {
        let src = CPU_ZERO_BY.replace("COND", cond);
        let p = program(&src);
        let full = check(&src, 2, &[], Options { symmetry: false, ..Options::default() });
        assert_eq!(full, Outcome::Verified, "`{cond}`");
        assert_eq!(check(&src, 2, &[], Options::default()), full, "`{cond}`, symmetry requested");
        let m = session(&p, 2, "s", &[]).into_machine();
        let sym = m.symmetry();
        let r = sym.refusal().unwrap_or_else(|| panic!("`{cond}` accepted"));
        assert!(r.contains(why), "`{cond}`: {r}");
    }
}

/// Every CPU writes CPU 0's slot of a CPU-indexed word (`mark[0]`) and then takes the
/// zero path if its own slot is set: only CPU 0 can. A reduction that accepted the plain
/// index would rename the written slot with the CPU that wrote it and send two CPUs down
/// the zero path.
const CPU_ZERO_INDEX: &str = include_str!("cases/symmetry-cpu-zero-index.sdm");

#[test]
fn a_plain_number_indexing_a_cpu_indexed_word_is_refused_and_the_verdict_is_the_full_one() {
    let p = program(CPU_ZERO_INDEX);
    for ncpu in [2, 3] {
        let full = check(CPU_ZERO_INDEX, ncpu, &[], Options { symmetry: false, ..Options::default() });
        assert_eq!(full, Outcome::Verified, "{ncpu} CPUs");
        assert_eq!(check(CPU_ZERO_INDEX, ncpu, &[], Options::default()), full, "{ncpu} CPUs, symmetry requested");
        let line = CPU_ZERO_INDEX.lines().position(|l| l.contains("mark[0] = 1")).unwrap() + 1;
        let m = session(&p, ncpu, "s", &[]).into_machine();
        let r = m.symmetry().refusal().map(str::to_string).unwrap_or_default();
        assert!(r.starts_with(&format!("line {line}: `mark` is indexed by CPU numbers")), "{r}");
    }
}

/// Every CPU sends an IPI to the plain mask 1 (CPU 0), whose handler marks the CPU it
/// runs on; a CPU whose own mark is set takes the zero path: only CPU 0 can. A reduction
/// that accepted the plain mask would send the IPI to whichever CPU a renaming put in
/// CPU 0's place, and two CPUs could be marked.
const CPU_ZERO_IPI: &str = include_str!("cases/symmetry-cpu-zero-ipi.sdm");

#[test]
fn an_ipi_to_a_plain_number_is_refused_and_the_verdict_is_the_full_one() {
    let p = program(CPU_ZERO_IPI);
    for ncpu in [2, 3] {
        let full = check(CPU_ZERO_IPI, ncpu, &[], Options { symmetry: false, ..Options::default() });
        assert_eq!(full, Outcome::Verified, "{ncpu} CPUs");
        assert_eq!(check(CPU_ZERO_IPI, ncpu, &[], Options::default()), full, "{ncpu} CPUs, symmetry requested");
        let line = CPU_ZERO_IPI.lines().position(|l| l.contains("send_ipi(1, V)")).unwrap() + 1;
        let m = session(&p, ncpu, "s", &[]).into_machine();
        let r = m.symmetry().refusal().map(str::to_string).unwrap_or_default();
        assert!(r.starts_with(&format!("line {line}: send_ipi's targets are a plain number")), "{r}");
    }
}

/// Every CPU writes word 1 of a plain array, then takes the zero path if the word its
/// own mask indexes (`slot[bit(self)]`) holds what was written: only CPU 0's mask is 1.
/// Refused at the mask index, and the verdict with symmetry requested is the full one.
/// (With the rule removed this model still verifies: the runs a renaming adds here are
/// renamings of real ones. No model yet shows this rule needed for a verdict.)
const CPU_ZERO_MASK_INDEX: &str = include_str!("cases/symmetry-cpu-zero-mask-index.sdm");

#[test]
fn a_cpu_mask_used_as_an_index_is_refused_and_the_verdict_is_the_full_one() {
    let p = program(CPU_ZERO_MASK_INDEX);
    for ncpu in [2, 3] {
        let full = check(CPU_ZERO_MASK_INDEX, ncpu, &[], Options { symmetry: false, ..Options::default() });
        assert_eq!(full, Outcome::Verified, "{ncpu} CPUs");
        assert_eq!(check(CPU_ZERO_MASK_INDEX, ncpu, &[], Options::default()), full, "{ncpu} CPUs, symmetry requested");
        let line = CPU_ZERO_MASK_INDEX.lines().position(|l| l.contains("slot[bit(self)]")).unwrap() + 1;
        let m = session(&p, ncpu, "s", &[]).into_machine();
        let r = m.symmetry().refusal().map(str::to_string).unwrap_or_default();
        assert!(r.starts_with(&format!("line {line}: a CPU mask indexes `slot`")), "{r}");
    }
}

// ---------------------------------------------------------------------------------------
// G-DIRTY: only a write through a TLB entry caching D=1 escapes the dirty bit.

const DIRTY: &str = r#"
model "dirty bit";
cpus 1..1 default 1;
option write_again = false;
aspace mm;
map mm 0x1000 writable;
proc t() {
    user_store(0x1000);
    local d = pte_clear_dirty(mm, 0x1000);
    local f = pte_read(mm, 0x1000);
    page_clean(f);
    user_load(0x1000);
    if (write_again) { user_store(0x1000); }
}
scenario s { cpu 0: t() in mm; }
"#;

#[test]
fn a_read_through_a_stale_dirty_entry_is_no_lost_modification_a_write_is() {
    assert_eq!(check(DIRTY, 1, &[], Options::default()), Outcome::Verified, "a read changes nothing");
    match check(DIRTY, 1, &[("write_again", "true")], Options::default()) {
        Outcome::Violation { property, choices, .. } => assert_eq!((property.code(), choices.len()), ("G-DIRTY", 6)),
        o => panic!("{o:?}"),
    }
}

/// One CPU walks in two address spaces, each with a page-table page, and then invalidates
/// in the second one twice.
const PSC_PER_SPACE: &str = r#"
model "paging-structure caches per address space";
aspace mm;
aspace mm2;
map mm 0x1000 writable;
map mm 0x3000 table;
map mm2 0x1000 writable;
map mm2 0x3000 table;
proc f() {
    user_load(0x1000);
    load_cr3(mm2, 0);
    user_load(0x1000);
    invlpg(0x1000);
    invlpg(0x1000);
}
scenario s { cpu 0: f() in mm; }
"#;

/// A free frame can carry the G-DIRTY flags: the kernel may hold it clean
/// (`page_clean`), and a store through a stale TLB entry (itself G-STALE) reaches it.
const ALLOC_AFTER_FREE: &str = r#"
model "a frame allocated again";
aspace mm;
map mm 0x1000 writable;
proc t() {
    user_store(0x1000);
    local f = pte_clear(mm, 0x1000);
    free_page(f);
    page_clean(f);
    user_store(0x1000);
    local g = alloc_page();
}
scenario s { cpu 0: t() in mm; }
"#;

/// `alloc_page` hands out a new page: nothing the kernel held of the frame's previous
/// life carries over, neither a clean copy on disk nor a store no dirty bit recorded
/// (docs/model-language.md, G-DIRTY), whatever the free frame carried.
#[test]
fn an_allocated_frame_starts_neither_clean_nor_with_an_unseen_store() {
    let p = program(ALLOC_AFTER_FREE);
    let mut s = session(&p, 1, "s", &[]);
    for _ in 0..4 {
        s.step(Choice::Step(0)).expect("store, pte_clear, free, page_clean");
    }
    let st = s.step(Choice::Step(0)).expect("a store through the stale entry");
    assert_eq!(st.violation.as_ref().map(|v| v.property.code()), Some("G-STALE"));
    let f = s.state().frames[0];
    assert!(!f.allocated && f.clean && f.unseen, "{f:?}");
    s.step(Choice::Step(0)).expect("alloc_page");
    let f = s.state().frames[0];
    assert!(f.allocated && !f.clean && !f.unseen, "{f:?}");
}

/// CPU 0 walks for 0x1000 (its TLB and its paging-structure cache fill), then INVLPGs
/// another page, which drops the cache's entry for the address space (§4.10.4.1) but not
/// the TLB's entry for 0x1000.
const PSC_REFILL: &str = r#"
model "a speculative walk that only refills the paging-structure cache";
option hw_speculative_fill = true;
aspace mm;
map mm 0x1000 writable;
map mm 0x2000 writable;
map mm 0x3000 table;
proc f() {
    user_load(0x1000);
    invlpg(0x2000);
    pause();
}
scenario s { cpu 0: f() in mm; }
"#;

/// A speculative walk for a page the TLB already caches still walks the upper level and
/// may cache the entry it reads (§4.10.3.1), and leaves the TLB's one entry for the page
/// as it was: no second translation of the same page.
#[test]
fn a_speculative_walk_for_a_cached_page_refills_only_the_paging_structure_cache() {
    let p = program(PSC_REFILL);
    let mut s = session(&p, 1, "s", &[]);
    s.step(Choice::Step(0)).expect("user_load");
    s.step(Choice::Step(0)).expect("invlpg");
    assert!(s.state().cpus[0].psc.is_empty());
    assert_eq!(s.state().cpus[0].tlb.len(), 1);
    let slot = s.machine().slots().iter().position(|sl| sl.va == 0x1000 && !sl.table).expect("slot") as u16;
    assert!(s.enabled().contains(&Choice::Fill(0, slot)), "{:?}", s.enabled());
    let e = s.step(Choice::Fill(0, slot)).expect("the speculative walk").effects.clone();
    assert!(e.iter().any(|e| matches!(e, Effect::PscFill { cpu: 0, .. })), "{e:?}");
    assert!(!e.iter().any(|e| matches!(e, Effect::TlbFill { .. })), "{e:?}");
    assert_eq!(s.state().cpus[0].tlb.len(), 1, "one entry for the page");
    assert_eq!(s.state().cpus[0].psc.len(), 1);
}

/// A walk caches the upper-level entry of the address space it walks (SDM vol. 3A
/// §4.10.3.1), a NOFLUSH CR3 load keeps the other space's, and INVLPG drops the entries of
/// the current address space only, whatever the address (§4.10.4.1): the first INVLPG in
/// mm2 drops one entry and keeps mm's, the second finds none to drop and says nothing.
#[test]
fn invlpg_drops_the_paging_structure_cache_entries_of_the_current_address_space_only() {
    let p = program(PSC_PER_SPACE);
    let mut s = session(&p, 1, "s", &[]);
    let mut flushes = vec![];
    each_step(&mut s, 0, |e, s| {
        flushes.push(e.effects.iter().filter(|e| matches!(e, Effect::PscFlush { .. })).cloned().collect::<Vec<_>>());
        if flushes.len() == 3 {
            assert_eq!(s.state().cpus[0].psc.len(), 2, "one entry per address space walked");
        }
    });
    assert_eq!(flushes.len(), 5);
    assert_eq!(flushes[3], vec![Effect::PscFlush { cpu: 0, removed: 1 }], "the first INVLPG in mm2");
    assert_eq!(flushes[4], vec![], "the second: nothing left to drop");
    assert_eq!(s.state().cpus[0].psc.iter().map(|e| e.aspace).collect::<Vec<_>>(), vec![0], "mm's stays");
}

/// A store through an entry caching D=0 whose PTE is gone faults, and the assist drops
/// that entry, that one only (SDM vol. 3A §4.8: the processor re-walks to set D and, on a
/// fault, invalidates the translation it used); the other page's entry stays cached.
const ASSIST_FAULT: &str = r#"
model "the assist faults";
cpus 1..1 default 1;
aspace mm;
map mm 0x1000 writable;
map mm 0x2000 writable;
proc t() {
    user_load(0x1000);
    user_load(0x2000);
    local f = pte_clear(mm, 0x1000);
    user_store(0x1000);
}
scenario s { cpu 0: t() in mm; }
"#;

#[test]
fn a_faulting_dirty_bit_assist_drops_that_entry_only() {
    let p = program(ASSIST_FAULT);
    let mut s = session(&p, 1, "s", &[]);
    let mut last = Vec::new();
    each_step(&mut s, 0, |e, _| last = e.effects.clone());
    assert_eq!(
        last,
        [
            Effect::TlbInvalidate { cpu: 0, va: 0x1000, removed: 1 },
            Effect::PageFault { cpu: 0, va: 0x1000 },
            Effect::ThreadDone { cpu: 0 }
        ]
    );
    let tlb: Vec<i32> = s.state().cpus[0].tlb.iter().map(|e| e.va).collect();
    assert_eq!(tlb, [0x2000]);
}

/// The assist sets D in the PTE it walked and in the entry it used, no other: with two
/// pages cached D=0, a store to the second leaves the first clean in the TLB and in the
/// page table.
const ASSIST_SETS: &str = r#"
model "the assist sets D";
cpus 1..1 default 1;
aspace mm;
map mm 0x1000 writable;
map mm 0x2000 writable;
proc t() {
    user_load(0x1000);
    user_load(0x2000);
    user_store(0x2000);
}
scenario s { cpu 0: t() in mm; }
"#;

#[test]
fn the_dirty_bit_assist_marks_the_entry_and_pte_it_used() {
    let p = program(ASSIST_SETS);
    let mut s = session(&p, 1, "s", &[]);
    step_while_can(&mut s, 0);
    let st = s.state();
    let tlb: Vec<(i32, bool)> = st.cpus[0].tlb.iter().map(|e| (e.va, e.dirty)).collect();
    assert_eq!(tlb, [(0x1000, false), (0x2000, true)]);
    assert_eq!((st.ptes[0].dirty, st.ptes[1].dirty), (false, true));
}
