//! `?bench=steps&cpus=4&steps=N`: measures engine steps per second in this browser with
//! the same workload as `sdlab bench-steps`, and prints the JSON into `#bench-result`.

use sdlab_engine::machine::{Config, Machine};
use sdlab_engine::{compile, models};
use std::sync::Arc;
use yew::prelude::*;

#[derive(Clone, PartialEq)]
pub struct BenchRequest {
    pub model: String,
    pub scenario: String,
    pub cpus: u32,
    pub steps: u64,
    pub seed: u64,
}

pub fn request_from_url() -> Option<BenchRequest> {
    let search = web_sys::window()?.location().search().ok()?;
    let q = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    if q.get("bench").as_deref() != Some("steps") {
        return None;
    }
    let num = |k: &str, d: u64| q.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
    Some(BenchRequest {
        model: q.get("model").unwrap_or_else(|| "freebsd-scoreboard".into()),
        scenario: q.get("scenario").unwrap_or_else(|| "crossfire".into()),
        cpus: num("cpus", 4) as u32,
        steps: num("steps", 1_000_000).min(1_000_000_000),
        seed: num("seed", 1),
    })
}

fn run(req: &BenchRequest) -> Result<String, String> {
    let b = models::find(&req.model).ok_or_else(|| format!("no bundled model `{}`", req.model))?;
    let prog = Arc::new(compile(b.source).0.ok_or("bundled model does not compile")?);
    let mut cfg = Config::new(&prog);
    cfg.ncpu = req.cpus;
    cfg.scenario = prog.scenario_index(&req.scenario).ok_or_else(|| format!("no scenario `{}`", req.scenario))?;
    let m = Machine::new(prog, cfg)?;
    let perf = web_sys::window().and_then(|w| w.performance()).ok_or("no performance clock")?;
    let t0 = perf.now();
    let sum = sdlab_engine::bench::random_steps(&m, req.seed, req.steps).checksum;
    let secs = (perf.now() - t0) / 1000.0;
    Ok(serde_json::json!({
        "model": req.model, "scenario": req.scenario, "cpus": req.cpus, "steps": req.steps,
        "seconds": secs, "steps_per_sec": req.steps as f64 / secs, "checksum": sum,
    })
    .to_string())
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub req: BenchRequest,
}

#[function_component]
pub fn BenchPage(props: &Props) -> Html {
    let result = use_state(|| None::<String>);
    {
        let result = result.clone();
        let req = props.req.clone();
        use_effect_with((), move |_| {
            // Let the page paint first, then measure.
            yew::platform::spawn_local(async move {
                yew::platform::time::sleep(std::time::Duration::from_millis(50)).await;
                result.set(Some(run(&req).unwrap_or_else(|e| serde_json::json!({ "error": e }).to_string())));
            });
        });
    }
    html! {
        <main>
            <h1>{ "Shootdown Lab: engine benchmark" }</h1>
            { match &*result {
                Some(r) => html! { <pre id="bench-result">{ r }</pre> },
                None => html! { <p>{ "running…" }</p> },
            } }
        </main>
    }
}
