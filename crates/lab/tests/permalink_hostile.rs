//! Issue #12: a link is at most 16 KB, and a message about one of its fields quotes at most
//! 40 characters of it (it was quoted whole, 16 KB of error text on the page).

use sdlab_lab::permalink;

#[test]
fn every_quoted_field_of_a_link_is_cut() {
    let program_of = |id: &str| sdlab_lab::state::load_bundled(id).ok().map(|(p, _)| p);
    let long = "9".repeat(15_000);
    let head = "v=1&m=freebsd-scoreboard&s=unmap_free&n=3";
    for (text, start) in [
        (format!("v=1&n={long}"), "the CPU count `9999"),
        (format!("v=1&seed={long}"), "the seed `9999"),
        (format!("v=1&at={long}"), "the step `9999"),
        (format!("v=1&cseed={long}"), "B's seed `9999"),
        (format!("v=1&o={long}"), "option `9999"),
        (format!("v=1&o=rescan:{long}"), "option `rescan` has the non-number `9999"),
        (format!("v=1&co={long}"), "B's option `9999"),
        (format!("v=1&co=rescan:{long}"), "B's option `rescan` has the non-number `9999"),
        (format!("v={long}"), "the link is of version 9999"),
        (format!("v=1&m={long}"), "the link names an unknown model `9999"),
        (format!("{head}&s={long}"), "model `freebsd-scoreboard` has no scenario `9999"),
        (format!("{head}&o={long}:1"), "unknown option `9999"),
        (format!("{head}&x={long}"), "schedule item 1: `9999"),
    ] {
        let e = permalink::decode(&text, program_of).expect_err("refused");
        assert!(e.starts_with(start), "{start}: {e}");
        assert!(e.chars().count() < 400, "{start}: {} characters", e.chars().count());
    }
}
