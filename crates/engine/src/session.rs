//! A run being stepped: the machine, the snapshot history for exact O(1) back-steps,
//! and a log of what each step did. The app and the CLI both drive runs through this.

use crate::machine::{describe_effect, Choice, Effect, Fault, Machine, RunError, State, Stuck, Violation};
use crate::schedule;

/// Longest run a session keeps (each step keeps one snapshot).
pub const MAX_STEPS: usize = 200_000;
/// Memory the snapshots of one session may take. A model with all 65 536 words of shared
/// memory has states of 256 KB, so 200 000 of them would be 50 GB: such a run stops at
/// this budget with a message instead of taking the page (or the machine) down.
pub const MAX_HISTORY_BYTES: usize = 256 << 20;

#[derive(Clone, Debug)]
pub struct LogEntry {
    pub choice: Choice,
    pub cpu: u8,
    /// Source line executed (0 for a hardware event such as interrupt delivery).
    pub line: u32,
    /// The model's `///` narration for that line, if any.
    pub narration: Option<String>,
    pub effects: Vec<Effect>,
    pub violation: Option<Violation>,
}

impl LogEntry {
    /// One sentence: the narration if the model has one, else the effects in words.
    pub fn summary(&self, m: &Machine) -> String {
        // Calls and trace points say nothing a reader of the narration needs.
        let said: Vec<String> = self
            .effects
            .iter()
            .filter(|e| !matches!(e, Effect::Call { .. } | Effect::Ktr { .. }))
            .map(|e| describe_effect(m, e))
            .collect();
        let facts = if said.is_empty() { format!("CPU {} steps", self.cpu) } else { said.join("; ") };
        match &self.narration {
            Some(n) => format!("{n} — {facts}"),
            None => facts,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Session {
    machine: Machine,
    history: Vec<State>,
    /// `State::approx_bytes` of every snapshot in `history`.
    history_bytes: usize,
    log: Vec<LogEntry>,
    fx: Vec<Effect>,
    en: Vec<Choice>,
}

impl Session {
    pub fn new(machine: Machine) -> Session {
        let s0 = machine.initial();
        let history_bytes = s0.approx_bytes();
        Session { machine, history: vec![s0], history_bytes, log: Vec::new(), fx: Vec::new(), en: Vec::new() }
    }

    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    pub fn into_machine(self) -> Machine {
        self.machine
    }

    /// Every step taken, in order; entry i is step i + 1.
    pub fn log(&self) -> &[LogEntry] {
        &self.log
    }

    pub fn state(&self) -> &State {
        self.history.last().expect("history always holds the initial state")
    }

    pub fn steps(&self) -> usize {
        self.log.len()
    }

    pub fn enabled(&mut self) -> Vec<Choice> {
        let s = self.history.last().expect("history always holds the initial state");
        self.machine.enabled(s, &mut self.en);
        self.en.clone()
    }

    pub fn stuck(&self) -> Option<Stuck> {
        self.machine.stuck(self.state())
    }

    /// Take one choice. A choice that is not enabled is an error, not a panic.
    pub fn step(&mut self, choice: Choice) -> Result<&LogEntry, Fault> {
        if self.log.len() >= MAX_STEPS {
            return Err(Fault { cpu: choice.cpu(), line: 0, error: RunError::RunTooLong { max: MAX_STEPS } });
        }
        let mut s = self.state().clone();
        self.fx.clear();
        let st = self.machine.step(&mut s, choice, &mut self.fx)?;
        let bytes = s.approx_bytes();
        if self.history_bytes + bytes > MAX_HISTORY_BYTES {
            return Err(Fault {
                cpu: choice.cpu(),
                line: 0,
                error: RunError::HistoryFull {
                    snapshots: self.history.len(),
                    mb: self.history_bytes >> 20,
                    state_kb: bytes >> 10,
                },
            });
        }
        self.history_bytes += bytes;
        let narration = st.at.and_then(|(p, pc)| {
            let ins = &self.machine.prog.procs[p as usize].code[pc as usize];
            self.machine.prog.narration(ins).map(str::to_string)
        });
        self.history.push(s);
        self.log.push(LogEntry {
            choice,
            cpu: st.cpu,
            line: st.line,
            narration,
            effects: self.fx.clone(),
            violation: st.violation,
        });
        Ok(self.log.last().expect("just pushed"))
    }

    /// Step by the seeded schedule. `None` when nothing is enabled.
    pub fn step_seeded(&mut self, seed: u64) -> Option<Result<&LogEntry, Fault>> {
        let en = self.enabled();
        if en.is_empty() {
            return None;
        }
        let c = en[schedule::pick(seed, self.log.len() as u64, en.len())];
        Some(self.step(c))
    }

    /// Undo the last step exactly. False at step 0.
    pub fn back(&mut self) -> bool {
        if self.log.is_empty() {
            return false;
        }
        if let Some(s) = self.history.pop() {
            self.history_bytes -= s.approx_bytes();
        }
        self.log.pop();
        true
    }

    pub fn reset(&mut self) {
        self.history.truncate(1);
        self.history_bytes = self.history.iter().map(State::approx_bytes).sum();
        self.log.clear();
    }

    pub fn schedule(&self) -> Vec<Choice> {
        self.log.iter().map(|e| e.choice).collect()
    }

    /// Replay a schedule from the start; on a bad choice, says which step failed.
    pub fn replay(&mut self, choices: &[Choice]) -> Result<(), (usize, Fault)> {
        self.reset();
        for (i, &c) in choices.iter().enumerate() {
            self.step(c).map_err(|f| (i + 1, f))?;
        }
        Ok(())
    }

    /// The first violation in the log, with its 1-based step number.
    pub fn first_violation(&self) -> Option<(usize, &Violation)> {
        self.log.iter().enumerate().find_map(|(i, e)| e.violation.as_ref().map(|v| (i + 1, v)))
    }
}
