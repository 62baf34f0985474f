//! What a search explores and where it stops (pan's switches).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Breadth-first: the shortest counterexample for every safety property.
    Bfs,
    /// Depth-first: a counterexample (not necessarily the shortest), with optional
    /// partial-order reduction; finds fair non-progress cycles on its way.
    Dfs,
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Stop with `Limit` after this many distinct states.
    pub max_states: usize,
    /// Stop with `Limit` when the frontier would go deeper than this.
    pub max_depth: u32,
    pub mode: Mode,
    /// Partial-order reduction (depth-first mode only): see `dfs.rs` for what it skips
    /// and why that preserves every property checked.
    pub por: bool,
    /// After a breadth-first search that finds nothing, search depth-first for a fair
    /// cycle in which a CPU waits forever (G-NOLOST as a lasso).
    pub liveness: bool,
    /// Threads expanding each breadth-first level (`level.rs`); the result is the same
    /// for every count. 1 in the browser, which has no threads.
    pub threads: usize,
    /// With several threads, levels of fewer records are expanded on one: below about a
    /// thousand, waking the threads three times and stepping the new states twice cost
    /// more than they save (measured on the scoreboard's E1 search, whose levels have
    /// 300–1 800 records). Tests set 1 to run every level on the threads.
    pub parallel_level: usize,
    /// Records per thread in one round of a parallel level: the successors' encodings of
    /// a round are kept until its new states are, so this bounds that memory (4096: a few
    /// megabytes per thread). Tests make it small to cross many round boundaries.
    pub parallel_chunk: usize,
    /// Breadth-first only: keep one state per orbit of interchangeable CPUs, where the
    /// configuration has some (`Machine::symmetry`, canon.rs). The liveness pass and the
    /// depth-first search never reduce by symmetry.
    pub symmetry: bool,
    /// At most this many preemptions on a path, in a scenario with threads (iterative
    /// context bounding, `Machine::with_preemption_bound`); `None`, the default: any
    /// number. Without threads nothing is ever switched, so every bound is 0 in effect.
    pub preemptions: Option<u8>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_states: 5_000_000,
            max_depth: 10_000,
            mode: Mode::Bfs,
            por: false,
            liveness: true,
            threads: 1,
            parallel_level: 1024,
            parallel_chunk: 4096,
            symmetry: true,
            preemptions: None,
        }
    }
}
