//! Declarations that are not code: scenarios, races, views; and procedures, whose
//! bodies the statement compiler lowers.

use super::*;

impl Compiler {
    pub(super) fn scenario(&mut self, s: &ast::ScenarioItem) {
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
            let prio = self.prio(c.prio);
            let mut spec =
                CpuSpec { first: first as u32, last: last as u32, proc: None, args: vec![], aspace: None, prio };
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
        let mut threads = Vec::new();
        let has_switch = self.prog.on_switch.is_some();
        for t in &s.threads {
            let (_, hi, _) = self.prog.cpus;
            if !(0..i64::from(hi)).contains(&t.cpu) {
                self.err(t.span, format!("thread on CPU {}, but the model runs on CPUs 0 to {}", t.cpu, hi - 1));
                continue;
            }
            if threads.len() >= MAX_QUEUED_THREADS {
                self.err(t.span, format!("more than {MAX_QUEUED_THREADS} queued threads in one scenario"));
                continue;
            }
            let (name, args) = &t.call;
            let proc = match self.globals.get(name) {
                Some(&Global::Proc(p)) => {
                    let want = self.arity[p as usize];
                    if want != args.len() {
                        self.err(t.span, format!("`{name}` takes {want} argument(s), {} given", args.len()));
                    }
                    p
                }
                _ => {
                    self.err(t.span, format!("unknown procedure `{name}`"));
                    continue;
                }
            };
            min_cpus = min_cpus.max(t.cpu as u32 + 1);
            let args = args.iter().map(|a| self.const_expr(a, false)).collect();
            let mut aspace = None;
            if let Some(a) = &t.aspace {
                match self.globals.get(a) {
                    Some(&Global::Aspace(i)) => aspace = Some(i),
                    _ => self.err(t.span, format!("`{a}` is not an address space")),
                }
                if !has_switch {
                    self.err(
                        t.span,
                        format!(
                            "thread in `{a}`, but the model declares no `on_switch` procedure to load it \
                             (a thread's address space is loaded by the model's own switch code)"
                        ),
                    );
                }
            }
            let prio = self.prio(t.prio);
            threads.push(ThreadSpec { cpu: t.cpu as u32, proc, args, aspace, prio, line: t.span.line });
        }
        self.prog.scenarios.push(Scenario {
            name: s.name.clone(),
            doc: s.doc.clone(),
            cpus,
            threads,
            min_cpus,
            line: s.span.line,
        });
    }

    /// A scenario entry's priority: 0 without `prio`; 0 to 255, else a located error.
    fn prio(&mut self, prio: Option<(i64, Span)>) -> u8 {
        let Some((p, span)) = prio else { return 0 };
        u8::try_from(p).unwrap_or_else(|_| {
            self.err(span, format!("priority {p}: a priority is 0 to 255 (higher runs first)"));
            0
        })
    }

    pub(super) fn race(&mut self, r: &ast::RaceItem) {
        // Every race says where it comes from: the gallery and docs/races.md show it.
        let kind = match &r.kind {
            Some((k, span)) => RaceKind::from_keyword(k).unwrap_or_else(|| {
                self.err(*span, format!("race `{}`: unknown kind `{k}` (bug, reconstruction, mutation)", r.name));
                RaceKind::Mutation
            }),
            None => {
                let msg = format!("race `{}` needs `kind bug;`, `kind reconstruction;` or `kind mutation;`", r.name);
                self.err(r.span, msg);
                RaceKind::Mutation
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
        let expect = match &r.expect {
            Some((word, span)) => match Property::from_keyword(word) {
                Some(p) => p,
                None => {
                    let msg = format!("race `{}`: unknown property `{word}` ({})", r.name, Property::keywords());
                    self.err(*span, msg);
                    return;
                }
            },
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
            expect,
            story: r.story.clone(),
            kind,
            cite,
        });
    }

    pub(super) fn view(&mut self, v: &ast::ViewItem) {
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

    pub(super) fn proc(&mut self, p: &ast::ProcItem) {
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
}
