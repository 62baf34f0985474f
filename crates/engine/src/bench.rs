//! The workload behind "engine steps per second": a seeded random walk through the step
//! API that restarts from the initial state whenever nothing is enabled. Timing is the
//! caller's (the engine has no clock), so native and wasm measure the same loop.

use crate::machine::{Choice, Effect, Machine};
use crate::schedule;

/// Take `steps` seeded random steps; returns a checksum so the work cannot be elided.
/// Faults (model errors) restart the walk like a finished run.
pub fn random_steps(m: &Machine, seed: u64, steps: u64) -> u64 {
    let mut state = m.initial();
    let mut en: Vec<Choice> = Vec::with_capacity(64);
    let mut fx: Vec<Effect> = Vec::with_capacity(64);
    let mut sum = 0u64;
    for i in 0..steps {
        m.enabled(&state, &mut en);
        if en.is_empty() {
            state = m.initial();
            m.enabled(&state, &mut en);
            if en.is_empty() {
                return sum;
            }
        }
        let c = en[schedule::pick(seed, i, en.len())];
        fx.clear();
        match m.step(&mut state, c, &mut fx) {
            Ok(st) => sum = sum.wrapping_add(st.line as u64 + fx.len() as u64),
            Err(_) => state = m.initial(),
        }
    }
    sum
}
