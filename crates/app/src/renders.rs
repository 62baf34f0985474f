//! A count of component renders by component name, kept in `window.sdlabRenders` (an
//! object the page never reads): the e2e walk `renders.test.mjs` clears it, takes a step
//! and reads which components drew again, and BENCHMARKS.md reports the figure.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// One render of the component `name` (called first thing in its function body).
pub fn count(name: &str) {
    let Some(w) = web_sys::window() else { return };
    let key = JsValue::from_str("sdlabRenders");
    let table = match Reflect::get(&w, &key) {
        Ok(t) if t.is_object() => t,
        _ => {
            let t: JsValue = Object::new().into();
            let _ = Reflect::set(&w, &key, &t);
            t
        }
    };
    let name = JsValue::from_str(name);
    let n = Reflect::get(&table, &name).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let _ = Reflect::set(&table, &name, &JsValue::from_f64(n + 1.0));
}
