//! Partial-order reduction against the full search on the cases a review found it wrong
//! (issue #20): a private step of a CPU that another CPU's later step makes dependent on
//! one of its environment choices (a speculative fill, a broadcast's arrival).

mod common;
use common::*;
use sdlab_engine::checker::{Checker, Mode, Options, Outcome};

/// CPU 0, interrupts off, switches from mm1 to mm2 without a flush (PCID) and back.
/// While it is still in mm1, CPU 1 maps a page there, then unmaps and frees it without a
/// shootdown (it relies on CPU 0 being in mm2). A speculative fill of the page before
/// the switch leaves an mm1 entry that outlives the free; the switch before the fill
/// cannot make one. The switch is CPU 0's only choice when CPU 1 has not mapped yet.
const FILL_BEFORE_SWITCH: &str = include_str!("cases/por-fill-before-switch.sdm");

/// CPU 0, interrupts off, acknowledges with a fence that opens its window on the page,
/// then waits for CPU 1's INVLPGB to complete and touches the page twice. An arrival
/// after the fence closes the window; an arrival before it leaves the window open, so the
/// first access fills the TLB and the second uses that entry in the window (an access that
/// misses is no violation, issue #13).
const BCAST_BEFORE_ACK: &str = include_str!("cases/por-bcast-before-ack.sdm");

/// CPU 0, interrupts off, says it is ready and then fences forever: its fence leads back
/// to the state it left (a self-loop). CPU 1 waits for ready and then breaks an
/// assertion. Every state after ready has CPU 0 at its fence, so a reduction that takes
/// the fence alone there never lets CPU 1 run.
const SELF_LOOP: &str = include_str!("cases/por-self-loop.sdm");

/// CPU 0, interrupts on, caches the page and then invalidates it; CPU 1 unmaps and frees
/// the page and sends CPU 0 an IPI whose handler touches it. The handler before the
/// INVLPG uses the stale entry; after it, the access walks and faults. When CPU 0 is at
/// its INVLPG no interrupt is pending yet: only IF=0 keeps the one CPU 1 will send from
/// overtaking the INVLPG, so with IF=1 the INVLPG must not be taken alone.
const IRQ_ENABLED_LATER: &str = include_str!("cases/por-irq-enabled-later.sdm");

fn run(src: &str, mode: Mode, por: bool) -> Outcome {
    let p = program(src);
    let o = Options { mode, por, symmetry: false, ..Options::default() };
    Checker::new(session(&p, 2, "s", &[]).into_machine(), o).check().0
}

fn property_and_len(o: &Outcome) -> (&str, usize) {
    match o {
        Outcome::Violation { property, choices, .. } => (property.code(), choices.len()),
        other => panic!("expected a violation, got {other:?}"),
    }
}

#[test]
fn a_fill_enabled_later_keeps_the_cr3_load_out_of_the_ample_set() {
    let bfs = run(FILL_BEFORE_SWITCH, Mode::Bfs, false);
    assert_eq!(property_and_len(&bfs), ("G-STALE", 13), "{bfs:?}");
    for por in [false, true] {
        let o = run(FILL_BEFORE_SWITCH, Mode::Dfs, por);
        assert_eq!(property_and_len(&o).0, "G-STALE", "por={por}: {o:?}");
    }
}

#[test]
fn a_broadcast_enabled_later_keeps_the_window_opening_fence_out_of_the_ample_set() {
    let bfs = run(BCAST_BEFORE_ACK, Mode::Bfs, false);
    assert_eq!(property_and_len(&bfs), ("G-USERMODE-WINDOW", 12), "{bfs:?}");
    for por in [false, true] {
        let o = run(BCAST_BEFORE_ACK, Mode::Dfs, por);
        assert_eq!(property_and_len(&o).0, "G-USERMODE-WINDOW", "por={por}: {o:?}");
    }
}

#[test]
fn a_private_step_back_to_its_own_state_is_not_taken_alone() {
    let bfs = run(SELF_LOOP, Mode::Bfs, false);
    assert_eq!(property_and_len(&bfs), ("assert", 5), "{bfs:?}");
    for por in [false, true] {
        let o = run(SELF_LOOP, Mode::Dfs, por);
        assert_eq!(property_and_len(&o).0, "assert", "por={por}: {o:?}");
    }
}

#[test]
fn with_interrupts_on_a_private_step_is_not_taken_alone() {
    let bfs = run(IRQ_ENABLED_LATER, Mode::Bfs, false);
    assert_eq!(property_and_len(&bfs), ("G-STALE", 6), "{bfs:?}");
    for por in [false, true] {
        let o = run(IRQ_ENABLED_LATER, Mode::Dfs, por);
        assert_eq!(property_and_len(&o).0, "G-STALE", "por={por}: {o:?}");
    }
}
