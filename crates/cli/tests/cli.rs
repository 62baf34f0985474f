//! End-to-end tests of the `sdlab` binary: exit codes, JSON shapes, replay.

use sdlab_engine::{compile, models, schedule, Choice, Config, Machine, Property, Session};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

const MODEL: &str = "freebsd-scoreboard";

fn sdlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sdlab")).args(args).output().expect("the sdlab binary runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(o)))
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("sdlab-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("write temp file");
    path
}

fn path_str(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[test]
fn models_lists_the_bundled_model() {
    let o = sdlab(&["models", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    let m = v["models"].as_array().expect("models array").iter().find(|m| m["id"] == MODEL).expect("bundled model");
    assert_eq!(m["cpus"]["min"], 2);
    assert_eq!(m["cpus"]["default"], 3);
    let opts = m["options"].as_array().expect("options");
    for name in ["rescan", "initiator_if", "hw_irr_latch"] {
        let o = opts.iter().find(|o| o["name"] == name).unwrap_or_else(|| panic!("option {name}"));
        assert_eq!(o["type"], "bool");
        assert_eq!(o["default"], true);
        assert!(!o["doc"].as_str().expect("doc").is_empty());
    }
    assert_eq!(opts.iter().find(|o| o["name"] == "hw_nmi").expect("hw_nmi")["type"], "int");
    let scen = m["scenarios"].as_array().expect("scenarios");
    for name in ["unmap_free", "crossfire"] {
        let s = scen.iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("scenario {name}"));
        assert!(s["min_cpus"].as_u64().is_some());
    }

    let o = sdlab(&["models"]);
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    for word in [MODEL, "rescan", "initiator_if", "hw_irr_latch", "unmap_free", "crossfire", "2..8, default 3"] {
        assert!(text.contains(word), "`{word}` missing from:\n{text}");
    }
}

#[test]
fn default_runs_are_clean() {
    for seed in 0..8 {
        let s = seed.to_string();
        let o = sdlab(&["run", MODEL, "--json", "--seed", &s]);
        assert_eq!(code(&o), 0, "seed {seed}: {}{}", stdout(&o), stderr(&o));
        let v = json(&o);
        assert_eq!(v["model"], MODEL);
        assert_eq!(v["cpus"], 3);
        assert_eq!(v["scenario"], "unmap_free");
        assert_eq!(v["options"]["rescan"], true);
        assert_eq!(v["options"]["hw_nmi"], 0);
        assert_eq!(v["seed"], seed);
        assert!(v["violation"].is_null());
        assert_eq!(v["deadlock"], false);
        assert!(v["stuck"].is_null());
        assert_eq!(v["finished"], true);
        let steps = v["steps"].as_u64().expect("steps");
        // Every finished run of unmap_free on 3 CPUs takes 52 steps, whatever the
        // interleaving (a CPU spinning on a condition that holds has no step,
        // `Machine::spinning`): pinned.rs's breadth-first search
        // of the same configuration ends at depth 52.
        assert_eq!(steps, 52, "seed {seed}");
        assert_eq!(schedule::parse(v["schedule"].as_str().expect("schedule")).expect("parses").len() as u64, steps);
    }
    // The plain output numbers the steps and ends with a summary.
    let o = sdlab(&["run", MODEL, "--scenario", "crossfire", "--cpus", "4"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.lines().any(|l| l.starts_with("   1  CPU ")), "{text}");
    assert!(text.lines().last().is_some_and(|l| l.starts_with("result: ok")), "{text}");
}

/// Both initiators of `crossfire` reach I12 with interrupts disabled and spin: a
/// deadlock. Found with the engine API, then handed to the CLI as a file.
fn deadlock_schedule() -> String {
    let (p, d) = compile(models::find(MODEL).expect("bundled").source);
    assert!(d.is_empty(), "{d:?}");
    let p = Arc::new(p.expect("compiles"));
    let mut cfg = Config::new(&p);
    cfg.ncpu = 2;
    cfg.scenario = p.scenario_index("crossfire").expect("scenario");
    cfg.set(&p, "initiator_if", "false").expect("option");
    let mut s = Session::new(Machine::new(p, cfg).expect("machine"));
    for (cpu, mark) in [(0, Some("I12")), (1, Some("I12")), (0, None), (1, None)] {
        for _ in 0..500 {
            if !s.enabled().contains(&Choice::Step(cpu)) {
                assert!(mark.is_none(), "CPU {cpu} blocked before {mark:?}");
                break;
            }
            let e = s.step(Choice::Step(cpu)).expect("enabled step");
            if mark.is_some_and(|m| e.narration.as_deref().is_some_and(|n| n.contains(m))) {
                break;
            }
        }
    }
    assert!(s.enabled().is_empty());
    assert_eq!(s.stuck().expect("stuck").property, Property::Deadlock);
    schedule::format(&s.schedule())
}

#[test]
fn a_replayed_deadlock_exits_1() {
    let sched = deadlock_schedule();
    let file = temp_file("deadlock.txt", &sched);
    let base = ["run", MODEL, "--scenario", "crossfire", "--cpus", "2", "--set", "initiator_if=false", "--schedule"];
    let mut args = base.to_vec();
    args.extend([path_str(&file), "--json"]);
    let o = sdlab(&args);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["deadlock"], true);
    assert_eq!(v["stuck"]["property"], "G-DEADLOCK");
    assert!(v["stuck"]["message"].as_str().expect("message").contains("interrupts disabled"));
    assert!(v["violation"].is_null());
    assert_eq!(v["finished"], false);
    assert_eq!(v["options"]["initiator_if"], false);
    assert_eq!(v["schedule"], sched.as_str());

    // Plain output says so too, and gives the schedule to replay.
    let o = sdlab(&args[..args.len() - 1]);
    assert_eq!(code(&o), 1);
    let text = stdout(&o);
    assert!(text.contains("DEADLOCK G-DEADLOCK"), "{text}");
    assert!(text.contains(&format!("schedule: {sched}")), "{text}");
}

#[test]
fn a_violation_exits_1() {
    // The bundled model with the D2 check turned around: the first zeroing breaks it.
    let src = models::find(MODEL).expect("bundled").source;
    let broken = src.replace("assert(scoreboard[t][self] != 0,", "assert(scoreboard[t][self] == 0,");
    assert_ne!(broken, src);
    let file = temp_file("broken.sdm", &broken);
    let o = sdlab(&["run", path_str(&file), "--json"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let viol = &v["violation"];
    assert_eq!(viol["property"], "assert");
    assert_eq!(viol["cpu"], 0);
    assert_eq!(viol["step"], v["steps"]);
    assert!(viol["message"].as_str().expect("message").contains("D2"));
    let o = sdlab(&["run", path_str(&file)]);
    assert_eq!(code(&o), 1);
    let text = stdout(&o);
    assert!(text.contains(&format!("VIOLATION assert at step {} (CPU 0): ", v["steps"])), "{text}");
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let o = sdlab(&["run", MODEL, "--set", "no_such_option=1"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no_such_option"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());

    let o = sdlab(&["run", MODEL, "--set", "rescan=7"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("rescan"), "{}", stderr(&o));

    let o = sdlab(&["run", MODEL, "--set", "rescan"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("NAME=VALUE"), "{}", stderr(&o));

    let o = sdlab(&["run", "no-such-model"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no-such-model") && stderr(&o).contains(MODEL), "{}", stderr(&o));

    for cpus in ["0", "1", "9", "40"] {
        let o = sdlab(&["run", MODEL, "--cpus", cpus]);
        assert_eq!(code(&o), 2, "--cpus {cpus}");
        assert!(stderr(&o).contains("2 to 8 CPUs"), "{}", stderr(&o));
    }
    let o = sdlab(&["run", MODEL, "--cpus", "many"]);
    assert_eq!(code(&o), 2);

    let o = sdlab(&["run", MODEL, "--scenario", "nope"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("nope") && stderr(&o).contains("crossfire"), "{}", stderr(&o));

    let bad = temp_file("bad-schedule.txt", "0 1 zz");
    let o = sdlab(&["run", MODEL, "--schedule", path_str(&bad)]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("schedule item 3"), "{}", stderr(&o));

    // A step the machine cannot take is an error, located at its schedule position.
    let bad = temp_file("impossible-schedule.txt", "0 7");
    let o = sdlab(&["run", MODEL, "--schedule", path_str(&bad), "--json"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("schedule step 2"), "{}", stderr(&o));
    assert_eq!(json(&o)["fault"]["step"], 2);
}

#[test]
fn a_syntax_error_is_located() {
    let file = temp_file("syntax.sdm", "model \"x\";\ncpus 2..4 default 2;\nproc p() { local a = ; }\n");
    let o = sdlab(&["run", path_str(&file)]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    let prefix = format!("{}:3:", path_str(&file));
    let line = err.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no `{prefix}col:` in:\n{err}"));
    let col = line[prefix.len()..].split(':').next().expect("column");
    assert!(col.parse::<u32>().is_ok(), "{line}");
    assert!(o.stdout.is_empty());
}

#[test]
fn a_printed_schedule_replays() {
    for (scenario, seed) in [("unmap_free", "4"), ("crossfire", "11")] {
        let o = sdlab(&["run", MODEL, "--scenario", scenario, "--cpus", "4", "--seed", seed, "--json"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let first = json(&o);
        // The whole JSON report is a valid schedule file …
        let report = temp_file(&format!("report-{scenario}.json"), &stdout(&o));
        // … and so is its schedule alone as text.
        let text = temp_file(&format!("schedule-{scenario}.txt"), first["schedule"].as_str().expect("schedule"));
        for file in [&report, &text] {
            let o =
                sdlab(&["run", MODEL, "--scenario", scenario, "--cpus", "4", "--schedule", path_str(file), "--json"]);
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            let again = json(&o);
            assert_eq!(again["steps"], first["steps"]);
            assert_eq!(again["schedule"], first["schedule"]);
            assert_eq!(again["finished"], true);
            assert!(again["seed"].is_null());
        }
    }
    // A counterexample field holding an array also replays.
    let cx = temp_file("counterexample.json", r#"{"counterexample": ["0", 0, "0"]}"#);
    let o = sdlab(&["run", MODEL, "--schedule", path_str(&cx), "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["steps"], 3);
}

#[test]
fn step_limit_stops_the_run() {
    let o = sdlab(&["run", MODEL, "--steps", "5", "--json"]);
    assert_eq!(code(&o), 0);
    let v = json(&o);
    assert_eq!(v["steps"], 5);
    assert_eq!(v["finished"], false);
    assert_eq!(v["stopped"], "step_limit");
}

#[test]
fn bench_steps_reports_throughput() {
    let o = sdlab(&["bench-steps", "--steps", "100000", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["model"], MODEL);
    assert_eq!(v["cpus"], 4);
    assert_eq!(v["scenario"], "crossfire");
    assert_eq!(v["steps"], 100000);
    assert!(v["seconds"].as_f64().expect("seconds") > 0.0);
    assert!(v["steps_per_sec"].as_f64().expect("steps_per_sec") > 0.0);
    assert!(v["runs"].as_u64().expect("runs") > 1, "the loop restarts finished runs");
    assert_eq!(v["violations"], 0);
}

#[test]
fn help_for_every_subcommand() {
    for sub in ["models", "run", "bench-steps"] {
        let o = sdlab(&[sub, "--help"]);
        assert_eq!(code(&o), 0);
        assert!(stdout(&o).contains("Usage: sdlab"), "{}", stdout(&o));
    }
    assert_eq!(code(&sdlab(&[])), 2);
    assert_eq!(code(&sdlab(&["frobnicate"])), 2);
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sdlab"))
        .args(["run", MODEL, "--cpus", "8", "--steps", "20000", "--scenario", "crossfire"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

#[test]
fn check_verifies_the_correct_scoreboard() {
    let o = sdlab(&["check", "freebsd-scoreboard", "--cpus", "2", "--scenario", "crossfire", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let j = json(&o);
    assert_eq!(j["verdict"], "verified");
    // pinned.rs: freebsd-scoreboard crossfire, 2 CPUs, breadth-first: 3 224 states,
    // 12 288 transitions (with the liveness pass), depth 59.
    assert_eq!(
        (&j["states"], &j["transitions"], &j["depth"]),
        (&serde_json::json!(3224), &serde_json::json!(12288), &serde_json::json!(59))
    );
    assert!(j["seconds"].as_f64().is_some());
    assert!(j["counterexample"].is_null());
    let o = sdlab(&["check", "freebsd-scoreboard", "--cpus", "2"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("Verified: no violation in"), "{}", stdout(&o));
}

#[test]
fn check_preemptions_bounds_the_search_and_the_verdict_says_so() {
    // arm64-tlbi's R355427 at 2 CPUs takes one preemption (tests/sched.rs).
    let o = sdlab(&["check", "arm64-tlbi", "--preemptions", "0"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("Verified with up to 0 preemptions: no violation in 253 states"), "{}", stdout(&o));
    let o = sdlab(&["check", "arm64-tlbi", "--preemptions", "1"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).contains("states explored in"), "{}", stdout(&o));
    assert!(stdout(&o).contains(", with up to 1 preemption):"), "{}", stdout(&o));
    let j = json(&sdlab(&["check", "arm64-tlbi", "--preemptions", "1", "--json"]));
    assert_eq!(
        (&j["preemptions"], &j["scheduler"]),
        (&serde_json::json!(1), &serde_json::json!("with up to 1 preemption"))
    );
    let o = sdlab(&["check", "arm64-tlbi"]);
    assert!(stdout(&o).contains(", with any number of preemptions):"), "{}", stdout(&o));
    // A model without threads never switches: its verdict says nothing of preemptions.
    let o = sdlab(&["check", "freebsd-scoreboard", "--cpus", "2", "--preemptions", "1"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("Verified: no violation in") && !stdout(&o).contains("preemption"), "{}", stdout(&o));
    let o = sdlab(&["check", "arm64-tlbi", "--preemptions", "300"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("300"), "{}", stderr(&o));
}

#[test]
fn check_finds_the_e4_deadlock_and_it_replays() {
    let o = sdlab(&[
        "check",
        "freebsd-scoreboard",
        "--cpus",
        "2",
        "--scenario",
        "crossfire",
        "--set",
        "initiator_if=false",
        "--json",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let j = json(&o);
    assert_eq!(j["verdict"], "violation");
    assert_eq!(j["property"], "G-DEADLOCK");
    let len = j["length"].as_u64().unwrap();
    let cex = j["counterexample"].as_str().unwrap().to_string();
    assert_eq!(cex.split_whitespace().count() as u64, len);
    // The JSON report itself is a schedule file for `sdlab run`.
    let file = temp_file("e4.json", &stdout(&o));
    let r = sdlab(&[
        "run",
        "freebsd-scoreboard",
        "--cpus",
        "2",
        "--scenario",
        "crossfire",
        "--set",
        "initiator_if=false",
        "--schedule",
        path_str(&file),
        "--json",
    ]);
    assert_eq!(code(&r), 1);
    let rj = json(&r);
    assert_eq!(rj["deadlock"], true);
    assert_eq!(rj["steps"].as_u64().unwrap(), len);
    // The plain report reads as numbered steps with CPU, line and what happened.
    let o = sdlab(&[
        "check",
        "freebsd-scoreboard",
        "--cpus",
        "2",
        "--scenario",
        "crossfire",
        "--set",
        "initiator_if=false",
    ]);
    let text = stdout(&o);
    assert!(text.contains("Found violation G-DEADLOCK in"), "{text}");
    assert!(text.lines().any(|l| l.trim_start().starts_with("1  CPU ") && l.contains(" L")), "{text}");
}

#[test]
fn check_finds_e1_and_e2() {
    let o = sdlab(&[
        "check",
        "freebsd-scoreboard",
        "--cpus",
        "3",
        "--scenario",
        "crossfire",
        "--set",
        "rescan=false",
        "--json",
    ]);
    assert_eq!(code(&o), 1);
    assert_eq!(json(&o)["property"], "G-NOLOST");
    let o = sdlab(&[
        "check",
        "freebsd-scoreboard",
        "--cpus",
        "2",
        "--set",
        "nmi_reads_user=true",
        "--set",
        "hw_nmi=1",
        "--json",
    ]);
    assert_eq!(code(&o), 1);
    let j = json(&o);
    assert_eq!(j["property"], "G-USERMODE-WINDOW");
    assert!(j["message"].as_str().is_some_and(|m| m.contains("acknowledged but not yet invalidated")), "{j}");
    let o = sdlab(&[
        "check",
        "freebsd-scoreboard",
        "--cpus",
        "2",
        "--set",
        "nmi_reads_user=true",
        "--set",
        "hw_nmi=1",
        "--set",
        "check_window=false",
        "--json",
    ]);
    assert_eq!(code(&o), 1);
    assert_eq!(json(&o)["property"], "G-STALE");
}

#[test]
fn check_limit_exits_2_with_a_message() {
    let o = sdlab(&[
        "check",
        "freebsd-scoreboard",
        "--cpus",
        "3",
        "--scenario",
        "crossfire",
        "--max-states",
        "500",
        "--json",
    ]);
    assert_eq!(code(&o), 2);
    let j = json(&o);
    assert_eq!(j["verdict"], "limit");
    assert!(j["message"].as_str().unwrap().contains("state limit of 500"));
}

/// docs/races.md is `sdlab races --markdown`; everything but the time column must match.
#[test]
fn the_committed_race_table_is_current() {
    let o = sdlab(&["races", "--markdown"]);
    assert_eq!(code(&o), 0, "every declared race is found as declared: {}", stdout(&o));
    let strip = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| model"))
            .map(|l| {
                let mut cells: Vec<&str> = l.split('|').collect();
                cells.truncate(cells.len().saturating_sub(2)); // drop the time and the tail
                cells.join("|")
            })
            .collect()
    };
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/races.md")).expect("docs/races.md");
    assert_eq!(
        strip(&stdout(&o)),
        strip(&committed),
        "regenerate: cargo run --release -p sdlab-cli -- races --markdown > docs/races.md"
    );
    // One row per declared race, counted in the model texts, not through the compiler.
    assert_eq!(strip(&committed).len(), declared_races());
}

/// The races the bundled models declare, counted as `grep -c '^race '` over their text
/// (an oracle independent of the compiler that the CLI goes through).
fn declared_races() -> usize {
    sdlab_engine::models::BUNDLED.iter().map(|b| b.source.lines().filter(|l| l.starts_with("race ")).count()).sum()
}

/// `sdlab races --list`: every race with its kind and, on the next line, its citation.
#[test]
fn races_list_names_kind_and_citation() {
    let o = sdlab(&["races", "--list"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    // Two lines for each declared race.
    assert_eq!(lines.len(), 2 * declared_races(), "{out}");
    for pair in lines.chunks(2) {
        let kind = ["[real bug]", "[reconstruction]", "[mutation]"].iter().any(|k| pair[0].ends_with(k));
        assert!(kind, "{}", pair[0]);
        assert!(pair[1].starts_with("    ") && pair[1].trim().len() > 5, "{}", pair[1]);
    }
    assert!(
        out.contains("dillon-2004 async: Lost modification: a shootdown that does not wait (4.5B) [reconstruction]"),
        "{out}"
    );
}
