//! Event listeners that live as long as an effect: added when it runs, removed by the
//! cleanup it returns, so a component that goes away leaves no handler behind.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget};

/// Call `handler` on each of `events` at `target` (nothing when there is no target) until
/// the returned function runs. The event is handed over as the type the caller names
/// (`KeyboardEvent` for keys), as the browser made it.
pub fn listen<E: JsCast + 'static>(
    target: Option<EventTarget>,
    events: &'static [&'static str],
    handler: impl Fn(E) + 'static,
) -> impl FnOnce() {
    let listener = Closure::<dyn Fn(Event)>::new(move |e: Event| handler(e.unchecked_into::<E>()));
    if let Some(t) = &target {
        for ev in events {
            let _ = t.add_event_listener_with_callback(ev, listener.as_ref().unchecked_ref());
        }
    }
    move || {
        if let Some(t) = target {
            for ev in events {
                let _ = t.remove_event_listener_with_callback(ev, listener.as_ref().unchecked_ref());
            }
        }
    }
}

/// The window, as a target to listen at.
pub fn window() -> Option<EventTarget> {
    web_sys::window().map(Into::into)
}
