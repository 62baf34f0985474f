//! What a search ends with (`Outcome`), how far it got (`Progress`), and the helpers
//! that every search phase words its outcomes with.

use crate::machine::{Choice, Machine};
use crate::property::Property;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Outcome {
    Verified,
    Violation {
        property: Property,
        message: String,
        /// The shortest schedule from the initial state to the violating step (or to
        /// the stuck state).
        schedule: Vec<String>,
        #[serde(skip)]
        choices: Vec<Choice>,
        /// For a lasso (a waiter that is never released): the index in `schedule` where
        /// the cycle starts; the schedule ends where the cycle closes.
        cycle_start: Option<usize>,
    },
    /// A model error was reached (not a property of the algorithm).
    Fault {
        message: String,
        schedule: Vec<String>,
        #[serde(skip)]
        choices: Vec<Choice>,
    },
    Limit {
        reason: String,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub states: u64,
    pub transitions: u64,
    pub depth: u32,
    pub frontier: u64,
}

/// The order in which events found at the same breadth-first depth are preferred: the
/// hardware-level properties the checker exists for, then the model's assertions, then
/// stuck states, then model faults. None for an outcome that is no event (verified, a
/// limit, a lasso).
pub(crate) fn rank(o: &Outcome) -> Option<u8> {
    match o {
        Outcome::Violation { property, cycle_start: None, .. } => Some(*property as u8),
        Outcome::Fault { .. } => Some(Property::ALL.len() as u8),
        _ => None,
    }
}

/// What the last step of `path` breaks, or why its end is stuck, in the words of this
/// run (CPU numbers included).
pub(crate) fn restate(m: &Machine, path: &[Choice]) -> Option<String> {
    let mut s = m.initial();
    let mut fx = Vec::new();
    for (i, &c) in path.iter().enumerate() {
        fx.clear();
        match m.step(&mut s, c, &mut fx) {
            Err(f) => return Some(f.to_string()),
            Ok(st) if i + 1 == path.len() => {
                if let Some(v) = st.violation {
                    return Some(v.message);
                }
            }
            Ok(_) => {}
        }
    }
    m.stuck(&s).map(|st| st.message)
}

pub(crate) fn strings(path: &[Choice]) -> Vec<String> {
    path.iter().map(|c| c.to_string()).collect()
}

pub(crate) fn violation(property: Property, message: String, path: Vec<Choice>) -> Outcome {
    Outcome::Violation { property, message, schedule: strings(&path), choices: path, cycle_start: None }
}

impl Outcome {
    pub fn choices(&self) -> &[Choice] {
        match self {
            Outcome::Violation { choices, .. } | Outcome::Fault { choices, .. } => choices,
            _ => &[],
        }
    }
}
