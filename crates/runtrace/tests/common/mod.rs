//! What both test files need: a bundled model's race, found and replayed.

use std::sync::Arc;

use sdlab_engine::checker::{Checker, Options, Outcome};
use sdlab_engine::{compile, models, Config, Machine, Session};

/// The shortest counterexample of `race` in bundled model `id`, replayed into a session.
pub fn race_session(id: &str, race: &str) -> Session {
    let b = models::BUNDLED.iter().find(|b| b.id == id).expect("bundled model");
    let (p, diags) = compile(b.source);
    let p = Arc::new(p.unwrap_or_else(|| panic!("{diags:?}")));
    let r = p.races.iter().find(|r| r.name == race).expect("declared race");
    let m = Machine::new(p.clone(), Config::for_race(&p, r)).expect("machine");
    let (o, _) = Checker::new(m.clone(), Options::default()).check();
    let Outcome::Violation { choices, .. } = o else { panic!("{race}: {o:?}") };
    let mut s = Session::new(m);
    s.replay(&choices).expect("replays");
    s
}
