//! `cargo xtask mutants [--sample N] [--minutes M] [--group NAME]`: mutation testing
//! with cargo-mutants (installed with `cargo install --locked` when missing) over the
//! code whose mistakes the tests must catch: the engine's machine, checker and symmetry
//! modules, the trace crate's parsers and reconstruction. Each group runs with a fast
//! subset of its crate's tests; the whole run stops at its time budget and what finished
//! is reported. The score and the surviving mutants go to `docs/mutants.md`.
//!
//! `--sample N` tests N mutants per group, spread over the group's list (cargo-mutants
//! `--shard`), for a bounded run in the test command.

use crate::util::{output, root, run, sh};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Group {
    name: &'static str,
    package: &'static str,
    files: &'static [&'static str],
    /// `cargo test` arguments after the package: the tests that judge this code and run
    /// in seconds (the slow integration tests stay out, or a mutant takes minutes).
    tests: &'static [&'static str],
}

const ENGINE_TESTS: &[&str] = &[
    "--lib",
    "--test",
    "machine",
    "--test",
    "semantics",
    "--test",
    "props",
    "--test",
    "tso",
    "--test",
    "por",
    "--test",
    "same_depth",
    "--test",
    "checker",
    "--test",
    "difffuzz",
];

const GROUPS: &[Group] = &[
    Group {
        name: "machine",
        package: "sdlab-engine",
        files: &[
            "crates/engine/src/machine/mod.rs",
            "crates/engine/src/machine/exec.rs",
            "crates/engine/src/machine/state.rs",
            "crates/engine/src/machine/tso.rs",
            "crates/engine/src/machine/window.rs",
            "crates/engine/src/machine/request.rs",
            "crates/engine/src/machine/broadcast.rs",
        ],
        tests: ENGINE_TESTS,
    },
    Group {
        name: "checker",
        package: "sdlab-engine",
        files: &[
            "crates/engine/src/checker.rs",
            "crates/engine/src/dfs.rs",
            "crates/engine/src/canon.rs",
            "crates/engine/src/level.rs",
            "crates/engine/src/fpset.rs",
        ],
        tests: ENGINE_TESTS,
    },
    Group {
        name: "symmetry",
        package: "sdlab-engine",
        files: &["crates/engine/src/machine/symmetry/*.rs"],
        tests: &["--test", "symmetry", "--test", "semantics", "--test", "difffuzz"],
    },
    Group {
        name: "trace parsers",
        package: "sdlab-trace",
        files: &[
            "crates/trace/src/reader.rs",
            "crates/trace/src/detect.rs",
            "crates/trace/src/lines.rs",
            "crates/trace/src/ftrace.rs",
            "crates/trace/src/ktr_freebsd.rs",
            "crates/trace/src/ktr_dragonfly.rs",
        ],
        tests: &[],
    },
    Group {
        name: "trace reconstruction",
        package: "sdlab-trace",
        files: &["crates/trace/src/replay/*.rs"],
        tests: &[],
    },
];

/// Outcomes of one group, from cargo-mutants' `mutants.out` lists.
#[derive(Default)]
struct Tally {
    listed: usize,
    caught: Vec<String>,
    missed: Vec<String>,
    timeout: Vec<String>,
    unviable: Vec<String>,
    finished: bool,
}

pub fn run_mutants(args: &[String]) -> Result<(), String> {
    let mut sample = None;
    let mut minutes = 15u64;
    let mut only = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--sample", Some(n)) if n.parse::<usize>().is_ok_and(|n| n > 0) => sample = n.parse().ok(),
            ("--minutes", Some(n)) if n.parse::<u64>().is_ok_and(|n| n > 0) => minutes = n.parse().unwrap_or(15),
            ("--group", Some(g)) => only = Some(g.clone()),
            _ => return Err("mutants takes `--sample N`, `--minutes M` and `--group NAME`".into()),
        }
    }
    install()?;
    let deadline = Instant::now() + Duration::from_secs(minutes * 60);
    let mut report = Vec::new();
    let groups: Vec<&Group> =
        GROUPS.iter().filter(|g| only.as_ref().is_none_or(|o| g.name.starts_with(o.as_str()))).collect();
    for (i, g) in groups.iter().enumerate() {
        // An equal share of what is left, so that every group gets a score.
        let left = deadline.saturating_duration_since(Instant::now()) / (groups.len() - i) as u32;
        if left < Duration::from_secs(30) {
            report.push((*g, None));
            continue;
        }
        report.push((*g, Some(group(g, sample, left)?)));
    }
    let path = root().join("docs/mutants.md");
    std::fs::write(&path, render(&report, sample, minutes)).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("mutants: wrote {}", path.display());
    Ok(())
}

fn install() -> Result<(), String> {
    if output(sh("cargo").args(["mutants", "--version"])).is_some() {
        return Ok(());
    }
    println!("mutants: installing cargo-mutants (a few minutes, once)");
    run(sh("cargo").args(["install", "--locked", "cargo-mutants"]))
}

fn common(g: &Group, out: &Path) -> Vec<String> {
    let mut a = vec!["mutants".to_string(), "--package".into(), g.package.into(), "--no-shuffle".into()];
    for f in g.files {
        a.push("--file".into());
        a.push((*f).into());
    }
    a.push("--output".into());
    a.push(out.display().to_string());
    a
}

fn group(g: &Group, sample: Option<usize>, budget: Duration) -> Result<Tally, String> {
    let out: PathBuf = root().join("target/mutants").join(g.name.replace(' ', "-"));
    let mut list = sh("cargo");
    list.args(common(g, &out)).arg("--list");
    let listed = output(&mut list).ok_or("cargo mutants --list failed")?.lines().filter(|l| !l.is_empty()).count();
    let mut c = sh("cargo");
    c.args(common(g, &out)).args(["--timeout", "120", "--build-timeout", "600"]);
    if let Some(n) = sample {
        // Shard 0 of listed/n shards: every (listed/n)-th mutant of the list.
        c.arg("--shard").arg(format!("0/{}", listed.div_ceil(n).max(1)));
    }
    if !g.tests.is_empty() {
        c.arg("--").args(g.tests);
    }
    println!("mutants: {}: {listed} mutants, {} s left", g.name, budget.as_secs());
    // Its own process group, so that the builds and tests it started stop with it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    let mut child = c.spawn().map_err(|e| format!("cargo mutants: {e}"))?;
    let end = Instant::now() + budget;
    let mut interrupted: Option<Instant> = None;
    let finished = loop {
        match child.try_wait() {
            Ok(Some(_)) => break interrupted.is_none(),
            Ok(None) if interrupted.is_some_and(|t| t.elapsed() > Duration::from_secs(60)) => {
                signal(child.id(), "KILL");
                let _ = child.wait();
                break false;
            }
            Ok(None) if interrupted.is_none() && Instant::now() >= end => {
                // Out of time: cargo-mutants stops on an interrupt and keeps what finished.
                println!("mutants: {}: out of time, stopping", g.name);
                signal(child.id(), "INT");
                interrupted = Some(Instant::now());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(500)),
            Err(e) => return Err(format!("cargo mutants: {e}")),
        }
    };
    let read = |name: &str| -> Vec<String> {
        std::fs::read_to_string(out.join("mutants.out").join(name))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    Ok(Tally {
        listed,
        caught: read("caught.txt"),
        missed: read("missed.txt"),
        timeout: read("timeout.txt"),
        unviable: read("unviable.txt"),
        finished,
    })
}

/// Send `sig` to the process group led by `pid`.
fn signal(pid: u32, sig: &str) {
    let _ = output(sh("kill").arg(format!("-{sig}")).arg("--").arg(format!("-{pid}")));
}

fn render(report: &[(&Group, Option<Tally>)], sample: Option<usize>, minutes: u64) -> String {
    let mut s = String::from("# Mutation testing\n\n");
    let _ = writeln!(
        s,
        "Written by `cargo xtask mutants{}` (cargo-mutants, a budget of {minutes} min). Score = caught / \
         (caught + missed); a mutant whose tests time out is listed apart, \
         not scored; unviable mutants do not build. Each group runs the tests listed, not the whole suite.\n",
        sample.map(|n| format!(" --sample {n}")).unwrap_or_default()
    );
    s.push_str("| group | mutants | tested | caught | missed | timeout | unviable | score |\n|---|---|---|---|---|---|---|---|\n");
    for (g, t) in report {
        let Some(t) = t else {
            let _ = writeln!(s, "| {} | | not run (out of time) | | | | | |", g.name);
            continue;
        };
        let tested = t.caught.len() + t.missed.len() + t.timeout.len() + t.unviable.len();
        let judged = t.caught.len() + t.missed.len();
        let score =
            if judged == 0 { "–".into() } else { format!("{:.0} %", 100.0 * t.caught.len() as f64 / judged as f64) };
        let _ = writeln!(
            s,
            "| {} | {} | {tested}{} | {} | {} | {} | {} | {score} |",
            g.name,
            t.listed,
            if t.finished { "" } else { " (stopped at the budget)" },
            t.caught.len(),
            t.missed.len(),
            t.timeout.len(),
            t.unviable.len()
        );
    }
    for (g, t) in report {
        let Some(t) = t else { continue };
        if t.missed.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n## Surviving mutants: {}\n", g.name);
        for m in &t.missed {
            let _ = writeln!(s, "- `{m}`");
        }
    }
    s
}
