//! Component tests in headless Chromium: the stepper rendered for real, driven through
//! clicks, key presses and form changes, asserting what a user sees.

use sdlab_app::stepper::{Stepper, StepperProps};
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{
    Element, Event, EventInit, HtmlElement, HtmlInputElement, HtmlSelectElement, KeyboardEvent, KeyboardEventInit,
};

wasm_bindgen_test_configure!(run_in_browser);

struct Mounted {
    root: Element,
    app: Option<yew::AppHandle<Stepper>>,
}

impl std::ops::Deref for Mounted {
    type Target = Element;
    fn deref(&self) -> &Element {
        &self.root
    }
}

impl Mounted {
    /// Unmount, so this stepper's document-wide key listener goes away with it.
    fn remove(mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
        self.root.remove();
    }
}

async fn mount() -> Mounted {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    // Several steppers share this page: none of them owns the address bar.
    let app = yew::Renderer::<Stepper>::with_root_and_props(root.clone(), StepperProps { address_bar: false }).render();
    settle().await;
    Mounted { root, app: Some(app) }
}

/// Wait (up to 3 s) for the step counter to read `want`; rendering of a debug build
/// on a busy machine can take longer than one settle.
async fn expect_step(root: &Element, want: &str) {
    for _ in 0..100 {
        if step_count(root) == want {
            return;
        }
        settle().await;
    }
    assert_eq!(step_count(root), want);
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(15)).await;
}

fn q(root: &Element, sel: &str) -> Element {
    root.query_selector(sel).unwrap().unwrap_or_else(|| panic!("no element `{sel}`"))
}

fn text(root: &Element, sel: &str) -> String {
    q(root, sel).text_content().unwrap_or_default()
}

fn count(root: &Element, sel: &str) -> u32 {
    root.query_selector_all(sel).unwrap().length()
}

async fn click(root: &Element, sel: &str) {
    q(root, sel).dyn_into::<HtmlElement>().unwrap().click();
    settle().await;
}

async fn key(k: &str) {
    let init = KeyboardEventInit::new();
    init.set_key(k);
    init.set_bubbles(true);
    let e = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    web_sys::window().unwrap().document().unwrap().dispatch_event(&e).unwrap();
    settle().await;
}

async fn select(root: &Element, sel: &str, value: &str) {
    let s = q(root, sel).dyn_into::<HtmlSelectElement>().unwrap();
    s.set_value(value);
    let init = EventInit::new();
    init.set_bubbles(true);
    s.dispatch_event(&Event::new_with_event_init_dict("change", &init).unwrap()).unwrap();
    settle().await;
}

fn step_count(root: &Element) -> String {
    text(root, "#step-count")
}

#[wasm_bindgen_test]
async fn opens_on_the_scoreboard_with_three_cpus() {
    let root = mount().await;
    assert!(text(&root, "#model-title").contains("D25510"));
    assert_eq!(count(&root, ".cpu-card"), 3);
    assert_eq!(count(&root, "#var-scoreboard td.cell"), 9);
    assert_eq!(count(&root, "#var-scoreboard td.cell.marked"), 0, "no request outstanding at step 0");
    // Every CPU has a cursor in the source.
    assert_eq!(count(&root, ".src-line.cursor .badge"), 3);
    expect_step(&root, "step 0").await;
    root.remove();
}

#[wasm_bindgen_test]
async fn clicking_a_cpu_steps_it_and_back_undoes_it() {
    let root = mount().await;
    let before = q(&root, ".src-line.cursor[data-cpus~='0']").id();
    click(&root, ".cpu-card[data-cpu='0'] .cpu-step").await;
    expect_step(&root, "step 1").await;
    assert!(text(&root, "#narration").contains("clears the PTE"), "{}", text(&root, "#narration"));
    assert!(text(&root, "#page-table").contains("not present"));
    let after = q(&root, ".src-line.cursor[data-cpus~='0']").id();
    assert_ne!(before, after, "CPU 0's cursor moved");
    click(&root, "#back").await;
    expect_step(&root, "step 0").await;
    assert_eq!(q(&root, ".src-line.cursor[data-cpus~='0']").id(), before);
    assert!(!text(&root, "#page-table").contains("not present"));
    // Keys: a digit steps that CPU, → steps the seeded schedule, ← goes back.
    key("1").await;
    expect_step(&root, "step 1").await;
    assert!(text(&root, ".cpu-card[data-cpu='1'] .tlb").contains("0x1000"), "CPU 1's user read filled its TLB");
    key("ArrowRight").await;
    key("ArrowRight").await;
    expect_step(&root, "step 3").await;
    key("ArrowLeft").await;
    expect_step(&root, "step 2").await;
    key("r").await;
    expect_step(&root, "step 0").await;
    root.remove();
}

#[wasm_bindgen_test]
async fn zeroed_scoreboard_words_stand_out_and_ipis_show_in_irr() {
    let root = mount().await;
    // Drive CPU 0 until it has sent its IPI.
    for _ in 0..40 {
        click(&root, ".cpu-card[data-cpu='0'] .cpu-step").await;
        if text(&root, "#narration").contains("I12") {
            break;
        }
    }
    assert!(text(&root, "#narration").contains("I12"));
    assert_eq!(count(&root, "#var-scoreboard td.cell.marked"), 2, "requests to CPUs 1 and 2 outstanding");
    assert_eq!(text(&root, "#var-scoreboard td[data-row='1'][data-col='0']"), "0");
    assert_eq!(text(&root, ".cpu-card[data-cpu='1'] td[data-reg='irr']"), "1");
    assert!(text(&root, ".cpu-card[data-cpu='1'] .cpu-step").contains("take IPI_INVLOP"));
    click(&root, ".cpu-card[data-cpu='1'] .cpu-step").await;
    assert_eq!(text(&root, ".cpu-card[data-cpu='1'] td[data-reg='isr']"), "1");
    assert!(text(&root, ".cpu-card[data-cpu='1'] .ctx").contains("irq IPI_INVLOP"));
    assert!(text(&root, ".cpu-card[data-cpu='1'] [data-flag='if']").contains("IF=0"));
    root.remove();
}

#[wasm_bindgen_test]
async fn disabling_interrupts_in_crossfire_reaches_a_deadlock_banner() {
    let root = mount().await;
    select(&root, "#cpus", "2").await;
    select(&root, "#scenario", "1").await;
    let cb = q(&root, "#opt-initiator_if").dyn_into::<HtmlInputElement>().unwrap();
    cb.click();
    settle().await;
    assert!(!cb.checked());
    assert_eq!(count(&root, ".cpu-card"), 2);
    for _ in 0..200 {
        if count(&root, "#banner.deadlock") > 0 {
            break;
        }
        // Alternate the two CPUs, as a lecturer would.
        for c in ["0", "1"] {
            let b = q(&root, &format!(".cpu-card[data-cpu='{c}'] .cpu-step")).dyn_into::<HtmlElement>().unwrap();
            b.click();
            settle().await;
        }
    }
    let banner = text(&root, "#banner");
    assert!(banner.contains("Deadlock (G-DEADLOCK)"), "{banner}");
    assert!(
        banner.contains("CPU 0") && banner.contains("CPU 1") && banner.contains("IPI_INVLOP pending but masked"),
        "{banner}"
    );
    root.remove();
}

/// A Blob of `n` bytes whose every byte says where it is, so a slice out of place or
/// read twice shows.
fn patterned_blob(n: usize) -> (web_sys::Blob, Vec<u8>) {
    let bytes: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
    let array = js_sys::Uint8Array::from(&bytes[..]);
    let blob = web_sys::Blob::new_with_u8_array_sequence(&js_sys::Array::of1(&array)).unwrap();
    (blob, bytes)
}

async fn read_all(mut slices: sdlab_app::file_slices::Slices) -> Result<(Vec<u8>, usize), String> {
    let (mut got, mut count) = (Vec::new(), 0);
    while let Some(b) = slices.next().await? {
        got.extend(js_sys::Uint8Array::new(&b).to_vec());
        count += 1;
    }
    Ok((got, count))
}

#[wasm_bindgen_test]
async fn a_trace_file_read_in_slices_arrives_whole_and_in_order_on_a_helper_worker_or_without_one() {
    use sdlab_app::file_slices::Slices;
    // Three full slices and a short one, with fewer in flight than there are slices, so
    // the helper must wait for the parser to take one before it reads on.
    let (blob, want) = patterned_blob(3 * 4096 + 123);
    let helper = Slices::open(&blob, 4096.0, 2);
    assert!(helper.on_helper(), "a browser with nested workers reads on a helper");
    assert_eq!(read_all(helper).await, Ok((want.clone(), 4)));
    let here = Slices::open_here(&blob, 4096.0, 2);
    assert!(!here.on_helper());
    assert_eq!(read_all(here).await, Ok((want, 4)));
    let (empty, _) = patterned_blob(0);
    assert_eq!(read_all(Slices::open(&empty, 4096.0, 3)).await, Ok((vec![], 0)));
    assert_eq!(read_all(Slices::open_here(&empty, 4096.0, 3)).await, Ok((vec![], 0)));
}
