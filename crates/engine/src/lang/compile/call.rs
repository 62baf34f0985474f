//! Calls: procedures, and the built-ins of `lang::builtins`, each lowered to its
//! instruction.

use super::*;

impl Compiler {
    pub(super) fn call(&mut self, name: &str, args: &[ast::Expr], dst: Option<u16>, ctx: &Ctx, span: Span) {
        let Some(entry) = builtins::find(name) else {
            return self.call_proc(name, args, dst, ctx, span);
        };
        if dst.is_some() && !entry.returns {
            self.err(span, format!("`{name}` returns no value"));
            return;
        }
        // `ktr` words its own count errors (a name, then up to three values).
        if let Arity::Exactly(n) = entry.arity {
            if args.len() != n as usize {
                self.err(span, format!("`{name}` takes {n} argument(s), {} given", args.len()));
                return;
            }
        }
        let Some(kind) = self.lower_builtin(entry.builtin, args, dst, ctx, span) else { return };
        // Pin and critical-section changes are CPU-local, but the algorithms number them as
        // steps (P1, I4, I15) and a lecture wants to see them happen, so they are visible.
        self.emit_at(kind, ctx, true);
    }

    /// An argument the call computes locally: the call is a step of its own already.
    fn local_only(&mut self, e: &ast::Expr) -> ExprRef {
        let r = self.expr(e);
        if r.loads > 0 {
            self.err(e.span, "this argument reads shared memory, and the call is already a step of its own; read it into a local first");
        }
        r
    }

    /// The broadcast invalidation is spelt the x86 way (`invlpgb`, `tlbsync`) or the arm64
    /// way (`tlbi_is`, `dsb_ish`), one per model: the machine's rule is the same, and the
    /// narration names the instructions of the model's architecture.
    fn broadcast_isa(&mut self, b: Builtin, span: Span) -> Option<()> {
        let isa = if matches!(b, Builtin::TlbiIs | Builtin::DsbIsh) { BroadcastIsa::Arm64 } else { BroadcastIsa::X86 };
        match self.prog.broadcast {
            None => self.prog.broadcast = Some(isa),
            Some(was) if was != isa => {
                let (issue, wait) = was.builtins();
                self.err(
                    span,
                    format!(
                        "this model already spells the broadcast invalidation `{issue}` and `{wait}`: one architecture's names throughout"
                    ),
                );
                return None;
            }
            Some(_) => {}
        }
        Some(())
    }

    /// A shared word an atomic operates on, whose index is computed locally.
    fn rmw_place(&mut self, e: &ast::Expr, what: &str) -> Option<Place> {
        let place = self.place(e)?;
        if place_loads(&place) > 0 || matches!(place, Place::Local(_)) {
            self.err(e.span, what.to_string());
            return None;
        }
        Some(place)
    }

    /// The instruction a built-in (its arguments counted already) becomes; None when it
    /// is an error or emits nothing visible of its own (a fold into the step before).
    fn lower_builtin(
        &mut self,
        b: Builtin,
        args: &[ast::Expr],
        dst: Option<u16>,
        ctx: &Ctx,
        span: Span,
    ) -> Option<Kind> {
        Some(match b {
            Builtin::Ktr => {
                self.ktr(args, ctx, span);
                return None;
            }
            Builtin::Fence => match &args[0].kind {
                ExprKind::Name(n) if n == "seq_cst" => Kind::Fence(FenceKind::SeqCst),
                ExprKind::Name(n) if n == "acquire" => Kind::Fence(FenceKind::Acquire),
                ExprKind::Name(n) if n == "release" => Kind::Fence(FenceKind::Release),
                _ => {
                    self.err(args[0].span, "fence takes `seq_cst`, `acquire` or `release`");
                    return None;
                }
            },
            Builtin::AckWindow => {
                let va = self.local_only(&args[0]);
                // Folds into the step before it (the acknowledgement), like `ktr`.
                self.emit_at(Kind::AckWindow(va), ctx, false);
                return None;
            }
            Builtin::CloseWindow => {
                self.emit_at(Kind::CloseWindow, ctx, false);
                return None;
            }
            Builtin::Retire => {
                let place = self.rmw_place(&args[0], "`retire` names a shared word whose index is computed locally")?;
                self.emit_at(Kind::Retire(place), ctx, false);
                return None;
            }
            Builtin::Invlpgb | Builtin::TlbiIs => {
                self.broadcast_isa(b, span)?;
                let aspace = self.local_only(&args[0]);
                let va = self.local_only(&args[1]);
                Kind::Invlpgb { aspace, va }
            }
            Builtin::DisableInterrupts => Kind::Cli,
            Builtin::EnableInterrupts => Kind::Sti,
            Builtin::CriticalEnter => Kind::CritEnter,
            Builtin::CriticalExit => Kind::CritExit,
            Builtin::Pin => Kind::Pin,
            Builtin::Unpin => Kind::Unpin,
            Builtin::Yield => Kind::Yield,
            Builtin::Sleep | Builtin::SleepTimo => {
                Kind::Sleep { chan: self.local_only(&args[0]), timo: b == Builtin::SleepTimo }
            }
            Builtin::Wakeup => Kind::Wakeup(self.local_only(&args[0])),
            Builtin::Eoi => Kind::Eoi,
            Builtin::FlushTlb => Kind::FlushTlb,
            Builtin::Tlbsync | Builtin::DsbIsh => {
                self.broadcast_isa(b, span)?;
                Kind::Tlbsync
            }
            // Purely local: folds into the next step.
            Builtin::Pause => return None,
            Builtin::SendIpi => {
                let mask = self.local_only(&args[0]);
                let vector = match &args[1].kind {
                    ExprKind::Name(n) => match self.globals.get(n) {
                        Some(&Global::Vector(v)) => v,
                        _ => {
                            self.err(args[1].span, format!("`{n}` is not a declared vector"));
                            return None;
                        }
                    },
                    _ => {
                        self.err(args[1].span, "the second argument of send_ipi is a vector name");
                        return None;
                    }
                };
                Kind::SendIpi { mask, vector }
            }
            Builtin::Invlpg => Kind::Invlpg(self.local_only(&args[0])),
            Builtin::UserLoad => Kind::UserAccess { va: self.local_only(&args[0]), write: false },
            Builtin::UserStore => Kind::UserAccess { va: self.local_only(&args[0]), write: true },
            Builtin::FreePage => Kind::Free(self.local_only(&args[0])),
            Builtin::PageClean => Kind::PageClean(self.local_only(&args[0])),
            Builtin::PageSave => Kind::PageSave(self.local_only(&args[0])),
            Builtin::SwitchTo => Kind::SwitchTo(self.local_only(&args[0])),
            Builtin::PteClear | Builtin::PteRead | Builtin::PteClearDirty | Builtin::PteDirty => {
                let aspace = self.local_only(&args[0]);
                let va = self.local_only(&args[1]);
                match b {
                    Builtin::PteClear => Kind::PteClear { aspace, va, dst },
                    Builtin::PteRead => Kind::PteRead { aspace, va, dst },
                    Builtin::PteClearDirty => Kind::PteClearDirty { aspace, va, dst },
                    _ => Kind::PteDirty { aspace, va, dst },
                }
            }
            Builtin::PteCmpset => {
                let aspace = self.local_only(&args[0]);
                let va = self.local_only(&args[1]);
                let frame = self.local_only(&args[2]);
                let dirty = self.local_only(&args[3]);
                let writable = self.local_only(&args[4]);
                Kind::PteCmpset { aspace, va, frame, dirty, writable, dst }
            }
            Builtin::PteSet => {
                let aspace = self.local_only(&args[0]);
                let va = self.local_only(&args[1]);
                let frame = self.local_only(&args[2]);
                let writable = self.local_only(&args[3]);
                Kind::PteSet { aspace, va, frame, writable }
            }
            Builtin::LoadCr3 => {
                let aspace = self.local_only(&args[0]);
                let flush = self.local_only(&args[1]);
                Kind::LoadCr3 { aspace, flush }
            }
            Builtin::AllocPage => Kind::Alloc { dst },
            Builtin::FetchAdd | Builtin::Xchg | Builtin::AtomicOr | Builtin::AtomicAnd | Builtin::Cmpxchg => {
                let what = format!("`{}` works on a shared word whose index is computed locally", b.name());
                let place = self.rmw_place(&args[0], &what)?;
                let a = self.local_only(&args[1]);
                let c = if b == Builtin::Cmpxchg { self.local_only(&args[2]) } else { ExprRef::default() };
                let op = match b {
                    Builtin::FetchAdd => RmwOp::FetchAdd,
                    Builtin::Xchg => RmwOp::Xchg,
                    Builtin::AtomicOr => RmwOp::Or,
                    Builtin::AtomicAnd => RmwOp::And,
                    _ => RmwOp::Cmpxchg,
                };
                Kind::Rmw { op, place, a, b: c, dst }
            }
            Builtin::Dcas => {
                let mut words = [None, None];
                for (k, w) in words.iter_mut().enumerate() {
                    *w =
                        Some(self.rmw_place(
                            &args[k],
                            "`dcas` works on two shared words whose indices are computed locally",
                        )?);
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
                            return None;
                        }
                    }
                }
                let nlo = self.local_only(&args[4]);
                let nhi = self.local_only(&args[5]);
                let [Some(lo), Some(hi)] = words else { return None };
                Kind::Dcas { lo, hi, elo: expected[0], ehi: expected[1], nlo, nhi, dst }
            }
        })
    }

    /// A call of the model's own procedure (no built-in has the name).
    fn call_proc(&mut self, name: &str, args: &[ast::Expr], dst: Option<u16>, ctx: &Ctx, span: Span) {
        match self.globals.get(name) {
            Some(&Global::Proc(_)) if dst.is_some() => {
                self.err(span, format!("procedure `{name}` returns no value"));
            }
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
            }
            _ if dst.is_some() => self.err(span, format!("`{name}` returns no value")),
            _ if Func::by_name(name).is_some() => {
                self.err(span, format!("`{name}(...)` computes a value; use it in an expression"))
            }
            _ => self.err(span, format!("unknown procedure or built-in `{name}`")),
        }
    }

    /// `ktr(NAME, a, b, c)`: a trace point. It reads no shared memory and is never a step
    /// of its own: like local computation it folds into the step before it.
    pub(super) fn ktr(&mut self, args: &[ast::Expr], ctx: &Ctx, span: Span) {
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
}
