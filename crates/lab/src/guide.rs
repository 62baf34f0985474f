//! A kernel trace's round played through the machine: the run the conformance search
//! found (`sdlab_runtrace::conform`), with the trace lines its steps produced, or the
//! longest prefix the model could match and the line where the kernel and the model part
//! ways. The stepper follows the run as it follows a counterexample; this is what it
//! shows beside the narration.

use crate::protocol::{ConformVerdict, RoundVerdict};
use sdlab_engine::machine::Choice;
use sdlab_engine::schedule;
use sdlab_trace::Trace;

/// One trace event a step of the run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct GuideLine {
    /// The step (0-based index into the run) that produced the event.
    pub step: usize,
    /// 1-based line in the trace file, and its text.
    pub line: u32,
    pub raw: String,
    /// The trace CPU that logged it.
    pub cpu: u16,
}

/// Where no run of the model can follow the kernel.
#[derive(Clone, Debug, PartialEq)]
pub struct GuideMismatch {
    /// Events of the round the longest matching prefix covers, of `events`.
    pub prefix: usize,
    pub events: usize,
    pub line: u32,
    pub raw: String,
    pub cpu: u16,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Guide {
    /// What was played, in words ("munmap-4cpu-4pages.trace, round #3").
    pub title: String,
    pub model: String,
    pub scenario: Option<String>,
    /// The trace CPU each model CPU stands for.
    pub cpus: Vec<u16>,
    /// The run: every matched event's step is inside it.
    pub schedule: Vec<Choice>,
    /// In step order.
    pub lines: Vec<GuideLine>,
    pub mismatch: Option<GuideMismatch>,
    /// The facts of the trace the search relied on, in words.
    pub facts: Vec<String>,
}

impl Guide {
    /// A guide from the worker's verdict on one round of `trace`; `raw` gives the text of
    /// an event's line (the page reads it from the file). The run starts from the verdict's
    /// scenario, else `scenario`. An undecided round has no run to play, and a schedule that
    /// does not parse is refused here, where it enters.
    pub fn from_verdict(
        title: String,
        model: &str,
        scenario: Option<&str>,
        trace: &Trace,
        v: &RoundVerdict,
        facts: &[&str],
        raw: &dyn Fn(u32) -> String,
    ) -> Result<Guide, String> {
        let event = |i: u32| {
            trace.events.get(i as usize).ok_or_else(|| format!("the verdict names event {i}, which the trace lacks"))
        };
        let line_of = |step: u32, i: u32| -> Result<GuideLine, String> {
            let e = event(i)?;
            Ok(GuideLine { step: step as usize, line: e.line, raw: raw(i), cpu: e.cpu })
        };
        let (text, matched, mismatch) = match &v.verdict {
            ConformVerdict::Conforms { schedule, matched } => (schedule, matched, None),
            ConformVerdict::Mismatch { schedule, matched, prefix, event: at, reason } => {
                let e = event(*at)?;
                let m = GuideMismatch {
                    prefix: *prefix,
                    events: v.events,
                    line: e.line,
                    raw: raw(*at),
                    cpu: e.cpu,
                    reason: reason.clone(),
                };
                (schedule, matched, Some(m))
            }
            ConformVerdict::Undecided { reason } => return Err(format!("the round was not decided: {reason}")),
        };
        let schedule = schedule::parse(text).map_err(|e| format!("the run does not parse: {e}"))?;
        let mut lines = matched.iter().map(|&(s, i)| line_of(s, i)).collect::<Result<Vec<_>, _>>()?;
        if let Some(l) = lines.iter().find(|l| l.step >= schedule.len()) {
            return Err(format!(
                "line {} is matched to step {}, past the run's {} steps",
                l.line,
                l.step + 1,
                schedule.len()
            ));
        }
        lines.sort_by_key(|l| (l.step, l.line));
        Ok(Guide {
            title,
            model: model.to_string(),
            scenario: v.scenario.clone().or_else(|| scenario.map(str::to_string)),
            cpus: v.cpus.clone(),
            schedule,
            lines,
            mismatch,
            facts: facts.iter().map(|f| f.to_string()).collect(),
        })
    }

    /// The lines produced by the step that leads to step count `steps` (the step just taken).
    pub fn lines_of_step(&self, steps: usize) -> &[GuideLine] {
        let Some(k) = steps.checked_sub(1) else { return &[] };
        let a = self.lines.partition_point(|l| l.step < k);
        let b = self.lines.partition_point(|l| l.step <= k);
        &self.lines[a..b]
    }

    /// How many of the trace's events are matched once `steps` steps of the run are taken.
    pub fn matched_by(&self, steps: usize) -> usize {
        self.lines.partition_point(|l| l.step < steps)
    }

    /// The model CPU that stands for trace CPU `cpu`, if any.
    pub fn model_cpu(&self, cpu: u16) -> Option<usize> {
        self.cpus.iter().position(|&c| c == cpu)
    }
}
