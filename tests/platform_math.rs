//! The core promises the same bits on every platform (src/core/kernels.rs, "Reproducibility"),
//! which holds only while no number it computes goes through the platform's math library. So
//! this test reads the sources: outside `src/core/elementary.rs` (the one place that names the
//! elementary functions, backed by the `libm` crate) and outside test modules, no code of the
//! core, the scene or the exporters may call std's `f64::exp`, `ln`, `sin`, `powi` ….
//! `sqrt`, `abs`, `mul_add` and the arithmetic operators are exactly rounded and allowed.

use std::path::{Path, PathBuf};

/// std's `f64` methods whose last bit depends on the platform.
const PLATFORM: [&str; 27] = [
    "exp", "exp2", "exp_m1", "ln", "ln_1p", "log", "log2", "log10", "powf", "powi", "sin", "cos", "tan", "sin_cos", "asin", "acos", "atan",
    "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "cbrt", "hypot", "gamma",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `line` calls the method `name` (`.name(`) or names `f64::name`.
fn called(line: &str, name: &str) -> bool {
    let path = format!("f64::{name}");
    line.contains(&format!(".{name}("))
        || line.match_indices(&path).any(|(i, _)| !line[i + path.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

#[test]
fn the_core_calls_no_platform_math() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src/core", "src/export"] {
        rust_files(&root.join(dir), &mut files);
    }
    files.push(root.join("src/scene.rs"));
    files.retain(|f| !f.ends_with("src/core/elementary.rs"));
    assert!(files.len() > 20, "the sources are where this test looks: {files:?}");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // Test modules sit at the end of each file; they may compare against std.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap_or("");
            for name in PLATFORM {
                if called(line, name) {
                    found.push(format!("{}:{}: {name}: {}", file.strip_prefix(root).unwrap().display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "use crate::core::elementary instead of std's platform math:\n{}", found.join("\n"));
}

#[test]
fn the_scan_finds_what_it_looks_for() {
    assert!(called("let y = (x - m).exp();", "exp"));
    assert!(called("let f = f64::ln;", "ln"));
    assert!(called("gamma.powi(3)", "powi"));
    assert!(!called("x.expect(\"set\")", "exp"));
    assert!(!called("let n = v.len();", "ln"));
    assert!(!called("f64::lnx", "ln"));
    assert!(!called("el::exp(x)", "exp"));
}
