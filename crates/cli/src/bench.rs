//! `sdlab bench-steps`: throughput of the raw step API (`Machine::enabled` +
//! `Machine::step`), the loop every runner and the checker sit on. `cargo xtask bench`
//! runs it in release mode and records the JSON line.

use crate::{load, Error};
use sdlab_engine::Machine;
use serde::Serialize;
use std::hint::black_box;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Instant;

/// Benchmark the raw step API: random steps, restarting at each end, timed.
///
/// Builds the machine once, then loops enabled → seeded pick → step over one state,
/// restarting from the initial state whenever nothing is enabled, until --steps steps
/// have been taken in total.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A bundled model id or the path of a .sdm file.
    #[arg(long, value_name = "ID", default_value = "freebsd-scoreboard")]
    model: String,
    /// Number of CPUs.
    #[arg(long, value_name = "N", default_value_t = 4)]
    cpus: u32,
    /// Scenario name (default: `crossfire` when the model has it, else its first).
    #[arg(long, value_name = "S")]
    scenario: Option<String>,
    /// Set a model option, e.g. --set rescan=false; repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Total number of steps to take.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    steps: u64,
    /// Seed of the random schedule.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Print one JSON line instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    model: &'a str,
    cpus: u32,
    steps: u64,
    seconds: f64,
    steps_per_sec: f64,
    scenario: &'a str,
    seed: u64,
    /// Runs started (the first plus one per restart).
    runs: u64,
    /// Steps that broke a property (the loop goes on regardless).
    violations: u64,
}

pub fn main(args: Args) -> Result<ExitCode, Error> {
    let l = load::model(&args.model)?;
    let cfg = load::config(&l, Some(args.cpus), args.scenario.as_deref(), Some("crossfire"), &args.set)?;
    let scenario = l.prog.scenarios[cfg.scenario].name.clone();
    let machine = Machine::new(l.prog.clone(), cfg).map_err(|e| Error::Input(e.into()))?;
    let t0 = Instant::now();
    let walk = sdlab_engine::bench::random_steps(black_box(&machine), args.seed, args.steps);
    black_box(walk.checksum);
    if let Some((k, f)) = walk.fault {
        return Err(Error::Input(format!("model error at benchmark step {k}: {f}")));
    }
    let seconds = t0.elapsed().as_secs_f64();
    let steps_per_sec = if seconds > 0.0 { args.steps as f64 / seconds } else { 0.0 };
    let report = Report {
        model: &l.name,
        cpus: args.cpus,
        steps: args.steps,
        seconds,
        steps_per_sec,
        scenario: &scenario,
        seed: args.seed,
        runs: walk.runs,
        violations: walk.violations,
    };
    let mut out = crate::stdout();
    if args.json {
        serde_json::to_writer(&mut out, &report).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{} · {} · {} CPUs: {} steps in {:.3} s = {:.2} M steps/s ({} runs, seed {})",
            report.model,
            report.scenario,
            report.cpus,
            report.steps,
            report.seconds,
            report.steps_per_sec / 1e6,
            report.runs,
            report.seed
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
