//! From syntax tree to `Program`: name resolution, the one-shared-access-per-step rule,
//! control flow lowered to branches and jumps, narration attached to instructions.

use super::ast::{self, CpuSel, ExprKind, File, StmtKind};
use super::parser::{parse, MAX_DEPTH, MAX_EXPR_HEIGHT};
use super::program::*;
use crate::diag::{bound, clip, Diagnostic, Span, MAX_DIAGNOSTICS};
use crate::machine::{option_range, Decl, MAX_CPUS as MACHINE_CPUS};
use std::collections::HashMap;

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
                scenarios: vec![],
                races: vec![],
                views: vec![],
                ops: vec![],
                arg_pool: vec![],
                narrations: vec![],
                messages: vec![],
                ktr_names: vec![],
                spans: vec![],
            },
            diags: vec![],
            dropped: 0,
            nest: 0,
            globals: HashMap::new(),
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
        if self.diags.len() < KEPT_DIAGNOSTICS {
            self.diags.push(Diagnostic::new(span, msg));
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
            self.err(span, format!("`{name}` is a reserved name"));
        } else if self.globals.insert(name.to_string(), g).is_some() {
            self.err(span, format!("`{name}` is declared twice"));
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
                writable: m.mode == "writable",
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

    fn scenario(&mut self, s: &ast::ScenarioItem) {
        let mut cpus = Vec::new();
        let mut min_cpus = 1u32;
        self.locals.clear();
        self.in_proc = false;
        if self.prog.scenario_index(&s.name).is_some() {
            self.err(s.span, format!("scenario `{}` is declared twice", s.name));
        }
        for c in &s.cpus {
            let (first, last) = match c.sel {
                CpuSel::One(n) => (n, n),
                CpuSel::From(n) => (n, i64::from(u32::MAX)),
                CpuSel::Range(a, b) => (a, b),
                CpuSel::Rest => (0, i64::from(u32::MAX)),
            };
            let bounded = last == i64::from(u32::MAX) || last < MAX_CPUS;
            if !(0..MAX_CPUS).contains(&first) || last < first || !bounded {
                self.err(c.span, "CPU numbers run from 0 to 31, low to high");
                continue;
            }
            let (_, hi, _) = self.prog.cpus;
            let named = if last != i64::from(u32::MAX) { last } else { first };
            if !matches!(c.sel, CpuSel::Rest) && named >= i64::from(hi) {
                // The scenario could never run: the machine never has that CPU.
                self.err(
                    c.span,
                    format!("CPU {named}, but the model runs on at most {hi} CPUs (CPUs 0 to {})", hi - 1),
                );
                continue;
            }
            // A CPU named twice would run the first entry's procedure, silently.
            let taken = |s: &CpuSpec| s.first != u32::MAX && i64::from(s.first) <= last && first <= i64::from(s.last);
            if !matches!(c.sel, CpuSel::Rest) && cpus.iter().any(taken) {
                self.err(c.span, format!("scenario `{}` names a CPU of this entry twice", s.name));
                continue;
            }
            if matches!(c.sel, CpuSel::Rest) && cpus.iter().any(|s: &CpuSpec| s.first == u32::MAX) {
                self.err(c.span, format!("scenario `{}` has two `cpu *` entries", s.name));
                continue;
            }
            min_cpus = min_cpus.max(named as u32 + 1);
            let mut spec = CpuSpec { first: first as u32, last: last as u32, proc: None, args: vec![], aspace: None };
            if matches!(c.sel, CpuSel::Rest) {
                spec.first = u32::MAX; // marks "every CPU not named before"
            }
            if let Some((name, args)) = &c.call {
                match self.globals.get(name) {
                    Some(&Global::Proc(p)) => {
                        let want = self.arity[p as usize];
                        if want != args.len() {
                            self.err(c.span, format!("`{name}` takes {want} argument(s), {} given", args.len()));
                        }
                        spec.proc = Some(p);
                        spec.args = args.iter().map(|a| self.const_expr(a, false)).collect();
                    }
                    _ => self.err(c.span, format!("unknown procedure `{name}`")),
                }
            }
            if let Some(a) = &c.aspace {
                match self.globals.get(a) {
                    Some(&Global::Aspace(i)) => spec.aspace = Some(i),
                    _ => self.err(c.span, format!("`{a}` is not an address space")),
                }
            }
            cpus.push(spec);
        }
        self.prog.scenarios.push(Scenario {
            name: s.name.clone(),
            doc: s.doc.clone(),
            cpus,
            min_cpus,
            line: s.span.line,
        });
    }

    fn race(&mut self, r: &ast::RaceItem) {
        // Every race says where it comes from: the gallery and docs/races.md show it.
        let kind = match &r.kind {
            Some((k, span)) if !RACE_KINDS.contains(&k.as_str()) => {
                self.err(*span, format!("race `{}`: unknown kind `{k}` (bug, reconstruction, mutation)", r.name));
                String::new()
            }
            Some((k, _)) => k.clone(),
            None => {
                let msg = format!("race `{}` needs `kind bug;`, `kind reconstruction;` or `kind mutation;`", r.name);
                self.err(r.span, msg);
                String::new()
            }
        };
        let cite = match &r.cite {
            Some((c, span)) if c.trim().is_empty() => {
                self.err(*span, format!("race `{}`: an empty citation", r.name));
                String::new()
            }
            Some((c, _)) => c.clone(),
            None => {
                let msg = format!(
                    "race `{}` needs `cite \"...\";`: the fix's commit, CVE, PR or list post, or the section it is reconstructed from",
                    r.name
                );
                self.err(r.span, msg);
                String::new()
            }
        };
        let scenario = match &r.scenario {
            Some((name, span)) => match self.prog.scenario_index(name) {
                Some(i) => i,
                None => {
                    self.err(*span, format!("race `{}`: no scenario `{name}`", r.name));
                    return;
                }
            },
            None => 0,
        };
        let mut sets = Vec::new();
        for (opt, v, span) in &r.sets {
            match self.prog.option_index(opt) {
                Some(i) if sets.iter().any(|&(j, _)| j == i) => {
                    self.err(*span, format!("race `{}`: option `{opt}` is set twice", r.name));
                }
                Some(i) => {
                    let o = &self.prog.options[i];
                    match i32::try_from(*v).map_err(|_| format!("{v} does not fit in a 32-bit word")).and_then(|v| {
                        check_option(&o.name, o.is_bool, v)?;
                        Ok(v)
                    }) {
                        Ok(v) => sets.push((i, v)),
                        Err(e) => self.err(*span, format!("race `{}`: {e}", r.name)),
                    }
                }
                None => self.err(*span, format!("race `{}`: no option `{opt}`", r.name)),
            }
        }
        let expect = match r.expect.as_ref().map(|(e, s)| (e.as_str(), *s)) {
            Some(("stale", _)) => "G-STALE",
            Some(("dirty", _)) => "G-DIRTY",
            Some(("deadlock", _)) => "G-DEADLOCK",
            Some(("nolost", _)) => "G-NOLOST",
            Some(("window", _)) => "G-USERMODE-WINDOW",
            Some(("mem", _)) => "G-MEM",
            Some(("assert", _)) => "assert",
            Some((other, span)) => {
                self.err(
                    span,
                    format!(
                        "race `{}`: unknown property `{other}` (stale, dirty, deadlock, nolost, window, mem, assert)",
                        r.name
                    ),
                );
                return;
            }
            None => {
                self.err(r.span, format!("race `{}` needs `expect PROPERTY;`", r.name));
                return;
            }
        };
        let cpus = r.cpus.unwrap_or(self.prog.cpus.2 as i64);
        let (lo, hi, _) = self.prog.cpus;
        if cpus < i64::from(lo) || cpus > i64::from(hi) {
            self.err(r.span, format!("race `{}`: {cpus} CPUs, but the model runs on {lo} to {hi}", r.name));
            return;
        }
        let cpus = cpus as u32;
        // The gallery would offer a race whose machine cannot be built.
        let sc = &self.prog.scenarios[scenario];
        if cpus < sc.min_cpus {
            let msg =
                format!("race `{}`: {cpus} CPUs, but scenario `{}` needs at least {}", r.name, sc.name, sc.min_cpus);
            self.err(r.span, msg);
            return;
        }
        self.prog.races.push(RaceDecl {
            name: r.name.clone(),
            title: r.title.clone(),
            cpus,
            scenario,
            sets,
            expect: expect.to_string(),
            story: r.story.clone(),
            kind,
            cite,
        });
    }

    fn view(&mut self, v: &ast::ViewItem) {
        let kind = match v.kind.0.as_str() {
            "ring" => ViewKind::Ring,
            "matrix" => ViewKind::Matrix,
            other => return self.err(v.kind.1, format!("unknown kind of view `{other}` (ring, matrix)")),
        };
        if self.prog.views.iter().any(|w| w.name == v.name) {
            self.err(v.span, format!("view `{}` is declared twice", v.name));
        }
        if kind == ViewKind::Ring && (v.args.len() < 3 || v.args.len() > 5) {
            return self.err(
                v.span,
                "a ring names its slot array, then 2 to 4 pointers: `view ring NAME(SLOTS, WRITE, READ, ...)`",
            );
        }
        if kind == ViewKind::Matrix && v.args.len() != 1 {
            return self.err(v.span, "a matrix view names one array: `view matrix NAME(ARRAY) by (ROWS, COLUMNS)`");
        }
        let mut vars = Vec::new();
        for (i, (name, span)) in v.args.iter().enumerate() {
            let Some(&Global::Var(k)) = self.globals.get(name) else {
                self.err(*span, format!("`{name}` is not a shared or per-CPU variable"));
                continue;
            };
            let d = &self.prog.vars[k as usize];
            let (word, mask) = (!d.per_cpu && d.dims.is_empty(), d.is_mask);
            if i == 0 && word && kind == ViewKind::Ring {
                self.err(*span, format!("`{name}` is one word; a ring's slots are an array"));
            }
            if i > 0 && mask {
                self.err(*span, format!("`{name}` is a cpumask; a ring's pointers are indices"));
            }
            if vars.contains(&k) {
                self.err(*span, format!("`{name}` is named twice"));
            }
            vars.push(k);
        }
        if vars.len() != v.args.len() {
            return;
        }
        // The indexed array: the matrix, or a ring's pointers (one ring per element).
        let (indexed, ispan) = if kind == ViewKind::Matrix { (vars[0], v.args[0].1) } else { (vars[1], v.args[1].1) };
        let d = &self.prog.vars[indexed as usize];
        let rank = d.dims.len() + d.per_cpu as usize;
        let what = &v.args[if kind == ViewKind::Matrix { 0 } else { 1 }].0;
        if kind == ViewKind::Matrix && rank != 2 {
            return self.err(ispan, format!("`{what}` has {rank} dimension(s); a matrix view draws a 2-D array"));
        }
        if !v.axes.is_empty() && v.axes.len() != rank {
            let span = v.axes[0].1;
            return self.err(span, format!("`{what}` has {rank} dimension(s), so `by` names {rank} axes"));
        }
        self.prog.views.push(ViewDecl {
            kind,
            name: v.name.clone(),
            caption: v.caption.clone(),
            doc: v.doc.clone(),
            vars,
            axes: v.axes.iter().map(|a| a.0.clone()).collect(),
            line: v.span.line,
        });
    }

    fn proc(&mut self, p: &ast::ProcItem) {
        self.locals.clear();
        self.code.clear();
        self.spans.clear();
        self.loops.clear();
        self.cond_text.clear();
        self.in_proc = true;
        self.next_local = 0;
        for name in &p.params {
            let i = self.next_local;
            self.next_local += 1;
            if reserved(name) && name != "idle" {
                self.err(p.span, format!("parameter `{name}`: a reserved name"));
            }
            if self.locals.insert(name.clone(), i).is_some() {
                self.err(p.span, format!("parameter `{name}` is named twice"));
            }
        }
        self.block(&p.body);
        let end_line = self.code.last().map_or(p.span.line, |i| i.line);
        self.emit_at(Kind::Return, &Ctx { line: end_line, narr: NO_NARRATION, span: p.span }, false);
        // Slots stop counting at u16::MAX ("procedure too large" below), so size by the
        // largest slot too.
        let slots = self.locals.values().map(|&i| usize::from(i) + 1).max().unwrap_or(0);
        let mut names = vec![String::new(); slots.max(usize::from(self.next_local))];
        for (n, &i) in &self.locals {
            names[i as usize] = n.clone();
        }
        if self.code.len() > u32::MAX as usize / 2 || names.len() > u16::MAX as usize / 2 {
            self.err(p.span, "procedure too large");
        }
        self.prog.procs.push(Proc {
            name: p.name.clone(),
            nparams: p.params.len() as u16,
            local_names: names,
            code: std::mem::take(&mut self.code),
            user: p.user,
            doc: p.doc.clone(),
            line: p.span.line,
            cond_text: std::mem::take(&mut self.cond_text),
        });
        self.prog.spans.push(std::mem::take(&mut self.spans));
        self.in_proc = false;
    }

    fn emit_at(&mut self, kind: Kind, ctx: &Ctx, visible: bool) -> usize {
        self.code.push(Instr { kind, line: ctx.line, visible, narr: ctx.narr });
        self.spans.push(ctx.span);
        self.code.len() - 1
    }

    fn here(&self) -> u32 {
        self.code.len() as u32
    }

    fn patch(&mut self, at: usize, to: u32) {
        match &mut self.code[at].kind {
            Kind::Jump(t) => *t = to,
            Kind::Branch { else_to, .. } => *else_to = to,
            _ => {}
        }
    }

    fn block(&mut self, stmts: &[ast::Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn local_slot(&mut self, name: &str, span: Span) -> u16 {
        if let Some(&i) = self.locals.get(name) {
            return i;
        }
        // `idle` is reserved for scenarios only (`cpu 1: idle;`); a local may be called so.
        if reserved(name) && name != "idle" {
            // `local self = 2;` was accepted, and `self` then meant the CPU or the local
            // depending on where it was read.
            self.err(span, format!("`{name}` is a reserved name"));
        } else if self.globals.contains_key(name) {
            self.err(span, format!("local `{name}` would hide a global of the same name"));
        }
        let i = self.next_local;
        self.next_local = self.next_local.saturating_add(1);
        self.locals.insert(name.to_string(), i);
        i
    }

    fn stmt(&mut self, s: &ast::Stmt) {
        if self.nest >= MAX_DEPTH {
            return self.err(s.span, "statements nested too deeply");
        }
        self.nest += 1;
        self.stmt_inner(s);
        self.nest -= 1;
    }

    fn stmt_inner(&mut self, s: &ast::Stmt) {
        let narr = match &s.doc {
            Some(d) => {
                self.prog.narrations.push(d.clone());
                (self.prog.narrations.len() - 1) as u32
            }
            None => self.inherited_narr,
        };
        let ctx = Ctx { line: s.span.line, narr, span: s.span };
        match &s.kind {
            StmtKind::Local(name, init) => {
                let slot = self.local_slot(name, s.span);
                match init {
                    Some(e) => self.assign(Place::Local(slot), e, &ctx),
                    None => {
                        let src = self.push_ops(vec![Op::Int(0)], 0);
                        self.emit_at(Kind::Eval { dst: Place::Local(slot), src }, &ctx, false);
                    }
                }
            }
            StmtKind::Assign(lhs, rhs) => {
                let Some(place) = self.place(lhs) else { return };
                self.assign(place, rhs, &ctx);
            }
            StmtKind::Call(e) => {
                if let ExprKind::Call(name, args) = &e.kind {
                    self.call(name, args, None, &ctx, e.span);
                }
            }
            StmtKind::If(c, then, els) => {
                let cond = self.expr(c);
                let br = self.emit_at(Kind::Branch { cond, else_to: 0, spin: false }, &ctx, cond.loads > 0);
                let outer = self.inherited_narr;
                if cond.loads == 0 {
                    self.inherited_narr = ctx.narr;
                }
                self.block(then);
                if els.is_empty() {
                    let end = self.here();
                    self.patch(br, end);
                } else {
                    let j = self.emit_at(Kind::Jump(0), &ctx, false);
                    let else_start = self.here();
                    self.patch(br, else_start);
                    self.block(els);
                    let end = self.here();
                    self.patch(j, end);
                }
                self.inherited_narr = outer;
            }
            StmtKind::While(c, body) => {
                // A spin-wait's condition may poll several words (see `spin_multi_load`).
                let idle_body = body.iter().all(is_pause);
                self.spin_cond = idle_body;
                let cond = self.expr(c);
                self.spin_cond = false;
                let top = self.here();
                let spin = cond.loads > 0 && idle_body;
                if spin {
                    let text = self.src.get(c.span.start as usize..c.span.end as usize).unwrap_or("").to_string();
                    self.cond_text.push((top, clip(text, QUOTED_CHARS)));
                }
                let br = self.emit_at(Kind::Branch { cond, else_to: 0, spin }, &ctx, cond.loads > 0);
                self.loops.push((vec![], vec![]));
                let outer = std::mem::replace(&mut self.inherited_narr, NO_NARRATION);
                self.block(body);
                self.inherited_narr = outer;
                self.emit_at(Kind::Jump(top), &ctx, false);
                let end = self.here();
                self.patch(br, end);
                self.close_loop(top, end);
            }
            StmtKind::ForMask(var, mask, body) => {
                // Iterate the set bits of a mask, lowest first, over a private copy.
                let slot = self.local_slot(var, s.span);
                let hidden = self.local_slot(&format!("{var}#mask{}", self.code.len()), s.span);
                self.assign(Place::Local(hidden), mask, &ctx);
                let top = self.here();
                let cond = self.push_ops(vec![Op::Local(hidden), Op::Int(0), Op::Bin(BinOp::Ne)], 0);
                let br = self.emit_at(Kind::Branch { cond, else_to: 0, spin: false }, &ctx, false);
                let pick = self.push_ops(vec![Op::Local(hidden), Op::Func(Func::Lowest, 1)], 0);
                self.emit_at(Kind::Eval { dst: Place::Local(slot), src: pick }, &ctx, false);
                let clear = self.push_ops(
                    vec![
                        Op::Local(hidden),
                        Op::Local(slot),
                        Op::Func(Func::Bit, 1),
                        Op::Un(UnOp::BitNot),
                        Op::Bin(BinOp::BitAnd),
                    ],
                    0,
                );
                self.emit_at(Kind::Eval { dst: Place::Local(hidden), src: clear }, &ctx, false);
                self.loops.push((vec![], vec![]));
                self.block(body);
                self.emit_at(Kind::Jump(top), &ctx, false);
                let end = self.here();
                self.patch(br, end);
                self.close_loop(top, end);
            }
            StmtKind::ForRange(var, lo, hi, body) => {
                let slot = self.local_slot(var, s.span);
                let limit = self.local_slot(&format!("{var}#limit{}", self.code.len()), s.span);
                self.assign(Place::Local(slot), lo, &ctx);
                self.assign(Place::Local(limit), hi, &ctx);
                let top = self.here();
                let cond = self.push_ops(vec![Op::Local(slot), Op::Local(limit), Op::Bin(BinOp::Lt)], 0);
                let br = self.emit_at(Kind::Branch { cond, else_to: 0, spin: false }, &ctx, false);
                self.loops.push((vec![], vec![]));
                self.block(body);
                let next = self.here();
                let inc = self.push_ops(vec![Op::Local(slot), Op::Int(1), Op::Bin(BinOp::Add)], 0);
                self.emit_at(Kind::Eval { dst: Place::Local(slot), src: inc }, &ctx, false);
                self.emit_at(Kind::Jump(top), &ctx, false);
                let end = self.here();
                self.patch(br, end);
                self.close_loop(next, end);
            }
            StmtKind::Break | StmtKind::Continue => {
                if self.loops.is_empty() {
                    self.err(s.span, "`break` and `continue` belong inside a loop");
                    return;
                }
                let j = self.emit_at(Kind::Jump(0), &ctx, false);
                let l = self.loops.last_mut().expect("checked above");
                if matches!(s.kind, StmtKind::Break) {
                    l.0.push(j);
                } else {
                    l.1.push(j);
                }
            }
            StmtKind::Return => {
                self.emit_at(Kind::Return, &ctx, false);
            }
            StmtKind::Assert(c, msg) => {
                let cond = self.expr(c);
                let text = msg.clone().unwrap_or_else(|| {
                    format!(
                        "assertion `{}` failed",
                        self.src.get(c.span.start as usize..c.span.end as usize).unwrap_or("")
                    )
                });
                self.prog.messages.push(clip(text, QUOTED_CHARS));
                let msg = (self.prog.messages.len() - 1) as u32;
                self.emit_at(Kind::Assert { cond, msg }, &ctx, cond.loads > 0);
            }
        }
    }

    fn close_loop(&mut self, continue_to: u32, break_to: u32) {
        let (breaks, conts) = self.loops.pop().unwrap_or_default();
        for b in breaks {
            self.patch(b, break_to);
        }
        for c in conts {
            self.patch(c, continue_to);
        }
    }

    fn assign(&mut self, dst: Place, rhs: &ast::Expr, ctx: &Ctx) {
        if let ExprKind::Call(name, args) = &rhs.kind {
            if Func::by_name(name).is_none() {
                let Place::Local(slot) = dst else {
                    self.err(rhs.span, format!("the result of `{name}` can only be kept in a local variable"));
                    return;
                };
                self.call(name, args, Some(slot), ctx, rhs.span);
                return;
            }
        }
        let src = self.expr(rhs);
        let writes = matches!(dst, Place::Var { .. });
        let loads = src.loads as u32 + place_loads(&dst);
        if writes && loads > 0 || loads > 1 {
            self.err(ctx.span, "this statement touches shared memory more than once; split it so that each step does one access (e.g. read into a local first)");
        }
        self.emit_at(Kind::Eval { dst, src }, ctx, writes || loads > 0);
    }

    fn place(&mut self, e: &ast::Expr) -> Option<Place> {
        match &e.kind {
            ExprKind::Name(n) => {
                if let Some(&l) = self.locals.get(n) {
                    return Some(Place::Local(l));
                }
                match self.globals.get(n) {
                    Some(&Global::Var(v)) => self.var_place(v, &[], e.span),
                    Some(_) => {
                        self.err(e.span, format!("`{n}` cannot be assigned (only variables can)"));
                        None
                    }
                    None => {
                        self.err(e.span, format!("unknown variable `{n}` (declare locals with `local {n} = ...;`)"));
                        None
                    }
                }
            }
            ExprKind::Index(n, idx) => match self.globals.get(n) {
                Some(&Global::Var(v)) => self.var_place(v, idx, e.span),
                _ => {
                    self.err(e.span, format!("`{n}` is not a shared or per-CPU array"));
                    None
                }
            },
            _ => {
                self.err(e.span, "the left side of `=` must be a variable or an array element");
                None
            }
        }
    }

    fn var_place(&mut self, v: u16, idx: &[ast::Expr], span: Span) -> Option<Place> {
        let nidx = self.check_rank(v, idx.len(), span)?;
        let mut refs = [ExprRef::default(); 2];
        for (i, e) in idx.iter().enumerate() {
            refs[i] = self.expr(e);
        }
        Some(Place::Var { var: v, nidx, idx: refs })
    }

    /// Checks the number of indices for variable `v`; returns it.
    fn check_rank(&mut self, v: u16, n: usize, span: Span) -> Option<u8> {
        let d = &self.prog.vars[v as usize];
        let rank = d.dims.len() + usize::from(d.per_cpu);
        let ok = (n == rank || (d.per_cpu && n + 1 == rank)) && n <= 2;
        if !ok {
            let name = d.name.clone();
            let what = if d.per_cpu {
                format!("`{name}` is per-CPU: write `{name}` for this CPU's copy or `{name}[cpu]` for another's")
            } else {
                format!("`{name}` takes {rank} index(es), {n} given")
            };
            self.err(span, what);
            return None;
        }
        Some(n as u8)
    }

    fn call(&mut self, name: &str, args: &[ast::Expr], dst: Option<u16>, ctx: &Ctx, span: Span) {
        let want = |c: &mut Self, n: usize| -> bool {
            if args.len() != n {
                c.err(span, format!("`{name}` takes {n} argument(s), {} given", args.len()));
                false
            } else {
                true
            }
        };
        let local_only = |c: &mut Self, e: &ast::Expr| -> ExprRef {
            let r = c.expr(e);
            if r.loads > 0 {
                c.err(e.span, "this argument reads shared memory, and the call is already a step of its own; read it into a local first");
            }
            r
        };
        let returns = matches!(
            name,
            "fetch_add"
                | "xchg"
                | "cmpxchg"
                | "dcas"
                | "atomic_or"
                | "atomic_and"
                | "pte_clear"
                | "pte_read"
                | "pte_clear_dirty"
                | "pte_dirty"
                | "pte_cmpset"
                | "alloc_page"
        );
        if dst.is_some() && !returns {
            if let Some(Global::Proc(_)) = self.globals.get(name) {
                self.err(span, format!("procedure `{name}` returns no value"));
            } else {
                self.err(span, format!("`{name}` returns no value"));
            }
            return;
        }
        let kind = match name {
            "ktr" => {
                self.ktr(args, ctx, span);
                return;
            }
            "fence" => {
                if !want(self, 1) {
                    return;
                }
                let k = match &args[0].kind {
                    ExprKind::Name(n) if n == "seq_cst" => FenceKind::SeqCst,
                    ExprKind::Name(n) if n == "acquire" => FenceKind::Acquire,
                    ExprKind::Name(n) if n == "release" => FenceKind::Release,
                    _ => {
                        self.err(args[0].span, "fence takes `seq_cst`, `acquire` or `release`");
                        return;
                    }
                };
                Kind::Fence(k)
            }
            "ack_window" => {
                if !want(self, 1) {
                    return;
                }
                let va = local_only(self, &args[0]);
                // Folds into the step before it (the acknowledgement), like `ktr`.
                self.emit_at(Kind::AckWindow(va), ctx, false);
                return;
            }
            "close_window" => {
                if want(self, 0) {
                    self.emit_at(Kind::CloseWindow, ctx, false);
                }
                return;
            }
            "retire" => {
                if !want(self, 1) {
                    return;
                }
                let Some(place) = self.place(&args[0]) else { return };
                if place_loads(&place) > 0 || matches!(place, Place::Local(_)) {
                    self.err(args[0].span, "`retire` names a shared word whose index is computed locally");
                    return;
                }
                self.emit_at(Kind::Retire(place), ctx, false);
                return;
            }
            "invlpgb" => {
                if !want(self, 2) {
                    return;
                }
                let aspace = local_only(self, &args[0]);
                let va = local_only(self, &args[1]);
                Kind::Invlpgb { aspace, va }
            }
            "disable_interrupts" | "enable_interrupts" | "critical_enter" | "critical_exit" | "pin" | "unpin"
            | "pause" | "eoi" | "flush_tlb" | "tlbsync" => {
                if !want(self, 0) {
                    return;
                }
                match name {
                    "disable_interrupts" => Kind::Cli,
                    "enable_interrupts" => Kind::Sti,
                    "critical_enter" => Kind::CritEnter,
                    "critical_exit" => Kind::CritExit,
                    "pin" => Kind::Pin,
                    "unpin" => Kind::Unpin,
                    "eoi" => Kind::Eoi,
                    "flush_tlb" => Kind::FlushTlb,
                    "tlbsync" => Kind::Tlbsync,
                    _ => return, // pause: purely local, folds into the next step
                }
            }
            "send_ipi" => {
                if !want(self, 2) {
                    return;
                }
                let mask = local_only(self, &args[0]);
                let vector = match &args[1].kind {
                    ExprKind::Name(n) => match self.globals.get(n) {
                        Some(&Global::Vector(v)) => v,
                        _ => {
                            self.err(args[1].span, format!("`{n}` is not a declared vector"));
                            return;
                        }
                    },
                    _ => {
                        self.err(args[1].span, "the second argument of send_ipi is a vector name");
                        return;
                    }
                };
                Kind::SendIpi { mask, vector }
            }
            "invlpg" | "user_load" | "user_store" | "free_page" | "switch_to" | "page_clean" | "page_save" => {
                if !want(self, 1) {
                    return;
                }
                let a = local_only(self, &args[0]);
                match name {
                    "invlpg" => Kind::Invlpg(a),
                    "user_load" => Kind::UserAccess { va: a, write: false },
                    "user_store" => Kind::UserAccess { va: a, write: true },
                    "free_page" => Kind::Free(a),
                    "page_clean" => Kind::PageClean(a),
                    "page_save" => Kind::PageSave(a),
                    _ => Kind::SwitchTo(a),
                }
            }
            "pte_clear" | "pte_read" | "pte_clear_dirty" | "pte_dirty" => {
                if !want(self, 2) {
                    return;
                }
                let aspace = local_only(self, &args[0]);
                let va = local_only(self, &args[1]);
                match name {
                    "pte_clear" => Kind::PteClear { aspace, va, dst },
                    "pte_read" => Kind::PteRead { aspace, va, dst },
                    "pte_clear_dirty" => Kind::PteClearDirty { aspace, va, dst },
                    _ => Kind::PteDirty { aspace, va, dst },
                }
            }
            "pte_cmpset" => {
                if !want(self, 5) {
                    return;
                }
                let aspace = local_only(self, &args[0]);
                let va = local_only(self, &args[1]);
                let frame = local_only(self, &args[2]);
                let dirty = local_only(self, &args[3]);
                let writable = local_only(self, &args[4]);
                Kind::PteCmpset { aspace, va, frame, dirty, writable, dst }
            }
            "pte_set" => {
                if !want(self, 4) {
                    return;
                }
                let aspace = local_only(self, &args[0]);
                let va = local_only(self, &args[1]);
                let frame = local_only(self, &args[2]);
                let writable = local_only(self, &args[3]);
                Kind::PteSet { aspace, va, frame, writable }
            }
            "load_cr3" => {
                if !want(self, 2) {
                    return;
                }
                let aspace = local_only(self, &args[0]);
                let flush = local_only(self, &args[1]);
                Kind::LoadCr3 { aspace, flush }
            }
            "alloc_page" => {
                if !want(self, 0) {
                    return;
                }
                Kind::Alloc { dst }
            }
            "fetch_add" | "xchg" | "atomic_or" | "atomic_and" | "cmpxchg" => {
                let n = if name == "cmpxchg" { 3 } else { 2 };
                if !want(self, n) {
                    return;
                }
                let Some(place) = self.place(&args[0]) else { return };
                if place_loads(&place) > 0 || matches!(place, Place::Local(_)) {
                    self.err(args[0].span, format!("`{name}` works on a shared word whose index is computed locally"));
                    return;
                }
                let a = local_only(self, &args[1]);
                let b = if n == 3 { local_only(self, &args[2]) } else { ExprRef::default() };
                let op = match name {
                    "fetch_add" => RmwOp::FetchAdd,
                    "xchg" => RmwOp::Xchg,
                    "atomic_or" => RmwOp::Or,
                    "atomic_and" => RmwOp::And,
                    _ => RmwOp::Cmpxchg,
                };
                Kind::Rmw { op, place, a, b, dst }
            }
            "dcas" => {
                if !want(self, 6) {
                    return;
                }
                let mut words = [None, None];
                for (k, w) in words.iter_mut().enumerate() {
                    let Some(place) = self.place(&args[k]) else { return };
                    if place_loads(&place) > 0 || matches!(place, Place::Local(_)) {
                        self.err(args[k].span, "`dcas` works on two shared words whose indices are computed locally");
                        return;
                    }
                    *w = Some(place);
                }
                let mut expected = [0u16; 2];
                for (k, e) in expected.iter_mut().enumerate() {
                    match &args[2 + k].kind {
                        ExprKind::Name(n) if self.locals.contains_key(n) => *e = self.locals[n],
                        _ => {
                            self.err(
                                args[2 + k].span,
                                "the expected values of `dcas` are local variables: on failure they receive the words' current values, as CMPXCHG16B loads RDX:RAX",
                            );
                            return;
                        }
                    }
                }
                let nlo = local_only(self, &args[4]);
                let nhi = local_only(self, &args[5]);
                let [Some(lo), Some(hi)] = words else { return };
                Kind::Dcas { lo, hi, elo: expected[0], ehi: expected[1], nlo, nhi, dst }
            }
            _ => match self.globals.get(name) {
                Some(&Global::Proc(p)) => {
                    let want_n = self.arity[p as usize];
                    if want_n != args.len() {
                        self.err(span, format!("`{name}` takes {want_n} argument(s), {} given", args.len()));
                    }
                    let start = self.prog.arg_pool.len() as u32;
                    let mut loads = 0;
                    for a in args {
                        let r = self.expr(a);
                        loads += r.loads as u32;
                        self.prog.arg_pool.push(r);
                    }
                    if loads > 1 {
                        self.err(span, "the arguments read shared memory more than once; read into locals first");
                    }
                    self.emit_at(Kind::Call { proc: p, args: start, nargs: args.len() as u8 }, ctx, loads > 0);
                    return;
                }
                _ => {
                    if Func::by_name(name).is_some() {
                        self.err(span, format!("`{name}(...)` computes a value; use it in an expression"));
                    } else {
                        self.err(span, format!("unknown procedure or built-in `{name}`"));
                    }
                    return;
                }
            },
        };
        // Pin and critical-section changes are CPU-local, but the algorithms number them as
        // steps (P1, I4, I15) and a lecture wants to see them happen, so they are visible.
        self.emit_at(kind, ctx, true);
    }

    /// `ktr(NAME, a, b, c)`: a trace point. It reads no shared memory and is never a step
    /// of its own: like local computation it folds into the step before it.
    fn ktr(&mut self, args: &[ast::Expr], ctx: &Ctx, span: Span) {
        const MAX_ARGS: usize = 3;
        let Some(first) = args.first() else {
            self.err(span, "`ktr` takes a trace-point name and up to 3 values, e.g. `ktr(ipiq_receive, s, self);`");
            return;
        };
        let ExprKind::Name(tp) = &first.kind else {
            self.err(first.span, "the first argument of `ktr` is the trace point's name, e.g. `ipiq_receive`");
            return;
        };
        if args.len() > 1 + MAX_ARGS {
            self.err(span, format!("`ktr` records at most {MAX_ARGS} values, {} given", args.len() - 1));
            return;
        }
        let name = match self.prog.ktr_names.iter().position(|n| n == tp) {
            Some(i) => i,
            None => {
                self.prog.ktr_names.push(tp.clone());
                self.prog.ktr_names.len() - 1
            }
        };
        if name > u16::MAX as usize {
            self.err(first.span, "too many trace-point names");
            return;
        }
        let start = self.prog.arg_pool.len() as u32;
        for a in &args[1..] {
            let r = self.expr(a);
            if r.loads > 0 {
                self.err(
                    a.span,
                    "a trace point reads no shared memory (it is not a step); read the value into a local first",
                );
            }
            self.prog.arg_pool.push(r);
        }
        let kind = Kind::Ktr { name: name as u16, args: start, nargs: (args.len() - 1) as u8 };
        self.emit_at(kind, ctx, false);
    }

    fn const_expr(&mut self, e: &ast::Expr, allow_self: bool) -> ExprRef {
        let saved = std::mem::take(&mut self.locals);
        let was = self.in_proc;
        self.in_proc = false;
        let r = self.expr(e);
        self.in_proc = was;
        self.locals = saved;
        if r.loads > 0 {
            self.err(e.span, "a declaration's value cannot read shared memory");
        }
        if !allow_self && self.prog.ops[r.start as usize..][..r.len as usize].contains(&Op::SelfCpu) {
            self.err(e.span, "`self` has no meaning here");
        }
        r
    }

    fn push_ops(&mut self, ops: Vec<Op>, loads: u8) -> ExprRef {
        let start = self.prog.ops.len() as u32;
        let len = ops.len().min(u16::MAX as usize) as u16;
        self.prog.ops.extend(ops);
        ExprRef { start, len, loads }
    }

    fn expr(&mut self, e: &ast::Expr) -> ExprRef {
        let mut ops = Vec::new();
        let mut loads = 0u32;
        self.lower(e, &mut ops, &mut loads, 0);
        if self.spin_cond && loads as usize <= MAX_SPIN_LOADS {
            // The condition of a spin-wait (a `while` whose body is empty or `pause();`)
            // may read up to MAX_SPIN_LOADS words: the CPU waits while it holds in the
            // current state. This stands for a loop that polls the words one after the
            // other, and is exact when a word that ends the wait keeps its value until the
            // waiter acts (docs/model-language.md, "Statements").
        } else if loads > 1 {
            self.err(e.span, "this expression reads shared memory more than once; each step does one access, so read into locals first");
        }
        let mut depth = 0i32;
        let mut max = 0i32;
        for op in &ops {
            depth += match op {
                Op::Load { nidx, .. } => 1 - *nidx as i32,
                Op::Un(_) => 0,
                Op::Bin(_) => -1,
                Op::Func(_, n) => 1 - *n as i32,
                _ => 1,
            };
            max = max.max(depth);
        }
        if max as usize > MAX_STACK || ops.len() > 4096 {
            self.err(e.span, "expression too large");
            ops.clear();
            ops.push(Op::Int(0));
        }
        self.push_ops(ops, loads.min(255) as u8)
    }

    fn lower(&mut self, e: &ast::Expr, ops: &mut Vec<Op>, loads: &mut u32, depth: u32) {
        // The parser bounds the tree's height; this holds should a tree come from elsewhere.
        if depth > MAX_EXPR_HEIGHT {
            self.err(e.span, "expression too deep");
            return ops.push(Op::Int(0));
        }
        let depth = depth + 1;
        match &e.kind {
            ExprKind::Int(v) => match i32::try_from(*v) {
                Ok(v) => ops.push(Op::Int(v)),
                Err(_) => {
                    self.err(e.span, "number does not fit in a 32-bit word");
                    ops.push(Op::Int(0));
                }
            },
            ExprKind::Name(n) => {
                if let Some(&l) = self.locals.get(n) {
                    ops.push(Op::Local(l));
                    return;
                }
                match n.as_str() {
                    "self" => return ops.push(Op::SelfCpu),
                    "NCPU" => return ops.push(Op::Ncpu),
                    _ => {}
                }
                match self.globals.get(n).copied() {
                    Some(Global::Const(c)) => ops.push(Op::Konst(c)),
                    Some(Global::Opt(o)) => ops.push(Op::Opt(o)),
                    Some(Global::Aspace(a)) => ops.push(Op::Int(a as i32)),
                    Some(Global::Vector(v)) => ops.push(Op::Int(self.prog.vectors[v as usize].number as i32)),
                    Some(Global::Var(v)) => {
                        if !self.in_proc {
                            self.err(
                                e.span,
                                format!("`{n}` is a variable; declarations can only use constants and options"),
                            );
                        }
                        if self.check_rank(v, 0, e.span).is_some() {
                            *loads += 1;
                            ops.push(Op::Load { var: v, nidx: 0 });
                        } else {
                            ops.push(Op::Int(0));
                        }
                    }
                    Some(Global::Proc(_)) => {
                        self.err(e.span, format!("`{n}` is a procedure; call it as a statement"));
                        ops.push(Op::Int(0));
                    }
                    None => {
                        let hint = if self.in_proc { " (declare locals with `local NAME = ...;`)" } else { "" };
                        self.err(e.span, format!("unknown name `{n}`{hint}"));
                        ops.push(Op::Int(0));
                    }
                }
            }
            ExprKind::Index(n, idx) => match self.globals.get(n).copied() {
                Some(Global::Var(v)) if self.in_proc => {
                    for i in idx {
                        self.lower(i, ops, loads, depth);
                    }
                    match self.check_rank(v, idx.len(), e.span) {
                        Some(nidx) => {
                            *loads += 1;
                            ops.push(Op::Load { var: v, nidx });
                        }
                        None => ops.push(Op::Int(0)),
                    }
                }
                _ => {
                    self.err(e.span, format!("`{n}` is not an array that can be read here"));
                    ops.push(Op::Int(0));
                }
            },
            ExprKind::Call(n, args) => match Func::by_name(n) {
                Some((f, arity)) => {
                    if args.len() != arity as usize {
                        self.err(e.span, format!("`{n}` takes {arity} argument(s), {} given", args.len()));
                        ops.push(Op::Int(0));
                        return;
                    }
                    for a in args {
                        self.lower(a, ops, loads, depth);
                    }
                    ops.push(Op::Func(f, arity));
                }
                None => {
                    self.err(e.span, format!("`{n}(...)` cannot be used inside an expression; call it as a statement, or `local x = {n}(...);`"));
                    ops.push(Op::Int(0));
                }
            },
            ExprKind::Unary(op, a) => {
                self.lower(a, ops, loads, depth);
                ops.push(Op::Un(match *op {
                    "!" => UnOp::Not,
                    "~" => UnOp::BitNot,
                    _ => UnOp::Neg,
                }));
            }
            ExprKind::Binary(op, a, b) => {
                self.lower(a, ops, loads, depth);
                self.lower(b, ops, loads, depth);
                ops.push(Op::Bin(match *op {
                    "||" => BinOp::Or,
                    "&&" => BinOp::And,
                    "|" => BinOp::BitOr,
                    "^" => BinOp::BitXor,
                    "&" => BinOp::BitAnd,
                    "==" => BinOp::Eq,
                    "!=" => BinOp::Ne,
                    "<" => BinOp::Lt,
                    "<=" => BinOp::Le,
                    ">" => BinOp::Gt,
                    ">=" => BinOp::Ge,
                    "<<" => BinOp::Shl,
                    ">>" => BinOp::Shr,
                    "+" => BinOp::Add,
                    "-" => BinOp::Sub,
                    "*" => BinOp::Mul,
                    "/" => BinOp::Div,
                    _ => BinOp::Rem,
                }));
            }
        }
    }
}

/// Names the language gives a meaning: no declaration, local or parameter may take them.
fn reserved(name: &str) -> bool {
    const RESERVED: [&str; 6] = ["self", "NCPU", "true", "false", "local", "idle"];
    RESERVED.contains(&name) || Func::by_name(name).is_some() || builtin_stmt(name)
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

fn is_pause(s: &ast::Stmt) -> bool {
    matches!(&s.kind, StmtKind::Call(e) if matches!(&e.kind, ExprKind::Call(n, a) if n == "pause" && a.is_empty()))
}

fn builtin_stmt(name: &str) -> bool {
    matches!(
        name,
        "fence"
            | "disable_interrupts"
            | "enable_interrupts"
            | "critical_enter"
            | "critical_exit"
            | "pin"
            | "unpin"
            | "pause"
            | "eoi"
            | "flush_tlb"
            | "send_ipi"
            | "invlpg"
            | "user_load"
            | "user_store"
            | "free_page"
            | "switch_to"
            | "pte_clear"
            | "pte_read"
            | "pte_set"
            | "pte_cmpset"
            | "alloc_page"
            | "fetch_add"
            | "xchg"
            | "atomic_or"
            | "atomic_and"
            | "cmpxchg"
            | "dcas"
            | "assert"
            | "ktr"
            | "ack_window"
            | "close_window"
            | "retire"
            | "invlpgb"
            | "tlbsync"
    )
}
