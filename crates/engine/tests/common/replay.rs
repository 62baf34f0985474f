//! Replaying a checker's counterexample in a `Session`.

use sdlab_engine::checker::Outcome;
use sdlab_engine::*;

/// Replay `o`'s schedule: no step before the last breaks anything, and the last one
/// breaks what `o` reports (or the end is the stuck state, or the cycle closes).
pub fn assert_replays(m: &Machine, o: &Outcome, what: &str) {
    let (choices, property, message) = match o {
        Outcome::Violation { choices, property, message, .. } => (choices, Some(property.as_str()), message),
        Outcome::Fault { choices, message, .. } => (choices, None, message),
        _ => return,
    };
    let mut s = Session::new(m.clone());
    for (i, &c) in choices.iter().enumerate() {
        let last = i + 1 == choices.len();
        match s.step(c) {
            Err(f) => {
                assert!(last && property.is_none(), "{what}: step {i} ({c}) fails: {f}");
                assert_eq!(&f.to_string(), message, "{what}: the fault");
                return;
            }
            Ok(e) => {
                if !last {
                    assert!(e.violation.is_none(), "{what}: step {i} already breaks {:?}", e.violation);
                    continue;
                }
                if let Outcome::Violation { cycle_start: Some(k), .. } = o {
                    let mut t = Session::new(m.clone());
                    t.replay(&choices[..*k]).expect("the stem replays");
                    assert_eq!(t.state(), s.state(), "{what}: the cycle closes where it starts");
                    return;
                }
                match &e.violation {
                    Some(v) => {
                        assert_eq!(Some(v.property), property, "{what}: the property at the last step");
                        assert_eq!(&v.message, message, "{what}: the message");
                    }
                    None => {
                        let st = s.stuck().unwrap_or_else(|| panic!("{what}: the run ends neither broken nor stuck"));
                        assert_eq!(Some(st.property), property, "{what}: the stuck state");
                    }
                }
                return;
            }
        }
    }
    assert!(choices.is_empty() && s.stuck().is_some(), "{what}: an empty schedule needs a stuck initial state");
}
