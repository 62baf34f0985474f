//! Shootdown Lab traces: real kernel traces in, normalized events and reconstructed
//! shootdown rounds out.
//!
//! Data flow: bytes → [`Reader::feed`] (chunk boundaries anywhere) → format detection →
//! per-format line parsers → [`Event`]s sorted by time → [`Trace`] → [`replay`]
//! (rounds, IPI arrows, ring occupancy, time index, statistics) → views and [`export`]ers.
//!
//! Invariants: no fs, no clock, no randomness, no threads, no web APIs, no dependency on the
//! engine; nothing here panics on input (bad lines become located [`Warning`]s).

mod detect;
mod event;
pub mod export;
mod ftrace;
mod funcgraph;
mod ktr_dragonfly;
mod ktr_freebsd;
mod lines;
mod reader;
pub mod replay;

pub use event::*;
pub use reader::{parse, ReadError, Reader};
