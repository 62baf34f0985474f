//! `sdlab bench-trace`: parse throughput of `sdlab_trace::parse` and the memory a large
//! trace takes. `cargo xtask bench trace` runs it in release mode against the Python
//! regex parser (bench/trace_regex.py) and records the JSON lines.

use crate::Error;
use sdlab_trace::replay::reconstruct;
use sdlab_trace::{parse, Event, Reader};
use serde::Serialize;
use std::hint::black_box;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Benchmark the trace parser: MB/s and peak memory on one file.
///
/// Times `sdlab_trace::parse` on the file read into memory first (best of --runs), or with
/// --stream reads it in 1 MiB chunks as the app does and reports the peak memory.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The trace file.
    file: PathBuf,
    /// Parse this many times and report the fastest.
    #[arg(long, value_name = "N", default_value_t = 3)]
    runs: u32,
    /// Stream the file (as the app does) once and report the peak resident memory
    /// (VmHWM) instead of timing the in-memory parse.
    #[arg(long)]
    stream: bool,
    /// Print one JSON line instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    mode: &'static str,
    bytes: u64,
    events: u64,
    /// Best parse time (in-memory mode) or the streamed parse time.
    seconds: f64,
    /// 10^6 bytes per second.
    mb_per_sec: f64,
    /// Reconstruction (rounds, arrows, index) of the parsed trace.
    replay_seconds: f64,
    /// Peak resident set of this process, from /proc/self/status VmHWM.
    peak_rss_mb: f64,
    /// Shootdown rounds reconstructed, and how many completed.
    rounds: usize,
    rounds_complete: usize,
    event_bytes: usize,
    /// Events per input byte: memory planning for the app (events × event_bytes).
    events_per_byte: f64,
    warnings: u64,
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

pub fn main(args: Args) -> Result<ExitCode, Error> {
    let shown = args.file.display();
    let cannot = |e: io::Error| Error::Input(format!("cannot read `{shown}`: {e}"));
    let bad = |e: sdlab_trace::ReadError| Error::Input(format!("{shown}:{}: not a trace: {}", e.line, e.reason));
    let (trace, seconds, bytes) = if args.stream {
        let mut f = std::fs::File::open(&args.file).map_err(cannot)?;
        let t0 = Instant::now();
        let mut reader = Reader::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => reader.feed(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(cannot(e)),
            }
        }
        let bytes = reader.bytes_fed();
        let trace = reader.finish().map_err(bad)?;
        (trace, t0.elapsed().as_secs_f64(), bytes)
    } else {
        let data = std::fs::read(&args.file).map_err(cannot)?;
        let mut best = f64::INFINITY;
        let mut last = None;
        for _ in 0..args.runs.max(1) {
            drop(last.take());
            let t0 = Instant::now();
            let t = parse(black_box(&data)).map_err(bad)?;
            best = best.min(t0.elapsed().as_secs_f64());
            last = Some(t);
        }
        (last.expect("at least one run"), best, data.len() as u64)
    };
    let t0 = Instant::now();
    let replay = reconstruct(&trace);
    let replay_seconds = t0.elapsed().as_secs_f64();
    let replay = black_box(replay);
    let events = trace.events.len() as u64;
    let report = Report {
        mode: if args.stream { "stream" } else { "in-memory" },
        bytes,
        events,
        seconds,
        mb_per_sec: if seconds > 0.0 { bytes as f64 / 1e6 / seconds } else { 0.0 },
        replay_seconds,
        peak_rss_mb: peak_rss_mb(),
        rounds: replay.rounds.len(),
        rounds_complete: replay.rounds.iter().filter(|r| r.end.is_some()).count(),
        event_bytes: std::mem::size_of::<Event>(),
        events_per_byte: if bytes > 0 { events as f64 / bytes as f64 } else { 0.0 },
        warnings: trace.warning_count,
    };
    let mut out = crate::stdout();
    if args.json {
        serde_json::to_writer(&mut out, &report).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{shown}: {} bytes, {} events, parse {:.3} s = {:.0} MB/s ({}), replay {:.3} s, peak RSS {:.0} MB",
            report.bytes,
            report.events,
            report.seconds,
            report.mb_per_sec,
            report.mode,
            report.replay_seconds,
            report.peak_rss_mb
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
