//! Located diagnostics: plain data, shaped like codespan-reporting's (a primary span and
//! message, secondary labels pointing at other places, notes), so the CLI and the app can
//! both render them without the engine knowing how. Every diagnostic is an error: a model
//! with one does not compile, so there is no severity to carry.

use serde::Serialize;
use std::fmt;

/// At most this many diagnostics are reported for one text; the rest are counted in a
/// last "and K more" diagnostic. A pasted file of junk gives a screenful, not gigabytes.
pub const MAX_DIAGNOSTICS: usize = 50;
/// A message quotes user text (a name, a token); beyond this many characters it is cut.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// A place in a model source: 1-based line and column, plus the byte range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
    pub line: u32,
    pub col: u32,
}

impl Span {
    /// For errors about the file as a whole.
    pub const FILE_START: Span = Span { start: 0, end: 0, line: 1, col: 1 };
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    /// Other places that explain this one ("first declared here").
    pub labels: Vec<Label>,
    /// What to do about it, or why it is an error.
    pub notes: Vec<String>,
}

/// A secondary place in the source and what it has to do with the diagnostic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

impl Diagnostic {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Diagnostic { span, message: clip(message.into(), MAX_MESSAGE_CHARS), labels: Vec::new(), notes: Vec::new() }
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label { span, message: clip(message.into(), MAX_MESSAGE_CHARS) });
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(clip(note.into(), MAX_MESSAGE_CHARS));
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.span.line, self.span.col, self.message)
    }
}

/// `s` cut to at most `max` characters, with `…` marking the cut.
pub fn clip(mut s: String, max: usize) -> String {
    if let Some((at, _)) = s.char_indices().nth(max) {
        s.truncate(at);
        s.push('…');
    }
    s
}

/// Sort by place, drop repeats of the same message at the same place, and keep at most
/// `MAX_DIAGNOSTICS`, the last of them saying how many more there were (`uncounted`:
/// found but not kept by the caller).
pub fn bound(mut diags: Vec<Diagnostic>, uncounted: usize) -> Vec<Diagnostic> {
    diags.sort_by_key(|d| (d.span.line, d.span.col));
    diags.dedup_by(|a, b| a.span.line == b.span.line && a.span.col == b.span.col && a.message == b.message);
    if diags.len() + uncounted > MAX_DIAGNOSTICS {
        let more = diags.len() + uncounted - (MAX_DIAGNOSTICS - 1).min(diags.len());
        diags.truncate(MAX_DIAGNOSTICS - 1);
        let span = diags.last().map_or(Span::FILE_START, |d| d.span);
        diags.push(Diagnostic::new(span, format!("and {more} more errors after this one (fix these first)")));
    }
    diags
}
