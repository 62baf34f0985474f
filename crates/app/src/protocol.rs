//! Messages between the page and the checker's web worker, as JSON strings.

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CheckRequest {
    pub source: String,
    pub ncpu: u32,
    pub scenario: usize,
    pub options: Vec<i32>,
    pub max_states: usize,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckReply {
    /// The worker has loaded and listens.
    Ready,
    Progress {
        states: u64,
        transitions: u64,
        depth: u32,
        seconds: f64,
    },
    Done {
        verdict: String,
        property: Option<String>,
        message: Option<String>,
        /// The counterexample in schedule text form.
        schedule: Option<String>,
        /// For a lasso: the number of steps before the cycle.
        cycle_start: Option<usize>,
        states: u64,
        transitions: u64,
        depth: u32,
        seconds: f64,
    },
    Error {
        message: String,
    },
}
