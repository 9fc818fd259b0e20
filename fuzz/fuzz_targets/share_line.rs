//! libFuzzer target `share_line`: see `losscape_fuzz` (fuzz/src/lib.rs) for what it checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    losscape_fuzz::share_line(data);
});
