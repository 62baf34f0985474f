//! The stepper's state and its reducer. The session (snapshot history included) lives
//! behind one `Rc<RefCell<…>>` and is mutated in place; every action bumps `version`,
//! which is what Yew compares, so a step costs O(1) and not a copy of the history.

use sdlab_engine::machine::{Choice, Config, Machine};
use sdlab_engine::{compile, models, Program, Session};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use yew::Reducible;

pub struct Inner {
    pub model_id: String,
    pub prog: Arc<Program>,
    pub cfg: Config,
    pub session: Session,
    pub seed: u64,
    pub running: bool,
    pub speed_ms: u32,
    /// A message for the user: a model fault, or a configuration the machine refused.
    pub error: Option<String>,
}

#[derive(Clone)]
pub struct Lab {
    pub inner: Rc<RefCell<Inner>>,
    pub version: u64,
}

impl PartialEq for Lab {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner) && self.version == other.version
    }
}

pub enum Action {
    /// Take this exact choice.
    Choose(Choice),
    /// The CPU's own next move: a deliverable interrupt first (the LAPIC takes it at
    /// the next instruction boundary), else its next step.
    StepCpu(u8),
    /// One step of the seeded schedule.
    StepSeeded,
    Back,
    /// Go back or forward along the current run to step n (forward replays the seed).
    JumpTo(usize),
    Reset,
    ToggleRun,
    /// Timer tick while running.
    Tick,
    SetSpeed(u32),
    SetSeed(u64),
    SetCpus(u32),
    SetScenario(usize),
    SetOption(usize, i32),
}

pub const DEFAULT_MODEL: &str = "freebsd-scoreboard";

impl Lab {
    pub fn new() -> Lab {
        let b = models::find(DEFAULT_MODEL).expect("the default model is bundled");
        let (prog, diags) = compile(b.source);
        let prog = Arc::new(prog.unwrap_or_else(|| panic!("bundled model does not compile: {diags:?}")));
        let cfg = Config::new(&prog);
        let machine = Machine::new(prog.clone(), cfg.clone()).expect("bundled model builds");
        Lab {
            inner: Rc::new(RefCell::new(Inner {
                model_id: b.id.to_string(),
                prog,
                cfg,
                session: Session::new(machine),
                seed: 1,
                running: false,
                speed_ms: 400,
                error: None,
            })),
            version: 0,
        }
    }
}

impl Default for Lab {
    fn default() -> Self {
        Lab::new()
    }
}

impl Inner {
    /// The choice a click on CPU c takes, if any.
    pub fn preferred(&mut self, c: u8) -> Option<Choice> {
        let en = self.session.enabled();
        en.iter()
            .find(|x| matches!(x, Choice::Irq(cc, _) if *cc == c))
            .or_else(|| en.iter().find(|x| **x == Choice::Step(c)))
            .copied()
    }

    fn take(&mut self, c: Choice) -> bool {
        match self.session.step(c) {
            Ok(_) => {
                self.error = None;
                true
            }
            Err(f) => {
                self.error = Some(f.to_string());
                self.running = false;
                false
            }
        }
    }

    fn step_seeded(&mut self) -> bool {
        match self.session.step_seeded(self.seed) {
            Some(Ok(_)) => {
                self.error = None;
                true
            }
            Some(Err(f)) => {
                self.error = Some(f.to_string());
                false
            }
            None => false,
        }
    }

    fn rebuild(&mut self, cfg: Config) {
        match Machine::new(self.prog.clone(), cfg.clone()) {
            Ok(m) => {
                self.cfg = cfg;
                self.session = Session::new(m);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
        self.running = false;
    }
}

impl Reducible for Lab {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        {
            let mut s = self.inner.borrow_mut();
            match action {
                Action::Choose(c) => {
                    s.take(c);
                }
                Action::StepCpu(c) => match s.preferred(c) {
                    Some(ch) => {
                        s.take(ch);
                    }
                    None => {
                        let why = match s.session.machine.wait(s.session.state(), c as usize) {
                            Some(w) => format!("CPU {c} is spinning: `{}` still holds", w.condition),
                            None => format!("CPU {c} has nothing to do"),
                        };
                        s.error = Some(why);
                    }
                },
                Action::StepSeeded => {
                    s.step_seeded();
                }
                Action::Back => {
                    s.session.back();
                    s.error = None;
                }
                Action::JumpTo(n) => {
                    while s.session.steps() > n && s.session.back() {}
                    while s.session.steps() < n && s.step_seeded() {}
                }
                Action::Reset => {
                    s.session.reset();
                    s.running = false;
                    s.error = None;
                }
                Action::ToggleRun => s.running = !s.running,
                Action::Tick => {
                    if s.running && (s.session.first_violation().is_some() || !s.step_seeded()) {
                        s.running = false;
                    }
                }
                Action::SetSpeed(ms) => s.speed_ms = ms.clamp(20, 5000),
                Action::SetSeed(seed) => s.seed = seed,
                Action::SetCpus(n) => {
                    let mut cfg = s.cfg.clone();
                    cfg.ncpu = n;
                    s.rebuild(cfg);
                }
                Action::SetScenario(i) => {
                    let mut cfg = s.cfg.clone();
                    cfg.scenario = i;
                    s.rebuild(cfg);
                }
                Action::SetOption(i, v) => {
                    let mut cfg = s.cfg.clone();
                    if let Some(o) = cfg.options.get_mut(i) {
                        *o = v;
                    }
                    s.rebuild(cfg);
                }
            }
        }
        Rc::new(Lab { inner: self.inner.clone(), version: self.version + 1 })
    }
}
