//! `cargo xtask bench page`: "Find a race" in the page (the release build in dist/, web
//! workers in headless Chromium) against `sdlab check` on one thread in the same run: the
//! scoreboard's `crossfire` at 3 CPUs (states per second and the ratio to native, for the
//! safety search alone and for the whole check with its liveness pass), the 4-CPU check
//! as a lecturer waits for it (wall time, workers, verdict) and the wasm memory per state.

use crate::bench::{field, last_json_line};
use crate::util::{output, root, sh};

const RUNS: usize = 3;

/// `sdlab check` (bench profile, one thread) on the scoreboard's crossfire: its JSON.
fn native(cpus: u32, liveness: bool) -> Result<String, String> {
    let sdlab = crate::bench_trace::target_dir().join("release/sdlab");
    let mut c = sh(&sdlab.to_string_lossy());
    c.args(["check", "freebsd-scoreboard", "--cpus", &cpus.to_string(), "--scenario", "crossfire"]);
    c.args(["--threads", "1", "--json", "--progress", "off", "--max-states", "60000000"]);
    if !liveness {
        c.arg("--no-liveness");
    }
    let out = c.output().map_err(|e| format!("sdlab check: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    last_json_line(&text).ok_or_else(|| format!("sdlab check printed no JSON: {text}"))
}

/// The same with environment settings for the script (`SDLAB_CORES`, `SDLAB_DEVICE_MEMORY`).
fn page_with(cpus: u32, env: &[(&str, &str)]) -> Result<String, String> {
    let mut c = sh("node");
    c.arg(root().join("web/e2e/bench-check.mjs")).arg(cpus.to_string()).envs(env.iter().copied());
    let line = output(&mut c)
        .and_then(|o| last_json_line(&o))
        .ok_or("web/e2e/bench-check.mjs failed (is dist/ built? `cargo xtask dist`)")?;
    if line.contains("\"error\"") {
        return Err(format!("the page's check did not finish: {line}"));
    }
    Ok(line)
}

fn num(json: &str, key: &str) -> f64 {
    field(json, key).unwrap_or(f64::NAN)
}

fn min(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

pub fn section(machine: &str) -> Result<String, String> {
    crate::util::run(sh("cargo").args(["build", "--quiet", "--profile", "bench", "-p", "sdlab-cli"]))?;
    // Native and page runs alternate, so that a change in the machine's load falls on both.
    let (mut nat_safety, mut nat_whole, mut pg_safety, mut pg_whole) = (vec![], vec![], vec![], vec![]);
    let mut page3 = String::new();
    let mut states = 0.0;
    for i in 0..RUNS {
        println!("bench: checker at 3 CPUs natively and in the page, run {}", i + 1);
        nat_safety.push(num(&native(3, false)?, "seconds"));
        nat_whole.push(num(&native(3, true)?, "seconds"));
        let p = page_with(3, &[("SDLAB_CORES", "1")])?;
        states = num(&p, "states");
        pg_safety.push(num(&p, "safety_seconds"));
        pg_whole.push(num(&p, "seconds"));
        if i == 0 {
            page3 = p;
        }
    }
    // The page's workers follow the cores it is told of: one core gives one worker (both
    // passes in turn); this machine's cores give the search's workers and the liveness
    // pass's beside them.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).to_string();
    // The page on all cores against one, on the same work: the 4-CPU check stopped by
    // the limit a 0.5 GiB device gets, alternating.
    let (mut one, mut all) = (vec![], vec![]);
    let mut split_raw = String::new();
    for i in 0..RUNS {
        println!("bench: 4 CPUs to the 0.5 GiB limit on one core and on all, run {}", i + 1);
        let o = page_with(4, &[("SDLAB_CORES", "1"), ("SDLAB_DEVICE_MEMORY", "0.5")])?;
        let a = page_with(4, &[("SDLAB_CORES", &cores), ("SDLAB_DEVICE_MEMORY", "0.5")])?;
        one.push(num(&o, "states") / num(&o, "seconds"));
        all.push(num(&a, "states") / num(&a, "seconds"));
        if i == 0 {
            split_raw = format!("one core `{o}`; all `{a}`");
        }
    }
    println!("bench: \"Find a race\" at 4 CPUs in the page, on all cores and on one");
    let page4 = page_with(4, &[("SDLAB_CORES", &cores)])?;
    let page4_one = page_with(4, &[("SDLAB_CORES", "1")])?;
    let dist_built = output(sh("date").args(["-u", "+%Y-%m-%d %H:%M UTC", "-r"]).arg(root().join("dist/index.html")))
        .unwrap_or_default();
    let rate = |s: f64| states / s;
    let (ns, nw, ps, pw) = (min(&nat_safety), min(&nat_whole), min(&pg_safety), min(&pg_whole));
    let spread = |xs: &[f64]| format!("{:.0}–{:.0} k", rate(max(xs)) / 1e3, rate(min(xs)) / 1e3);
    let (s4, w4, m4) = (num(&page4, "states"), num(&page4, "wall_seconds"), num(&page4, "memory_bytes"));
    let m3 = num(&page3, "memory_bytes");
    Ok(format!(
        "## The checker in the page\n\n\
         \"Find a race\" on the FreeBSD scoreboard, scenario `crossfire`, in the release build in dist/ (built \
         {}; the worker's engine at opt-level 3) in headless Chromium, through the page's button \
         (`web/e2e/bench-check.mjs`), at 3 CPUs on one web worker (the page told of one core: the safety \
         search then the liveness pass) against `sdlab check --threads 1` (bench \
         profile) in the same run, alternating, {RUNS} runs each, the best taken (the spread beside it). The safety \
         figure is the page's time until the liveness pass began, against `--no-liveness`. At 4 CPUs the page \
         runs as on this machine's cores (the search on one worker per core but two, at least one, and the liveness \
         pass beside it on its own worker) and, for comparison, as on one core; one run each. States per second = \
         states / seconds of the search's own clock.\n\n{machine}\n\n\
         | measure | page | native, 1 thread | page / native | goal |\n|---|---|---|---|---|\n\
         | 3 CPUs, safety search: states/s | {:.0} k ({}) | {:.0} k ({}) | {:.2} | ≥ 0.6 |\n\
         | 3 CPUs, whole check (safety + liveness): states/s | {:.0} k ({}) | {:.0} k ({}) | {:.2} | — |\n\
         | 4 CPUs, \"Find a race\" (verdict {}, {:.0} states): wall time, button to verdict, on the machine's {cores} cores | {:.1} s on {} worker(s) (search {:.1} s) | — | — | < 25 s |\n\
         | the same on one core (one worker, the liveness pass after the search) | {:.1} s (search {:.1} s); all cores / one = {:.2} | — | — | — |\n\
         | wasm memory per state (the workers' peak memory / states) | {:.0} bytes at 3 CPUs, {:.0} bytes at 4 CPUs | — | — | — |\n\
         | 4 CPUs to the state limit of a 0.5 GiB device (safety search only): states/s on all cores / on one | {:.0} k / {:.0} k = {:.2} | — | — | — |\n\n\
         Raw: 3 CPUs `{page3}`; 4 CPUs on all cores `{page4}`, on one `{page4_one}`; to the limit, {split_raw}.\n",
        dist_built.trim(),
        rate(ps) / 1e3,
        spread(&pg_safety),
        rate(ns) / 1e3,
        spread(&nat_safety),
        ns / ps,
        rate(pw) / 1e3,
        spread(&pg_whole),
        rate(nw) / 1e3,
        spread(&nat_whole),
        nw / pw,
        page4.split("\"verdict\":\"").nth(1).and_then(|v| v.split('"').next()).unwrap_or("?"),
        s4,
        w4,
        num(&page4, "workers"),
        num(&page4, "safety_seconds"),
        num(&page4_one, "wall_seconds"),
        num(&page4_one, "safety_seconds"),
        w4 / num(&page4_one, "wall_seconds"),
        m3 / states,
        m4 / s4,
        max(&all) / 1e3,
        max(&one) / 1e3,
        max(&all) / max(&one),
    ))
}
