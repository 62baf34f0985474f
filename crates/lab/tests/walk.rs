//! A seeded random walk of the stepper's actions against its reducer, natively: every key,
//! click, link, option value and model text a user can produce, valid or not. After every
//! action the page must still work (no panic), and at checkpoints the run's exact-state
//! promises must hold: a step back restores the state before the step exactly, and the
//! permalink of the state reopens that state.
//!
//! `cargo test -p sdlab-lab --test walk` runs a fixed number of walks (the test command).
//! Longer: `SDLAB_WALK_SECONDS=600 cargo test --release -p sdlab-lab --test walk`. A failing
//! walk writes its seed and actions to `target/fuzz-stepper/`; keep the seed in
//! `REGRESSIONS` so that it runs every time.

use sdlab_engine::machine::Choice;
use sdlab_engine::{models, Property};
use sdlab_lab::compare::Follow;
use sdlab_lab::permalink;
use sdlab_lab::protocol::{CheckReply, Verdict};
use sdlab_lab::state::{Action, Goal, Pane};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

/// Seeds that once failed, run first every time.
/// 2: a CPU count outside the model's range was accepted by the reducer; 5: an option value
/// outside its range likewise; 295: a checker reply whose schedule does not replay was loaded;
/// 223: a reply whose lasso's cycle starts after its last step was loaded (and its link
/// then did not reopen).
const REGRESSIONS: &[u64] = &[2, 5, 295, 223];
const WALKS: u64 = 24;
const ACTIONS: usize = 160;

/// SplitMix64: the walk depends on the seed only.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// Model texts a user could type, paste or send in a link: bundled sources cut and
/// spliced, and the shapes that once broke the engine (wrapping sizes, long chains, a line
/// of stray tokens).
fn hostile_text(r: &mut Rng) -> String {
    let sources: Vec<&str> = models::BUNDLED.iter().map(|m| m.source).collect();
    let src = *r.pick(&sources);
    match r.below(8) {
        0 => "shared x[65536][65536] = 0;\nshared y = 0;\n".to_string(),
        1 => format!("cpus 2..2;\nproc main() {{ local a = {}1; }}\n", "1 + ".repeat(3000)),
        2 => "}".repeat(2000),
        3 => ";".repeat(4000),
        4 => {
            let cut = r.below(src.len() as u64) as usize;
            src.get(..cut).unwrap_or(src).to_string()
        }
        5 => {
            let mut b = src.as_bytes().to_vec();
            for _ in 0..1 + r.below(6) {
                let i = r.below(b.len() as u64) as usize;
                b[i] = *r.pick(b"{}()[];=+-*/<>!&|,.0123456789xyz \n\"#");
            }
            String::from_utf8_lossy(&b).into_owned()
        }
        6 => {
            let other = *r.pick(&sources);
            let (a, b) = (r.below(src.len() as u64) as usize, r.below(other.len() as u64) as usize);
            format!("{}{}", src.get(..a).unwrap_or(""), other.get(b..).unwrap_or(""))
        }
        _ => src.to_string(),
    }
}

/// A link: the current one damaged, a hostile model packed into one, or noise.
fn link(r: &mut Rng, lab: &Pane) -> String {
    let good = permalink::encode(&lab.link());
    match r.below(6) {
        0 => good,
        1 => good[..r.below(good.len() as u64 + 1) as usize].to_string(),
        2 => {
            let mut b = good.into_bytes();
            for _ in 0..1 + r.below(4) {
                if b.is_empty() {
                    break;
                }
                let i = r.below(b.len() as u64) as usize;
                b[i] = *r.pick(b"=&%09azAZ-_.~+,;:");
            }
            String::from_utf8_lossy(&b).into_owned()
        }
        3 => format!("v=1&m=edited&n={}&src={}", r.below(70), permalink::pack_source(&hostile_text(r))),
        4 => good.replace("&at=", &format!("&at={}", r.next() % 100_000)),
        _ => (0..r.below(300)).map(|_| *r.pick(&['a', '=', '&', '%', '1', 'v', 'é', '\0'])).collect(),
    }
}

fn choice(r: &mut Rng) -> Choice {
    let c = r.below(12) as u8;
    let k = r.below(300) as u8;
    match r.below(7) {
        0 => Choice::Step(c),
        1 => Choice::Irq(c, k),
        2 => Choice::Fill(c, r.below(70_000) as u16),
        3 => Choice::Nmi(c),
        4 => Choice::Drain(c),
        5 => Choice::Bcast(c, k),
        _ => Choice::Lose(c, k),
    }
}

fn reply(r: &mut Rng) -> CheckReply {
    let verdict = *r.pick(&[Verdict::Verified, Verdict::Violation, Verdict::Limit, Verdict::Fault]);
    let schedule =
        Some(r.pick(&["0 1 0 1", "i1.0 0", "x y z", "", "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0", "9 9 200"]).to_string());
    match r.below(3) {
        0 => CheckReply::Progress { states: r.next(), transitions: r.next(), depth: r.below(100) as u32, seconds: 1.0 },
        1 => CheckReply::Error { message: "boom".into() },
        _ => CheckReply::Done {
            verdict,
            property: r.pick(&[Some(Property::Stale), Some(Property::Deadlock), None]).to_owned(),
            message: Some("m".into()),
            schedule,
            cycle_start: r.pick(&[None, Some(0), Some(3), Some(usize::MAX)]).to_owned(),
            states: 10,
            transitions: 20,
            depth: 3,
            seconds: 0.0,
            reductions: String::new(),
            explored_depth: r.pick(&[None, Some(0), Some(2)]).to_owned(),
            safety_seconds: None,
            memory_bytes: 0,
            workers: 1,
        },
    }
}

fn action(r: &mut Rng, lab: &Pane) -> (String, Action) {
    let ids: Vec<&str> = models::BUNDLED.iter().map(|m| m.id).collect();
    let option_values = [-5, 0, 1, 2, 3, 255, 256, 99_999, i32::MIN, i32::MAX];
    let a = match r.below(42) {
        0..=7 => Action::StepCpu(r.below(10) as u8),
        41 => Action::SwitchCpu(r.below(10) as u8),
        8..=9 => Action::Choose(choice(r)),
        10..=12 => Action::StepSeeded,
        13..=14 => Action::Back,
        15 => Action::JumpTo(r.below(80) as usize),
        16 => Action::Reset,
        17 => Action::SetCpus(*r.pick(&[0, 1, 2, 3, 4, 5, 8, 9, 33, 64, u32::MAX])),
        18 => Action::SetScenario(r.below(8) as usize),
        19 => Action::SetOption(r.below(16) as usize, *r.pick(&option_values)),
        20 => Action::SetModel(if r.below(8) == 0 { "no-such-model".into() } else { r.pick(&ids).to_string() }),
        21 => Action::LoadRace(r.pick(&ids).to_string(), r.below(20) as usize),
        22..=23 => Action::FromLink(link(r, lab)),
        24 => Action::End,
        25 => Action::EditText(hostile_text(r)),
        26 => Action::ApplyEdit,
        27 => Action::ToggleEditor,
        28 => Action::CheckReply(lab.check_gen + r.below(2), reply(r)),
        29 => Action::CheckStarted(lab.check_gen + 1),
        30 => Action::ToggleCompare,
        31 => Action::CompareOption(format!("opt{}", r.below(3)), *r.pick(&option_values)),
        32 => Action::CompareFollow(Follow::Own { choices: vec![choice(r), choice(r)], seed: r.next() }),
        33 => Action::GifBegin,
        34 => Action::GifFrame(r.below(50) as usize),
        35 => Action::GifEnd,
        36 => Action::SetNote("n".repeat(r.below(700) as usize)),
        37 => Action::SetSeed(r.next()),
        38 => Action::Tick,
        39 => Action::RunTo(
            if r.below(3) == 0 { None } else { Some(r.below(10) as u8) },
            *r.pick(&[Goal::Ipi, Goal::Ack, Goal::Violation]),
        ),
        _ => match r.below(4) {
            0 => Action::ToggleRun,
            1 => Action::DropPlan,
            2 => Action::Dismiss,
            _ => Action::CheckCancelled,
        },
    };
    (describe(&a), a)
}

fn describe(a: &Action) -> String {
    let text = |t: &str| format!("{} bytes starting {:?}", t.len(), t.chars().take(60).collect::<String>());
    match a {
        Action::StepCpu(c) => format!("StepCpu({c})"),
        Action::Choose(c) => format!("Choose({c})"),
        Action::JumpTo(n) => format!("JumpTo({n})"),
        Action::SetCpus(n) => format!("SetCpus({n})"),
        Action::SetScenario(i) => format!("SetScenario({i})"),
        Action::SetOption(i, v) => format!("SetOption({i}, {v})"),
        Action::SetModel(m) => format!("SetModel({m})"),
        Action::LoadRace(m, r) => format!("LoadRace({m}, {r})"),
        Action::FromLink(l) => format!("FromLink({})", text(l)),
        Action::EditText(t) => format!("EditText({})", text(t)),
        Action::GifFrame(n) => format!("GifFrame({n})"),
        _ => "another action".to_string(),
    }
}

/// What "the same state" means for a step back or a reopened link.
fn fingerprint(s: &Pane) -> (String, u32, usize, Vec<i32>, usize, String) {
    (
        s.model_id.clone(),
        s.cfg.ncpu,
        s.cfg.scenario,
        s.cfg.options.clone(),
        s.session.steps(),
        format!("{:?}", s.session.state()),
    )
}

/// A step and a step back leave exactly the state before, and the permalink of the state
/// reopens it (a link is only promised to fit while it is under the length limit).
fn check_promises(lab: &mut Pane) -> Result<(), String> {
    let before = fingerprint(lab);
    let steps = lab.session.steps();
    lab.apply(Action::StepSeeded);
    if lab.session.steps() == steps + 1 {
        let after = fingerprint(lab);
        lab.apply(Action::Back);
        if fingerprint(lab) != before {
            return Err("a step then a step back does not restore the state".into());
        }
        lab.apply(Action::StepSeeded);
        if fingerprint(lab) != after {
            return Err("the same step taken again reaches another state".into());
        }
    }
    let link = permalink::encode(&lab.link());
    if link.len() <= permalink::MAX_LINK && lab.recording.is_none() {
        let mut fresh = Pane::opening();
        fresh.apply(Action::FromLink(link.clone()));
        if fingerprint(&fresh) != fingerprint(lab) {
            return Err(format!("the link {link} reopens another state ({:?})", fresh.error));
        }
    }
    Ok(())
}

fn walk(seed: u64) -> Result<(), (String, Vec<String>)> {
    let mut r = Rng(seed);
    let mut lab = Pane::opening();
    let mut log = Vec::new();
    for i in 0..ACTIONS {
        let (what, a) = action(&mut r, &lab);
        log.push(what);
        if let Err(p) = std::panic::catch_unwind(AssertUnwindSafe(|| lab.apply(a))) {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            return Err((format!("panic at action {i}: {msg}"), log));
        }
        if i % 16 == 15 {
            check_promises(&mut lab).map_err(|e| (format!("after action {i}: {e}"), log.clone()))?;
        }
    }
    Ok(())
}

fn save(seed: u64, why: &str, log: &[String]) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-stepper");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join(format!("seed-{seed}.txt"));
    let _ = std::fs::write(&file, format!("seed {seed}: {why}\n{}\n", log.join("\n")));
    file.display().to_string()
}

#[test]
fn random_actions_never_break_the_stepper() {
    // The reducer's own messages go to the page; a panic message here is a finding.
    let budget = std::env::var("SDLAB_WALK_SECONDS").ok().and_then(|s| s.parse().ok()).map(Duration::from_secs);
    let started = Instant::now();
    let mut seeds: Vec<u64> = REGRESSIONS.to_vec();
    let mut walks = 0;
    let mut next = 1;
    loop {
        let seed = if let Some(s) = seeds.pop() {
            s
        } else {
            let more = match budget {
                Some(b) => started.elapsed() < b,
                None => next <= WALKS,
            };
            if !more {
                break;
            }
            next += 1;
            next - 1
        };
        if let Err((why, log)) = walk(seed) {
            let file = save(seed, &why, &log);
            panic!("walk with seed {seed}: {why} (actions in {file})");
        }
        walks += 1;
    }
    println!("{walks} walks of {ACTIONS} actions in {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn every_digit_key_at_every_cpu_count_answers_with_a_message() {
    let mut s = Pane::opening();
    let (lo, hi, _) = s.prog.cpus;
    for n in lo..=hi {
        s.apply(Action::SetCpus(n));
        assert_eq!(s.session.machine().ncpu(), n as usize, "SetCpus({n})");
        for key in 0..=9u8 {
            s.apply(Action::Reset);
            s.apply(Action::StepCpu(key));
            if usize::from(key) >= n as usize {
                let e = s.error.clone().unwrap_or_default();
                assert!(e.contains(&format!("There is no CPU {key}")), "key {key} with {n} CPUs: {e:?}");
                assert_eq!(s.session.steps(), 0, "a missing CPU takes no step");
            } else {
                assert!(s.error.is_none() || s.session.steps() == 0, "key {key} with {n} CPUs");
            }
        }
    }
}

/// The decoder alone, at a higher rate than the walk reaches it: damaged links are refused
/// with a message or decoded, and whatever decodes encodes back to a link that decodes to
/// the same thing.
#[test]
fn the_permalink_decoder_refuses_or_round_trips_damaged_links() {
    let program_of = |id: &str| sdlab_lab::state::load_bundled(id).ok().map(|(p, _)| p);
    let mut r = Rng(7);
    let mut pane = Pane::opening();
    let (mut decoded, mut refused) = (0, 0);
    for i in 0..3000u64 {
        if i % 50 == 0 {
            // Fresh material: a run of a few seeded steps on another model.
            let ids: Vec<&str> = models::BUNDLED.iter().map(|m| m.id).collect();
            pane.apply(Action::SetModel(r.pick(&ids).to_string()));
            for _ in 0..r.below(20) {
                pane.apply(Action::StepSeeded);
            }
        }
        let text = link(&mut r, &pane);
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| permalink::decode(&text, program_of)));
        match outcome {
            Err(_) => panic!("the decoder panics on {text:?}"),
            Ok(Err(message)) => {
                assert!(!message.is_empty() && message.len() < 1000, "message for {text:?}: {message:?}");
                refused += 1;
            }
            Ok(Ok((l, _, _))) => {
                let again = permalink::encode(&l);
                let (l2, _, _) = permalink::decode(&again, program_of)
                    .unwrap_or_else(|e| panic!("{text:?} decodes, but its re-encoding {again:?} does not: {e}"));
                assert_eq!(l, l2, "{text:?} → {again:?}");
                decoded += 1;
            }
        }
    }
    assert!(decoded > 100 && refused > 100, "decoded {decoded}, refused {refused}: the damage is not varied enough");
}
