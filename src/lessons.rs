//! The lessons, compiled into the binary from `assets/scenes` (by `build.rs`), in classroom
//! order (file-name order: 00, 01, …, 05, 05b, …). The app's lesson mode and presets menu, and
//! the web page, read them from here, so a copied or installed binary has every lesson.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::core::Objective;
use crate::scene::{self, Format, Scene, SceneError};

/// One lesson scene as shipped.
#[derive(Debug)]
pub struct Lesson {
    /// File name in `assets/scenes`, e.g. `01_x_squared.ron`.
    pub file: &'static str,
    /// The scene file's text.
    pub text: &'static str,
}

/// Every lesson, in classroom order.
pub static LESSONS: &[Lesson] = include!(concat!(env!("OUT_DIR"), "/lessons.rs"));

/// The lesson the app opens on: lesson 1 (f(x) = x²); lesson 0 is one "Previous" away.
pub const FIRST: &str = "01_x_squared.ron";

impl Lesson {
    /// Where the lesson came from in the source tree (named in messages and by "Save").
    pub fn path(&self) -> PathBuf {
        Path::new("assets/scenes").join(self.file)
    }

    /// The scene and its objective (a lesson's data is generated, so no file is read).
    pub fn load(&self) -> Result<(Scene, Arc<Objective>), SceneError> {
        let path = self.path();
        let scene = scene::parse(self.text, Format::of(&path)?, &path)?;
        let objective = scene.build_in(Path::new("")).map_err(|e| scene::located(self.text, &path, e))?;
        Ok((scene, objective))
    }
}

/// Index of the lesson with this file name (`08_exploding.ron`), stem (`08_exploding`) or number
/// (`08`, `03b`: the file name up to its first `_`).
pub fn find(name: &str) -> Option<usize> {
    LESSONS.iter().position(|l| l.file == name || l.file.rsplit_once('.').is_some_and(|(stem, _)| stem == name) || l.number() == name)
}

impl Lesson {
    /// Its number: the file name up to the first `_` (`08`, `03b`).
    pub fn number(&self) -> &'static str {
        self.file.split_once('_').map_or(self.file, |(n, _)| n)
    }
}

/// Lesson `i`'s title for a menu: its scene's name without the leading "Lesson N: " (the menu
/// gives the number), e.g. `the derivative as a limit`. Each scene is read once, on first use.
pub fn title(i: usize) -> &'static str {
    static TITLES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let titles = TITLES.get_or_init(|| {
        LESSONS
            .iter()
            .map(|l| {
                let name = scene::parse(l.text, Format::of(&l.path()).unwrap_or(Format::Ron), &l.path())
                    .map_or_else(|_| l.file.to_owned(), |s| s.name);
                match name.split_once(": ") {
                    Some((head, rest)) if head.starts_with("Lesson ") => rest.to_owned(),
                    _ => name,
                }
            })
            .collect()
    });
    titles.get(i).map_or("", String::as_str)
}

/// Every lesson's number, for messages: `00, 01, …, 13c`.
pub fn numbers() -> String {
    LESSONS.iter().map(Lesson::number).collect::<Vec<_>>().join(", ")
}

/// The lesson a scene read from `path` is: the same file name and the same scene as shipped.
pub fn identify(path: &Path, scene: &Scene) -> Option<usize> {
    let i = find(path.file_name()?.to_str()?)?;
    is_shipped(i, scene).then_some(i)
}

/// The lesson a scene with no file is (a shared line's): the same scene as one shipped, so a
/// lesson's link opens as that lesson, with Previous and Next around it.
pub fn identify_scene(scene: &Scene) -> Option<usize> {
    (0..LESSONS.len()).find(|&i| is_shipped(i, scene))
}

/// Whether `scene` is lesson `i` as shipped.
fn is_shipped(i: usize, scene: &Scene) -> bool {
    let lesson = &LESSONS[i];
    Format::of(&lesson.path()).ok().and_then(|f| scene::parse(lesson.text, f, &lesson.path()).ok()).is_some_and(|shipped| &shipped == scene)
}

/// Index of [`FIRST`].
pub fn first() -> usize {
    find(FIRST).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scene_in_assets_is_compiled_in_and_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes");
        let mut on_disk: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        on_disk.sort();
        let shipped: Vec<&str> = LESSONS.iter().map(|l| l.file).collect();
        assert_eq!(shipped, on_disk);
        for lesson in LESSONS {
            assert_eq!(lesson.text, std::fs::read_to_string(dir.join(lesson.file)).unwrap());
            let (scene, objective) = lesson.load().unwrap_or_else(|e| panic!("{}: {e}", lesson.file));
            assert_eq!(scene, scene::load(&dir.join(lesson.file)).unwrap());
            assert!(objective.dim() > 0);
        }
    }

    #[test]
    fn lessons_are_found_by_file_name_or_stem() {
        assert_eq!(LESSONS[first()].file, "01_x_squared.ron");
        assert_eq!(find("08_exploding"), find("08_exploding.ron"));
        assert_eq!(find("08"), find("08_exploding.ron"));
        assert_eq!(LESSONS[find("03b").unwrap()].file, "03b_momentum_adam.ron");
        assert!(numbers().starts_with("00, 01, 02, 03, 03b"), "{}", numbers());
        assert!(find("08_exploding").is_some());
        assert_eq!(find("nonexistent"), None);
        assert_eq!(find(""), None);
    }

    #[test]
    fn every_lesson_has_a_title_for_the_menu() {
        assert_eq!(title(find("00").unwrap()), "the derivative as a limit");
        assert_eq!(title(find("13c").unwrap()), "the same two classes, softmax cross-entropy");
        for (i, lesson) in LESSONS.iter().enumerate() {
            assert!(!title(i).is_empty() && !title(i).starts_with("Lesson"), "{}: {}", lesson.file, title(i));
        }
        assert_eq!(title(LESSONS.len()), "");
    }
}
