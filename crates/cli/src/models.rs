//! `sdlab models`: the bundled models, their CPU range, options and scenarios.

use crate::{load, Error};
use sdlab_engine::{models, Program};
use serde::Serialize;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

/// List the bundled models with their CPU range, options and scenarios.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print one JSON object `{"models": [...]}` instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct ModelInfo<'a> {
    id: &'a str,
    title: &'a str,
    doc: &'a str,
    cpus: CpuRange,
    options: Vec<OptionInfo<'a>>,
    scenarios: Vec<ScenarioInfo<'a>>,
}

#[derive(Serialize)]
struct CpuRange {
    min: u32,
    max: u32,
    default: u32,
}

#[derive(Serialize)]
struct OptionInfo<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    default: serde_json::Value,
    doc: &'a str,
}

#[derive(Serialize)]
struct ScenarioInfo<'a> {
    name: &'a str,
    doc: &'a str,
    min_cpus: u32,
}

fn info<'a>(id: &'a str, p: &'a Program) -> ModelInfo<'a> {
    ModelInfo {
        id,
        title: &p.title,
        doc: &p.doc,
        cpus: CpuRange { min: p.cpus.0, max: p.cpus.1, default: p.cpus.2 },
        options: p
            .options
            .iter()
            .map(|o| OptionInfo {
                name: &o.name,
                kind: if o.is_bool { "bool" } else { "int" },
                default: if o.is_bool { (o.default != 0).into() } else { o.default.into() },
                doc: &o.doc,
            })
            .collect(),
        scenarios: p
            .scenarios
            .iter()
            .map(|s| ScenarioInfo { name: &s.name, doc: &s.doc, min_cpus: s.min_cpus })
            .collect(),
    }
}

pub fn main(args: Args) -> Result<ExitCode, Error> {
    let mut progs = Vec::new();
    let mut broken = false;
    for b in models::BUNDLED {
        match load::compiled(b.id.to_string(), b.source) {
            Ok(l) => progs.push((b.id, l.prog)),
            Err(_) => broken = true,
        }
    }
    let infos: Vec<ModelInfo> = progs.iter().map(|(id, p)| info(id, p)).collect();
    let mut out = BufWriter::new(crate::stdout());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "models": infos })).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        for (k, m) in infos.iter().enumerate() {
            if k > 0 {
                writeln!(out)?;
            }
            writeln!(out, "{}  {}", m.id, m.title)?;
            writeln!(out, "  CPUs       {}..{}, default {}", m.cpus.min, m.cpus.max, m.cpus.default)?;
            writeln!(out, "  options")?;
            let w = m.options.iter().map(|o| o.name.len()).max().unwrap_or(0);
            for o in &m.options {
                let def = format!("{} = {}", o.kind, o.default);
                writeln!(out, "    {:w$}  {def:<12}  {}", o.name, o.doc)?;
            }
            writeln!(out, "  scenarios")?;
            let w = m.scenarios.iter().map(|s| s.name.len()).max().unwrap_or(0);
            for s in &m.scenarios {
                writeln!(out, "    {:w$}  {:<12}  {}", s.name, format!("≥ {} CPUs", s.min_cpus), s.doc)?;
            }
        }
    }
    out.flush()?;
    Ok(if broken { ExitCode::from(crate::BAD_INPUT) } else { ExitCode::SUCCESS })
}
