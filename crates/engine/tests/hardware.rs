//! The hardware the models run on, pinned against the manuals, each through the checker:
//! a small model whose verdict (breadth-first, and depth-first with partial-order
//! reduction) depends on the rule, so that a mistake in the machine changes a verdict, not
//! only a step a session test looks at (issue #20; `tests/semantics.rs` has the
//! step-by-step versions). Section numbers are those of the Intel SDM Vol. 3A editions
//! from 2024 on, in which chapter 4 is "Linear-Address Pre-Processing" (the APIC is
//! chapter 11, as the repository's other citations have it); older editions number the
//! chapters from Paging on one lower (§10.8 for §11.8, §8.2 for §9.2, §6.7 for §7.7,
//! §4.10 for §5.10). Each section is named by its title too.
//!
//! Each test was checked to fail with the mistake its comment names applied to the
//! machine (docs/mutants.md, "The seven mutants of issue #20").

mod common;
use common::replay::assert_replays;
use common::*;
use sdlab_engine::checker::{Checker, Mode, Options, Outcome, Progress};

/// The model's scenario `s` on `ncpu` CPUs, checked breadth-first (CPU symmetry as the
/// default has it) and depth-first with partial-order reduction; every counterexample
/// replays to the reported property at the reported step.
fn both(src: &str, ncpu: u32) -> [(Outcome, Progress); 2] {
    let p = program(src);
    let m = session(&p, ncpu, "s", &[]).into_machine();
    let bfs = Checker::new(m.clone(), Options::default()).check();
    let por = Checker::new(m.clone(), Options { mode: Mode::Dfs, por: true, ..Options::default() }).check();
    assert_replays(&m, &bfs.0, "bfs");
    assert_replays(&m, &por.0, "dfs --por");
    [bfs, por]
}

/// (property, message, steps) of a violation; `None` for Verified.
fn verdict(o: &Outcome) -> Option<(&str, &str, usize)> {
    match o {
        Outcome::Verified => None,
        Outcome::Violation { property, message, choices, .. } => Some((property.code(), message, choices.len())),
        other => panic!("expected a verdict, got {other:?}"),
    }
}

/// Both searches verify.
fn assert_verified(src: &str, ncpu: u32) {
    for (i, (o, _)) in both(src, ncpu).iter().enumerate() {
        assert_eq!(*o, Outcome::Verified, "{}", ["bfs", "dfs --por"][i]);
    }
}

/// Both searches find `property` with `message`; the breadth-first one in `steps`.
fn assert_found(src: &str, ncpu: u32, property: &str, message: &str, steps: usize) {
    let [(bfs, _), (por, _)] = both(src, ncpu);
    assert_eq!(verdict(&bfs), Some((property, message, steps)), "bfs");
    let (p, m, n) = verdict(&por).expect("dfs --por finds it too");
    assert_eq!((p, m), (property, message), "dfs --por");
    assert!(n >= steps, "dfs --por: {n} steps, shorter than the shortest");
}

// ---------------------------------------------------------------------------------------
// LAPIC in-service priority. §11.8.3.1 ("Task and Processor Priorities"): the processor-
// priority class is the class (vector bits 7:4) of the highest vector in service (TPR 0);
// §11.8.4 ("Interrupt Acceptance for Fixed Interrupts"): the highest pending vector is
// dispatched when IF=1 and its class is *above* the processor-priority class, so a
// handler that sets IF before its EOI can be interrupted by a higher class only;
// §11.8.5 ("Signaling Interrupt Servicing Completion"): EOI clears the highest-priority
// bit set in the ISR.

/// CPU 1's LO handler (class 4) sets IF, says so, and waits for CPU 0 to have sent a
/// vector of the same class and one of a lower class. Neither may run inside it.
/// Kills: the same class nests (`>` → `>=` in the deliverable check), and in-service
/// blocking removed.
const SAME_AND_LOWER_STAY_MASKED: &str = r#"
model "same and lower classes stay masked";
cpus 2..2 default 2;
vector LO = 0x40;
vector SAME = 0x41;
vector LOWER = 0x30;
shared phase = 0;
shared sent = 0;
handler LO {
    enable_interrupts();
    phase = 1;
    while (sent == 0) { pause(); }
    phase = 2;
    eoi();
}
handler SAME {
    assert(phase != 1, "SAME ran inside LO's handler");
    eoi();
}
handler LOWER {
    assert(phase != 1, "LOWER ran inside LO's handler");
    eoi();
}
proc sender() {
    send_ipi(bit(1), LO);
    while (phase == 0) { pause(); }
    send_ipi(bit(1), SAME);
    send_ipi(bit(1), LOWER);
    sent = 1;
}
scenario s { cpu 0: sender(); cpu 1: idle; }
"#;

#[test]
fn same_and_lower_classes_stay_masked_while_a_handler_runs_with_if_set() {
    assert_verified(SAME_AND_LOWER_STAY_MASKED, 2);
}

/// CPU 1's LO handler (class 4) sets IF and waits; CPU 0 sends HI (class 8), which nests
/// and says so after its EOI, then MID (class 6). After HI's EOI only LO is in service,
/// so MID nests in LO's handler too, before LO's EOI: the assertion in MID's handler
/// fails. Were HI unable to nest, both CPUs would wait for ever (no `assert`); were EOI to
/// clear the lowest vector in service (LO, in HI's handler), HI would stay in service and
/// mask MID until LO's EOI (phase 2 then): verified.
const HIGHER_NESTS_AND_EOI_CLEARS_IT: &str = r#"
model "a higher class nests, and its EOI clears it";
cpus 2..2 default 2;
vector LO = 0x40;
vector MID = 0x60;
vector HI = 0x80;
shared phase = 0;
shared hi_done = 0;
shared mid_sent = 0;
handler LO {
    enable_interrupts();
    phase = 1;
    while (mid_sent == 0) { pause(); }
    phase = 2;
    eoi();
}
handler HI {
    eoi();
    hi_done = 1;
}
handler MID {
    assert(phase != 1, "MID ran inside LO's handler after HI's EOI");
    eoi();
}
proc sender() {
    send_ipi(bit(1), LO);
    while (phase == 0) { pause(); }
    send_ipi(bit(1), HI);
    while (hi_done == 0) { pause(); }
    send_ipi(bit(1), MID);
    mid_sent = 1;
}
scenario s { cpu 0: sender(); cpu 1: idle; }
"#;

#[test]
fn a_higher_class_nests_and_its_eoi_clears_the_highest_vector_in_service() {
    assert_found(HIGHER_NESTS_AND_EOI_CLEARS_IT, 2, "assert", "MID ran inside LO's handler after HI's EOI", 13);
}

// ---------------------------------------------------------------------------------------
// NMIs. §7.7.1 ("Handling Multiple NMIs"): while an NMI handler runs, the processor
// blocks further NMIs until the next IRET; one arriving meanwhile is held pending and
// delivered after that IRET. §7.12.1 ("Exception- or Interrupt-Handler Procedures"):
// IRET restores EFLAGS from the stack, so IF is what it was when the NMI arrived.

/// CPU 0 runs a section with IF=0 in which an NMI may arrive; CPU 1 sends it an IPI
/// whose handler asserts that it is not inside the section. Kills: IRET from the NMI
/// sets IF=1 instead of restoring the saved IF (the IPI then runs inside the section).
const NMI_RETURN_KEEPS_IF: &str = r#"
model "the NMI's IRET restores IF";
cpus 2..2 default 2;
option hw_nmi = 1;
vector V = 0x40;
shared in_section = 0;
shared x = 0;
nmi {
    local y = x;
}
handler V {
    assert(in_section == 0, "an interrupt ran inside the IF=0 section");
    eoi();
}
proc section() {
    disable_interrupts();
    in_section = 1;
    x = 1;
    in_section = 0;
    enable_interrupts();
}
proc sender() {
    send_ipi(bit(0), V);
}
scenario s { cpu 0: section(); cpu 1: sender(); }
"#;

#[test]
fn returning_from_an_nmi_restores_the_interrupt_flag_it_interrupted() {
    assert_verified(NMI_RETURN_KEEPS_IF, 2);
}

/// Two NMIs arrive at the one CPU, whose thread waits with IF=0 until both handlers have
/// run; each handler counts itself in and out and asserts that it runs alone. Verified:
/// every run ends with both handlers done, one after the other. Kills: a second NMI during
/// the handler nests instead of latching (the assertion breaks); a latched NMI that never
/// runs would leave the thread waiting for ever (G-NOLOST).
const SECOND_NMI_LATCHES: &str = r#"
model "a second NMI latches";
cpus 1..1 default 1;
option hw_nmi = 2;
shared inside = 0;
shared n = 0;
nmi {
    local d = inside;
    inside = d + 1;
    assert(d == 0, "an NMI nested in an NMI handler");
    local k = n;
    n = k + 1;
    inside = 0;
}
proc t() {
    disable_interrupts();
    while (n < 2) { pause(); }
}
scenario s { cpu 0: t(); }
"#;

#[test]
fn a_second_nmi_waits_for_the_first_handlers_return_and_then_runs() {
    assert_verified(SECOND_NMI_LATCHES, 1);
}

// ---------------------------------------------------------------------------------------
// Store buffers. §9.2.3.5 ("Intra-Processor Forwarding Is Allowed") and x86-TSO (Owens,
// Sarkar, Sewell, 2009): a load is satisfied by the newest store to its address in the
// CPU's own store buffer.

/// Kills: forwarding the oldest buffered store to the word instead of the newest.
const NEWEST_STORE_FORWARDS: &str = r#"
model "the newest buffered store forwards";
cpus 2..2 default 2;
option hw_tso = true;
shared x = 0;
proc t() {
    x = 1;
    x = 2;
    local v = x;
    assert(v == 2, "a load saw an older buffered store");
}
proc other() {
    local v = x;
    assert(v != 2 || x != 1, "x went back");
}
scenario s { cpu 0: t(); cpu 1: other(); }
"#;

#[test]
fn a_load_is_satisfied_by_the_newest_of_two_buffered_stores_to_its_word() {
    assert_verified(NEWEST_STORE_FORWARDS, 2);
}

// ---------------------------------------------------------------------------------------
// Page walks. §5.10.2 ("Translation Lookaside Buffers"): with no TLB entry for the page,
// an access walks the paging structures in memory and uses the frame the PTE maps; a
// present PTE that maps a frame the kernel freed leads the access into that frame.

/// CPU 0 frees the frame its present PTE maps, then touches the page; nothing is cached,
/// so the access walks into the free frame. Kills: a walk that does not judge the frame.
const WALK_INTO_FREED: &str = include_str!("cases/walk-into-freed.sdm");

#[test]
fn a_page_walk_through_a_present_pte_into_a_freed_frame_is_g_stale() {
    assert_found(
        WALK_INTO_FREED,
        1,
        "G-STALE",
        "use after free: CPU 0 read va 0x1000 through the page table into frame 0, which is free",
        3,
    );
}

// ---------------------------------------------------------------------------------------
// Paging-structure caches (issue #13). §4.10.3 ("Paging-Structure Caches"): a processor
// may cache upper-level entries (a PDE-cache entry holds the physical address of the page
// table a PDE points to) and use them for later walks without reading the entry again,
// speculative walks included (§4.10.3.1, §4.10.2.3). §4.10.4.1 ("Operations that
// Invalidate TLBs and Paging-Structure Caches"): INVLPG "also invalidates all entries in
// all paging-structure caches associated with the current PCID, regardless of the linear
// addresses to which they correspond"; MOV to CR3 with bit 63 clear invalidates the
// entries of the new PCID, with bit 63 set (NOFLUSH) none. §4.10.4.4 ("Delayed
// Invalidation"): modifying or freeing a page-table page requires invalidating the
// paging-structure caches of every processor that may hold an entry pointing to it.

/// CPU 1 reads 0x1000, which caches mm's upper-level entry; CPU 0 then unhooks mm's
/// page-table page (clears the PDE) and frees it, with no flush; CPU 1 then reads 0x2000,
/// which misses in its TLB and walks through the cached PDE into the freed page.
/// Kills: walks that read the upper-level entry from memory every time (no cache), which
/// fault at the cleared PDE, and the old machine, which read 0x2000's PTE straight from
/// the page table.
const WALK_THROUGH_FREED_TABLE: &str = r#"
model "a walk through a cached PDE into a freed page table";
cpus 2..2 default 2;
aspace mm;
map mm 0x1000 writable;
map mm 0x2000 writable;
map mm 0x3000 table;
shared phase = 0;
proc unhook() {
    while (phase != 1) { pause(); }
    local f = pte_clear(mm, 0x3000);
    free_page(f);
    phase = 2;
}
proc reader() {
    user_load(0x1000);
    phase = 1;
    while (phase != 2) { pause(); }
    user_load(0x2000);
}
scenario s { cpu 0: unhook() in mm; cpu 1: reader() in mm; }
"#;

#[test]
fn a_walk_uses_the_cached_upper_level_entry_of_a_freed_page_table() {
    let [(bfs, _), (por, _)] = both(WALK_THROUGH_FREED_TABLE, 2);
    for (o, mode) in [(bfs, "bfs"), (por, "dfs --por")] {
        let (p, m, _) = verdict(&o).unwrap_or_else(|| panic!("{mode}: verified"));
        assert_eq!(p, "G-STALE", "{mode}");
        assert!(
            m.contains("CPU 1's page walk for va 0x2000 reads frame 2") && m.contains("paging-structure cache"),
            "{mode}: {m}"
        );
    }
}

/// The same, with an INVLPG of an unrelated address (0x1000, not 0x2000) on CPU 1 before
/// the page-table page is freed, or a CR3 load that flushes: either drops every cached
/// upper-level entry of the PCID. A NOFLUSH CR3 load keeps it.
/// Kills: INVLPG dropping only entries for its own address; NOFLUSH dropping them.
#[test]
fn invlpg_of_any_address_and_a_flushing_cr3_load_drop_the_cached_upper_level_entries() {
    let with = |drop: &str| {
        WALK_THROUGH_FREED_TABLE.replace(
            "    user_load(0x1000);\n    phase = 1;",
            &format!("    user_load(0x1000);\n    {drop}\n    phase = 1;"),
        )
    };
    assert_verified(&with("invlpg(0x1000);"), 2);
    assert_verified(&with("load_cr3(mm, 1);"), 2);
    let [(bfs, _), _] = both(&with("load_cr3(mm, 0);"), 2);
    assert_eq!(verdict(&bfs).map(|v| v.0), Some("G-STALE"));
}

/// With speculative fills, CPU 1 needs no access at all: it runs nothing, yet its walker
/// caches the PDE and walks through it once the page table is freed. Unhooking the page
/// table and then flushing CPU 1 (an INVLPG there, before the free) is safe: a walk then
/// reads the cleared PDE and finds nothing. CPU 0 flushes its own cache (it walks too).
/// Kills: speculative walks that do not fill or use the paging-structure cache.
const SPECULATIVE_WALK: &str = r#"
model "a speculative walk through a cached PDE";
cpus 2..2 default 2;
option hw_speculative_fill = true;
option flush = false;
aspace mm;
map mm 0x1000 writable;
map mm 0x3000 table;
shared phase = 0;
proc unhook() {
    local f = pte_clear(mm, 0x3000);
    invlpg(0x1000);
    phase = 1;
    if (flush) { while (phase != 2) { pause(); } }
    free_page(f);
}
proc walker() {
    if (flush) {
        while (phase != 1) { pause(); }
        invlpg(0x1000);
        phase = 2;
    }
}
scenario s { cpu 0: unhook() in mm; cpu 1: walker() in mm; }
"#;

#[test]
fn a_speculative_walk_fills_and_uses_the_paging_structure_cache() {
    let [(bfs, _), (por, _)] = both(SPECULATIVE_WALK, 2);
    for (o, mode) in [(bfs, "bfs"), (por, "dfs --por")] {
        let (p, m, _) = verdict(&o).unwrap_or_else(|| panic!("{mode}: verified"));
        assert_eq!(p, "G-STALE", "{mode}");
        assert!(m.contains("CPU 1's page walk") && m.contains("paging-structure cache"), "{mode}: {m}");
    }
    assert_verified(&SPECULATIVE_WALK.replace("option flush = false;", "option flush = true;"), 2);
}

/// The A/D assist is a walk too (§4.8 "Accessed and Dirty Flags": the processor sets D in
/// the paging-structure entry when it first writes through it): a store through a TLB
/// entry caching D=0 walks again, through the cached upper-level entry into the freed
/// page table. Kills: an assist that reads the PTE without walking the upper level (the
/// machine before issue #13's follow-up: the store went through, setting D in a PTE of a
/// page table that was already freed).
#[test]
fn the_dirty_bit_assist_walks_through_the_paging_structure_cache() {
    let store = WALK_THROUGH_FREED_TABLE.replace("    user_load(0x2000);\n}", "    user_store(0x1000);\n}");
    let [(bfs, _), (por, _)] = both(&store, 2);
    for (o, mode) in [(bfs, "bfs"), (por, "dfs --por")] {
        let (p, m, _) = verdict(&o).unwrap_or_else(|| panic!("{mode}: verified"));
        assert_eq!(p, "G-STALE", "{mode}");
        assert!(m.contains("CPU 1's page walk for va 0x1000") && m.contains("paging-structure cache"), "{mode}: {m}");
    }
}
