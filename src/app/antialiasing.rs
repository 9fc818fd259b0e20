//! Antialiasing that fits the renderer. The 3D view is drawn with 4× multisampling, which
//! smooths the surface's edges and costs little on a GPU. A software renderer — Mesa's
//! llvmpipe/lavapipe on a desktop without a GPU driver, SwiftShader in a browser without GPU
//! access — rasterises every sample on the CPU, and there each frame is what the user waits
//! for (in headless Chromium here, a lesson's surface appears two to four frames after Next).
//! So on a software renderer the interactive view draws without multisampling; a scripted
//! screenshot or recording (`--screenshot`, `--record`: a picture kept) keeps 4×.

use bevy::prelude::*;
use bevy::render::renderer::RenderAdapterInfo;
use wgpu_types::DeviceType;

use super::camera::ViewCamera;
use super::record::ScriptedRecording;
use super::screenshot::ScriptedScreenshot;
use super::sets::AppSystems;

pub(super) fn plugin(app: &mut App) {
    // The adapter is known at start on the desktop, a few frames later on the web page.
    app.add_systems(Update, fit_msaa_to_renderer.run_if(resource_added::<RenderAdapterInfo>).in_set(AppSystems::MoveCamera));
}

/// The multisampling for a renderer: none on a software renderer, unless a picture is kept.
pub fn msaa_for(device: DeviceType, keeps_pictures: bool) -> Msaa {
    if device == DeviceType::Cpu && !keeps_pictures { Msaa::Off } else { Msaa::Sample4 }
}

/// Sets the view camera's multisampling through a command: the camera's `Msaa` is only read
/// here, as Bevy's own `check_msaa` reads it in `Update` in no order with the app's systems.
fn fit_msaa_to_renderer(
    mut commands: Commands,
    adapter: Res<RenderAdapterInfo>,
    screenshot: Option<Res<ScriptedScreenshot>>,
    recording: Option<Res<ScriptedRecording>>,
    cameras: Query<(Entity, &Msaa), With<ViewCamera>>,
) {
    let msaa = msaa_for(adapter.device_type, screenshot.is_some() || recording.is_some());
    for (camera, &now) in &cameras {
        if now != msaa {
            info!("{} is a software renderer: the 3D view is drawn without multisampling", adapter.name);
            commands.entity(camera).insert(msaa);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_interactive_software_renderer_drops_multisampling() {
        assert_eq!(msaa_for(DeviceType::Cpu, false), Msaa::Off);
        assert_eq!(msaa_for(DeviceType::Cpu, true), Msaa::Sample4);
        for gpu in [DeviceType::DiscreteGpu, DeviceType::IntegratedGpu, DeviceType::VirtualGpu, DeviceType::Other] {
            assert_eq!(msaa_for(gpu, false), Msaa::Sample4);
        }
    }
}
