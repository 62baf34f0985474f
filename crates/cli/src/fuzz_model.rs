//! `sdlab fuzz-model`: a deterministic fuzzer for what users type, paste or link into the
//! model editor (issue #12). Run it from a debug build: overflow checks turn silent
//! wrap-arounds into panics, and the release profile aborts on a panic instead of
//! unwinding, so nothing could be caught there.
//!
//! Each iteration's input is a pure function of (seed, iteration), so `--seed S --skip I
//! --iterations 1` replays one. It is a mutation of a bundled model (byte flips, token
//! deletion and duplication, splicing, huge numbers, deep nesting, long chains, long
//! lines) or one of the hostile shapes the reviewers found. The input is compiled on a
//! thread whose stack is smaller than the page's wasm stack; when it compiles, a few
//! configurations are built, each walked by a seeded random schedule that also tries
//! choices that are not enabled or name nothing, steps back and forward (the state must
//! come back exactly, and through the checker's encoding), and checked with a small state
//! budget. Findings: a panic, a diagnostic output or a time beyond its bound, a back-step
//! or an encoding that does not restore the state. Each saves the input under --out,
//! named by its hash.

use crate::fuzz::Rng;
use crate::{load, Error, FOUND};
use sdlab_engine::checker::{Checker, Mode, Options};
use sdlab_engine::{compile, models, schedule, Choice, Config, Machine, Program, Session, State};
use serde::Serialize;
use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Fuzz the model compiler, the machine, the stepper and the checker for a bounded time.
///
/// Exit status: 0 nothing found, 1 findings (inputs saved), 2 bad arguments or a build
/// that cannot catch panics.
#[derive(clap::Args, Debug)]
pub struct Args {
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
    #[arg(long, value_name = "DIR", default_value = "target/fuzz-model")]
    out: PathBuf,
    /// Print one JSON line at the end instead of text.
    #[arg(long)]
    json: bool,
}

/// Stack of the thread inputs run on: the page's wasm stack is about 1 MB.
const STACK: usize = 1024 * 1024;
/// Mutated inputs are cut to this (a permalink carries about this much).
const MAX_INPUT: usize = 160 * 1024;
/// Rendered diagnostics of one input, as `sdlab check` prints them.
const MAX_DIAG_BYTES: usize = 64 * 1024;
/// Diagnostics of one input (the engine's cap, `diag::MAX_DIAGNOSTICS`).
const MAX_DIAGNOSTICS: usize = 50;
/// Time to compile one input, and to run everything on it (debug build).
const MAX_COMPILE: Duration = Duration::from_secs(2);
const MAX_INPUT_TIME: Duration = Duration::from_secs(10);
/// Steps of one random walk, and states of one check.
const WALK: usize = 120;
const CHECK_STATES: usize = 300;

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "31",
    "32",
    "33",
    "64",
    "255",
    "256",
    "65535",
    "65536",
    "4294967296",
    "2147483647",
    "-2147483648",
    "99999999999999999999999",
    "0x",
    "0xffffffff",
    "1_000",
];

const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ";",
    ",",
    "=",
    "..",
    "+",
    "-",
    "*",
    "/",
    "%",
    "<<",
    ">>",
    "&&",
    "||",
    "!",
    "~",
    "self",
    "NCPU",
    "local",
    "if",
    "else",
    "while",
    "for",
    "in",
    "break",
    "continue",
    "return",
    "assert",
    "proc",
    "shared",
    "percpu",
    "cpumask",
    "const",
    "option",
    "cpus",
    "vector",
    "handler",
    "nmi",
    "scenario",
    "race",
    "view",
    "map",
    "aspace",
    "frames",
    "cpu",
    "idle",
    "mark",
    "default",
    "true",
    "false",
    "\"",
    "/*",
    "*/",
    "///",
    "//",
    "#",
    "é",
    "\u{0}",
    "\t",
    "\n",
    "pause();",
    "eoi();",
    "fence(seq_cst);",
    "send_ipi(all_cpus(), V);",
    "bit(40)",
    "lowest(0)",
    "x[9999]",
    "a[0][0][0]",
];

/// A mutation of a bundled model, or one of the reviewers' hostile shapes.
fn input(rng: &mut Rng, seeds: &[&str]) -> String {
    if rng.below(5) == 0 {
        return hostile(rng);
    }
    let mut v: Vec<u8> = rng.pick(seeds).as_bytes().to_vec();
    // Half the inputs carry one mutation, so that many still compile and reach the machine.
    let n = if rng.below(2) == 0 { 1 } else { 1 + rng.below(6) };
    for _ in 0..n {
        mutate(rng, &mut v, seeds);
    }
    v.truncate(MAX_INPUT);
    String::from_utf8_lossy(&v).into_owned()
}

/// Byte range of a whitespace-delimited token around `at`.
fn token_at(v: &[u8], at: usize) -> (usize, usize) {
    let at = at.min(v.len());
    let s = v[..at].iter().rposition(u8::is_ascii_whitespace).map_or(0, |p| p + 1);
    let e = v[at..].iter().position(u8::is_ascii_whitespace).map_or(v.len(), |p| at + p);
    (s, e)
}

/// Byte ranges of the identifiers in `v`.
fn words(v: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < v.len() {
        if v[i].is_ascii_alphabetic() || v[i] == b'_' {
            let s = i;
            while i < v.len() && (v[i].is_ascii_alphanumeric() || v[i] == b'_') {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

fn mutate(rng: &mut Rng, v: &mut Vec<u8>, seeds: &[&str]) {
    let len = v.len();
    let at = rng.below(len + 1);
    match rng.below(15) {
        14 => {
            // A name repeated in its list (`g(a, a)`, `shared x, x`, `view ring q(a, a, b)`):
            // the compiler once indexed by distinct names and panicked on a repeated
            // parameter.
            let w = words(v);
            if !w.is_empty() {
                let (s, e) = *rng.pick(&w);
                let name: Vec<u8> = b", ".iter().chain(&v[s..e]).copied().collect();
                v.splice(e..e, name);
            }
        }
        12 | 13 => {
            // One name for another of the same text: the model often still compiles, and
            // means something its author did not write (a variable for a constant, a
            // vector for a CPU, a procedure called from a handler).
            let w = words(v);
            if w.len() > 1 {
                let (s, e) = *rng.pick(&w);
                let (s2, e2) = *rng.pick(&w);
                let name = v[s2..e2].to_vec();
                v.splice(s..e, name);
            }
        }
        0 if len > 0 => v[at.min(len - 1)] ^= 1 << rng.below(8),
        1 => {
            let (s, e) = token_at(v, at);
            v.drain(s..e);
        }
        2 => {
            let (s, e) = token_at(v, at);
            let tok = v[s..e].to_vec();
            for _ in 0..1 + rng.below(3) {
                v.splice(e..e, tok.iter().copied().chain([b' ']));
            }
        }
        3 => {
            let t = rng.pick(TOKENS);
            v.splice(at..at, format!(" {t} ").into_bytes());
        }
        4 => {
            // A number replaced by an extreme one.
            if let Some(p) = v[at..].iter().position(u8::is_ascii_digit) {
                let s = at + p;
                let e = v[s..].iter().position(|b| !b.is_ascii_digit()).map_or(v.len(), |n| s + n);
                v.splice(s..e, rng.pick(NUMBERS).bytes());
            }
        }
        5 => {
            // Splice in part of another model.
            let other = rng.pick(seeds).as_bytes();
            let s = rng.below(other.len());
            let e = (s + rng.below(4096)).min(other.len());
            v.splice(at..at, other[s..e].iter().copied());
        }
        6 => {
            // Deep nesting of an expression or of statements.
            if let Some(p) = v[at..].iter().position(u8::is_ascii_digit) {
                let n = [10, 60, 130, 1000, 20_000][rng.below(5)];
                let s = at + p;
                let (open, close) = match rng.below(3) {
                    0 => ("(", ")"),
                    1 => ("-", ""),
                    _ => ("~(", ")"),
                };
                v.splice(s + 1..s + 1, close.repeat(n).into_bytes());
                v.splice(s..s, open.repeat(n).into_bytes());
            } else {
                let n = [10, 70, 5000][rng.below(3)];
                v.splice(at..at, "if (1) ".repeat(n).into_bytes());
            }
        }
        7 => {
            // A long operator chain in place of a number.
            if let Some(p) = v[at..].iter().position(u8::is_ascii_digit) {
                let n = [50, 127, 129, 3000, 30_000][rng.below(5)];
                let op = rng.pick(&[" + ", " * ", " || ", " << ", " == "]);
                let s = at + p;
                let chain = vec!["1"; n].join(op);
                v.splice(s..s + 1, chain.into_bytes());
            }
        }
        8 => {
            // Everything from here on one long line.
            let end = (at + rng.below(len.max(1))).min(len);
            for b in &mut v[at..end] {
                if *b == b'\n' {
                    *b = b' ';
                }
            }
        }
        9 => {
            // Duplicate a chunk (repeated declarations, repeated statements).
            let end = (at + rng.below(2048)).min(len);
            let chunk = v[at..end].to_vec();
            let to = rng.below(v.len() + 1);
            v.splice(to..to, chunk);
        }
        10 => v.truncate(at),
        _ => {
            // A run of junk.
            let t = rng.pick(&["}", ";", ")", "@", "{", "]", "="]);
            v.splice(at..at, t.repeat(1 + rng.below(20_000)).into_bytes());
        }
    }
}

/// The shapes reviewers found, with random sizes.
fn hostile(rng: &mut Rng) -> String {
    let head = "model \"h\";\n";
    let tail = "proc f() { }\nscenario s { cpu 0: f(); cpu *: idle; }\n";
    let n = *rng.pick(NUMBERS);
    let m = *rng.pick(NUMBERS);
    match rng.below(10) {
        0 => format!("{head}shared x[{n}][{m}] = 0;\nshared y = 1;\nproc f() {{ x[0][0] = 5; local a = y; }}\nscenario s {{ cpu 0: f(); }}\n"),
        1 => {
            let chain = vec!["1"; 1 + rng.below(40_000)].join(" + ");
            format!("{head}proc f() {{ local a = {chain}; }}\nscenario s {{ cpu 0: f(); }}\n")
        }
        2 => format!("{head}{}\n{tail}", rng.pick(&["}", ";", "{", ")"]).repeat(1 + rng.below(70_000))),
        3 => format!(
            "{head}proc f() {{\n  local a = {n};\n  assert(a == {m});\n}}\nscenario s {{ cpu 0: f(); cpu *: idle; }}\n"
        ),
        4 => format!("{head}cpus {n}..{m};\noption hw_nmi = {n};\noption hw_ipi_loss = {m};\nnmi {{ }}\n{tail}race r \"t\" {{ kind mutation; cite \"c\"; cpus {m}; set hw_nmi = {m}; expect assert; }}\n"),
        5 => {
            let k = [10, 1000, 2000, 40_000][rng.below(4)];
            let locals: String = (0..k).map(|i| format!("local v{i} = {i};\n")).collect();
            format!("{head}shared depth = 0;\nproc r() {{\n{locals}local d = fetch_add(depth, 1);\nif (d < {n}) {{ r(); }}\n}}\nscenario s {{ cpu 0: r(); cpu *: idle; }}\n")
        }
        6 => format!("{head}shared q[2][2][2];\npercpu p[{n}][{m}];\nproc f() {{ q[1][1][1] = 1; p[0][0] = 1; }}\nscenario s {{ cpu 0: f(); }}\n"),
        7 => {
            let line = "shared a; ".repeat(1 + rng.below(16_000));
            format!("{head}{line}\n{tail}")
        }
        8 => {
            let args = vec![n; 1 + rng.below(300)].join(", ");
            format!("{head}proc g(a) {{ }}\nproc f() {{ g({args}); ktr(t, {args}); local b = min({args}); }}\nscenario s {{ cpu 0: f({args}); }}\n")
        }
        _ => format!(
            "{head}vector V = {n};\nhandler V {{ eoi(); }}\nmap k {m};\naspace k;\nframes {n};\nproc f() {{ send_ipi(bit({m}), V); local x = pte_read(k, {m}); free_page({n}); }}\nscenario s {{ cpu 0: f() in k; cpu *: idle; }}\n"
        ),
    }
}

/// What one input did, and what went wrong with it.
#[derive(Default)]
struct Outcome {
    compiled: bool,
    machines: u64,
    steps: u64,
    problems: Vec<(&'static str, String)>,
}

fn run_input(text: &str, rng: &mut Rng) -> Outcome {
    let mut o = Outcome::default();
    let t = Instant::now();
    let (prog, diags) = compile(text);
    let took = t.elapsed();
    if took > MAX_COMPILE {
        o.problems.push(("slow", format!("compiling took {took:.1?}")));
    }
    let rendered: usize = diags.iter().map(|d| load::render("model.sdm", text, d).len() + 1).sum();
    if rendered > MAX_DIAG_BYTES {
        o.problems.push(("output", format!("{} diagnostics, {rendered} bytes rendered", diags.len())));
    }
    if diags.len() > MAX_DIAGNOSTICS {
        o.problems.push(("output", format!("{} diagnostics", diags.len())));
    }
    let Some(prog) = prog else { return o };
    o.compiled = true;
    let prog = Arc::new(prog);
    for cfg in configs(&prog, rng) {
        let Ok(m) = Machine::new(prog.clone(), cfg) else { continue };
        o.machines += 1;
        walk(&m, rng, &mut o);
        let mode = if rng.below(2) == 0 { Mode::Bfs } else { Mode::Dfs };
        let opts =
            Options { max_states: CHECK_STATES, max_depth: 200, mode, por: rng.below(2) == 0, ..Options::default() };
        let _ = Checker::new(m, opts).check();
    }
    if t.elapsed() > MAX_INPUT_TIME {
        o.problems.push(("slow", format!("the input took {:.1?}", t.elapsed())));
    }
    o
}

/// The default configuration and two random ones (CPU count, scenario, options set from
/// text, in range or not: a refused value is fine, a panic is not).
fn configs(p: &Program, rng: &mut Rng) -> Vec<Config> {
    let mut out = vec![Config::new(p)];
    for _ in 0..2 {
        let mut c = Config::new(p);
        let (lo, hi, _) = p.cpus;
        c.ncpu = [lo, hi, 1 + rng.below(40) as u32][rng.below(3)];
        c.scenario = rng.below(p.scenarios.len() + 1);
        for o in &p.options {
            if rng.below(3) == 0 {
                let v = rng.pick(&["true", "false", "0", "1", "-5", "255", "256", "99999", "2147483648", "x"]);
                let _ = c.set(p, &o.name, v);
            }
        }
        if rng.below(10) == 0 {
            c.options.pop();
        }
        out.push(c);
    }
    out
}

/// A random choice, usually enabled, sometimes naming a CPU, vector, slot or broadcast
/// that does not exist.
fn choice(rng: &mut Rng, enabled: &[Choice], ncpu: usize) -> Choice {
    if !enabled.is_empty() && rng.below(5) != 0 {
        return *rng.pick(enabled);
    }
    let c = rng.below(ncpu + 3) as u8;
    let k = rng.below(40) as u8;
    match rng.below(7) {
        0 => Choice::Step(c),
        1 => Choice::Irq(c, k),
        2 => Choice::Fill(c, rng.below(70_000) as u16),
        3 => Choice::Nmi(c),
        4 => Choice::Drain(c),
        5 => Choice::Bcast(c, k),
        _ => Choice::Lose(c, k),
    }
}

/// The walk's schedule as text, mutated, parsed and replayed: a schedule from a file or a
/// permalink may name anything.
fn replay_text(s: &mut Session, rng: &mut Rng) {
    let mut text = schedule::format(&s.schedule());
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(text.len() + 1);
        let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let piece = rng.pick(&[
            " 99999999999999999999",
            " i1.65535",
            " f0.65536",
            " b0.255",
            " l0.31",
            " n300",
            "x",
            " 7",
            " ",
            ",",
        ]);
        text.insert_str(at, piece);
    }
    if let Ok(choices) = schedule::parse(&text) {
        let _ = s.replay(&choices);
    }
    for e in s.log() {
        let _ = e.summary(s.machine());
    }
}

fn walk(m: &Machine, rng: &mut Rng, o: &mut Outcome) {
    let ncpu = m.ncpu();
    let mut s = Session::new(m.clone());
    let mut words = Vec::new();
    let mut back = State::empty();
    for _ in 0..WALK {
        let en = s.enabled();
        for c in [rng.below(ncpu + 8), 7, 255] {
            let _ = (m.wait(s.state(), c), m.cursor(s.state(), c), m.spinning(s.state(), c));
        }
        let _ = s.stuck();
        let ch = choice(rng, &en, ncpu);
        let before = s.state().clone();
        if s.step(ch).is_err() {
            if s.state() != &before {
                o.problems.push(("restore", format!("refused choice {ch} changed the state")));
                return;
            }
            if en.is_empty() {
                break;
            }
            continue;
        }
        o.steps += 1;
        let after = s.state().clone();
        after.encode(&mut words);
        if words.len() != after.encoded_len() || back.decode_from(&words) != words.len() || back != after {
            o.problems.push(("encoding", format!("the state after choice {ch} does not decode to itself")));
            return;
        }
        // The checker's in-place undo copies only what a choice of that CPU can change.
        let mut undone = after.clone();
        undone.restore(&before, usize::from(ch.cpu()));
        if undone != before {
            o.problems.push(("restore", format!("State::restore after choice {ch} missed a change")));
            return;
        }
        if rng.below(3) == 0 {
            s.back();
            if s.state() != &before {
                o.problems.push(("restore", format!("stepping back over {ch} did not restore the state")));
                return;
            }
            if s.step(ch).is_err() || s.state() != &after {
                o.problems.push(("restore", format!("choice {ch} taken again gave another state")));
                return;
            }
        }
    }
    replay_text(&mut s, rng);
}

/// The generator of iteration `i`: inputs depend on nothing else.
fn iteration_rng(seed: u64, i: u64) -> Rng {
    Rng(seed ^ i.wrapping_mul(0xa076_1d64_78bd_642f))
}

/// FNV-1a: a stable name for a saved input.
fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

#[derive(Serialize)]
struct Report {
    seed: u64,
    iterations: u64,
    seconds: f64,
    compiled: u64,
    machines: u64,
    steps: u64,
    findings: u64,
    saved: Vec<String>,
}

static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

pub fn main(args: Args) -> Result<ExitCode, Error> {
    if !cfg!(panic = "unwind") {
        return Err(Error::Input(
            "fuzz-model catches panics, and this build aborts on one (the release profile sets panic = \"abort\"); \
             run a debug build: cargo build -p sdlab-cli && target/debug/sdlab fuzz-model"
                .into(),
        ));
    }
    let seeds: Vec<&str> = models::BUNDLED.iter().map(|b| b.source).collect();
    panic::set_hook(Box::new(|info| {
        if let Ok(mut m) = LAST_PANIC.lock() {
            *m = info.to_string();
        }
    }));
    let _ = std::fs::create_dir_all(&args.out);
    // A stack overflow aborts the process. The iteration being run is always on disk (its
    // seed and number: the input is a function of them), and a run that finds one left
    // behind regenerates that input, saves it and reports it before anything else.
    let current = args.out.join("current");
    let mut died = 0;
    if let Some((seed, i)) = std::fs::read_to_string(&current).ok().and_then(|t| {
        let (a, b) = t.trim().split_once(' ')?;
        Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?))
    }) {
        let text = input(&mut iteration_rng(seed, i), &seeds);
        let path = args.out.join(format!("crash-{:016x}.sdm", hash(&text)));
        let _ = std::fs::write(&path, &text);
        let _ = std::fs::remove_file(&current);
        crate::warn(&format!(
            "fuzz-model: the previous run died (a stack overflow or an abort) at iteration {i} of seed {seed}; input {}",
            path.display()
        ));
        died = 1;
    }
    let limit = Duration::from_secs(args.seconds);
    let t0 = Instant::now();
    let mut rep = Report {
        seed: args.seed,
        iterations: 0,
        seconds: 0.0,
        compiled: 0,
        machines: 0,
        steps: 0,
        findings: 0,
        saved: vec![],
    };
    rep.findings += died;
    let mut i = args.skip;
    while t0.elapsed() < limit && args.iterations.is_none_or(|n| rep.iterations < n) {
        let mut rng = iteration_rng(args.seed, i);
        let text = input(&mut rng, &seeds);
        let _ = std::fs::write(&current, format!("{} {i}", args.seed));
        let job = text.clone();
        let outcome = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(move || panic::catch_unwind(AssertUnwindSafe(|| run_input(&job, &mut rng))))
            .map_err(|e| Error::Input(format!("cannot start a thread: {e}")))?
            .join()
            .unwrap_or_else(Err);
        let problems = match outcome {
            Ok(o) => {
                rep.compiled += u64::from(o.compiled);
                rep.machines += o.machines;
                rep.steps += o.steps;
                o.problems
            }
            Err(_) => vec![("panic", LAST_PANIC.lock().map(|m| m.clone()).unwrap_or_default())],
        };
        for (kind, what) in problems {
            rep.findings += 1;
            let path = args.out.join(format!("{kind}-{:016x}.sdm", hash(&text)));
            let _ = std::fs::write(&path, &text);
            crate::warn(&format!(
                "fuzz-model: {kind} at iteration {i} (replay: --seed {} --skip {i} --iterations 1), input {}: {}",
                args.seed,
                path.display(),
                what.chars().take(400).collect::<String>()
            ));
            if rep.saved.len() < 100 {
                rep.saved.push(path.display().to_string());
            }
        }
        rep.iterations += 1;
        i += 1;
    }
    let _ = std::fs::remove_file(&current);
    let _ = panic::take_hook();
    rep.seconds = t0.elapsed().as_secs_f64();
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &rep).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "fuzz-model: {} iterations in {:.1} s (seed {}): {} compiled, {} machines, {} steps, {} findings",
            rep.iterations, rep.seconds, rep.seed, rep.compiled, rep.machines, rep.steps, rep.findings
        )?;
    }
    out.flush()?;
    Ok(if rep.findings > 0 { ExitCode::from(FOUND) } else { ExitCode::SUCCESS })
}
