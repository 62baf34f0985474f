//! `sdlab check`: explore every interleaving and report the shortest schedule that breaks
//! a property, or that none does.

use crate::{load, Error, BAD_INPUT, FOUND};
use sdlab_engine::checker::{Checker, Mode, Options, Outcome, Progress};
use sdlab_engine::Property;
use sdlab_engine::{schedule, Machine, Session};
use serde::Serialize;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Find the shortest race: breadth-first search over all interleavings.
///
/// Exit status: 0 verified, 1 violation found, 2 bad input, model error or limit hit.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: load::Target,
    /// Stop after this many distinct states.
    #[arg(long, value_name = "N", default_value_t = 5_000_000)]
    max_states: usize,
    /// Depth-first search instead of breadth-first (a counterexample, not necessarily
    /// the shortest; less memory for the frontier).
    #[arg(long)]
    dfs: bool,
    /// Partial-order reduction (with --dfs): explore one private step where it stands
    /// for all interleavings.
    #[arg(long, requires = "dfs")]
    por: bool,
    /// Skip the search for waiters that are never released (fair non-progress cycles).
    #[arg(long)]
    no_liveness: bool,
    /// Keep every state even where CPUs are interchangeable (by default the breadth-first
    /// search keeps one state per orbit of CPU renamings when the model allows it).
    #[arg(long)]
    no_symmetry: bool,
    /// Threads for the breadth-first search (default: one per core). The states,
    /// counts and counterexample are the same for every count.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: Option<u16>,
    /// At most N preemptions on a path (a context switch away from a thread that could
    /// still run), in a scenario with threads: iterative context bounding. The verdict
    /// says which bound it holds for. Default: any number. A model without threads never
    /// switches, so the bound changes nothing there.
    #[arg(long, value_name = "N")]
    preemptions: Option<u8>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Progress on standard error while the search runs: `auto` (a line that rewrites
    /// itself, when standard error is a terminal), `json` (one JSON object per line, about
    /// twice a second, for scripts), `off`.
    #[arg(long, value_enum, value_name = "HOW", default_value_t = ProgressKind::Auto)]
    progress: ProgressKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ProgressKind {
    Auto,
    Json,
    Off,
}

/// Resident memory of this process in bytes, where the system says (Linux).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().strip_suffix("kB")?.trim();
    kb.parse::<u64>().ok().map(|k| k * 1024)
}

fn megabytes(b: Option<u64>) -> String {
    b.map_or(String::new(), |b| format!(", {} MB", b / (1 << 20)))
}

/// Set by Ctrl-C: the search stops at its next chunk and reports what it explored.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

#[derive(Serialize)]
struct Report<'a> {
    model: &'a str,
    cpus: u32,
    scenario: &'a str,
    options: load::OptionValues,
    verdict: &'static str,
    property: Option<Property>,
    message: Option<&'a str>,
    states: u64,
    transitions: u64,
    depth: u32,
    seconds: f64,
    states_per_sec: f64,
    /// Steps in the counterexample.
    length: Option<usize>,
    /// The schedule, replayable with `sdlab run --schedule FILE`.
    counterexample: Option<String>,
    /// For a lasso: the step after which the cycle starts.
    cycle_start: Option<usize>,
    search: &'static str,
    reductions: &'a str,
    /// Threads of the breadth-first search (the result does not depend on it).
    threads: usize,
    /// The preemption bound the verdict holds for (a scenario with threads; `null`: any
    /// number, or no threads).
    preemptions: Option<u8>,
    /// What the verdict covers, in words ("with up to 2 preemptions"); `null` without threads.
    scheduler: Option<&'a str>,
}

pub fn main(args: Args) -> Result<ExitCode, Error> {
    let (l, cfg) = args.target.load()?;
    let p = l.prog.clone();
    let scenario = p.scenarios[cfg.scenario].name.clone();
    let options = load::options_json(&p, &cfg);
    let options_text = load::options_text(&p, &cfg);
    let ncpu = cfg.ncpu;
    let machine = Machine::new(p.clone(), cfg).map_err(|e| Error::Input(e.into()))?;
    let opts = Options {
        max_states: args.max_states,
        mode: if args.dfs { Mode::Dfs } else { Mode::Bfs },
        por: args.por,
        liveness: !args.no_liveness,
        symmetry: !args.no_symmetry,
        preemptions: args.preemptions,
        threads: args
            .threads
            .map(usize::from)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8))),
        ..Options::default()
    };
    let search = match (args.dfs, args.por) {
        (false, _) => "breadth-first (shortest counterexamples)",
        (true, false) => "depth-first",
        (true, true) => "depth-first with partial-order reduction",
    };
    let threads = if args.dfs { 1 } else { opts.threads };
    let mut checker = Checker::new(machine.clone(), opts);
    let reductions = checker.reductions().to_string();
    let scheduler = checker.preemption_words();
    let t0 = Instant::now();
    let live = args.progress == ProgressKind::Auto && io::stderr().is_terminal();
    let json_progress = args.progress == ProgressKind::Json;
    // Without a handler Ctrl-C kills the process and the minutes spent are lost; a
    // handler that cannot be installed (one is already set) only costs that report.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let mut last_report = t0;
    let mut interrupted = false;
    while !checker.run(100_000) {
        if INTERRUPTED.load(Ordering::SeqCst) {
            interrupted = true;
            break;
        }
        if (live || json_progress) && last_report.elapsed() >= Duration::from_millis(500) {
            last_report = Instant::now();
            let pr = checker.progress();
            let secs = t0.elapsed().as_secs_f64();
            let rate = pr.states as f64 / secs.max(1e-9);
            let rss = resident_bytes();
            // Not eprint!: it panics when stderr is a closed pipe.
            let _ = if json_progress {
                writeln!(
                    io::stderr(),
                    "{}",
                    serde_json::json!({
                        "states": pr.states, "transitions": pr.transitions, "depth": pr.depth,
                        "frontier": pr.frontier, "seconds": secs, "states_per_sec": rate,
                        "resident_bytes": rss,
                    })
                )
            } else {
                write!(
                    io::stderr(),
                    "\r{} states, depth {}, {:.0} states/s{}   ",
                    pr.states,
                    pr.depth,
                    rate,
                    megabytes(rss)
                )
            };
        }
    }
    if live {
        let _ = write!(io::stderr(), "\r\x1b[K");
    }
    if interrupted {
        let pr = checker.progress();
        let secs = t0.elapsed().as_secs_f64();
        let mut out = BufWriter::new(crate::stdout());
        if args.json {
            let v = serde_json::json!({
                "model": l.name, "cpus": ncpu, "scenario": scenario, "verdict": "interrupted",
                "states": pr.states, "transitions": pr.transitions, "depth": pr.depth,
                "seconds": secs, "states_per_sec": pr.states as f64 / secs.max(1e-9),
                "search": search, "reductions": reductions, "threads": threads,
            });
            writeln!(out, "{v}")?;
        } else {
            let proved = if args.dfs {
                String::new()
            } else {
                format!("; every state within {} steps was explored", pr.depth.saturating_sub(1))
            };
            writeln!(
                out,
                "Interrupted: {} states ({} transitions) explored to depth {} in {secs:.2} s{}, no violation among them{proved}; nothing else was proved",
                pr.states,
                pr.transitions,
                pr.depth,
                megabytes(resident_bytes()),
            )?;
        }
        out.flush()?;
        // 128 + SIGINT, as a shell reports a command stopped by Ctrl-C.
        return Ok(ExitCode::from(130));
    }
    let seconds = t0.elapsed().as_secs_f64();
    let progress: Progress = checker.progress().clone();
    let outcome = checker.outcome().cloned().unwrap_or(Outcome::Verified);
    let (verdict, property, message, code) = match &outcome {
        Outcome::Verified => ("verified", None, None, 0),
        Outcome::Violation { property, message, .. } => ("violation", Some(*property), Some(message.as_str()), FOUND),
        Outcome::Fault { message, .. } => ("fault", None, Some(message.as_str()), BAD_INPUT),
        Outcome::Limit { reason } => ("limit", None, Some(reason.as_str()), BAD_INPUT),
    };
    let choices = outcome.choices();
    let cycle_start = match &outcome {
        Outcome::Violation { cycle_start, .. } => *cycle_start,
        _ => None,
    };
    let cex = (!choices.is_empty() || verdict == "violation").then(|| schedule::format(choices));
    let mut out = BufWriter::new(crate::stdout());
    if args.json {
        let r = Report {
            model: &l.name,
            cpus: ncpu,
            scenario: &scenario,
            options,
            verdict,
            property,
            message,
            states: progress.states,
            transitions: progress.transitions,
            depth: progress.depth,
            seconds,
            states_per_sec: progress.states as f64 / seconds.max(1e-9),
            length: cex.as_ref().map(|_| choices.len()),
            counterexample: cex,
            cycle_start,
            search,
            reductions: &reductions,
            threads,
            preemptions: scheduler.as_ref().and(args.preemptions),
            scheduler: scheduler.as_deref(),
        };
        serde_json::to_writer(&mut out, &r).map_err(|e| Error::Io(e.into()))?;
        writeln!(out)?;
    } else {
        writeln!(out, "{} · {ncpu} CPUs · scenario {scenario}", l.name)?;
        if !options_text.is_empty() {
            writeln!(out, "options: {options_text}")?;
        }
        match &outcome {
            Outcome::Verified => writeln!(
                out,
                "Verified{}: no violation in {} states ({} transitions, depth {}); exhaustive {search}, reductions: {reductions}; {seconds:.2} s on {threads} thread{}",
                scheduler.as_ref().map(|w| format!(" {w}")).unwrap_or_default(),
                progress.states,
                progress.transitions,
                progress.depth,
                if threads == 1 { "" } else { "s" }
            )?,
            Outcome::Limit { reason } => writeln!(out, "Limit: {reason} ({} states in {seconds:.2} s); nothing was proved", progress.states)?,
            Outcome::Violation { .. } | Outcome::Fault { .. } => {
                let what = property.map_or("model error".to_string(), |p| format!("violation {p}"));
                let bound = scheduler.as_ref().map(|w| format!(", {w}")).unwrap_or_default();
                writeln!(
                    out,
                    "Found {what} in {} steps ({} states explored in {seconds:.2} s{bound}):",
                    choices.len(),
                    progress.states
                )?;
                let mut s = Session::new(machine);
                for (i, &c) in choices.iter().enumerate() {
                    match s.step(c) {
                        Ok(e) => {
                            let at = if e.line > 0 { format!("L{}", e.line) } else { "-".to_string() };
                            let e = e.clone();
                            writeln!(out, "{:>4}  CPU {:<2} {at:<5} {}", i + 1, e.cpu, e.summary(s.machine()))?;
                        }
                        Err(f) => writeln!(out, "{:>4}  {f}", i + 1)?,
                    }
                }
                if let Some(k) = cycle_start {
                    writeln!(out, "(steps {}..{} form a cycle that repeats forever)", k + 1, choices.len())?;
                }
                writeln!(out, "{}", message.unwrap_or(""))?;
                writeln!(out, "schedule: {}", schedule::format(choices))?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::from(code))
}
