//! `sdlab trace stats|convert`, `bench-trace` and `fuzz-trace` end to end: JSON shape,
//! conversions that read back, exit codes, located errors, a closed pipe.

use serde_json::{json, Value};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn sdlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sdlab")).args(args).output().expect("the sdlab binary runs")
}

fn capture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../traces/linux-6.12-qemu-4cpu").join(name);
    p.to_str().expect("utf-8 path").to_string()
}

fn temp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("sdlab-trace-{}-{name}", std::process::id()))
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn stats_json_has_the_promised_fields() {
    let o = sdlab(&["trace", "stats", "--json", &capture("munmap-4cpu-4pages.trace")]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v["format"], "linux-ftrace");
    assert_eq!(v["events"], 6913);
    assert_eq!(v["cpus"], 4);
    assert_eq!(v["warnings"], 0);
    assert_eq!(v["rounds"], 201);
    assert_eq!(v["rounds_complete"], 201);
    assert_eq!(v["rounds_by_kind"]["linux-tlb"], 201);
    assert_eq!(v["tlb_shootdown_rounds"], 201);
    assert_eq!(v["time_unit"], "us");
    // Each round from its `tlb_flush ... (4)` to the last `csd_function_exit` of the csds
    // it queued, computed from the file by a 20-line Python script apart from this crate:
    // 201 latencies, median 3 769 µs, 90th percentile 10 112 µs, longest 41 169 µs.
    let lat = &v["latency_us"];
    assert_eq!(
        (&lat["count"], &lat["p50"], &lat["p90"], &lat["max"]),
        (&json!(201), &json!(3769.0), &json!(10112.0), &json!(41169.0))
    );
    assert_eq!(v["ipi_matrix"].as_array().map(Vec::len), Some(4));
    assert_eq!(v["events_per_cpu"].as_array().map(Vec::len), Some(4));
}

#[test]
fn stats_text_names_rounds_and_latency() {
    let o = sdlab(&["trace", "stats", &capture("madvise-4cpu-64pages.trace")]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("rounds: 201 (201 complete); targets per round: 2×3, 3×198"), "{text}");
    assert!(text.contains("latency (us, 201 rounds): p50"), "{text}");
}

#[test]
fn conversions_read_back() {
    let src = capture("mprotect-4cpu-64pages.trace");
    let json_out = temp("p.json");
    let o = sdlab(&["trace", "convert", &src, "--to", "perfetto", "-o", json_out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&std::fs::read(&json_out).unwrap()).expect("Perfetto JSON");
    // Counted in the capture with grep: 9 526 events, of which 1 225 handler entries
    // (1 197 call_function, 16 call_function_single, 12 reschedule) and 1 615
    // csd_function_entry, each drawn with its exit as one slice; 401 rounds (one per
    // ipi_send_cpumask); 1 214 csd_queue_cpu and 1 225 IPI arrows, each a flow start and
    // end; metadata: the process, each CPU's name and order, and CPU 0's rounds track.
    let events = v["traceEvents"].as_array().expect("traceEvents");
    let count = |ph: &str, cat: Option<&str>| {
        events.iter().filter(|e| e["ph"] == ph && cat.is_none_or(|c| e["cat"] == c)).count()
    };
    assert_eq!((count("X", Some("irq")), count("X", Some("csd")), count("X", Some("round"))), (1_225, 1_615, 401));
    assert_eq!((count("s", Some("csd")), count("f", Some("csd"))), (1_214, 1_214));
    assert_eq!((count("s", Some("ipi")), count("f", Some("ipi"))), (1_225, 1_225));
    // Every other event is one record of its own: 9 526 - 2 x 1 225 - 2 x 1 615 = 3 846.
    assert_eq!(count("i", Some("event")) + count("X", Some("event")), 3_846);
    assert_eq!(count("M", None), 1 + 2 * 4 + 2);
    assert_eq!(events.len(), 3_846 + 1_225 + 1_615 + 401 + 2 * (1_214 + 1_225) + 11);
    let original = json(&sdlab(&["trace", "stats", "--json", &src]));
    for (to, format) in [("ktrdump-freebsd", "freebsd-ktrdump"), ("ktrdump-dragonfly", "dragonfly-ktrdump")] {
        let o = sdlab(&["trace", "convert", &src, "--to", to]);
        assert_eq!(o.status.code(), Some(0));
        let file = temp(to);
        std::fs::write(&file, &o.stdout).unwrap();
        let back = json(&sdlab(&["trace", "stats", "--json", file.to_str().unwrap()]));
        assert_eq!(back["format"], format);
        assert_eq!(back["warnings"], 0, "{to}");
        // One record per IPI target: the sender → receiver counts survive either layout.
        assert_eq!(back["ipi_matrix"], original["ipi_matrix"], "{to}");
        assert_eq!(back["cpus"], 4);
    }
}

#[test]
fn bad_input_exits_2_with_the_file_named() {
    let o = sdlab(&["trace", "stats", "/nonexistent/x.trace"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read `/nonexistent/x.trace`"));
    let junk = temp("junk.bin");
    std::fs::write(&junk, b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0").unwrap();
    let o = sdlab(&["trace", "stats", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(junk.to_str().unwrap()) && err.contains("not a trace"), "{err}");
    let o = sdlab(&["trace", "convert", &capture("munmap-4cpu-4pages.trace"), "--to", "svg"]);
    assert_eq!(o.status.code(), Some(2));
    let o =
        sdlab(&["trace", "convert", &capture("munmap-4cpu-4pages.trace"), "--to", "perfetto", "-o", "/nonexistent/o"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write `/nonexistent/o`"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sdlab"))
        .args(["trace", "convert", &capture("mprotect-4cpu-4pages.trace"), "--to", "perfetto"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 64];
    child.stdout.as_mut().unwrap().read_exact(&mut head).unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn fuzz_trace_runs_a_bounded_number_of_iterations() {
    let corpus = capture("munmap-4cpu-4pages.trace");
    let out = temp("fuzz");
    let o =
        sdlab(&["fuzz-trace", "--corpus", &corpus, "--iterations", "150", "--out", out.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!((v["iterations"].as_u64(), v["panics"].as_u64()), (Some(150), Some(0)));
    // Each input is saved before it runs (an abort would leave it) and removed once passed.
    let left: Vec<_> = std::fs::read_dir(&out).expect("findings folder exists").collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn bench_trace_reports_throughput_and_memory() {
    let o = sdlab(&["bench-trace", "--runs", "1", "--json", &capture("madvise-4cpu-4pages.trace")]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert_eq!(v["events"], 4929);
    // `wc -c` of the capture; events per byte is the one over the other.
    assert_eq!(v["bytes"], 553_745);
    assert_eq!(v["events_per_byte"].as_f64(), Some(4929.0 / 553_745.0));
    assert!(v["mb_per_sec"].as_f64().is_some_and(|x| x > 0.0), "a rate of the clock: only its sign is known");
}

/// Split one CSV record (RFC 4180 quoting, no line breaks inside fields).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[test]
fn stats_rounds_and_legs_csv_agree_with_the_json_counts() {
    let file = capture("mprotect-4cpu-4pages.trace");
    let v = json(&sdlab(&["trace", "stats", "--json", &file]));
    let (rounds, legs) = (temp("rounds.csv"), temp("legs.csv"));
    let o = sdlab(&["trace", "stats", &file, "--rounds", rounds.to_str().unwrap(), "--legs", legs.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    // The summary is still printed when the tables go to files.
    assert!(String::from_utf8_lossy(&o.stdout).contains("rounds: 401"));
    let r = std::fs::read_to_string(&rounds).unwrap();
    let rows: Vec<Vec<String>> = r.lines().map(csv_fields).collect();
    let header = &rows[0];
    assert_eq!(header.len(), 16);
    assert_eq!(rows.len() as u64 - 1, v["rounds"].as_u64().unwrap());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut targets = 0;
    for (k, row) in rows[1..].iter().enumerate() {
        assert_eq!(row.len(), 16, "row {k}: {row:?}");
        assert_eq!(row[col("round")], k.to_string());
        assert_eq!(row[col("evidence")], "csd");
        assert_eq!(row[col("time_unit")], "us");
        let n = row[col("targets")].split(',').count();
        targets += n;
        // Every per-target list has one entry per target, and a done time no later than the
        // round's latency.
        let latency: f64 = row[col("latency")].parse().unwrap();
        for c in ["received", "flushed", "done"] {
            assert_eq!(row[col(c)].split(',').count(), n, "round {k} {c}");
        }
        let done = row[col("done")].trim_matches(['[', ']']).split(", ").map(|x| x.parse::<f64>().unwrap());
        assert!(done.fold(0.0, f64::max) <= latency, "round {k}");
    }
    let l = std::fs::read_to_string(&legs).unwrap();
    assert_eq!(l.lines().count() - 1, targets);
    let _ = (std::fs::remove_file(rounds), std::fs::remove_file(legs));
}

#[test]
fn stats_rounds_to_standard_output_prints_the_csv_alone() {
    let o = sdlab(&["trace", "stats", &capture("munmap-4cpu-4pages.trace"), "--rounds", "-"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("trace,round,kind,initiator,targets,"), "{text:.200}");
    assert_eq!(text.lines().count(), 202);
}

#[test]
fn stats_rounds_to_an_unwritable_path_is_a_located_error() {
    let o = sdlab(&["trace", "stats", &capture("munmap-4cpu-4pages.trace"), "--rounds", "/nonexistent/dir/r.csv"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot write `/nonexistent/dir/r.csv`"), "{err}");
}

/// The bundled `traces/emulated/` files are what the commands traces/README.md gives write
/// today (crates/trace/tests/emulated_ktrdump.rs pins their reconstruction), so a change of
/// a model or an exporter that moves them is seen and the files regenerated.
#[test]
fn the_bundled_emulated_ktrdump_files_are_what_the_readme_commands_write() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../traces/README.md")).expect("README");
    let commands: Vec<&str> = readme.lines().filter_map(|l| l.strip_prefix("    sdlab trace emulate ")).collect();
    assert_eq!(commands.len(), 3, "{commands:?}");
    for (command, file) in commands.iter().zip([
        "dragonfly-4cpu-seed7",
        "freebsd-scoreboard-4cpu-seed7",
        "freebsd-scoreboard-crossfire-4cpu-seed3",
    ]) {
        let mut args = vec!["trace", "emulate"];
        args.extend(command.split_whitespace());
        let o = sdlab(&args);
        assert_eq!(o.status.code(), Some(0), "{command}: {}", String::from_utf8_lossy(&o.stderr));
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../traces/emulated/{file}.ktrdump"));
        let bundled = std::fs::read(&path).expect("bundled file");
        assert!(
            o.stdout == bundled,
            "traces/emulated/{file}.ktrdump is not what `sdlab trace emulate {command}` writes: regenerate it"
        );
    }
}
