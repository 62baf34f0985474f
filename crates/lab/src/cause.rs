//! The step that makes a race: in a counterexample, the first step after which every way
//! the run could go on breaks the property (or never finishes). Found by exploring the
//! machine's states from a step of the run, within a budget of states; the steps are
//! probed by bisection, since a violation unavoidable after step k stays unavoidable
//! after step k + 1 of the same run. It can take a tenth of a second, so the page asks the
//! web worker (`answer`, on a `CauseRequest`) and draws the mark when the reply comes.

use crate::protocol::{CauseReply, CauseRequest};
use sdlab_engine::machine::{Choice, Config, Machine, State};
use sdlab_engine::{compile, schedule};
use std::collections::{HashSet, VecDeque};

/// States explored from one step before giving up: every race of the gallery whose step is
/// found at all is found within it, and the slowest probe of them all (a 4-CPU DragonFly
/// race that runs out) takes about 0.1 s natively, so the page stays responsive.
pub const BUDGET: usize = 8_000;

/// Can the run still finish (every CPU idle, nothing enabled) without breaking a property,
/// from `s`? None when the budget ran out before the answer.
fn avoidable(m: &Machine, s: &State, budget: usize) -> Option<bool> {
    let mut seen: HashSet<State> = HashSet::new();
    let mut queue = VecDeque::from([s.clone()]);
    seen.insert(s.clone());
    let (mut en, mut fx) = (Vec::new(), Vec::new());
    while let Some(s) = queue.pop_front() {
        m.enabled(&s, &mut en);
        if en.is_empty() && s.cpus.iter().all(|c| c.stack.is_empty()) {
            return Some(true);
        }
        for &c in &en {
            let mut next = s.clone();
            fx.clear();
            match m.step(&mut next, c, &mut fx) {
                Ok(st) if st.violation.is_none() => {
                    if seen.len() >= budget {
                        return None;
                    }
                    if seen.insert(next.clone()) {
                        queue.push_back(next);
                    }
                }
                // A violation or a model fault: not a way around the race.
                _ => {}
            }
        }
    }
    Some(false)
}

/// The first step of `choices` after which the end it reaches (a violation, or a state
/// that cannot finish) can no longer be avoided; None if that is only its last step or
/// already the initial state, if the run does not replay, or if a probe ran out of budget.
pub fn unavoidable_after(m: &Machine, choices: &[Choice], budget: usize) -> Option<usize> {
    let mut states = vec![m.initial()];
    let mut fx = Vec::new();
    for &c in choices {
        let mut s = states.last()?.clone();
        m.step(&mut s, c, &mut fx).ok()?;
        states.push(s);
    }
    let n = choices.len();
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if avoidable(m, &states[mid], budget)? {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    (lo > 0 && lo < n).then_some(lo)
}

/// The worker's answer to a `CauseRequest` (also what native tests apply).
pub fn answer(req: &CauseRequest) -> CauseReply {
    let found = (|| {
        let prog = match compile(&req.source) {
            (Some(p), d) if d.is_empty() => std::sync::Arc::new(p),
            _ => return Err("the model does not compile".to_string()),
        };
        let cfg = Config { ncpu: req.ncpu, scenario: req.scenario, options: req.options.clone() };
        let machine = Machine::new(prog, cfg)?;
        let choices = schedule::parse(&req.schedule)?;
        Ok(unavoidable_after(&machine, &choices, BUDGET))
    })();
    match found {
        Ok(step) => CauseReply { request: req.clone(), step, error: None },
        Err(e) => CauseReply { request: req.clone(), step: None, error: Some(e) },
    }
}
