//! Turning command-line words into engine values: a model name or path into a
//! [`Program`], `--cpus/--scenario/--set` into a [`Config`], and schedule files into
//! choices. Every failure is an [`Error::Input`] (or diagnostics already printed).

use crate::{warn, Error};
use sdlab_engine::{compile, models, schedule, Choice, Config, Diagnostic, Program};
use std::path::Path;
use std::sync::Arc;

/// What to run: a model and its configuration (shared by `run` and `check`).
#[derive(clap::Args, Debug)]
pub struct Target {
    /// A bundled model id (see `sdlab models`) or the path of a .sdm file.
    pub model: String,
    /// Number of CPUs (default: the model's default, or what the scenario needs).
    #[arg(long, value_name = "N")]
    pub cpus: Option<u32>,
    /// Scenario name (default: the model's first).
    #[arg(long, value_name = "S")]
    pub scenario: Option<String>,
    /// Set a model option, e.g. --set rescan=false or --set hw_nmi=2; repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

impl Target {
    /// Load the model and build the configuration the flags describe.
    pub fn load(&self) -> Result<(Loaded, sdlab_engine::Config), Error> {
        let l = model(&self.model)?;
        let cfg = config(&l, self.cpus, self.scenario.as_deref(), None, &self.set)?;
        Ok((l, cfg))
    }
}

/// A compiled model and the name used for it in messages (bundled id or file path).
pub struct Loaded {
    pub name: String,
    pub prog: Arc<Program>,
}

fn bundled_ids() -> String {
    models::BUNDLED.iter().map(|b| b.id).collect::<Vec<_>>().join(", ")
}

/// `model` is a bundled id, or else the path of a `.sdm` file.
pub fn model(model: &str) -> Result<Loaded, Error> {
    let (name, source) = if let Some(b) = models::find(model) {
        (b.id.to_string(), b.source.to_string())
    } else if Path::new(model).exists() || model.ends_with(".sdm") {
        // One byte past the compiler's limit is enough for its message; bytes that are
        // not UTF-8 become U+FFFD, which the compiler then reports where they are.
        let max = sdlab_engine::lang::compile::MAX_SOURCE_BYTES;
        let bytes = read_capped(Path::new(model), max + 1)?;
        if bytes.len() > max {
            return Err(Error::Input(format!(
                "`{model}` is more than {max} bytes; models of at most {max} bytes are compiled"
            )));
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        (model.to_string(), text)
    } else {
        return Err(Error::Input(format!(
            "unknown model `{model}`: bundled models are {}; or give the path of a .sdm file",
            bundled_ids()
        )));
    };
    compiled(name, &source)
}

/// Compile model text; diagnostics go to stderr as `name:line:col: message` plus the
/// source line with a caret.
pub fn compiled(name: String, source: &str) -> Result<Loaded, Error> {
    let (prog, diags) = compile(source);
    match prog {
        Some(p) if diags.is_empty() => Ok(Loaded { name, prog: Arc::new(p) }),
        _ => {
            for d in &diags {
                warn(&render(&name, source, d));
            }
            if diags.is_empty() {
                warn(&format!("{name}: the model does not compile"));
            }
            Err(Error::Reported)
        }
    }
}

/// Characters of the offending line shown before and after the column: a minified model
/// on one long line is quoted around the error, not whole for every diagnostic.
const QUOTE_BEFORE: usize = 60;
const QUOTE_AFTER: usize = 80;

/// `name:line:col: message`, then the offending line (a window of it around the column
/// when it is long) and a caret under the span; then each label the same way
/// (`name:line:col: first declared here`, its line quoted unless it is the same line), and
/// each note as `= note: …`.
pub fn render(name: &str, source: &str, d: &Diagnostic) -> String {
    let source = sdlab_engine::lang::unify_line_ends(source);
    let mut s = format!("{name}:{}:{}: {}", d.span.line, d.span.col, d.message);
    s.push_str(&snippet(&source, d.span));
    for l in &d.labels {
        s.push_str(&format!("\n{name}:{}:{}: {}", l.span.line, l.span.col, l.message));
        // A label on the line already quoted is told by its column alone.
        if l.span.line != d.span.line {
            s.push_str(&snippet(&source, l.span));
        }
    }
    for n in &d.notes {
        s.push_str(&format!("\n  = note: {n}"));
    }
    s
}

/// The line of `span` (a window of it when it is long) and a caret under the span, each
/// line starting with a newline; empty when the line does not exist.
fn snippet(source: &str, span: sdlab_engine::Span) -> String {
    let mut s = String::new();
    let Some(line) = source.lines().nth(span.line.saturating_sub(1) as usize) else { return s };
    let col = span.col.saturating_sub(1) as usize;
    let first = col.saturating_sub(QUOTE_BEFORE);
    // Control characters (an escape sequence, a NUL) are not sent to the terminal.
    let mut shown: String = line
        .chars()
        .skip(first)
        .take(QUOTE_BEFORE + QUOTE_AFTER)
        .map(|c| if c.is_control() && c != '\t' { '\u{FFFD}' } else { c })
        .collect();
    let cut_after = line.chars().nth(first + QUOTE_BEFORE + QUOTE_AFTER).is_some();
    let visible = shown.chars().count();
    let col_in = col - first;
    let len = source.get(span.start as usize..span.end as usize).map_or(1, |t| t.chars().count().max(1));
    let len = len.min(visible.saturating_sub(col_in).max(1));
    let mut lead: String = shown.chars().take(col_in).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    if first > 0 {
        shown.insert(0, '…');
        lead.insert(0, ' ');
    }
    if cut_after {
        shown.push('…');
    }
    let num = span.line.to_string();
    let pad = " ".repeat(num.len());
    s.push_str(&format!("\n{pad} |\n{num} | {shown}\n{pad} | {lead}{}", "^".repeat(len)));
    s
}

/// Build a configuration from the flags. Without `--cpus`, the model's default (raised
/// to what the scenario needs); without `--scenario`, `default_scenario` or the first.
pub fn config(
    l: &Loaded,
    cpus: Option<u32>,
    scenario: Option<&str>,
    default_scenario: Option<&str>,
    sets: &[String],
) -> Result<Config, Error> {
    let p = &l.prog;
    let mut cfg = Config::new(p);
    let names = || p.scenarios.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
    cfg.scenario = match scenario.or(default_scenario.filter(|d| p.scenario_index(d).is_some())) {
        Some(s) => p.scenario_index(s).ok_or_else(|| {
            let s = sdlab_engine::diag::clip(s.to_string(), 60);
            let names = sdlab_engine::diag::clip(names(), sdlab_engine::diag::MAX_MESSAGE_CHARS);
            Error::Input(format!("model `{}` has no scenario `{s}` (it has: {names})", l.name))
        })?,
        None if p.scenarios.is_empty() => return Err(Error::Input(format!("model `{}` has no scenario", l.name))),
        None => 0,
    };
    let (lo, hi, def) = p.cpus;
    let sc = &p.scenarios[cfg.scenario];
    cfg.ncpu = match cpus {
        Some(n) if n < lo || n > hi => {
            return Err(Error::Input(format!("--cpus {n}: model `{}` runs on {lo} to {hi} CPUs", l.name)));
        }
        Some(n) if n < sc.min_cpus => {
            return Err(Error::Input(format!(
                "--cpus {n}: scenario `{}` needs at least {} CPUs",
                sc.name, sc.min_cpus
            )));
        }
        Some(n) => n,
        None => def.max(sc.min_cpus),
    };
    for s in sets {
        let Some((name, value)) = s.split_once('=') else {
            return Err(Error::Input(format!("--set `{s}`: expected NAME=VALUE, e.g. --set rescan=false")));
        };
        cfg.set(p, name.trim(), value.trim()).map_err(|e| Error::Input(e.into()))?;
    }
    Ok(cfg)
}

/// Option values by name in declaration order, bools as JSON booleans.
pub struct OptionValues(Vec<(String, serde_json::Value)>);

impl serde::Serialize for OptionValues {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

pub fn options_json(p: &Program, cfg: &Config) -> OptionValues {
    OptionValues(
        p.options
            .iter()
            .zip(&cfg.options)
            .map(|(o, &v)| (o.name.clone(), if o.is_bool { (v != 0).into() } else { v.into() }))
            .collect(),
    )
}

/// `name=value …` for the plain output.
pub fn options_text(p: &Program, cfg: &Config) -> String {
    p.options
        .iter()
        .zip(&cfg.options)
        .map(|(o, &v)| if o.is_bool { format!("{}={}", o.name, v != 0) } else { format!("{}={v}", o.name) })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A schedule of `run`'s longest run (200 000 steps) in JSON takes a few MB; a file at this
/// size is something else (`/dev/zero`, a disk image) and is not read to its end.
const MAX_SCHEDULE_BYTES: usize = 64 << 20;

/// At most `limit` bytes of the file: reading a device or a huge file stops there instead
/// of taking all memory.
fn read_capped(path: &Path, limit: usize) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let cannot = |e: std::io::Error| Error::Input(format!("cannot read `{}`: {e}", path.display()));
    let f = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    f.take(limit as u64).read_to_end(&mut bytes).map_err(cannot)?;
    Ok(bytes)
}

/// Read a schedule file: the text form (`0 1 i1.0 …`), or JSON with a `schedule` or
/// `counterexample` field holding that text or an array of steps (a bare array too).
pub fn schedule_file(path: &Path) -> Result<Vec<Choice>, Error> {
    let shown = path.display();
    let bytes = read_capped(path, MAX_SCHEDULE_BYTES)?;
    if bytes.len() >= MAX_SCHEDULE_BYTES {
        return Err(Error::Input(format!("`{shown}`: schedule files are read up to {MAX_SCHEDULE_BYTES} bytes")));
    }
    let text = String::from_utf8(bytes).map_err(|_| Error::Input(format!("`{shown}` is not UTF-8 text")))?;
    let trimmed = text.trim_start();
    let items = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let v: serde_json::Value =
            serde_json::from_str(trimmed).map_err(|e| Error::Input(format!("`{shown}` is not valid JSON: {e}")))?;
        json_schedule(&v).ok_or_else(|| {
            Error::Input(format!(
                "`{shown}`: no schedule found (expected a \"schedule\" or \"counterexample\" field \
                 holding a string like \"0 1 i1.0\" or an array of steps)"
            ))
        })?
    } else {
        text
    };
    schedule::parse(&items).map_err(|e| Error::Input(format!("`{shown}`: {e}")))
}

fn json_schedule(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(" ")),
        Value::Object(m) => ["schedule", "counterexample"].iter().find_map(|k| m.get(*k).and_then(json_schedule)),
        _ => None,
    }
}
