//! A file read in slices for the trace parser, on a helper worker.
//!
//! Chromium hands a Blob's bytes to the thread that asked for them through a pipe that
//! thread pumps itself, so slices the parsing worker asked for ahead only arrived while it
//! stopped parsing to wait: reading and parsing took turns (issue #18: 220 of 595 ms of a
//! 123 MB parse were spent waiting). A helper worker, which does nothing but read, keeps
//! up to `ahead` slices ready and transfers each (moved, not copied); the parser's
//! acknowledgement of one lets it read the next, so memory stays bounded on a huge file.
//! Where a browser cannot start a worker inside a worker, the parser reads the slices
//! itself, as it did before.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, MessageEvent, Worker};

/// The helper's whole program. Messages in: `{file, chunk, ahead}` once, then `true` for
/// every slice the parser took. Out, in file order: an ArrayBuffer per slice, then `null`
/// at the end, or a string saying why the file could not be read.
const READER_JS: &str = "let file, chunk, ahead, at = 0, out = 0, busy = false, ended = false;
async function pump() {
  if (busy || ended) return;
  busy = true;
  try {
    while (at < file.size && out < ahead) {
      const end = Math.min(at + chunk, file.size);
      const bytes = await file.slice(at, end).arrayBuffer();
      at = end;
      out++;
      postMessage(bytes, [bytes]);
    }
    if (at >= file.size) { ended = true; postMessage(null); }
  } catch (e) {
    ended = true;
    postMessage('the file could not be read (was it moved?): ' + e);
  } finally { busy = false; }
}
onmessage = (m) => {
  if (m.data === true) out--; else ({ file, chunk, ahead } = m.data);
  pump();
};";

const UNREADABLE: &str = "the file could not be read (was it moved?)";

/// What the helper has sent and the parser has not taken yet.
#[derive(Default)]
struct Inbox {
    slices: VecDeque<js_sys::ArrayBuffer>,
    ended: bool,
    error: Option<String>,
    /// Resolves the promise the parser waits on, when it waits.
    wake: Option<js_sys::Function>,
}

impl Inbox {
    /// Let a waiting parser look again (outside the borrow: it runs on the same thread).
    fn wake(inbox: &RefCell<Inbox>) {
        let wake = inbox.borrow_mut().wake.take();
        if let Some(wake) = wake {
            let _ = wake.call0(&JsValue::NULL);
        }
    }
}

struct Helper {
    worker: Worker,
    inbox: Rc<RefCell<Inbox>>,
    _onmessage: Closure<dyn Fn(MessageEvent)>,
    _onerror: Closure<dyn Fn(web_sys::ErrorEvent)>,
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// The parser reading for itself: `ahead` reads in flight, which only progress while it waits.
struct Direct {
    file: Blob,
    chunk: f64,
    queued: f64,
    pending: VecDeque<JsFuture>,
}

enum Source {
    Helper(Helper),
    Direct(Direct),
}

/// The slices of one file, in order, `chunk` bytes each (the last one shorter).
pub struct Slices(Source);

impl Slices {
    pub fn open(file: &Blob, chunk: f64, ahead: u32) -> Slices {
        match Helper::start(file, chunk, ahead) {
            Ok(h) => Slices(Source::Helper(h)),
            Err(_) => Slices(Source::Direct(Direct::start(file, chunk, ahead))),
        }
    }

    /// The slices read by this thread alone, the way `open` falls back to.
    pub fn open_here(file: &Blob, chunk: f64, ahead: u32) -> Slices {
        Slices(Source::Direct(Direct::start(file, chunk, ahead)))
    }

    /// Whether a helper worker reads (false where the browser could not start one).
    pub fn on_helper(&self) -> bool {
        matches!(self.0, Source::Helper(_))
    }

    /// The next slice, or `None` after the last.
    pub async fn next(&mut self) -> Result<Option<js_sys::ArrayBuffer>, String> {
        match &mut self.0 {
            Source::Helper(h) => h.next().await,
            Source::Direct(d) => d.next().await,
        }
    }
}

impl Helper {
    fn start(file: &Blob, chunk: f64, ahead: u32) -> Result<Helper, JsValue> {
        let worker = crate::worker_script::from_source(READER_JS)?;
        let inbox = Rc::new(RefCell::new(Inbox::default()));
        let onmessage = {
            let inbox = inbox.clone();
            Closure::<dyn Fn(MessageEvent)>::new(move |m: MessageEvent| {
                let data = m.data();
                let mut ib = inbox.borrow_mut();
                if data.is_null() {
                    ib.ended = true;
                } else if let Some(why) = data.as_string() {
                    ib.error = Some(why);
                } else {
                    match data.dyn_into::<js_sys::ArrayBuffer>() {
                        Ok(bytes) => ib.slices.push_back(bytes),
                        Err(_) => ib.error = Some(UNREADABLE.into()),
                    }
                }
                drop(ib);
                Inbox::wake(&inbox);
            })
        };
        let onerror = {
            let inbox = inbox.clone();
            Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                inbox.borrow_mut().error = Some(format!("{UNREADABLE}: the reading worker failed: {}", e.message()));
                Inbox::wake(&inbox);
            })
        };
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        let start = js_sys::Object::new();
        js_sys::Reflect::set(&start, &"file".into(), file)?;
        js_sys::Reflect::set(&start, &"chunk".into(), &chunk.into())?;
        js_sys::Reflect::set(&start, &"ahead".into(), &ahead.max(1).into())?;
        worker.post_message(&start)?;
        Ok(Helper { worker, inbox, _onmessage: onmessage, _onerror: onerror })
    }

    async fn next(&mut self) -> Result<Option<js_sys::ArrayBuffer>, String> {
        loop {
            {
                let mut ib = self.inbox.borrow_mut();
                if let Some(bytes) = ib.slices.pop_front() {
                    // The helper reads the next one while this one is parsed.
                    let _ = self.worker.post_message(&JsValue::TRUE);
                    return Ok(Some(bytes));
                }
                if let Some(why) = ib.error.take() {
                    return Err(why);
                }
                if ib.ended {
                    return Ok(None);
                }
            }
            let inbox = self.inbox.clone();
            let woken = js_sys::Promise::new(&mut |resolve, _| inbox.borrow_mut().wake = Some(resolve));
            let _ = JsFuture::from(woken).await;
        }
    }
}

impl Direct {
    fn start(file: &Blob, chunk: f64, ahead: u32) -> Direct {
        let mut d = Direct { file: file.clone(), chunk, queued: 0.0, pending: VecDeque::new() };
        for _ in 0..ahead.max(1) {
            d.queue();
        }
        d
    }

    fn queue(&mut self) {
        let total = self.file.size();
        if self.queued >= total {
            return;
        }
        let end = (self.queued + self.chunk).min(total);
        let read = match self.file.slice_with_f64_and_f64(self.queued, end) {
            Ok(slice) => slice.array_buffer(),
            Err(e) => js_sys::Promise::reject(&e),
        };
        self.pending.push_back(JsFuture::from(read));
        self.queued = end;
    }

    async fn next(&mut self) -> Result<Option<js_sys::ArrayBuffer>, String> {
        let Some(read) = self.pending.pop_front() else { return Ok(None) };
        let bytes = read.await.map_err(|_| UNREADABLE.to_string())?;
        self.queue();
        bytes.dyn_into().map(Some).map_err(|_| UNREADABLE.into())
    }
}
