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
        /// When the state limit stopped the breadth-first search: every run of up to
        /// this many steps was explored (and broke no property).
        #[serde(default)]
        explored_depth: Option<u32>,
        /// Seconds until the breadth-first (safety) search was over, when a liveness
        /// pass followed it.
        #[serde(default)]
        safety_seconds: Option<f64>,
        /// The worker's wasm memory at the end (it never shrinks: the peak), in bytes.
        #[serde(default)]
        memory_bytes: u64,
        /// The web workers the search ran on.
        #[serde(default = "one")]
        workers: usize,
    },
    Error {
        message: String,
    },
}

fn one() -> usize {
    1
}

/// A web worker's memory cannot pass 4 GiB (wasm32 addresses); the search keeps an
/// eighth of it free for the allocator's largest growth step beyond what the measured
/// cost per state below already includes.
pub const WASM_BUDGET: u64 = (4 << 30) / 8 * 7;

/// Peak wasm memory of the checker per state it stores, measured in the page
/// (`cargo xtask bench page`, BENCHMARKS.md: the worker's memory at the end of a 4-CPU
/// scoreboard check over its states): the visited fingerprints (16 bytes a slot, at most
/// 3/4 full, doubled when full), the parent links and the two frontier levels' encodings.
pub const BYTES_PER_STATE: u64 = 100;

/// The device memory assumed where the browser does not say (`navigator.deviceMemory` is
/// Chromium's only; it reports at most 8 GiB).
pub const DEVICE_MEMORY_UNKNOWN_GIB: f64 = 8.0;

/// How many states "Find a race" may store in one worker: what fits both in the worker's
/// wasm memory and in half the device's memory as the browser reports it, in GiB
/// (`navigator.deviceMemory`), at the measured cost per state.
pub fn state_limit(device_memory_gib: Option<f64>) -> usize {
    let gib = device_memory_gib.filter(|g| g.is_finite() && *g > 0.0).unwrap_or(DEVICE_MEMORY_UNKNOWN_GIB);
    let device = (gib * (1u64 << 30) as f64 / 2.0) as u64;
    (device.min(WASM_BUDGET) / BYTES_PER_STATE) as usize
}

/// Peak wasm memory of the liveness pass per state it has seen: its visited fingerprints
/// (16 bytes a slot, at most 3/4 full, doubled when full: 21 to 43 bytes) and its
/// depth-first stack.
pub const LIVENESS_BYTES_PER_STATE: u64 = 48;

/// While the liveness pass runs beside the breadth-first search (on a worker of its own,
/// `race_pool.rs`), the states each may hold: together they stay within what one search
/// may have at `max_states`. Past it the pass beside is let go and runs after the search.
pub fn beside_limit(max_states: usize) -> usize {
    ((max_states as u64).saturating_mul(BYTES_PER_STATE) / (BYTES_PER_STATE + LIVENESS_BYTES_PER_STATE)) as usize
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

#[cfg(test)]
mod tests {
    use super::{beside_limit, state_limit, BYTES_PER_STATE, LIVENESS_BYTES_PER_STATE, WASM_BUDGET};

    #[test]
    fn the_search_and_the_liveness_pass_beside_it_fit_together_in_one_search_s_memory() {
        for gib in [0.25, 1.0, 4.0, 8.0] {
            let max = state_limit(Some(gib));
            let both = beside_limit(max) as u64;
            assert!(both * (BYTES_PER_STATE + LIVENESS_BYTES_PER_STATE) <= max as u64 * BYTES_PER_STATE);
            assert!(both > max as u64 / 2, "{both} of {max}");
        }
        // The 4-CPU scoreboard check (22 011 628 states) runs both at once on a device
        // that does not say its memory.
        assert!(beside_limit(state_limit(None)) > 22_011_628);
        assert_eq!(beside_limit(0), 0);
    }

    #[test]
    fn the_state_limit_follows_the_device_memory_up_to_the_wasm_ceiling() {
        // A phone that says 1 GiB: half of it.
        assert_eq!(state_limit(Some(1.0)), ((1 << 29) / BYTES_PER_STATE) as usize);
        // 8 GiB (Chromium's largest answer) or a browser that does not say: the worker's
        // own ceiling, which holds the 22 M states of the scoreboard's 4-CPU check.
        assert_eq!(state_limit(Some(8.0)), (WASM_BUDGET / BYTES_PER_STATE) as usize);
        assert_eq!(state_limit(None), state_limit(Some(8.0)));
        assert!(state_limit(None) > 22_011_628, "{}", state_limit(None));
        // Nonsense from a page script is ignored, never a zero limit.
        assert_eq!(state_limit(Some(f64::NAN)), state_limit(None));
        assert_eq!(state_limit(Some(-1.0)), state_limit(None));
        assert!(state_limit(Some(0.25)) > 100_000);
    }
}
