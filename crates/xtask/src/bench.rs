//! `cargo xtask bench`: measures, then rewrites its own section of BENCHMARKS.md (between
//! `<!-- bench:NAME:begin -->` and `<!-- bench:NAME:end -->`), leaving the rest alone.

use crate::setup;
use crate::util::{output, root, sh};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const STEPS_NATIVE: &str = "20000000";
const STEPS_WASM: &str = "5000000";

/// `cargo xtask bench [steps] [checker] [trace] [conform] [page]`: the named sections, or all of them.
pub fn run(which: &[String]) -> Result<(), String> {
    let all = which.is_empty();
    if let Some(bad) = which.iter().find(|w| !["steps", "checker", "trace", "conform", "page"].contains(&w.as_str())) {
        return Err(format!("unknown benchmark `{bad}` (steps, checker, trace, conform, page)"));
    }
    // The trace section needs no browser: only the others set it up.
    if all || which.iter().any(|w| w != "trace") {
        setup::all(true)?;
    }
    if all || which.iter().any(|w| w == "steps") {
        let section = steps()?;
        write_section("steps", &section)?;
    }
    if all || which.iter().any(|w| w == "checker") {
        setup::spin()?;
        let section = checker()?;
        write_section("checker", &section)?;
    }
    if all || which.iter().any(|w| w == "trace") {
        let (section, native) = crate::bench_trace::section(&machine())?;
        write_section("trace", &section)?;
        let browser = crate::bench_trace::browser_section(&machine(), Some(native))?;
        write_section("trace-browser", &browser)?;
    }
    if all || which.iter().any(|w| w == "conform") {
        let section = crate::bench_conform::section(&machine())?;
        write_section("conform", &section)?;
    }
    if all || which.iter().any(|w| w == "page") {
        write_section("checker-browser", &crate::bench_page::section(&machine())?)?;
    }
    println!("BENCHMARKS.md updated");
    Ok(())
}

/// Three runs of a command that prints one JSON line with `steps_per_sec`: the best
/// one's line (throughput is limited from above by the machine, from below by whatever
/// else runs) and every run's `steps_per_sec`, slowest first, for the spread.
fn three(mut run: impl FnMut() -> Option<String>) -> Option<(String, Vec<f64>)> {
    let rate = |j: &str| field(j, "steps_per_sec").unwrap_or(0.0);
    let mut all: Vec<String> = (0..3).filter_map(|_| run()).collect();
    all.sort_by(|a, b| rate(a).total_cmp(&rate(b)));
    let rates = all.iter().map(|j| rate(j)).collect();
    all.pop().map(|best| (best, rates))
}

/// "min / median / max" of rates in millions, sorted ascending.
fn spread_m(rates: &[f64]) -> String {
    match rates {
        [] => "—".into(),
        r => format!("{:.2} / {:.2} / {:.2}", r[0] / 1e6, r[r.len() / 2] / 1e6, r[r.len() - 1] / 1e6),
    }
}

/// Value of a numeric field in a one-line JSON object (enough for our own output).
pub(crate) fn field(json: &str, key: &str) -> Option<f64> {
    let at = json.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = json[at..].trim_start();
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

pub(crate) fn last_json_line(out: &str) -> Option<String> {
    out.lines().rev().find(|l| l.trim_start().starts_with('{')).map(str::to_string)
}

fn steps() -> Result<String, String> {
    println!("bench: native engine steps/s ({STEPS_NATIVE} steps, opt-level 3)");
    crate::util::run(sh("cargo").args(["build", "--quiet", "--profile", "bench", "-p", "sdlab-cli"]))?;
    // Where this cargo build put it: CARGO_TARGET_DIR when set, or a stale binary is timed.
    let sdlab = crate::bench_trace::target_dir().join("release/sdlab");
    let load_native = load_average();
    let (native, native_rates) = three(|| {
        output(sh(&sdlab.to_string_lossy()).args(["bench-steps", "--cpus", "4", "--steps", STEPS_NATIVE, "--json"]))
            .and_then(|o| last_json_line(&o))
    })
    .ok_or("native bench-steps failed")?;
    println!("{native}");
    println!("bench: wasm engine steps/s in headless Chromium ({STEPS_WASM} steps)");
    crate::util::run(sh("trunk").args(["build", "--release"]))?;
    let load_wasm = load_average();
    let (wasm, wasm_rates) = three(|| {
        output(
            sh("node")
                .arg(root().join("web/e2e/bench.mjs"))
                .arg(format!("bench=steps&cpus=4&steps={STEPS_WASM}&scenario=crossfire&seed=0")),
        )
        .and_then(|o| last_json_line(&o))
    })
    .ok_or("wasm bench in Chromium failed")?;
    println!("{wasm}");
    let n = field(&native, "steps_per_sec").ok_or("no steps_per_sec in native output")?;
    let w = field(&wasm, "steps_per_sec").ok_or("no steps_per_sec in wasm output")?;
    let m = |x: f64| format!("{:.2} M", x / 1e6);
    Ok(format!(
        "## Engine steps per second\n\n\
         Workload: `sdlab_engine::bench::random_steps`, the FreeBSD scoreboard model, scenario `crossfire`, 4 CPUs, \
         seeded random schedule (restarting when a run ends), best of three runs each. Native: `sdlab bench-steps` built with opt-level 3; \
         wasm: the same function in the release build of the app (engine at opt-level 3, the rest at opt-level z, wasm-opt -Oz) in headless Chromium.\n\n\
         {}\n\n\
         | measure | value (best) | M steps/s min / median / max | load avg at start | target | met |\n|---|---|---|---|---|---|\n\
         | native steps/s | {} | {} | {load_native:.2} | ≥ 20 M | {} |\n\
         | wasm steps/s (Chromium) | {} | {} | {load_wasm:.2} | ≥ 0.7 × native | {} |\n\
         | wasm / native | {:.2} | | | ≥ 0.70 | {} |\n\n\
         Raw: native `{native}`; wasm `{wasm}`.\n",
        machine(),
        m(n),
        spread_m(&native_rates),
        if n >= 20e6 { "yes" } else { "no" },
        m(w),
        spread_m(&wasm_rates),
        if w >= 0.7 * n { "yes" } else { "no" },
        w / n,
        if w >= 0.7 * n { "yes" } else { "no" },
    ))
}

/// Each measurement of the checker section is the fastest of this many runs, given with
/// the spread of all of them: the bench machines are shared, and a neighbour's burst
/// only ever makes a run slower. A 4-CPU search runs half a minute, so three is what fits.
const RUNS: usize = 3;
/// Searches that end within a second are run this many times instead, ours and SPIN's
/// alike: at tens of milliseconds one scheduler hiccup is a large part of a run.
const SHORT_RUNS: usize = 10;

/// How many runs a measurement gets, from its first run's time.
fn runs(first: f64) -> usize {
    if first < 1.0 {
        SHORT_RUNS
    } else {
        RUNS
    }
}

/// The runs of one measurement, fastest first: each one's seconds and what it reported.
struct Series<T> {
    runs: Vec<(f64, T)>,
    /// The 1-minute load average when the measurement started.
    load: f64,
}

impl<T> Series<T> {
    /// Run `run` until the measurement has as many runs as its first one's time calls
    /// for (`runs`); `done` are runs already made (a sweep's best).
    fn measure(mut run: impl FnMut() -> Result<(f64, T), String>, done: Vec<(f64, T)>) -> Result<Self, String> {
        let load = load_average();
        let mut runs_ = done;
        if runs_.is_empty() {
            runs_.push(run()?);
        }
        while runs_.len() < runs(runs_[0].0) {
            runs_.push(run()?);
        }
        runs_.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(Series { runs: runs_, load })
    }

    fn best(&self) -> &T {
        &self.runs[0].1
    }

    fn min(&self) -> f64 {
        self.runs[0].0
    }

    fn median(&self) -> f64 {
        let n = self.runs.len();
        if n % 2 == 1 {
            self.runs[n / 2].0
        } else {
            (self.runs[n / 2 - 1].0 + self.runs[n / 2].0) / 2.0
        }
    }

    /// "min / median / max (n runs)", in seconds.
    fn spread(&self) -> String {
        let max = self.runs.last().map_or(0.0, |r| r.0);
        let d = if max < 1.0 { 3 } else { 1 };
        format!("{:.d$} / {:.d$} / {:.d$} ({})", self.min(), self.median(), max, self.runs.len())
    }
}

/// The 1-minute load average now: what else the shared machine was doing.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0.0)
}

/// `program` as a command whose peak resident set GNU time writes to `file` (`%M`, the
/// kernel's maxrss in KiB, which is VmHWM), where the machine has `/usr/bin/time`: one
/// way of measuring for our checker and SPIN's alike.
fn with_peak_rss(program: &Path, file: &Path) -> Command {
    if Path::new("/usr/bin/time").exists() {
        let _ = std::fs::remove_file(file);
        if let Some(dir) = file.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let mut c = sh("/usr/bin/time");
        c.args(["-f", "%M", "-o"]).arg(file).arg(program);
        c
    } else {
        sh(&program.to_string_lossy())
    }
}

/// The peak resident set `with_peak_rss` wrote, in MB (its last line: GNU time puts a
/// line about a non-zero exit status first).
fn read_peak_rss(file: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(file).ok()?;
    let kib: f64 = text.lines().rev().find_map(|l| l.trim().parse().ok())?;
    Some(kib / 1024.0)
}

/// One run of `sdlab check`: its JSON line and peak resident set.
struct OursRun {
    json: String,
    rss_mb: Option<f64>,
}

impl OursRun {
    fn get(&self, key: &str) -> f64 {
        field(&self.json, key).unwrap_or(0.0)
    }
}

/// `sdlab check` on the scoreboard; the time is the search's own seconds.
fn ours(cpus: u32, sets: &[&str], extra: &[&str]) -> Result<(f64, OursRun), String> {
    let cpus = cpus.to_string();
    let rss = crate::bench_trace::target_dir().join("spin/sdlab.rss");
    let mut c = with_peak_rss(&crate::bench_trace::target_dir().join("release/sdlab"), &rss);
    c.args([
        "check",
        "freebsd-scoreboard",
        "--cpus",
        &cpus,
        "--scenario",
        "crossfire",
        "--json",
        "--max-states",
        "60000000",
    ]);
    for s in sets {
        c.args(["--set", s]);
    }
    c.args(extra);
    let t0 = Instant::now();
    // Exit 1 (violation) is a result, not a failure: read stdout whatever the status.
    let out = c.output().map_err(|e| format!("sdlab check: {e}"))?;
    let wall = t0.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let json = last_json_line(&text).ok_or_else(|| format!("sdlab check printed no JSON: {text}"))?;
    let t = field(&json, "seconds").unwrap_or(wall);
    Ok((t, OursRun { json, rss_mb: read_peak_rss(&rss) }))
}

fn best_ours(cpus: u32, sets: &[&str], extra: &[&str]) -> Result<Series<OursRun>, String> {
    Series::measure(|| ours(cpus, sets, extra), Vec::new())
}

#[derive(Clone, Copy)]
enum SpinSearch {
    /// pan's default: depth-first, with SPIN's partial-order reduction.
    Dfs,
    /// `-DBFS`: breadth-first, shortest counterexamples.
    Bfs,
    /// `-DBFS_PAR` run with `-uN`: SPIN's multi-core breadth-first search.
    BfsParallel(usize),
}

/// SPIN at its best on one search: pan's hash table has 2^w slots (`pan -w`), too few
/// and its chains grow long, too many and clearing the table costs more than a small
/// search (a fixed `-w28` is 2 GB, most of SPIN's time at 3 CPUs). The sweep runs w
/// around log2 of `expect` states once each, and the fastest w gets the rest of its runs.
fn best_spin(cpus: u32, defines: &[&str], search: SpinSearch, expect: f64) -> Result<Series<SpinRun>, String> {
    let pan = build_pan(cpus, defines, search)?;
    let k = (expect.max(1024.0).log2().ceil() as u32).min(30);
    let first = run_pan(&pan, k)?;
    // A short search can afford a wider sweep.
    let top = if first.seconds < 1.0 { k + 2 } else { k + 1 };
    let mut sweep = vec![first];
    for w in (k - 1..=top).filter(|&w| w != k) {
        sweep.push(run_pan(&pan, w)?);
    }
    // A table too small for BFS_PAR (no chaining) ends its search early: no result.
    let mut sweep: Vec<(f64, SpinRun)> = sweep.into_iter().filter(|r| r.complete).map(|r| (r.seconds, r)).collect();
    sweep.sort_by(|a, b| a.0.total_cmp(&b.0));
    sweep.truncate(1);
    let w = sweep.first().ok_or("pan did not complete its search at any -w of the sweep")?.1.w;
    Series::measure(
        || {
            let r = run_pan(&pan, w)?;
            if !r.complete {
                return Err(format!("pan -w{w} did not complete its search"));
            }
            Ok((r.seconds, r))
        },
        sweep,
    )
}

/// Ours / SPIN's time; below 10 ms both are start-up noise and no ratio means anything.
fn ratio(ours: f64, spin: f64) -> String {
    if ours.max(spin) < 0.01 {
        "— (both < 0.01 s)".into()
    } else {
        format!("{:.2}", ours / spin.max(1e-3))
    }
}

/// "yes" or "no" for a ratio against its goal (at most `goal`).
fn met(x: f64, goal: f64) -> &'static str {
    if x <= goal {
        "yes"
    } else {
        "no"
    }
}

struct SpinRun {
    states: u64,
    seconds: f64,
    /// What pan says it used ("total actual memory usage").
    memory_mb: f64,
    /// Peak resident set, measured as ours is.
    rss_mb: Option<f64>,
    error: bool,
    depth: u64,
    /// log2 of the hash table's slots (`-w`).
    w: u32,
    /// The search ran to its end or to an error, not out of table or queue memory.
    complete: bool,
}

/// A compiled verifier for bench/scoreboard.pml and its arguments but `-w`.
struct Pan {
    exe: PathBuf,
    dir: PathBuf,
    args: Vec<String>,
}

/// Generate and compile SPIN's verifier for bench/scoreboard.pml, in its own directory
/// per configuration.
fn build_pan(cpus: u32, defines: &[&str], search: SpinSearch) -> Result<Pan, String> {
    let dir = crate::bench_trace::target_dir().join("spin");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let model = root().join("bench/scoreboard.pml");
    let mut d: Vec<String> = vec![format!("-DNCPU={cpus}")];
    d.extend(defines.iter().map(|x| format!("-D{x}")));
    crate::util::run(sh("spin").current_dir(&dir).args(&d).arg("-a").arg(&model))?;
    let mut gcc = sh("gcc");
    gcc.current_dir(&dir).args(["-O2", "-DSAFETY", "-DMEMLIM=16000", "-o", "pan", "pan.c"]).args(&d);
    let mut args = vec!["-m1000000".to_string()];
    match search {
        SpinSearch::Dfs => {}
        SpinSearch::Bfs => {
            gcc.arg("-DBFS");
        }
        SpinSearch::BfsParallel(cores) => {
            gcc.arg("-DBFS_PAR");
            args.push(format!("-u{cores}"));
        }
    }
    crate::util::run(&mut gcc)?;
    Ok(Pan { exe: dir.join("pan"), dir, args })
}

/// One run of a compiled verifier with a hash table of 2^w slots.
fn run_pan(pan: &Pan, w: u32) -> Result<SpinRun, String> {
    let _ = std::fs::remove_file(pan.dir.join("scoreboard.pml.trail"));
    let rss = pan.dir.join("pan.rss");
    let mut c = with_peak_rss(&pan.exe, &rss);
    c.current_dir(&pan.dir).args(&pan.args).arg(format!("-w{w}"));
    let t0 = Instant::now();
    let out = c.output().map_err(|e| e.to_string())?;
    let wall = t0.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let num_before = |marker: &str| -> Option<f64> {
        let line = text.lines().find(|l| l.contains(marker))?;
        line.split_whitespace().find_map(|w| w.parse::<f64>().ok())
    };
    Ok(SpinRun {
        states: num_before("states, stored").ok_or_else(|| format!("unexpected pan output: {text}"))? as u64,
        seconds: text
            .lines()
            .find(|l| l.contains("elapsed time"))
            .and_then(|l| l.split_whitespace().find_map(|w| w.parse::<f64>().ok()))
            .unwrap_or(wall),
        // BFS_PAR says what it used shared and not.
        memory_mb: num_before("total actual memory usage").unwrap_or_else(|| {
            num_before("total shared memory usage").unwrap_or(0.0)
                + num_before("total non-shared memory usage").unwrap_or(0.0)
        }),
        rss_mb: read_peak_rss(&rss),
        error: text.contains("errors: 1"),
        depth: text
            .lines()
            .find(|l| l.contains("invalid end state (at depth") || l.contains("assertion violated"))
            .and_then(|l| l.split(|c: char| !c.is_ascii_digit()).rfind(|t| !t.is_empty())?.parse().ok())
            .unwrap_or(0),
        w,
        complete: !["Search incomplete", "hash table is full", "states lost"].iter().any(|m| text.contains(m)),
    })
}

/// Which CPU counts the checker section measures: `SDLAB_BENCH_CPUS=3` runs one (a quick
/// look), the default both.
fn checker_cpus() -> Vec<u32> {
    std::env::var("SDLAB_BENCH_CPUS")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect::<Vec<u32>>())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| vec![3, 4])
}

/// A table row of one measurement: what ran, its states, its times, states/s, memory.
fn row(
    n: u32,
    what: &str,
    verdict: &str,
    states: f64,
    s: &Series<impl Sized>,
    rss: Option<f64>,
    extra: &str,
) -> String {
    let mb = |x: Option<f64>| x.map_or("—".into(), |m| format!("{m:.0} MB"));
    let per = rss.filter(|_| states > 0.0).map_or("—".into(), |m| format!("{:.0}", m * 1048576.0 / states));
    let rate = if s.min() < 0.01 { "—".into() } else { format!("{:.0}", states / s.min()) };
    format!(
        "| {n} | {what} | {verdict} | {states:.0} | {} | {rate} | {} | {per} | {extra} | {:.2} |\n",
        s.spread(),
        mb(rss),
        s.load
    )
}

fn checker() -> Result<String, String> {
    crate::util::run(sh("cargo").args(["build", "--quiet", "--profile", "bench", "-p", "sdlab-cli"]))?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rows = String::new();
    let mut goals = String::new();
    for n in checker_cpus() {
        println!("bench: checker vs SPIN, {n} CPUs");
        let one = best_ours(n, &[], &["--no-liveness", "--threads", "1"])?;
        let all = best_ours(n, &[], &["--no-liveness", "--threads", &cores.to_string()])?;
        let por = best_ours(n, &[], &["--no-liveness", "--dfs", "--por", "--threads", "1"])?;
        // SPIN stores 1.3–1.5 times our breadth-first count (no G-MEM words, its own
        // statements): the sweep is centred there.
        let expect = one.best().get("states") * 1.5;
        let sp = best_spin(n, &[], SpinSearch::Dfs, expect)?;
        let par = best_spin(n, &[], SpinSearch::BfsParallel(cores), expect)?;
        let verdict = |o: &OursRun| {
            let v = o.json.split("\"verdict\":\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("?");
            v.to_string()
        };
        let o1 = one.best();
        rows.push_str(&row(n, "ours, BFS, 1 thread", &verdict(o1), o1.get("states"), &one, o1.rss_mb, ""));
        let oa = all.best();
        let what = format!("ours, BFS, {cores} threads");
        rows.push_str(&row(n, &what, &verdict(oa), oa.get("states"), &all, oa.rss_mb, ""));
        let op = por.best();
        rows.push_str(&row(n, "ours, DFS+POR, 1 thread", &verdict(op), op.get("states"), &por, op.rss_mb, ""));
        let spin_verdict = |r: &SpinRun| if r.error { "error" } else { "no errors" };
        for (what, s) in [("SPIN, DFS, 1 core".to_string(), &sp), (format!("SPIN, BFS_PAR, {cores} cores"), &par)] {
            let b = s.best();
            let extra = format!("`-w{}`, pan: {:.0} MB", b.w, b.memory_mb);
            rows.push_str(&row(n, &what, spin_verdict(b), b.states as f64, s, b.rss_mb, &extra));
        }
        let spin_best = sp.min().min(par.min());
        let spin_best_median = sp.median().min(par.median());
        let r1 = one.min() / sp.min().max(1e-3);
        let r2 = all.min() / spin_best.max(1e-3);
        goals.push_str(&format!(
            "| BFS 1 thread / SPIN DFS | {n} | {} | {} | ≤ 0.5 | {} |\n",
            ratio(one.min(), sp.min()),
            ratio(one.median(), sp.median()),
            met(r1, 0.5),
        ));
        let (goal2, met2) = if n == 4 { ("≤ 0.3", met(r2, 0.3)) } else { ("—", "—") };
        goals.push_str(&format!(
            "| BFS {cores} threads / SPIN's best (DFS or BFS_PAR) | {n} | {} | {} | {goal2} | {met2} |\n",
            ratio(all.min(), spin_best),
            ratio(all.median(), spin_best_median),
        ));
        goals.push_str(&format!(
            "| DFS+POR / SPIN's best | {n} | {} | {} | — | — |\n",
            ratio(por.min(), spin_best),
            ratio(por.median(), spin_best_median),
        ));
        if let (Some(ours_mb), Some(spin_mb)) = (o1.rss_mb, sp.best().rss_mb) {
            let (a, b) = (ours_mb * 1048576.0 / o1.get("states"), spin_mb * 1048576.0 / sp.best().states as f64);
            let (goal, ok) = if n == 4 { ("≤ 0.5", met(a / b, 0.5)) } else { ("—", "—") };
            goals.push_str(&format!(
                "| memory per stored state, BFS 1 thread / SPIN DFS (peak RSS: {a:.0} vs {b:.0} bytes) | {n} | {:.2} | — | {goal} | {ok} |\n",
                a / b
            ));
        }
    }
    println!("bench: the liveness pass, 3 CPUs");
    let live = best_ours(3, &[], &["--threads", "1"])?;
    let lb = live.best();
    let liveness = format!(
        "With the liveness pass (`sdlab check` as a user runs it, without `--no-liveness`; SPIN's model has no \
         liveness property to compare with), 3 CPUs, 1 thread: {}, {:.0} states, {} s (min / median / max of runs), \
         peak RSS {} MB.",
        lb.json.split("\"verdict\":\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("?"),
        lb.get("states"),
        live.spread(),
        lb.rss_mb.map_or("—".into(), |m| format!("{m:.0}")),
    );
    let mut races = String::new();
    for (name, n, set, define) in [
        ("E4 deadlock", 2u32, "initiator_if=false", "INITIATOR_CLI"),
        ("E1 lost shootdown", 3, "rescan=false", "NORESCAN"),
    ] {
        println!("bench: shortest counterexample, {name}");
        let o = best_ours(n, &[set], &["--no-liveness"])?;
        let sp = best_spin(n, &[define], SpinSearch::Bfs, o.best().get("states") * 1.5)?;
        let (ob, sb) = (o.best(), sp.best());
        races.push_str(&format!(
            "| {name} | {n} | {} steps, {:.0} states, {:.3} s ({} threads) | error found: {}, depth {}, {} states, {:.3} s (`-w{}`) | {} |\n",
            ob.get("length"),
            ob.get("states"),
            o.min(),
            ob.get("threads"),
            sb.error,
            sb.depth,
            sb.states,
            sp.min(),
            sb.w,
            ratio(o.min(), sp.min()),
        ));
    }
    let spin_version = output(sh("spin").arg("-V")).unwrap_or_default();
    let rss_how = if Path::new("/usr/bin/time").exists() {
        "peak resident set measured alike for both by GNU time (`%M`, the kernel's maxrss, which is VmHWM; \
         for BFS_PAR that of pan's first process, whose shared memory holds the states)"
    } else {
        "no peak resident set (no /usr/bin/time on this machine)"
    };
    Ok(format!(
        "## Model checker against SPIN\n\n\
         The FreeBSD scoreboard, scenario `crossfire`, checked by `sdlab check` (safety: assertions, G-STALE, \
         deadlocks and lost shootdowns; `--no-liveness`) and by SPIN on `bench/scoreboard.pml`, the same algorithm \
         at the same granularity (one shared access per atomic step, spin-waits as blocking guards; `pan -DSAFETY`, \
         safety only, exhaustive storage). Ours also checks what the Promela model does not: \
         G-MEM (no CPU touches the initiator's request words after it retired them) and G-USERMODE-WINDOW \
         (between a handler's acknowledgement and its invalidation), which adds the retired words and the open \
         windows to every state. SPIN's time is `pan`'s own (its generation and C compilation are not counted); \
         ours is the search's own seconds. SPIN runs at its best: pan's hash table is sized by a sweep of `-w` \
         around log2 of the state count, one run each, and the fastest size gets the remaining runs. Every \
         measurement is {RUNS} runs, or {SHORT_RUNS} when a run takes under a second, for SPIN as for ours (the \
         machine is shared): the fastest counts, and the spread is given. Our breadth-first search runs on 1 \
         thread and on all {cores} cores (`--threads`, the same states and result on any count); SPIN runs its \
         default depth-first search (with its partial-order reduction) on one core and its multi-core \
         breadth-first search (`-DBFS_PAR`, `pan -u{cores}`) on all. Memory: {rss_how}; bytes per state = peak \
         RSS / states stored. Every ratio is from runs of this one invocation. {}\n\n\
         {}\n\n\
         | CPUs | search | verdict | states | s min / median / max (runs) | states/s (best) | peak RSS | bytes per state | notes | load avg at start |\n\
         |---|---|---|---|---|---|---|---|---|---|\n{rows}\n\
         | ratio (ours / SPIN's time; below 1 is faster) | CPUs | best / best | median / median | goal | met |\n\
         |---|---|---|---|---|---|\n{goals}\n\
         {liveness}\n\n\
         Shortest counterexamples (ours: breadth-first; SPIN: `-DBFS`, table sized as above):\n\n\
         | race | CPUs | ours | SPIN | time ratio |\n|---|---|---|---|---|\n{races}\n\
         SPIN's depth counts its own statements (loop bookkeeping, process creation), ours counts machine steps. \
         The checker in the browser's worker has its own section.\n",
        spin_version.trim(),
        machine(),
    ))
}

fn machine() -> String {
    let date = output(sh("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])).unwrap_or_default();
    let uname = output(sh("uname").args(["-srm"])).unwrap_or_default();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<u64>().ok()))
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1048576.0))
        .unwrap_or_default();
    // Other work on a shared machine slows every figure: the 1, 5 and 15 minute load
    // averages when the section was written say how much.
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let rustc = output(sh("rustc").arg("--version")).unwrap_or_default();
    let chromium = output(sh("chromium").arg("--version")).unwrap_or_default();
    format!(
        "Measured {} on {} ({cores} cores, {mem}, load average {load}), {}; {}; {}.",
        date.trim(),
        cpu,
        uname.trim(),
        rustc.trim(),
        chromium.lines().last().unwrap_or("").trim()
    )
}

fn write_section(name: &str, body: &str) -> Result<(), String> {
    let path = root().join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        "# Benchmarks\n\nWritten by `cargo xtask bench`; each section is replaced by its own run.\n".to_string()
    });
    std::fs::write(&path, replace_section(&old, name, body)).map_err(|e| format!("BENCHMARKS.md: {e}"))
}

/// `text` with the block between the section's markers replaced by `body`, or with the
/// section appended when its markers are not there yet.
fn replace_section(text: &str, name: &str, body: &str) -> String {
    let (begin, end) = (format!("<!-- bench:{name}:begin -->"), format!("<!-- bench:{name}:end -->"));
    let block = format!("{begin}\n{body}{end}");
    match text.find(&begin).map(|a| (a, text[a..].find(&end).map(|b| a + b))) {
        Some((a, Some(b))) => format!("{}{block}{}", &text[..a], &text[b + end.len()..]),
        _ => format!("{}\n{block}\n", text.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_its_own_section() {
        let text = "# B\n<!-- bench:steps:begin -->\nold\n<!-- bench:steps:end -->\n<!-- bench:checker:begin -->\nkeep\n<!-- bench:checker:end -->\n";
        let new = replace_section(text, "steps", "new\n");
        assert_eq!(
            new,
            "# B\n<!-- bench:steps:begin -->\nnew\n<!-- bench:steps:end -->\n<!-- bench:checker:begin -->\nkeep\n<!-- bench:checker:end -->\n"
        );
        assert_eq!(replace_section(&new, "steps", "new\n"), new);
    }

    #[test]
    fn appends_a_missing_section() {
        let new = replace_section("# B\n\ntext\n", "trace", "body\n");
        assert_eq!(new, "# B\n\ntext\n<!-- bench:trace:begin -->\nbody\n<!-- bench:trace:end -->\n");
    }

    #[test]
    fn reads_numbers_from_one_line_json() {
        let out = "Compiling\n{\"model\":\"m\",\"cpus\":4,\"steps_per_sec\":8047030.9,\"seconds\": 2.5}\n";
        let line = last_json_line(out).unwrap();
        assert_eq!(field(&line, "steps_per_sec"), Some(8047030.9));
        assert_eq!(field(&line, "seconds"), Some(2.5));
        assert_eq!(field(&line, "cpus"), Some(4.0));
        assert_eq!(field(&line, "missing"), None);
        assert_eq!(last_json_line("no json here"), None);
    }

    #[test]
    fn three_takes_the_fastest_run_and_keeps_the_spread() {
        let mut runs = vec![Some("{\"steps_per_sec\":5}"), None, Some("{\"steps_per_sec\":2}")].into_iter();
        let (best, rates) = three(|| runs.next().flatten().map(str::to_string)).unwrap();
        assert_eq!(best, "{\"steps_per_sec\":5}");
        assert_eq!(rates, vec![2.0, 5.0]);
        assert_eq!(spread_m(&[1e6, 2e6, 4e6]), "1.00 / 2.00 / 4.00");
        assert!(three(|| None).is_none());
    }

    #[test]
    fn series_sorts_its_runs_and_reads_the_spread() {
        let mut t = vec![3.0, 1.0, 2.0].into_iter();
        let s = Series::measure(|| Ok((t.next().unwrap_or(9.0), ())), Vec::new()).unwrap();
        // The first run took 3 s: three runs, the fastest first.
        assert_eq!(s.runs.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1.0, 2.0, 3.0]);
        assert_eq!((s.min(), s.median()), (1.0, 2.0));
        assert_eq!(s.spread(), "1.0 / 2.0 / 3.0 (3)");
        // Under a second: ten runs.
        let s = Series::measure(|| Ok((0.5, ())), Vec::new()).unwrap();
        assert_eq!(s.runs.len(), SHORT_RUNS);
    }

    #[test]
    fn reads_the_peak_rss_after_an_exit_status_line() {
        let f = std::env::temp_dir().join(format!("sdlab-rss-test-{}", std::process::id()));
        std::fs::write(&f, "Command exited with non-zero status 1\n2048\n").unwrap();
        assert_eq!(read_peak_rss(&f), Some(2.0));
        let _ = std::fs::remove_file(&f);
    }
}
