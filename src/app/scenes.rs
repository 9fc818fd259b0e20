//! Where a new scene comes from besides a file: lesson mode's list of lessons (Previous / Next,
//! PageUp / PageDown or ← / →) and shared lines (a scene as one line of text, the format of
//! [`crate::share`]). A loaded scene goes on as one [`SwitchScene`]; a scene that fails to load
//! leaves the one on screen and says why in one line. The lesson card and the Share window
//! that send these requests are drawn by `ui/lesson.rs` and `ui/share.rs`.
//!
//! The lessons are the scenes of `assets/scenes` in file-name order (00, 01, 02, 03, 03b, …,
//! 07b, 07c, …, 12). The app starts in lesson mode on the first lesson when no scene is given
//! (`cargo run`); a scene opened by name (`losscape SCENE`, `losscape open LINE`) starts in
//! explorer mode.
//!
//! The share line of the scene on screen is made in `Update` (a scene with CSV data reads the
//! file to inline it, and UI systems never do file IO, STYLE.md (c) 7), only while the Share
//! window is open, and again only when the scene was edited. A shared line restores its scene
//! exactly (the same objective, data, runs and settings, so the same trajectory).

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

use super::sets::AppSystems;
use super::settings::{SimSettings, StatusLine, scenes_dir};
use super::sim::{Simulation, SwitchScene, load_scene};
use crate::core::CoreError;
use crate::scene::{Scene, SceneError};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<LessonMode>()
        .init_resource::<ShareState>()
        .add_message::<GoToLesson>()
        .add_message::<OpenSharedLine>()
        .add_systems(
            Update,
            read_lesson_keys
                .in_set(AppSystems::ReadInput)
                .run_if(resource_exists::<ButtonInput<KeyCode>>)
                .run_if(|lesson: Res<LessonMode>| lesson.active),
        )
        .add_systems(Update, (open_lesson, open_shared_line).chain().in_set(AppSystems::LoadScene))
        .add_systems(Update, track_current_lesson.in_set(AppSystems::Report))
        .add_systems(Update, refresh_share_line.run_if(|state: Res<ShareState>| state.open).in_set(AppSystems::SyncVisuals));
}

/// Whether the classroom view is on, and the lessons it walks through.
#[derive(Resource, Clone, Debug)]
pub struct LessonMode {
    /// Lesson mode (large type, lesson card, advanced controls hidden) or explorer mode.
    pub active: bool,
    /// The lesson scenes, in file-name order.
    pub lessons: Vec<PathBuf>,
    /// Index in `lessons` of the scene on screen, when it is one of them.
    pub current: Option<usize>,
    /// The scene path `current` was worked out for.
    seen: Option<PathBuf>,
}

impl Default for LessonMode {
    fn default() -> Self {
        Self::new(false, &scenes_dir())
    }
}

impl LessonMode {
    /// Lesson mode on or off, over the `.ron` and `.json` scenes of `dir` sorted by file name
    /// (so 05 comes before 05b, and 07b before 07c).
    pub fn new(active: bool, dir: &Path) -> Self {
        let mut lessons: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "ron" || e == "json"))
            .collect();
        lessons.sort_by_key(|p| p.file_name().map(|n| n.to_os_string()));
        Self { active, lessons, current: None, seen: None }
    }

    /// The lesson `step` places after the current one (−1: previous, +1: next), if there is
    /// one. From a scene that is not a lesson, "next" goes to the first lesson.
    pub fn neighbour(&self, step: isize) -> Option<usize> {
        let target = match self.current {
            Some(i) => i.checked_add_signed(step)?,
            None if step > 0 => 0,
            None => return None,
        };
        (target < self.lessons.len()).then_some(target)
    }

    /// Index of the lesson at `path`: the same path, or the same file in the same folder.
    fn position(&self, path: &Path) -> Option<usize> {
        if let Some(i) = self.lessons.iter().position(|l| l == path) {
            return Some(i);
        }
        let real = std::fs::canonicalize(path).ok()?;
        self.lessons.iter().position(|l| std::fs::canonicalize(l).is_ok_and(|l| l == real))
    }
}

/// Open lesson number `.0` (an index into [`LessonMode::lessons`]).
#[derive(Message, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoToLesson(pub usize);

/// PageDown or → for the next lesson, PageUp or ← for the previous one, unless a text field
/// has the keyboard.
fn read_lesson_keys(
    keys: Res<ButtonInput<KeyCode>>,
    wants: Option<Res<EguiWantsInput>>,
    lesson: Res<LessonMode>,
    mut go: MessageWriter<GoToLesson>,
) {
    if wants.is_some_and(|w| w.wants_any_keyboard_input()) {
        return;
    }
    let step = if keys.any_just_pressed([KeyCode::PageDown, KeyCode::ArrowRight]) {
        1
    } else if keys.any_just_pressed([KeyCode::PageUp, KeyCode::ArrowLeft]) {
        -1
    } else {
        return;
    };
    if let Some(i) = lesson.neighbour(step) {
        go.write(GoToLesson(i));
    }
}

/// Works out which lesson is on screen whenever the scene's file changes (the presets menu and
/// "Open scene" change it too), after this frame's scene switch.
fn track_current_lesson(settings: Res<SimSettings>, mut lesson: ResMut<LessonMode>) {
    if lesson.seen == settings.path {
        return;
    }
    let current = settings.path.as_deref().and_then(|p| lesson.position(p));
    lesson.current = current;
    lesson.seen = settings.path.clone();
}

/// Loads the requested lesson; a scene that fails to load leaves the current one and says why.
fn open_lesson(
    mut requests: MessageReader<GoToLesson>,
    mut lesson: ResMut<LessonMode>,
    mut switch: MessageWriter<SwitchScene>,
    mut status: ResMut<StatusLine>,
) {
    let Some(&GoToLesson(i)) = requests.read().last() else { return };
    let Some(path) = lesson.lessons.get(i).cloned() else { return };
    match load_scene(&path) {
        Ok((settings, sim)) => {
            switch.write(SwitchScene { settings, sim });
            lesson.current = Some(i);
            lesson.seen = Some(path);
            status.info(format!("lesson {} of {}", i + 1, lesson.lessons.len()));
        }
        Err(e) => status.error(e.to_string()),
    }
}

/// The share window's state: whether it is shown, the current scene's line, the pasted text.
#[derive(Resource, Default, Debug)]
pub struct ShareState {
    /// Whether the window is shown.
    pub open: bool,
    /// The scene on screen as a line (or why it cannot be made), kept up to date while open.
    pub line: Option<Result<String, SceneError>>,
    /// The scene `line` was made from.
    encoded: Option<Scene>,
    /// What the user pasted.
    pub paste: String,
    /// The outcome of the last "Open": a one-line message, and whether it is an error.
    pub message: Option<(String, bool)>,
}

/// Restore the scene of a shared line (text as pasted; surrounding whitespace is ignored).
#[derive(Message, Clone, Debug)]
pub struct OpenSharedLine(pub String);

/// Makes the line of the scene on screen when the window is open and the scene changed.
fn refresh_share_line(settings: Res<SimSettings>, mut state: ResMut<ShareState>) {
    if state.encoded.as_ref() == Some(&settings.scene) {
        return;
    }
    let line = crate::share::encode(&settings.scene, &settings.scene_dir());
    state.line = Some(line);
    state.encoded = Some(settings.scene.clone());
}

/// Decodes a shared line and puts its scene on screen; a bad line leaves the scene as it was.
fn open_shared_line(
    mut requests: MessageReader<OpenSharedLine>,
    mut switch: MessageWriter<SwitchScene>,
    mut state: ResMut<ShareState>,
    mut status: ResMut<StatusLine>,
) {
    let Some(OpenSharedLine(text)) = requests.read().last() else { return };
    match restore(text) {
        Ok((settings, sim)) => {
            let message = format!("opened the shared scene \u{201c}{}\u{201d}", settings.scene.name);
            switch.write(SwitchScene { settings, sim });
            status.info(message.clone());
            state.message = Some((message, false));
        }
        Err(e) => {
            // One line, whatever the decoder said.
            let e = e.to_string().lines().next().unwrap_or_default().to_owned();
            status.error(e.clone());
            state.message = Some((e, true));
        }
    }
}

/// The settings and the simulation of a shared line's scene (its data is inline, so no folder
/// is needed).
pub fn restore(text: &str) -> Result<(SimSettings, Simulation), ShareError> {
    let scene = crate::share::decode(text)?;
    let objective = scene.build_in(Path::new("."))?;
    let settings = SimSettings::new(scene, None);
    let sim = Simulation::new(objective, &settings)?;
    Ok((settings, sim))
}

/// Why a shared line did not open.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShareError {
    /// Not a line of this format, or its scene does not check.
    #[error(transparent)]
    Line(#[from] SceneError),
    /// Its objective does not build or its runs cannot start.
    #[error("shared scene: {0}")]
    Build(#[from] CoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lessons() -> LessonMode {
        LessonMode::new(true, &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes"))
    }

    #[test]
    fn lessons_are_in_classroom_order() {
        let names: Vec<String> = lessons().lessons.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        let at = |n: &str| names.iter().position(|x| x.starts_with(n)).unwrap_or_else(|| panic!("{n} missing from {names:?}"));
        assert!(names[0].starts_with("00_"), "the derivative comes first: {names:?}");
        assert!(names[1].starts_with("01_"), "{names:?}");
        assert!(at("05_") < at("05b_") && at("05b_") < at("06_"));
        assert!(at("07_") < at("07b_") && at("07b_") < at("07c_") && at("07c_") < at("08_"));
        assert!(at("03_") < at("03b_") && at("03b_") < at("04_"));
        assert!(at("07c_") < at("07d_") && at("07d_") < at("07e_") && at("07e_") < at("08_"));
        assert!(at("08_") < at("08b_") && at("08b_") < at("10_"));
        assert!(at("10_") < at("10b_") && at("10b_") < at("10c_") && at("10c_") < at("11_"));
        assert!(at("11_") < at("12_"));
        assert!(at("12_") < at("13_") && at("13_") < at("13b_") && at("13b_") < at("13c_"));
        assert!(names.last().unwrap().starts_with("13c_"), "{names:?}");
    }

    #[test]
    fn neighbours_stop_at_both_ends() {
        let mut l = lessons();
        let n = l.lessons.len();
        assert_eq!(l.neighbour(1), Some(0), "from a scene that is no lesson, next is the first lesson");
        assert_eq!(l.neighbour(-1), None);
        l.current = Some(0);
        assert_eq!((l.neighbour(-1), l.neighbour(1)), (None, Some(1)));
        l.current = Some(n - 1);
        assert_eq!((l.neighbour(-1), l.neighbour(1)), (Some(n - 2), None));
    }

    #[test]
    fn a_lesson_is_found_by_another_spelling_of_its_path() {
        let l = lessons();
        let dotted = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/./scenes").join(l.lessons[2].file_name().unwrap());
        assert_eq!(l.position(&dotted), Some(2));
        assert_eq!(l.position(Path::new("/nonexistent/01_x_squared.ron")), None);
    }
}
