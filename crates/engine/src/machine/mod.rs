//! The emulated machine: N x86-like CPUs with LAPIC IRR/ISR bits, IF, critical and pin
//! depths, context stacks, TLBs filled from page tables, and page frames with a life
//! cycle. `Machine` is the immutable world (program + configuration + layout); `State`
//! is the plain data that changes. Every nondeterminism is a `Choice`.

mod broadcast;
mod compiled;
mod describe;
mod eval;
mod exec;
mod fault;
mod psc;
mod request;
mod sched;
mod state;
mod symmetry;
mod tso;
mod window;

pub use describe::{describe_choice, describe_effect, describe_store_buffer};
pub use effects::Effect;
pub use fault::{Fault, Refused, RunError};
pub use sched::MAX_QUEUED_THREADS;
pub use state::*;
pub use symmetry::Symmetry;
pub use tso::STORE_BUFFER_SIZE;

mod effects;

use crate::lang::program::{Kind, Program, Scenario};
pub use crate::property::Property;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// CPUs a machine may have: IRR/ISR, IPI targets and broadcast masks are 32-bit sets.
pub const MAX_CPUS: u32 = 32;

/// The values option `name` may take. The machine reads a few options itself (the
/// environment's budgets are counters of 8 bits); a model's own options take any word.
pub fn option_range(name: &str, is_bool: bool) -> (i32, i32) {
    match name {
        _ if is_bool => (0, 1),
        // Switches of the hardware, even when a model declares them with a number.
        "hw_tso" | "hw_irr_latch" | "hw_speculative_fill" => (0, 1),
        "hw_nmi" | "hw_ipi_loss" => (0, 255),
        _ => (i32::MIN, i32::MAX),
    }
}

/// Why an option value is refused, naming the option and its range.
fn check_option(prog: &Program, i: usize, v: i32) -> Result<(), ConfigError> {
    let o = &prog.options[i];
    let (lo, hi) = option_range(&o.name, o.is_bool);
    if (o.is_bool && !(v == 0 || v == 1)) || v < lo || v > hi {
        return Err(ConfigError::OptionRange { name: o.name.clone(), value: v, lo, hi, is_bool: o.is_bool });
    }
    Ok(())
}

/// Why a configuration cannot be built into a machine (`Machine::new`) or set from text
/// (`Config::set`). Its `Display` is the sentence a user reads; names and values typed
/// by a user are quoted cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    Cpus {
        ncpu: u32,
    },
    NoScenario {
        index: usize,
        count: usize,
    },
    TooFewCpus {
        scenario: String,
        need: u32,
    },
    /// The configuration holds a value for another number of options than the model has.
    OptionCount {
        have: usize,
        want: usize,
    },
    UnknownOption {
        name: String,
        known: Vec<String>,
    },
    /// Not `true`/`false`/`on`/`off`/`yes`/`no` or a number.
    OptionText {
        name: String,
        text: String,
    },
    OptionRange {
        name: String,
        value: i32,
        lo: i32,
        hi: i32,
        is_bool: bool,
    },
    TooManyMaps {
        count: usize,
    },
    /// A declaration that cannot be laid out or evaluated for this configuration (an
    /// array too large, an initial value that faults), with its line when it has one.
    Declaration {
        line: Option<u32>,
        message: String,
    },
    /// A CPU's code faults before the first step (in the local code it runs at start).
    Start(Fault),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quote = |t: &str| crate::diag::clip(t.to_string(), 60);
        match self {
            ConfigError::Cpus { ncpu } => write!(f, "{ncpu} CPUs: the machine has 1 to {MAX_CPUS} CPUs"),
            ConfigError::NoScenario { index, count } => write!(f, "no scenario number {index} (the model has {count})"),
            ConfigError::TooFewCpus { scenario, need } => write!(f, "scenario `{scenario}` needs at least {need} CPUs"),
            ConfigError::OptionCount { have, want } => {
                write!(f, "option values do not match the model's options ({have} values for {want} options)")
            }
            ConfigError::UnknownOption { name, known } => {
                let known = crate::diag::clip(known.join(", "), crate::diag::MAX_MESSAGE_CHARS);
                write!(f, "unknown option `{}` (this model has: {known})", quote(name))
            }
            ConfigError::OptionText { name, text } => {
                write!(f, "option `{name}` takes true/false or a number, not `{}`", quote(text))
            }
            ConfigError::OptionRange { name, value, is_bool: true, .. } => {
                write!(f, "option `{name}` is true or false, not {value}")
            }
            ConfigError::OptionRange { name, value, lo, hi, .. } => {
                write!(f, "option `{name}` takes {lo} to {hi}, not {value}")
            }
            ConfigError::TooManyMaps { count } => write!(f, "{count} mapped pages; at most {MAX_SLOTS}"),
            ConfigError::Declaration { line: Some(l), message } => write!(f, "line {l}: {message}"),
            ConfigError::Declaration { line: None, message } => f.write_str(message),
            ConfigError::Start(fault) => write!(f, "{fault}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The crates above report errors as text; `?` turns a configuration error into its sentence.
impl From<ConfigError> for String {
    fn from(e: ConfigError) -> String {
        e.to_string()
    }
}

/// What a run is configured with: CPU count, scenario, option values.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    pub ncpu: u32,
    pub scenario: usize,
    /// One value per `Program::options`, in declaration order.
    pub options: Vec<i32>,
}

impl Config {
    pub fn new(prog: &Program) -> Config {
        Config { ncpu: prog.cpus.2, scenario: 0, options: prog.options.iter().map(|o| o.default).collect() }
    }

    /// The configuration a model's declared race runs in.
    pub fn for_race(prog: &Program, r: &crate::lang::program::RaceDecl) -> Config {
        let mut c = Config::new(prog);
        c.ncpu = r.cpus;
        c.scenario = r.scenario;
        for &(i, v) in &r.sets {
            // The compiler resolved the index; `Machine::new` refuses a config it does not fit.
            if let Some(o) = c.options.get_mut(i) {
                *o = v;
            }
        }
        c
    }

    /// Set an option from text (`true`, `false`, `on`, `off`, or a number).
    pub fn set(&mut self, prog: &Program, name: &str, value: &str) -> Result<(), ConfigError> {
        let i = prog.option_index(name).ok_or_else(|| ConfigError::UnknownOption {
            name: name.to_string(),
            known: prog.options.iter().map(|o| o.name.clone()).collect(),
        })?;
        let v = match value {
            "true" | "on" | "yes" => 1,
            "false" | "off" | "no" => 0,
            v => {
                v.parse::<i32>().map_err(|_| ConfigError::OptionText { name: name.to_string(), text: v.to_string() })?
            }
        };
        check_option(prog, i, v)?;
        let (have, want) = (self.options.len(), prog.options.len());
        *self.options.get_mut(i).ok_or(ConfigError::OptionCount { have, want })? = v;
        Ok(())
    }
}

/// One nondeterministic choice of the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Choice {
    /// CPU c executes its next step.
    Step(u8),
    /// The LAPIC of CPU c delivers the pending vector (model vector index).
    Irq(u8, u8),
    /// CPU c's TLB speculatively fills page-table slot s.
    Fill(u8, u16),
    /// An NMI arrives at CPU c.
    Nmi(u8),
    /// CPU c's store buffer commits its oldest store to memory (option `hw_tso`).
    Drain(u8),
    /// The INVLPGB broadcast number k in flight (`State::bcast`) reaches CPU c's TLB.
    Bcast(u8, u8),
    /// The pending IPI of vector v (model vector index) at CPU c is lost, never delivered
    /// (option `hw_ipi_loss`: IPIs lost in practice, e.g. under a hypervisor).
    Lose(u8, u8),
    /// CPU c switches to thread t from its run queue, queueing the thread it ran
    /// (scenarios with `thread` entries only; see `sched.rs`).
    Switch(u8, u8),
    /// Queued thread t moves to CPU d's run queue (`Migrate(t, d)`; its CPU is d).
    Migrate(u8, u8),
    /// A callout fires: thread t, blocked by `sleep_timo` with CPU c's run queue as its
    /// home, becomes runnable there (`Timeout(c, t)`; an environment transition).
    Timeout(u8, u8),
}

impl Choice {
    pub fn cpu(self) -> u8 {
        match self {
            Choice::Step(c)
            | Choice::Irq(c, _)
            | Choice::Fill(c, _)
            | Choice::Nmi(c)
            | Choice::Drain(c)
            | Choice::Bcast(c, _)
            | Choice::Lose(c, _)
            | Choice::Switch(c, _)
            | Choice::Timeout(c, _)
            | Choice::Migrate(_, c) => c,
        }
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Choice::Step(c) => write!(f, "{c}"),
            Choice::Irq(c, v) => write!(f, "i{c}.{v}"),
            Choice::Fill(c, s) => write!(f, "f{c}.{s}"),
            Choice::Nmi(c) => write!(f, "n{c}"),
            Choice::Drain(c) => write!(f, "d{c}"),
            Choice::Bcast(c, k) => write!(f, "b{c}.{k}"),
            Choice::Lose(c, v) => write!(f, "l{c}.{v}"),
            Choice::Switch(c, t) => write!(f, "s{c}.{t}"),
            Choice::Migrate(t, d) => write!(f, "m{t}.{d}"),
            Choice::Timeout(c, t) => write!(f, "c{c}.{t}"),
        }
    }
}

/// Text that is not a schedule step; its `Display` quotes it (cut) and shows the forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadChoice(pub String);

impl fmt::Display for BadChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = crate::diag::clip(self.0.clone(), 40);
        write!(f, "`{s}` is not a schedule step (expected e.g. 2, i1.0, f0.3, n1, d1, b1.0, l1.0, s0.2, m2.1 or c0.2)")
    }
}

impl std::error::Error for BadChoice {}

impl From<BadChoice> for String {
    fn from(e: BadChoice) -> String {
        e.to_string()
    }
}

impl FromStr for Choice {
    type Err = BadChoice;
    fn from_str(s: &str) -> Result<Choice, BadChoice> {
        let bad = || BadChoice(s.chars().take(64).collect());
        let num = |t: &str| t.parse::<u16>().map_err(|_| bad());
        let pair = |t: &str| -> Result<(u8, u16), BadChoice> {
            let (a, b) = t.split_once('.').ok_or_else(bad)?;
            Ok((u8::try_from(num(a)?).map_err(|_| bad())?, num(b)?))
        };
        match s.as_bytes().first() {
            Some(b'i') => {
                let (c, v) = pair(&s[1..])?;
                Ok(Choice::Irq(c, u8::try_from(v).map_err(|_| bad())?))
            }
            Some(b'f') => pair(&s[1..]).map(|(c, v)| Choice::Fill(c, v)),
            Some(b'b') => {
                let (c, k) = pair(&s[1..])?;
                Ok(Choice::Bcast(c, u8::try_from(k).map_err(|_| bad())?))
            }
            Some(b'l') => {
                let (c, v) = pair(&s[1..])?;
                Ok(Choice::Lose(c, u8::try_from(v).map_err(|_| bad())?))
            }
            Some(b's') => {
                let (c, t) = pair(&s[1..])?;
                Ok(Choice::Switch(c, u8::try_from(t).map_err(|_| bad())?))
            }
            Some(b'm') => {
                let (t, d) = pair(&s[1..])?;
                Ok(Choice::Migrate(t, u8::try_from(d).map_err(|_| bad())?))
            }
            Some(b'c') => {
                let (c, t) = pair(&s[1..])?;
                Ok(Choice::Timeout(c, u8::try_from(t).map_err(|_| bad())?))
            }
            Some(b'n') => Ok(Choice::Nmi(u8::try_from(num(&s[1..])?).map_err(|_| bad())?)),
            Some(b'd') => Ok(Choice::Drain(u8::try_from(num(&s[1..])?).map_err(|_| bad())?)),
            Some(_) => Ok(Choice::Step(u8::try_from(num(s)?).map_err(|_| bad())?)),
            None => Err(bad()),
        }
    }
}

/// A property broken by a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub property: Property,
    pub cpu: u8,
    pub message: String,
}

/// What one step did, besides the effects it pushed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stepped {
    pub cpu: u8,
    /// Procedure and pc of the instruction executed (None for a hardware event).
    pub at: Option<(u16, u32)>,
    pub line: u32,
    pub violation: Option<Violation>,
}

/// Why a CPU cannot step: it spins on a condition that holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Wait {
    pub cpu: u8,
    pub line: u32,
    pub condition: String,
    /// The word the spin reads, its name and value.
    pub reads: Option<(String, i32)>,
    pub interrupts_enabled: bool,
    /// Vectors pending in IRR that cannot be delivered.
    pub masked: Vec<String>,
    /// It waits in a handler, and only the context under it could end the wait (see
    /// `Machine::self_deadlocked`).
    pub self_deadlock: bool,
}

/// A state with no enabled choice while some CPU still has work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stuck {
    /// `G-DEADLOCK` when a waiter has the interrupt it needs masked, or waits in a handler
    /// for the context it interrupted (see `Machine::self_deadlocked`), else `G-NOLOST`.
    pub property: Property,
    pub waits: Vec<Wait>,
    pub message: String,
}

/// Everything `Machine::new` evaluates from declarations for `ncpu` CPUs and these option
/// values (layout, initial values, mapped addresses, scenario arguments), so that the
/// compiler can report a failure at the declaration instead of when a machine is built.
pub fn check_declarations(prog: &Arc<Program>, ncpu: u32, options: &[i32]) -> Result<(), (Decl, String)> {
    let cfg = Config { ncpu, scenario: 0, options: options.to_vec() };
    let mut m = Machine::bare(prog.clone(), cfg).with_consts()?;
    m.vars = m.layout_vars()?;
    m.initial_memory()?;
    m.map_slots()?;
    for (i, sc) in prog.scenarios.iter().enumerate() {
        if ncpu < sc.min_cpus || sc.cpus.iter().all(|s| s.args.is_empty()) {
            continue;
        }
        // Arguments cannot name `self`, so each entry's are evaluated once, at a CPU it
        // covers (the editor compiles on every keystroke: not once per CPU).
        for spec in &sc.cpus {
            if let Some(c) = (0..ncpu).find(|&c| sc.spec_for(c).is_some_and(|s| std::ptr::eq(s, spec))) {
                m.thread_args(sc, c).map_err(|e| (Decl::Scenario(i), e))?;
            }
        }
    }
    Ok(())
}

/// A declaration by its index in `Program::consts` or `Program::vars`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decl {
    Const(usize),
    Var(usize),
    /// An index into `Program::maps`.
    Map(usize),
    Scenario(usize),
}

#[derive(Clone, Debug)]
pub struct VarLayout {
    pub base: u32,
    /// Sizes of the dimensions, CPU first for per-CPU variables.
    pub dims: Vec<u32>,
}

impl VarLayout {
    /// Words the variable takes. Layouts come from `layout`, which keeps every product
    /// below `MAX_MEM`, so this cannot wrap; it saturates should one not come from there.
    pub fn size(&self) -> u32 {
        self.dims.iter().fold(1u32, |a, &d| a.saturating_mul(d))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub aspace: u8,
    pub va: i32,
    /// The address space's upper-level entry (`map … table`), not a page's PTE.
    pub table: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct Hardware {
    pub irr_latch: bool,
    pub speculative_fill: bool,
    /// x86-TSO store buffers (see `tso.rs`).
    pub tso: bool,
    /// Option `sched_switch_dsb`: the context-switch path executes DSB ISH, so a CPU
    /// switches only once its broadcast invalidations have reached every TLB (FreeBSD
    /// r355427, arm64; see `sched.rs`).
    pub switch_dsb: bool,
}

/// Words of shared memory, all variables together.
pub const MAX_MEM: u32 = 1 << 16;
/// Page-table slots (`map` declarations): `Choice::Fill` and frames are 16-bit indices.
const MAX_SLOTS: usize = 4096;
const MAX_TABLES: usize = 15;
/// Locals of all the activations on one CPU: the state's compact encoding counts them in
/// 16 bits, and deep recursion of a procedure with many locals is a runaway model.
pub const MAX_CPU_LOCALS: usize = 0xFFFF;

/// The immutable world a `State` evolves in.
#[derive(Clone, Debug)]
pub struct Machine {
    pub(crate) prog: Arc<Program>,
    pub(crate) cfg: Config,
    pub(crate) consts: Vec<i32>,
    pub(crate) vars: Vec<VarLayout>,
    pub(crate) slots: Vec<Slot>,
    pub(crate) hw: Hardware,
    /// At most this many preemptions on a path (`with_preemption_bound`); `None`: any number.
    pub(crate) preemption_bound: Option<u8>,
    initial: State,
    /// Trace points (`Effect::Ktr`) passed while the threads settled on their first step.
    initial_trace: Vec<Effect>,
    /// The program's expressions and procedures as this machine runs them (compiled.rs).
    code: Arc<compiled::Code>,
}

/// Read-only views of the world: a machine is built once by `new` and never changed, so
/// that a `State` stays meaningful for as long as the machine lives.
impl Machine {
    pub fn prog(&self) -> &Arc<Program> {
        &self.prog
    }
    pub fn cfg(&self) -> &Config {
        &self.cfg
    }
    pub fn consts(&self) -> &[i32] {
        &self.consts
    }
    pub fn vars(&self) -> &[VarLayout] {
        &self.vars
    }
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }
    pub fn hw(&self) -> &Hardware {
        &self.hw
    }
}

impl Machine {
    /// Build the machine for a configuration: lay out memory, map pages, place each
    /// scenario thread on its CPU. Errors are for the user (bad CPU count, …).
    pub fn new(prog: Arc<Program>, cfg: Config) -> Result<Machine, ConfigError> {
        if cfg.ncpu == 0 || cfg.ncpu > MAX_CPUS {
            return Err(ConfigError::Cpus { ncpu: cfg.ncpu });
        }
        let sc = prog
            .scenarios
            .get(cfg.scenario)
            .ok_or(ConfigError::NoScenario { index: cfg.scenario, count: prog.scenarios.len() })?;
        if cfg.ncpu < sc.min_cpus {
            return Err(ConfigError::TooFewCpus { scenario: sc.name.clone(), need: sc.min_cpus });
        }
        if cfg.options.len() != prog.options.len() {
            return Err(ConfigError::OptionCount { have: cfg.options.len(), want: prog.options.len() });
        }
        for (i, &v) in cfg.options.iter().enumerate() {
            check_option(&prog, i, v)?;
        }
        if prog.maps.len() > MAX_SLOTS {
            return Err(ConfigError::TooManyMaps { count: prog.maps.len() });
        }
        let opt = |name: &str, default: i32| prog.option_index(name).map_or(default, |i| cfg.options[i]);
        let byte = |name: &str| {
            let value = opt(name, 0);
            u8::try_from(value).map_err(|_| ConfigError::OptionRange {
                name: name.to_string(),
                value,
                lo: 0,
                hi: 255,
                is_bool: false,
            })
        };
        let nmis = byte("hw_nmi")?;
        let ipi_losses = byte("hw_ipi_loss")?;
        let located = |(d, message): (Decl, String)| {
            let line = match d {
                Decl::Var(v) => prog.vars.get(v).map(|d| d.line),
                Decl::Map(i) => prog.maps.get(i).map(|d| d.line),
                Decl::Scenario(i) => prog.scenarios.get(i).map(|d| d.line),
                Decl::Const(_) => None,
            };
            ConfigError::Declaration { line, message }
        };
        let mut m = Machine::bare(prog.clone(), cfg).with_consts().map_err(located)?;
        m.vars = m.layout_vars().map_err(located)?;
        let mem = m.initial_memory().map_err(located)?;
        m.slots = m.map_slots().map_err(located)?;
        m.code = Arc::new(compiled::Code::resolve(&m));
        let mut frames = Vec::new();
        let mut ptes = Vec::new();
        for map in &prog.maps {
            let frame = frames.len() as u16;
            if map.present {
                frames.push(PageFrame { allocated: true, clean: false, unseen: false, gen: 0 });
            }
            ptes.push(Pte {
                frame: if map.present { frame } else { 0 },
                present: map.present,
                writable: map.writable,
                dirty: false,
                accessed: false,
            });
        }
        for _ in 0..prog.extra_frames {
            frames.push(PageFrame { allocated: false, clean: false, unseen: false, gen: 0 });
        }
        let mut cpus = Vec::new();
        for c in 0..m.cfg.ncpu {
            let spec = sc.spec_for(c);
            let mut cpu = Cpu {
                intr: true,
                crit: 0,
                pin: 0,
                aspace: NO_ASPACE,
                irr: 0,
                isr: 0,
                nmi_latch: false,
                stack: vec![],
                locals: vec![],
                tlb: vec![],
                psc: vec![],
                thread_done: true,
                sb: vec![],
                window: None,
            };
            if let Some(spec) = spec {
                cpu.aspace = spec.aspace.unwrap_or(NO_ASPACE);
                if let Some(p) = spec.proc {
                    let proc = &prog.procs[p as usize];
                    cpu.locals = vec![0; proc.local_names.len()];
                    let args = m
                        .thread_args(sc, c)
                        .map_err(|message| ConfigError::Declaration { line: Some(sc.line), message })?;
                    for (l, a) in cpu.locals.iter_mut().zip(args) {
                        *l = a;
                    }
                    cpu.stack.push(Activation {
                        proc: p,
                        pc: 0,
                        base: 0,
                        ctx: Ctx::Thread,
                        ctx_base: true,
                        saved_if: true,
                    });
                    cpu.thread_done = false;
                }
            }
            cpus.push(cpu);
        }
        let mut s = State {
            mem,
            cpus,
            ptes,
            frames,
            nmis_left: nmis,
            ipi_losses_left: ipi_losses,
            bcast: vec![],
            retired: vec![],
            threads: vec![],
            current: vec![],
            preemptions: 0,
        };
        (s.threads, s.current) = m
            .queued_threads(sc, &s.cpus)
            .map_err(|message| ConfigError::Declaration { line: Some(sc.line), message })?;
        let mut fx = Vec::new();
        for c in 0..m.cfg.ncpu as usize {
            m.settle(&mut s, c, &mut fx).map_err(ConfigError::Start)?;
        }
        m.initial = s;
        fx.retain(|e| matches!(e, Effect::Ktr { .. }));
        m.initial_trace = fx;
        Ok(m)
    }

    /// The machine before its constants and layout: what `layout` needs.
    fn bare(prog: Arc<Program>, cfg: Config) -> Machine {
        let hw = {
            let opt = |name: &str, default: i32| {
                prog.option_index(name).and_then(|i| cfg.options.get(i).copied()).unwrap_or(default)
            };
            Hardware {
                irr_latch: opt("hw_irr_latch", 1) != 0,
                speculative_fill: opt("hw_speculative_fill", 0) != 0,
                tso: opt("hw_tso", 0) != 0,
                switch_dsb: opt("sched_switch_dsb", 0) != 0,
            }
        };
        let code = Arc::new(compiled::Code::as_written(&prog));
        Machine {
            prog,
            cfg,
            consts: Vec::new(),
            vars: Vec::new(),
            slots: Vec::new(),
            hw,
            preemption_bound: None,
            initial: State::empty(),
            initial_trace: Vec::new(),
            code,
        }
    }

    /// Shared memory with every variable at its initial value (`vars` laid out).
    fn initial_memory(&self) -> Result<Vec<i32>, (Decl, String)> {
        let base = self.vars.last().map_or(0, |l| l.base + l.size());
        let mut mem = vec![0i32; base as usize];
        for (i, (v, l)) in self.prog.vars.iter().zip(&self.vars).enumerate() {
            if let Some(init) = v.init {
                // The value depends on the row's CPU (`self`) only: one evaluation a row,
                // not one a word (65 536 words at every CPU count took a second).
                let row_len = l.dims.iter().skip(usize::from(v.per_cpu)).product::<u32>().max(1);
                let rows = if v.per_cpu { l.size() / row_len } else { 1 };
                let words = &mut mem[l.base as usize..(l.base + l.size()) as usize];
                for (row, chunk) in (0..rows).zip(words.chunks_mut(words.len().div_ceil(rows as usize).max(1))) {
                    let x = self
                        .const_eval(init, row)
                        .map_err(|e| (Decl::Var(i), format!("initial value of `{}`: {e}", v.name)))?;
                    chunk.fill(x);
                }
            }
        }
        Ok(mem)
    }

    /// The page-table slot of every `map`, in order; an address mapped twice in one
    /// address space is refused.
    fn map_slots(&self) -> Result<Vec<Slot>, (Decl, String)> {
        let mut slots: Vec<Slot> = Vec::with_capacity(self.prog.maps.len());
        let mut seen = std::collections::HashSet::new();
        for (i, map) in self.prog.maps.iter().enumerate() {
            let va = self.const_eval(map.va, 0).map_err(|e| (Decl::Map(i), format!("mapped address: {e}")))?;
            if !seen.insert((map.aspace, va)) {
                let space = self.prog.aspaces.get(map.aspace as usize).map_or("?", |s| s.as_str());
                return Err((Decl::Map(i), format!("address {va:#x} is mapped twice in `{space}`")));
            }
            if map.table {
                let space = self.prog.aspaces.get(map.aspace as usize).map_or("?", |s| s.as_str());
                if slots.iter().any(|s| s.table && s.aspace == map.aspace) {
                    return Err((
                        Decl::Map(i),
                        format!("`{space}` has a `table` mapping already (one page-table page per address space)"),
                    ));
                }
                // The state counts a CPU's paging-structure cache in 4 bits.
                if slots.iter().filter(|s| s.table).count() >= MAX_TABLES {
                    return Err((Decl::Map(i), format!("at most {MAX_TABLES} `table` mappings")));
                }
            }
            slots.push(Slot { aspace: map.aspace, va, table: map.table });
        }
        Ok(slots)
    }

    /// The arguments scenario `sc` passes to the procedure CPU `c` runs.
    fn thread_args(&self, sc: &Scenario, c: u32) -> Result<Vec<i32>, String> {
        let Some(spec) = sc.spec_for(c) else { return Ok(vec![]) };
        let Some(p) = spec.proc else { return Ok(vec![]) };
        let name = self.prog.procs.get(p as usize).map_or("?", |p| p.name.as_str());
        spec.args.iter().map(|a| self.const_eval(*a, c).map_err(|e| format!("argument of `{name}`: {e}"))).collect()
    }

    fn with_consts(mut self) -> Result<Machine, (Decl, String)> {
        let prog = self.prog.clone();
        for (i, (name, e)) in prog.consts.iter().enumerate() {
            let v = self.const_eval(*e, 0).map_err(|e| (Decl::Const(i), format!("constant `{name}`: {e}")))?;
            self.consts.push(v);
        }
        Ok(self)
    }

    /// Every variable's base and dimensions, in 64-bit arithmetic against `MAX_MEM`.
    fn layout_vars(&self) -> Result<Vec<VarLayout>, (Decl, String)> {
        let mut out = Vec::with_capacity(self.prog.vars.len());
        let mut base = 0u64;
        for (i, v) in self.prog.vars.iter().enumerate() {
            let mut dims = Vec::new();
            if v.per_cpu {
                dims.push(self.cfg.ncpu);
            }
            let mut size = u64::from(if v.per_cpu { self.cfg.ncpu } else { 1 });
            for d in &v.dims {
                let n = self.const_eval(*d, 0).map_err(|e| (Decl::Var(i), format!("size of `{}`: {e}", v.name)))?;
                if n <= 0 || n as u32 > MAX_MEM {
                    return Err((Decl::Var(i), format!("`{}` has size {n}; sizes run from 1 to {MAX_MEM}", v.name)));
                }
                dims.push(n as u32);
                size = size.saturating_mul(n as u64);
            }
            if size > u64::from(MAX_MEM) {
                return Err((Decl::Var(i), format!("`{}` takes {size} words; shared memory holds {MAX_MEM}", v.name)));
            }
            let l = VarLayout { base: base as u32, dims };
            base += size;
            if base > u64::from(MAX_MEM) {
                return Err((
                    Decl::Var(i),
                    format!("with `{}`, the variables take {base} words; shared memory holds {MAX_MEM}", v.name),
                ));
            }
            out.push(l);
        }
        Ok(out)
    }

    pub fn initial(&self) -> State {
        self.initial.clone()
    }

    /// Trace points a thread passes before its first step (a `ktr` at the top of a
    /// scenario procedure): they belong to no step, so they are kept here, before step 1.
    pub fn initial_effects(&self) -> &[Effect] {
        &self.initial_trace
    }

    pub fn ncpu(&self) -> usize {
        self.cfg.ncpu as usize
    }

    /// Every choice enabled in `s`, in a fixed order (CPU, then interrupt, NMI, step,
    /// drain, fills, broadcasts arriving, losses), so that seeded schedules are reproducible.
    pub fn enabled(&self, s: &State, out: &mut Vec<Choice>) {
        out.clear();
        for (c, cpu) in s.cpus.iter().enumerate() {
            let c8 = c as u8;
            if let Some(v) = self.deliverable(cpu) {
                out.push(Choice::Irq(c8, v));
            }
            if self.prog.nmi.is_some() && s.nmis_left > 0 && !(cpu.in_nmi() && cpu.nmi_latch) {
                out.push(Choice::Nmi(c8));
            }
            if !cpu.stack.is_empty() && !self.spinning(s, c) && !self.yield_gives_cpu(s, c) {
                out.push(Choice::Step(c8));
            }
            if !cpu.sb.is_empty() {
                out.push(Choice::Drain(c8));
            }
            if self.hw.speculative_fill && cpu.aspace != NO_ASPACE {
                for i in 0..self.slots.len() {
                    if self.fill_changes(s, c, i) {
                        out.push(Choice::Fill(c8, i as u16));
                    }
                }
            }
            if !s.bcast.is_empty() {
                self.bcast_choices(s, c, out);
            }
            if s.ipi_losses_left > 0 {
                for v in 0..self.prog.vectors.len() {
                    if cpu.irr & (1 << v) != 0 {
                        out.push(Choice::Lose(c8, v as u8));
                    }
                }
            }
        }
        if !s.threads.is_empty() {
            self.sched_choices(s, out);
        }
    }

    /// The vector the LAPIC would deliver now: the highest-numbered pending one whose
    /// priority class is above every vector in service, if IF=1.
    #[inline]
    pub fn deliverable(&self, cpu: &Cpu) -> Option<u8> {
        if !cpu.intr || cpu.irr == 0 {
            return None;
        }
        self.deliverable_pending(cpu)
    }

    /// `deliverable` for a CPU with IF=1 and something pending (`enabled` asks per CPU
    /// per step; most have nothing pending, and that test is inlined).
    fn deliverable_pending(&self, cpu: &Cpu) -> Option<u8> {
        let class = |v: usize| self.prog.vectors[v].number >> 4;
        let in_service = (0..self.prog.vectors.len()).filter(|&v| cpu.isr & (1 << v) != 0).map(class).max();
        (0..self.prog.vectors.len())
            .filter(|&v| cpu.irr & (1 << v) != 0)
            .max_by_key(|&v| self.prog.vectors[v].number)
            .filter(|&v| in_service.is_none_or(|k| class(v) > k))
            .map(|v| v as u8)
    }

    /// Whether CPU c sits on a spin loop whose condition still holds (so it has no step:
    /// an iteration would change nothing). Allocation-free: `enabled` calls it per CPU.
    pub fn spinning(&self, s: &State, c: usize) -> bool {
        let Some(cpu) = s.cpus.get(c) else { return false };
        let Some(a) = cpu.stack.last() else { return false };
        match self.code.procs[a.proc as usize].get(a.pc as usize).map(|i| &i.kind) {
            Some(&Kind::Branch { cond, spin: true, .. }) => matches!(self.eval(s, c, cond, &mut None), Ok(v) if v != 0),
            Some(Kind::Tlbsync) => self.tlbsync_waits(s, c),
            _ => false,
        }
    }

    /// If CPU c sits on a spin loop whose condition still holds, what it waits for.
    /// `None` also for a CPU the machine does not have.
    pub fn wait(&self, s: &State, c: usize) -> Option<Wait> {
        let cpu = s.cpus.get(c)?;
        let a = cpu.stack.last()?;
        let proc = &self.prog.procs[a.proc as usize];
        let ins = proc.code.get(a.pc as usize)?;
        let mut read = None;
        let condition = match ins.kind {
            Kind::Branch { cond, spin: true, .. } => {
                match self.eval(s, c, cond, &mut read) {
                    Ok(v) if v != 0 => {}
                    _ => return None,
                }
                proc.cond_text.iter().find(|(pc, _)| *pc == a.pc).map(|(_, t)| t.clone()).unwrap_or_default()
            }
            Kind::Tlbsync if self.tlbsync_waits(s, c) => {
                let (issue, wait) = self.prog.broadcast_names();
                format!("{wait}: an {issue} of this CPU is still in flight")
            }
            _ => return None,
        };
        let masked = (0..self.prog.vectors.len())
            .filter(|&v| cpu.irr & (1 << v) != 0)
            .map(|v| self.prog.vectors[v].name.clone())
            .collect();
        Some(Wait {
            cpu: c as u8,
            line: ins.line,
            condition,
            reads: read.map(|(addr, v)| (self.addr_name(addr), v)),
            interrupts_enabled: cpu.intr,
            masked,
            self_deadlock: self.self_deadlocked(s, c),
        })
    }

    /// `Some` when no choice is enabled but some CPU has not finished.
    pub fn stuck(&self, s: &State) -> Option<Stuck> {
        let mut en = Vec::new();
        self.enabled(s, &mut en);
        let blocked: Vec<&Thread> = s.threads.iter().filter(|t| !t.runnable()).collect();
        if !en.is_empty() || (s.cpus.iter().all(|c| c.stack.is_empty()) && blocked.is_empty()) {
            return None;
        }
        let waits: Vec<Wait> = (0..s.cpus.len()).filter_map(|c| self.wait(s, c)).collect();
        let masked = waits.iter().any(|w| !w.interrupts_enabled && !w.masked.is_empty());
        let deadlock = masked || waits.iter().any(|w| w.self_deadlock);
        let mut parts = Vec::new();
        let mut livelock = false;
        for w in &waits {
            let what = match &w.reads {
                Some((name, v)) => format!("`{}` ({name} is {v})", w.condition),
                None => format!("`{}`", w.condition),
            };
            let mut p = format!("CPU {} spins at line {} while {what}", w.cpu, w.line);
            if !w.interrupts_enabled {
                p.push_str(" with interrupts disabled");
                if !w.masked.is_empty() {
                    p.push_str(&format!(", so its pending {} can never be taken", w.masked.join(", ")));
                }
            }
            if w.self_deadlock {
                p.push_str(&format!(
                    " in an interrupt handler; no other CPU has work left, so only the code it interrupted on CPU {} \
                     could end the wait, and that code cannot run before the handler returns",
                    w.cpu
                ));
            }
            let c = w.cpu as usize;
            if self.spin_yields(s, c) {
                let me = self.thread_prio(s.current.get(c).copied().unwrap_or(NO_THREAD));
                let lower: Vec<String> = s
                    .threads
                    .iter()
                    .filter(|t| t.cpu == w.cpu && t.runnable() && self.thread_prio(t.id) < me)
                    .map(|t| format!("thread {} (priority {})", t.id, self.thread_prio(t.id)))
                    .collect();
                p.push_str(&format!(
                    ", yielding each round in vain (its priority is {me}; a yield gives the CPU only to a thread of that priority or higher)"
                ));
                if !lower.is_empty() {
                    livelock = true;
                    p.push_str(&format!(", so {} queued on CPU {c} never runs", lower.join(" and ")));
                }
            }
            parts.push(p);
        }
        for t in blocked {
            let chan = t.wchan().unwrap_or(-1);
            parts.push(format!("thread {} sleeps on wait channel {chan} and nothing is left to wake it", t.id));
        }
        let (property, lead) = if deadlock {
            (Property::Deadlock, "Deadlock: no CPU can make progress. ")
        } else if livelock {
            (
                Property::NoLost,
                "Livelock by priority inversion: a waiter yields forever, and the thread that would end its wait never gets the CPU. ",
            )
        } else {
            (Property::NoLost, "Lost shootdown: a waiter will never be acknowledged, and nothing pending can wake it. ")
        };
        Some(Stuck { property, message: format!("{lead}{}.", parts.join("; ")), waits })
    }

    /// CPU c waits in a handler (or the NMI handler) stacked over a context that has not
    /// finished, and no other CPU has anything left to run: the only code that could still
    /// change what c waits for is the context under the handler, which cannot run until
    /// the handler returns. That is a deadlock of the CPU with itself (a lock taken with
    /// interrupts enabled and wanted again by the handler, Mach's M-D1), not a lost
    /// wake-up: the waker exists, it is just stacked under the waiter.
    fn self_deadlocked(&self, s: &State, c: usize) -> bool {
        let stack = &s.cpus[c].stack;
        let Some(top) = stack.last() else { return false };
        !matches!(top.ctx, Ctx::Thread | Ctx::Switch)
            && stack.iter().any(|a| a.ctx != top.ctx)
            && s.cpus.iter().enumerate().all(|(d, cpu)| d == c || cpu.stack.is_empty())
    }

    /// Human name of a shared word: `scoreboard[1][0]`, `smp_tlb_gen[2]`.
    pub fn addr_name(&self, addr: u32) -> String {
        for (v, l) in self.prog.vars.iter().zip(&self.vars) {
            if addr >= l.base && addr < l.base + l.size() {
                let mut off = addr - l.base;
                let mut idx = Vec::new();
                for (k, _) in l.dims.iter().enumerate() {
                    let inner: u32 = l.dims[k + 1..].iter().product();
                    idx.push(off / inner);
                    off %= inner;
                }
                let mut s = v.name.clone();
                for i in idx {
                    s.push_str(&format!("[{i}]"));
                }
                return s;
            }
        }
        format!("@{addr}")
    }

    pub fn vector_name(&self, v: u8) -> &str {
        self.prog.vectors.get(v as usize).map_or("?", |d| d.name.as_str())
    }

    pub fn aspace_name(&self, a: u8) -> &str {
        self.prog.aspaces.get(a as usize).map_or("kernel", |s| s.as_str())
    }

    /// Source line each CPU will execute next (None when idle).
    pub fn cursor(&self, s: &State, c: usize) -> Option<u32> {
        let a = s.cpus.get(c)?.stack.last()?;
        self.prog.procs[a.proc as usize].code.get(a.pc as usize).map(|i| i.line)
    }
}
