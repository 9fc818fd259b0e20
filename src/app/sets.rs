//! The system sets every plugin of the app puts its systems in: [`AppSystems`] for `Update`
//! and [`UiSystems`] for the egui pass. `app/mod.rs` chains each of them once; a plugin names
//! a set, never another plugin's system.

use bevy::prelude::*;

/// The order of each frame's work in `Update`, chained once in `app/mod.rs`.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppSystems {
    /// Keyboard shortcuts (play, step, reset, lesson keys).
    ReadInput,
    /// Open, save and export files.
    FileActions,
    /// Start or stop recording a GIF (its frames are taken in `SyncVisuals`).
    Record,
    /// A click on the surface moves the start (picked through the camera as last drawn).
    Pick,
    /// The orbit camera moves and its viewport is fitted between the panels.
    MoveCamera,
    /// A lesson or a shared line is loaded (and sent on as one `SwitchScene`).
    LoadScene,
    /// The one place a whole new scene replaces the old one.
    SwitchScene,
    /// Rebuild, restart, step the session.
    Simulate,
    /// Stop runs that left the landscape; start and collect background grids.
    Landscape,
    /// Note what this frame changed: stopped runs on the status line, the lesson on screen.
    Report,
    /// Swap in the surface's new geometry.
    SyncSurface,
    /// Balls, trails, diagnostics, the share line, screenshots.
    SyncVisuals,
}

/// The order of the egui pass (`EguiPrimaryContextPass`), chained once in `app/mod.rs`: the
/// type size first, then the panels from the outside in (each records its size in
/// `UiLayout` for the next), windows, and last the labels painted over the 3D view.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UiSystems {
    /// Fonts and the text size (lesson or explorer mode).
    Style,
    /// The left panel: controls.
    SidePanel,
    /// The right panel: plots.
    PlotsPanel,
    /// The lesson card above the 3D view (or the mode switch).
    LessonCard,
    /// Floating windows (Share).
    Windows,
    /// Axis labels, legends and true losses painted over the 3D view.
    Overlays,
}
