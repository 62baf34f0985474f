//! Expressions: lowered to the machine's stack code, with the shared loads counted.

use super::*;

impl Compiler {
    pub(super) fn const_expr(&mut self, e: &ast::Expr, allow_self: bool) -> ExprRef {
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

    pub(super) fn push_ops(&mut self, ops: Vec<Op>, loads: u8) -> ExprRef {
        let start = self.prog.ops.len() as u32;
        let len = ops.len().min(u16::MAX as usize) as u16;
        self.prog.ops.extend(ops);
        ExprRef { start, len, loads }
    }

    pub(super) fn expr(&mut self, e: &ast::Expr) -> ExprRef {
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

    pub(super) fn lower(&mut self, e: &ast::Expr, ops: &mut Vec<Op>, loads: &mut u32, depth: u32) {
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
                ops.push(Op::Un(*op));
            }
            ExprKind::Binary(op, a, b) => {
                self.lower(a, ops, loads, depth);
                self.lower(b, ops, loads, depth);
                ops.push(Op::Bin(*op));
            }
        }
    }
}
