//! `sdlab run`: one run of a model, by a seeded random schedule or replaying a schedule
//! file, stopping at the first violation, a fault, a stuck state or the step limit.

use crate::{load, Error, BAD_INPUT, FOUND};
use sdlab_engine::machine::Fault;
use sdlab_engine::session::MAX_STEPS;
use sdlab_engine::{schedule, Choice, Machine, Property, Session, Stuck};
use serde::Serialize;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Run a model once and report the first violation or deadlock.
///
/// Without --schedule, every step picks among the enabled choices by the seeded
/// schedule (the same seed gives the same run everywhere). With --schedule, replays
/// the file instead. Exit status: 0 no violation, 1 violation or stuck state
/// (deadlock, lost shootdown), 2 bad input or a model error.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: load::Target,
    /// Seed of the random schedule.
    #[arg(long, value_name = "N", conflicts_with = "schedule")]
    seed: Option<u64>,
    /// Take at most K steps (default 10000 for a random run, the whole file when
    /// replaying).
    #[arg(long, value_name = "K")]
    steps: Option<usize>,
    /// Replay this schedule: text like `0 1 i1.0 2`, or JSON with a "schedule" or
    /// "counterexample" field (the output of `sdlab run --json` replays).
    #[arg(long, value_name = "FILE")]
    schedule: Option<PathBuf>,
    /// Print one JSON object instead of the step log. `deadlock` is true whenever the
    /// run ends stuck (`stuck` says which property: G-DEADLOCK or G-NOLOST).
    #[arg(long)]
    json: bool,
}

const DEFAULT_STEPS: usize = 10_000;

/// Why the run ended.
#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Stop {
    Violation,
    Fault,
    /// Nothing is enabled (finished or stuck).
    NothingEnabled,
    StepLimit,
    ScheduleEnd,
}

#[derive(Serialize)]
struct ViolationReport<'a> {
    property: Property,
    cpu: u8,
    step: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct FaultReport {
    cpu: u8,
    line: u32,
    step: usize,
    choice: String,
    message: String,
}

#[derive(Serialize)]
struct Report<'a> {
    model: &'a str,
    title: &'a str,
    cpus: u32,
    scenario: &'a str,
    options: load::OptionValues,
    seed: Option<u64>,
    steps: usize,
    schedule: String,
    violation: Option<ViolationReport<'a>>,
    deadlock: bool,
    stuck: Option<&'a Stuck>,
    finished: bool,
    fault: Option<FaultReport>,
    stopped: Stop,
}

pub fn main(args: Args) -> Result<ExitCode, Error> {
    let (l, cfg) = args.target.load()?;
    let replay = args.schedule.as_deref().map(load::schedule_file).transpose()?;
    let limit = match (args.steps, &replay) {
        (Some(k), _) => k,
        (None, Some(r)) => r.len(),
        (None, None) => DEFAULT_STEPS,
    };
    if limit > MAX_STEPS {
        return Err(Error::Input(format!("a run is at most {MAX_STEPS} steps long; {limit} asked")));
    }
    let seed = if replay.is_some() { None } else { Some(args.seed.unwrap_or(0)) };
    let p = l.prog.clone();
    let scenario = p.scenarios[cfg.scenario].name.as_str();
    let options = load::options_json(&p, &cfg);
    let options_text = load::options_text(&p, &cfg);
    let ncpu = cfg.ncpu;
    let machine = Machine::new(p.clone(), cfg).map_err(|e| Error::Input(e.into()))?;
    let mut session = Session::new(machine);

    let mut out = BufWriter::new(crate::stdout());
    if !args.json {
        let how = match (seed, &args.schedule) {
            (Some(s), _) => format!("seed {s}"),
            (None, Some(f)) => format!("schedule {}", f.display()),
            (None, None) => String::new(),
        };
        writeln!(out, "{} · {ncpu} CPUs · scenario {scenario} · {how}", l.name)?;
        if !options_text.is_empty() {
            writeln!(out, "options: {options_text}")?;
        }
    }

    let mut fault: Option<(usize, Choice, Fault)> = None;
    let stop = loop {
        if session.steps() >= limit {
            break if replay.as_ref().is_some_and(|r| session.steps() >= r.len()) {
                Stop::ScheduleEnd
            } else {
                Stop::StepLimit
            };
        }
        let n = session.steps() + 1;
        let choice = match &replay {
            Some(r) => match r.get(session.steps()) {
                Some(&c) => c,
                None => break Stop::ScheduleEnd,
            },
            None => {
                // What `Session::step_seeded` does, keeping the choice for messages.
                let en = session.enabled();
                if en.is_empty() {
                    break Stop::NothingEnabled;
                }
                en[schedule::pick(seed.unwrap_or(0), session.steps() as u64, en.len())]
            }
        };
        if let Err(f) = session.step(choice) {
            fault = Some((n, choice, f));
            break Stop::Fault;
        }
        if let Some(e) = session.log().last() {
            if !args.json {
                let at = if e.line > 0 { format!("L{}", e.line) } else { "-".to_string() };
                writeln!(out, "{n:>4}  CPU {:<2} {at:<5} {}", e.cpu, e.summary(session.machine()))?;
            }
            if e.violation.is_some() {
                break Stop::Violation;
            }
        }
    };
    // However the run stopped, say whether it sits in a dead end (a replay may end in one).
    let stuck = session.stuck();
    let finished = session.state().cpus.iter().all(|c| c.thread_done && c.stack.is_empty());
    let violation = session.first_violation().map(|(step, v)| ViolationReport {
        property: v.property,
        cpu: v.cpu,
        step,
        message: &v.message,
    });
    let schedule_text = schedule::format(&session.schedule());
    let fault_report = fault.as_ref().map(|(step, c, f)| FaultReport {
        cpu: f.cpu,
        line: f.line,
        step: *step,
        choice: c.to_string(),
        message: f.error.to_string(),
    });
    let code = if fault.is_some() {
        BAD_INPUT
    } else if violation.is_some() || stuck.is_some() {
        FOUND
    } else {
        0
    };

    if args.json {
        let report = Report {
            model: &l.name,
            title: &p.title,
            cpus: ncpu,
            scenario,
            options,
            seed,
            steps: session.steps(),
            schedule: schedule_text,
            violation,
            deadlock: stuck.is_some(),
            stuck: stuck.as_ref(),
            finished,
            fault: fault_report,
            stopped: stop,
        };
        serde_json::to_writer_pretty(&mut out, &report).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        let steps = session.steps();
        if let Some(v) = &violation {
            writeln!(out, "VIOLATION {} at step {} (CPU {}): {}", v.property, v.step, v.cpu, v.message)?;
        }
        if let Some(s) = &stuck {
            let label = if s.property == Property::Deadlock { "DEADLOCK" } else { "STUCK" };
            writeln!(out, "{label} {} after step {steps}: {}", s.property, s.message)?;
        }
        let result = match stop {
            _ if violation.is_some() => {
                format!("violation of {} after {steps} steps", violation.as_ref().map_or("", |v| v.property.code()))
            }
            _ if stuck.is_some() => {
                format!("stuck ({}) after {steps} steps", stuck.as_ref().map_or("", |s| s.property.code()))
            }
            Stop::Fault => format!("model error at step {}", steps + 1),
            _ if finished => format!("ok: every thread finished after {steps} steps, no violation"),
            Stop::StepLimit => format!("no violation in {steps} steps (the step limit; raise it with --steps)"),
            Stop::ScheduleEnd => {
                format!("no violation in {steps} steps; the schedule ended before the threads finished")
            }
            _ => format!("no violation in {steps} steps; nothing left to run"),
        };
        writeln!(out, "result: {result}")?;
        if code == FOUND {
            writeln!(out, "schedule: {schedule_text}")?;
        }
    }
    out.flush()?;
    drop(out);
    if let Some((step, c, f)) = &fault {
        let msg = if f.line > 0 {
            format!("{}:{}: CPU {}: {} (step {step}, choice {c})", l.name, f.line, f.cpu, f.error)
        } else if replay.is_some() {
            format!("{}: schedule step {step} (`{c}`): {}", l.name, f.error)
        } else {
            format!("{}: step {step}: {f}", l.name)
        };
        crate::warn(&format!("sdlab: error: {msg}"));
    }
    Ok(ExitCode::from(code))
}
