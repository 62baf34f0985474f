//! `cargo xtask bench trace`: parse throughput of the Linux ftrace parser on a ≥ 100 MB
//! file made of the bundled real captures, against bench/trace_regex.py in the same run,
//! and the memory a 1 GB file takes. The files are built under the target directory and
//! never committed.

use crate::bench::{field, last_json_line};
use crate::util::{output, root, sh};
use std::io::Write;
use std::path::{Path, PathBuf};

const CORPUS_BYTES: u64 = 100_000_000;
const BIG_BYTES: u64 = 1_000_000_000;

/// Where cargo puts its output: `CARGO_TARGET_DIR` when set, else `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// The bundled captures, in name order.
fn captures() -> Result<Vec<Vec<u8>>, String> {
    let dir = root().join("traces/linux-6.12-qemu-4cpu");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "trace"))
        .collect();
    names.sort();
    names.iter().map(|p| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))).collect()
}

/// Each copy of the six captures is moved this many seconds later, so the copies follow
/// each other in time (the captures span 3.7 s to 43.3 s of uptime) instead of landing
/// on the same timestamps, and the corpus replays like one long capture.
const COPY_SHIFT_S: u64 = 50;

/// The timestamp token of an ftrace event line (`… [003] d.h1.   12.345678: event: …`)
/// moved `shift_s` seconds later; other lines unchanged.
fn shifted(line: &[u8], shift_s: u64, out: &mut Vec<u8>) {
    let anchor = line.iter().position(|&b| b == b']').filter(|&p| line[..p].contains(&b'['));
    let Some(p) = anchor else {
        out.extend_from_slice(line);
        return;
    };
    // After `]`: the flags token, then the timestamp token ending in `:`.
    let mut at = p + 1;
    for _ in 0..2 {
        while line.get(at) == Some(&b' ') {
            at += 1;
        }
        let end = line[at..].iter().position(|&b| b == b' ').map_or(line.len(), |n| at + n);
        let tok = &line[at..end];
        if let Some(ts) = tok.strip_suffix(b":") {
            let text = std::str::from_utf8(ts).unwrap_or("");
            if let Some((sec, frac)) = text.split_once('.') {
                if let Ok(sec) = sec.parse::<u64>() {
                    out.extend_from_slice(&line[..at]);
                    out.extend_from_slice(format!("{}.{frac}:", sec + shift_s).as_bytes());
                    out.extend_from_slice(&line[end..]);
                    return;
                }
            }
        }
        at = end;
    }
    out.extend_from_slice(line);
}

/// Concatenate the captures, whole files in turn, each round of six moved later in time,
/// until `at_least` bytes. Returns the size written.
fn corpus(path: &Path, at_least: u64) -> Result<u64, String> {
    let parts = captures()?;
    let round: u64 = parts.iter().map(|p| p.len() as u64).sum();
    if round == 0 {
        return Err("no capture in traces/linux-6.12-qemu-4cpu".into());
    }
    let copies = at_least.div_ceil(round);
    let mut out = Vec::with_capacity(round as usize + 1024);
    let mut size = 0;
    let write = |f: &mut dyn Write, b: &[u8]| f.write_all(b).map_err(|e| format!("{}: {e}", path.display()));
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?);
    for k in 0..copies {
        out.clear();
        for p in &parts {
            for line in p.split_inclusive(|&b| b == b'\n') {
                shifted(line, k * COPY_SHIFT_S, &mut out);
            }
        }
        size += out.len() as u64;
        write(&mut f, &out)?;
    }
    f.flush().map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(size)
}

fn best_by(key: &str, mut run: impl FnMut() -> Option<String>) -> Option<String> {
    (0..3).filter_map(|_| run()).max_by(|a, b| field(a, key).unwrap_or(0.0).total_cmp(&field(b, key).unwrap_or(0.0)))
}

fn num(json: &str, key: &str) -> f64 {
    field(json, key).unwrap_or(0.0)
}

/// The 1-minute load average: the machine is shared, and a busy one halves the figures.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

/// The section, and the native parse throughput (MB/s) the browser section compares with.
pub fn section(machine: &str) -> Result<(String, f64), String> {
    let load_before = load();
    crate::util::run(sh("cargo").args(["build", "--quiet", "--profile", "bench", "-p", "sdlab-cli"]))?;
    let sdlab = target_dir().join("release/sdlab");
    let sdlab = sdlab.to_string_lossy();
    let dir = target_dir().join("bench-trace");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = dir.join("linux-100mb.trace");
    let size = corpus(&file, CORPUS_BYTES)?;
    let file_s = file.to_string_lossy();
    println!("bench: trace parse, native, {size} bytes (best of 3)");
    let native = output(sh(&sdlab).args(["bench-trace", "--runs", "3", "--json", &file_s]))
        .and_then(|o| last_json_line(&o))
        .ok_or("sdlab bench-trace failed")?;
    println!("{native}");
    println!("bench: trace parse, Python regex (best of 3)");
    let script = root().join("bench/trace_regex.py");
    let python =
        best_by("mb_per_sec", || output(sh("python3").arg(&script).arg(&file)).and_then(|o| last_json_line(&o)))
            .ok_or("bench/trace_regex.py failed")?;
    println!("{python}");
    let python_version = python.split("\"python\": \"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("?");

    let big = dir.join("linux-1gb.trace");
    let big_size = corpus(&big, BIG_BYTES)?;
    println!("bench: trace memory, streaming {big_size} bytes");
    let memory = output(sh(&sdlab).args(["bench-trace", "--stream", "--json", &big.to_string_lossy()]))
        .and_then(|o| last_json_line(&o));
    // A gigabyte of scratch is not worth keeping between runs.
    let _ = std::fs::remove_file(&big);
    let memory = memory.ok_or("sdlab bench-trace --stream on 1 GB failed")?;
    println!("{memory}");
    let load_after = load();

    let (n, p) = (num(&native, "mb_per_sec"), num(&python, "mb_per_sec"));
    let (events, bytes) = (num(&memory, "events"), num(&memory, "bytes"));
    let rss = num(&memory, "peak_rss_mb");
    let per_byte = rss * 1048576.0 / bytes.max(1.0);
    let text = format!(
        "## Trace parsing\n\n\
         Input: the six real Linux 6.12 captures of `traces/linux-6.12-qemu-4cpu/` concatenated whole until ≥ 100 MB, \
         each further copy of the six moved {COPY_SHIFT_S} s later so the file replays as one long capture \
         ({size} bytes, {:.0} events, {} shootdown rounds; built under the target directory, not committed). Native: `sdlab bench-trace` \
         (the `sdlab_trace::parse` of a buffer already in memory, opt-level 3, best of three parses in one process); \
         Python: `bench/trace_regex.py` (the generic regex of research/trace-formats.md §3.5 per line, a tuple per event, \
         sorted by time; Python {python_version}), best of three runs. MB = 10^6 bytes.\n\n\
         {machine} Load average (1 min) before and after: {load_before}, {load_after} on {} cores.\n\n\
         | measure | value | goal | met |\n|---|---|---|---|\n\
         | native parse | {n:.0} MB/s | ≥ 500 MB/s | {} |\n\
         | Python regex parse | {p:.1} MB/s | — | — |\n\
         | native / Python | {:.1}× | — | — |\n\
         | reconstruction after the parse (rounds, arrows, time index) | {:.3} s | — | — |\n\
         | wasm parse in Chromium | see section `trace-browser` | ≥ 250 MB/s | — |\n\n\
         Memory, 1 GB file ({big_size} bytes, the same captures repeated) streamed in 1 MiB chunks as the app's worker \
         reads it: {events:.0} events ({:.5} events per byte, {} bytes per `Event`), peak resident set {rss:.0} MB \
         = {per_byte:.2} bytes of memory per byte of file (parse and reconstruction, measured by VmHWM), \
         streamed at {:.0} MB/s. A tab with a budget of B bytes for a trace can take files up to about B / {per_byte:.2} \
         bytes of this density; the app decides its refusal threshold from this ratio.\n\n\
         Browser figures (wasm parse throughput, time from file chosen to interactive timeline at 1 M events, frame \
         time while panning) are the app's benchmark and go to the section `bench:trace-browser`.\n\n\
         Raw: native `{native}`; Python `{python}`; memory `{memory}`.\n",
        num(&native, "events"),
        num(&native, "rounds"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if n >= 500.0 { "yes" } else { "no" },
        n / p.max(1e-9),
        num(&native, "replay_seconds"),
        num(&memory, "events_per_byte"),
        num(&memory, "event_bytes"),
        num(&memory, "mb_per_sec"),
    );
    Ok((text, n))
}

/// Bytes of the browser benchmark's corpus: about a million events of the captures.
const BROWSER_BYTES: u64 = 120_000_000;

/// `cargo xtask bench trace`, in the browser: the release app in headless Chromium opens a
/// million-event file through the Traces mode (`web/bench-trace.mjs`): wasm parse
/// throughput, file chosen → interactive timeline, frame times while panning and zooming.
pub fn browser_section(machine: &str, native_mb_per_s: Option<f64>) -> Result<String, String> {
    crate::setup::all(true)?;
    crate::util::run(sh("trunk").args(["build", "--release"]))?;
    let dir = target_dir().join("bench-trace");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = dir.join("linux-120mb.trace");
    corpus(&file, BROWSER_BYTES)?;
    let load_before = load();
    println!("bench: Traces mode in headless Chromium (best of 3 by parse throughput)");
    let runs: Vec<String> = (0..3)
        .filter_map(|_| {
            output(sh("node").arg(root().join("web/bench-trace.mjs")).arg(&file)).and_then(|o| last_json_line(&o))
        })
        .collect();
    let speeds: Vec<f64> = runs.iter().map(|r| num(r, "parse_mb_per_s")).collect();
    let best = speeds.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i);
    let run = best.map(|i| runs[i].clone()).ok_or("web/bench-trace.mjs failed")?;
    let slowest = speeds.iter().copied().fold(f64::INFINITY, f64::min);
    println!("{run}");
    let load_after = load();
    let (wasm, tti, p95) =
        (num(&run, "parse_mb_per_s"), num(&run, "file_chosen_to_interactive_ms"), num(&run, "frame_time_p95_worst_ms"));
    let met = |ok: bool| if ok { "yes" } else { "no" };
    let ratio = native_mb_per_s.map_or("—".to_string(), |n| format!("{:.2}", wasm / n));
    // The worker waits for the browser to hand over each Blob slice; without those waits
    // the figure is the parser's own speed in wasm.
    let parse_only_s = (num(&run, "parse_ms") - num(&run, "parse_read_ms")) / 1000.0;
    let parse_only = if parse_only_s > 0.0 { num(&run, "bytes") / 1e6 / parse_only_s } else { 0.0 };
    Ok(format!(
        "## Trace replay in the browser\n\n\
         Input: {} events in {} bytes (the captures of `traces/linux-6.12-qemu-4cpu/`, each copy moved later in time), \
         opened through the Traces mode's file input in the release build in headless Chromium; best of three runs by \
         parse throughput, the slowest beside it. Parse = the worker reading the file in Blob slices and parsing it (wasm, trace crate at \
         opt-level 3); interactive = file chosen until the timeline has drawn; frame time = the canvas draw measured \
         in the page with `performance.now()` while panning and zooming, worst p95 over the gestures.\n\n\
         {machine} Load average (1 min) before and after: {load_before}, {load_after} (the machine is shared).\n\n\
         | measure | value | goal | met |\n|---|---|---|---|\n\
         | wasm parse in Chromium | {wasm:.0} MB/s ({slowest:.0}–{wasm:.0} over {} runs) | ≥ 300 MB/s (issue #18) | {} |\n\
         | of which the parser alone (time waiting for Blob slices taken out) | {parse_only:.0} MB/s | — | — |\n\
         | wasm / native (section above) | {ratio} | — | — |\n\
         | file chosen → interactive timeline | {:.2} s | < 2 s | {} |\n\
         | timeline frame time p95 while panning | {p95:.1} ms | < 8 ms | {} |\n\n\
         Raw: `{run}`.\n",
        num(&run, "events"),
        num(&run, "bytes"),
        runs.len(),
        met(wasm >= 300.0),
        tti / 1000.0,
        met(tti < 2000.0),
        met(p95 < 8.0),
    ))
}

#[cfg(test)]
mod tests {
    use super::shifted;

    fn shift(line: &str, s: u64) -> String {
        let mut out = Vec::new();
        shifted(line.as_bytes(), s, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn moves_only_the_timestamp_of_event_lines() {
        let l = "          <idle>-0       [001] dNh1.     3.738040: reschedule_exit: vector=253\n";
        assert_eq!(shift(l, 50), "          <idle>-0       [001] dNh1.     53.738040: reschedule_exit: vector=253\n");
        assert_eq!(shift("# tracer: nop\n", 50), "# tracer: nop\n");
        let odd = "  a-1 [000] x: y: 1.5: z\n";
        assert_eq!(shift(odd, 50), odd);
    }
}
