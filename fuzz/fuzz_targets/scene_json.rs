//! libFuzzer target `scene_json`: see `losscape_fuzz` (fuzz/src/lib.rs) for what it checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    losscape_fuzz::scene_text(data, losscape::scene::Format::Json);
});
