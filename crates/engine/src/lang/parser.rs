//! Recursive-descent parser with precedence climbing for expressions. On an error it
//! records a located diagnostic and skips to the next item, so one typo does not hide
//! the others. Every loop consumes at least one token, so the parser always ends.
//!
//! Depth is budgeted twice, because the page runs this in wasm on a small stack: the
//! parser's own recursion (statements and parentheses, `MAX_DEPTH`) and the height of
//! every expression tree it returns (`MAX_EXPR_HEIGHT`), which a left-deep chain
//! `1 + 1 + ...` grows without any recursion of the parser but which every later pass
//! walks recursively.

use super::ast::*;
use super::lexer::{lex, Punct, Tok, Token};
use super::program::{BinOp, UnOp};
use crate::diag::{Diagnostic, Span, MAX_DIAGNOSTICS};

/// Nesting of statements and parentheses.
pub const MAX_DEPTH: u32 = 64;
/// Height of an expression tree (operators chained or nested).
pub const MAX_EXPR_HEIGHT: u32 = 128;
/// Diagnostics kept while parsing; beyond, they are only counted.
const KEPT_DIAGNOSTICS: usize = 4 * MAX_DIAGNOSTICS;

/// The keywords that start a top-level declaration: where recovery from an error resumes.
const ITEM_KEYWORDS: [&str; 18] = [
    "model",
    "cpus",
    "option",
    "const",
    "vector",
    "shared",
    "percpu",
    "aspace",
    "map",
    "frames",
    "user",
    "proc",
    "handler",
    "nmi",
    "view",
    "race",
    "scenario",
    "on_switch",
];

/// The syntax tree and the diagnostics, plus the number of diagnostics found beyond
/// those kept.
pub fn parse(src: &str) -> (File, Vec<Diagnostic>, usize) {
    let mut p = Parser { toks: lex(src), pos: 0, diags: Vec::new(), dropped: 0, depth: 0, quiet: false };
    let file = p.file();
    (file, p.diags, p.dropped)
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    diags: Vec<Diagnostic>,
    dropped: usize,
    depth: u32,
    /// Set by an error, cleared where an item or a statement starts: a run of junk (a
    /// line of `}`, a pasted binary) is one error, not one per token.
    quiet: bool,
}

type PResult<T> = Result<T, ()>;

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }
    fn span(&self) -> Span {
        self.toks[self.pos].span
    }
    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn at_punct(&self, p: Punct) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
    }
    fn at_kw(&self, k: &str) -> bool {
        matches!(self.peek(), Tok::Ident(q) if q == k)
    }
    fn eat_punct(&mut self, p: Punct) -> bool {
        if self.at_punct(p) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn eat_kw(&mut self, k: &str) -> bool {
        if self.at_kw(k) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn describe(tok: &Tok) -> String {
        match tok {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Int(v) => format!("number {v}"),
            Tok::Str(_) => "a string".into(),
            Tok::Doc(_) => "a `///` comment".into(),
            Tok::Punct(p) => format!("`{}`", p.text()),
            Tok::Error(e) => e.clone(),
            Tok::Eof => "the end of the file".into(),
        }
    }
    fn error<T>(&mut self, what: &str) -> PResult<T> {
        let span = self.span();
        let msg = match self.peek() {
            Tok::Error(e) => e.clone(),
            t => format!("expected {what}, found {}", Self::describe(t)),
        };
        self.error_at(span, msg)
    }
    fn error_at<T>(&mut self, span: Span, msg: impl Into<String>) -> PResult<T> {
        if !self.quiet {
            if self.diags.len() < KEPT_DIAGNOSTICS {
                self.diags.push(Diagnostic::new(span, msg));
            } else {
                self.dropped += 1;
            }
        }
        self.quiet = true;
        Err(())
    }
    /// An expression node over children of the given height, unless that makes the tree
    /// taller than `MAX_EXPR_HEIGHT`.
    fn node(&mut self, kind: ExprKind, span: Span, below: u32) -> PResult<Expr> {
        let height = below + 1;
        if height > MAX_EXPR_HEIGHT {
            return self.error_at(
                span,
                format!(
                    "expression too deep: more than {MAX_EXPR_HEIGHT} operators chained or nested; \
                     split it into steps with locals"
                ),
            );
        }
        Ok(Expr { kind, span, height })
    }
    fn expect_punct(&mut self, p: Punct) -> PResult<Span> {
        if self.at_punct(p) {
            Ok(self.bump().span)
        } else {
            self.error(&format!("`{}`", p.text()))
        }
    }
    fn ident(&mut self, what: &str) -> PResult<(String, Span)> {
        if let Tok::Ident(s) = self.peek() {
            let s = s.clone();
            Ok((s, self.bump().span))
        } else {
            self.error(what)
        }
    }
    fn int(&mut self) -> PResult<i64> {
        let neg = self.eat_punct(Punct::Minus);
        if let Tok::Int(v) = *self.peek() {
            self.bump();
            Ok(if neg { -v } else { v })
        } else {
            self.error("a number")
        }
    }
    fn string(&mut self) -> PResult<String> {
        if let Tok::Str(s) = self.peek() {
            let s = s.clone();
            self.bump();
            Ok(s)
        } else {
            self.error("a string in double quotes")
        }
    }
    fn docs(&mut self) -> Option<String> {
        let mut lines = Vec::new();
        while let Tok::Doc(d) = self.peek() {
            lines.push(d.clone());
            self.bump();
        }
        (!lines.is_empty()).then(|| lines.join(" "))
    }
    /// Skip to the next declaration keyword outside braces: a bad item and any junk
    /// after it go together, and the next good item is parsed whole. The failed item
    /// started at token `from`: braces it opened are closed first, so the fields of a
    /// `race` (`cpus`, `scenario`) are not taken for declarations.
    fn recover(&mut self, from: usize) {
        let mut depth = self.toks[from.min(self.pos)..self.pos].iter().fold(0u32, |d, t| match t.tok {
            Tok::Punct(Punct::LBrace) => d + 1,
            Tok::Punct(Punct::RBrace) => d.saturating_sub(1),
            _ => d,
        });
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::Ident(k) if depth == 0 && ITEM_KEYWORDS.contains(&k.as_str()) => return,
                Tok::Doc(_) if depth == 0 => return,
                Tok::Punct(Punct::LBrace) => depth += 1,
                Tok::Punct(Punct::RBrace) => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
        }
    }

    fn file(&mut self) -> File {
        let mut f = File::default();
        loop {
            let doc = self.docs();
            if matches!(self.peek(), Tok::Eof) {
                if let Some(d) = doc {
                    f.doc.push(d);
                }
                break;
            }
            if matches!(self.peek(), Tok::Ident(k) if ITEM_KEYWORDS.contains(&k.as_str())) {
                self.quiet = false;
            }
            let before = self.pos;
            if self.item(&mut f, doc).is_err() {
                if self.pos == before {
                    self.bump();
                }
                self.recover(before);
            }
        }
        f
    }

    fn item(&mut self, f: &mut File, doc: Option<String>) -> PResult<()> {
        let (kw, span) = self.ident("a declaration (model, option, const, vector, shared, percpu, aspace, map, frames, proc, handler, nmi, on_switch, scenario, race, view)")?;
        // Declarations a model makes once: a second one silently replaced the first.
        let given = match kw.as_str() {
            "model" => f.title.is_some(),
            "cpus" => f.cpus_default.is_some(),
            "frames" => f.frames_span != Span::default(),
            "nmi" => f.nmi.is_some(),
            "on_switch" => f.on_switch.is_some(),
            _ => false,
        };
        if given {
            return self.error_at(span, format!("`{kw}` is declared twice"));
        }
        match kw.as_str() {
            "model" => {
                f.title = Some(self.string()?);
                f.doc.extend(doc);
                self.expect_punct(Punct::Semi)?;
            }
            "cpus" => {
                f.cpus_span = span;
                let lo = self.int()?;
                self.expect_punct(Punct::DotDot)?;
                let hi = self.int()?;
                let def = if self.eat_kw("default") { self.int()? } else { lo };
                self.expect_punct(Punct::Semi)?;
                f.cpus_default = Some((lo, hi, def));
            }
            "option" => {
                let (name, span) = self.ident("an option name")?;
                self.expect_punct(Punct::Assign)?;
                let (default, is_bool) = if self.eat_kw("true") {
                    (1, true)
                } else if self.eat_kw("false") {
                    (0, true)
                } else {
                    (self.int()?, false)
                };
                let text = if let Tok::Str(_) = self.peek() { self.string()? } else { String::new() };
                let doc = if text.is_empty() { doc.unwrap_or_default() } else { text };
                self.expect_punct(Punct::Semi)?;
                f.options.push(OptionItem { name, default, is_bool, doc, span });
            }
            "const" => {
                let (name, span) = self.ident("a constant name")?;
                self.expect_punct(Punct::Assign)?;
                let e = self.expr()?;
                self.expect_punct(Punct::Semi)?;
                f.consts.push((name, e, span));
            }
            "vector" => {
                let (name, span) = self.ident("a vector name")?;
                self.expect_punct(Punct::Assign)?;
                let v = self.int()?;
                self.expect_punct(Punct::Semi)?;
                f.vectors.push((name, v, span));
            }
            "shared" | "percpu" => {
                let per_cpu = kw == "percpu";
                let is_mask = self.eat_kw("cpumask");
                self.eat_kw("word");
                loop {
                    let (name, span) = self.ident("a variable name")?;
                    let mut dims = Vec::new();
                    while self.eat_punct(Punct::LBracket) {
                        dims.push(self.expr()?);
                        self.expect_punct(Punct::RBracket)?;
                    }
                    let init = if self.eat_punct(Punct::Assign) { Some(self.expr()?) } else { None };
                    let mark = if self.eat_kw("mark") { Some(self.int()?) } else { None };
                    f.vars.push(VarItem { name, per_cpu, is_mask, dims, init, mark, doc: doc.clone(), span });
                    if !self.eat_punct(Punct::Comma) {
                        break;
                    }
                }
                self.expect_punct(Punct::Semi)?;
            }
            "aspace" => {
                let (name, span) = self.ident("an address-space name")?;
                self.expect_punct(Punct::Semi)?;
                f.aspaces.push((name, span));
            }
            "map" => {
                let (aspace, _) = self.ident("an address-space name")?;
                let va = self.expr()?;
                let mode = if let Tok::Ident(m) = self.peek() {
                    let m = m.clone();
                    if !["writable", "readonly", "unmapped", "table"].contains(&m.as_str()) {
                        return self.error("`writable`, `readonly`, `unmapped` or `table`");
                    }
                    self.bump();
                    m
                } else {
                    "writable".into()
                };
                self.expect_punct(Punct::Semi)?;
                f.maps.push(MapItem { aspace, va, mode, span });
            }
            "frames" => {
                f.frames_span = span;
                f.frames = self.int()?;
                self.expect_punct(Punct::Semi)?;
            }
            "user" | "proc" => {
                let user = kw == "user";
                if user && !self.eat_kw("proc") {
                    return self.error("`proc` after `user`");
                }
                let (name, span) = self.ident("a procedure name")?;
                self.expect_punct(Punct::LParen)?;
                let mut params = Vec::new();
                while !self.at_punct(Punct::RParen) {
                    params.push(self.ident("a parameter name")?.0);
                    if !self.eat_punct(Punct::Comma) {
                        break;
                    }
                }
                self.expect_punct(Punct::RParen)?;
                let body = self.block()?;
                f.procs.push(ProcItem { name, params, body, user, doc, span });
            }
            "handler" => {
                let (vector, span) = self.ident("the vector this handler serves")?;
                let body = self.block()?;
                let name = format!("handler {vector}");
                f.handlers.push((vector, ProcItem { name, params: vec![], body, user: false, doc, span }));
            }
            "nmi" => {
                let body = self.block()?;
                f.nmi = Some(ProcItem { name: "nmi".into(), params: vec![], body, user: false, doc, span });
            }
            "on_switch" => {
                let (name, _) = self.ident("the procedure a context switch runs, `NAME(prev, next)`")?;
                self.expect_punct(Punct::Semi)?;
                f.on_switch = Some((name, span));
            }
            "view" => {
                let kind = self.ident("a kind of view: `ring` or `matrix`")?;
                let (name, _) = self.ident("a view name")?;
                self.expect_punct(Punct::LParen)?;
                let mut args = Vec::new();
                while !self.at_punct(Punct::RParen) {
                    args.push(self.ident("a variable name")?);
                    if !self.eat_punct(Punct::Comma) {
                        break;
                    }
                }
                self.expect_punct(Punct::RParen)?;
                let mut axes = Vec::new();
                if self.eat_kw("by") {
                    self.expect_punct(Punct::LParen)?;
                    while !self.at_punct(Punct::RParen) {
                        axes.push(self.ident("an axis name")?);
                        if !self.eat_punct(Punct::Comma) {
                            break;
                        }
                    }
                    self.expect_punct(Punct::RParen)?;
                }
                let caption = if let Tok::Str(_) = self.peek() { self.string()? } else { String::new() };
                self.expect_punct(Punct::Semi)?;
                f.views.push(ViewItem { kind, name, args, axes, caption, doc, span });
            }
            "race" => {
                let (name, span) = self.ident("a race name")?;
                let title = self.string()?;
                let mut r = RaceItem { name, title, span, ..RaceItem::default() };
                self.expect_punct(Punct::LBrace)?;
                let mut seen: Vec<String> = Vec::new();
                while !self.eat_punct(Punct::RBrace) {
                    let (key, kspan) = self.ident("`cpus`, `scenario`, `set`, `expect`, `kind`, `cite` or `story`")?;
                    // A second `cpus` or `expect` silently replaced the first.
                    if key != "set" && seen.contains(&key) {
                        return self.error_at(kspan, format!("race field `{key}` is given twice"));
                    }
                    seen.push(key.clone());
                    match key.as_str() {
                        "cpus" => r.cpus = Some(self.int()?),
                        "scenario" => r.scenario = Some(self.ident("a scenario name")?),
                        "set" => {
                            let (opt, ospan) = self.ident("an option name")?;
                            self.expect_punct(Punct::Assign)?;
                            let v = if self.eat_kw("true") {
                                1
                            } else if self.eat_kw("false") {
                                0
                            } else {
                                self.int()?
                            };
                            r.sets.push((opt, v, ospan));
                        }
                        "expect" => {
                            r.expect =
                                Some(self.ident("a property: stale, dirty, window, mem, assert, deadlock or nolost")?)
                        }
                        "kind" => r.kind = Some(self.ident("`bug`, `reconstruction` or `mutation`")?),
                        "cite" => {
                            let span = self.span();
                            r.cite = Some((self.string()?, span));
                        }
                        "story" => r.story = self.string()?,
                        _ => {
                            return self.error_at(
                                kspan,
                                format!("unknown race field `{key}` (cpus, scenario, set, expect, kind, cite, story)"),
                            );
                        }
                    }
                    self.expect_punct(Punct::Semi)?;
                }
                f.races.push(r);
            }
            "scenario" => {
                let (name, span) = self.ident("a scenario name")?;
                let text = if let Tok::Str(_) = self.peek() { self.string()? } else { String::new() };
                let doc = if text.is_empty() { doc.unwrap_or_default() } else { text };
                self.expect_punct(Punct::LBrace)?;
                let mut cpus = Vec::new();
                let mut threads = Vec::new();
                while !self.at_punct(Punct::RBrace) && !matches!(self.peek(), Tok::Eof) {
                    let at = self.span();
                    if self.eat_kw("thread") {
                        threads.push(self.thread_item(at)?);
                    } else {
                        cpus.push(self.cpu_item()?);
                    }
                }
                self.expect_punct(Punct::RBrace)?;
                f.scenarios.push(ScenarioItem { name, doc, cpus, threads, span });
            }
            _ => {
                self.pos -= 1;
                return self.error("a declaration (model, option, const, vector, shared, percpu, aspace, map, frames, proc, handler, nmi, on_switch, scenario, race)");
            }
        }
        Ok(())
    }

    /// After `thread`: `N: f(args) (in NAME)?;`. The address space is the thread's own,
    /// which the model's `on_switch` code loads (the compiler checks there is one).
    fn thread_item(&mut self, span: Span) -> PResult<ThreadItem> {
        let cpu = self.int()?;
        self.expect_punct(Punct::Colon)?;
        let (name, _) = self.ident("a procedure for the thread to run")?;
        self.expect_punct(Punct::LParen)?;
        let args = self.args()?;
        let aspace = if self.eat_kw("in") { Some(self.ident("an address space")?.0) } else { None };
        let prio = self.prio()?;
        self.expect_punct(Punct::Semi)?;
        Ok(ThreadItem { cpu, call: (name, args), aspace, prio, span })
    }

    /// A scenario entry's `prio P`, if it has one.
    fn prio(&mut self) -> PResult<Option<(i64, Span)>> {
        if !self.at_kw("prio") {
            return Ok(None);
        }
        let at = self.span();
        self.bump();
        Ok(Some((self.int()?, at)))
    }

    fn cpu_item(&mut self) -> PResult<CpuItem> {
        let span = self.span();
        if !self.eat_kw("cpu") {
            return self.error("`cpu` or `thread` (e.g. `cpu 0: unmap();`)");
        }
        let sel = if self.eat_punct(Punct::Star) {
            CpuSel::Rest
        } else {
            let lo = self.int()?;
            if self.eat_punct(Punct::DotDot) {
                if let Tok::Int(_) = self.peek() {
                    CpuSel::Range(lo, self.int()?)
                } else {
                    CpuSel::From(lo)
                }
            } else {
                CpuSel::One(lo)
            }
        };
        self.expect_punct(Punct::Colon)?;
        let call = if self.eat_kw("idle") {
            None
        } else {
            let (name, _) = self.ident("a procedure to run, or `idle`")?;
            self.expect_punct(Punct::LParen)?;
            let args = self.args()?;
            Some((name, args))
        };
        let aspace = if self.eat_kw("in") { Some(self.ident("an address-space name")?.0) } else { None };
        let prio = self.prio()?;
        self.expect_punct(Punct::Semi)?;
        Ok(CpuItem { sel, call, aspace, prio, span })
    }

    fn args(&mut self) -> PResult<Vec<Expr>> {
        let mut args = Vec::new();
        while !self.at_punct(Punct::RParen) {
            args.push(self.expr()?);
            if !self.eat_punct(Punct::Comma) {
                break;
            }
        }
        self.expect_punct(Punct::RParen)?;
        Ok(args)
    }

    fn block(&mut self) -> PResult<Vec<Stmt>> {
        self.expect_punct(Punct::LBrace)?;
        let mut out = Vec::new();
        loop {
            let doc = self.docs();
            if self.eat_punct(Punct::RBrace) {
                return Ok(out);
            }
            if matches!(self.peek(), Tok::Eof) {
                return self.error("`}` to close the block");
            }
            if matches!(self.peek(), Tok::Ident(_)) {
                self.quiet = false;
            }
            let before = self.pos;
            match self.stmt(doc) {
                Ok(s) => out.push(s),
                Err(()) => {
                    if self.pos == before {
                        self.bump();
                    }
                    // Statement-level recovery: skip to the end of this statement.
                    while !matches!(self.peek(), Tok::Eof | Tok::Punct(Punct::Semi) | Tok::Punct(Punct::RBrace)) {
                        self.bump();
                    }
                    self.eat_punct(Punct::Semi);
                }
            }
        }
    }

    fn body(&mut self) -> PResult<Vec<Stmt>> {
        if self.at_punct(Punct::LBrace) {
            self.block()
        } else {
            let doc = self.docs();
            Ok(vec![self.stmt(doc)?])
        }
    }

    fn stmt(&mut self, doc: Option<String>) -> PResult<Stmt> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return self.error("less deeply nested code (nesting limit reached)");
        }
        let r = self.stmt_inner(doc);
        self.depth -= 1;
        r
    }

    fn stmt_inner(&mut self, doc: Option<String>) -> PResult<Stmt> {
        let span = self.span();
        let kind = if self.eat_kw("local") {
            let (name, _) = self.ident("a local variable name")?;
            let init = if self.eat_punct(Punct::Assign) { Some(self.expr()?) } else { None };
            self.expect_punct(Punct::Semi)?;
            StmtKind::Local(name, init)
        } else if self.eat_kw("if") {
            self.expect_punct(Punct::LParen)?;
            let c = self.expr()?;
            self.expect_punct(Punct::RParen)?;
            let then = self.body()?;
            let els = if self.eat_kw("else") { self.body()? } else { Vec::new() };
            StmtKind::If(c, then, els)
        } else if self.eat_kw("while") {
            self.expect_punct(Punct::LParen)?;
            let c = self.expr()?;
            self.expect_punct(Punct::RParen)?;
            StmtKind::While(c, self.body()?)
        } else if self.eat_kw("for") {
            let (var, _) = self.ident("a loop variable")?;
            if !self.eat_kw("in") {
                return self.error("`in`");
            }
            let first = self.expr()?;
            if self.eat_punct(Punct::DotDot) {
                let last = self.expr()?;
                StmtKind::ForRange(var, first, last, self.body()?)
            } else {
                StmtKind::ForMask(var, first, self.body()?)
            }
        } else if self.eat_kw("break") {
            self.expect_punct(Punct::Semi)?;
            StmtKind::Break
        } else if self.eat_kw("continue") {
            self.expect_punct(Punct::Semi)?;
            StmtKind::Continue
        } else if self.eat_kw("return") {
            self.expect_punct(Punct::Semi)?;
            StmtKind::Return
        } else if self.eat_kw("assert") {
            self.expect_punct(Punct::LParen)?;
            let c = self.expr()?;
            let msg = if self.eat_punct(Punct::Comma) { Some(self.string()?) } else { None };
            self.expect_punct(Punct::RParen)?;
            self.expect_punct(Punct::Semi)?;
            StmtKind::Assert(c, msg)
        } else {
            let lhs = self.expr()?;
            if self.eat_punct(Punct::Assign) {
                let rhs = self.expr()?;
                self.expect_punct(Punct::Semi)?;
                StmtKind::Assign(lhs, rhs)
            } else if matches!(lhs.kind, ExprKind::Call(..)) {
                self.expect_punct(Punct::Semi)?;
                StmtKind::Call(lhs)
            } else {
                return self.error("`=` (a statement is an assignment, a call or a keyword)");
            }
        };
        Ok(Stmt { kind, span, doc })
    }

    fn expr(&mut self) -> PResult<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return self.error("a simpler expression (nesting limit reached)");
        }
        let r = self.binary(0);
        self.depth -= 1;
        r
    }

    fn binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let mut lhs = self.unary()?;
        while let Some((op, prec)) = match self.peek() {
            Tok::Punct(p) => binop(*p).filter(|&(_, prec)| prec >= min_prec),
            _ => None,
        } {
            self.bump();
            let rhs = self.binary(prec + 1)?;
            let span = Span { end: rhs.span.end, ..lhs.span };
            let below = lhs.height.max(rhs.height);
            lhs = self.node(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span, below)?;
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> PResult<Expr> {
        let span = self.span();
        for (punct, op) in [(Punct::Bang, UnOp::Not), (Punct::Tilde, UnOp::BitNot), (Punct::Minus, UnOp::Neg)] {
            if self.eat_punct(punct) {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    self.depth -= 1;
                    return self.error("a simpler expression (nesting limit reached)");
                }
                let e = self.unary();
                self.depth -= 1;
                let e = e?;
                let below = e.height;
                return self.node(ExprKind::Unary(op, Box::new(e)), span, below);
            }
        }
        self.primary()
    }

    fn primary(&mut self) -> PResult<Expr> {
        let span = self.span();
        match self.peek().clone() {
            Tok::Int(v) => {
                self.bump();
                self.node(ExprKind::Int(v), span, 0)
            }
            Tok::Punct(Punct::LParen) => {
                self.bump();
                let mut e = self.expr()?;
                let close = self.expect_punct(Punct::RParen)?;
                // The parentheses belong to the expression's text (conditions are quoted in messages).
                e.span = Span { start: span.start, end: close.end, line: span.line, col: span.col };
                Ok(e)
            }
            Tok::Ident(name) => {
                self.bump();
                if name == "true" {
                    return self.node(ExprKind::Int(1), span, 0);
                }
                if name == "false" {
                    return self.node(ExprKind::Int(0), span, 0);
                }
                if self.eat_punct(Punct::LParen) {
                    let args = self.args()?;
                    let below = args.iter().map(|a| a.height).max().unwrap_or(0);
                    return self.node(ExprKind::Call(name, args), span, below);
                }
                let mut idx = Vec::new();
                while self.eat_punct(Punct::LBracket) {
                    idx.push(self.expr()?);
                    self.expect_punct(Punct::RBracket)?;
                }
                if idx.is_empty() {
                    self.node(ExprKind::Name(name), span, 0)
                } else {
                    let below = idx.iter().map(|a| a.height).max().unwrap_or(0);
                    self.node(ExprKind::Index(name, idx), span, below)
                }
            }
            _ => self.error("an expression"),
        }
    }
}

/// The binary operator a punctuation token spells, and its precedence (higher binds
/// tighter).
fn binop(p: Punct) -> Option<(BinOp, u8)> {
    Some(match p {
        Punct::OrOr => (BinOp::Or, 1),
        Punct::AndAnd => (BinOp::And, 2),
        Punct::Pipe => (BinOp::BitOr, 3),
        Punct::Caret => (BinOp::BitXor, 4),
        Punct::Amp => (BinOp::BitAnd, 5),
        Punct::EqEq => (BinOp::Eq, 6),
        Punct::Ne => (BinOp::Ne, 6),
        Punct::Lt => (BinOp::Lt, 7),
        Punct::Le => (BinOp::Le, 7),
        Punct::Gt => (BinOp::Gt, 7),
        Punct::Ge => (BinOp::Ge, 7),
        Punct::Shl => (BinOp::Shl, 8),
        Punct::Shr => (BinOp::Shr, 8),
        Punct::Plus => (BinOp::Add, 9),
        Punct::Minus => (BinOp::Sub, 9),
        Punct::Star => (BinOp::Mul, 10),
        Punct::Slash => (BinOp::Div, 10),
        Punct::Percent => (BinOp::Rem, 10),
        _ => return None,
    })
}
