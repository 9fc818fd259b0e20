//! A scene as one compact line of text that can be pasted into a chat or an e-mail and restores
//! the scene exactly — what a URL is to TensorFlow Playground.
//!
//! Format: `losscape1.` followed by the URL-safe base64 (no padding) of the DEFLATE-compressed
//! compact JSON of the scene. CSV data is inlined first, so the line needs no file to restore.
//!
//! A line comes from someone else, so [`decode`] refuses one whose scene names a file (CSV
//! data by path): `encode` never writes one, and opening it would read a file of the
//! receiver's choosing by the sender's choice (`/etc/passwd`, `~/.ssh/id_rsa` as "data").

use std::path::Path;

use data_encoding::BASE64URL_NOPAD;

use crate::core::{DataSpec, ObjectiveSpec};
use crate::scene::{Format, Scene, SceneError};

/// What every shared line starts with (the number is the format's version).
pub const PREFIX: &str = "losscape1.";

/// The largest scene a line may inflate to, so a hostile line cannot exhaust memory.
pub const MAX_SCENE_BYTES: usize = 64 << 20;

/// Encodes a scene; CSV data is read relative to `dir` and inlined.
pub fn encode(scene: &Scene, dir: &Path) -> Result<String, SceneError> {
    let mut scene = scene.clone();
    if let ObjectiveSpec::Network(n) = &mut scene.objective
        && let DataSpec::Csv(src) = &n.data
    {
        let path = dir.join(src.path());
        let table =
            crate::scene::read_csv(&path, src).map_err(|e| SceneError { path, position: None, field: None, message: e.to_string() })?;
        n.data = DataSpec::Inline(table);
    }
    let json = serde_json::to_vec(&scene).expect("scenes hold only plain data");
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
    Ok(format!("{PREFIX}{}", BASE64URL_NOPAD.encode(&packed)))
}

/// Decodes a shared line (surrounding whitespace ignored), checking the scene as a file would be.
/// A link to the web page whose fragment is a line (`https://…/#losscape1.…`) decodes as
/// that line.
pub fn decode(text: &str) -> Result<Scene, SceneError> {
    let shown = Path::new("shared scene");
    let fail = |message: String| SceneError { path: shown.into(), position: None, field: None, message };
    let text = text.trim();
    // URL-safe base64 has no '#': everything after the last one is the line.
    let text = text.rsplit_once('#').map_or(text, |(_, fragment)| fragment);
    let body = text.strip_prefix(PREFIX).ok_or_else(|| fail(format!("a shared scene starts with {PREFIX:?}")))?;
    let packed = BASE64URL_NOPAD
        .decode(body.as_bytes())
        .map_err(|e| fail(format!("not valid URL-safe base64 at character {}: {e}", e.position + 1)))?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_SCENE_BYTES).map_err(|e| fail(inflate_message(e.status)))?;
    let text = std::str::from_utf8(&json).map_err(|_| fail("the text does not hold a scene (not UTF-8)".into()))?;
    let scene = crate::scene::parse(text, Format::Json, shown)?;
    refuse_file_names(&scene).map_err(|(field, path)| SceneError {
        path: shown.into(),
        position: None,
        field: Some(field.into()),
        message: format!("a shared scene carries its data inline; it may not name a file ({path:?})"),
    })?;
    Ok(scene)
}

/// Why a line did not inflate, in words (not the decoder's status name).
fn inflate_message(status: miniz_oxide::inflate::TINFLStatus) -> String {
    use miniz_oxide::inflate::TINFLStatus;
    match status {
        TINFLStatus::HasMoreOutput => format!("too large: it inflates past {} MB, the most a shared scene may hold", MAX_SCENE_BYTES >> 20),
        TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
            "the text is incomplete (it ends before the scene does); copy the whole line".into()
        }
        _ => "the text is damaged (it is not a compressed scene)".into(),
    }
}

/// The field and the file name of the first part of `scene` that names a file: only CSV data
/// does (a function, a generator, inline rows, runs and settings name none).
fn refuse_file_names(scene: &Scene) -> Result<(), (&'static str, String)> {
    match &scene.objective {
        ObjectiveSpec::Network(n) => match &n.data {
            DataSpec::Csv(src) => Err(("objective.network.data", src.path().to_string())),
            DataSpec::Inline(_) | DataSpec::Generator(_) => Ok(()),
        },
        ObjectiveSpec::Function(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(name: &str) -> Scene {
        crate::scene::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes").join(name)).unwrap()
    }

    #[test]
    fn every_lesson_round_trips_exactly() {
        for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes")).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            let scene = lesson(&name);
            let line = encode(&scene, Path::new(".")).unwrap();
            assert!(line.starts_with(PREFIX) && !line.contains(['\n', ' ', '+', '/', '=']), "{line}");
            let back = decode(&format!("  {line}\n")).unwrap();
            assert_eq!(back, scene, "{name}");
            // A lesson's line opens as that lesson; an edited one as no lesson.
            assert_eq!(crate::lessons::identify_scene(&back), crate::lessons::find(&name), "{name}");
            let mut edited = back;
            edited.steps += 1;
            assert_eq!(crate::lessons::identify_scene(&edited), None, "{name}");
        }
    }

    #[test]
    fn a_link_to_the_web_page_decodes_as_its_line() {
        let scene = lesson("08_exploding.ron");
        let line = encode(&scene, Path::new(".")).unwrap();
        assert_eq!(decode(&format!("https://example.org/losscape/index.html#{line}")).unwrap(), scene);
        assert_eq!(decode(&format!("http://127.0.0.1:8000/?x=1#{line} ")).unwrap(), scene);
        let bad = decode("https://example.org/#other").unwrap_err().to_string();
        assert!(bad.contains("starts with"), "{bad}");
    }

    #[test]
    fn csv_data_is_inlined() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("d.csv"), "x,y\n1,2\n3,4\n").unwrap();
        let mut scene = lesson("03_hours_studied.ron");
        if let ObjectiveSpec::Network(n) = &mut scene.objective {
            n.data = DataSpec::Csv(crate::core::CsvSource::Path("d.csv".into()));
        }
        let back = decode(&encode(&scene, dir.path()).unwrap()).unwrap();
        let ObjectiveSpec::Network(n) = back.objective else { panic!() };
        assert_eq!(n.data, DataSpec::Inline(crate::core::Table { x: vec![vec![1.0], vec![3.0]], y: vec![vec![2.0], vec![4.0]] }));
    }

    /// A line as a hostile sender would make it: any scene JSON, packed as `encode` packs.
    fn pack(json: &str) -> String {
        format!("{PREFIX}{}", BASE64URL_NOPAD.encode(&miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9)))
    }

    #[test]
    fn a_line_naming_a_file_is_refused_without_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret.csv");
        std::fs::write(&secret, "x,y\n1,2\n").unwrap();
        let mut scene = lesson("03_hours_studied.ron");
        let shown = secret.to_str().unwrap().to_string();
        for data in [
            DataSpec::Csv(crate::core::CsvSource::Path(shown.clone())),
            DataSpec::Csv(crate::core::CsvSource::Columns(crate::core::CsvColumns { path: shown.clone(), x: None, y: None })),
        ] {
            if let ObjectiveSpec::Network(n) = &mut scene.objective {
                n.data = data;
            }
            let e = decode(&pack(&serde_json::to_string(&scene).unwrap())).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("shared scene: objective.network.data: a shared scene carries its data inline; it may not name a file ({shown:?})")
            );
        }
        // The same answer whether the file exists or not: the line learns nothing about the disk.
        std::fs::remove_file(&secret).unwrap();
        let e = decode(&pack(&serde_json::to_string(&scene).unwrap())).unwrap_err().to_string();
        assert!(e.ends_with(&format!("it may not name a file ({shown:?})")), "{e}");
    }

    #[test]
    fn damaged_lines_are_refused_with_one_line() {
        let line = encode(&lesson("01_x_squared.ron"), Path::new(".")).unwrap();
        for bad in ["hello", "losscape1.", "losscape1.!!!!", &line[..line.len() / 2], &line.replace('A', "B")] {
            let e = decode(bad).unwrap_err().to_string();
            assert!(e.starts_with("shared scene") && !e.contains('\n'), "{e}");
        }
        assert!(decode(&line[..line.len() / 2]).unwrap_err().to_string().contains("incomplete"));
        // A line that inflates past the limit is too large, not damaged (a few kB of base64).
        let huge =
            format!("{PREFIX}{}", BASE64URL_NOPAD.encode(&miniz_oxide::deflate::compress_to_vec(&vec![b' '; MAX_SCENE_BYTES + 1], 9)));
        assert_eq!(
            decode(&huge).unwrap_err().to_string(),
            "shared scene: too large: it inflates past 64 MB, the most a shared scene may hold"
        );
        // A valid line whose scene has a bad value names the field.
        let mut scene = lesson("01_x_squared.ron");
        scene.steps = u64::MAX;
        let e = decode(&encode(&scene, Path::new(".")).unwrap()).unwrap_err().to_string();
        assert!(e.contains("steps: must be ≤"), "{e}");
    }
}
