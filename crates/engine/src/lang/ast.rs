//! Syntax tree of a model file, as the parser builds it. Spans everywhere, so the
//! compiler can locate every error.

use super::program::{BinOp, UnOp};
use crate::diag::Span;

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// Nodes on the longest path down from this one. The parser refuses an expression
    /// taller than `parser::MAX_EXPR_HEIGHT`, so every recursive pass over a tree it
    /// returns (lowering, dropping) has a bounded depth.
    pub height: u32,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Int(i64),
    Name(String),
    /// `a[i]`, `a[i][j]`, `x[cpu]` for another CPU's per-CPU variable.
    Index(String, Vec<Expr>),
    Call(String, Vec<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Debug)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    Local(String, Option<Expr>),
    Assign(Expr, Expr),
    /// A call used as a statement (a procedure or a built-in).
    Call(Expr),
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    While(Expr, Vec<Stmt>),
    ForMask(String, Expr, Vec<Stmt>),
    ForRange(String, Expr, Expr, Vec<Stmt>),
    Break,
    Continue,
    Return,
    Assert(Expr, Option<String>),
}

#[derive(Clone, Debug)]
pub struct OptionItem {
    pub name: String,
    pub default: i64,
    pub is_bool: bool,
    pub doc: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct VarItem {
    pub name: String,
    pub per_cpu: bool,
    pub is_mask: bool,
    pub dims: Vec<Expr>,
    pub init: Option<Expr>,
    pub mark: Option<i64>,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ProcItem {
    pub name: String,
    pub params: Vec<String>,
    pub body: Vec<Stmt>,
    pub user: bool,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum CpuSel {
    One(i64),
    From(i64),
    Range(i64, i64),
    Rest,
}

#[derive(Clone, Debug)]
pub struct CpuItem {
    pub sel: CpuSel,
    /// None: the CPU is idle (it only takes interrupts).
    pub call: Option<(String, Vec<Expr>)>,
    pub aspace: Option<String>,
    /// `prio P`: its thread's priority, higher runs first (0 without it).
    pub prio: Option<(i64, Span)>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ScenarioItem {
    pub name: String,
    pub doc: String,
    pub cpus: Vec<CpuItem>,
    pub threads: Vec<ThreadItem>,
    pub span: Span,
}

/// `thread N: f(args);`: a thread that starts runnable on CPU N's run queue.
#[derive(Clone, Debug)]
pub struct ThreadItem {
    pub cpu: i64,
    pub call: (String, Vec<Expr>),
    /// `in NAME`: the thread's address space, which `on_switch` code loads.
    pub aspace: Option<String>,
    /// `prio P`: its priority, higher runs first (0 without it).
    pub prio: Option<(i64, Span)>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct MapItem {
    pub aspace: String,
    pub va: Expr,
    /// "writable", "readonly", "unmapped" or "table"
    pub mode: String,
    pub span: Span,
}

/// A known race of the model, for the gallery: a configuration and the property it breaks.
#[derive(Clone, Debug, Default)]
pub struct RaceItem {
    pub name: String,
    pub title: String,
    pub cpus: Option<i64>,
    pub scenario: Option<(String, Span)>,
    pub sets: Vec<(String, i64, Span)>,
    pub expect: Option<(String, Span)>,
    pub story: String,
    /// `bug`, `reconstruction` or `mutation`, with its span.
    pub kind: Option<(String, Span)>,
    /// Where the race comes from: a commit, CVE, PR or list post, or a document's section.
    pub cite: Option<(String, Span)>,
    pub span: Span,
}

/// `view KIND NAME(VARS) [by (AXIS, ...)] ["caption"];`: how the app draws some variables.
#[derive(Clone, Debug)]
pub struct ViewItem {
    pub kind: (String, Span),
    pub name: String,
    pub args: Vec<(String, Span)>,
    pub axes: Vec<(String, Span)>,
    pub caption: String,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct File {
    pub title: Option<String>,
    pub doc: Vec<String>,
    pub cpus_default: Option<(i64, i64, i64)>,
    pub cpus_span: Span,
    pub options: Vec<OptionItem>,
    pub consts: Vec<(String, Expr, Span)>,
    pub vectors: Vec<(String, i64, Span)>,
    pub vars: Vec<VarItem>,
    pub aspaces: Vec<(String, Span)>,
    pub maps: Vec<MapItem>,
    pub frames: i64,
    pub frames_span: Span,
    pub procs: Vec<ProcItem>,
    pub handlers: Vec<(String, ProcItem)>,
    pub nmi: Option<ProcItem>,
    /// `on_switch NAME;`: the procedure a context switch runs, and where it is declared.
    pub on_switch: Option<(String, Span)>,
    pub scenarios: Vec<ScenarioItem>,
    pub races: Vec<RaceItem>,
    pub views: Vec<ViewItem>,
}
