//! What the command-line tests share: running the built binary and naming a lesson scene.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;
use std::process::{Command, Output};

/// Runs `losscape ARGS` and waits for it.
pub fn losscape(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_losscape")).args(args).output().expect("run losscape")
}

/// The path of a lesson in assets/scenes.
pub fn scene(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes").join(name).to_string_lossy().into_owned()
}

/// A finished command's standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A GIF losscape wrote, decoded: its size, each frame's delay (hundredths of a second), the
/// whole picture (RGB) after each frame, and whether it loops forever.
pub struct Gif {
    pub size: (usize, usize),
    pub delays: Vec<u16>,
    pub pictures: Vec<Vec<u8>>,
    pub loops_forever: bool,
}

/// Decodes `bytes` frame by frame, each frame drawn over the picture before (losscape's frames
/// keep what they do not cover, and carry a palette of their own).
pub fn decode_gif(bytes: &[u8]) -> Gif {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut d = options.read_info(bytes).expect("a GIF");
    let (w, h) = (d.width() as usize, d.height() as usize);
    let mut canvas = vec![0u8; w * h * 3];
    let (mut delays, mut pictures) = (Vec::new(), Vec::new());
    while let Some(f) = d.read_next_frame().expect("a frame") {
        let palette = f.palette.clone().expect("a palette of its own");
        for y in 0..f.height as usize {
            for x in 0..f.width as usize {
                let i = f.buffer[y * f.width as usize + x] as usize;
                let at = ((y + f.top as usize) * w + x + f.left as usize) * 3;
                canvas[at..at + 3].copy_from_slice(&palette[i * 3..i * 3 + 3]);
            }
        }
        delays.push(f.delay);
        pictures.push(canvas.clone());
    }
    let loops_forever = d.repeat() == gif::Repeat::Infinite;
    Gif { size: (w, h), delays, pictures, loops_forever }
}
