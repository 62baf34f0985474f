//! Located diagnostics: plain data, shaped like codespan-reporting's, so the CLI and the
//! app can both render them without the engine knowing how.

use serde::Serialize;
use std::fmt;

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
}

impl Diagnostic {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Diagnostic { span, message: message.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.span.line, self.span.col, self.message)
    }
}
