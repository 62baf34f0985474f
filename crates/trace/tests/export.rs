//! Exports of real traces: the Perfetto JSON is well formed and loads without slice
//! conflicts.

use sdlab_trace::replay::reconstruct;
use sdlab_trace::{export, parse, Trace};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn load(name: &str) -> Trace {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../traces/linux-6.12-qemu-4cpu").join(name);
    parse(&std::fs::read(path).expect("bundled trace")).expect("parses")
}

#[test]
fn perfetto_json_of_a_real_capture_is_consistent() {
    let t = load("mprotect-4cpu-4pages.trace");
    let r = reconstruct(&t);
    let mut out = Vec::new();
    export::perfetto(&t, &r, &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    let events = v["traceEvents"].as_array().unwrap();
    let count = |ph: &str| events.iter().filter(|e| e["ph"] == ph).count();
    assert_eq!(count("s"), r.arrows.len());
    assert_eq!(count("f"), r.arrows.len());
    let rounds = events.iter().filter(|e| e["cat"] == "round" && (e["ph"] == "X" || e["ph"] == "b")).count();
    assert_eq!(rounds, r.rounds.len());
    // Every flow end lies on a slice of its thread (the binding Perfetto needs).
    let mut slices: BTreeMap<i64, Vec<(f64, f64)>> = BTreeMap::new();
    for e in events.iter().filter(|e| e["ph"] == "X") {
        let (ts, dur) = (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap());
        slices.entry(e["tid"].as_i64().unwrap()).or_default().push((ts, ts + dur));
    }
    for e in events.iter().filter(|e| e["ph"] == "s" || e["ph"] == "f") {
        let ts = e["ts"].as_f64().unwrap();
        let on = slices.get(&e["tid"].as_i64().unwrap()).is_some_and(|s| s.iter().any(|&(a, b)| a <= ts && ts <= b));
        assert!(on, "flow end without a slice: {e}");
    }
    // No two slices of one track overlap partly.
    for (tid, mut s) in slices {
        s.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let mut open: Vec<(f64, f64)> = Vec::new();
        for x in s {
            while open.last().is_some_and(|o| o.1 <= x.0) {
                open.pop();
            }
            if let Some(o) = open.last() {
                assert!(x.1 <= o.1, "tid {tid}: {o:?} and {x:?} overlap partly");
            }
            open.push(x);
        }
    }
}
