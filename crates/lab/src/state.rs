//! The stepper's state and its reducer: a `Pane` is one run on screen (A, or compare
//! mode's B) with what the page shows around it, and `Pane::apply` is the only way an
//! action changes it. No browser here: the app keeps a `Pane` behind one `Rc<RefCell<…>>`
//! and mutates it in place (a step costs O(1), not a copy of the history), and the native
//! tests drive the same code.

use crate::compare::{self, Compare, Follow};
use crate::guide::Guide;
use crate::pace::{self, Pace};
use crate::permalink;
use crate::protocol::{CauseReply, CauseRequest, CheckReply, Verdict};
use sdlab_engine::machine::{Choice, Config, Ctx, Machine};
use sdlab_engine::{compile, models, schedule, Program, Property, Session};
use std::sync::Arc;

/// The "normal" speed, and the one a demo falls back to when its plan is gone.
pub const NORMAL_MS: u32 = 400;

pub struct Pane {
    pub model_id: String,
    pub prog: Arc<Program>,
    pub cfg: Config,
    pub session: Session,
    pub seed: u64,
    pub running: bool,
    /// The delay between steps while running, or `pace::DEMO` for the loaded run in 30 s.
    pub speed_ms: u32,
    /// The demo pace of the loaded plan (while `speed_ms` is `pace::DEMO`), with the
    /// plan and cause it was worked out for.
    pub demo: Option<(Vec<Choice>, Option<usize>, Pace)>,
    /// A message for the user: a model fault, or a configuration the machine refused.
    pub error: Option<String>,
    /// A counterexample loaded from the checker: stepping forward follows it.
    pub plan: Option<Plan>,
    pub check: CheckStatus,
    /// Bumped whenever the machine is rebuilt or a check starts, so that replies of a
    /// check for another configuration are ignored.
    pub check_gen: u64,
    /// A check should start (the race panel owns the worker and starts it).
    pub check_requested: bool,
    /// The gallery of races is shown instead of the machine.
    pub gallery: bool,
    /// Presenter mode: large type, high contrast, fewer controls.
    pub presenter: bool,
    /// Embedded in a slide: minimal chrome (from the link; not a toggle).
    pub embed: bool,
    /// Notes a lecturer attached to steps, shown when the step is reached.
    pub notes: std::collections::BTreeMap<usize, String>,
    /// The model editor: open or not, the text being edited, its diagnostics.
    pub editor: bool,
    pub edit_text: String,
    pub edit_diags: Vec<sdlab_engine::Diagnostic>,
    /// Compare mode: a second run beside this one, stepped with it.
    pub compare: Option<Compare>,
    /// The GIF export panel is open.
    pub gif_panel: bool,
    /// A GIF is being recorded: the run its frames follow, and the step to return to.
    pub recording: Option<(Vec<Choice>, usize)>,
    /// A kernel trace's round being played: its run is the plan, its lines are shown.
    pub guide: Option<Guide>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub choices: Vec<Choice>,
    /// What the schedule breaks; None for a schedule to follow that breaks nothing.
    pub property: Option<Property>,
    pub message: String,
    /// For a lasso: steps before the cycle; the rest of `choices` repeats forever.
    pub cycle_start: Option<usize>,
    /// The step after which the violation can no longer be avoided, when it is not the
    /// last (`cause::unavoidable_after`); None for a lasso or a schedule with nothing broken,
    /// and until the worker has answered.
    pub cause: Option<usize>,
    /// The cause is still to be found (`Pane::cause_request`, `Action::CauseFound`).
    pub cause_pending: bool,
}

impl Plan {
    /// A counterexample or a schedule to follow; the step that makes its race is asked of
    /// the worker (`Pane::cause_request`) when it broke a property and is not a lasso.
    pub fn new(choices: Vec<Choice>, property: Option<Property>, message: String, cycle_start: Option<usize>) -> Plan {
        let cause_pending = property.is_some() && cycle_start.is_none();
        Plan { choices, property, message, cycle_start, cause: None, cause_pending }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum CheckStatus {
    Idle,
    Running {
        states: u64,
        depth: u32,
        seconds: f64,
    },
    /// The checker's verdict in words, the search's figures (states, time) apart so that
    /// presenter mode can leave them out, and whether it is a violation.
    Finished {
        text: String,
        stats: String,
        violation: bool,
    },
    Failed(String),
}

/// Where "run CPU n to its next …" stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// The CPU sends an IPI or takes one.
    Ipi,
    /// The CPU acknowledges: a step the model's comment calls an acknowledgement that
    /// writes shared memory, or an acknowledgement window opening.
    Ack,
    /// A property breaks.
    Violation,
}

impl Goal {
    pub fn words(self) -> &'static str {
        match self {
            Goal::Ipi => "IPI",
            Goal::Ack => "acknowledgement",
            Goal::Violation => "violation",
        }
    }

    /// Does this step of `cpu` reach the goal?
    pub fn reached(self, cpu: u8, e: &sdlab_engine::session::LogEntry) -> bool {
        use sdlab_engine::machine::Effect;
        match self {
            Goal::Ipi => e
                .effects
                .iter()
                .any(|f| matches!(f, Effect::IpiSent { cpu: c, .. } | Effect::IrqEnter { cpu: c, .. } if *c == cpu)),
            Goal::Ack => {
                let said = e.narration.as_deref().unwrap_or("").to_lowercase();
                let writes = e.effects.iter().any(|f| match *f {
                    Effect::Write { old, new, .. } | Effect::Rmw { old, new, .. } => old != new,
                    Effect::StoreBuffered { .. } => true,
                    _ => false,
                });
                let named = said.contains("acknowledg") && !said.contains("reset") && !said.contains("no acknowledg");
                e.effects.iter().any(|f| matches!(f, Effect::WindowOpen { cpu: c, .. } if *c == cpu))
                    || (named && writes)
            }
            Goal::Violation => e.violation.is_some(),
        }
    }
}

/// Steps "run CPU n to …" takes at most before it stops and says so.
pub const RUN_TO_LIMIT: usize = 2_000;

pub enum Action {
    /// Take this exact choice.
    Choose(Choice),
    /// The CPU's own next move: a deliverable interrupt first (the LAPIC takes it at
    /// the next instruction boundary), else its next step.
    StepCpu(u8),
    /// Force a context switch on this CPU to the first thread of its run queue, where the
    /// kernel could preempt; otherwise say why it cannot.
    SwitchCpu(u8),
    /// Pacing: step this CPU (None: the CPU of the last step, else CPU 0) by its own moves
    /// until it reaches the goal, a violation, or cannot move.
    RunTo(Option<u8>, Goal),
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
    /// Switch to another bundled model.
    SetModel(String),
    /// A check was started with this generation.
    CheckStarted(u64),
    CheckReply(u64, CheckReply),
    CheckCancelled,
    /// The worker's answer to `Pane::cause_request`: taken only if it answers the request
    /// still pending (the same model, configuration and counterexample).
    CauseFound(CauseReply),
    /// Forget a loaded counterexample; forward steps follow the seed again.
    DropPlan,
    /// Ask for a check of the current configuration.
    RequestCheck,
    ShowGallery(bool),
    /// Load a bundled model in the configuration of one of its declared races, and find it.
    LoadRace(String, usize),
    /// Open the state a permalink describes (the fragment, without `#`).
    FromLink(String),
    /// Go to the last step: the end of the loaded schedule, or run the seed to the end.
    End,
    TogglePresenter,
    /// Attach a note to the current step (empty text removes it).
    SetNote(String),
    ToggleEditor,
    /// The editor's text changed: compile it for diagnostics, run nothing yet.
    EditText(String),
    /// Run the edited model (if it compiles).
    ApplyEdit,
    /// Open or close compare mode.
    ToggleCompare,
    /// Set one of B's options (by name) in compare mode.
    CompareOption(String, i32),
    /// How B steps in compare mode.
    CompareFollow(Follow),
    /// B's options (all that differ from A's) and how it steps, at once.
    CompareVariant(Vec<(String, i32)>, Follow),
    ToggleGif,
    /// Close the GIF panel (Escape; the help overlay is the page's own state).
    Dismiss,
    /// Start recording a GIF: forward steps follow the run on screen until `GifEnd`.
    GifBegin,
    /// Show step n of the recorded run (a frame).
    GifFrame(usize),
    /// Back to the step shown before recording.
    GifEnd,
    /// Play a kernel trace's round: its model and CPUs, its run loaded at step 0.
    LoadGuide(Box<Guide>),
}

pub const DEFAULT_MODEL: &str = "freebsd-scoreboard";

impl Pane {
    /// The page as it opens: the default model at step 0.
    pub fn opening() -> Pane {
        let (prog, machine) = load_bundled(DEFAULT_MODEL).expect("the default model is bundled and builds");
        Pane::with_machine(DEFAULT_MODEL.to_string(), prog, machine.cfg().clone(), machine, 1)
    }

    /// A run of `machine` at step 0, with nothing else open.
    pub fn with_machine(model_id: String, prog: Arc<Program>, cfg: Config, machine: Machine, seed: u64) -> Pane {
        Pane {
            model_id,
            prog,
            cfg,
            session: Session::new(machine),
            seed,
            running: false,
            speed_ms: NORMAL_MS,
            demo: None,
            error: None,
            plan: None,
            check: CheckStatus::Idle,
            check_gen: 0,
            check_requested: false,
            gallery: false,
            presenter: false,
            embed: false,
            notes: Default::default(),
            editor: false,
            edit_text: String::new(),
            edit_diags: Vec::new(),
            compare: None,
            gif_panel: false,
            recording: None,
            guide: None,
        }
    }
}

/// Compile a bundled model and build its machine in the default configuration. Bundled
/// models are tested to compile, but a message beats a panic all the same.
pub fn load_bundled(id: &str) -> Result<(Arc<Program>, Machine), String> {
    let b = models::find(id).ok_or_else(|| format!("no bundled model `{id}`"))?;
    let (prog, diags) = compile(b.source);
    let prog = Arc::new(prog.ok_or_else(|| {
        format!("model `{id}` does not compile: {}", diags.first().map(|d| d.to_string()).unwrap_or_default())
    })?);
    let mut cfg = Config::new(&prog);
    cfg.ncpu = cfg.ncpu.max(prog.scenarios.first().map_or(1, |s| s.min_cpus));
    let machine = Machine::new(prog.clone(), cfg)?;
    Ok((prog, machine))
}

impl Pane {
    /// The permalink of the current state.
    pub fn link(&self) -> permalink::Link {
        let taken = self.session.schedule();
        let schedule = match &self.plan {
            Some(p) if p.choices.starts_with(&taken) => p.choices.clone(),
            _ => taken,
        };
        permalink::Link {
            model: self.model_id.clone(),
            ncpu: self.cfg.ncpu,
            scenario: self.prog.scenarios.get(self.cfg.scenario).map(|s| s.name.clone()).unwrap_or_default(),
            options: permalink::changed_options(&self.prog, &self.cfg),
            seed: self.seed,
            at: self.session.steps(),
            gallery: self.gallery,
            presenter: self.presenter,
            embed: self.embed,
            notes: self.notes.iter().map(|(k, v)| (*k, v.clone())).collect(),
            source: (self.model_id == permalink::EDITED).then(|| self.prog.source.clone()),
            compare: self.compare.as_ref().map(|c| permalink::LinkCompare {
                set: c.set.clone(),
                own: match &c.follow {
                    Follow::Mirror => None,
                    Follow::Own { choices, seed } => Some((choices.clone(), *seed)),
                },
            }),
            cycle_start: self.plan.as_ref().filter(|p| p.choices == schedule).and_then(|p| p.cycle_start),
            schedule,
        }
    }

    /// What the worker must be asked for the step that makes the loaded counterexample's
    /// race (`cause::answer`), while it is not known yet.
    pub fn cause_request(&self) -> Option<CauseRequest> {
        let p = self.plan.as_ref().filter(|p| p.cause_pending)?;
        Some(CauseRequest {
            source: self.prog.source.clone(),
            ncpu: self.cfg.ncpu,
            scenario: self.cfg.scenario,
            options: self.cfg.options.clone(),
            schedule: schedule::format(&p.choices),
        })
    }

    /// The declared race this configuration is, while a counterexample is loaded: the
    /// gallery's story of it stays on screen beside the timeline. Found from the
    /// configuration, so that a link to the race finds it too.
    pub fn race(&self) -> Option<&sdlab_engine::lang::program::RaceDecl> {
        let property = self.plan.as_ref()?.property?;
        let mut mine = self.prog.races.iter().filter(|r| Config::for_race(&self.prog, r) == self.cfg);
        mine.clone().find(|r| r.expect == property).or_else(|| mine.next())
    }

    /// Compile the editor's text and, if it compiles, run it in the closest configuration:
    /// the same CPU count, scenario and option values where the edited model has them.
    fn apply_edit(&mut self) {
        let (prog, diags) = compile(&self.edit_text);
        self.edit_diags = diags;
        let Some(prog) = prog else { return };
        let prog = Arc::new(prog);
        let mut cfg = Config::new(&prog);
        if let Some(i) = self.prog.scenarios.get(self.cfg.scenario).and_then(|sc| prog.scenario_index(&sc.name)) {
            cfg.scenario = i;
        }
        let (lo, hi, _) = prog.cpus;
        let need = prog.scenarios.get(cfg.scenario).map_or(1, |s| s.min_cpus);
        cfg.ncpu = self.cfg.ncpu.clamp(lo, hi).max(need);
        for (o, v) in self.prog.options.iter().zip(&self.cfg.options) {
            if let Some(i) = prog.option_index(&o.name) {
                cfg.options[i] = *v;
            }
        }
        self.model_id = permalink::EDITED.to_string();
        self.prog = prog;
        self.rebuild(cfg);
    }

    /// Restore a permalink; on any problem, say what and keep the default view.
    pub fn open_link(&mut self, frag: &str) {
        let result =
            permalink::decode(frag, |id| load_bundled(id).ok().map(|(p, _)| p)).and_then(|(link, cfg, prog)| {
                let machine = Machine::new(prog.clone(), cfg.clone())?;
                let mut session = Session::new(machine);
                session
                    .replay(&link.schedule)
                    .map_err(|(k, f)| format!("its schedule does not replay at step {k}: {f}"))?;
                // What the whole schedule breaks, read before going back to the step shown:
                // a schedule that ends in a violation or a stuck state is a counterexample.
                let broken = match link.cycle_start {
                    Some(_) => Some((Property::NoLost, String::new())),
                    None => session
                        .first_violation()
                        .map(|(_, v)| (v.property, v.message.clone()))
                        .or_else(|| session.stuck().map(|s| (s.property, s.message))),
                };
                while session.steps() > link.at && session.back() {}
                Ok((link, prog, cfg, session, broken))
            });
        match result {
            Ok((link, prog, cfg, session, broken)) => {
                self.model_id = link.model.clone();
                self.prog = prog;
                self.cfg = cfg;
                self.session = session;
                self.seed = link.seed;
                self.gallery = link.gallery;
                self.presenter = link.presenter;
                self.embed = link.embed;
                self.notes = link.notes.iter().cloned().collect();
                self.running = false;
                self.check_gen += 1;
                self.check = CheckStatus::Idle;
                self.error = None;
                // The schedule stays loaded while there are steps left to play, and at its
                // end too when it is a counterexample, so that its timeline stays on screen
                // and Home, → and End follow it again.
                let (property, message) = broken.map_or((None, String::new()), |(p, m)| (Some(p), m));
                self.plan = (link.at < link.schedule.len() || property.is_some())
                    .then(|| Plan::new(link.schedule, property, message, link.cycle_start));
                self.editor = false;
                self.guide = None;
                self.compare = link.compare.map(|c| {
                    let follow = match c.own {
                        Some((choices, seed)) => Follow::Own { choices, seed },
                        None => Follow::Mirror,
                    };
                    Compare::new(self, c.set, follow)
                });
                self.sync_compare();
            }
            Err(e) => {
                *self = Pane::opening();
                self.error = Some(format!("This link cannot be opened: {e}. Showing the default view."));
            }
        }
    }
}

impl Pane {
    /// The choice a click on CPU c takes, if any: an interrupt, else a step, else (a CPU
    /// that spins or has finished) committing its oldest buffered store.
    pub fn preferred(&mut self, c: u8) -> Option<Choice> {
        let en = self.session.enabled();
        en.iter()
            .find(|x| matches!(x, Choice::Irq(cc, _) if *cc == c))
            .or_else(|| en.iter().find(|x| **x == Choice::Step(c)))
            .or_else(|| en.iter().find(|x| **x == Choice::Drain(c)))
            .copied()
    }

    /// The switch a forced context switch on CPU `c` takes: to the first thread of its run
    /// queue, when the machine enables it; else why not, in the machine's own terms
    /// (`Machine::preemptible`).
    pub fn forced_switch(&mut self, c: u8) -> Result<Choice, String> {
        let en = self.session.enabled().to_vec();
        let m = self.session.machine();
        let n = m.ncpu();
        if usize::from(c) >= n {
            let s = if n == 1 { "" } else { "s" };
            return Err(format!("There is no CPU {c}: this machine has {n} CPU{s} (0–{}).", n.saturating_sub(1)));
        }
        if !m.has_threads() {
            return Err(format!(
                "CPU {c} cannot switch: this scenario queues no threads, so each CPU runs its one thread (a scenario with `thread N: …` has a scheduler)."
            ));
        }
        let st = self.session.state();
        let queued = st.threads.iter().filter(|t| t.cpu == c && t.runnable()).map(|t| t.id).collect::<Vec<_>>();
        if let Some(ch) = queued.iter().map(|&t| Choice::Switch(c, t)).find(|ch| en.contains(ch)) {
            return Ok(ch);
        }
        if queued.is_empty() {
            let asleep = st.threads.iter().filter(|t| t.cpu == c && !t.runnable()).count();
            let more = match asleep {
                0 => String::new(),
                1 => " (its one other thread sleeps until a wakeup)".to_string(),
                n => format!(" (its {n} other threads sleep until a wakeup)"),
            };
            return Err(format!("CPU {c} cannot switch: its run queue is empty{more}."));
        }
        let cpu = &st.cpus[usize::from(c)];
        let why = if cpu.stack.iter().any(|a| a.ctx == Ctx::Switch) {
            "it is in the switch-in code, which no kernel preempts".to_string()
        } else if cpu.stack.iter().any(|a| a.ctx != Ctx::Thread) {
            "an interrupt handler is on its stack".to_string()
        } else if !cpu.intr {
            "interrupts are off (IF=0)".to_string()
        } else if cpu.crit > 0 {
            format!("it is in a critical section (crit={}), which defers preemption", cpu.crit)
        } else if !cpu.sb.is_empty() {
            "its store buffer still holds stores (the switch path drains it first)".to_string()
        } else if m.preemptible(st, usize::from(c)) {
            let cur = st.current.get(usize::from(c)).copied().unwrap_or(u8::MAX);
            format!(
                "the scheduler runs the best thread, and none queued here (priority {}) beats thread {cur} (priority {})",
                queued.iter().map(|&t| m.thread_prio(t)).max().unwrap_or(0),
                m.thread_prio(cur)
            )
        } else {
            "the switch path waits for its broadcast invalidations to complete".to_string()
        };
        Err(format!("CPU {c} cannot switch now: {why}."))
    }

    /// Step CPU `c` by its own moves until `goal`, a violation, or no move; says why it
    /// stopped when the goal was not reached.
    fn run_to(&mut self, c: u8, goal: Goal) {
        for k in 0..RUN_TO_LIMIT {
            let Some(ch) = self.preferred(c) else {
                let why = match self.session.machine().wait(self.session.state(), c as usize) {
                    Some(w) => format!("it is spinning: `{}` still holds", w.condition),
                    None => "it has nothing left to do".to_string(),
                };
                self.error = Some(format!("CPU {c} reached no {} in {k} steps: {why}.", goal.words()));
                return;
            };
            if !self.take(ch) {
                return;
            }
            let Some(e) = self.session.log().last() else { return };
            if goal.reached(c, e) || e.violation.is_some() {
                return;
            }
        }
        self.error = Some(format!("CPU {c} reached no {} in {RUN_TO_LIMIT} steps.", goal.words()));
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

    /// The next forward step: the loaded counterexample while it lasts, else the seed.
    fn step_seeded(&mut self) -> bool {
        let next = self.recording.as_ref().and_then(|(run, _)| run.get(self.session.steps()).copied());
        if let Some(c) = next.or_else(|| self.plan.as_ref().and_then(|p| p.choices.get(self.session.steps()).copied()))
        {
            return self.take(c);
        }
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
        self.notes.clear();
        match Machine::new(self.prog.clone(), cfg.clone()) {
            Ok(m) => {
                self.cfg = cfg;
                self.session = Session::new(m);
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
        self.running = false;
        self.plan = None;
        self.guide = None;
        self.check_gen += 1;
        if matches!(self.check, CheckStatus::Running { .. }) {
            self.check = CheckStatus::Failed("cancelled: the configuration changed".into());
        } else {
            self.check = CheckStatus::Idle;
        }
    }

    /// Open a trace round's run: the guide's model with its CPUs, the run loaded as the
    /// plan at step 0. The run must replay on the machine before anything changes; a guide
    /// that does not is refused with the reason and the page stays as it was.
    fn load_guide(&mut self, g: Guide) {
        let built = load_bundled(&g.model).and_then(|(prog, _)| {
            let mut cfg = Config::new(&prog);
            cfg.ncpu = u32::try_from(g.cpus.len()).map_err(|_| "too many CPUs".to_string())?;
            if let Some(sc) = &g.scenario {
                cfg.scenario =
                    prog.scenario_index(sc).ok_or_else(|| format!("model `{}` has no scenario `{sc}`", g.model))?;
            }
            let mut probe = Session::new(Machine::new(prog.clone(), cfg.clone())?);
            probe.replay(&g.schedule).map_err(|(k, f)| format!("its run does not replay at step {k}: {f}"))?;
            Ok((prog, cfg))
        });
        match built {
            Ok((prog, cfg)) => {
                self.model_id = g.model.clone();
                self.prog = prog;
                self.gallery = false;
                self.editor = false;
                self.compare = None;
                self.rebuild(cfg);
                self.plan = Some(Plan::new(g.schedule.clone(), None, String::new(), None));
                self.guide = Some(g);
            }
            Err(e) => self.error = Some(format!("{} cannot be played in the machine: {e}", g.title)),
        }
    }

    /// The guide, while the steps taken follow its run (a step off it leaves the trace).
    pub fn guide_on_track(&self) -> Option<&Guide> {
        let g = self.guide.as_ref()?;
        let taken = self.session.schedule();
        g.schedule.starts_with(&taken).then_some(g)
    }

    fn check_reply(&mut self, r: CheckReply) {
        match r {
            CheckReply::Ready => {}
            CheckReply::Progress { states, depth, seconds, .. } => {
                self.check = CheckStatus::Running { states, depth, seconds }
            }
            CheckReply::Error { message } => self.check = CheckStatus::Failed(message),
            CheckReply::Done {
                verdict,
                property,
                message,
                schedule: sched,
                cycle_start,
                states,
                transitions,
                depth,
                seconds,
                reductions,
                explored_depth,
                ..
            } => {
                let rate = states as f64 / seconds.max(1e-6);
                let stats = format!(
                    "{states} states, {transitions} transitions, depth {depth}, {seconds:.2} s ({rate:.0} states/s)"
                );
                self.check = match verdict {
                    Verdict::Verified => CheckStatus::Finished {
                        text: format!(
                            "Verified: no violation in {states} states (exhaustive breadth-first search; reductions: {reductions})."
                        ),
                        stats,
                        violation: false,
                    },
                    Verdict::Violation => {
                        // The plan must replay on this machine before it is loaded: a reply
                        // is only trusted as far as the engine confirms it.
                        let choices = sched.as_deref().map(schedule::parse).transpose().map_err(String::from).and_then(|c| {
                            let c = c.unwrap_or_default();
                            let mut probe = Session::new(self.session.machine().clone());
                            probe.replay(&c).map_err(|(k, f)| format!("it does not replay at step {k}: {f}"))?;
                            // A lasso's cycle starts at one of its steps (a link could not
                            // say otherwise: the permalink decoder refuses it).
                            if let Some(k) = cycle_start.filter(|&k| k >= c.len()) {
                                return Err(format!("its cycle starts at step {k}, after the last of its {} steps", c.len()));
                            }
                            Ok(Some(c))
                        });
                        match choices {
                            Ok(choices) => {
                                let choices = choices.unwrap_or_default();
                                let message = message.unwrap_or_default();
                                let text = format!(
                                    "Found {} in {} steps, the shortest possible; loaded at step 0: press → to play it.",
                                    property.map_or_else(|| "a violation".to_string(), Property::describe),
                                    choices.len()
                                );
                                self.session.reset();
                                self.running = false;
                                self.error = None;
                                self.plan = Some(Plan::new(choices, property, message, cycle_start));
                                CheckStatus::Finished { text, stats, violation: true }
                            }
                            Err(e) => CheckStatus::Failed(format!("the counterexample does not parse: {e}")),
                        }
                    }
                    Verdict::Limit => CheckStatus::Failed(match explored_depth {
                        // The breadth-first search stopped: every level before the one it
                        // was expanding was complete, so the short runs were all checked.
                        Some(d) => format!(
                            "Stopped: {}, as many as this tab's memory holds. Every run of up to {d} steps was \
                             explored and breaks no property; longer runs were not explored. {stats}",
                            message.unwrap_or_default()
                        ),
                        None => format!(
                            "Stopped: {}. Nothing was proved; try fewer CPUs. {stats}",
                            message.unwrap_or_default()
                        ),
                    }),
                    Verdict::Fault => CheckStatus::Failed(format!("Model error: {}", message.unwrap_or_default())),
                };
            }
        }
    }
}

/// Actions that move the run or change it: refused while a GIF records its frames.
fn moves(a: &Action) -> bool {
    !matches!(
        a,
        Action::GifFrame(_)
            | Action::GifEnd
            | Action::CheckStarted(_)
            | Action::CheckReply(..)
            | Action::CheckCancelled
            | Action::CauseFound(_)
            | Action::ToggleGif
            | Action::EditText(_)
    )
}

impl Pane {
    fn jump_to(&mut self, n: usize) {
        while self.session.steps() > n && self.session.back() {}
        while self.session.steps() < n && self.step_seeded() {}
    }

    /// The comparison follows every change of A (kept out of `compare` to borrow both).
    fn sync_compare(&mut self) {
        if let Some(mut c) = self.compare.take() {
            c.sync(self);
            self.compare = Some(c);
        }
    }
}

impl Pane {
    /// Take one action: the only way the page's state changes.
    pub fn apply(&mut self, action: Action) {
        {
            let s = self;
            if s.recording.is_some() && moves(&action) {
                return;
            }
            match action {
                Action::Choose(c) if usize::from(c.cpu()) >= s.session.machine().ncpu() => {
                    s.error = Some(format!(
                        "There is no CPU {}: this machine has {} CPUs.",
                        c.cpu(),
                        s.session.machine().ncpu()
                    ));
                }
                Action::Choose(c) => {
                    s.take(c);
                }
                // A key or a click names a CPU: refuse one this machine does not have here,
                // where the number enters, before anything indexes by it.
                Action::StepCpu(c) if usize::from(c) >= s.session.machine().ncpu() => {
                    let n = s.session.machine().ncpu();
                    s.error = Some(format!(
                        "There is no CPU {c}: this machine has {n} CPU{} (0–{}). Choose more CPUs to step CPU {c}.",
                        if n == 1 { "" } else { "s" },
                        n.saturating_sub(1)
                    ));
                }
                Action::RunTo(Some(c), _) if usize::from(c) >= s.session.machine().ncpu() => {
                    s.error =
                        Some(format!("There is no CPU {c}: this machine has {} CPUs.", s.session.machine().ncpu()));
                }
                Action::RunTo(c, goal) => {
                    let c = c.or_else(|| s.session.log().last().map(|e| e.cpu)).unwrap_or(0);
                    s.run_to(c, goal);
                }
                Action::SwitchCpu(c) => match s.forced_switch(c) {
                    Ok(ch) => {
                        s.take(ch);
                    }
                    Err(why) => s.error = Some(why),
                },
                Action::StepCpu(c) => match s.preferred(c) {
                    Some(ch) => {
                        s.take(ch);
                    }
                    None => {
                        let why = match s.session.machine().wait(s.session.state(), c as usize) {
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
                Action::JumpTo(n) => s.jump_to(n),
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
                Action::SetSpeed(pace::DEMO) => s.speed_ms = pace::DEMO,
                Action::SetSpeed(ms) => s.speed_ms = ms.clamp(pace::MIN_MS, pace::MAX_MS),
                Action::SetSeed(seed) => s.seed = seed,
                Action::SetCpus(n) if !(s.prog.cpus.0..=s.prog.cpus.1).contains(&n) => {
                    let (lo, hi, _) = s.prog.cpus;
                    s.error = Some(format!("This model runs on {lo} to {hi} CPUs, not {n}."));
                }
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
                Action::RequestCheck => s.check_requested = true,
                Action::FromLink(frag) => s.open_link(&frag),
                Action::End => {
                    let target = s.plan.as_ref().map(|p| p.choices.len());
                    // Bounded: a run that never ends stops after this many steps.
                    let mut budget = 10_000;
                    while budget > 0 && target.is_none_or(|t| s.session.steps() < t) && s.step_seeded() {
                        budget -= 1;
                    }
                }
                Action::TogglePresenter => s.presenter = !s.presenter,
                Action::ToggleEditor => {
                    s.editor = !s.editor;
                    s.compare = None;
                    if s.editor {
                        s.edit_text = s.prog.source.clone();
                        s.edit_diags.clear();
                    }
                }
                Action::EditText(text) => {
                    s.edit_diags = compile(&text).1;
                    s.edit_text = text;
                }
                Action::ApplyEdit => s.apply_edit(),
                Action::SetNote(text) => {
                    let step = s.session.steps();
                    let text: String = text.trim().chars().take(permalink::MAX_NOTE).collect();
                    if text.is_empty() {
                        s.notes.remove(&step);
                    } else {
                        s.notes.insert(step, text);
                    }
                }
                Action::ShowGallery(on) => s.gallery = on,
                Action::LoadRace(id, r) => match load_bundled(&id) {
                    Ok((prog, _)) => match prog.races.get(r).map(|race| Config::for_race(&prog, race)) {
                        Some(cfg) => {
                            s.model_id = id;
                            s.prog = prog;
                            s.rebuild(cfg);
                            s.gallery = false;
                            s.check_requested = s.error.is_none();
                        }
                        None => s.error = Some(format!("model `{id}` has no race {r}")),
                    },
                    Err(e) => s.error = Some(e),
                },
                Action::CheckStarted(gen) => {
                    s.check_requested = false;
                    s.check_gen = gen;
                    s.check = CheckStatus::Running { states: 0, depth: 0, seconds: 0.0 };
                }
                Action::CheckReply(gen, r) => {
                    if gen == s.check_gen {
                        s.check_reply(r);
                    }
                }
                Action::CheckCancelled => {
                    s.check_gen += 1;
                    s.check = CheckStatus::Failed("cancelled".into());
                }
                Action::CauseFound(reply) => {
                    if s.cause_request().as_ref() == Some(&reply.request) {
                        if let Some(p) = s.plan.as_mut() {
                            p.cause = reply.step.filter(|&k| k > 0 && k < p.choices.len());
                            p.cause_pending = false;
                        }
                    }
                }
                Action::DropPlan => {
                    s.plan = None;
                    s.guide = None;
                }
                Action::LoadGuide(g) => s.load_guide(*g),
                Action::SetModel(id) => match load_bundled(&id) {
                    Ok((prog, machine)) => {
                        s.model_id = id;
                        s.cfg = machine.cfg().clone();
                        s.prog = prog;
                        s.session = Session::new(machine);
                        s.error = None;
                        s.running = false;
                        s.plan = None;
                        s.guide = None;
                        s.check_gen += 1;
                        s.check = CheckStatus::Idle;
                    }
                    Err(e) => s.error = Some(e),
                },
                // Through the engine's own check of the option's range, as the CLI's `--set`.
                Action::SetOption(i, v) => {
                    let mut cfg = s.cfg.clone();
                    let set = match s.prog.options.get(i) {
                        Some(o) => cfg.set(&s.prog, &o.name, &v.to_string()).map_err(String::from),
                        None => Err(format!("this model has no option number {i}")),
                    };
                    match set {
                        Ok(()) => s.rebuild(cfg),
                        Err(e) => s.error = Some(e),
                    }
                }
                Action::ToggleCompare => {
                    if s.compare.is_some() {
                        s.compare = None;
                    } else {
                        let set = compare::default_set(s);
                        let follow = if set.is_empty() {
                            // Nothing to flip: two schedules of the same variant.
                            Follow::Own { choices: vec![], seed: s.seed.wrapping_add(1) }
                        } else {
                            Follow::Mirror
                        };
                        s.editor = false;
                        s.gallery = false;
                        s.compare = Some(Compare::new(s, set, follow));
                    }
                }
                Action::CompareOption(name, v) => {
                    let a_value = s.prog.option_index(&name).and_then(|i| s.cfg.options.get(i).copied());
                    if let Some(c) = s.compare.as_mut() {
                        c.set.retain(|(n, _)| *n != name);
                        if a_value.is_some_and(|a| a != v) {
                            c.set.push((name, v));
                        }
                    }
                }
                Action::CompareVariant(set, f) => {
                    if let Some(c) = s.compare.as_mut() {
                        c.set = set;
                        c.follow = f;
                        c.reset_basis();
                    }
                }
                Action::CompareFollow(f) => {
                    if let Some(c) = s.compare.as_mut() {
                        c.follow = f;
                        c.reset_basis();
                    }
                }
                Action::ToggleGif => s.gif_panel = !s.gif_panel,
                Action::Dismiss => s.gif_panel = false,
                Action::GifBegin => {
                    s.running = false;
                    let taken = s.session.schedule();
                    let run = match &s.plan {
                        Some(p) if p.choices.starts_with(&taken) => p.choices.clone(),
                        _ => taken,
                    };
                    let at = s.session.steps();
                    s.recording = Some((run, at));
                }
                Action::GifFrame(n) => s.jump_to(n),
                Action::GifEnd => {
                    if let Some((_, at)) = s.recording.clone() {
                        s.jump_to(at);
                    }
                    s.recording = None;
                }
            }
            s.sync_compare();
            s.refresh_demo();
        }
    }

    /// The delay before the next step while running.
    pub fn tick_ms(&self) -> u32 {
        match &self.demo {
            Some((_, _, pace)) if self.speed_ms == pace::DEMO => pace.delay_before(self.session.steps() + 1),
            _ => self.speed_ms.max(pace::MIN_MS),
        }
    }

    /// Keep the demo pace in step with the loaded plan: worked out again when the plan
    /// or its cause changes (the cause is kept unfolded, as in the log), and the speed
    /// back to normal when there is no plan left to fit into a demo.
    fn refresh_demo(&mut self) {
        if self.speed_ms != pace::DEMO {
            self.demo = None;
            return;
        }
        let Some(p) = self.plan.as_ref().filter(|p| !p.choices.is_empty()) else {
            self.speed_ms = NORMAL_MS;
            self.demo = None;
            return;
        };
        if self.demo.as_ref().is_some_and(|(c, cause, _)| *c == p.choices && *cause == p.cause) {
            return;
        }
        // The plan's steps as the log will show them once played: replayed aside, so the
        // run on screen does not move. A plan that stops replaying (a fault) is paced over
        // the steps it reached.
        let mut run = Session::new(self.session.machine().clone());
        let _ = run.replay(&p.choices);
        let marks = crate::view::Marks {
            first_bad: run.first_violation().map(|(n, _)| n),
            cause: p.cause,
            traced: self
                .guide
                .as_ref()
                .filter(|g| g.schedule == p.choices)
                .map(|g| g.lines.iter().map(|l| l.step + 1).collect()),
        };
        let rows = crate::view::fold_steps(run.log(), 0, run.steps(), &marks);
        self.demo = Some((p.choices.clone(), p.cause, Pace::new(&rows, pace::DEMO_MS)));
    }
}
