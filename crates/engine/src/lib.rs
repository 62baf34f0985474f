//! Shootdown Lab engine: the model language, the emulated x86 machine and the one step
//! API that the stepper, the random runner, the CLI and the app all share.
//!
//! Data flow: model text → [`compile`] → [`Program`] → [`Machine`] (+ [`Config`]) →
//! `enabled(&State)` / `step(&mut State, Choice)` → [`Effect`]s.
//!
//! Invariants: no file system, no clock, no randomness but the seeded one in
//! [`schedule`], no threads, no web dependencies. Nothing here panics on user input.

pub mod bench;
mod canon;
pub mod checker;
mod dfs;
pub mod diag;
mod fpset;
pub mod lang;
mod level;
pub mod machine;
pub mod models;
mod pool;
pub mod schedule;
pub mod session;

pub use diag::{Diagnostic, Span};
pub use lang::compile::compile;
pub use lang::program::Program;
pub use machine::{Choice, Config, Effect, Fault, Machine, State, Stepped, Stuck, Violation};
pub use session::Session;
