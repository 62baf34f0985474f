//! `sdlab trace conform` end to end: the JSON shape, a real round that conforms, an altered
//! one reported at the altered line (exit 1), an emulated Linux run read back, bad input
//! (exit 2).

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn sdlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sdlab")).args(args).output().expect("the sdlab binary runs")
}

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../traces/linux-6.12-qemu-4cpu").join(name)
}

fn temp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("sdlab-conform-{}-{name}", std::process::id()))
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn a_real_round_conforms_with_its_schedule_and_matched_lines() {
    let f = capture("munmap-4cpu-4pages.trace");
    let o = sdlab(&["trace", "conform", "--round", "0", "--json", path(&f)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v["model"], "linux");
    assert_eq!(v["rounds"], 1);
    assert_eq!(v["conforming"], 1);
    assert_eq!(v["undecided"], 0);
    assert_eq!(v["mismatches"].as_array().map(Vec::len), Some(0));
    assert!(v["seconds"].as_f64().is_some());
    let r = &v["results"][0];
    assert_eq!(r["verdict"], "conforms");
    assert_eq!(r["line"], 165);
    assert_eq!(r["cpus"], serde_json::json!([0, 1, 2, 3]));
    let matched = r["matched"].as_array().expect("matched");
    assert_eq!(matched.len(), 23);
    assert_eq!(matched[0]["line"], 165, "the request is the first event matched");
    // The schedule is what `sdlab run --schedule` loads.
    let schedule = r["schedule"].as_str().expect("schedule");
    let sched = temp("round0.sched");
    std::fs::write(&sched, schedule).expect("write");
    let o = sdlab(&["run", "linux", "--cpus", "4", "--scenario", "unmap_touch", "--schedule", path(&sched)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn an_altered_round_is_a_mismatch_at_the_altered_line() {
    let text = std::fs::read_to_string(capture("munmap-4cpu-4pages.trace")).expect("capture");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // CPU 3's handler (lines 173–177) moved before the request's queues, at 3.800954….
    let block: Vec<String> = lines.drain(172..177).collect();
    for (k, l) in block.iter().enumerate() {
        let colon = l.find(": ").expect("record");
        let start = l[..colon].rfind(' ').expect("timestamp") + 1;
        lines.insert(165 + k, format!("{}3.80095{}{}", &l[..start], 4 + k, &l[colon..]));
    }
    let f = temp("altered.trace");
    std::fs::write(&f, lines.join("\n") + "\n").expect("write");
    let o = sdlab(&["trace", "conform", "--round", "0", "--json", path(&f)]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    let m = &v["mismatches"][0];
    assert_eq!(m["round"], 0);
    assert_eq!(m["line"], 167);
    assert!(
        m["event"]
            .as_str()
            .is_some_and(|e| e.contains("csd_function_entry: func=flush_tlb_func, csd=ffff88c2bedbc280")),
        "{m}"
    );
    assert_eq!(
        m["reason"],
        "CPU 3 enters flush_tlb_func for csd ffff88c2bedbc280 before that csd was queued (csd_queue_cpu on CPU 0 at line 173)"
    );
    // The prefix's run: one matched line per record of the prefix, and a schedule that
    // `sdlab run` replays on the round's machine.
    let r = &v["results"][0];
    let prefix = r["prefix"].as_u64().expect("prefix") as usize;
    assert_eq!(r["matched"].as_array().map(Vec::len), Some(prefix));
    let sched = temp("prefix.schedule");
    std::fs::write(&sched, r["prefix_schedule"].as_str().expect("prefix_schedule")).expect("write");
    let run = sdlab(&["run", "linux", "--cpus", "4", "--scenario", "unmap_touch", "--schedule", path(&sched)]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stdout));
    let o = sdlab(&["trace", "conform", "--round", "0", path(&f)]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("1 mismatch") && out.contains(":167: CPU 3 enters") && out.contains("facts relied on"),
        "{out}"
    );
}

#[test]
fn an_emulated_linux_run_reads_back_and_conforms() {
    let f = temp("emulated.trace");
    let o = sdlab(&[
        "trace",
        "emulate",
        "linux",
        "--cpus",
        "4",
        "--scenario",
        "unmap_touch",
        "--seed",
        "5",
        "--to",
        "ftrace",
        "-o",
        path(&f),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let o = sdlab(&["trace", "conform", "--json", path(&f)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    let v = json(&o);
    assert_eq!((v["rounds"].as_u64(), v["conforming"].as_u64()), (Some(1), Some(1)));
}

#[test]
fn bad_input_exits_2() {
    let f = capture("munmap-4cpu-4pages.trace");
    for args in [
        vec!["trace", "conform", "--round", "9999", path(&f)],
        vec!["trace", "conform", "--model", "nonesuch", path(&f)],
        vec!["trace", "conform", "--scenario", "nonesuch", "--round", "0", path(&f)],
        vec!["trace", "conform", "--seconds", "0", path(&f)],
        vec!["trace", "conform", "/nonexistent/trace"],
    ] {
        let o = sdlab(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&o.stdout));
    }
}
