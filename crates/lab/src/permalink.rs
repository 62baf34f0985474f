//! Permalinks: the address bar holds the exact state — model, CPU count, scenario,
//! options, seed, the schedule taken and the current step, and the view — so a link
//! reopens it exactly. Decoding never trusts the link: every field is checked, and any
//! problem is a message plus the default view. Fields added later (notes, an edited
//! model, a comparison) are optional, so the version stays 1 and older links open as they
//! did; an older reader refuses a newer link by naming the field it does not know.

use sdlab_engine::machine::{Choice, Config};
use sdlab_engine::{compile, schedule, Program};
use std::sync::Arc;

/// The model id of a model edited in the browser; its source travels in the link.
pub const EDITED: &str = "edited";

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// An edited model's source for the link: deflate, then base64url.
pub fn pack_source(src: &str) -> String {
    let z = miniz_oxide::deflate::compress_to_vec(src.as_bytes(), 9);
    let mut out = String::with_capacity(z.len() * 4 / 3 + 4);
    for chunk in z.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// The inverse of `pack_source`; bounded, so a hostile link cannot inflate without limit.
pub fn unpack_source(text: &str) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let (mut n, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let v = B64.iter().position(|&b| b == c).ok_or("the model in the link is not base64url")? as u32;
        n = n << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((n >> bits & 0xFF) as u8);
        }
    }
    let raw = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, 256 * 1024)
        .map_err(|_| "the model in the link is damaged (it does not decompress)")?;
    String::from_utf8(raw).map_err(|_| "the model in the link is not UTF-8 text".into())
}

/// Links longer than this are refused (a schedule of a few thousand steps fits).
pub const MAX_LINK: usize = 16 * 1024;
/// A note is at most this many characters.
pub const MAX_NOTE: usize = 500;
const VERSION: &str = "1";

#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub model: String,
    pub ncpu: u32,
    pub scenario: String,
    /// (option name, value) for options that differ from the model's defaults.
    pub options: Vec<(String, i32)>,
    pub seed: u64,
    pub schedule: Vec<Choice>,
    /// The step shown (≤ the schedule's length); later steps play on with →.
    pub at: usize,
    pub gallery: bool,
    pub presenter: bool,
    pub embed: bool,
    /// (step, note) pairs.
    pub notes: Vec<(usize, String)>,
    /// The source of an edited model (model id `edited`).
    pub source: Option<String>,
    /// Compare mode (`cmp=1`): B's options and, unless B follows A's choices, its own
    /// schedule and seed. Links without it (all links before compare mode) open as before.
    pub compare: Option<LinkCompare>,
    /// A lasso counterexample (`cyc=k`): the schedule's steps after the k-th repeat
    /// forever. A safety counterexample needs no field: its schedule ends in the violation.
    pub cycle_start: Option<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkCompare {
    /// B's option values that differ from A's (`co=name:value,…`).
    pub set: Vec<(String, i32)>,
    /// B's own schedule and seed (`cx=…&cseed=…`).
    pub own: Option<(Vec<Choice>, u64)>,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || "-_.:,".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or("a truncated %-escape")?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("a bad %-escape `%{hex}`"))?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "text that is not UTF-8".to_string())
}

pub fn encode(l: &Link) -> String {
    let mut parts = vec![format!("v={VERSION}"), format!("m={}", escape(&l.model))];
    if let Some(src) = &l.source {
        parts.push(format!("src={}", pack_source(src)));
    }
    parts.extend([format!("n={}", l.ncpu), format!("s={}", escape(&l.scenario))]);
    if !l.options.is_empty() {
        let o: Vec<String> = l.options.iter().map(|(k, v)| format!("{}:{v}", escape(k))).collect();
        parts.push(format!("o={}", o.join(",")));
    }
    parts.push(format!("seed={}", l.seed));
    if !l.schedule.is_empty() {
        parts.push(format!("x={}", schedule::format(&l.schedule).replace(' ', ",")));
        parts.push(format!("at={}", l.at));
        if let Some(k) = l.cycle_start {
            parts.push(format!("cyc={k}"));
        }
    }
    if l.gallery {
        parts.push("view=gallery".into());
    }
    if l.presenter {
        parts.push("presenter=1".into());
    }
    if l.embed {
        parts.push("embed=1".into());
    }
    for (step, text) in &l.notes {
        parts.push(format!("note{step}={}", escape(text)));
    }
    if let Some(c) = &l.compare {
        parts.push("cmp=1".into());
        if !c.set.is_empty() {
            let o: Vec<String> = c.set.iter().map(|(k, v)| format!("{}:{v}", escape(k))).collect();
            parts.push(format!("co={}", o.join(",")));
        }
        if let Some((choices, seed)) = &c.own {
            parts.push(format!("cseed={seed}"));
            if !choices.is_empty() {
                parts.push(format!("cx={}", schedule::format(choices).replace(' ', ",")));
            }
        }
    }
    parts.join("&")
}

/// A value from the link quoted in a message: at most 40 characters of it.
fn cut(v: &str) -> String {
    sdlab_engine::diag::clip(v.to_string(), 40)
}

/// Parse a link's fragment (without `#`). The model's program is looked up by the caller
/// through `program_of`, which says whether the id is bundled.
pub fn decode(
    text: &str,
    program_of: impl Fn(&str) -> Option<Arc<Program>>,
) -> Result<(Link, Config, Arc<Program>), String> {
    if text.len() > MAX_LINK {
        return Err(format!("the link is {} characters long; links are at most {MAX_LINK}", text.len()));
    }
    let mut link = Link {
        model: String::new(),
        ncpu: 0,
        scenario: String::new(),
        options: vec![],
        seed: 1,
        schedule: vec![],
        at: 0,
        gallery: false,
        presenter: false,
        embed: false,
        notes: vec![],
        source: None,
        compare: None,
        cycle_start: None,
    };
    let (mut cmp, mut cmp_set, mut cmp_x, mut cmp_seed) = (false, vec![], None, None);
    let mut version = None;
    let mut at = None;
    for part in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("`{}` is not key=value", part.chars().take(40).collect::<String>()))?;
        match k {
            "v" => version = Some(v.to_string()),
            "m" => link.model = unescape(v)?,
            "n" => link.ncpu = v.parse().map_err(|_| format!("the CPU count `{}` is not a number", cut(v)))?,
            "s" => link.scenario = unescape(v)?,
            "o" => {
                for item in v.split(',').filter(|i| !i.is_empty()) {
                    let (name, val) =
                        item.split_once(':').ok_or_else(|| format!("option `{}` is not name:value", cut(item)))?;
                    let val =
                        val.parse().map_err(|_| format!("option `{}` has the non-number `{}`", cut(name), cut(val)))?;
                    link.options.push((unescape(name)?, val));
                }
            }
            "seed" => link.seed = v.parse().map_err(|_| format!("the seed `{}` is not a number", cut(v)))?,
            "x" => link.schedule = schedule::parse(&v.replace(',', " "))?,
            "at" => at = Some(v.parse::<usize>().map_err(|_| format!("the step `{}` is not a number", cut(v)))?),
            "cyc" => {
                link.cycle_start =
                    Some(v.parse::<usize>().map_err(|_| format!("the cycle start `{}` is not a number", cut(v)))?)
            }
            "view" => link.gallery = v == "gallery",
            "presenter" => link.presenter = v == "1",
            "src" => link.source = Some(unpack_source(v)?),
            "embed" => link.embed = v == "1",
            "cmp" => cmp = v == "1",
            "co" => {
                for item in v.split(',').filter(|i| !i.is_empty()) {
                    let (name, val) =
                        item.split_once(':').ok_or_else(|| format!("B's option `{}` is not name:value", cut(item)))?;
                    let val = val
                        .parse::<i32>()
                        .map_err(|_| format!("B's option `{}` has the non-number `{}`", cut(name), cut(val)))?;
                    cmp_set.push((unescape(name)?, val));
                }
            }
            "cx" => cmp_x = Some(schedule::parse(&v.replace(',', " ")).map_err(|e| format!("B's schedule: {e}"))?),
            "cseed" => cmp_seed = Some(v.parse::<u64>().map_err(|_| format!("B's seed `{}` is not a number", cut(v)))?),
            k if k.starts_with("note") => {
                let step = k[4..]
                    .parse::<usize>()
                    .map_err(|_| format!("`{}` is not noteN", k.chars().take(20).collect::<String>()))?;
                let text = unescape(v)?;
                if text.chars().count() > MAX_NOTE {
                    return Err(format!("the note of step {step} is longer than {MAX_NOTE} characters"));
                }
                if link.notes.len() >= 1000 {
                    return Err("the link has more than 1000 notes".into());
                }
                link.notes.push((step, text));
            }
            _ => return Err(format!("the link has an unknown field `{}`", k.chars().take(20).collect::<String>())),
        }
    }
    match version.as_deref() {
        Some(VERSION) => {}
        Some(v) => {
            return Err(format!("the link is of version {}; this Shootdown Lab reads version {VERSION}", cut(v)))
        }
        None => return Err("the link has no version (v=1)".into()),
    }
    let prog = match (&link.source, link.model.as_str()) {
        (Some(src), EDITED) => match compile(src) {
            (Some(p), d) if d.is_empty() => Arc::new(p),
            (_, d) => {
                let first = d.first().map(|d| format!("line {}, column {}: {}", d.span.line, d.span.col, d.message));
                let more = match d.len() {
                    0 | 1 => String::new(),
                    n => format!(" (and {} more; open the editor to see them)", n - 1),
                };
                return Err(format!("its model does not compile: {}{more}", first.unwrap_or_default()));
            }
        },
        (Some(_), _) => return Err("a model source in the link needs m=edited".into()),
        (None, id) => program_of(id).ok_or_else(|| format!("the link names an unknown model `{}`", cut(id)))?,
    };
    let mut cfg = Config::new(&prog);
    cfg.scenario = prog
        .scenario_index(&link.scenario)
        .ok_or_else(|| format!("model `{}` has no scenario `{}`", cut(&link.model), cut(&link.scenario)))?;
    let (lo, hi, _) = prog.cpus;
    if link.ncpu < lo || link.ncpu > hi {
        return Err(format!("{} CPUs: this model runs on {lo} to {hi}", link.ncpu));
    }
    cfg.ncpu = link.ncpu;
    for (name, v) in &link.options {
        cfg.set(&prog, name, &v.to_string())?;
    }
    if cmp {
        for (name, v) in &cmp_set {
            cfg.clone().set(&prog, name, &v.to_string()).map_err(|e| format!("compare: {e}"))?;
        }
        let own = match (cmp_x, cmp_seed) {
            (None, None) => None,
            (x, seed) => Some((x.unwrap_or_default(), seed.unwrap_or(link.seed))),
        };
        link.compare = Some(LinkCompare { set: cmp_set, own });
    } else if !cmp_set.is_empty() || cmp_x.is_some() || cmp_seed.is_some() {
        return Err("the link has fields of compare mode (co, cx, cseed) without cmp=1".into());
    }
    link.at = at.unwrap_or(link.schedule.len());
    if link.at > link.schedule.len() {
        return Err(format!("the link shows step {} of a {}-step schedule", link.at, link.schedule.len()));
    }
    if link.cycle_start.is_some_and(|k| k >= link.schedule.len()) {
        return Err(format!("the cycle of the link starts after the last of its {} steps", link.schedule.len()));
    }
    Ok((link, cfg, prog))
}

/// The non-default options of a configuration, by name.
pub fn changed_options(prog: &Program, cfg: &Config) -> Vec<(String, i32)> {
    prog.options.iter().zip(&cfg.options).filter(|(o, v)| o.default != **v).map(|(o, v)| (o.name.clone(), *v)).collect()
}
