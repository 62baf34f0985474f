//! From syntax tree to `Program`: name resolution, the one-shared-access-per-step rule,
//! control flow lowered to branches and jumps, narration attached to instructions.

use super::ast::{self, CpuSel, ExprKind, File, StmtKind};
use super::builtins::{self, Arity, Builtin};
use super::parser::{parse, MAX_DEPTH, MAX_EXPR_HEIGHT};
use super::program::*;
use crate::diag::{bound, clip, Diagnostic, Span, MAX_DIAGNOSTICS};
use crate::machine::{option_range, Decl, MAX_CPUS as MACHINE_CPUS, MAX_QUEUED_THREADS};
use std::collections::HashMap;

mod call;
mod expr;
mod items;
mod stmt;

const MAX_STACK: usize = 32;
const MAX_CPUS: i64 = MACHINE_CPUS as i64;
/// Shared words a spin-wait's condition may poll.
const MAX_SPIN_LOADS: usize = 4;
/// Longest model text compiled. Bundled models are under 100 KB; a permalink can carry
/// far more text than anyone writes, and every table below is indexed by 16 or 32 bits.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// Declarations of one kind (procedures, variables, constants, options, maps): their
/// indices are 16-bit in instructions and states.
const MAX_DECLS: usize = 4096;
/// Arguments of a call and parameters of a procedure (the interpreter's argument buffer).
const MAX_ARGS: usize = 16;
/// Source text quoted in run-time reports (an assertion, a spin condition), in characters.
const QUOTED_CHARS: usize = 200;
/// Diagnostics kept while compiling; beyond, they are only counted.
const KEPT_DIAGNOSTICS: usize = 4 * MAX_DIAGNOSTICS;

/// Compile model source text. Returns the program when there was no error, and the
/// diagnostics found (parse and compile), each with its line and column: sorted, without
/// repeats, and at most `diag::MAX_DIAGNOSTICS` of them.
pub fn compile(src: &str) -> (Option<Program>, Vec<Diagnostic>) {
    if src.len() > MAX_SOURCE_BYTES {
        let msg =
            format!("the model text is {} bytes; models of at most {} bytes are compiled", src.len(), MAX_SOURCE_BYTES);
        return (None, vec![Diagnostic::new(Span::FILE_START, msg)]);
    }
    let src = &*super::unify_line_ends(src);
    let (file, mut diags, dropped) = parse(src);
    let mut c = Compiler::new(src, &file);
    c.run(&file, diags.is_empty());
    diags.extend(std::mem::take(&mut c.diags));
    if diags.is_empty() && dropped == 0 && c.dropped == 0 {
        diags.extend(check_layouts(&c.prog, &file));
    }
    if diags.is_empty() && dropped == 0 && c.dropped == 0 {
        diags.extend(check_views(&c.prog, &file));
    }
    let failed = !diags.is_empty() || dropped + c.dropped > 0;
    let diags = bound(diags, dropped + c.dropped);
    if failed {
        (None, diags)
    } else {
        (Some(c.prog), diags)
    }
}

/// What a machine evaluates from the declarations, for every CPU count the model allows,
/// with default options: an array too large (or a size that is not positive), an initial
/// value, mapped address or scenario argument that faults, an address mapped twice, each
/// reported at its declaration, in the editor, instead of when a machine is built.
fn check_layouts(prog: &Program, file: &File) -> Vec<Diagnostic> {
    let (lo, hi, _) = prog.cpus;
    let options: Vec<i32> = prog.options.iter().map(|o| o.default).collect();
    let prog = std::sync::Arc::new(prog.clone());
    for ncpu in lo..=hi {
        if let Err((decl, msg)) = crate::machine::check_declarations(&prog, ncpu, &options) {
            let span = match decl {
                Decl::Var(v) => file.vars.get(v).map(|v| v.span),
                Decl::Const(c) => file.consts.get(c).map(|c| c.2),
                Decl::Map(i) => file.maps.get(i).map(|m| m.span),
                Decl::Scenario(i) => file.scenarios.get(i).map(|s| s.span),
            }
            .unwrap_or(Span::FILE_START);
            let at = if lo == hi { String::new() } else { format!(" (at {ncpu} CPUs)") };
            return vec![Diagnostic::new(span, format!("{msg}{at}"))];
        }
    }
    vec![]
}

/// The sizes of the arrays depend on the CPU count, so a view's shape is checked against
/// the machine of every CPU count the model allows (one of its scenarios has to fit).
fn check_views(prog: &Program, file: &File) -> Vec<Diagnostic> {
    if prog.views.is_empty() {
        return vec![];
    }
    let prog = std::sync::Arc::new(prog.clone());
    let mut diags = Vec::new();
    let (lo, hi, _) = prog.cpus;
    for ncpu in lo..=hi {
        let Some(scenario) = prog.scenarios.iter().position(|s| s.min_cpus <= ncpu) else { continue };
        let cfg = crate::machine::Config { ncpu, scenario, ..crate::machine::Config::new(&prog) };
        let Ok(m) = crate::machine::Machine::new(prog.clone(), cfg) else { continue };
        for (v, item) in prog.views.iter().zip(&file.views) {
            if let Err(e) = v.check(&prog, &m.vars) {
                if !diags.iter().any(|d: &Diagnostic| d.span == item.span) {
                    diags.push(Diagnostic::new(item.span, format!("view `{}` at {ncpu} CPUs: {e}", v.name)));
                }
            }
        }
    }
    diags
}

#[derive(Clone, Copy)]
enum Global {
    Const(u16),
    Opt(u16),
    Var(u16),
    Aspace(u8),
    Vector(u8),
    Proc(u16),
}

struct Compiler {
    prog: Program,
    diags: Vec<Diagnostic>,
    globals: HashMap<String, Global>,
    /// Where each global was declared, for "declared twice".
    declared_at: HashMap<String, Span>,
    /// Diagnostics found beyond `KEPT_DIAGNOSTICS`.
    dropped: usize,
    /// Nesting of the statement being compiled (bounded by the parser; checked again).
    nest: u32,
    // Per-procedure state.
    locals: HashMap<String, u16>,
    /// Slots given out in this procedure: parameters first. Not `locals.len()`: a
    /// parameter named twice takes two slots under one name.
    next_local: u16,
    code: Vec<Instr>,
    spans: Vec<Span>,
    loops: Vec<(Vec<usize>, Vec<usize>)>,
    in_proc: bool,
    cond_text: Vec<(u32, String)>,
    src: String,
    /// Parameter count of every procedure, known before any body is compiled.
    arity: Vec<usize>,
    /// Narration of an enclosing `if` whose test is local: statements inside it that
    /// have none of their own speak with it.
    inherited_narr: u32,
    /// Compiling the condition of a spin-wait, which may read several words.
    spin_cond: bool,
}

struct Ctx {
    line: u32,
    narr: u32,
    span: Span,
}

impl Compiler {
    fn new(src: &str, file: &File) -> Self {
        // Out-of-range values are refused in `run`; clamped here only so the program is
        // well-formed while the errors are collected.
        let (lo, hi, def) = file.cpus_default.unwrap_or((2, 8, 3));
        Compiler {
            prog: Program {
                source: src.to_string(),
                title: file.title.clone().unwrap_or_else(|| "untitled model".into()),
                doc: file.doc.join("\n"),
                cpus: (lo.clamp(1, MAX_CPUS) as u32, hi.clamp(1, MAX_CPUS) as u32, def.clamp(1, MAX_CPUS) as u32),
                options: vec![],
                consts: vec![],
                vectors: vec![],
                vars: vec![],
                aspaces: vec![],
                maps: vec![],
                extra_frames: 0,
                procs: vec![],
                nmi: None,
                on_switch: None,
                scenarios: vec![],
                races: vec![],
                views: vec![],
                ops: vec![],
                arg_pool: vec![],
                narrations: vec![],
                messages: vec![],
                ktr_names: vec![],
                broadcast: None,
                spans: vec![],
            },
            diags: vec![],
            dropped: 0,
            nest: 0,
            globals: HashMap::new(),
            declared_at: HashMap::new(),
            locals: HashMap::new(),
            next_local: 0,
            code: vec![],
            spans: vec![],
            loops: vec![],
            in_proc: false,
            cond_text: vec![],
            src: src.to_string(),
            arity: file.procs.iter().map(|p| p.params.len()).collect(),
            inherited_narr: NO_NARRATION,
            spin_cond: false,
        }
    }

    fn err(&mut self, span: Span, msg: impl Into<String>) {
        self.report(Diagnostic::new(span, msg));
    }

    fn report(&mut self, d: Diagnostic) {
        if self.diags.len() < KEPT_DIAGNOSTICS {
            self.diags.push(d);
        } else {
            self.dropped += 1;
        }
    }

    /// Whether a declaration of this kind still fits the 16-bit tables; reports when not.
    fn room(&mut self, have: usize, span: Span, what: &str) -> bool {
        if have >= MAX_DECLS {
            self.err(span, format!("more than {MAX_DECLS} {what}: the machine's tables hold no more"));
            return false;
        }
        true
    }

    fn declare(&mut self, name: &str, g: Global, span: Span) {
        if reserved(name) {
            self.report(reserved_here(name, span));
        } else if self.globals.insert(name.to_string(), g).is_some() {
            let d = Diagnostic::new(span, format!("`{name}` is declared twice"));
            let d = match self.declared_at.get(name) {
                Some(&first) => d.with_label(first, "first declared here"),
                None => d,
            };
            self.report(d);
        } else {
            self.declared_at.insert(name.to_string(), span);
        }
    }

    fn run(&mut self, f: &File, parsed_clean: bool) {
        if let Some((lo, hi, def)) = f.cpus_default {
            let span = f.cpus_span;
            let text = format!("`cpus {lo}..{hi} default {def}`");
            if [lo, hi, def].iter().any(|n| !(1..=MAX_CPUS).contains(n)) {
                self.err(span, format!("{text}: the machine has 1 to {MAX_CPUS} CPUs"));
            } else if lo > hi {
                self.err(span, format!("{text}: the range runs low to high"));
            } else if !(lo <= def && def <= hi) {
                self.err(span, format!("{text}: the default must lie in the range"));
            }
        }
        self.prog.extra_frames = f.frames.clamp(0, 64) as u32;
        if f.frames < 0 || f.frames > 64 {
            self.err(f.frames_span, "`frames` takes a number from 0 to 64");
        }
        for o in &f.options {
            if !self.room(self.prog.options.len(), o.span, "options") {
                break;
            }
            let i = self.prog.options.len() as u16;
            self.declare(&o.name, Global::Opt(i), o.span);
            let Ok(default) = i32::try_from(o.default) else {
                self.err(o.span, "option value does not fit in a 32-bit word");
                continue;
            };
            if let Err(e) = check_option(&o.name, o.is_bool, default) {
                self.err(o.span, e);
            }
            self.prog.options.push(OptionDecl {
                name: o.name.clone(),
                default,
                is_bool: o.is_bool,
                doc: o.doc.clone(),
                line: o.span.line,
            });
        }
        for (i, (name, span)) in f.aspaces.iter().enumerate() {
            if i >= 255 {
                self.err(*span, "too many address spaces");
                break;
            }
            self.declare(name, Global::Aspace(i as u8), *span);
            self.prog.aspaces.push(name.clone());
        }
        for (name, v, span) in &f.vectors {
            if !(16..=255).contains(v) {
                self.err(*span, format!("vector {v} is out of range: x86 vectors for IPIs are 16..255"));
                continue;
            }
            if self.prog.vectors.len() >= 32 {
                self.err(*span, "at most 32 vectors per model");
                continue;
            }
            // Two names for one vector would give it two handlers, one of them never run.
            if let Some(other) = self.prog.vectors.iter().find(|x| i64::from(x.number) == *v) {
                self.err(*span, format!("vector {v} is already `{}`", other.name));
                continue;
            }
            let i = self.prog.vectors.len() as u8;
            self.declare(name, Global::Vector(i), *span);
            self.prog.vectors.push(VectorDecl { name: name.clone(), number: *v as u8, handler: u16::MAX });
        }
        for (name, e, span) in &f.consts {
            if !self.room(self.prog.consts.len(), *span, "constants") {
                break;
            }
            let r = self.const_expr(e, false);
            let i = self.prog.consts.len() as u16;
            self.prog.consts.push((name.clone(), r));
            self.declare(name, Global::Const(i), *span);
        }
        for v in &f.vars {
            if !self.room(self.prog.vars.len(), v.span, "variables") {
                break;
            }
            let i = self.prog.vars.len() as u16;
            let rank = v.dims.len() + usize::from(v.per_cpu);
            if rank > 2 {
                self.err(v.span, "arrays have at most two dimensions (a per-CPU variable counts the CPU as one)");
            }
            // Declared with the dimensions it may have, so that its uses are checked
            // against a shape the machine can hold.
            let dims = v.dims.iter().take(2 - usize::from(v.per_cpu)).map(|d| self.const_expr(d, false)).collect();
            let init = v.init.as_ref().map(|e| self.const_expr(e, true));
            let mark = v.mark.map(|m| m as i32);
            self.prog.vars.push(VarDecl {
                name: v.name.clone(),
                per_cpu: v.per_cpu,
                is_mask: v.is_mask,
                dims,
                init,
                mark,
                doc: v.doc.clone(),
                line: v.span.line,
            });
            self.declare(&v.name, Global::Var(i), v.span);
        }
        for m in &f.maps {
            if !self.room(self.prog.maps.len(), m.span, "mapped pages") {
                break;
            }
            let Some(&Global::Aspace(a)) = self.globals.get(&m.aspace) else {
                self.err(
                    m.span,
                    format!("`{}` is not an address space (declare it with `aspace {};`)", m.aspace, m.aspace),
                );
                continue;
            };
            let va = self.const_expr(&m.va, false);
            self.prog.maps.push(MapDecl {
                aspace: a,
                va,
                present: m.mode != "unmapped",
                writable: m.mode == "writable" || m.mode == "table",
                table: m.mode == "table",
                line: m.span.line,
            });
        }
        // Procedures are declared before any body is compiled, so calls may go forward.
        let mut all: Vec<&ast::ProcItem> = f.procs.iter().collect();
        if let Some(p) = f.procs.get(MAX_DECLS) {
            self.room(MAX_DECLS, p.span, "procedures");
            return;
        }
        for (i, p) in f.procs.iter().enumerate() {
            self.declare(&p.name, Global::Proc(i as u16), p.span);
            if p.params.len() > MAX_ARGS {
                self.err(p.span, format!("`{}` has {} parameters; at most {MAX_ARGS}", p.name, p.params.len()));
            }
        }
        for (vec_name, p) in &f.handlers {
            let pi = all.len() as u16;
            match self.globals.get(vec_name) {
                Some(&Global::Vector(v)) => {
                    if self.prog.vectors[v as usize].handler != u16::MAX {
                        self.err(p.span, format!("vector `{vec_name}` has two handlers"));
                    }
                    self.prog.vectors[v as usize].handler = pi;
                }
                _ => self
                    .err(p.span, format!("`{vec_name}` is not a vector (declare it with `vector {vec_name} = 0xf3;`)")),
            }
            all.push(p);
        }
        if let Some(p) = &f.nmi {
            self.prog.nmi = Some(all.len() as u16);
            all.push(p);
        }
        for (v, (_, _, span)) in self.prog.vectors.clone().iter().zip(&f.vectors) {
            if v.handler == u16::MAX {
                self.err(
                    *span,
                    format!("vector `{}` has no handler (add `handler {} {{ ... eoi(); }}`)", v.name, v.name),
                );
            }
        }
        for p in all {
            self.proc(p);
        }
        if let Some((name, span)) = &f.on_switch {
            match self.globals.get(name) {
                Some(&Global::Proc(p)) if self.arity[p as usize] == 2 => self.prog.on_switch = Some(p),
                Some(&Global::Proc(p)) => self.err(
                    *span,
                    format!(
                        "`on_switch {name}`: `{name}` takes {} parameter(s); a context switch passes two, (prev, next)",
                        self.arity[p as usize]
                    ),
                ),
                _ => self.err(*span, format!("`on_switch {name}`: no procedure `{name}`")),
            }
        }
        for s in &f.scenarios {
            self.scenario(s);
        }
        for r in &f.races {
            self.race(r);
        }
        for v in &f.views {
            self.view(v);
        }
        if self.prog.scenarios.is_empty() && self.diags.is_empty() && parsed_clean {
            self.err(
                Span::FILE_START,
                "the model declares no scenario (add `scenario NAME { cpu 0: PROC(); cpu *: idle; }`)",
            );
        }
    }
}

/// Names the language gives a meaning: no declaration, local or parameter may take them.
fn reserved(name: &str) -> bool {
    const RESERVED: [&str; 6] = ["self", "NCPU", "true", "false", "local", "idle"];
    RESERVED.contains(&name) || Func::by_name(name).is_some() || builtins::find(name).is_some() || name == "assert"
}

/// "`name` is a reserved name", with what the name means in the language.
fn reserved_here(name: &str, span: Span) -> Diagnostic {
    let d = Diagnostic::new(span, format!("`{name}` is a reserved name"));
    if let Some(b) = builtins::find(name) {
        d.with_note(format!("`{name}` is a built-in statement: {}", b.help))
    } else if Func::by_name(name).is_some() {
        d.with_note(format!("`{name}(...)` is a built-in function of expressions"))
    } else {
        d.with_note("the language gives this name its own meaning; choose another")
    }
}

/// An option value the machine would not run as given is refused where it is written.
fn check_option(name: &str, is_bool: bool, v: i32) -> Result<(), String> {
    let (lo, hi) = option_range(name, is_bool);
    if is_bool && !(v == 0 || v == 1) {
        return Err(format!("option `{name}` is true or false"));
    }
    if v < lo || v > hi {
        return Err(format!("option `{name}` is {v}, but it takes {lo} to {hi}"));
    }
    Ok(())
}

fn place_loads(p: &Place) -> u32 {
    match p {
        Place::Local(_) => 0,
        Place::Var { idx, nidx, .. } => idx[..*nidx as usize].iter().map(|r| r.loads as u32).sum(),
    }
}

/// `pause()`, or `yield()`: a spin loop's body that changes nothing but who may run.
fn is_pause(s: &ast::Stmt) -> bool {
    matches!(&s.kind, StmtKind::Call(e) if matches!(&e.kind, ExprKind::Call(n, a) if (n == "pause" || n == "yield") && a.is_empty()))
}
