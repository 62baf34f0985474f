//! The invariants ARCHITECTURE.md states, enforced: which crate may depend on which, and
//! which of the pure crates may touch files, clocks, threads or unsafe code (and where).
//! A change that breaks one fails here with the file and line, not in a review.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Crates whose code must run unchanged natively and in the browser's worker.
const PURE: &[&str] = &["engine", "trace", "runtrace", "lab"];

/// Packages a pure crate must never depend on (browser bindings, the UI, the CLI).
const WEB: &[&str] = &["yew", "web-sys", "js-sys", "wasm-bindgen", "gloo", "sdlab-app", "sdlab-cli"];

/// What each crate may depend on among ours: the arrows point down only.
const LAYERS: &[(&str, &[&str])] = &[
    ("engine", &[]),
    ("trace", &[]),
    ("runtrace", &["sdlab-engine", "sdlab-trace"]),
    ("lab", &["sdlab-engine", "sdlab-trace", "sdlab-runtrace"]),
];

/// Capabilities a pure crate gives up, and the files the map names as the exceptions.
const CAPABILITIES: &[(&str, &[&str], &[&str])] = &[
    ("the file system", &["std::fs", "File::open", "File::create", "read_to_string("], &[]),
    ("a clock", &["Instant", "SystemTime"], &["engine/src/search/pool.rs"]),
    ("threads", &["thread::", "std::thread"], &["engine/src/search/pool.rs"]),
    ("unsafe code", &["unsafe "], &["engine/src/search/pool.rs", "engine/src/search/visited.rs"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The `[dependencies]` (and target-specific dependencies) of a manifest, by name; dev and
/// build dependencies do not ship.
fn dependencies(manifest: &str) -> Vec<String> {
    let mut deps = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line.ends_with("dependencies]") && !line.contains("dev-") && !line.contains("build-");
            continue;
        }
        if in_deps {
            if let Some((name, _)) = line.split_once('=') {
                let name = name.trim().trim_end_matches(".workspace").trim();
                if !name.is_empty() && !name.starts_with('#') {
                    deps.push(name.to_string());
                }
            }
        }
    }
    deps
}

#[test]
fn the_pure_crates_depend_on_nothing_of_the_web_and_only_downwards() {
    let mut wrong = Vec::new();
    for (krate, allowed) in LAYERS {
        let manifest = fs::read_to_string(root().join(format!("crates/{krate}/Cargo.toml"))).unwrap();
        let deps = dependencies(&manifest);
        assert!(!deps.is_empty() || *krate == "engine" || *krate == "trace", "{krate}: no dependencies read");
        for dep in deps {
            if WEB.contains(&dep.as_str()) {
                wrong.push(format!("crates/{krate} depends on {dep}, a web or front-end package"));
            }
            if dep.starts_with("sdlab-") && !allowed.contains(&dep.as_str()) {
                wrong.push(format!("crates/{krate} depends on {dep}, which is not below it"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_pure_crates_touch_no_files_clocks_or_threads_outside_the_named_files() {
    let mut wrong = Vec::new();
    let mut scanned = 0;
    for krate in PURE {
        let mut files = Vec::new();
        rust_files(&root().join(format!("crates/{krate}/src")), &mut files);
        for file in files {
            let rel = file.strip_prefix(root().join("crates")).unwrap().to_string_lossy().replace('\\', "/");
            let text = fs::read_to_string(&file).unwrap();
            scanned += 1;
            // Test modules may use what the crate may not (a timer around a test, a temp file).
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for (n, line) in code.lines().enumerate() {
                let line = line.trim_start();
                if line.starts_with("//") {
                    continue;
                }
                for (what, needles, allowed) in CAPABILITIES {
                    if needles.iter().any(|n| line.contains(n)) && !allowed.contains(&rel.as_str()) {
                        wrong.push(format!("crates/{rel}:{}: uses {what}: {line}", n + 1));
                    }
                }
            }
        }
    }
    assert!(scanned > 50, "only {scanned} files scanned: is the source tree where the test thinks?");
    assert!(wrong.is_empty(), "ARCHITECTURE.md's invariants broken:\n{}", wrong.join("\n"));
}

#[test]
fn the_scan_would_see_a_breach() {
    // The scan above passes trivially if its needles never match anything: each needle must
    // match at least one exception file it allows, or a line written to break it.
    let pool = fs::read_to_string(root().join("crates/engine/src/search/pool.rs")).unwrap();
    for needle in ["Instant", "thread::", "unsafe "] {
        assert!(pool.contains(needle), "pool.rs no longer uses {needle}: update CAPABILITIES and the map");
    }
    let breach = "    let t = std::time::Instant::now(); let f = std::fs::read(\"x\");";
    let caught: Vec<_> =
        CAPABILITIES.iter().filter(|(_, needles, _)| needles.iter().any(|n| breach.contains(n))).collect();
    assert_eq!(caught.len(), 2, "a clock and a file read must both be caught");
}

/// The map's "Where to find" table: every file it names exists and holds the symbol it
/// names, so that a newcomer following it lands on the code.
#[test]
fn the_where_to_find_table_points_at_real_code() {
    let map = fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let table = map.split("## Where to find").nth(1).expect("a \"Where to find\" section");
    let table = table.split("\n## ").next().unwrap_or(table);
    let mut rows = 0;
    for line in table.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| looking for")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        assert_eq!(cells.len(), 3, "a row of three cells: {line}");
        let symbol = cells[2].trim_end_matches(" |").trim_matches('`');
        let files: Vec<&str> = cells[1].split(", ").map(|f| f.trim_matches('`')).collect();
        for f in &files {
            let text = fs::read_to_string(root().join(f)).unwrap_or_else(|e| panic!("{line}: {f}: {e}"));
            assert!(text.contains(symbol), "{f} does not contain `{symbol}` ({line})");
        }
        rows += 1;
    }
    assert!(rows >= 20, "the table has {rows} rows");
}
