//! `sdlab trace stats|convert`: read a kernel trace (ktrdump FreeBSD or DragonFly, Linux
//! ftrace text), reconstruct its shootdown rounds, print statistics or write it in another
//! format. The file is streamed into `sdlab_trace::Reader` in chunks, as the app's worker
//! does with `Blob` slices.

mod conform;

use crate::{load, warn, Error};
use sdlab_engine::{Machine, Session};
use sdlab_trace::replay::{reconstruct, Stats};
use sdlab_trace::{export, Reader, Trace, Warning, WarningClass};
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Kernel traces: statistics of shootdown rounds, conversion to Perfetto or ktrdump text.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    Stats(StatsArgs),
    Convert(ConvertArgs),
    Emulate(EmulateArgs),
    Conform(conform::ConformArgs),
}

/// Parse a trace, reconstruct shootdown rounds and IPIs, print what was found.
///
/// Lines that are not understood are counted and listed (up to 10 here, all with --json
/// counts); the rest of the file is still read. Exit status: 0 read, 2 not readable as a
/// trace.
#[derive(clap::Args, Debug)]
struct StatsArgs {
    /// The trace: ktrdump output (FreeBSD or DragonFly) or Linux ftrace text.
    file: PathBuf,
    /// Print one JSON object (format, events, cpus, warnings, rounds, rounds_complete,
    /// rounds_by_kind, tlb_shootdown_rounds, time_unit, latency_us {p50, p90, max},
    /// ipi_matrix, events_per_cpu, …).
    #[arg(long)]
    json: bool,
    /// Also write one CSV row per round (initiator, targets, per-target receive, flush
    /// and done times, latency, evidence) to this file, `-` for standard output; see
    /// docs/rounds-csv.md for the columns and DuckDB queries over many traces.
    #[arg(long, value_name = "FILE.csv")]
    rounds: Option<PathBuf>,
    /// Also write one CSV row per target of every round to this file (`-`: standard output).
    #[arg(long, value_name = "FILE.csv")]
    legs: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Target {
    /// Chrome / Perfetto JSON (open in ui.perfetto.dev): IPIs as flow arrows.
    Perfetto,
    /// FreeBSD `ktrdump -ct` text (IPI sends as KTR_SMP ipi_selected records).
    KtrdumpFreebsd,
    /// DragonFly `ktrdump -c -i -t -p` text (ipiq_* records).
    KtrdumpDragonfly,
    /// Linux ftrace text (tlb_flush, csd_*, ipi_send_*, call_function_* records), times scaled to seconds by the trace's time base.
    Ftrace,
}

/// Write a trace in another format.
#[derive(clap::Args, Debug)]
struct ConvertArgs {
    /// The trace to read.
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    to: Target,
    /// Output file (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
}

/// Run a model on the emulated machine and write the run as a trace.
///
/// A seeded random schedule, one tick per step: IPIs, handlers, TLB flushes and the
/// model's ktr trace points. The result is emulated, not captured: label it so.
#[derive(clap::Args, Debug)]
struct EmulateArgs {
    #[command(flatten)]
    target: load::Target,
    /// Seed of the random schedule.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Take at most this many steps.
    #[arg(long, value_name = "K", default_value_t = 2000)]
    steps: usize,
    /// Output format.
    #[arg(long, value_enum)]
    to: Target,
    /// Output file (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
}

pub fn main(args: Args) -> Result<ExitCode, Error> {
    match args.command {
        Command::Stats(a) => stats(a),
        Command::Convert(a) => convert(a),
        Command::Emulate(a) => emulate(a),
        Command::Conform(a) => conform::main(a),
    }
}

/// Chunk size of the streamed read: big enough to amortise calls, small enough that a
/// progress report (in the app) moves.
const CHUNK: usize = 1 << 20;

/// Read and parse `path`; an unreadable file or a file that is no trace is bad input.
pub fn read(path: &Path) -> Result<Trace, Error> {
    let shown = path.display();
    let mut f = File::open(path).map_err(|e| Error::Input(format!("cannot read `{shown}`: {e}")))?;
    let mut reader = Reader::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::Input(format!("cannot read `{shown}`: {e}"))),
        };
        reader.feed(&buf[..n]);
        if reader.gave_up() {
            break;
        }
    }
    reader.finish().map_err(|e| match e.line {
        0 => Error::Input(format!("{shown}: not a trace: {}", e.reason)),
        n => Error::Input(format!("{shown}:{n}: not a trace: {}", e.reason)),
    })
}

fn class(w: &Warning) -> &'static str {
    match w.class {
        WarningClass::Tokenize => "not a record",
        WarningClass::Parse => "bad value",
        WarningClass::Reconstruct => "does not fit",
    }
}

/// Shown in the text output; --json has the counts, the app lists them all.
const WARNINGS_SHOWN: usize = 10;

fn stats(args: StatsArgs) -> Result<ExitCode, Error> {
    let trace = read(&args.file)?;
    let replay = reconstruct(&trace);
    let s = replay.stats(&trace);
    let name = args.file.display().to_string();
    let csv_to_stdout = [&args.rounds, &args.legs].iter().any(|p| p.as_deref() == Some(Path::new("-")));
    if let Some(path) = &args.rounds {
        write_csv(path, |w| export::rounds_csv(&name, &trace, &replay, w))?;
    }
    if let Some(path) = &args.legs {
        write_csv(path, |w| export::legs_csv(&name, &trace, &replay, w))?;
    }
    if csv_to_stdout {
        // The CSV is the output; the summary would corrupt it.
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = BufWriter::new(crate::stdout());
    if args.json {
        serde_json::to_writer(&mut out, &s).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        text(&mut out, &args.file, &s)?;
        let shown = args.file.display();
        let all = trace.warnings.iter().chain(&replay.warnings);
        for w in all.take(WARNINGS_SHOWN) {
            writeln!(out, "  {shown}:{}: {}: {}", w.line, class(w), w.reason)?;
        }
        if s.warnings > WARNINGS_SHOWN as u64 {
            writeln!(out, "  … and {} more", s.warnings - WARNINGS_SHOWN as u64)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Write a CSV table to `path` (`-`: standard output), created or truncated.
fn write_csv(path: &Path, body: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
    if path == Path::new("-") {
        let mut out = BufWriter::new(crate::stdout());
        body(&mut out)?;
        out.flush()?;
        return Ok(());
    }
    let shown = path.display();
    let f = File::create(path).map_err(|e| Error::Input(format!("cannot write `{shown}`: {e}")))?;
    let mut out = BufWriter::new(f);
    body(&mut out).and_then(|()| out.flush()).map_err(|e| Error::Input(format!("cannot write `{shown}`: {e}")))?;
    Ok(())
}

fn text<W: Write>(out: &mut W, path: &Path, s: &Stats) -> io::Result<()> {
    writeln!(out, "{}: {} trace, {} events on {} CPUs, {} lines", path.display(), s.format, s.events, s.cpus, s.lines)?;
    writeln!(
        out,
        "rounds: {} ({} complete); targets per round: {}",
        s.rounds,
        s.rounds_complete,
        s.targets_per_round.iter().map(|(t, n)| format!("{t}×{n}")).collect::<Vec<_>>().join(", ")
    )?;
    if !s.rounds_by_kind.is_empty() {
        let kinds: Vec<String> = s.rounds_by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
        writeln!(out, "round kinds: {}; TLB shootdown rounds: {}", kinds.join(", "), s.tlb_shootdown_rounds)?;
    }
    match &s.latency {
        Some(l) => writeln!(
            out,
            "latency ({}, {} rounds): p50 {:.1}, p90 {:.1}, max {:.1}",
            s.time_unit, l.count, l.p50, l.p90, l.max
        )?,
        None => writeln!(out, "latency: no complete round")?,
    }
    writeln!(out, "events per CPU: {}", s.events_per_cpu.iter().map(u64::to_string).collect::<Vec<_>>().join(" "))?;
    let arrows: Vec<String> = s.arrows.iter().map(|(k, n)| format!("{n} {k}")).collect();
    writeln!(out, "arrows: {}", if arrows.is_empty() { "none".into() } else { arrows.join(", ") })?;
    if s.ipi_matrix.iter().flatten().any(|&n| n > 0) {
        writeln!(out, "IPIs sent (row: sender, column: receiver):")?;
        let w = s.ipi_matrix.iter().flatten().max().map_or(1, |m| m.to_string().len()).max(3);
        write!(out, "    ")?;
        for c in 0..s.ipi_matrix.len() {
            write!(out, " {c:>w$}")?;
        }
        writeln!(out)?;
        for (r, row) in s.ipi_matrix.iter().enumerate() {
            write!(out, "{r:>4}")?;
            for n in row {
                write!(out, " {n:>w$}")?;
            }
            writeln!(out)?;
        }
    }
    writeln!(
        out,
        "orphans at trace start (expected, not warnings): {}; unfinished at the end: {}",
        s.orphans_at_start, s.unfinished_at_end
    )?;
    for n in &s.notes {
        writeln!(out, "note: {n}")?;
    }
    writeln!(
        out,
        "warnings: {} ({} not a record, {} bad value, {} do not fit)",
        s.warnings, s.warnings_tokenize, s.warnings_parse, s.warnings_reconstruct
    )
}

fn emulate(args: EmulateArgs) -> Result<ExitCode, Error> {
    let (l, cfg) = args.target.load()?;
    let machine = Machine::new(l.prog.clone(), cfg).map_err(|e| Error::Input(e.into()))?;
    let mut session = Session::new(machine);
    for _ in 0..args.steps {
        match session.step_seeded(args.seed) {
            None => break,
            Some(Ok(_)) => {}
            Some(Err(f)) => return Err(Error::Input(format!("{}: model error during the run: {f}", l.name))),
        }
    }
    let trace = sdlab_runtrace::session_to_trace(&session);
    write_as(&trace, args.to, args.output.as_deref())
}

fn convert(args: ConvertArgs) -> Result<ExitCode, Error> {
    let trace = read(&args.file)?;
    if trace.warning_count > 0 {
        warn(&format!(
            "sdlab: {}: {} lines not understood were left out (see `sdlab trace stats`)",
            args.file.display(),
            trace.warning_count
        ));
    }
    write_as(&trace, args.to, args.output.as_deref())
}

fn write_as(trace: &Trace, to: Target, output: Option<&Path>) -> Result<ExitCode, Error> {
    let write = |out: &mut dyn Write| -> io::Result<()> {
        let mut out = BufWriter::new(out);
        match to {
            Target::Perfetto => export::perfetto(trace, &reconstruct(trace), &mut out)?,
            Target::KtrdumpFreebsd => export::freebsd(trace, &mut out)?,
            Target::KtrdumpDragonfly => export::dragonfly(trace, &mut out)?,
            Target::Ftrace => sdlab_runtrace::ftrace::write(trace, &mut out)?,
        }
        out.flush()
    };
    match output {
        Some(path) => {
            let shown = path.display();
            let mut f = File::create(path).map_err(|e| Error::Input(format!("cannot write `{shown}`: {e}")))?;
            write(&mut f).map_err(|e| Error::Input(format!("cannot write `{shown}`: {e}")))?;
        }
        None => write(&mut crate::stdout())?,
    }
    Ok(ExitCode::SUCCESS)
}
