//! The model language: lexer, parser, compiler. `compile(text)` is the boundary.

pub(crate) mod ast;
pub mod builtins;
pub mod compile;
pub(crate) mod lexer;
pub(crate) mod parser;
pub mod program;

/// `src` with every carriage return that does not start a CRLF pair turned into a line
/// feed: text from an old Mac editor has CR-only line ends, and read as one line, its
/// first `//` comment would hide the rest of the model. One byte for one byte, so spans
/// into the result are spans into `src`.
pub fn unify_line_ends(src: &str) -> std::borrow::Cow<'_, str> {
    let b = src.as_bytes();
    let lone = |i: usize| b[i] == b'\r' && b.get(i + 1) != Some(&b'\n');
    if !(0..b.len()).any(lone) {
        return std::borrow::Cow::Borrowed(src);
    }
    let out: Vec<u8> = (0..b.len()).map(|i| if lone(i) { b'\n' } else { b[i] }).collect();
    // Only ASCII bytes were replaced by ASCII bytes.
    std::borrow::Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| src.to_string()))
}
