//! Hand-written lexer. It never fails: characters it does not understand become
//! `Tok::Error` tokens, which the parser reports with their location.

use crate::diag::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Ident(String),
    Int(i64),
    Str(String),
    /// A `///` narration comment, already stripped of the slashes.
    Doc(String),
    Punct(Punct),
    Error(String),
    Eof,
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Declares `Punct` and its spellings from one list. Longer spellings come first: the
/// lexer takes the first that matches (`<<` before `<`).
macro_rules! puncts {
    ($($variant:ident $text:literal),* $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Punct {
            $($variant,)*
        }

        impl Punct {
            pub const ALL: &[Punct] = &[$(Punct::$variant,)*];

            pub fn text(self) -> &'static str {
                match self {
                    $(Punct::$variant => $text,)*
                }
            }
        }
    };
}

puncts! {
    Shl "<<",
    Shr ">>",
    Le "<=",
    Ge ">=",
    EqEq "==",
    Ne "!=",
    AndAnd "&&",
    OrOr "||",
    DotDot "..",
    Arrow "->",
    LBrace "{",
    RBrace "}",
    LParen "(",
    RParen ")",
    LBracket "[",
    RBracket "]",
    Semi ";",
    Comma ",",
    Colon ":",
    Assign "=",
    Plus "+",
    Minus "-",
    Star "*",
    Slash "/",
    Percent "%",
    Amp "&",
    Pipe "|",
    Caret "^",
    Bang "!",
    Tilde "~",
    Lt "<",
    Gt ">",
}

/// Columns count characters from the line start. Tokens come in source order, so the
/// count carries on from the previous token of the line: linear in the line's length,
/// where counting from the line start for every token was quadratic on a long line.
struct Cols<'a> {
    src: &'a str,
    line_start: usize,
    pos: usize,
    chars: usize,
}

impl Cols<'_> {
    fn col(&mut self, at: usize, line_start: usize) -> u32 {
        if line_start != self.line_start || at < self.pos {
            self.line_start = line_start;
            self.pos = line_start;
            self.chars = 0;
        }
        self.chars += self.src.get(self.pos..at).map_or(0, |t| t.chars().count());
        self.pos = at;
        u32::try_from(self.chars + 1).unwrap_or(u32::MAX)
    }
}

/// A number as the lexer reports it, cut so that a 100 KB run of digits does not end up
/// copied in a message.
fn shown(text: &str) -> String {
    crate::diag::clip(text.to_string(), 24)
}

pub fn lex(src: &str) -> Vec<Token> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line, mut line_start) = (0usize, 1u32, 0usize);
    let mut cols = Cols { src, line_start: 0, pos: 0, chars: 0 };
    let mut span = |s: usize, e: usize, line: u32, ls: usize| Span {
        start: u32::try_from(s).unwrap_or(u32::MAX),
        end: u32::try_from(e).unwrap_or(u32::MAX),
        line,
        col: cols.col(s, ls),
    };
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c == b'\n' {
            i += 1;
            line = line.saturating_add(1);
            line_start = i;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if src[i..].starts_with("///") {
            let end = src[i..].find('\n').map_or(bytes.len(), |n| i + n);
            if let Some(at) = control_char(&src[i + 3..end]) {
                let at = i + 3 + at;
                out.push(Token { tok: Tok::Error(control_message(src, at)), span: span(at, at + 1, line, line_start) });
                i = end;
                continue;
            }
            let text = src[i + 3..end].trim().to_string();
            out.push(Token { tok: Tok::Doc(text), span: span(start, end, line, line_start) });
            i = end;
            continue;
        }
        if src[i..].starts_with("//") {
            i = src[i..].find('\n').map_or(bytes.len(), |n| i + n);
            continue;
        }
        if src[i..].starts_with("/*") {
            match src[i + 2..].find("*/") {
                Some(n) => {
                    let end = i + 2 + n + 2;
                    for (k, b) in bytes[i..end].iter().enumerate() {
                        if *b == b'\n' {
                            line = line.saturating_add(1);
                            line_start = i + k + 1;
                        }
                    }
                    i = end;
                }
                None => {
                    out.push(Token {
                        tok: Tok::Error("unterminated /* comment".into()),
                        span: span(start, start + 2, line, line_start),
                    });
                    i = bytes.len();
                }
            }
            continue;
        }
        if c.is_ascii_digit() {
            let mut end = i;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                end += 1;
            }
            let text: String = src[i..end].chars().filter(|&c| c != '_').collect();
            let parsed = if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                i64::from_str_radix(hex, 16)
            } else {
                text.parse::<i64>()
            };
            let too_big = |t: &str| Tok::Error(format!("number {} does not fit in a 32-bit word", shown(t)));
            let tok = match parsed {
                Ok(v) if v <= i32::MAX as i64 => Tok::Int(v),
                Ok(_) => too_big(&src[i..end]),
                Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => too_big(&src[i..end]),
                Err(_) => Tok::Error(format!("malformed number `{}`", shown(&src[i..end]))),
            };
            out.push(Token { tok, span: span(start, end, line, line_start) });
            i = end;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let mut end = i;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                end += 1;
            }
            out.push(Token { tok: Tok::Ident(src[i..end].to_string()), span: span(start, end, line, line_start) });
            i = end;
            continue;
        }
        if c == b'"' {
            let mut end = i + 1;
            while end < bytes.len() && bytes[end] != b'"' && bytes[end] != b'\n' {
                end += 1;
            }
            if let Some(at) = control_char(&src[i + 1..end]) {
                let at = i + 1 + at;
                out.push(Token { tok: Tok::Error(control_message(src, at)), span: span(at, at + 1, line, line_start) });
                i = end + usize::from(end < bytes.len() && bytes[end] == b'"');
            } else if end < bytes.len() && bytes[end] == b'"' {
                out.push(Token {
                    tok: Tok::Str(src[i + 1..end].to_string()),
                    span: span(start, end + 1, line, line_start),
                });
                i = end + 1;
            } else {
                out.push(Token {
                    tok: Tok::Error("unterminated string (strings end on the same line)".into()),
                    span: span(start, end, line, line_start),
                });
                i = end;
            }
            continue;
        }
        if let Some(&p) = Punct::ALL.iter().find(|p| src[i..].starts_with(p.text())) {
            let end = start + p.text().len();
            out.push(Token { tok: Tok::Punct(p), span: span(start, end, line, line_start) });
            i += p.text().len();
            continue;
        }
        let ch = src[i..].chars().next().unwrap_or('?');
        // A control or invisible character (NUL, ESC, a byte-order mark) is named by its
        // code, not written raw into a message that a terminal or the page shows.
        let shown = if ch.is_control() || (!ch.is_ascii() && ch.escape_debug().count() > 1) {
            format!("U+{:04X}", u32::from(ch))
        } else {
            format!("`{ch}`")
        };
        out.push(Token {
            tok: Tok::Error(format!("unexpected character {shown}")),
            span: span(start, start + ch.len_utf8(), line, line_start),
        });
        i += ch.len_utf8();
    }
    out.push(Token { tok: Tok::Eof, span: span(bytes.len(), bytes.len(), line, line_start) });
    out
}

/// The byte offset of the first control character (a tab aside) in text that is shown to
/// the user as it is: strings and `///` narration reach terminals and the page, and an
/// escape sequence in them would act on the terminal.
fn control_char(text: &str) -> Option<usize> {
    text.char_indices().find(|&(_, c)| c.is_control() && c != '\t').map(|(i, _)| i)
}

fn control_message(src: &str, at: usize) -> String {
    let code = src[at..].chars().next().map_or(0, u32::from);
    format!("control character U+{code:04X}: strings and `///` text hold printable text only")
}
