//! Export the view on screen for slides: the code and the machine, without the page's
//! chrome, at slide size (1920×1080), with scrolled panes as they are on screen (the code
//! at the cursor). SVG (the page's own markup and styles inside a foreignObject, so it
//! stays crisp and selectable), PNG (that SVG drawn on a canvas) and the GIF's frames.
//! Everything happens in the browser; nothing is uploaded.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, CssStyleSheet, HtmlAnchorElement, HtmlCanvasElement, HtmlImageElement, Url};

fn styles(doc: &web_sys::Document) -> String {
    let mut css = String::new();
    let sheets = doc.style_sheets();
    for i in 0..sheets.length() {
        let Some(sheet) = sheets.item(i).and_then(|s| s.dyn_into::<CssStyleSheet>().ok()) else { continue };
        let Ok(rules) = sheet.css_rules() else { continue };
        for j in 0..rules.length() {
            if let Some(r) = rules.item(j) {
                css.push_str(&r.css_text());
                css.push('\n');
            }
        }
    }
    css
}

/// Scrolled panes keep what they show: the serialised copy has no scroll position, so
/// each scrolled element of the copy clips, and its children are moved up (and left) by
/// the distance the live one is scrolled. Without it the code pane shows line 1 and the
/// step log its first steps, and the cursor is in no exported frame.
fn keep_scroll(el: &web_sys::Element, copy: &web_sys::Element) -> Result<(), JsValue> {
    let (live, copies) = (el.query_selector_all("*")?, copy.query_selector_all("*")?);
    for i in 0..live.length().min(copies.length()) {
        let (Some(l), Some(c)) = (
            live.item(i).and_then(|l| l.dyn_into::<web_sys::Element>().ok()),
            copies.item(i).and_then(|c| c.dyn_into::<web_sys::Element>().ok()),
        ) else {
            continue;
        };
        let (top, left) = (l.scroll_top(), l.scroll_left());
        if top == 0 && left == 0 {
            continue;
        }
        let style = c.get_attribute("style").unwrap_or_default();
        c.set_attribute("style", &format!("{style};overflow:hidden"))?;
        let kids = c.children();
        for k in 0..kids.length() {
            if let Some(kid) = kids.item(k) {
                let style = kid.get_attribute("style").unwrap_or_default();
                kid.set_attribute("style", &format!("{style};position:relative;top:-{top}px;left:-{left}px"))?;
            }
        }
    }
    Ok(())
}

/// A copy of the element whose form controls carry their live state as attributes: the
/// serialiser writes attributes, and a checkbox ticked by a click changed only a property.
fn with_form_state(el: &web_sys::Element) -> Result<web_sys::Element, JsValue> {
    let copy: web_sys::Element = el.clone_node_with_deep(true)?.dyn_into()?;
    keep_scroll(el, &copy)?;
    let (live, copies) = (el.query_selector_all("input, select")?, copy.query_selector_all("input, select")?);
    for i in 0..live.length().min(copies.length()) {
        let (Some(l), Some(c)) = (live.item(i), copies.item(i).and_then(|c| c.dyn_into::<web_sys::Element>().ok()))
        else {
            continue;
        };
        if let Some(input) = l.dyn_ref::<web_sys::HtmlInputElement>() {
            if input.checked() {
                c.set_attribute("checked", "")?;
            } else {
                c.remove_attribute("checked")?;
            }
            c.set_attribute("value", &input.value())?;
        } else if let Some(select) = l.dyn_ref::<web_sys::HtmlSelectElement>() {
            let options = c.query_selector_all("option")?;
            for j in 0..options.length() {
                let Some(o) = options.item(j).and_then(|o| o.dyn_into::<web_sys::Element>().ok()) else { continue };
                if j as i32 == select.selected_index() {
                    o.set_attribute("selected", "")?;
                } else {
                    o.remove_attribute("selected")?;
                }
            }
        }
    }
    Ok(copy)
}

/// What an export shows: the code and the machine (in compare mode both runs), without
/// the toolbar, the options or any control around them.
pub const VIEW: &str = ".stepper .stage";

/// The size of a slide: every export is drawn at it (16:9, a 1080p projector).
pub const SLIDE: (f64, f64) = (1920.0, 1080.0);

/// The element's markup and the page's styles as a standalone SVG document at slide size:
/// the element at its size on screen, scaled to fill a 16:9 slide (centred, white around),
/// inside the stepper's classes and style (presenter mode, the CPU-count variable), so the
/// page's rules apply as on screen. Returns the SVG and its size in pixels.
pub fn svg_of(selector: &str) -> Result<(String, f64, f64), JsValue> {
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let el = doc.query_selector(selector)?.ok_or("nothing to export")?;
    let rect = el.get_bounding_client_rect();
    let (w, h) = (rect.width().ceil().max(1.0), rect.height().ceil().max(1.0));
    let copy = with_form_state(&el)?;
    let markup = web_sys::XmlSerializer::new()?.serialize_to_string(&copy)?;
    let (class, style) = match el.closest(".stepper")? {
        Some(s) => (s.get_attribute("class").unwrap_or_default(), s.get_attribute("style").unwrap_or_default()),
        None => (String::new(), String::new()),
    };
    let attr = |v: &str| v.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    let css = styles(&doc).replace("]]>", "]]&gt;");
    // The viewBox: the element's box grown to 16:9, the element in its middle.
    let (sw, sh) = SLIDE;
    let vw = w.max(h * sw / sh);
    let vh = vw * sh / sw;
    let (x, y) = ((vw - w) / 2.0, (vh - h) / 2.0);
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{sw}" height="{sh}" viewBox="0 0 {vw} {vh}"><rect width="{vw}" height="{vh}" fill="#fff"/><foreignObject x="{x}" y="{y}" width="{w}" height="{h}"><div xmlns="http://www.w3.org/1999/xhtml" style="width:{w}px;height:{h}px;background:#fff;font-family:system-ui,sans-serif;font-size:13px"><style><![CDATA[{css}]]></style><div class="{}" style="{};height:{h}px">{markup}</div></div></foreignObject></svg>"##,
        attr(&class),
        attr(&style)
    );
    Ok((svg, sw, sh))
}

fn download(blob: &Blob, name: &str) -> Result<(), JsValue> {
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let url = Url::create_object_url_with_blob(blob)?;
    let a: HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // The download has started from the click; the URL can go once the event loop turns.
    gloo_timers::callback::Timeout::new(1000, move || {
        let _ = Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

pub fn export_svg(selector: &str, name: &str) -> Result<(), JsValue> {
    let (svg, _, _) = svg_of(selector)?;
    let parts = js_sys::Array::of1(&JsValue::from_str(&svg));
    let opts = BlobPropertyBag::new();
    opts.set_type("image/svg+xml");
    download(&Blob::new_with_str_sequence_and_options(&parts, &opts)?, name)
}

/// Draw the SVG on a canvas at slide size and save a PNG.
pub fn export_png(selector: &str, name: &str) -> Result<(), JsValue> {
    let (svg, w, h) = svg_of(selector)?;
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let img = HtmlImageElement::new()?;
    let src = format!("data:image/svg+xml;charset=utf-8,{}", js_sys::encode_uri_component(&svg));
    let name = name.to_string();
    let img2 = img.clone();
    let onload = Closure::once_into_js(move || {
        let run = || -> Result<(), JsValue> {
            let canvas: HtmlCanvasElement = doc.create_element("canvas")?.dyn_into()?;
            canvas.set_width(w as u32);
            canvas.set_height(h as u32);
            let ctx: web_sys::CanvasRenderingContext2d =
                canvas.get_context("2d")?.ok_or("no 2d context")?.dyn_into()?;
            ctx.set_fill_style_str("#ffffff");
            ctx.fill_rect(0.0, 0.0, w, h);
            ctx.draw_image_with_html_image_element(&img2, 0.0, 0.0)?;
            let url = canvas.to_data_url_with_type("image/png")?;
            let a: HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
            a.set_href(&url);
            a.set_download(&name);
            a.click();
            Ok(())
        };
        if let Err(e) = run() {
            web_sys::console::warn_1(&e);
        }
    });
    img.set_onload(Some(onload.unchecked_ref()));
    img.set_src(&src);
    Ok(())
}

/// The SVG drawn on a `w`×`h` canvas over white, as RGBA pixels (the GIF's frames).
pub async fn rasterize(svg: &str, w: u32, h: u32, scale: f64) -> Result<Vec<u8>, JsValue> {
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let img = HtmlImageElement::new()?;
    img.set_src(&format!("data:image/svg+xml;charset=utf-8,{}", js_sys::encode_uri_component(svg)));
    wasm_bindgen_futures::JsFuture::from(img.decode()).await?;
    let canvas: HtmlCanvasElement = doc.create_element("canvas")?.dyn_into()?;
    canvas.set_width(w);
    canvas.set_height(h);
    let ctx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d")?.ok_or("no 2d context")?.dyn_into()?;
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, w as f64, h as f64);
    ctx.scale(scale, scale)?;
    ctx.draw_image_with_html_image_element(&img, 0.0, 0.0)?;
    Ok(ctx.get_image_data(0.0, 0.0, w as f64, h as f64)?.data().0)
}

/// Save bytes as a file.
pub fn download_bytes(bytes: &[u8], mime: &str, name: &str) -> Result<(), JsValue> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let opts = BlobPropertyBag::new();
    opts.set_type(mime);
    download(&Blob::new_with_u8_array_sequence_and_options(&parts, &opts)?, name)
}
