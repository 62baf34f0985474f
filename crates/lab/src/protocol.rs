//! Messages between the page and the checker's web worker, as JSON strings.

use sdlab_engine::{schedule, Property};
use sdlab_runtrace::conform;
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
        verdict: Verdict,
        property: Option<Property>,
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

/// How a search ended (`sdlab_engine::search::Outcome` without its payload).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Verified,
    Violation,
    /// A model error was reached.
    Fault,
    /// The state limit stopped the search: nothing was proved.
    Limit,
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

/// Conformance in the worker (`sdlab_runtrace::conform`): the page posts a JS object
/// `{ conform: <ConformRequest JSON>, events: ArrayBuffer }` (the events as `crate::wire`
/// records, transferred) and the worker answers with `ConformReply` JSON strings: one
/// `Round` per round as it is decided, then `Done`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ConformRequest {
    /// The trace without its events.
    pub trace: sdlab_trace::Trace,
    pub model: String,
    pub scenario: Option<String>,
    /// The rounds to check, by the event index they start at; empty checks every round.
    pub starts: Vec<u32>,
    pub max_states: usize,
    /// Wall-clock budget per round.
    pub seconds: f64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConformReply {
    Ready,
    /// How many rounds will be checked (sent before the first is).
    Planned {
        rounds: usize,
    },
    Round(RoundVerdict),
    Done {
        rounds: usize,
        seconds: f64,
    },
    Error {
        message: String,
    },
}

/// One round's verdict, in trace terms: event indices into the trace the page holds.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RoundVerdict {
    /// The event index the round starts at (the replay round's start; 0 for a ktrdump window).
    pub start: u32,
    /// The trace CPU of each model CPU.
    pub cpus: Vec<u16>,
    /// The model's scenario the run starts from (none when the round was not decided).
    #[serde(default)]
    pub scenario: Option<String>,
    /// Expected events of the round.
    pub events: usize,
    pub states: usize,
    pub seconds: f64,
    pub verdict: ConformVerdict,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum ConformVerdict {
    /// `schedule` in `schedule::format` text; `matched` pairs a step (0-based) with the
    /// event index it produced.
    Conforms { schedule: String, matched: Vec<(u32, u32)> },
    /// The shortest run matching the longest prefix, and the event it cannot produce next.
    Mismatch { schedule: String, matched: Vec<(u32, u32)>, prefix: usize, event: u32, reason: String },
    /// Bound reached, or the round could not be set up: never read as conforming.
    Undecided { reason: String },
}

impl ConformVerdict {
    pub fn word(&self) -> &'static str {
        match self {
            ConformVerdict::Conforms { .. } => "conforms",
            ConformVerdict::Mismatch { .. } => "mismatch",
            ConformVerdict::Undecided { .. } => "undecided",
        }
    }
}

impl RoundVerdict {
    /// The verdict the worker sends for `round`, from the search's outcome.
    pub fn new(
        round: &conform::Round,
        outcome: conform::Outcome,
        scenario: Option<String>,
        seconds: f64,
    ) -> RoundVerdict {
        let verdict = match outcome.verdict {
            conform::Verdict::Conforms(m) => {
                ConformVerdict::Conforms { schedule: schedule::format(&m.schedule), matched: m.steps }
            }
            conform::Verdict::Mismatch(mm) => ConformVerdict::Mismatch {
                schedule: schedule::format(&mm.run.schedule),
                matched: mm.run.steps,
                prefix: mm.prefix,
                event: mm.event,
                reason: mm.reason,
            },
            conform::Verdict::Undecided(reason) => ConformVerdict::Undecided { reason },
        };
        RoundVerdict {
            start: round.start,
            cpus: round.cpus.clone(),
            scenario,
            events: round.events(),
            states: outcome.states,
            seconds,
            verdict,
        }
    }
}

/// The step that makes a race (`cause::unavoidable_after`), found in the worker: the page
/// posts a JS object `{ cause: <CauseRequest JSON> }` and the worker answers with one
/// `CauseReply` JSON string. `Pane::cause_request` builds the request from the loaded
/// counterexample, and the reply is taken only while the same request is still pending.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CauseRequest {
    pub source: String,
    pub ncpu: u32,
    pub scenario: usize,
    pub options: Vec<i32>,
    /// The counterexample in schedule text form.
    pub schedule: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CauseReply {
    pub request: CauseRequest,
    /// The step after which the violation can no longer be avoided, when it is not the last.
    pub step: Option<usize>,
    /// Why no answer could be given (the model does not compile, the run does not replay).
    #[serde(default)]
    pub error: Option<String>,
}
