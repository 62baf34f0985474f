//! Issue #12: the exit code is the verdict's even when stdout is a pipe nobody reads
//! (`sdlab run … | head`). The pipe is made here and its read end closed before the child
//! starts, so the child's very first write meets EPIPE, whatever its timing.

use sdlab_engine::models;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const MODEL: &str = "freebsd-scoreboard";

/// `sdlab args` with stdout a pipe whose reader is already gone.
fn closed_stdout(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let child = Command::new(env!("CARGO_BIN_EXE_sdlab"))
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.wait_with_output().expect("wait")
}

fn check(args: &[&str], want: i32) {
    let o = closed_stdout(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(want), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(!err.contains("cannot write"), "{args:?}: {err}");
}

fn broken_model() -> PathBuf {
    let src = models::find(MODEL).expect("bundled").source;
    let broken = src.replace("assert(scoreboard[t][self] != 0,", "assert(scoreboard[t][self] == 0,");
    assert_ne!(broken, src);
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("sdlab-exit-{}-broken.sdm", std::process::id()));
    std::fs::write(&path, broken).expect("write model");
    path
}

fn trace_data(rel: &str) -> String {
    format!("{}/../trace/test_data/{rel}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_violation_still_exits_1_when_stdout_is_closed() {
    let model = broken_model();
    let m = model.to_str().expect("utf-8");
    check(&["run", m], 1);
    check(&["run", m, "--json"], 1);
}

#[test]
fn a_deadlock_found_by_check_still_exits_1_when_stdout_is_closed() {
    let args = ["check", MODEL, "--cpus", "2", "--scenario", "crossfire", "--set", "initiator_if=false", "--json"];
    check(&args, 1);
}

#[test]
fn clean_runs_exit_0_and_bad_input_2_when_stdout_is_closed() {
    check(&["run", MODEL, "--cpus", "3", "--steps", "2000"], 0);
    check(&["models"], 0);
    check(&["run", "no-such-model"], 2);
    check(&["trace", "stats", &trace_data("freebsd/ct.txt")], 0);
    check(&["trace", "convert", &trace_data("dragonfly/default.txt"), "--to", "perfetto"], 0);
    check(&["trace", "stats", "/nonexistent/trace.txt"], 2);
}
