//! Streaming entry point: feed bytes in chunks of any size, then finish.
//!
//! The first [`detect::SAMPLE`] bytes are held back until the format is known (the BSD
//! layouts are inferred from a sample of rows, so the parser must see them before the first
//! line); after that, chunks go straight to the line splitter and only a partial last line
//! is ever copied. Each format's parser pushes [`Event`]s into a [`Sink`]; `finish` rebases
//! time to 0 and sorts stably, so file order (or the order the parser chose) breaks ties.

use crate::detect;
use crate::event::{
    cpu_limit_reason, Event, Format, Kind, Names, TimeBase, Trace, Warning, WarningClass, CPU_LIMIT, MAX_WARNINGS,
};
use crate::ftrace::Linux;
use crate::ktr_dragonfly::DragonFly;
use crate::ktr_freebsd::FreeBsd;
use crate::lines::{Loc, Piece, Splitter, MAX_LINE};

/// Why a file could not be read as a trace at all (individual bad lines are warnings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub line: u32,
    pub reason: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for ReadError {}

/// Where parsers put their output. Warnings beyond [`MAX_WARNINGS`] are only counted, and
/// their text is never built.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub(crate) events: Vec<Event>,
    pub(crate) names: Names,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) warning_count: u64,
    recent: [Recent; RECENT_NAMES],
    recent_next: usize,
}

const RECENT_NAMES: usize = 8;
const RECENT_LEN: usize = 40;

/// A name the interner returned lately, kept inline.
#[derive(Clone, Copy, Debug)]
struct Recent {
    len: u8,
    bytes: [u8; RECENT_LEN],
    sym: u32,
}

impl Default for Recent {
    fn default() -> Self {
        // u8::MAX is longer than any cached name, so an unused slot never matches.
        Recent { len: u8::MAX, bytes: [0; RECENT_LEN], sym: 0 }
    }
}

impl Sink {
    /// The one door every parser's events go through, so the CPU cap holds for all of them
    /// even where a parser did not check earlier.
    #[inline]
    pub(crate) fn push(&mut self, ts: u64, cpu: u16, loc: Loc, kind: Kind) {
        if cpu >= CPU_LIMIT {
            return self.warn_with(loc, WarningClass::Parse, || cpu_limit_reason(cpu as u64));
        }
        self.events.push(Event { ts, cpu, line: loc.line, offset: loc.offset, kind });
    }

    pub(crate) fn warn(&mut self, loc: Loc, class: WarningClass, reason: &str) {
        self.warn_with(loc, class, || reason.to_owned());
    }

    pub(crate) fn warn_with(&mut self, loc: Loc, class: WarningClass, reason: impl FnOnce() -> String) {
        self.warning_count += 1;
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(Warning { line: loc.line, offset: loc.offset, class, reason: reason() });
        }
    }

    /// Interned name; the last few names are found without hashing (a trace names a handful
    /// of events and csd functions millions of times).
    pub(crate) fn intern(&mut self, name: &[u8]) -> u32 {
        if let Some(r) = self.recent.iter().find(|r| r.len as usize == name.len() && r.bytes[..name.len()] == *name) {
            return r.sym;
        }
        let sym = match std::str::from_utf8(name) {
            Ok(s) => self.names.intern(s),
            Err(_) => self.names.intern(&String::from_utf8_lossy(name)),
        };
        if name.len() <= RECENT_LEN {
            // Round robin, inline bytes: a miss allocates nothing.
            let slot = &mut self.recent[self.recent_next % RECENT_NAMES];
            slot.len = name.len() as u8;
            slot.bytes[..name.len()].copy_from_slice(name);
            slot.sym = sym;
            self.recent_next = self.recent_next.wrapping_add(1);
        }
        sym
    }
}

/// What a format parser knows only at the end of the file.
pub(crate) struct Finished {
    pub(crate) time: TimeBase,
    /// CPU count stated by the file (`#P:`, `cpus=`), 0 when it says nothing; at most
    /// [`CPU_LIMIT`].
    pub(crate) cpus: u16,
}

#[derive(Debug)]
enum Parser {
    Linux(Linux),
    FreeBsd(FreeBsd),
    DragonFly(DragonFly),
}

impl Parser {
    fn new(format: Format, sample: &[u8]) -> Parser {
        match format {
            // Emulated traces are made, not read; detect refuses that format before this.
            Format::LinuxFtrace | Format::TraceCmd | Format::LinuxLatency | Format::Emulated => {
                Parser::Linux(Linux::new())
            }
            Format::FreeBsdKtr => Parser::FreeBsd(FreeBsd::new(sample)),
            Format::DragonFlyKtr => Parser::DragonFly(DragonFly::new(sample)),
        }
    }

    #[inline]
    fn line(&mut self, line: &[u8], loc: Loc, sink: &mut Sink) {
        match self {
            Parser::Linux(p) => p.line(line, loc, sink),
            Parser::FreeBsd(p) => p.line(line, loc, sink),
            Parser::DragonFly(p) => p.line(line, loc, sink),
        }
    }

    fn finish(self, sink: &mut Sink) -> Finished {
        match self {
            Parser::Linux(p) => p.finish(sink),
            Parser::FreeBsd(p) => p.finish(sink),
            Parser::DragonFly(p) => p.finish(sink),
        }
    }
}

#[derive(Debug)]
struct Parsing {
    format: Format,
    split: Splitter,
    parser: Parser,
    sink: Sink,
}

impl Parsing {
    fn feed(&mut self, chunk: &[u8]) {
        let Parsing { split, parser, sink, .. } = self;
        split.feed(chunk, &mut |piece, loc| handle(parser, sink, piece, loc));
    }
}

fn handle(parser: &mut Parser, sink: &mut Sink, piece: Piece<'_>, loc: Loc) {
    match piece {
        Piece::Line(line) => parser.line(line, loc, sink),
        Piece::TooLong(len) => sink.warn_with(loc, WarningClass::Tokenize, || {
            format!("line of {len} bytes is longer than the {MAX_LINE}-byte limit; skipped")
        }),
    }
}

/// Input read before the event list is sized from how dense its events are so far.
const SIZE_AFTER: u64 = 1 << 20;

#[derive(Debug)]
enum State {
    Detecting(Vec<u8>),
    Parsing(Box<Parsing>),
    Failed(ReadError),
}

#[derive(Debug)]
pub struct Reader {
    forced: Option<Format>,
    fed: u64,
    state: State,
    /// Bytes the whole input will have, when known beforehand.
    expected: u64,
}

impl Default for Reader {
    fn default() -> Self {
        Reader { forced: None, fed: 0, state: State::Detecting(Vec::new()), expected: 0 }
    }
}

impl Reader {
    /// A reader that detects the format from the first lines.
    pub fn new() -> Reader {
        Reader::default()
    }

    /// A reader that skips detection.
    pub fn with_format(format: Format) -> Reader {
        Reader { forced: Some(format), ..Reader::default() }
    }

    /// Say how many bytes the whole input has (a file's size). After its first megabyte the
    /// event list is made big enough for the whole at the density seen so far, instead of
    /// being copied each time it doubles (a tenth of the parse of a million events in the
    /// browser's worker). A wrong size costs only that copying or unused room, never a result.
    pub fn expect_bytes(&mut self, bytes: u64) {
        self.expected = bytes;
    }

    fn size_events(&mut self) {
        let State::Parsing(p) = &mut self.state else { return };
        if self.expected <= self.fed || self.fed < SIZE_AFTER {
            return;
        }
        let seen = p.sink.events.len() as u64;
        // An eighth over the projection, so a slightly denser tail still fits.
        let projected = seen.saturating_mul(self.expected) / self.fed;
        let want = projected.saturating_add(projected / 8);
        // A size no memory can hold (a hostile hint) is simply not reserved.
        let _ = p.sink.events.try_reserve(usize::try_from(want.saturating_sub(seen)).unwrap_or(usize::MAX));
        self.expected = 0;
    }

    /// Feed the next chunk; a line may be split across chunks anywhere.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.fed += chunk.len() as u64;
        self.feed_state(chunk);
        if self.expected > 0 {
            self.size_events();
        }
    }

    fn feed_state(&mut self, chunk: &[u8]) {
        match &mut self.state {
            State::Parsing(p) => p.feed(chunk),
            State::Failed(_) => {}
            State::Detecting(buf) => {
                if buf.is_empty() && chunk.len() >= detect::SAMPLE {
                    self.start(chunk, false);
                } else {
                    buf.extend_from_slice(chunk);
                    if buf.len() >= detect::SAMPLE {
                        let buf = std::mem::take(buf);
                        self.start(&buf, false);
                    }
                }
            }
        }
    }

    /// Detect the format on the first [`detect::SAMPLE`] bytes of `data` (all of the input
    /// so far), then parse all of `data`.
    fn start(&mut self, data: &[u8], at_end: bool) {
        let sample = &data[..data.len().min(detect::SAMPLE)];
        let sample_complete = at_end && sample.len() == data.len();
        self.state = match detect::detect(sample, sample_complete, self.forced) {
            Err(e) => State::Failed(e),
            Ok(format) => {
                let parser = Parser::new(format, detect::complete_lines(sample, sample_complete));
                let mut p = Parsing { format, split: Splitter::default(), parser, sink: Sink::default() };
                p.feed(data);
                State::Parsing(Box::new(p))
            }
        };
    }

    /// The input was found to be no trace: `finish` will say why, and reading on cannot
    /// change that (an endless input, such as /dev/zero, is not read to its end).
    pub fn gave_up(&self) -> bool {
        matches!(self.state, State::Failed(_))
    }

    /// Bytes fed so far (for progress bars).
    pub fn bytes_fed(&self) -> u64 {
        self.fed
    }

    /// Parse what is left, merge CPUs by time and return the trace.
    pub fn finish(mut self) -> Result<Trace, ReadError> {
        if let State::Detecting(buf) = &mut self.state {
            if buf.is_empty() {
                return Err(ReadError { line: 0, reason: "the input is empty".into() });
            }
            let buf = std::mem::take(buf);
            self.start(&buf, true);
        }
        let p = match self.state {
            State::Parsing(p) => p,
            State::Failed(e) => return Err(e),
            State::Detecting(_) => return Err(ReadError { line: 0, reason: "the input is empty".into() }),
        };
        let Parsing { format, mut split, mut parser, mut sink } = *p;
        split.finish(&mut |piece, loc| handle(&mut parser, &mut sink, piece, loc));
        let finished = parser.finish(&mut sink);
        Ok(assemble(format, finished, sink, split.lines_seen(), self.fed))
    }
}

fn assemble(format: Format, finished: Finished, sink: Sink, lines: u64, bytes: u64) -> Trace {
    let Sink { mut events, names, warnings, warning_count, .. } = sink;
    let min = events.iter().map(|e| e.ts).min().unwrap_or(0);
    let mut max_cpu = 0u16;
    for e in &mut events {
        e.ts -= min;
        max_cpu = max_cpu.max(e.cpu);
    }
    // Stable: equal times keep the order the parser pushed them in. Linux `trace` files are
    // already in order, so the check usually saves the sort.
    if !events.windows(2).all(|w| w[0].ts <= w[1].ts) {
        events.sort_by_key(|e| e.ts);
    }
    let seen = if events.is_empty() { 0 } else { max_cpu.saturating_add(1) };
    Trace {
        format,
        time: finished.time,
        events,
        cpus: seen.max(finished.cpus.min(CPU_LIMIT)),
        names,
        warnings,
        warning_count,
        lines,
        bytes,
    }
}

/// Read a whole buffer.
pub fn parse(bytes: &[u8]) -> Result<Trace, ReadError> {
    let mut r = Reader::new();
    r.feed(bytes);
    r.finish()
}
