//! Hostile model files through the `sdlab` binary (issue #12): bounded stderr with located
//! messages, refused option values, assertions reported as violations, and a short run of
//! the model fuzzer.

use std::path::PathBuf;
use std::process::{Command, Output};

fn sdlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sdlab")).args(args).output().expect("the sdlab binary runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn model_file(name: &str, body: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("hostile-{}-{name}.sdm", std::process::id()));
    std::fs::write(&path, format!("model \"m\";\n{body}\nproc f() {{ }}\nscenario s {{ cpu 0: f(); }}\n"))
        .expect("write model");
    path
}

fn check(path: &std::path::Path) -> Output {
    sdlab(&["check", path.to_str().expect("utf-8 path")])
}

#[test]
fn a_line_of_junk_gives_one_short_located_error() {
    for (name, junk) in [("braces", "}".repeat(20_000)), ("semicolons", ";".repeat(64 * 1024))] {
        let path = model_file(name, &junk);
        let o = check(&path);
        assert_eq!(code(&o), 2);
        let err = text(&o.stderr);
        assert!(err.len() < 2_000, "{name}: {} bytes of stderr", err.len());
        assert!(err.contains(&format!("{}:2:1: expected a declaration", path.display())), "{err}");
        assert_eq!(err.matches("expected a declaration").count(), 1, "{err}");
    }
}

#[test]
fn errors_on_a_long_line_quote_a_window_of_it() {
    let path = model_file("long-line", &format!("{}@", "shared a; ".repeat(80_000)));
    let o = check(&path);
    assert_eq!(code(&o), 2);
    let err = text(&o.stderr);
    assert!(err.len() < 20_000, "{} bytes of stderr", err.len());
    assert!(err.contains(&format!("{}:2:18: `a` is declared twice", path.display())), "{err}");
    assert!(err.contains("more errors after this one (fix these first)"), "{err}");
    // Every quoted line is a window: at most 140 characters and the ellipses.
    for l in err.lines().filter(|l| l.starts_with("2 | ")) {
        assert!(l.chars().count() <= 4 + 142, "{l}");
    }
}

#[test]
fn out_of_range_option_values_are_refused_not_clamped() {
    for v in ["99999", "-5", "256"] {
        let o = sdlab(&["run", "freebsd-scoreboard", "--set", &format!("hw_nmi={v}")]);
        assert_eq!(code(&o), 2);
        assert_eq!(text(&o.stderr), format!("sdlab: error: option `hw_nmi` takes 0 to 255, not {v}\n"));
        assert!(o.stdout.is_empty());
    }
    let o = sdlab(&["run", "freebsd-scoreboard", "--set", "hw_nmi=255", "--steps", "3"]);
    assert!(text(&o.stdout).contains("hw_nmi=255"), "{}", text(&o.stdout));
    let path = model_file("cpus", "cpus 1..64;");
    let o = check(&path);
    assert_eq!(code(&o), 2);
    assert!(
        text(&o.stderr)
            .contains(&format!("{}:2:1: `cpus 1..64 default 1`: the machine has 1 to 32 CPUs", path.display())),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_local_assertion_is_a_violation_for_run_and_check() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("hostile-{}-assert.sdm", std::process::id()));
    std::fs::write(
        &path,
        "model \"m\";\nproc f() {\n  local a = 1;\n  assert(a == 2, \"a is 2\");\n}\nscenario s { cpu 0: f(); cpu *: idle; }\n",
    )
    .expect("write");
    let p = path.to_str().expect("utf-8");
    let o = sdlab(&["check", p]);
    assert_eq!(code(&o), 1, "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("Found violation assert in 1 steps"), "{}", text(&o.stdout));
    let o = sdlab(&["run", p]);
    assert_eq!(code(&o), 1, "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("VIOLATION assert at step 1 (CPU 0): a is 2"), "{}", text(&o.stdout));
}

#[test]
fn the_model_fuzzer_runs_clean_for_a_few_seconds() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-model-{}", std::process::id()));
    let o = sdlab(&["fuzz-model", "--seconds", "3", "--seed", "7", "--json", "--out", out.to_str().expect("utf-8")]);
    assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON report");
    assert_eq!(v["findings"], 0);
    assert!(v["iterations"].as_u64().is_some_and(|n| n > 10), "{v}");
    assert!(v["compiled"].as_u64().is_some_and(|n| n > 0), "{v}");
}

#[test]
fn hostile_files_are_read_bounded() {
    // A 10 MB schedule item was echoed whole into the error.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let sched = dir.join(format!("hostile-{}-digits.txt", std::process::id()));
    std::fs::write(&sched, "9".repeat(10_000_000)).expect("write");
    let o = sdlab(&["run", "freebsd-scoreboard", "--schedule", sched.to_str().expect("utf-8")]);
    assert_eq!(code(&o), 2);
    assert!(o.stderr.len() < 300, "{} bytes of stderr", o.stderr.len());
    assert!(text(&o.stderr).contains(&format!("schedule item 1: `{}…` is not a schedule step", "9".repeat(40))));
    // A device is not read to its end (it took all memory).
    let o = sdlab(&["run", "freebsd-scoreboard", "--schedule", "/dev/zero"]);
    assert_eq!(code(&o), 2);
    assert_eq!(text(&o.stderr), "sdlab: error: `/dev/zero`: schedule files are read up to 67108864 bytes\n");
    let o = sdlab(&["check", "/dev/zero"]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        text(&o.stderr),
        "sdlab: error: `/dev/zero` is more than 1048576 bytes; models of at most 1048576 bytes are compiled\n"
    );
    // Bytes that are not UTF-8 are located like any unexpected character, and a quoted
    // line sends no control character to the terminal.
    let path = dir.join(format!("hostile-{}-bytes.sdm", std::process::id()));
    std::fs::write(&path, b"model \"m\";\nproc f() { \x1b[2J\xff x = 1; }\nscenario s { cpu 0: f(); }\n")
        .expect("write");
    let o = check(&path);
    assert_eq!(code(&o), 2);
    let err = text(&o.stderr);
    assert!(err.contains(&format!("{}:2:12: unexpected character U+001B", path.display())), "{err}");
    assert!(!err.contains('\x1b'), "{err:?}");
}

/// An endless input that is no trace (/dev/zero) is refused once the reader has seen
/// enough to know, with a located reason, instead of being read forever.
#[cfg(unix)]
#[test]
fn an_endless_input_that_is_no_trace_is_refused_without_reading_it_all() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let mut child = Command::new(env!("CARGO_BIN_EXE_sdlab"))
        .args(["trace", "stats", "/dev/zero"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sdlab binary runs");
    // A hang, not a speed: a minute is far beyond the few milliseconds the refusal takes.
    let t0 = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("`sdlab trace stats /dev/zero` is still reading after a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = child.wait_with_output().expect("output");
    assert_eq!(code(&o), 2);
    let err = text(&o.stderr);
    assert!(err.contains("/dev/zero:1: not a trace: binary data"), "{err}");
}
