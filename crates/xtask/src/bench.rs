//! `cargo xtask bench`: measures, then rewrites its own section of BENCHMARKS.md (between
//! `<!-- bench:NAME:begin -->` and `<!-- bench:NAME:end -->`), leaving the rest alone.

use crate::setup;
use crate::util::{output, root, sh};
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

/// The best of three runs of a command that prints one JSON line with `steps_per_sec`:
/// throughput is limited from above by the machine, from below by whatever else runs.
fn best_of_three(mut run: impl FnMut() -> Option<String>) -> Option<String> {
    (0..3).filter_map(|_| run()).max_by(|a, b| {
        let (x, y) = (field(a, "steps_per_sec").unwrap_or(0.0), field(b, "steps_per_sec").unwrap_or(0.0));
        x.total_cmp(&y)
    })
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
    let native = best_of_three(|| {
        output(sh(&sdlab.to_string_lossy()).args(["bench-steps", "--cpus", "4", "--steps", STEPS_NATIVE, "--json"]))
            .and_then(|o| last_json_line(&o))
    })
    .ok_or("native bench-steps failed")?;
    println!("{native}");
    println!("bench: wasm engine steps/s in headless Chromium ({STEPS_WASM} steps)");
    crate::util::run(sh("trunk").args(["build", "--release"]))?;
    let wasm = best_of_three(|| {
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
         | measure | value | target | met |\n|---|---|---|---|\n\
         | native steps/s | {} | ≥ 20 M | {} |\n\
         | wasm steps/s (Chromium) | {} | ≥ 0.7 × native | {} |\n\
         | wasm / native | {:.2} | ≥ 0.70 | {} |\n\n\
         Raw: native `{native}`; wasm `{wasm}`.\n",
        machine(),
        m(n),
        if n >= 20e6 { "yes" } else { "no" },
        m(w),
        if w >= 0.7 * n { "yes" } else { "no" },
        w / n,
        if w >= 0.7 * n { "yes" } else { "no" },
    ))
}

/// Each measurement of the checker section is the fastest of this many runs: the bench
/// machines are shared, and a neighbour's burst only ever makes a run slower.
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

fn best_ours(cpus: u32, sets: &[&str], extra: &[&str]) -> Result<String, String> {
    let mut best: Option<(f64, String)> = None;
    let mut n = RUNS;
    let mut i = 0;
    while i < n {
        i += 1;
        let (json, wall) = ours(cpus, sets, extra)?;
        let t = field(&json, "seconds").unwrap_or(wall);
        if i == 1 {
            n = runs(t);
        }
        if best.as_ref().is_none_or(|(b, _)| t < *b) {
            best = Some((t, json));
        }
    }
    best.map(|(_, j)| j).ok_or_else(|| "no run".into())
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

fn best_spin(cpus: u32, defines: &[&str], search: SpinSearch) -> Result<SpinRun, String> {
    let mut best: Option<SpinRun> = None;
    let mut pan = build_pan(cpus, defines, search)?;
    let mut n = RUNS;
    let mut i = 0;
    while i < n {
        i += 1;
        let r = run_pan(&mut pan)?;
        if i == 1 {
            n = runs(r.seconds);
        }
        if best.as_ref().is_none_or(|b| r.seconds < b.seconds) {
            best = Some(r);
        }
    }
    best.ok_or_else(|| "no run".into())
}

/// States per second, or "—" when the time is too short to divide by.
fn rate(states: f64, seconds: f64) -> String {
    if seconds < 0.01 {
        "—".into()
    } else {
        format!("{:.0}", states / seconds)
    }
}

/// Ours / SPIN's time; below 10 ms both are start-up noise and no ratio means anything.
fn ratio(ours: f64, spin: f64) -> String {
    if ours.max(spin) < 0.01 {
        "— (both < 0.01 s)".into()
    } else {
        format!("{:.2}", ours / spin.max(1e-3))
    }
}

/// `sdlab check` on the scoreboard, as JSON.
fn ours(cpus: u32, sets: &[&str], extra: &[&str]) -> Result<(String, f64), String> {
    let cpus = cpus.to_string();
    let mut c = sh(&crate::bench_trace::target_dir().join("release/sdlab").to_string_lossy());
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
    last_json_line(&text).map(|j| (j, wall)).ok_or_else(|| format!("sdlab check printed no JSON: {text}"))
}

struct SpinRun {
    states: u64,
    seconds: f64,
    memory_mb: f64,
    error: bool,
    depth: u64,
}

/// Generate and compile SPIN's verifier for bench/scoreboard.pml; returns how to run it.
fn build_pan(cpus: u32, defines: &[&str], search: SpinSearch) -> Result<std::process::Command, String> {
    let dir = crate::bench_trace::target_dir().join("spin");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let model = root().join("bench/scoreboard.pml");
    let mut d: Vec<String> = vec![format!("-DNCPU={cpus}")];
    d.extend(defines.iter().map(|x| format!("-D{x}")));
    crate::util::run(sh("spin").current_dir(&dir).args(&d).arg("-a").arg(&model))?;
    let mut gcc = sh("gcc");
    gcc.current_dir(&dir).args(["-O2", "-DSAFETY", "-DMEMLIM=16000", "-o", "pan", "pan.c"]).args(&d);
    let mut pan = sh(&dir.join("pan").to_string_lossy());
    pan.current_dir(&dir).args(["-m1000000", "-w28"]);
    match search {
        SpinSearch::Dfs => {}
        SpinSearch::Bfs => {
            gcc.arg("-DBFS");
        }
        SpinSearch::BfsParallel(cores) => {
            gcc.arg("-DBFS_PAR");
            pan.arg(format!("-u{cores}"));
        }
    }
    crate::util::run(&mut gcc)?;
    Ok(pan)
}

/// One run of a compiled verifier.
fn run_pan(pan: &mut std::process::Command) -> Result<SpinRun, String> {
    let dir = crate::bench_trace::target_dir().join("spin");
    let _ = std::fs::remove_file(dir.join("scoreboard.pml.trail"));
    let t0 = Instant::now();
    let out = pan.output().map_err(|e| e.to_string())?;
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
        memory_mb: num_before("total actual memory usage").unwrap_or(0.0),
        error: text.contains("errors: 1"),
        depth: text
            .lines()
            .find(|l| l.contains("invalid end state (at depth") || l.contains("assertion violated"))
            .and_then(|l| l.split(|c: char| !c.is_ascii_digit()).rfind(|t| !t.is_empty())?.parse().ok())
            .unwrap_or(0),
    })
}

fn checker() -> Result<String, String> {
    crate::util::run(sh("cargo").args(["build", "--quiet", "--profile", "bench", "-p", "sdlab-cli"]))?;
    let mut rows = String::new();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for n in [2u32, 3, 4] {
        println!("bench: checker vs SPIN, {n} CPUs");
        let one = best_ours(n, &[], &["--no-liveness", "--threads", "1"])?;
        let all = best_ours(n, &[], &["--no-liveness"])?;
        let por = best_ours(n, &[], &["--no-liveness", "--dfs", "--por"])?;
        let sp = best_spin(n, &[], SpinSearch::Dfs)?;
        let par = best_spin(n, &[], SpinSearch::BfsParallel(cores))?;
        let (bs, b1) = (field(&one, "states").unwrap_or(0.0), field(&one, "seconds").unwrap_or(0.0));
        let bn = field(&all, "seconds").unwrap_or(0.0);
        let (ps, pt) = (field(&por, "states").unwrap_or(0.0), field(&por, "seconds").unwrap_or(0.0));
        let best = sp.seconds.min(par.seconds);
        rows.push_str(&format!(
            "| {n} | {} | {bs:.0} | {b1:.2} | {bn:.2} | {} | {ps:.0} | {pt:.2} | {} states, {:.2} s, {} states/s, {:.0} MB | {} states, {:.2} s | {} | {} | {} |\n",
            if one.contains("\"verified\"") { "verified" } else { "other" },
            rate(bs, bn),
            sp.states,
            sp.seconds,
            rate(sp.states as f64, sp.seconds),
            sp.memory_mb,
            par.states,
            par.seconds,
            ratio(b1, sp.seconds),
            ratio(bn, best),
            ratio(pt, best),
        ));
    }
    let mut races = String::new();
    for (name, n, set, define) in [
        ("E4 deadlock", 2u32, "initiator_if=false", "INITIATOR_CLI"),
        ("E1 lost shootdown", 3, "rescan=false", "NORESCAN"),
    ] {
        println!("bench: shortest counterexample, {name}");
        let o = best_ours(n, &[set], &["--no-liveness"])?;
        let sp = best_spin(n, &[define], SpinSearch::Bfs)?;
        let t = field(&o, "seconds").unwrap_or(0.0);
        races.push_str(&format!(
            "| {name} | {n} | {} steps, {:.0} states, {t:.3} s ({} threads) | error found: {}, depth {}, {} states, {:.3} s | {} |\n",
            field(&o, "length").unwrap_or(0.0),
            field(&o, "states").unwrap_or(0.0),
            field(&o, "threads").unwrap_or(1.0),
            sp.error,
            sp.depth,
            sp.states,
            sp.seconds,
            ratio(t, sp.seconds),
        ));
    }
    println!("bench: checker states/s in the browser worker");
    let worker = output(sh("node").arg(root().join("web/e2e/bench-check.mjs")))
        .and_then(|o| last_json_line(&o))
        .unwrap_or_default();
    // The worker runs the app as last built in dist/ (this section does not rebuild it):
    // say when, so a figure from an older engine is not taken for the current one.
    let dist_built = output(sh("date").args(["-u", "+%Y-%m-%d %H:%M UTC", "-r"]).arg(root().join("dist/index.html")))
        .unwrap_or_default();
    let spin_version = output(sh("spin").arg("-V")).unwrap_or_default();
    Ok(format!(
        "## Model checker against SPIN\n\n\
         The FreeBSD scoreboard, scenario `crossfire`, checked by `sdlab check` (safety: assertions, G-STALE, \
         deadlocks and lost shootdowns; `--no-liveness`) and by SPIN on `bench/scoreboard.pml`, the same algorithm \
         at the same granularity (one shared access per atomic step, spin-waits as blocking guards; `pan -DSAFETY`, \
         exhaustive storage, default depth-first search). Ours also checks what the Promela model does not: \
         G-MEM (no CPU touches the initiator's request words after it retired them) and G-USERMODE-WINDOW \
         (between a handler's acknowledgement and its invalidation), which adds the retired words and the open \
         windows to every state. SPIN's time is `pan`'s own (its generation and C \
         compilation, about 1 s, are not counted). Every time is the fastest of {RUNS} runs, or of {SHORT_RUNS} when \
         a run takes under a second, for SPIN as for ours (the machine is shared). \
         Ratios are ours / SPIN's: below 1 is faster. Our breadth-first search runs on 1 thread and on all {cores} \
         cores (`--threads`, the same states and result on any count); SPIN runs its default search on one core and \
         its own multi-core breadth-first search (`-DBFS_PAR`, `pan -u{cores}`) on all; a search on all cores is \
         compared with SPIN's faster of the two. {}\n\n\
         {}\n\n\
         | CPUs | verdict | BFS states | BFS s, 1 thread | BFS s, {cores} threads | BFS states/s, {cores} threads | DFS+POR states | DFS+POR s | SPIN (DFS, 1 core) | SPIN BFS_PAR ({cores} cores) | BFS 1 thread / SPIN DFS | BFS {cores} threads / SPIN best | DFS+POR / SPIN best |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|\n{rows}\n\
         Shortest counterexamples (ours: breadth-first; SPIN: `-DBFS`):\n\n\
         | race | CPUs | ours | SPIN | time ratio |\n|---|---|---|---|---|\n{races}\n\
         SPIN's depth counts its own statements (loop bookkeeping, process creation), ours counts machine steps.\n\n\
         In the browser (web worker, release build in dist/ of {}, headless Chromium, 3 CPUs): `{worker}`.\n",
        spin_version.trim(),
        machine(),
        dist_built.trim(),
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
    fn best_of_three_takes_the_fastest_run() {
        let mut runs = vec![Some("{\"steps_per_sec\":2}"), None, Some("{\"steps_per_sec\":5}")].into_iter();
        assert_eq!(
            best_of_three(|| runs.next().flatten().map(str::to_string)).as_deref(),
            Some("{\"steps_per_sec\":5}")
        );
        assert_eq!(best_of_three(|| None), None);
    }
}
