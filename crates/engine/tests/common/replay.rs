//! Replaying a checker's counterexample in a `Session`.

use sdlab_engine::checker::Outcome;
use sdlab_engine::*;

/// Replay `o`'s schedule and check that it ends in the reported property at the reported
/// step: no step before the last breaks anything or faults, and the last one breaks what
/// `o` reports with its message (or faults with it; or leaves the stuck state `o`
/// reports, with its property and message; or closes the reported cycle). Verified and
/// limits replay nothing.
pub fn assert_replays(m: &Machine, o: &Outcome, what: &str) {
    replayed(m, o, what);
}

/// `assert_replays`, returning the session at the end of the replayed schedule (the
/// initial state for an outcome without one).
pub fn replayed(m: &Machine, o: &Outcome, what: &str) -> Session {
    let mut s = Session::new(m.clone());
    let (choices, property, message) = match o {
        Outcome::Violation { choices, property, message, .. } => (choices, Some(*property), message),
        Outcome::Fault { choices, message, .. } => (choices, None, message),
        _ => return s,
    };
    for (i, &c) in choices.iter().enumerate() {
        let last = i + 1 == choices.len();
        match s.step(c) {
            Err(f) => {
                assert!(last && property.is_none(), "{what}: step {i} ({c}) fails: {f}");
                assert_eq!(&f.to_string(), message, "{what}: the fault");
                return s;
            }
            Ok(e) => {
                let violation = e.violation.clone();
                if !last {
                    assert!(violation.is_none(), "{what}: step {i} of {} already breaks {violation:?}", choices.len());
                    continue;
                }
                if let Outcome::Violation { cycle_start: Some(k), .. } = o {
                    assert!(violation.is_none(), "{what}: the cycle's last step breaks {violation:?}");
                    let mut t = Session::new(m.clone());
                    t.replay(&choices[..*k]).expect("the stem replays");
                    assert_eq!(t.state(), s.state(), "{what}: the cycle closes where it starts");
                    return s;
                }
                match &violation {
                    Some(v) => {
                        assert_eq!(Some(v.property), property, "{what}: the property at step {}", choices.len());
                        assert_eq!(&v.message, message, "{what}: the message");
                    }
                    None => assert_stuck(&s, property, message, what),
                }
                return s;
            }
        }
    }
    assert!(choices.is_empty(), "{what}: the schedule ends early");
    assert_stuck(&s, property, message, what);
    s
}

/// The session's state is the stuck state reported: its property and its message.
fn assert_stuck(s: &Session, property: Option<Property>, message: &str, what: &str) {
    let st = s.stuck().unwrap_or_else(|| panic!("{what}: the run ends neither broken nor stuck"));
    assert_eq!(Some(st.property), property, "{what}: the stuck state's property");
    assert_eq!(st.message, message, "{what}: the stuck state's message");
}
