//! `cargo xtask serve | test | dist | bench | setup`: the project's own build tool.
//! It installs what a fresh machine lacks (each step skipped when already present),
//! keeps trunk offline with tools from PATH, and runs every test stage.

mod bench;
mod bench_conform;
mod bench_page;
mod bench_trace;
mod fresh;
mod mutants;
mod setup;
mod util;

use std::process::ExitCode;
use std::time::Instant;
use util::{root, run, run_tee, sh, Tally};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  serve [--port N]   install what is missing, build, serve the app on http://127.0.0.1:8080
  test               every test: fmt, clippy, native tests, wasm tests in Chromium, end-to-end
  dist               release build into dist/
  bench [steps] [checker] [trace] [conform] [page]  benchmarks (all, or the named sections), written to BENCHMARKS.md
  fuzz [--seconds N] [--seed N] [--only trace|model|stepper]
                     fuzz the trace readers, the model compiler and runner, and the
                     stepper's actions (default 60 s each)
  fresh-serve        only the test command's check of the README's serve command on a fresh clone
  mutants [--sample N] [--minutes M] [--group NAME]  mutation testing (cargo-mutants), score in docs/mutants.md
  setup [--browser]  only install what is missing";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::all(args.iter().any(|a| a == "--browser")),
        Some("serve") => serve(&args[1..]),
        Some("dist") => setup::all(false).and_then(|_| dist()),
        Some("test") => test(),
        Some("bench") => bench::run(&args[1..]),
        Some("fuzz") => fuzz(&args[1..]),
        Some("fresh-serve") => setup::all(false).and_then(|_| fresh::check()),
        Some("mutants") => mutants::run_mutants(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown or missing command\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: &[String]) -> Result<(), String> {
    let port = match args {
        [] => "8080".to_string(),
        [flag, p] if flag == "--port" && p.parse::<u16>().is_ok() => p.clone(),
        _ => return Err("serve takes only `--port N`".into()),
    };
    setup::all(false)?;
    let dist = root().join("target/serve-dist");
    println!("serving a release build on http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    // Release: a lecture wants the fast build (the trace parser and the checker at full
    // speed, a wasm a quarter of the debug size); `cargo xtask test` builds the same
    // profile, so a machine that has run the tests serves at once.
    run(sh("trunk").args(["serve", "--release", "--disable-address-lookup", "--port", &port, "--dist"]).arg(&dist))
}

/// Every fuzzer, each for `seconds`: the trace readers, the model compiler and runner (the
/// `sdlab` CLI's `fuzz-trace` and `fuzz-model`), and the stepper's actions (`sdlab-lab`'s
/// random walk). A debug build on purpose: overflow checks turn silent wrap-arounds into
/// findings, and only an unwinding build can catch a panic and keep its input.
fn fuzz(args: &[String]) -> Result<(), String> {
    let (mut seconds, mut seed, mut only) = (60u64, None::<u64>, None::<String>);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--seconds", Some(n)) if n.parse::<u64>().is_ok() => seconds = n.parse().unwrap_or(60),
            ("--seed", Some(n)) if n.parse::<u64>().is_ok() => seed = n.parse().ok(),
            ("--only", Some(w)) if FUZZERS.contains(&w.as_str()) => only = Some(w.clone()),
            _ => return Err(format!("fuzz takes `--seconds N`, `--seed N` and `--only {}`", FUZZERS.join("|"))),
        }
    }
    fuzz_for(seconds, seed, only.as_deref())
}

const FUZZERS: [&str; 3] = ["trace", "model", "stepper"];

fn fuzz_for(seconds: u64, seed: Option<u64>, only: Option<&str>) -> Result<(), String> {
    let wanted = |name: &str| only.is_none_or(|o| o == name);
    let out = bench_trace::target_dir().join("fuzz");
    let mut extra = vec!["--seconds".to_string(), seconds.to_string()];
    if let Some(s) = seed {
        extra.extend(["--seed".to_string(), s.to_string()]);
    }
    if wanted("trace") || wanted("model") {
        run(sh("cargo").args(["build", "--quiet", "-p", "sdlab-cli"]))?;
    }
    let sdlab = bench_trace::target_dir().join("debug/sdlab");
    if wanted("trace") {
        let mut c = sh(&sdlab.to_string_lossy());
        c.args(["fuzz-trace", "--corpus", "traces", "--corpus", "crates/trace/test_data", "--out"])
            .arg(out.join("trace"))
            .args(&extra);
        run(&mut c).map_err(|e| format!("{e}: failing inputs are in {}", out.join("trace").display()))?;
    }
    if wanted("model") {
        let mut c = sh(&sdlab.to_string_lossy());
        c.args(["fuzz-model", "--out"]).arg(out.join("model")).args(&extra);
        run(&mut c).map_err(|e| format!("{e}: failing inputs are in {}", out.join("model").display()))?;
    }
    if wanted("stepper") {
        let mut c = sh("cargo");
        c.args(["test", "-p", "sdlab-lab", "--test", "walk", "--", "--nocapture"])
            .env("SDLAB_WALK_SECONDS", seconds.to_string());
        run(&mut c).map_err(|e| format!("{e}: the failing walk is in target/fuzz-stepper/"))?;
    }
    Ok(())
}

fn dist() -> Result<(), String> {
    run(sh("trunk").args(["build", "--release"]))
}

type Stage = Box<dyn Fn(&mut Tally) -> Result<(), String>>;

fn test() -> Result<(), String> {
    setup::all(true)?;
    let mut tally = Tally::default();
    let started = Instant::now();
    let stages: Vec<(&str, Stage)> = vec![
        ("format", Box::new(|_| run(sh("cargo").args(["fmt", "--all", "--", "--check"])))),
        (
            "clippy",
            Box::new(|_| {
                run(sh("cargo").args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
                run(sh("cargo").args([
                    "clippy",
                    "-p",
                    "sdlab-app",
                    "--target",
                    "wasm32-unknown-unknown",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ]))
            }),
        ),
        ("native tests", Box::new(|t| run_tee(sh("cargo").args(["test", "--workspace", "--exclude", "sdlab-app"]), t))),
        ("fuzzers, 20 s each", Box::new(|_| fuzz_for(20, None, None))),
        (
            "mutation sample (cargo-mutants, 2 mutants a crate, at most 6 minutes)",
            Box::new(|_| mutants::run_mutants(&["--sample".into(), "2".into(), "--minutes".into(), "6".into()])),
        ),
        (
            "wasm tests in headless Chromium",
            Box::new(|t| {
                if !root().join("crates/app/tests/web.rs").exists() {
                    println!("skipped: crates/app/tests/web.rs does not exist yet");
                    return Ok(());
                }
                run_tee(
                    sh("cargo")
                        .args(["test", "--target", "wasm32-unknown-unknown", "-p", "sdlab-app", "--test", "web"])
                        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
                        .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
                        .env("WASM_BINDGEN_TEST_DRIVER_TIMEOUT", "30"),
                    t,
                )
            }),
        ),
        ("the README's serve command on a fresh clone", Box::new(|_| fresh::check())),
        ("release build", Box::new(|_| dist())),
        ("end-to-end in headless Chromium", Box::new(|t| run_tee(sh("node").arg(root().join("web/e2e/run.mjs")), t))),
    ];
    let mut times = Vec::new();
    for (name, stage) in stages {
        let t0 = Instant::now();
        println!("\n=== {name}");
        let result = stage(&mut tally);
        let secs = t0.elapsed().as_secs_f64();
        times.push(format!("{name} {secs:.1}s"));
        if let Err(e) = result {
            println!("=== {name}: FAILED after {secs:.1}s");
            println!("stage times so far = {}", times.join(", "));
            println!("{} passed, {} failed", tally.passed, tally.failed.max(1));
            return Err(format!("stage `{name}` failed: {e}"));
        }
        println!("=== {name}: ok in {secs:.1}s");
    }
    println!("\nall stages passed in {:.0}s = {}", started.elapsed().as_secs_f64(), times.join(", "));
    println!("{} passed, {} failed", tally.passed, tally.failed);
    if tally.failed > 0 || tally.passed == 0 {
        return Err("tests failed or none ran".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// trunk watches what Trunk.toml's `[watch] watch` lists. Every entry must be in a fresh
    /// clone (trunk refuses a missing one), and none may hold build output: a watched
    /// target/ overflows inotify during trunk's own build, and trunk 0.21.14 then panics.
    #[test]
    fn trunk_watches_tracked_sources_only() {
        let toml = std::fs::read_to_string(crate::util::root().join("Trunk.toml")).unwrap();
        let table = toml.split("[watch]").nth(1).expect("Trunk.toml has a [watch] table");
        let line = table.lines().find(|l| l.trim_start().starts_with("watch")).expect("[watch] lists what to watch");
        let paths: Vec<&str> = line
            .split('[')
            .nth(1)
            .unwrap()
            .trim_end_matches(']')
            .split(',')
            .map(|p| p.trim().trim_matches('"'))
            .collect();
        assert!(paths.contains(&"crates") && paths.contains(&"index.html"), "{paths:?}");
        let out = std::process::Command::new("git")
            .args(["ls-files", "--"])
            .args(&paths)
            .current_dir(crate::util::root())
            .output()
            .unwrap();
        let tracked = String::from_utf8(out.stdout).unwrap();
        for p in &paths {
            assert!(tracked.lines().any(|f| f == *p || f.starts_with(&format!("{p}/"))), "{p} is not in a clone");
            assert!(!["target", "dist", "web/node_modules", "."].contains(p), "{p} holds build output");
        }
    }
}
