//! `sdlab fuzz-trace`: a deterministic mutation fuzzer for the trace readers. `cargo xtask
//! fuzz` builds it with debug assertions (so arithmetic overflow panics too) and runs it
//! for a bounded time.
//!
//! Seeds are windows of the bundled traces plus their ktrdump exports (so the FreeBSD and
//! DragonFly readers get well-formed input to mutate). Each iteration's input depends only
//! on (seed, iteration), so `--seed S --skip I` replays one. An input goes through
//! `sdlab_trace::parse`, a chunked `Reader` (random chunk sizes, which must give the same
//! trace), the reconstruction, scrubbing and every exporter. A panic or a chunking
//! difference saves the input under --out and is reported.
//!
//! Panics are caught with `catch_unwind`, which catches nothing under `panic = "abort"`
//! (the workspace's release profile): such a build refuses to fuzz. And because an abort or
//! a stack overflow still ends the process, each input is written to --out as
//! `inflight-seed{S}-iter{I}.trace` before it runs and deleted once it passed, so a crash
//! leaves the input behind under a name that says how to replay it.

use crate::{Error, FOUND};
use sdlab_trace::replay::reconstruct;
use sdlab_trace::{export, parse, Reader, Trace};
use serde::Serialize;
use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Fuzz the trace readers, the replay and the exporters for a bounded time.
///
/// Exit status: 0 nothing found, 1 a panic or a chunking difference (inputs saved), 2 bad
/// arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files or directories of seed traces (directories are walked).
    #[arg(long = "corpus", value_name = "PATH", default_value = "traces")]
    corpus: Vec<PathBuf>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "N", default_value_t = 60)]
    seconds: u64,
    /// Stop after this many iterations (default: only the time bound).
    #[arg(long, value_name = "N")]
    iterations: Option<u64>,
    /// Seed of the mutation schedule.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Start at this iteration (replays a reported one with --iterations 1).
    #[arg(long, value_name = "N", default_value_t = 0)]
    skip: u64,
    /// Where inputs that fail are written.
    #[arg(long, value_name = "DIR", default_value = "target/fuzz")]
    out: PathBuf,
    /// Print one JSON line at the end instead of text.
    #[arg(long)]
    json: bool,
}

/// SplitMix64: the input of an iteration is a pure function of (seed, iteration). Shared
/// with `fuzz-model`.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Largest seed window: small inputs make many iterations per second.
const WINDOW: usize = 16 * 1024;
/// Mutated inputs are cut to this, so one iteration stays short.
const MAX_INPUT: usize = 256 * 1024;

fn walk(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let Ok(rd) = std::fs::read_dir(path) else { return };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for e in entries {
            walk(&e, out);
        }
    } else if path.is_file() {
        out.push(path.to_path_buf());
    }
}

/// Windows of every corpus file at line starts, and ktrdump exports of what parses.
fn seeds(paths: &[PathBuf]) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    for p in paths {
        walk(p, &mut files);
    }
    let mut seeds = Vec::new();
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else { continue };
        if bytes.is_empty() || f.extension().is_some_and(|x| x == "c" || x == "sh") {
            continue;
        }
        for start in [0, bytes.len() / 3, bytes.len() * 2 / 3] {
            let s = bytes[start..].iter().position(|&b| b == b'\n').map_or(start, |n| {
                if start == 0 {
                    0
                } else {
                    start + n + 1
                }
            });
            let e = (s + WINDOW).min(bytes.len());
            if s < e {
                seeds.push(bytes[s..e].to_vec());
            }
            if bytes.len() <= WINDOW {
                break;
            }
        }
        if let Ok(t) = parse(&bytes[..bytes.len().min(4 * WINDOW)]) {
            let mut small = t.clone();
            small.events.truncate(300);
            for w in [export::freebsd, export::dragonfly] {
                let mut out = Vec::new();
                if w(&small, &mut out).is_ok() {
                    seeds.push(out);
                }
            }
        }
    }
    seeds
}

const INTERESTING: &[&[u8]] = &[
    b"0",
    b"-1",
    b"18446744073709551616",
    b"99999999999999999999999",
    b"4294967296",
    b"65536",
    b"0x",
    b"ffffffffffffffffffff",
    b"00000000,00000000,0000000e",
    b"\n",
    b"\r\n",
    b" ",
    b":",
    b"[",
    b"]",
    b"(",
    b"-",
    b"\0",
    b"\xff\xfe",
    b"#",
    b"=>",
    b"TSC frequency is 0.000 MHz\n",
    b"index  cpu timestamp        trace\n",
    b"##### CPU 2 buffer started ####\n",
    b"CPU:1 [LOST 5 EVENTS]\n",
    b"cpus=4\n",
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(8) {
        let len = v.len();
        let at = rng.below(len + 1);
        match rng.below(9) {
            0 if len > 0 => v[at.min(len - 1)] ^= 1 << rng.below(8),
            1 if len > 0 => v[at.min(len - 1)] = rng.next() as u8,
            2 => {
                let s = INTERESTING[rng.below(INTERESTING.len())];
                v.splice(at..at, s.iter().copied());
            }
            3 => {
                let end = (at + rng.below(64)).min(len);
                v.drain(at..end);
            }
            4 => {
                // Replace a run of digits with an extreme number.
                if let Some(p) = v[at..].iter().position(u8::is_ascii_digit) {
                    let s = at + p;
                    let e = v[s..].iter().position(|b| !b.is_ascii_digit()).map_or(v.len(), |n| s + n);
                    let n = INTERESTING[rng.below(9)];
                    v.splice(s..e, n.iter().copied());
                }
            }
            5 => {
                // Duplicate a chunk (repeated headers, repeated lines).
                let end = (at + rng.below(512)).min(len);
                let chunk = v[at..end].to_vec();
                let to = rng.below(v.len() + 1);
                v.splice(to..to, chunk);
            }
            6 => {
                // Splice in part of another seed (a format switch in the middle).
                let other = &seeds[rng.below(seeds.len())];
                let s = rng.below(other.len());
                let e = (s + rng.below(2048)).min(other.len());
                v.splice(at..at, other[s..e].iter().copied());
            }
            7 => v.truncate(at),
            _ => {
                // Swap two lines' order (ktrdump newest-first vs oldest-first).
                let lines: Vec<&[u8]> = v.split_inclusive(|&b| b == b'\n').collect();
                if lines.len() > 2 {
                    let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                    let mut l = lines.clone();
                    l.swap(a, b);
                    v = l.concat();
                }
            }
        }
    }
    v.truncate(MAX_INPUT);
    v
}

fn chunked(input: &[u8], rng: &mut Rng) -> Result<Trace, sdlab_trace::ReadError> {
    let mut r = Reader::new();
    let mut at = 0;
    while at < input.len() {
        let max = if rng.below(4) == 0 { 8 } else { 4096 };
        let n = 1 + rng.below(max);
        let end = (at + n).min(input.len());
        r.feed(&input[at..end]);
        at = end;
    }
    r.finish()
}

/// Everything downstream of a parse, as the app would call it.
fn exercise(t: &Trace) {
    let r = reconstruct(t);
    let _ = r.stats(t);
    let n = t.events.len();
    for i in [0, n / 2, n.saturating_sub(1), n + 5] {
        let _ = r.state_at(t, i);
    }
    let _ = r.window(0, u64::MAX);
    let mut sink = io::sink();
    let _ = export::perfetto(t, &r, &mut sink);
    let _ = export::freebsd(t, &mut sink);
    let _ = export::dragonfly(t, &mut sink);
}

#[derive(Serialize)]
struct Report {
    seed: u64,
    seeds: usize,
    iterations: u64,
    seconds: f64,
    parsed: u64,
    panics: u64,
    chunk_mismatches: u64,
    saved: Vec<String>,
}

static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

pub fn main(args: Args) -> Result<ExitCode, Error> {
    if cfg!(panic = "abort") {
        return Err(Error::Input(
            "this sdlab was built with panic = \"abort\" (the release profile), so a finding would abort \
             without being caught; fuzz with a debug build: `cargo xtask fuzz` or `cargo run -p sdlab-cli -- \
             fuzz-trace …`"
                .into(),
        ));
    }
    let seeds = seeds(&args.corpus);
    if seeds.is_empty() {
        return Err(Error::Input(format!("no seed file under {:?}", args.corpus)));
    }
    // Panics are findings, reported once each with their input, not printed as they happen.
    panic::set_hook(Box::new(|info| {
        if let Ok(mut m) = LAST_PANIC.lock() {
            *m = info.to_string();
        }
    }));
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Error::Input(format!("cannot create the findings folder {}: {e}", args.out.display())))?;
    let limit = Duration::from_secs(args.seconds);
    let t0 = Instant::now();
    let mut rep = Report {
        seed: args.seed,
        seeds: seeds.len(),
        iterations: 0,
        seconds: 0.0,
        parsed: 0,
        panics: 0,
        chunk_mismatches: 0,
        saved: Vec::new(),
    };
    let mut i = args.skip;
    while t0.elapsed() < limit && args.iterations.is_none_or(|n| rep.iterations < n) {
        let mut rng = Rng(args.seed ^ i.wrapping_mul(0xa076_1d64_78bd_642f));
        let input = mutate(&mut rng, &seeds);
        let inflight = args.out.join(format!("inflight-seed{}-iter{i}.trace", args.seed));
        std::fs::write(&inflight, &input)
            .map_err(|e| Error::Input(format!("cannot save the input to {}: {e}", inflight.display())))?;
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            let whole = parse(&input);
            let parts = chunked(&input, &mut rng);
            let same = match (&whole, &parts) {
                (Ok(a), Ok(b)) => a.events == b.events && a.warning_count == b.warning_count,
                (Err(a), Err(b)) => a == b,
                _ => false,
            };
            if let Ok(t) = &whole {
                exercise(t);
            }
            (whole.is_ok(), same)
        }));
        let problem = match outcome {
            Ok((ok, same)) => {
                rep.parsed += u64::from(ok);
                (!same).then(|| {
                    rep.chunk_mismatches += 1;
                    "chunk".to_string()
                })
            }
            Err(_) => {
                rep.panics += 1;
                Some("panic".to_string())
            }
        };
        if let Some(kind) = problem {
            let path = args.out.join(format!("{kind}-seed{}-iter{i}.trace", args.seed));
            let msg = LAST_PANIC.lock().map(|m| m.clone()).unwrap_or_default();
            if std::fs::rename(&inflight, &path).is_err() {
                let _ = std::fs::write(&path, &input);
            }
            crate::warn(&format!(
                "fuzz: {kind} at iteration {i} (replay: --seed {} --skip {i} --iterations 1), input {}{}",
                args.seed,
                path.display(),
                if kind == "panic" { format!(": {msg}") } else { String::new() }
            ));
            if rep.saved.len() < 100 {
                rep.saved.push(path.display().to_string());
            }
        } else {
            let _ = std::fs::remove_file(&inflight);
        }
        rep.iterations += 1;
        i += 1;
    }
    let _ = panic::take_hook();
    rep.seconds = t0.elapsed().as_secs_f64();
    let mut out = crate::stdout();
    if args.json {
        serde_json::to_writer(&mut out, &rep).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "fuzz: {} iterations in {:.1} s from {} seeds (seed {}): {} parsed, {} panics, {} chunking differences",
            rep.iterations, rep.seconds, rep.seeds, rep.seed, rep.parsed, rep.panics, rep.chunk_mismatches
        )?;
    }
    out.flush()?;
    Ok(if rep.panics + rep.chunk_mismatches > 0 { ExitCode::from(FOUND) } else { ExitCode::SUCCESS })
}
