//! Deterministic schedules: a seeded pick among the enabled choices, and the text form
//! of a schedule (`0 1 i1.0 2 …`) that files, permalinks and counterexamples store.

use crate::machine::{BadChoice, Choice};

/// SplitMix64: tiny, seedable, the same on every platform.
pub fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Index of the choice a seeded schedule takes at step `step` among `n` enabled ones.
/// It depends only on (seed, step), so stepping back and forward again retraces it.
pub fn pick(seed: u64, step: u64, n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    (splitmix64(seed ^ splitmix64(step)) % n as u64) as usize
}

pub fn format(choices: &[Choice]) -> String {
    choices.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" ")
}

/// A schedule item that is not a step, and its position (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleError {
    pub item: usize,
    pub error: BadChoice,
}

impl std::fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "schedule item {}: {}", self.item, self.error)
    }
}

impl std::error::Error for ScheduleError {}

impl From<ScheduleError> for String {
    fn from(e: ScheduleError) -> String {
        e.to_string()
    }
}

/// Parse a schedule; the error names the position of the bad item.
pub fn parse(text: &str) -> Result<Vec<Choice>, ScheduleError> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .enumerate()
        .map(|(i, t)| t.parse::<Choice>().map_err(|error| ScheduleError { item: i + 1, error }))
        .collect()
}
