//! The web page (the `wasm32` build): the URL fragment opens a shared scene
//! (`…/#losscape1.…`) or a lesson (`…/#lesson=08`), when the page opens and whenever the
//! fragment changes; the Share window
//! learns the page's address to offer links, and the files chosen in the browser's file picker
//! arrive here — a scene replaces the one on screen, a data CSV goes into the network's scene
//! inline (a page has no folder to name it by). The page's `<html>` element carries what is on
//! screen (`data-scene`, `data-surfaces`: surfaces drawn so far; `data-view`,
//! `data-recording`: the 3D view a GIF is cut to, frames recorded; `data-ball`: where run 1's
//! ball is drawn; `data-status`: the status line; `data-orbit`: the camera; `data-share-open`,
//! `data-share-link`, `data-share-message`: the Share window; `data-widget-NAME`: where the
//! panels drew a few buttons and fields, e.g. `record`, `next`, `files`, `file-name`,
//! `choose-csv`) for its scripts and the browser test.

use std::path::Path;

use bevy::prelude::*;

use super::ball::Ball;
use super::camera::{Orbit, ViewCamera};
use super::landscape::GridTask;
use super::record::Recorder;
use super::scenes::{GoToLesson, OpenSharedLine, ShareState};
use super::sets::AppSystems;
use super::settings::{RebuildObjective, SimSettings, StatusLine, WidgetPlaces};
use super::sim::{SwitchScene, load_scene_text};
use super::surface::SurfaceView;
use crate::browser::{self, Picked, Purpose};
use crate::core::{CsvSource, DataSpec, ObjectiveSpec};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, note_address)
        .add_systems(Update, follow_fragment.in_set(AppSystems::ReadInput))
        .add_systems(Update, receive_picked_files.in_set(AppSystems::FileActions))
        .add_systems(
            Update,
            (report_to_page, report_recording, report_ball, report_widgets, report_status_orbit_and_link).in_set(AppSystems::SyncVisuals),
        );
}

/// The 3D view a recording is cut to (physical pixels `x,y,width,height`: CSS pixels on a page
/// without zoom) and the frames recorded so far (empty when not recording), on the page's
/// `<html>`, each time one of them changes. (Where to click Record is `data-widget-record`.)
fn report_recording(recorder: Res<Recorder>, camera: Single<&Camera, With<ViewCamera>>, mut shown: Local<[String; 2]>) {
    let now = [
        camera.viewport.as_ref().map_or(String::new(), |v| {
            let (p, s) = (v.physical_position, v.physical_size);
            format!("{},{},{},{}", p.x, p.y, s.x, s.y)
        }),
        recorder.frames().map_or(String::new(), |n| n.to_string()),
    ];
    publish(["view", "recording"], now, &mut shown);
}

/// Sets each `data-KEY` whose value changed since the last call (`shown`).
fn publish<const N: usize>(keys: [&str; N], now: [String; N], shown: &mut [String; N]) {
    for ((key, value), old) in keys.into_iter().zip(&now).zip(shown.iter()) {
        if value != old {
            browser::set_page_state(key, value);
        }
    }
    *shown = now;
}

/// The status line (`data-status`; `data-status-error` is `1` while it reports a failure), the
/// camera (`data-orbit`: yaw and pitch in degrees, distance, the point looked at) and the Share
/// window (`data-share-open`: `1` while it is shown; `data-share-link`, empty when it offers
/// none; `data-share-message`: what the last Open did), on the page's `<html>` whenever they
/// change: the browser test reads what a picked file or a pasted line did, sees one finger
/// orbit and two zoom and pan, and checks the link.
fn report_status_orbit_and_link(
    status: Res<StatusLine>,
    orbit: Single<&Orbit, With<ViewCamera>>,
    share: Res<ShareState>,
    mut shown: Local<[String; 6]>,
) {
    let Orbit { yaw, pitch, distance, target } = **orbit;
    let now = [
        status.text.clone(),
        u8::from(status.error).to_string(),
        format!("{:.2},{:.2},{:.3},{:.3},{:.3},{:.3}", yaw.to_degrees(), pitch.to_degrees(), distance, target.x, target.y, target.z),
        share.link().unwrap_or_default(),
        share.message.as_ref().map_or(String::new(), |(text, _)| text.clone()),
        u8::from(share.open).to_string(),
    ];
    publish(["status", "status-error", "orbit", "share-link", "share-message", "share-open"], now, &mut shown);
}

/// Each surface put on screen: the scene's name, the count, and its vertices per side (a coarse
/// first look at a costly surface has fewer than the scene's), on the page's `<html>`. Only a
/// surface of the newest request counts: after a switch to another scene the old landscape
/// may be drawn again (another scene's height scale or contours) before the new one lands.
fn report_to_page(view: Option<Res<SurfaceView>>, tasks: Res<GridTask>, settings: Res<SimSettings>, mut drawn: Local<u64>) {
    let Some(view) = view else { return };
    if !view.is_changed() || view.map.land.generation != tasks.requested {
        return;
    }
    *drawn += 1;
    browser::set_page_state("scene", &settings.scene.name);
    browser::set_page_state("surface-res", &view.map.land.res().to_string());
    browser::set_page_state("surfaces", &drawn.to_string());
}

/// Where run 1's ball is drawn (CSS pixels `x,y`, empty when it is off screen), on the page's
/// `<html>` whenever it moves: the browser test looks for the ball's colour there.
fn report_ball(
    camera: Single<(&Camera, &GlobalTransform), With<ViewCamera>>,
    balls: Query<(&Ball, &GlobalTransform)>,
    mut shown: Local<String>,
) {
    let (camera, eye) = *camera;
    let ball = balls.iter().find(|(ball, _)| ball.run == 0);
    let at = ball.and_then(|(_, at)| camera.world_to_viewport(eye, at.translation()).ok());
    let now = at.map_or(String::new(), |p| format!("{:.0},{:.0}", p.x, p.y));
    if now != *shown {
        browser::set_page_state("ball", &now);
        *shown = now;
    }
}

/// Where the panels drew the buttons and fields they name (CSS pixels `x,y,width,height`:
/// egui's points on a page without zoom), on the page's `<html>` as `data-widget-NAME` whenever
/// one moves: egui draws every button into the canvas, so a script finds none in the page's
/// DOM. The browser test clicks Record, "Explorer mode", opens Files, types a file name and
/// presses the exports.
fn report_widgets(places: Res<WidgetPlaces>, mut shown: Local<WidgetPlaces>) {
    for (name, &[x, y, w, h]) in &places.0 {
        if shown.0.get(name) != Some(&[x, y, w, h]) {
            browser::set_page_state(&format!("widget-{name}"), &format!("{x},{y},{w},{h}"));
        }
    }
    shown.clone_from(&places);
}

fn note_address(mut share: ResMut<ShareState>) {
    share.address = browser::page_address();
}

/// Opens the scene of a `#losscape1.…` fragment, or the lesson of `#lesson=NUMBER`, when it
/// appears or changes (a pasted link, the back button); other fragments are left alone.
fn follow_fragment(
    mut seen: Local<Option<String>>,
    mut open: MessageWriter<OpenSharedLine>,
    mut lesson: MessageWriter<GoToLesson>,
    mut status: ResMut<StatusLine>,
) {
    let fragment = browser::fragment();
    if seen.as_ref() == Some(&fragment) {
        return;
    }
    if fragment.starts_with(crate::share::PREFIX) {
        open.write(OpenSharedLine(fragment.clone()));
    } else if let Some(id) = fragment.strip_prefix("lesson=") {
        match crate::lessons::find(id) {
            Some(i) => {
                lesson.write(GoToLesson(i));
            }
            None => status.error(format!("the link names no lesson {id:?} (the lessons: {})", crate::lessons::numbers())),
        }
    }
    *seen = Some(fragment);
}

/// Puts each file the user picked to use; a bad file changes nothing and says why in one line.
fn receive_picked_files(
    mut settings: ResMut<SimSettings>,
    mut switch: MessageWriter<SwitchScene>,
    mut rebuild: MessageWriter<RebuildObjective>,
    mut status: ResMut<StatusLine>,
) {
    for Picked { purpose, name, bytes } in browser::take_picked() {
        let used = bytes.and_then(|bytes| match purpose {
            Purpose::Scene => open_scene(&name, &bytes).map(|(message, loaded)| {
                switch.write(loaded);
                status.info(message);
            }),
            // The rebuild shows what the file brought, with the new parameter count.
            Purpose::DataCsv => use_data(&mut settings, &name, &bytes).map(|message| {
                rebuild.write(RebuildObjective(Some(message)));
            }),
        });
        if let Err(e) = used {
            status.error(e);
        }
    }
}

fn open_scene(name: &str, bytes: &[u8]) -> Result<(String, SwitchScene), String> {
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{name}: not a text file (not UTF-8)"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (settings, sim) = load_scene_text(Path::new(name), text).map_err(|e| e.to_string())?;
    Ok((format!("opened {name}"), SwitchScene { settings, sim }))
}

/// The CSV's rows become the network's data, inline; its width sets the inputs.
fn use_data(settings: &mut SimSettings, name: &str, bytes: &[u8]) -> Result<String, String> {
    let ObjectiveSpec::Network(net) = &mut settings.scene.objective else {
        return Err(format!("{name}: a typed function has no data; choose a network first"));
    };
    let source = CsvSource::Path(name.to_owned());
    let table = crate::scene::read_csv_from(bytes, name, &source).map_err(|e| e.to_string())?;
    let width = table.x.first().map_or(0, Vec::len);
    let rows = table.x.len();
    net.data = DataSpec::Inline(table);
    match &net.features {
        Some(f) if width == 2 => net.inputs = f.len(),
        _ => {
            net.features = None;
            net.inputs = width;
        }
    }
    Ok(format!("{name}: {rows} rows, {width} input column{}", if width == 1 { "" } else { "s" }))
}
