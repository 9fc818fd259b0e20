//! The `losscape` binary: the app, or a headless command (see `losscape --help`). In the
//! browser (`wasm32`), the app on the page, and [`train_csv`] and [`surface_csv`] for the page's
//! scripts.

#[cfg(not(all(target_arch = "wasm32", feature = "gui")))]
fn main() -> std::process::ExitCode {
    losscape::cli::main()
}

#[cfg(all(target_arch = "wasm32", feature = "gui"))]
fn main() {
    losscape::app::run_web();
}

/// `losscape train` on the page: the trajectory CSV of `steps` steps of every run of the scene
/// text `scene` (`name`'s extension gives the format), computed by this page's core — the
/// browser test compares it with the desktop's, value for value.
#[cfg(all(target_arch = "wasm32", feature = "gui"))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn train_csv(name: &str, scene: &str, steps: u32) -> Result<String, String> {
    losscape::export::trajectory::train_text(std::path::Path::new(name), scene, u64::from(steps))
}

/// `losscape surface SCENE` on the page: the grid CSV of the scene text `scene` with its own
/// surface settings, computed by this page's core — the browser test compares it with the
/// desktop's, value for value.
#[cfg(all(target_arch = "wasm32", feature = "gui"))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn surface_csv(name: &str, scene: &str) -> Result<String, String> {
    losscape::export::grid::surface_text(std::path::Path::new(name), scene)
}
