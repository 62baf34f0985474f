//! `cargo xtask serve | test | dist | bench | setup`: the project's own build tool.
//! It installs what a fresh machine lacks (each step skipped when already present),
//! keeps trunk offline with tools from PATH, and runs every test stage.

mod bench;
mod bench_trace;
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
  bench [steps] [checker] [trace]  benchmarks (all, or the named sections), written to BENCHMARKS.md
  fuzz [--seconds N] [--seed N]  fuzz the trace readers, replay and exporters (default 60 s)
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
    println!("serving on http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    run(sh("trunk").args(["serve", "--disable-address-lookup", "--port", &port, "--dist"]).arg(&dist))
}

/// A debug build on purpose: overflow checks turn silent wrap-arounds into findings.
fn fuzz(args: &[String]) -> Result<(), String> {
    let mut extra: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            (flag @ ("--seconds" | "--seed"), Some(n)) if n.parse::<u64>().is_ok() => {
                extra.extend([flag.to_string(), n.clone()]);
            }
            _ => return Err("fuzz takes `--seconds N` and `--seed N`".into()),
        }
    }
    run(sh("cargo").args(["build", "--quiet", "-p", "sdlab-cli"]))?;
    let sdlab = bench_trace::target_dir().join("debug/sdlab");
    let out = bench_trace::target_dir().join("fuzz");
    let mut c = sh(&sdlab.to_string_lossy());
    c.args(["fuzz-trace", "--corpus", "traces", "--corpus", "crates/trace/test_data", "--out"]).arg(&out).args(&extra);
    run(&mut c).map_err(|e| format!("{e}: failing inputs are in {}", out.display()))
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
