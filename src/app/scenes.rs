//! Where a new scene comes from besides a file: lesson mode's list of lessons (Previous / Next,
//! PageUp / PageDown or ← / →) and shared lines (a scene as one line of text, the format of
//! [`crate::share`]). A loaded scene goes on as one [`SwitchScene`]; a scene that fails to load
//! leaves the one on screen and says why in one line. The lesson card and the Share window
//! that send these requests are drawn by `ui/lesson.rs` and `ui/share.rs`.
//!
//! The lessons are the scenes of `assets/scenes` in file-name order (00, 01, 02, 03, 03b, …,
//! 07b, 07c, …, 13c), compiled into the binary ([`crate::lessons`]). The app starts in lesson mode on the first lesson when no scene is given
//! (`cargo run`); a scene opened by name (`losscape SCENE`, `losscape open LINE`) starts in
//! explorer mode.
//!
//! The share line of the scene on screen is made in `Update` (a scene with CSV data reads the
//! file to inline it, and UI systems never do file IO, STYLE.md (c) 7), only while the Share
//! window is open, and again only when the scene was edited. A shared line restores its scene
//! exactly (the same objective, data, runs and settings, so the same trajectory).

use std::path::Path;

use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

use super::sets::AppSystems;
use super::settings::{SimSettings, StatusLine};
use super::sim::{Simulation, SwitchScene, load_lesson};
use crate::core::CoreError;
use crate::lessons::LESSONS;
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

/// Whether the classroom view is on, and where the scene on screen is among the lessons
/// ([`LESSONS`], in file-name order, so 05 comes before 05b and 07b before 07c).
#[derive(Resource, Clone, Debug, Default, PartialEq, Eq)]
pub struct LessonMode {
    /// Lesson mode (large type, lesson card, advanced controls hidden) or explorer mode.
    pub active: bool,
    /// Index in [`LESSONS`] of the scene on screen, when it is one of them.
    pub current: Option<usize>,
}

impl LessonMode {
    /// Lesson mode on or off.
    pub fn new(active: bool) -> Self {
        Self { active, current: None }
    }

    /// The lesson `step` places after the current one (−1: previous, +1: next), if there is
    /// one. From a scene that is not a lesson, "next" goes to the first lesson.
    pub fn neighbour(&self, step: isize) -> Option<usize> {
        let target = match self.current {
            Some(i) => i.checked_add_signed(step)?,
            None if step > 0 => 0,
            None => return None,
        };
        (target < LESSONS.len()).then_some(target)
    }
}

/// Open lesson number `.0` (an index into [`LESSONS`]).
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

/// Follows the lesson on screen after this frame's scene switch (a lesson, a file that is one,
/// or a scene that is none).
fn track_current_lesson(settings: Res<SimSettings>, mut lesson: ResMut<LessonMode>) {
    if lesson.current != settings.lesson {
        lesson.current = settings.lesson;
    }
}

/// Loads the requested lesson; a scene that fails to load leaves the current one and says why.
fn open_lesson(mut requests: MessageReader<GoToLesson>, mut switch: MessageWriter<SwitchScene>, mut status: ResMut<StatusLine>) {
    let Some(&GoToLesson(i)) = requests.read().last() else { return };
    match load_lesson(i) {
        Ok((settings, sim)) => {
            switch.write(SwitchScene { settings, sim });
            status.info(format!("lesson {} of {}", i + 1, LESSONS.len()));
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
    /// The web page's address (without fragment): the window then offers the line as a link,
    /// `address#losscape1.…`, which opens the scene on any page. `None` on the desktop.
    pub address: Option<String>,
}

/// The longest link the Share window offers; a larger scene (big inline data) is offered as a
/// file instead. Chat programs and some browsers cut longer URLs.
pub const MAX_LINK: usize = 8_000;

impl ShareState {
    /// The link that opens the scene on screen, when on the web and short enough; otherwise
    /// `Err(length)` of the link that would be too long (0 when there is no page or line).
    pub fn link(&self) -> Result<String, usize> {
        let (Some(address), Some(Ok(line))) = (&self.address, &self.line) else { return Err(0) };
        let link = format!("{address}#{line}");
        if link.len() <= MAX_LINK { Ok(link) } else { Err(link.len()) }
    }
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
    let mut settings = SimSettings::new(scene, None);
    settings.lesson = crate::lessons::identify_scene(&settings.scene);
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
        LessonMode::new(true)
    }

    /// The Share window's state on a page at `address` for `scene`, as the window makes it.
    fn shared(scene: &Scene, address: &str) -> ShareState {
        let line = crate::share::encode(scene, Path::new("."));
        ShareState { line: Some(line), address: Some(address.into()), ..Default::default() }
    }

    #[test]
    fn a_scene_is_a_link_unless_too_large_then_a_file() {
        let text = LESSONS[1].text;
        let scene = crate::scene::parse(text, crate::scene::Format::Ron, Path::new(LESSONS[1].file)).expect("a lesson parses");
        let link = shared(&scene, "https://example.org/losscape/").link().expect("a lesson fits a link");
        assert!(link.starts_with("https://example.org/losscape/#losscape1.") && link.len() <= MAX_LINK);
        assert_eq!(crate::share::decode(&link).expect("the link decodes"), scene);
        // Lesson 6's network on 2000 inline rows: far past a link, so the window offers the file.
        let mut big = crate::scene::parse(
            LESSONS.iter().find(|l| l.file.starts_with("06_")).unwrap().text,
            crate::scene::Format::Ron,
            Path::new("06.ron"),
        )
        .expect("parses");
        let crate::core::ObjectiveSpec::Network(net) = &mut big.objective else { panic!("lesson 6 is a network") };
        let rows = (0..2000).map(|i| (i as f64 * 0.7548776662).fract() * 2.0 - 1.0);
        let x: Vec<Vec<f64>> = rows.clone().zip(rows.skip(1)).map(|(a, b)| vec![a, b]).collect();
        let y = x.iter().map(|r| vec![(r[0] * r[1]).signum()]).collect();
        net.data = crate::core::DataSpec::Inline(crate::core::Table { x, y });
        let state = shared(&big, "https://example.org/losscape/");
        assert!(matches!(state.line, Some(Ok(_))), "the large scene still has a line");
        let long = state.link().expect_err("too large for a link");
        assert!(long > MAX_LINK, "{long}");
        // On the desktop (no page address) there is no link at all.
        assert_eq!(ShareState { address: None, ..shared(&scene, "x") }.link(), Err(0));
    }

    #[test]
    fn lessons_are_in_classroom_order() {
        let names: Vec<&str> = LESSONS.iter().map(|l| l.file).collect();
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
        let n = LESSONS.len();
        assert_eq!(l.neighbour(1), Some(0), "from a scene that is no lesson, next is the first lesson");
        assert_eq!(l.neighbour(-1), None);
        l.current = Some(0);
        assert_eq!((l.neighbour(-1), l.neighbour(1)), (None, Some(1)));
        l.current = Some(n - 1);
        assert_eq!((l.neighbour(-1), l.neighbour(1)), (Some(n - 2), None));
    }

    #[test]
    fn a_lesson_file_is_that_lesson_and_an_edited_copy_is_not() {
        let dotted = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/./scenes").join(LESSONS[2].file);
        let (settings, _) = super::super::sim::load_scene(&dotted).unwrap();
        assert_eq!(settings.lesson, Some(2));
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join(LESSONS[2].file);
        let mut scene = settings.scene.clone();
        scene.steps += 1;
        crate::scene::save(&copy, &scene).unwrap();
        let (edited, _) = super::super::sim::load_scene(&copy).unwrap();
        assert_eq!(edited.lesson, None, "an edited copy is not the lesson");
        crate::scene::save(&copy, &settings.scene).unwrap();
        assert_eq!(super::super::sim::load_scene(&copy).unwrap().0.lesson, Some(2), "an unedited copy elsewhere is");
    }
}
