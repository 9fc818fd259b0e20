//! The web page's side of files and links (the `wasm32` build only): a file written by the app
//! becomes a download, a file to open comes from the browser's file picker, and the page's URL
//! fragment carries a shared scene (`…/#losscape1.…`). No Bevy here; the app's `page` plugin
//! drives it.

use std::cell::RefCell;
use std::io;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Hands `bytes` to the browser as a download named `name`.
pub fn download(name: &str, bytes: &[u8]) -> io::Result<()> {
    let fail = |what: &str, e: JsValue| io::Error::other(format!("the browser refused the download ({what}: {e:?})"));
    let document = web_sys::window().and_then(|w| w.document()).ok_or_else(|| io::Error::other("no page to download from"))?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime(name));
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(|e| fail("blob", e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| fail("url", e))?;
    let link: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(|e| fail("link", e))?.dyn_into().map_err(|e| fail("link", e.into()))?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The click has started the download; the URL may go.
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

fn mime(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("obj" | "ron") => "text/plain",
        _ => "application/octet-stream",
    }
}

/// What a picked file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A scene (RON or JSON) to open.
    Scene,
    /// A data CSV for the network.
    DataCsv,
}

/// A file the user picked, read into memory.
#[derive(Debug)]
pub struct Picked {
    /// What it was picked for.
    pub purpose: Purpose,
    /// Its name (no folder: a page never sees one).
    pub name: String,
    /// Its contents, or why they could not be read.
    pub bytes: Result<Vec<u8>, String>,
}

thread_local! {
    static PICKED: RefCell<Vec<Picked>> = const { RefCell::new(Vec::new()) };
}

/// Opens the browser's file picker for `accept` (e.g. ".ron,.json"); the file, once read,
/// arrives through [`take_picked`].
pub fn pick(accept: &str, purpose: Purpose) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(input) = document.create_element("input").map(|e| e.unchecked_into::<web_sys::HtmlInputElement>()) else { return };
    input.set_type("file");
    input.set_accept(accept);
    let owner = input.clone();
    let on_change = Closure::<dyn FnMut()>::new(move || {
        let Some(file) = owner.files().and_then(|f| f.get(0)) else { return };
        let name = file.name();
        let reading = wasm_bindgen_futures::JsFuture::from(file.array_buffer());
        wasm_bindgen_futures::spawn_local(async move {
            let bytes = match reading.await {
                Ok(buffer) => Ok(js_sys::Uint8Array::new(&buffer).to_vec()),
                Err(e) => Err(format!("{name}: the browser could not read it ({e:?})")),
            };
            PICKED.with(|p| p.borrow_mut().push(Picked { purpose, name, bytes }));
        });
    });
    input.set_onchange(Some(on_change.as_ref().unchecked_ref()));
    // One closure per pick, alive as long as its input element.
    on_change.forget();
    input.click();
}

/// The files read since the last call.
pub fn take_picked() -> Vec<Picked> {
    PICKED.with(|p| std::mem::take(&mut *p.borrow_mut()))
}

/// The page's URL fragment without its `#` (empty when there is none).
pub fn fragment() -> String {
    let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    hash.strip_prefix('#').unwrap_or(&hash).to_owned()
}

/// The page's address without its fragment: what a shared line is appended to (`…#losscape1.…`).
pub fn page_address() -> Option<String> {
    let href = web_sys::window()?.location().href().ok()?;
    Some(href.split('#').next().unwrap_or_default().to_owned())
}

/// Sets `data-KEY="value"` on the page's `<html>` element: what the app shows, for the page's
/// scripts and the browser test (which waits for a lesson's surface by it).
pub fn set_page_state(key: &str, value: &str) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute(&format!("data-{key}"), value);
    }
}
