//! Compare mode: a second run B of the same model (same CPU count and scenario) beside
//! the run A on screen. B differs by option values, by its schedule, or both; it is
//! derived from A step by step, so every key and button that moves A moves B too. Both
//! runs are also projected as far as they are known (A's loaded schedule), so the first
//! step where they differ is marked on both timelines before it is reached.

use crate::state::Pane;
use sdlab_engine::machine::{describe_choice, Choice, Config, Machine};
use sdlab_engine::{schedule, Session};
use std::cell::RefCell;
use std::rc::Rc;

/// Steps projected for the comparison; a longer run is compared up to here.
const MAX_PROJECTED: usize = 2000;

/// How B chooses its next step.
#[derive(Clone, Debug, PartialEq)]
pub enum Follow {
    /// A's choice (the same schedule on B's variant). Where that choice is not possible
    /// in B, B moves the same CPU if it can, else takes its seeded step.
    Mirror,
    /// Its own schedule, then its own seed.
    Own { choices: Vec<Choice>, seed: u64 },
}

pub struct Compare {
    /// B's option values that differ from A's, by name: they survive a change of A's
    /// CPU count or scenario.
    pub set: Vec<(String, i32)>,
    pub follow: Follow,
    /// B's pane, drawn by the same components as A's.
    pub b: Rc<RefCell<Pane>>,
    /// A problem building B (an option value B's variant refuses).
    pub error: Option<String>,
    /// A's choices that B's steps were derived from, so that a changed past in A
    /// re-derives B from the first changed step.
    basis: Vec<Choice>,
    pub view: Comparison,
    key: Option<(Vec<Choice>, Config, Follow)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RunStep {
    pub choice: Choice,
    pub cpu: u8,
    /// The source line it executed (0 for a hardware event).
    pub line: u32,
    /// What the step did, as the step log says it.
    pub text: String,
    pub violation: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Run {
    pub steps: Vec<RunStep>,
    /// How the run ends after its last step, if it ends (stuck, finished, broken, a fault).
    pub end: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    pub a: Run,
    pub b: Run,
    /// The first step (1-based) where the runs differ.
    pub diverge: Option<usize>,
    /// That difference in words, or why there is none.
    pub words: String,
}

/// B's choice at step `i`, given A's choice there (if A has one).
fn b_choice(b: &mut Session, follow: &Follow, seed: u64, i: usize, a: Option<Choice>) -> Option<Choice> {
    let en = b.enabled();
    if en.is_empty() {
        return None;
    }
    let seeded = en[schedule::pick(seed, i as u64, en.len())];
    Some(match (follow, a) {
        (Follow::Mirror, Some(c)) if en.contains(&c) => c,
        (Follow::Mirror, Some(c)) => en
            .iter()
            .find(|x| matches!(x, Choice::Irq(cc, _) if *cc == c.cpu()))
            .or_else(|| en.iter().find(|x| **x == Choice::Step(c.cpu())))
            .copied()
            .unwrap_or(seeded),
        (Follow::Mirror, None) => seeded,
        (Follow::Own { choices, seed }, _) => match choices.get(i) {
            Some(c) if en.contains(c) => *c,
            _ => en[schedule::pick(*seed, i as u64, en.len())],
        },
    })
}

fn why_stopped(s: &Session) -> String {
    if let Some(st) = s.stuck() {
        return format!("is stuck: {} ({})", st.property.label(), st.property);
    }
    if s.state().cpus.iter().all(|c| c.stack.is_empty()) {
        return "has finished: every CPU is idle".into();
    }
    "has no step left".into()
}

/// Record one step of a projected run; true while the run goes on.
fn record(s: &mut Session, c: Choice, run: &mut Run) -> bool {
    if let Err(f) = s.step(c) {
        run.end = Some(format!("faults: {f}"));
        return false;
    }
    match s.log().last() {
        Some(e) => {
            let text = e.summary(s.machine());
            let violation = e.violation.as_ref().map(|v| format!("{} ({})", v.property, v.message));
            let stop = violation.as_ref().map(|v| format!("breaks {v}"));
            run.steps.push(RunStep { choice: c, cpu: e.cpu, line: e.line, text, violation });
            if stop.is_some() {
                run.end = stop;
                return false;
            }
            true
        }
        None => false,
    }
}

/// Both runs as far as A's schedule is known, and their first difference.
fn project(a_machine: &Machine, a_seed: u64, a_sched: &[Choice], b_machine: &Machine, follow: &Follow) -> Comparison {
    let own_len = match follow {
        Follow::Own { choices, .. } => choices.len(),
        Follow::Mirror => 0,
    };
    let len = a_sched.len().max(own_len).min(MAX_PROJECTED);
    let mut a = Run::default();
    let mut sa = Session::new(a_machine.clone());
    for i in 0..len {
        let en = sa.enabled();
        if en.is_empty() {
            a.end = Some(why_stopped(&sa));
            break;
        }
        let c = a_sched.get(i).copied().unwrap_or_else(|| en[schedule::pick(a_seed, i as u64, en.len())]);
        if !record(&mut sa, c, &mut a) {
            break;
        }
    }
    if a.end.is_none() && sa.enabled().is_empty() {
        a.end = Some(why_stopped(&sa));
    }
    let mut b = Run::default();
    let mut sb = Session::new(b_machine.clone());
    let blen = match follow {
        Follow::Mirror => a.steps.len(),
        Follow::Own { .. } => len,
    };
    for i in 0..blen {
        let Some(c) = b_choice(&mut sb, follow, a_seed, i, a.steps.get(i).map(|s| s.choice)) else {
            b.end = Some(why_stopped(&sb));
            break;
        };
        if !record(&mut sb, c, &mut b) {
            break;
        }
    }
    // Where A stops and B could go on, B's next step is the difference: show it.
    if matches!(follow, Follow::Mirror) && a.end.is_some() && b.end.is_none() && b.steps.len() == a.steps.len() {
        match b_choice(&mut sb, follow, a_seed, b.steps.len(), None) {
            Some(c) => {
                record(&mut sb, c, &mut b);
            }
            None => b.end = Some(why_stopped(&sb)),
        }
    }
    if b.end.is_none() && sb.enabled().is_empty() {
        b.end = Some(why_stopped(&sb));
    }
    let (diverge, words) = first_difference(a_machine, &a, &b, matches!(follow, Follow::Mirror));
    Comparison { a, b, diverge, words }
}

fn first_difference(m: &Machine, a: &Run, b: &Run, mirror: bool) -> (Option<usize>, String) {
    let n = a.steps.len().max(b.steps.len());
    for k in 0..n {
        let step = k + 1;
        match (a.steps.get(k), b.steps.get(k)) {
            (Some(x), Some(y)) if x.choice != y.choice => {
                let why = if mirror { " (A's move is not possible in B)" } else { "" };
                return (
                    Some(step),
                    format!(
                        "Step {step}: the runs take different steps{why}. In A, {}: {}. In B, {}: {}.",
                        describe_choice(m, x.choice),
                        x.text,
                        describe_choice(m, y.choice),
                        y.text
                    ),
                );
            }
            (Some(x), Some(y)) if x.text != y.text || x.line != y.line => {
                let at = |l: u32| if l > 0 { format!(" (line {l})") } else { String::new() };
                return (
                    Some(step),
                    format!(
                        "Step {step}: the same move ({}) does different things. In A{}: {}. In B{}: {}.",
                        describe_choice(m, x.choice),
                        at(x.line),
                        x.text,
                        at(y.line),
                        y.text
                    ),
                );
            }
            (Some(x), Some(y)) if x.violation != y.violation => {
                let (who, v, other) = match (&x.violation, &y.violation) {
                    (Some(v), _) => ("A", v, "B"),
                    (_, Some(v)) => ("B", v, "A"),
                    _ => continue,
                };
                return (Some(step), format!("Step {step}: {who} breaks {v}; {other} does not."));
            }
            (Some(x), None) | (None, Some(x)) => {
                let (ended, other, end) = if a.steps.len() <= k { ("A", "B", &a.end) } else { ("B", "A", &b.end) };
                let Some(end) = end else { break };
                return (
                    Some(step),
                    format!(
                        "Step {step}: {other} goes on ({}: {}), but {ended} {end} after step {k}.",
                        describe_choice(m, x.choice),
                        x.text
                    ),
                );
            }
            _ => {}
        }
    }
    let same_end = a.end == b.end;
    let tail = match (&a.end, &b.end) {
        (Some(x), Some(y)) if !same_end => format!(" Then A {x}, and B {y}."),
        (Some(x), _) if same_end => format!(" Both runs {x}."),
        (Some(x), None) => format!(" Then A {x}; B could go on."),
        (None, Some(y)) => format!(" Then B {y}; A could go on."),
        _ => String::new(),
    };
    (None, format!("No difference in the {n} steps compared.{tail}"))
}

impl Compare {
    /// A comparison with A's configuration: B differs by `set`, and steps by `follow`.
    pub fn new(a: &Pane, set: Vec<(String, i32)>, follow: Follow) -> Compare {
        let b = Rc::new(RefCell::new(Pane::with_machine(
            a.model_id.clone(),
            a.prog.clone(),
            a.cfg.clone(),
            a.session.machine().clone(),
            a.seed,
        )));
        let mut c = Compare { set, follow, b, error: None, basis: Vec::new(), view: Comparison::default(), key: None };
        c.rebuild(a);
        c
    }

    /// B steps differently from now on: re-derive it from step 0.
    pub fn reset_basis(&mut self) {
        self.basis.clear();
        self.b.borrow_mut().session.reset();
        self.key = None;
    }

    /// What B's option values are where A's configuration is `cfg`.
    fn b_config(&self, a: &Pane) -> Result<Config, String> {
        let mut cfg = a.cfg.clone();
        for (name, v) in &self.set {
            cfg.set(&a.prog, name, &v.to_string())?;
        }
        Ok(cfg)
    }

    fn rebuild(&mut self, a: &Pane) {
        // After a change of model, options the new model lacks are forgotten.
        self.set.retain(|(n, _)| a.prog.option_index(n).is_some());
        let built = self
            .b_config(a)
            .and_then(|cfg| Machine::new(a.prog.clone(), cfg.clone()).map(|m| (cfg, m)).map_err(String::from));
        let (cfg, machine) = match built {
            Ok(x) => {
                self.error = None;
                x
            }
            Err(e) => {
                self.error = Some(format!("B cannot run with these options: {e}; B runs A's options"));
                (a.cfg.clone(), a.session.machine().clone())
            }
        };
        let mut b = self.b.borrow_mut();
        b.model_id = a.model_id.clone();
        b.prog = a.prog.clone();
        b.cfg = cfg;
        b.session = Session::new(machine);
        b.seed = a.seed;
        b.error = None;
        self.basis.clear();
        self.key = None;
    }

    /// Bring B to A's step (B's past re-derived where A's changed), and refresh the
    /// projection of both runs when A's schedule or B's variant changed.
    pub fn sync(&mut self, a: &Pane) {
        let stale = {
            let b = self.b.borrow();
            !std::sync::Arc::ptr_eq(&b.prog, &a.prog)
                || b.cfg.ncpu != a.cfg.ncpu
                || b.cfg.scenario != a.cfg.scenario
                || self.b_config(a).is_ok_and(|cfg| cfg != b.cfg)
        };
        if stale {
            self.rebuild(a);
        }
        let taken = a.session.schedule();
        let keep = match self.follow {
            Follow::Mirror => self.basis.iter().zip(&taken).take_while(|(x, y)| x == y).count(),
            Follow::Own { .. } => self.basis.len().min(taken.len()),
        };
        {
            let mut b = self.b.borrow_mut();
            b.seed = a.seed;
            while b.session.steps() > keep && b.session.back() {}
            self.basis.truncate(keep);
            for (i, &c) in taken.iter().enumerate().skip(keep) {
                self.basis.push(c);
                if b.session.steps() != i {
                    continue;
                }
                if let Some(choice) = b_choice(&mut b.session, &self.follow, a.seed, i, Some(c)) {
                    if let Err(f) = b.session.step(choice) {
                        b.error = Some(f.to_string());
                    }
                }
            }
            if b.session.steps() == taken.len() {
                b.error = None;
            }
        }
        let sched = match &a.plan {
            Some(p) if p.choices.starts_with(&taken) => p.choices.clone(),
            _ => taken,
        };
        let key = (sched, self.b.borrow().cfg.clone(), self.follow.clone());
        if self.key.as_ref() != Some(&key) {
            let b = self.b.borrow();
            self.view = project(a.session.machine(), a.seed, &key.0, b.session.machine(), &self.follow);
            drop(b);
            self.key = Some(key);
        }
    }
}

/// B's default variant: the model's defaults where A changed options (A is the racy
/// variant, B the correct one), else A with its first switch flipped.
pub fn default_set(a: &Pane) -> Vec<(String, i32)> {
    let changed = crate::permalink::changed_options(&a.prog, &a.cfg);
    if !changed.is_empty() {
        return changed
            .iter()
            .filter_map(|(n, _)| a.prog.options.iter().find(|o| &o.name == n).map(|o| (n.clone(), o.default)))
            .collect();
    }
    a.prog
        .options
        .iter()
        .zip(&a.cfg.options)
        .find(|(o, _)| o.is_bool)
        .map(|(o, v)| vec![(o.name.clone(), 1 - *v)])
        .unwrap_or_default()
}

/// How a variant differs, in words: `initiator_if = true`.
pub fn describe_set(a: &Pane, set: &[(String, i32)]) -> String {
    let words: Vec<String> = set
        .iter()
        .map(|(n, v)| {
            let is_bool = a.prog.options.iter().any(|o| &o.name == n && o.is_bool);
            if is_bool {
                format!("{n} = {}", *v != 0)
            } else {
                format!("{n} = {v}")
            }
        })
        .collect();
    if words.is_empty() {
        "the same options".into()
    } else {
        words.join(", ")
    }
}
