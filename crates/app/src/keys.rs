//! Document-wide keyboard shortcuts, shared by the stepper and the Traces mode.

use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;

/// Whether the key goes to a text field (or a select, or a number box), which keeps it.
pub fn typing(e: &KeyboardEvent) -> bool {
    let target = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    target.is_some_and(|el| match el.tag_name().as_str() {
        "TEXTAREA" | "SELECT" => true,
        "INPUT" => !matches!(el.get_attribute("type").as_deref(), Some("checkbox" | "radio" | "button" | "file")),
        _ => false,
    })
}

/// Call `handler` on every keydown of the document until the returned function runs
/// (a `use_effect` cleanup).
pub fn listen(handler: impl Fn(KeyboardEvent) + 'static) -> impl FnOnce() {
    let doc = web_sys::window().and_then(|w| w.document()).map(Into::into);
    crate::listen::listen(doc, &["keydown"], handler)
}
