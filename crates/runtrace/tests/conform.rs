//! Conformance: emulated runs read back conform to the model that made them; real rounds
//! altered into impossible ones are mismatches at the altered line, with the reason.

use sdlab_engine::Session;
use sdlab_runtrace::conform::{self, Options, Verdict};
use sdlab_trace::{Reader, Trace};

fn read(text: &[u8]) -> Trace {
    let mut r = Reader::new();
    r.feed(text);
    r.finish().expect("a trace")
}

/// A seeded run of `model` in `scenario` on `ncpu` CPUs, as ftrace text.
fn emulate_linux(ncpu: usize, seed: u64) -> Vec<u8> {
    let m = conform::machine_for("linux", Some("unmap_touch"), ncpu).expect("machine");
    let mut s = Session::new(m);
    for _ in 0..2000 {
        match s.step_seeded(seed) {
            Some(Ok(_)) => {}
            _ => break,
        }
    }
    let t = sdlab_runtrace::session_to_trace(&s);
    let mut out = Vec::new();
    sdlab_runtrace::ftrace::write(&t, &mut out).expect("write");
    out
}

fn check_all(trace: &Trace, model: &str) -> Vec<(conform::Round, Verdict)> {
    let rounds = conform::rounds(trace, conform::max_cpus(model));
    rounds
        .into_iter()
        .map(|r| {
            let scenario = None;
            let m = conform::machine_for(model, scenario, r.cpus.len()).expect("machine");
            let o = conform::check(&m, trace, &r, &Options::default(), &mut || true);
            (r, o.verdict)
        })
        .collect()
}

#[test]
fn emulated_linux_rounds_conform_and_their_schedules_replay() {
    for ncpu in [2, 3, 4] {
        for seed in 0..6 {
            let text = emulate_linux(ncpu, seed);
            let trace = read(&text);
            let results = check_all(&trace, "linux");
            assert_eq!(results.len(), 1, "{ncpu} CPUs seed {seed}: one round");
            for (r, v) in results {
                let Verdict::Conforms(m) = v else { panic!("{ncpu} CPUs seed {seed}: {v:?}") };
                assert_eq!(m.steps.len(), r.events(), "every event matched once");
                let mut s = Session::new(conform::machine_for("linux", None, r.cpus.len()).expect("machine"));
                s.replay(&m.schedule).expect("the schedule replays");
            }
        }
    }
}
