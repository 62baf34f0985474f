//! `cargo xtask bench conform`: rounds checked per second by `sdlab trace conform`
//! natively and by the same search in the page's web worker ("check every round"), on a
//! bundled Linux 6.12 capture, three runs each (the spread is reported, not only the best).

use crate::bench::{field, last_json_line};
use crate::util::{output, root, sh};

const CAPTURE: &str = "munmap-4cpu-4pages";
const RUNS: usize = 3;

/// Min, median and max of the runs' `rounds_per_sec`.
fn spread(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[0], xs[xs.len() / 2], xs[xs.len() - 1])
}

pub fn section(machine: &str) -> Result<String, String> {
    crate::util::run(sh("cargo").args(["build", "--quiet", "--profile", "bench", "-p", "sdlab-cli"]))?;
    let sdlab = crate::bench_trace::target_dir().join("release/sdlab");
    let file = root().join(format!("traces/linux-6.12-qemu-4cpu/{CAPTURE}.trace"));
    let mut native = Vec::new();
    let mut native_raw = String::new();
    for i in 0..RUNS {
        println!("bench: conform natively, run {}", i + 1);
        // Exit status 1 means a mismatch was found, which is a result, not a failure.
        let out = sh(&sdlab.to_string_lossy())
            .args(["trace", "conform", "--json"])
            .arg(&file)
            .output()
            .map_err(|e| format!("sdlab: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let rps = field(&text, "rounds_per_second").ok_or("no rounds_per_second in `sdlab trace conform --json`")?;
        native.push(rps);
        if i == 0 {
            native_raw = format!(
                "{} rounds, {} conform, {} undecided, {:.1} s",
                field(&text, "rounds").unwrap_or(0.0),
                field(&text, "conforming").unwrap_or(0.0),
                field(&text, "undecided").unwrap_or(0.0),
                field(&text, "seconds").unwrap_or(0.0)
            );
        }
    }
    let mut page = Vec::new();
    let mut page_raw = String::new();
    for i in 0..RUNS {
        println!("bench: conform in the page's worker, run {}", i + 1);
        let line = output(sh("node").arg(root().join("web/e2e/bench-conform.mjs")).arg(CAPTURE))
            .and_then(|o| last_json_line(&o))
            .ok_or("bench-conform.mjs failed")?;
        page.push(field(&line, "rounds_per_sec").ok_or("no rounds_per_sec from the page")?);
        if i == 0 {
            page_raw = line;
        }
    }
    let (n0, n1, n2) = spread(native);
    let (p0, p1, p2) = spread(page);
    Ok(format!(
        "## Conformance: rounds checked per second\n\n\
         `sdlab trace conform traces/linux-6.12-qemu-4cpu/{CAPTURE}.trace` (bench profile, one thread) against \
         \"check every round\" in the page (the same search in the web worker, release build in dist/, headless \
         Chromium), {RUNS} runs each; min / median / max.\n\n{machine}\n\n\
         | where | rounds/s min | median | max |\n|---|---|---|---|\n\
         | native | {n0:.1} | {n1:.1} | {n2:.1} |\n\
         | page (web worker) | {p0:.1} | {p1:.1} | {p2:.1} |\n\
         | page / native (medians) | | {:.2} | |\n\n\
         Native, first run: {native_raw}. Page, first run: `{page_raw}`.\n",
        p1 / n1.max(1e-9)
    ))
}
