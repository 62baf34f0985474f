//! `sdlab`, the native command line of Shootdown Lab.
//!
//! `main` parses the flags into a [`Command`] and `dispatch`es to one module per
//! subcommand. This crate is the only one that touches the file system and the clock;
//! the engine and the trace crate stay pure.
//!
//! Exit codes: 0 = ok / the properties held on this run, 1 = a violation or a stuck
//! state (deadlock, lost shootdown) was found, 2 = bad input or a model error. The code
//! is the verdict's even when stdout closes early (`sdlab run … | head`): commands write
//! through [`stdout`], which drops output once the reader has gone and lets the command
//! run to its verdict.

mod bench;
mod bench_trace;
mod check;
mod fuzz;
mod fuzz_model;
mod load;
mod models;
mod races;
mod run;
mod trace;

use clap::{Parser, Subcommand};
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shootdown Lab: emulate TLB-shootdown algorithms on x86-like CPUs, replay kernel traces.
///
/// Exit codes: 0 ok, 1 violation or deadlock found, 2 bad input or model error.
#[derive(Parser, Debug)]
#[command(name = "sdlab", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Models(models::Args),
    Run(run::Args),
    Check(check::Args),
    Races(races::Args),
    BenchSteps(bench::Args),
    Trace(trace::Args),
    BenchTrace(bench_trace::Args),
    FuzzTrace(fuzz::Args),
    FuzzModel(fuzz_model::Args),
}

/// Why a command did not complete normally.
#[derive(Debug)]
pub enum Error {
    /// Bad input (unknown model, bad option, unreadable file, …): printed, exit 2.
    Input(String),
    /// Already reported on stderr (compile diagnostics): exit 2.
    Reported,
    /// Writing the output failed (not a broken pipe on [`stdout`], which is absorbed).
    Io(io::Error),
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Io(e)
    }
}

/// Exit status for a run that found a violation or a stuck state.
pub const FOUND: u8 = 1;
/// Exit status for bad input and model errors.
pub const BAD_INPUT: u8 = 2;

fn dispatch(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Models(a) => models::main(a),
        Command::Run(a) => run::main(a),
        Command::Check(a) => check::main(a),
        Command::Races(a) => races::main(a),
        Command::BenchSteps(a) => bench::main(a),
        Command::Trace(a) => trace::main(a),
        Command::BenchTrace(a) => bench_trace::main(a),
        Command::FuzzTrace(a) => fuzz::main(a),
        Command::FuzzModel(a) => fuzz_model::main(a),
    }
}

/// Set once a write to stdout met a closed pipe.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Standard output for every command. When the reader goes away (EPIPE; Rust ignores
/// SIGPIPE, so the write fails instead of killing us) this and every later write report
/// success without writing: an error here would end the command before its verdict, and
/// the exit code would then say nothing about the run.
pub fn stdout() -> Stdout {
    Stdout(io::stdout().lock())
}

pub struct Stdout(io::StdoutLock<'static>);

impl Stdout {
    fn absorb<T>(&self, r: io::Result<T>, ok: T) -> io::Result<T> {
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                STDOUT_CLOSED.store(true, Ordering::Relaxed);
                Ok(ok)
            }
            r => r,
        }
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if STDOUT_CLOSED.load(Ordering::Relaxed) {
            return Ok(buf.len());
        }
        let r = self.0.write(buf);
        self.absorb(r, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if STDOUT_CLOSED.load(Ordering::Relaxed) {
            return Ok(());
        }
        let r = self.0.flush();
        self.absorb(r, ())
    }
}

/// Print to stderr; a closed stderr is not worth a panic.
pub fn warn(msg: &str) {
    let _ = writeln!(io::stderr().lock(), "{msg}");
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors to stderr with 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(BAD_INPUT));
        }
    };
    match dispatch(cli) {
        Ok(code) => code,
        Err(Error::Io(e)) => {
            warn(&format!("sdlab: error: cannot write the output: {e}"));
            ExitCode::from(BAD_INPUT)
        }
        Err(Error::Input(msg)) => {
            warn(&format!("sdlab: error: {msg}"));
            ExitCode::from(BAD_INPUT)
        }
        Err(Error::Reported) => ExitCode::from(BAD_INPUT),
    }
}
