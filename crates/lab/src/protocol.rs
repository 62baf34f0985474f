//! Messages between the page and the checker's web worker, as JSON strings.

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CheckRequest {
    pub source: String,
    pub ncpu: u32,
    pub scenario: usize,
    pub options: Vec<i32>,
    pub max_states: usize,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckReply {
    /// The worker has loaded and listens.
    Ready,
    Progress {
        states: u64,
        transitions: u64,
        depth: u32,
        seconds: f64,
    },
    Done {
        verdict: String,
        property: Option<String>,
        message: Option<String>,
        /// The counterexample in schedule text form.
        schedule: Option<String>,
        /// For a lasso: the number of steps before the cycle.
        cycle_start: Option<usize>,
        states: u64,
        transitions: u64,
        depth: u32,
        seconds: f64,
        /// The reductions the search applied, in words (`Checker::reductions`).
        #[serde(default)]
        reductions: String,
    },
    Error {
        message: String,
    },
}

/// Trace parsing in the same worker (one wasm build, one download). The page posts a JS
/// object `{ file: Blob, chunk: number }` (not a string, which is how the worker tells it
/// from a `CheckRequest`); the worker answers with `TraceReply` JSON strings, except the
/// result, which is `{ json: TraceReply::Parsed, events: ArrayBuffer }` with the buffer
/// transferred (`crate::wire` records).
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TraceReply {
    /// The worker has loaded and listens (the same message as `CheckReply::Ready`).
    Ready,
    Progress {
        bytes: u64,
        total: u64,
    },
    /// The trace without its events (names, warnings, counts), which follow as records.
    Parsed {
        trace: sdlab_trace::Trace,
        /// Wall time in the worker from the first slice to the parsed trace, and the part
        /// of it spent waiting for slices (the rest is parsing and sorting).
        parse_ms: f64,
        read_ms: f64,
    },
    Error {
        message: String,
    },
}

/// Bytes read from the file per slice. Chromium hands Blob slices over at about 200 MB/s
/// however they are cut; 16 MiB slices (three in flight) measured 209 MB/s against 162 MB/s
/// for 4 MiB (web/bench-trace.mjs, 123 MB), and progress still moves several times a second.
pub const TRACE_CHUNK: u32 = 16 << 20;
