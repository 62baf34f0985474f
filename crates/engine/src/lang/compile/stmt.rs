//! Statements: control flow lowered to branches and jumps, locals, assignments and the
//! places they write, with the one-shared-access-per-step rule.

use super::*;

impl Compiler {
    pub(super) fn emit_at(&mut self, kind: Kind, ctx: &Ctx, visible: bool) -> usize {
        self.code.push(Instr { kind, line: ctx.line, visible, narr: ctx.narr });
        self.spans.push(ctx.span);
        self.code.len() - 1
    }

    pub(super) fn here(&self) -> u32 {
        self.code.len() as u32
    }

    pub(super) fn patch(&mut self, at: usize, to: u32) {
        match &mut self.code[at].kind {
            Kind::Jump(t) => *t = to,
            Kind::Branch { else_to, .. } => *else_to = to,
            _ => {}
        }
    }

    pub(super) fn block(&mut self, stmts: &[ast::Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    pub(super) fn local_slot(&mut self, name: &str, span: Span) -> u16 {
        if let Some(&i) = self.locals.get(name) {
            return i;
        }
        // `idle` is reserved for scenarios only (`cpu 1: idle;`); a local may be called so.
        if reserved(name) && name != "idle" {
            // `local self = 2;` was accepted, and `self` then meant the CPU or the local
            // depending on where it was read.
            self.report(reserved_here(name, span));
        } else if self.globals.contains_key(name) {
            let d = Diagnostic::new(span, format!("local `{name}` would hide a global of the same name"));
            let d = match self.declared_at.get(name) {
                Some(&g) => d.with_label(g, "the global is declared here"),
                None => d,
            };
            self.report(d);
        }
        let i = self.next_local;
        self.next_local = self.next_local.saturating_add(1);
        self.locals.insert(name.to_string(), i);
        i
    }

    pub(super) fn stmt(&mut self, s: &ast::Stmt) {
        if self.nest >= MAX_DEPTH {
            return self.err(s.span, "statements nested too deeply");
        }
        self.nest += 1;
        self.stmt_inner(s);
        self.nest -= 1;
    }

    pub(super) fn stmt_inner(&mut self, s: &ast::Stmt) {
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

    pub(super) fn close_loop(&mut self, continue_to: u32, break_to: u32) {
        let (breaks, conts) = self.loops.pop().unwrap_or_default();
        for b in breaks {
            self.patch(b, break_to);
        }
        for c in conts {
            self.patch(c, continue_to);
        }
    }

    pub(super) fn assign(&mut self, dst: Place, rhs: &ast::Expr, ctx: &Ctx) {
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

    pub(super) fn place(&mut self, e: &ast::Expr) -> Option<Place> {
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

    pub(super) fn var_place(&mut self, v: u16, idx: &[ast::Expr], span: Span) -> Option<Place> {
        let nidx = self.check_rank(v, idx.len(), span)?;
        let mut refs = [ExprRef::default(); 2];
        for (i, e) in idx.iter().enumerate() {
            refs[i] = self.expr(e);
        }
        Some(Place::Var { var: v, nidx, idx: refs })
    }

    /// Checks the number of indices for variable `v`; returns it.
    pub(super) fn check_rank(&mut self, v: u16, n: usize, span: Span) -> Option<u8> {
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
}
