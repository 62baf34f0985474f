//! `cargo xtask mutants [--sample N] [--minutes M] [--group NAME]`: mutation testing
//! with cargo-mutants (installed with `cargo install --locked` when missing) over the
//! code whose mistakes the tests must catch: the engine's machine, checker and symmetry
//! modules, the trace crate's parsers and reconstruction. Each group runs with a fast
//! subset of its crate's tests; the whole run stops at its time budget and what finished
//! is reported. The score and the surviving mutants go to `target/mutants.md` (a sample's
//! to `target/mutants-sample.md`), from which `docs/mutants.md` is curated.
//!
//! `--sample N` tests about N mutants per crate, spread over its list (cargo-mutants
//! `--shard`), for a bounded run in the test command.

use crate::util::{output, root, run, sh};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Group {
    name: &'static str,
    package: &'static str,
    files: &'static [&'static str],
    /// `cargo test` arguments after the package, in lists joined: the tests that judge
    /// this code and run in seconds (the slow integration tests stay out, or a mutant
    /// takes minutes).
    tests: &'static [&'static [&'static str]],
}

const ENGINE_TESTS: &[&str] = &[
    "--lib",
    "--test",
    "machine",
    "--test",
    "semantics",
    "--test",
    "hardware",
    "--test",
    "hostile",
    "--test",
    "pinned",
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
    "--test",
    "search_mutants",
    "--test",
    "wait",
    "--test",
    "compiled",
    "--test",
    "lang",
    "--test",
    "encoding",
];

/// The checker group also runs `tests/partitioned.rs` (4 s), the only test of the
/// breadth-first search split across workers (`search/partition.rs`).
const CHECKER_TESTS: &[&[&str]] = &[ENGINE_TESTS, &["--test", "partitioned"]];

const GROUPS: &[Group] = &[
    Group {
        name: "machine",
        package: "sdlab-engine",
        files: &[
            "crates/engine/src/machine/mod.rs",
            "crates/engine/src/machine/exec.rs",
            "crates/engine/src/machine/eval.rs",
            "crates/engine/src/machine/compiled.rs",
            "crates/engine/src/machine/state.rs",
            "crates/engine/src/machine/tso.rs",
            "crates/engine/src/machine/window.rs",
            "crates/engine/src/machine/request.rs",
            "crates/engine/src/machine/broadcast.rs",
            "crates/engine/src/machine/psc.rs",
            "crates/engine/src/machine/sched.rs",
        ],
        tests: &[ENGINE_TESTS],
    },
    Group { name: "checker", package: "sdlab-engine", files: &["crates/engine/src/search/*.rs"], tests: CHECKER_TESTS },
    Group {
        name: "symmetry",
        package: "sdlab-engine",
        files: &["crates/engine/src/machine/symmetry/*.rs"],
        tests: &[&["--lib", "--test", "symmetry", "--test", "semantics", "--test", "difffuzz"]],
    },
    Group {
        name: "trace parsers",
        package: "sdlab-trace",
        files: &[
            "crates/trace/src/reader.rs",
            "crates/trace/src/detect.rs",
            "crates/trace/src/lines.rs",
            "crates/trace/src/ftrace.rs",
            "crates/trace/src/funcgraph.rs",
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

/// The groups' test arguments, each target once: `--lib` alone, `--test NAME` as a pair.
/// (Cutting the lists into pairs of words went wrong after `--lib`, which has no value:
/// a target in one list and not in another became a test-name filter.)
fn union_of_tests<'a>(groups: &[&'a Group]) -> Vec<&'a str> {
    let mut units: Vec<&[&str]> = Vec::new();
    for g in groups {
        for mut rest in g.tests.iter().copied() {
            while let Some(first) = rest.first() {
                let n = if *first == "--test" { 2 } else { 1 };
                let (unit, tail) = rest.split_at(n.min(rest.len()));
                if !units.contains(&unit) {
                    units.push(unit);
                }
                rest = tail;
            }
        }
    }
    units.concat()
}

/// `--lib`, `--test NAME` as cargo arguments, one word each (`--test=NAME`), so that
/// cargo-mutants can hand each to cargo with its own `-C`.
fn cargo_targets(tests: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = tests.iter();
    while let Some(&a) = it.next() {
        if a == "--test" {
            if let Some(name) = it.next() {
                out.push(format!("--test={name}"));
                continue;
            }
        }
        out.push(a.to_string());
    }
    out
}

/// Whether the mutant `line` (`path:line:col: description`) is in `pattern`: a file, or
/// `dir/*.rs` for the files directly in `dir`.
fn in_pattern(line: &str, pattern: &str) -> bool {
    let path = line.split(':').next().unwrap_or("");
    match pattern.strip_suffix("*.rs") {
        Some(dir) => path.strip_prefix(dir).is_some_and(|f| !f.contains('/') && f.ends_with(".rs")),
        None => path == pattern,
    }
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
    let groups: Vec<&Group> =
        GROUPS.iter().filter(|g| only.as_ref().is_none_or(|o| g.name.starts_with(o.as_str()))).collect();
    // One cargo-mutants run per crate (one copy of the tree, one baseline build), its
    // outcomes sorted into the groups by file. The engine gets three quarters of the time.
    let mut packages: Vec<&str> = groups.iter().map(|g| g.package).collect();
    packages.dedup();
    let deadline = Instant::now() + Duration::from_secs(minutes * 60);
    let mut report = Vec::new();
    for (i, package) in packages.iter().enumerate() {
        let mine: Vec<&Group> = groups.iter().copied().filter(|g| g.package == *package).collect();
        let left = deadline.saturating_duration_since(Instant::now());
        let share = if i + 1 == packages.len() { left } else { left * 3 / 4 };
        let lines = crate_run(package, &mine, sample, share)?;
        for g in mine {
            let pick = |v: &[String]| -> Vec<String> {
                v.iter().filter(|l| g.files.iter().any(|p| in_pattern(l, p))).cloned().collect()
            };
            report.push((
                g,
                Tally {
                    listed: pick(&lines.listed).len(),
                    caught: pick(&lines.caught),
                    missed: pick(&lines.missed),
                    timeout: pick(&lines.timeout),
                    unviable: pick(&lines.unviable),
                    finished: lines.finished,
                },
            ));
        }
    }
    // Generated reports stay under target/: docs/mutants.md is curated from them, with the
    // reasons each remaining survivor is equivalent, which a new run cannot know.
    let path = match sample {
        Some(_) => root().join("target/mutants-sample.md"),
        None => root().join("target/mutants.md"),
    };
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

/// What one crate's run left: every mutant listed, and the outcome lists.
struct Lines {
    listed: Vec<String>,
    caught: Vec<String>,
    missed: Vec<String>,
    timeout: Vec<String>,
    unviable: Vec<String>,
    finished: bool,
}

fn crate_run(package: &str, groups: &[&Group], sample: Option<usize>, budget: Duration) -> Result<Lines, String> {
    let out: PathBuf = root().join("target/mutants").join(package);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut common = vec!["mutants".to_string(), "--package".into(), package.into(), "--no-shuffle".into()];
    for f in groups.iter().flat_map(|g| g.files) {
        common.push("--file".into());
        common.push((*f).into());
    }
    common.push("--output".into());
    common.push(out.display().to_string());
    let listed: Vec<String> = output(sh("cargo").args(&common).arg("--list"))
        .ok_or("cargo mutants --list failed")?
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let mut c = sh("cargo");
    c.args(&common).args(["--timeout", "120", "--build-timeout", "600"]);
    if let Some(n) = sample {
        // Shard 0 of listed/n shards: every (listed/n)-th mutant of the list.
        c.arg("--shard").arg(format!("0/{}", listed.len().div_ceil(n).max(1))).args(["--sharding", "round-robin"]);
    }
    // The targets go to cargo itself (`-C`), not after `--`: then each mutant builds only
    // the listed test targets, not every one of the crate (17 s down to 7 s a mutant on
    // the engine), and without debug information, which no outcome needs.
    for target in cargo_targets(&union_of_tests(groups)) {
        c.arg("-C").arg(target);
    }
    c.env("CARGO_PROFILE_DEV_DEBUG", "0");
    println!("mutants: {package}: {} mutants, {} s", listed.len(), budget.as_secs());
    // Its own process group, so that the builds and tests it started stop with it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    let mut child = c.spawn().map_err(|e| format!("cargo mutants: {e}"))?;
    let end = Instant::now() + budget;
    let mut interrupted: Option<Instant> = None;
    let finished = loop {
        match child.try_wait() {
            // cargo-mutants exits with 1 on a usage error and 4 when the tests fail
            // without mutation: then no outcome means anything.
            Ok(Some(st)) if interrupted.is_none() && matches!(st.code(), Some(1 | 4)) => {
                return Err(format!("cargo mutants on {package} failed ({st}), see its output above"))
            }
            Ok(Some(_)) => break interrupted.is_none(),
            Ok(None) if interrupted.is_some_and(|t| t.elapsed() > Duration::from_secs(60)) => {
                signal(child.id(), "KILL");
                let _ = child.wait();
                break false;
            }
            Ok(None) if interrupted.is_none() && Instant::now() >= end => {
                // Out of time: cargo-mutants stops on an interrupt and keeps what finished.
                println!("mutants: {package}: out of time, stopping");
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
    Ok(Lines {
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

fn render(report: &[(&Group, Tally)], sample: Option<usize>, minutes: u64) -> String {
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
    s.push_str(&by_module(report));
    for (g, t) in report {
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

/// The same counts for each file (module), in the groups' order: a group's score can
/// hide one module that nothing tests.
fn by_module(report: &[(&Group, Tally)]) -> String {
    let file = |line: &str| line.split(':').next().unwrap_or("").to_string();
    let mut rows: Vec<(String, [usize; 4])> = Vec::new();
    for (_, t) in report {
        for (k, list) in [&t.caught, &t.missed, &t.timeout, &t.unviable].into_iter().enumerate() {
            for line in list {
                let f = file(line);
                let i = match rows.iter().position(|(name, _)| *name == f) {
                    Some(i) => i,
                    None => {
                        rows.push((f, [0; 4]));
                        rows.len() - 1
                    }
                };
                rows[i].1[k] += 1;
            }
        }
    }
    let mut s = String::from(
        "\n## Score by module\n\n| module | tested | caught | missed | timeout | unviable | score |\n|---|---|---|---|---|---|---|\n",
    );
    for (f, [caught, missed, timeout, unviable]) in rows {
        let judged = caught + missed;
        let score = if judged == 0 { "–".into() } else { format!("{:.0} %", 100.0 * caught as f64 / judged as f64) };
        let tested = caught + missed + timeout + unviable;
        let _ = writeln!(s, "| `{f}` | {tested} | {caught} | {missed} | {timeout} | {unviable} | {score} |");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The engine's groups share one run: every target once, and every `--test` with
    /// its name (no name left over as a filter of test names).
    #[test]
    fn the_engine_groups_tests_are_one_list_of_targets() {
        let engine: Vec<&Group> = GROUPS.iter().filter(|g| g.package == "sdlab-engine").collect();
        let tests = union_of_tests(&engine);
        let mut targets = Vec::new();
        let mut it = tests.iter();
        while let Some(&a) = it.next() {
            match a {
                "--lib" => targets.push("lib"),
                "--test" => targets.push(it.next().copied().expect("a target after --test")),
                other => panic!("{other} is no target: {tests:?}"),
            }
        }
        let mut unique = targets.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), targets.len(), "{targets:?}");
        for t in ["lib", "pinned", "search_mutants", "wait", "partitioned", "symmetry"] {
            assert!(targets.contains(&t), "{t} missing from {targets:?}");
        }
    }

    /// Every group's file patterns name files that exist: a module that moves (the
    /// checker went from `checker.rs`, `dfs.rs`, ... to `search/`) must take its group
    /// along, or its mutants silently leave the run.
    #[test]
    fn every_group_pattern_matches_a_file() {
        for g in GROUPS {
            for pattern in g.files {
                let found = match pattern.strip_suffix("*.rs") {
                    Some(dir) => std::fs::read_dir(root().join(dir))
                        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().ends_with(".rs")))
                        .unwrap_or(false),
                    None => root().join(pattern).is_file(),
                };
                assert!(found, "group {}: `{pattern}` matches no file", g.name);
            }
        }
    }

    /// The machine's files that no group mutates, and why: a new file of the machine (the
    /// paging-structure cache came as `psc.rs`) must join a group or be named here.
    const NOT_MUTATED: &[(&str, &str)] = &[
        ("crates/engine/src/machine/describe.rs", "wording of choices and effects for people"),
        ("crates/engine/src/machine/effects.rs", "the Effect enum, data only"),
        ("crates/engine/src/machine/fault.rs", "errors and their wording"),
    ];

    #[test]
    fn every_file_of_the_machine_and_the_search_is_mutated_or_named_as_left_out() {
        for dir in ["crates/engine/src/machine", "crates/engine/src/machine/symmetry", "crates/engine/src/search"] {
            for e in std::fs::read_dir(root().join(dir)).unwrap().flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if !name.ends_with(".rs") {
                    continue;
                }
                let file = format!("{dir}/{name}");
                let line = format!("{file}:1:1: mutant");
                let mutated = GROUPS.iter().any(|g| g.files.iter().any(|p| in_pattern(&line, p)));
                let left_out = NOT_MUTATED.iter().any(|(f, _)| *f == file);
                assert!(mutated != left_out, "{file}: mutated {mutated}, named as left out {left_out}");
            }
        }
    }

    #[test]
    fn each_module_gets_its_own_row_and_score() {
        let g = &GROUPS[0];
        let t = Tally {
            caught: vec!["a.rs:1:1: x".into(), "a.rs:2:1: y".into(), "b.rs:1:1: z".into()],
            missed: vec!["a.rs:3:1: w".into(), "b.rs:2:1: v".into()],
            unviable: vec!["c.rs:1:1: u".into()],
            ..Tally::default()
        };
        let table = by_module(&[(g, t)]);
        assert!(table.contains("| `a.rs` | 3 | 2 | 1 | 0 | 0 | 67 % |"), "{table}");
        assert!(table.contains("| `b.rs` | 2 | 1 | 1 | 0 | 0 | 50 % |"), "{table}");
        assert!(table.contains("| `c.rs` | 1 | 0 | 0 | 0 | 1 | – |"), "{table}");
    }

    #[test]
    fn targets_go_to_cargo_one_word_each() {
        let t = cargo_targets(&["--lib", "--test", "machine", "--test", "pinned"]);
        assert_eq!(t, ["--lib", "--test=machine", "--test=pinned"]);
    }

    #[test]
    fn patterns_match_files_directly_in_their_directory() {
        let line = "crates/engine/src/search/dfs.rs:12:5: replace x with y";
        assert!(in_pattern(line, "crates/engine/src/search/*.rs"));
        assert!(!in_pattern(line, "crates/engine/src/*.rs"));
        assert!(in_pattern(line, "crates/engine/src/search/dfs.rs"));
        assert!(!in_pattern(line, "crates/engine/src/search/bfs.rs"));
    }
}
