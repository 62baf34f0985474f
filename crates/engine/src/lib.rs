//! Shootdown Lab engine: the model language, the emulated x86 machine and the one step
//! API that the stepper, the random runner, the CLI and the app all share.
//!
//! Data flow: model text → [`compile`] → [`Program`] → [`Machine`] (+ [`Config`]) →
//! `enabled(&State)` / `step(&mut State, Choice)` → [`Effect`]s.
//!
//! Invariants: no file system, no randomness but the seeded one in [`schedule`], no web
//! dependencies, and no threads or clock outside `search/pool.rs` (the breadth-first
//! levels' pool, native only, whose result does not depend on them; see [`search`]).
//! Nothing here panics on user input.

pub mod bench;
pub mod diag;
pub mod lang;
pub mod machine;
pub mod models;
pub mod property;
pub mod schedule;
pub mod search;
pub mod session;

/// The search's old name, which the other crates import.
pub use search as checker;

pub use diag::{Diagnostic, Span};
pub use lang::compile::compile;
pub use lang::program::Program;
pub use machine::{Choice, Config, Effect, Fault, Machine, Refused, RunError, State, Stepped, Stuck, Violation};
pub use property::{Property, RaceKind};
pub use session::Session;
