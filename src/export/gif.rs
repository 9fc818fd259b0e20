//! Animated GIFs: the one writer behind `losscape animate` and the app's Record button.
//!
//! Frames come in as RGB images of one size. Each frame is stored as the rectangle that changed
//! since the frame before (the rest of the picture is kept: disposal `Keep`), with a palette of
//! its own: every colour of that rectangle when there are at most 256, else the frequent ones
//! exactly and a palette learned by NeuQuant for the rest. A frame that changes nothing lengthens
//! the one before instead of being stored. The GIF loops forever; the last frame is held longer
//! (`finish`'s `hold`), so a loop's end reads as an end.
//!
//! Everything is computed in a fixed order (colours sorted, ties broken by the colour's bytes;
//! NeuQuant has no randomness), so the same frames give the same bytes on every machine.

use std::collections::HashMap;
use std::io::{self, Write};

/// The largest side a GIF can store.
pub const MAX_SIDE: u32 = u16::MAX as u32;

/// Frames a second of an animation when none is asked for.
pub const DEFAULT_FPS: u32 = 20;

/// How long the last frame of an animation is held, in hundredths of a second: a loop's end
/// reads as an end.
pub const HOLD: u16 = 100;

/// The delay of frame `k` in hundredths of a second (a GIF's unit) at `fps` frames a second:
/// whole hundredths whose running sum stays within half a hundredth of k / fps (30 a second:
/// 3, 4, 3, 3, 4, 3, …).
pub fn delay(k: u64, fps: u32) -> u16 {
    let fps = u64::from(fps.max(1));
    let at = |k: u64| (k * 200 + fps) / (2 * fps);
    (at(k + 1) - at(k)) as u16
}

/// Writes an animation frame by frame; [`GifWriter::finish`] ends the file.
pub struct GifWriter<W: Write> {
    encoder: ::gif::Encoder<W>,
    width: usize,
    height: usize,
    /// The picture as a viewer shows it after the frames so far (RGB).
    shown: Vec<u8>,
    /// The newest frame, kept back until its delay is known to be final.
    pending: Option<::gif::Frame<'static>>,
    frames: usize,
}

fn io_error(e: ::gif::EncodingError) -> io::Error {
    match e {
        ::gif::EncodingError::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

impl<W: Write> GifWriter<W> {
    /// Starts a `width`×`height` animation that loops forever.
    pub fn new(w: W, width: u32, height: u32) -> io::Result<Self> {
        if !(1..=MAX_SIDE).contains(&width) || !(1..=MAX_SIDE).contains(&height) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a GIF is 1 to {MAX_SIDE} pixels a side, not {width}×{height}"),
            ));
        }
        let mut encoder = ::gif::Encoder::new(w, width as u16, height as u16, &[]).map_err(io_error)?;
        encoder.set_repeat(::gif::Repeat::Infinite).map_err(io_error)?;
        let (width, height) = (width as usize, height as usize);
        Ok(Self { encoder, width, height, shown: vec![0; width * height * 3], pending: None, frames: 0 })
    }

    /// Frames written or waiting so far (a frame that changed nothing is not counted).
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Adds a frame shown for `delay` hundredths of a second; `rgb` is the whole picture, row
    /// by row, three bytes a pixel.
    pub fn push(&mut self, rgb: &[u8], delay: u16) -> io::Result<()> {
        if rgb.len() != self.width * self.height * 3 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a frame of {} bytes for a {}×{} animation", rgb.len(), self.width, self.height),
            ));
        }
        let rect = if self.frames == 0 { Some((0, 0, self.width, self.height)) } else { self.changed(rgb) };
        let Some((left, top, w, h)) = rect else {
            if let Some(p) = self.pending.as_mut() {
                p.delay = p.delay.saturating_add(delay);
            }
            return Ok(());
        };
        let mut pixels = Vec::with_capacity(w * h);
        for y in top..top + h {
            let row = (y * self.width + left) * 3;
            pixels.extend(rgb[row..row + w * 3].chunks_exact(3).map(|c| [c[0], c[1], c[2]]));
        }
        let (palette, indices) = palette_of(&pixels);
        let frame = ::gif::Frame {
            delay,
            dispose: ::gif::DisposalMethod::Keep,
            left: left as u16,
            top: top as u16,
            width: w as u16,
            height: h as u16,
            palette: Some(palette),
            buffer: indices.into(),
            ..::gif::Frame::default()
        };
        self.flush_pending()?;
        self.pending = Some(frame);
        self.shown.copy_from_slice(rgb);
        self.frames += 1;
        Ok(())
    }

    /// Writes the last frame, held `hold` hundredths of a second longer, and the trailer.
    pub fn finish(mut self, hold: u16) -> io::Result<W> {
        if let Some(p) = self.pending.as_mut() {
            p.delay = p.delay.saturating_add(hold);
        }
        self.flush_pending()?;
        self.encoder.into_inner().map_err(io::Error::other)
    }

    fn flush_pending(&mut self) -> io::Result<()> {
        match self.pending.take() {
            Some(frame) => self.encoder.write_frame(&frame).map_err(io_error),
            None => Ok(()),
        }
    }

    /// The smallest rectangle (left, top, width, height) holding every pixel that differs from
    /// the picture shown; `None` when none does.
    fn changed(&self, rgb: &[u8]) -> Option<(usize, usize, usize, usize)> {
        let stride = self.width * 3;
        let rows: Vec<usize> =
            (0..self.height).filter(|&y| rgb[y * stride..(y + 1) * stride] != self.shown[y * stride..(y + 1) * stride]).collect();
        let (&top, &bottom) = (rows.first()?, rows.last()?);
        let (mut left, mut right) = (self.width, 0);
        for &y in &rows {
            let (new, old) = (&rgb[y * stride..(y + 1) * stride], &self.shown[y * stride..(y + 1) * stride]);
            let differs = |x: &usize| new[x * 3..x * 3 + 3] != old[x * 3..x * 3 + 3];
            if let Some(l) = (0..left).find(differs) {
                left = l;
            }
            if let Some(r) = (right..self.width).rev().find(differs) {
                right = r;
            }
        }
        Some((left, top, right.max(left) - left + 1, bottom - top + 1))
    }
}

/// A palette (RGB bytes, at most 256 colours) and each pixel's index into it. With at most 256
/// colours, every colour exactly. With more (a lit, shaded surface), the frequent ones — each on
/// at least 1/1000 of the pixels, at most 128 of them: the background, the bands, the text —
/// stay exact and NeuQuant (the `color_quant` crate, deterministic) learns the rest of the
/// palette from the other pixels.
fn palette_of(pixels: &[[u8; 3]]) -> (Vec<u8>, Vec<u8>) {
    let mut counts: HashMap<[u8; 3], u32> = HashMap::new();
    for p in pixels {
        *counts.entry(*p).or_insert(0) += 1;
    }
    let mut colours: Vec<([u8; 3], u32)> = counts.into_iter().collect();
    colours.sort_unstable_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    if colours.len() <= 256 {
        let index: HashMap<[u8; 3], u8> = colours.iter().enumerate().map(|(i, c)| (c.0, i as u8)).collect();
        let palette = colours.iter().flat_map(|c| c.0).collect();
        return (palette, pixels.iter().map(|p| index[p]).collect());
    }
    let exact: Vec<[u8; 3]> = colours.iter().take(128).take_while(|c| c.1 as usize * 1000 >= pixels.len()).map(|c| c.0).collect();
    let index: HashMap<[u8; 3], u8> = exact.iter().enumerate().map(|(i, c)| (*c, i as u8)).collect();
    let rest: Vec<u8> = pixels.iter().filter(|p| !index.contains_key(*p)).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
    // NeuQuant learns from every `sample`-th pixel: all of a small rectangle, a tenth of a large.
    let sample = (rest.len() / 4 / 20_000).clamp(1, 10) as i32;
    let learned = color_quant::NeuQuant::new(sample, 256 - exact.len(), &rest);
    let mut cache: HashMap<[u8; 3], u8> = index;
    let indices = pixels
        .iter()
        .map(|p| *cache.entry(*p).or_insert_with(|| (exact.len() + learned.index_of(&[p[0], p[1], p[2], 255])) as u8))
        .collect();
    let mut palette = exact.concat();
    palette.extend(learned.color_map_rgb());
    (palette, indices)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a GIF into its frames' (left, top, width, height, delay) and the full picture
    /// after each frame.
    fn decode(bytes: &[u8]) -> (u16, u16, Vec<((u16, u16, u16, u16), u16)>, Vec<Vec<u8>>) {
        let mut options = ::gif::DecodeOptions::new();
        options.set_color_output(::gif::ColorOutput::Indexed);
        let mut d = options.read_info(bytes).unwrap();
        let (w, h) = (d.width(), d.height());
        let mut canvas = vec![0u8; w as usize * h as usize * 3];
        let (mut meta, mut pictures) = (Vec::new(), Vec::new());
        while let Some(f) = d.read_next_frame().unwrap() {
            let palette = f.palette.clone().unwrap();
            for y in 0..f.height as usize {
                for x in 0..f.width as usize {
                    let i = f.buffer[y * f.width as usize + x] as usize;
                    let at = ((y + f.top as usize) * w as usize + x + f.left as usize) * 3;
                    canvas[at..at + 3].copy_from_slice(&palette[i * 3..i * 3 + 3]);
                }
            }
            meta.push(((f.left, f.top, f.width, f.height), f.delay));
            pictures.push(canvas.clone());
        }
        (w, h, meta, pictures)
    }

    fn picture(w: usize, h: usize, paint: impl Fn(usize, usize) -> [u8; 3]) -> Vec<u8> {
        let paint = &paint;
        (0..h).flat_map(|y| (0..w).flat_map(move |x| paint(x, y))).collect()
    }

    #[test]
    fn frames_store_only_what_changed_and_decode_to_the_pictures() {
        let (w, h) = (40, 30);
        // 80 colours: every frame's palette is exact.
        let background = |x: usize, y: usize| [(x / 4 * 20) as u8, (y / 4 * 30) as u8, 90];
        let first = picture(w, h, background);
        let ball_at = |bx: usize, by: usize| {
            picture(w, h, move |x, y| if x.abs_diff(bx) < 3 && y.abs_diff(by) < 3 { [255, 0, 0] } else { background(x, y) })
        };
        let second = ball_at(10, 10);
        let third = ball_at(20, 12);
        let mut out = Vec::new();
        let mut g = GifWriter::new(&mut out, w as u32, h as u32).unwrap();
        g.push(&first, 5).unwrap();
        g.push(&second, 5).unwrap();
        g.push(&second, 5).unwrap(); // nothing changed: the frame before is shown 5 cs longer
        g.push(&third, 5).unwrap();
        assert_eq!(g.frames(), 3);
        g.finish(100).unwrap();
        let (dw, dh, meta, pictures) = decode(&out);
        assert_eq!((dw, dh), (40, 30));
        assert_eq!(meta, [((0, 0, 40, 30), 5), ((8, 8, 5, 5), 10), ((8, 8, 15, 7), 105)]);
        assert_eq!(pictures, [first, second, third]);
    }

    #[test]
    fn more_than_256_colours_keep_the_frequent_ones_exact_and_learn_the_rest() {
        let (w, h) = (64, 64);
        // 4096 distinct greens on a white background of 2048 pixels.
        let rgb = picture(w, h, |x, y| if x < 32 { [255, 255, 255] } else { [0, (x * 4) as u8, (y * 4) as u8] });
        let mut out = Vec::new();
        let mut g = GifWriter::new(&mut out, w as u32, h as u32).unwrap();
        g.push(&rgb, 10).unwrap();
        g.finish(0).unwrap();
        let (_, _, _, pictures) = decode(&out);
        let shown = &pictures[0];
        for (p, q) in shown.chunks_exact(3).zip(rgb.chunks_exact(3)) {
            let off: i32 = (0..3).map(|k| (i32::from(p[k]) - i32::from(q[k])).abs()).max().unwrap();
            assert!(off <= 24, "{p:?} for {q:?}");
        }
        assert!(shown[..32 * 3].iter().all(|&c| c == 255), "the most frequent colour is exact");
    }

    #[test]
    fn the_same_frames_give_the_same_bytes() {
        let make = || {
            let mut out = Vec::new();
            let mut g = GifWriter::new(&mut out, 17, 9).unwrap();
            for k in 0..5u8 {
                g.push(&picture(17, 9, |x, y| [x as u8 * k, y as u8 * 20, 255 - k * 30]), 4).unwrap();
            }
            g.finish(100).unwrap();
            out
        };
        assert_eq!(make(), make());
    }

    #[test]
    fn delays_add_up_to_the_frame_rate() {
        assert!((0..20).all(|k| delay(k, 20) == 5));
        assert!((0..50).all(|k| delay(k, 50) == 2));
        let thirty: Vec<u16> = (0..6).map(|k| delay(k, 30)).collect();
        assert_eq!(thirty, [3, 4, 3, 3, 4, 3]);
        assert_eq!((0..30).map(|k| u32::from(delay(k, 30))).sum::<u32>(), 100);
        assert_eq!((0..7).map(|k| u32::from(delay(k, 7))).sum::<u32>(), 100);
    }

    #[test]
    fn a_wrong_size_is_an_error_not_a_panic() {
        assert!(GifWriter::new(Vec::new(), 0, 10).is_err());
        assert!(GifWriter::new(Vec::new(), 70_000, 10).is_err());
        let mut g = GifWriter::new(Vec::new(), 4, 4).unwrap();
        assert!(g.push(&[0; 47], 1).is_err());
    }
}
