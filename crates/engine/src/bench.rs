//! The workload behind "engine steps per second": a seeded random walk through the step
//! API that restarts from the initial state whenever nothing is enabled. Timing is the
//! caller's (the engine has no clock), so `sdlab bench-steps` and the page's `?bench=steps`
//! measure exactly this loop.

use crate::machine::{Choice, Effect, Fault, Machine};
use crate::schedule;

#[derive(Clone, Debug, Default)]
pub struct Walk {
    /// Mixed from what the steps did, so the work cannot be optimised away.
    pub checksum: u64,
    /// Runs started: the first plus one per restart.
    pub runs: u64,
    /// Steps that broke a property (the walk goes on regardless).
    pub violations: u64,
    /// A model error stops the walk: the 1-based step and the fault.
    pub fault: Option<(u64, Fault)>,
}

/// Take `steps` seeded random steps. No allocation of its own per step: the choice and
/// effect buffers are reused; only a restart clones the initial state.
pub fn random_steps(m: &Machine, seed: u64, steps: u64) -> Walk {
    let mut state = m.initial();
    let mut en: Vec<Choice> = Vec::with_capacity(64);
    let mut fx: Vec<Effect> = Vec::with_capacity(64);
    let mut w = Walk { runs: 1, ..Walk::default() };
    for i in 0..steps {
        m.enabled(&state, &mut en);
        if en.is_empty() {
            state = m.initial();
            w.runs += 1;
            m.enabled(&state, &mut en);
            if en.is_empty() {
                return w;
            }
        }
        let c = en[schedule::pick(seed, i, en.len())];
        fx.clear();
        match m.step_enabled(&mut state, c, &mut fx) {
            Ok(st) => {
                w.violations += u64::from(st.violation.is_some());
                w.checksum = w.checksum.wrapping_mul(31).wrapping_add(st.line as u64 + fx.len() as u64);
            }
            Err(f) => {
                w.fault = Some((i + 1, f));
                return w;
            }
        }
    }
    w
}
