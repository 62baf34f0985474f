//! `sdlab trace conform`: replay each shootdown round of a kernel trace through the model
//! (sdlab_runtrace::conform) and say which rounds the model can produce, which it cannot
//! and why, and which the bound left undecided. Exit status: 0 every decided round
//! conforms, 1 a mismatch, 2 bad input.

use super::read;
use crate::Error;
use sdlab_engine::schedule;
use sdlab_runtrace::conform::{self, Options, Verdict};
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Check that the model can produce every shootdown round of a trace.
///
/// Linux ftrace rounds (csd evidence) are replayed one at a time through the Linux model,
/// the initiator as CPU 0 and the targets as CPUs 1.. in trace order; a ktrdump trace is
/// one window from the model's initial state. See docs/conformance.md.
#[derive(clap::Args, Debug)]
pub struct ConformArgs {
    /// The trace.
    file: PathBuf,
    /// Bundled model (default: linux for ftrace, freebsd-scoreboard for FreeBSD ktrdump,
    /// dragonfly for DragonFly ktrdump).
    #[arg(long, value_name = "M")]
    model: Option<String>,
    /// The model's scenario (default: unmap_touch for linux, the model's first otherwise,
    /// then every other scenario until one produces the round).
    #[arg(long, value_name = "S")]
    scenario: Option<String>,
    /// Check only this round (0-based, as listed).
    #[arg(long, value_name = "N")]
    round: Option<usize>,
    /// Product states per round before it is left undecided.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    max_states: usize,
    /// Seconds per round before it is left undecided.
    #[arg(long, value_name = "S", default_value_t = 30.0)]
    seconds: f64,
    /// Timestamps closer than this (trace units: ns for ftrace) do not order events.
    #[arg(long, value_name = "T", default_value_t = 0)]
    skew: u64,
    /// Print one JSON object: rounds, conforming, mismatches [{round, line, event,
    /// reason}], undecided, seconds, facts, and per-round results.
    #[arg(long)]
    json: bool,
}

/// The raw text of the line at `offset` (at most 512 bytes of it).
fn raw_line(f: &mut Option<File>, offset: u64) -> String {
    let Some(f) = f.as_mut() else { return String::new() };
    let mut buf = vec![0u8; 512];
    let n = f.seek(SeekFrom::Start(offset)).and_then(|_| f.read(&mut buf)).unwrap_or(0);
    let line = buf[..n].split(|&b| b == b'\n').next().unwrap_or(&[]);
    String::from_utf8_lossy(line).trim_end().to_string()
}

pub fn main(args: ConformArgs) -> Result<ExitCode, Error> {
    let trace = read(&args.file)?;
    let model = args.model.clone().unwrap_or_else(|| conform::default_model(trace.format).to_string());
    if sdlab_engine::models::find(&model).is_none() {
        return Err(Error::Input(format!("no bundled model `{model}` (see `sdlab models`)")));
    }
    if !(args.seconds > 0.0 && args.seconds.is_finite()) {
        return Err(Error::Input("--seconds must be a positive number".into()));
    }
    let rounds = conform::rounds(&trace, conform::max_cpus(&model));
    if let Some(r) = args.round {
        if r >= rounds.len() {
            return Err(Error::Input(format!(
                "--round {r}: the trace has {} rounds (0 to {})",
                rounds.len(),
                rounds.len().saturating_sub(1)
            )));
        }
    }
    let opts = Options { max_states: args.max_states, skew: args.skew };
    let mut raw = File::open(&args.file).ok();
    let started = Instant::now();
    let (mut conforming, mut undecided) = (0usize, 0usize);
    let mut mismatches = Vec::new();
    let mut results = Vec::new();
    let mut checked = 0usize;
    if let Some(sc) = &args.scenario {
        conform::machine_for(&model, Some(sc), conform::max_cpus(&model)).map_err(Error::Input)?;
    }
    let mut machines = conform::Machines::new(&model, args.scenario.as_deref());
    for (i, r) in rounds.iter().enumerate() {
        if args.round.is_some_and(|n| n != i) {
            continue;
        }
        checked += 1;
        let line_of = |idx: u32| trace.events.get(idx as usize).map_or((0, 0), |e| (e.line, e.offset));
        let start_line = line_of(r.start).0;
        let cpus: Vec<u16> = r.cpus.clone();
        let deadline = Instant::now() + Duration::from_secs_f64(args.seconds);
        let (o, scenario) = machines.check(&trace, r, &opts, &mut || Instant::now() < deadline);
        match o.verdict {
            Verdict::Conforms(m) => {
                conforming += 1;
                let matched: Vec<_> = m
                    .steps
                    .iter()
                    .map(|&(step, idx)| serde_json::json!({"step": step, "line": line_of(idx).0}))
                    .collect();
                results.push(serde_json::json!({"round": i, "line": start_line, "initiator": r.initiator, "cpus": cpus, "events": r.events(), "verdict": "conforms", "scenario": scenario, "states": o.states, "schedule": schedule::format(&m.schedule), "matched": matched}));
            }
            Verdict::Mismatch(mm) => {
                let (line, offset) = line_of(mm.event);
                let text = raw_line(&mut raw, offset);
                mismatches.push(serde_json::json!({"round": i, "line": line, "event": text, "reason": mm.reason, "prefix": mm.prefix}));
                let matched: Vec<_> = mm
                    .run
                    .steps
                    .iter()
                    .map(|&(step, idx)| serde_json::json!({"step": step, "line": line_of(idx).0}))
                    .collect();
                // The prefix's run replays with `sdlab run --schedule` to the point where the
                // kernel and the model part ways.
                results.push(serde_json::json!({"round": i, "line": start_line, "initiator": r.initiator, "cpus": cpus, "events": r.events(), "verdict": "mismatch", "scenario": scenario, "states": o.states, "mismatch_line": line, "event": text, "reason": mm.reason, "prefix": mm.prefix, "prefix_schedule": schedule::format(&mm.run.schedule), "matched": matched}));
            }
            Verdict::Undecided(why) => {
                undecided += 1;
                results.push(serde_json::json!({"round": i, "line": start_line, "initiator": r.initiator, "cpus": cpus, "events": r.events(), "verdict": "undecided", "reason": why, "states": o.states}));
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut out = BufWriter::new(crate::stdout());
    if args.json {
        let v = serde_json::json!({
            "file": args.file.display().to_string(), "format": trace.format.name(), "model": model,
            "rounds": checked, "conforming": conforming, "mismatches": mismatches, "undecided": undecided,
            "seconds": seconds, "rounds_per_second": if seconds > 0.0 { checked as f64 / seconds } else { 0.0 },
            "facts": conform::FACTS, "results": results,
        });
        serde_json::to_writer(&mut out, &v).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        let shown = args.file.display();
        writeln!(out, "{shown}: {} trace, model {model}: {checked} rounds, {conforming} conform, {} mismatch, {undecided} undecided ({seconds:.2} s)", trace.format.name(), mismatches.len())?;
        for m in mismatches.iter().take(20) {
            writeln!(
                out,
                "  round {}: {shown}:{}: {}\n    {}",
                m["round"],
                m["line"],
                m["reason"].as_str().unwrap_or(""),
                m["event"].as_str().unwrap_or("")
            )?;
        }
        if mismatches.len() > 20 {
            writeln!(out, "  … and {} more mismatches (--json lists all)", mismatches.len() - 20)?;
        }
        for r in results.iter().filter(|r| r["verdict"] == "undecided").take(5) {
            writeln!(out, "  round {} undecided: {}", r["round"], r["reason"].as_str().unwrap_or(""))?;
        }
        if !mismatches.is_empty() {
            writeln!(out, "facts relied on:")?;
            for f in conform::FACTS {
                writeln!(out, "  - {f}")?;
            }
        }
    }
    out.flush()?;
    Ok(if mismatches.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
