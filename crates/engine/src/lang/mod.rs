//! The model language: lexer, parser, compiler. `compile(text)` is the boundary.

pub mod ast;
pub mod compile;
pub mod lexer;
pub mod parser;
pub mod program;
