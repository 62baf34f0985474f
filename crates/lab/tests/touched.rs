//! What a step changes is kept in view (issue #19, item 5): `view::touched` names the
//! structure the page scrolls to after the step.

mod common;

use sdlab_engine::machine::{Choice, Effect};
use sdlab_lab::state::{Action, Pane};
use sdlab_lab::view::touched;

fn pane(model: &str) -> Pane {
    let mut p = Pane::opening();
    p.apply(Action::SetModel(model.into()));
    assert_eq!(p.error, None);
    p
}

/// Step CPUs round-robin until a step writes shared memory; that step's structure.
fn first_write(p: &mut Pane) -> (String, String) {
    for k in 0..400 {
        let c = (k % p.session.machine().ncpu()) as u8;
        if p.session.step(Choice::Step(c)).is_err() {
            continue;
        }
        let e = p.session.log().last().expect("a step");
        let wrote = e.effects.iter().find_map(|f| match *f {
            Effect::Write { addr, .. } | Effect::Rmw { addr, .. } | Effect::StoreCommitted { addr, .. } => Some(addr),
            _ => None,
        });
        if let Some(addr) = wrote {
            return (p.session.machine().addr_name(addr), touched(p).expect("a write touches a structure"));
        }
        assert_eq!(touched(p), None, "a step that writes nothing touches nothing");
    }
    panic!("no CPU wrote shared memory in 400 steps");
}

#[test]
fn a_write_names_the_figure_that_draws_the_word() {
    // DragonFly's queues are drawn by the ring view, not as plain arrays.
    let mut p = pane("dragonfly");
    let mut seen = Vec::new();
    while !seen.iter().any(|(_, id): &(String, String)| id == "view-ipiq") {
        assert!(seen.len() < 60, "no ring word written in 60 writes: {seen:?}");
        seen.push(first_write(&mut p));
    }
    for (word, id) in &seen {
        let var = word.split('[').next().unwrap_or(word);
        let ring = ["ip_info", "windex", "rindex", "xindex"].contains(&var);
        assert_eq!(id == "view-ipiq", ring, "{word} is drawn by {id}");
        if !ring {
            assert!(id == &format!("var-{var}") || id == "percpu-vars", "{word}: {id}");
        }
    }
    assert!(seen.iter().any(|(_, id)| id == "view-ipiq"), "the first writes include a ring's: {seen:?}");
    // The scoreboard: its matrix has a figure of its own.
    let mut p = pane("freebsd-scoreboard");
    let (word, id) = first_write(&mut p);
    let var = word.split('[').next().unwrap_or(&word).to_string();
    let per_cpu = p.session.machine().prog().vars.iter().any(|v| v.name == var && v.per_cpu);
    assert_eq!(id, if per_cpu { "percpu-vars".to_string() } else { format!("var-{var}") }, "{word}");
}

#[test]
fn a_deadlock_keeps_in_view_what_the_waiting_cpus_read() {
    // The DragonFly ring deadlock (R1): at its last step both senders spin on the other's
    // full ring; the rings are what the class must see, whatever that step wrote.
    let mut p = common::show_me("dragonfly", "R1");
    p.apply(Action::End);
    let stuck = p.session.stuck().expect("the counterexample ends stuck");
    let reads: Vec<&str> = stuck.waits.iter().filter_map(|w| w.reads.as_ref().map(|(n, _)| n.as_str())).collect();
    assert!(
        !reads.is_empty() && reads.iter().all(|n| ["windex", "rindex", "xindex"].iter().any(|r| n.starts_with(r))),
        "{reads:?}"
    );
    assert_eq!(touched(&p).as_deref(), Some("view-ipiq"));
    // One step back the machine can still move: the figure is the last write's again.
    p.apply(Action::Back);
    assert!(p.session.stuck().is_none());
    let last_write = p.session.log().last().and_then(|e| {
        e.effects.iter().rev().find_map(|f| match *f {
            Effect::Write { addr, .. } | Effect::Rmw { addr, .. } | Effect::StoreCommitted { addr, .. } => Some(addr),
            _ => None,
        })
    });
    assert_eq!(touched(&p).is_some(), last_write.is_some());
}
