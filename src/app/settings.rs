//! The app's shared state and one-off actions, low in the layers so every feature can use
//! them: the scene being shown ([`SimSettings`]), the view switches ([`ViewSwitches`]), play or
//! pause (the [`Play`] state), the status line, the panels' sizes ([`UiLayout`]), the
//! messages the panel and the keyboard send (reset, step, rebuild, recompute the surface, a new
//! start, reset the view) and the keyboard shortcuts.
//!
//! The panel edits `SimSettings` and `ViewSwitches` only when a value really changes, so
//! systems can react to their change detection (run specs); everything that restarts or
//! recomputes something travels as a message.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use bevy::state::state::{FreelyMutableState, StateTransition, StateTransitionEvent};
use bevy_egui::input::EguiWantsInput;

use super::sets::AppSystems;
use crate::scene::Scene;

pub(super) fn plugin(app: &mut App) {
    init_play_state(app);
    app.add_message::<Reset>()
        .add_message::<StepOnce>()
        .add_message::<RebuildObjective>()
        .add_message::<RecomputeSurface>()
        .add_message::<SetStart>()
        .add_message::<ResetView>()
        .init_resource::<StatusLine>()
        .init_resource::<ViewSwitches>()
        .init_resource::<UiLayout>()
        .init_resource::<WidgetPlaces>()
        .init_resource::<FixedStepping>()
        .add_systems(
            Update,
            read_shortcuts.in_set(AppSystems::ReadInput).run_if(resource_exists::<ButtonInput<KeyCode>>).run_if(keyboard_is_free),
        );
}

/// The scene being shown, as the panel edits it.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct SimSettings {
    /// The scene (objective, runs, steps, surface, camera), saved as is by "Save scene".
    pub scene: Scene,
    /// The scene's file, when it came from one (CSV data and "Save" resolve from it).
    pub path: Option<PathBuf>,
    /// The lesson ([`crate::lessons::LESSONS`] index) this scene is, unedited or not.
    pub lesson: Option<usize>,
}

impl SimSettings {
    /// Settings for a scene loaded from `path` (or built in memory when `None`).
    pub fn new(scene: Scene, path: Option<PathBuf>) -> Self {
        Self { scene, path, lesson: None }
    }

    /// The scene of lesson `index`.
    pub fn lesson(scene: Scene, index: usize) -> Self {
        Self { scene, path: None, lesson: Some(index) }
    }

    /// The name "Save" suggests and the presets menu shows: the file's, or the lesson's.
    pub fn file_name(&self) -> Option<String> {
        match (&self.path, self.lesson.and_then(|i| crate::lessons::LESSONS.get(i))) {
            (Some(p), _) => p.file_name().map(|n| n.to_string_lossy().into_owned()),
            (None, Some(l)) => Some(l.file.to_owned()),
            (None, None) => None,
        }
    }

    /// The folder CSV data paths are relative to.
    pub fn scene_dir(&self) -> PathBuf {
        self.path.as_deref().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default()
    }
}

/// What is drawn besides the surface: switches of the view, not of the scene (not saved; back
/// to their defaults when a new scene is shown).
#[derive(Resource, Clone, Copy, Debug, PartialEq)]
pub struct ViewSwitches {
    /// Draw each ball's gradient arrow.
    pub show_gradient: bool,
    /// Draw each ball's last step (differs from −lr·g with momentum or Adam).
    pub show_step: bool,
    /// Draw trails.
    pub show_trails: bool,
    /// Secant width h for 1-parameter objectives, in parameter units.
    pub secant_h: f64,
}

impl Default for ViewSwitches {
    fn default() -> Self {
        Self { show_gradient: true, show_step: true, show_trails: true, secant_h: 0.5 }
    }
}

/// Whether the balls roll. A new scene starts playing; it pauses by itself at its last step.
#[derive(States, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Play {
    /// `steps_per_frame` steps every frame.
    #[default]
    Playing,
    /// No steps but the ones asked for (Step, S).
    Paused,
}

impl Play {
    /// Playing ↔ paused.
    pub fn toggled(self) -> Self {
        match self {
            Play::Playing => Play::Paused,
            Play::Paused => Play::Playing,
        }
    }
}

/// Restart every run from the current start.
#[derive(Message, Clone, Copy, Debug, Default)]
pub struct Reset;

/// Take one step (also while paused).
#[derive(Message, Clone, Copy, Debug, Default)]
pub struct StepOnce;

/// The objective's spec changed: build it again, restart the runs and recompute the surface.
/// The text, when there is one, says what changed it (a picked CSV: "data.csv: 200 rows, 2
/// input columns"): the status line shows it beside the new parameter count, where the
/// rebuild's own news would otherwise replace it in the same frame.
#[derive(Message, Clone, Debug, Default)]
pub struct RebuildObjective(pub Option<String>);

/// The surface's settings changed (resolution, span, directions, centre): compute a new grid.
#[derive(Message, Clone, Copy, Debug, Default)]
pub struct RecomputeSurface;

/// Restart every run from this θ (click on the surface).
#[derive(Message, Clone, Debug)]
pub struct SetStart(pub Vec<f64>);

/// Put the camera back where the scene says.
#[derive(Message, Clone, Copy, Debug, Default)]
pub struct ResetView;

/// While set (a recording), every frame takes exactly the scene's `steps_per_frame` steps,
/// however long they take: an animation must not depend on how fast the machine draws.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FixedStepping(pub bool);

/// `--record --size WxH`: the 3D view is exactly this many physical pixels (placed at the top
/// left of the room between the panels, which the window is made large enough to hold).
#[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedViewSize(pub UVec2);

/// Sizes of the egui panels in logical pixels (written by the panels, read by the viewport).
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct UiLayout {
    /// Left panel width.
    pub left: f32,
    /// Right panel width.
    pub right: f32,
    /// Height of the lesson card above the 3D view (0 in explorer mode).
    pub top: f32,
    /// Height of the strip at the bottom of the 3D view that the legend covers (with its
    /// margin; 0 before the first surface): the scene is framed above it.
    pub legend: f32,
}

/// Where some of the panels' buttons and fields were drawn, by name, `[x, y, width, height]` in
/// egui's points: the web page tells its scripts and the browser test (`data-widget-NAME`),
/// which click them on the canvas egui draws into. A widget not on screen keeps its last place.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct WidgetPlaces(pub std::collections::BTreeMap<&'static str, [f32; 4]>);

impl WidgetPlaces {
    /// Notes where `name` was drawn this frame.
    pub fn note(&mut self, name: &'static str, rect: [f32; 4]) {
        self.0.insert(name, rect);
    }
}

/// The last thing worth telling the user (saved files, errors, divergence).
#[derive(Resource, Clone, Debug, Default)]
pub struct StatusLine {
    /// The message.
    pub text: String,
    /// Whether it reports a failure.
    pub error: bool,
    /// Why the edited objective was not applied, while it is not: shown in red under the
    /// objective's fields, because the status line is soon overwritten by other news.
    pub objective: Option<String>,
}

impl StatusLine {
    /// Shows an informative message.
    pub fn info(&mut self, text: impl Into<String>) {
        self.text = text.into();
        self.error = false;
    }

    /// Shows an error.
    pub fn error(&mut self, text: impl Into<String>) {
        self.text = text.into();
        self.error = true;
    }
}

/// What `init_state::<Play>()` does, less Bevy's state-scoped entities: nothing is spawned per
/// play state, and those systems (generic over `Play`, so named after it) are left unordered
/// with the transition's own by Bevy, which the whole-app ambiguity test would report as ours.
/// Needs Bevy's `StatesPlugin` (`headless_plugin` adds it when missing).
fn init_play_state(app: &mut App) {
    app.init_resource::<State<Play>>().init_resource::<NextState<Play>>().add_message::<StateTransitionEvent<Play>>();
    let schedule = app.get_schedule_mut(StateTransition).expect("the StatesPlugin is added before the app's plugins");
    Play::register_state(schedule);
}

/// Space plays or pauses, S steps once, R resets.
fn read_shortcuts(
    keys: Res<ButtonInput<KeyCode>>,
    play: Res<State<Play>>,
    mut next: ResMut<NextState<Play>>,
    mut step: MessageWriter<StepOnce>,
    mut reset: MessageWriter<Reset>,
) {
    if keys.just_pressed(KeyCode::Space) {
        next.set(play.get().toggled());
    }
    if keys.just_pressed(KeyCode::KeyS) {
        next.set(Play::Paused);
        step.write(StepOnce);
    }
    if keys.just_pressed(KeyCode::KeyR) {
        reset.write(Reset);
    }
}

/// True unless egui is typing into a field (true without egui, as in headless tests).
fn keyboard_is_free(wants: Option<Res<EguiWantsInput>>) -> bool {
    wants.is_none_or(|w| !w.wants_any_keyboard_input())
}
