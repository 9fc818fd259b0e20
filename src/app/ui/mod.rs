//! The egui pass (`EguiPrimaryContextPass`), the top layer under `app/mod.rs`: the side panel
//! and its sections, the plots panel, the lesson card, the Share window and the labels painted
//! over the 3D view. UI systems only read state and edit data or send messages (STYLE.md (c)
//! 7); they never step, rebuild or do file IO. Each runs in its [`UiSystems`] set, which
//! `app/mod.rs` orders.
//!
//! [`UiSystems`]: crate::app::UiSystems

mod legend;
mod lesson;
mod log_axis;
mod objective;
mod overlays;
mod panel;
mod placement;
mod plot_key;
mod plots;
mod runs;
mod share;
mod surface_controls;
mod widgets;

#[cfg(test)]
pub(super) use panel::SidePanel;
#[cfg(test)]
pub(super) use widgets::PanelState;

use bevy::prelude::*;

/// Every UI plugin (needs `EguiPlugin`).
pub(super) fn plugin(app: &mut App) {
    app.add_plugins((panel::plugin, plots::plugin, lesson::plugin, share::plugin, overlays::plugin));
}
