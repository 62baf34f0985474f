//! Which property the breadth-first search reports when several are broken at the
//! shortest depth: the same in every breadth-first mode (issue #20, item 3).

mod common;
use common::*;
use sdlab_engine::checker::{Checker, Options, Outcome};

/// Interchangeable CPUs race for `x`. The winner reads `y` twice and asserts on it (an
/// assertion failure at step 4); a loser touches the page, so that its TLB caches it,
/// opens its window and touches the page again (a G-USERMODE-WINDOW at step 4: both
/// CPUs' exchanges, then two of its steps).
const TWO_AT_ONE_DEPTH: &str = include_str!("cases/same-depth-two-properties.sdm");

fn run(ncpu: u32, o: Options) -> Outcome {
    let p = program(TWO_AT_ONE_DEPTH);
    Checker::new(session(&p, ncpu, "s", &[]).into_machine(), o).check().0
}

#[test]
fn every_breadth_first_mode_reports_the_same_property_at_the_shortest_depth() {
    for ncpu in [2, 3] {
        let modes = [
            ("symmetry", Options::default()),
            ("no symmetry", Options { symmetry: false, ..Options::default() }),
            ("2 threads", Options { threads: 2, parallel_level: 1, ..Options::default() }),
            (
                "2 threads, no symmetry",
                Options { threads: 2, parallel_level: 1, symmetry: false, ..Options::default() },
            ),
        ];
        for (what, o) in modes {
            match run(ncpu, o) {
                Outcome::Violation { property, choices, .. } => {
                    assert_eq!((property.code(), choices.len()), ("G-USERMODE-WINDOW", 4), "{ncpu} CPUs, {what}")
                }
                other => panic!("{ncpu} CPUs, {what}: {other:?}"),
            }
        }
    }
}
