//! `sdlab check` while it runs: progress for scripts on standard error, and Ctrl-C that
//! reports what was explored instead of losing it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn progress_json_lines_then_ctrl_c_reports_what_was_explored() {
    // A 4-CPU verification takes tens of seconds: long enough to interrupt.
    let mut child = Command::new(env!("CARGO_BIN_EXE_sdlab"))
        .args(["check", "freebsd-scoreboard", "--cpus", "4", "--no-symmetry", "--progress", "json", "--threads", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sdlab runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for _ in 0..2 {
        let line = lines.next().expect("a progress line").unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        for k in ["states", "transitions", "depth", "frontier", "seconds", "states_per_sec"] {
            assert!(v[k].is_number(), "{k} in {line}");
        }
        seen.push(v["states"].as_u64().unwrap());
    }
    assert!(seen[1] > seen[0], "the search moves: {seen:?}");
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Interrupted: "), "{text}");
    let states: u64 = text["Interrupted: ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(states >= seen[1], "{states} < {}", seen[1]);
    assert!(text.contains("no violation among them; every state within"), "{text}");
}

#[test]
fn progress_off_prints_nothing_on_standard_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_sdlab"))
        .args(["check", "freebsd-scoreboard", "--progress", "off"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
