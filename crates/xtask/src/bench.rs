//! `cargo xtask bench`: measures, then rewrites its own section of BENCHMARKS.md (between
//! `<!-- bench:NAME:begin -->` and `<!-- bench:NAME:end -->`), leaving the rest alone.

use crate::setup;
use crate::util::{output, root, sh};

const STEPS_NATIVE: &str = "20000000";
const STEPS_WASM: &str = "5000000";

pub fn run() -> Result<(), String> {
    setup::all(true)?;
    let section = steps()?;
    write_section("steps", &section)?;
    println!("BENCHMARKS.md updated");
    Ok(())
}

/// Value of a numeric field in a one-line JSON object (enough for our own output).
fn field(json: &str, key: &str) -> Option<f64> {
    let at = json.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = json[at..].trim_start();
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

fn last_json_line(out: &str) -> Option<String> {
    out.lines().rev().find(|l| l.trim_start().starts_with('{')).map(str::to_string)
}

fn steps() -> Result<String, String> {
    println!("bench: native engine steps/s ({STEPS_NATIVE} steps, opt-level 3)");
    let native = output(sh("cargo").args([
        "run",
        "--quiet",
        "--profile",
        "bench",
        "-p",
        "sdlab-cli",
        "--",
        "bench-steps",
        "--cpus",
        "4",
        "--steps",
        STEPS_NATIVE,
        "--json",
    ]))
    .and_then(|o| last_json_line(&o))
    .ok_or("native bench-steps failed")?;
    println!("{native}");
    println!("bench: wasm engine steps/s in headless Chromium ({STEPS_WASM} steps)");
    crate::util::run(sh("trunk").args(["build", "--release"]))?;
    let wasm = output(
        sh("node")
            .arg(root().join("web/e2e/bench.mjs"))
            .arg(format!("bench=steps&cpus=4&steps={STEPS_WASM}&scenario=crossfire&seed=0")),
    )
    .and_then(|o| last_json_line(&o))
    .ok_or("wasm bench in Chromium failed")?;
    println!("{wasm}");
    let n = field(&native, "steps_per_sec").ok_or("no steps_per_sec in native output")?;
    let w = field(&wasm, "steps_per_sec").ok_or("no steps_per_sec in wasm output")?;
    let m = |x: f64| format!("{:.2} M", x / 1e6);
    Ok(format!(
        "## Engine steps per second\n\n\
         Workload: `sdlab_engine::bench::random_steps`, the FreeBSD scoreboard model, scenario `crossfire`, 4 CPUs, \
         seeded random schedule (restarting when a run ends). Native: `sdlab bench-steps` built with opt-level 3; \
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
    let rustc = output(sh("rustc").arg("--version")).unwrap_or_default();
    let chromium = output(sh("chromium").arg("--version")).unwrap_or_default();
    format!(
        "Measured {} on {} ({cores} cores, {mem}), {}; {}; {}.",
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
    let (begin, end) = (format!("<!-- bench:{name}:begin -->"), format!("<!-- bench:{name}:end -->"));
    let block = format!("{begin}\n{body}{end}");
    let new = match (old.find(&begin), old.find(&end)) {
        (Some(a), Some(b)) if b > a => format!("{}{block}{}", &old[..a], &old[b + end.len()..]),
        _ => format!("{}\n{block}\n", old.trim_end()),
    };
    std::fs::write(&path, new).map_err(|e| format!("BENCHMARKS.md: {e}"))
}
