//! `losscape plot`: a PNG of loss against step for every run of a trajectory CSV written by
//! `losscape train`, for handouts and slides.
//!
//! One coloured line per run, the held-out loss dashed in the same colour, a run that diverged
//! cut at its last finite loss and marked with a cross there. The y axis is logarithmic when the
//! losses span two decades or more (`--log` / `--linear` force it).
//!
//! Drawn with plotters into an RGB buffer and encoded by `png` in memory, then written
//! atomically. Text uses a font compiled into the binary (egui's Ubuntu Light): CI machines and
//! many classroom machines have no system fonts, and the picture must not depend on them.
//!
//! Text is laid out and rasterised here ([`TextBackend`]), not by plotters' `ab_glyph` text:
//! plotters 0.3.7 drops each glyph's left side bearing and truncates the pen to a whole pixel
//! before every glyph, so letters sit unevenly ("step" drew as "st ep").

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Once;

use ab_glyph::{Font, FontRef, OutlinedGlyph, PxScale, ScaleFont};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendTextStyle, DrawingErrorKind};

use super::UserError;

mod axis;
mod ceiling;
pub(crate) use axis::Axis;
pub use ceiling::{DIVERGED_DECADES, loss_ceiling};

/// Line colours, one per run in file order (Tableau 10), repeated after ten runs.
pub const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// The smallest and largest picture, in pixels: below the smallest the legend and the labels
/// overlap, above the largest the buffer is over 200 MB.
const MIN_SIDE: u32 = 200;
const MAX_SIDE: u32 = 8192;

/// Arguments of `losscape plot`.
#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// Trajectory CSV written by `losscape train --out traj.csv`.
    trajectory: PathBuf,
    /// The PNG to write.
    #[arg(long, value_name = "PNG")]
    out: PathBuf,
    /// The scene the trajectory came from: its name titles the plot and its runs' names label the lines.
    #[arg(long, value_name = "SCENE")]
    scene: Option<PathBuf>,
    /// Title (default: the scene's name with --scene, else the trajectory's file name).
    #[arg(long)]
    title: Option<String>,
    /// Width in pixels.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(MIN_SIDE as i64..=MAX_SIDE as i64))]
    width: u32,
    /// Height in pixels.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u32).range(MIN_SIDE as i64..=MAX_SIDE as i64))]
    height: u32,
    /// Logarithmic loss axis (default: when the losses span two decades or more).
    #[arg(long, conflicts_with = "linear")]
    log: bool,
    /// Linear loss axis.
    #[arg(long)]
    linear: bool,
}

/// One run's curve as read from the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The `run` column's value.
    pub run: String,
    /// (step, loss) up to and excluding the first non-finite loss.
    pub loss: Vec<(f64, f64)>,
    /// (step, held-out loss), cut the same way; empty without the column.
    pub holdout: Vec<(f64, f64)>,
    /// The step whose loss was first non-finite, for a run that diverged.
    pub diverged_at: Option<u64>,
    /// The first step whose loss was above the plot's ceiling ([`loss_ceiling`]), for a run
    /// cut there by [`Series::cut_above`].
    pub cut_at: Option<u64>,
    /// The first plotted value ≤ 0 (no log axis can show it): file line, column, value.
    pub first_non_positive: Option<(u64, &'static str, f64)>,
}

impl Series {
    /// A run's curve straight from its recorded path, as [`read_trajectory`] reads it from the
    /// CSV `losscape train` writes; `upto` keeps the steps ≤ it (a frame of an animation).
    pub fn of(run: usize, path: &crate::core::Trajectory, upto: u64) -> Self {
        let mut s = Series {
            run: run.to_string(),
            loss: Vec::new(),
            holdout: Vec::new(),
            diverged_at: None,
            cut_at: None,
            first_non_positive: None,
        };
        for (k, r) in path.records.iter().enumerate().take_while(|(_, r)| r.step <= upto) {
            if !r.loss.is_finite() {
                s.diverged_at = Some(r.step);
                break;
            }
            s.loss.push((r.step as f64, r.loss));
            if r.loss <= 0.0 {
                s.first_non_positive.get_or_insert((k as u64 + 2, "loss", r.loss));
            }
            if let Some(h) = r.holdout_loss
                && h.is_finite()
                && s.holdout.len() + 1 == s.loss.len()
            {
                s.holdout.push((r.step as f64, h));
            }
        }
        s
    }

    /// Cuts the curve (and the held-out one) before its first loss above `ceiling`
    /// ([`loss_ceiling`]) and notes that step: an exploding run is drawn up to its last loss
    /// on the scale and ends in a cross there.
    pub fn cut_above(&mut self, ceiling: f64) {
        if let Some(k) = self.loss.iter().position(|&(_, l)| l > ceiling) {
            self.cut_at = Some(self.loss[k].0 as u64);
            self.loss.truncate(k);
            self.holdout.truncate(k);
        }
    }
}

/// Reads a trajectory CSV: runs in order of first appearance. Errors are
/// `FILE:LINE: field: message`.
pub fn read_trajectory(path: &Path) -> Result<Vec<Series>, UserError> {
    let shown = path.display();
    let bytes = crate::files::read_input(path).map_err(|e| UserError(e.to_string()))?;
    read_trajectory_text(&bytes, &shown.to_string())
}

/// [`read_trajectory`] on the file's bytes; `shown` names the file in messages.
pub fn read_trajectory_text(bytes: &[u8], shown: &str) -> Result<Vec<Series>, UserError> {
    let fail = |line: u64, field: &str, message: String| UserError(format!("{shown}:{line}: {field}: {message}"));
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(fail(1, "header", "the file is empty; expected a trajectory CSV written by `losscape train`".into()));
    }
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes);
    let header: Vec<String> = reader.headers().map_err(|e| fail(1, "header", csv_message(&e)))?.iter().map(str::to_string).collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(run_col), Some(step_col), Some(loss_col)) = (column("run"), column("step"), column("loss")) else {
        let missing: Vec<&str> = ["run", "step", "loss"].into_iter().filter(|c| column(c).is_none()).collect();
        return Err(fail(
            1,
            "header",
            format!("not a trajectory CSV: no column {} (expected run,step,loss,… as written by `losscape train`)", missing.join(", ")),
        ));
    };
    let holdout_col = column("holdout_loss");
    let mut runs: Vec<Series> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(fail(line, "row", csv_message(&e)));
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let number = |col: usize| -> Result<f64, UserError> {
            let s = record.get(col).unwrap_or("");
            s.parse::<f64>().map_err(|_| fail(line, &header[col], format!("{s:?} is not a number")))
        };
        let step_text = record.get(step_col).unwrap_or("");
        let step: u64 =
            step_text.parse().map_err(|_| fail(line, "step", format!("{step_text:?} is not a step number (a whole number ≥ 0)")))?;
        let loss = number(loss_col)?;
        let holdout = holdout_col.map(number).transpose()?;
        let name = record.get(run_col).unwrap_or("");
        if name.is_empty() {
            return Err(fail(line, "run", "is empty".into()));
        }
        let i = *index.entry(name.to_string()).or_insert_with(|| {
            runs.push(Series {
                run: name.to_string(),
                loss: Vec::new(),
                holdout: Vec::new(),
                diverged_at: None,
                cut_at: None,
                first_non_positive: None,
            });
            runs.len() - 1
        });
        let s = &mut runs[i];
        if s.diverged_at.is_some() {
            continue;
        }
        if !loss.is_finite() {
            s.diverged_at = Some(step);
            continue;
        }
        s.loss.push((step as f64, loss));
        if loss <= 0.0 {
            s.first_non_positive.get_or_insert((line, "loss", loss));
        }
        // The held-out loss is cut at its own first non-finite value.
        if let Some(h) = holdout
            && h.is_finite()
            && s.holdout.len() + 1 == s.loss.len()
        {
            s.holdout.push((step as f64, h));
            if h <= 0.0 {
                s.first_non_positive.get_or_insert((line, "holdout_loss", h));
            }
        }
    }
    if runs.is_empty() {
        return Err(fail(2, "row", "the file has a header but no rows".into()));
    }
    Ok(runs)
}

/// csv's message without its own "position: line N" suffix (the line is ours).
fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!("has {len} fields but the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8 text".into(),
        _ => e.to_string(),
    }
}

/// What the axis shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Plain loss.
    Linear,
    /// log10 of the loss.
    Log,
}

/// Log when every loss is positive and the largest is at least 100× the smallest.
pub fn auto_scale(lo: f64, hi: f64) -> Scale {
    if lo > 0.0 && hi / lo >= 100.0 { Scale::Log } else { Scale::Linear }
}

/// Everything drawn: the plot of `losscape plot`, also the loss panel of `losscape animate`.
pub(crate) struct Figure<'a> {
    pub title: String,
    pub series: &'a [Series],
    pub labels: Vec<String>,
    /// One colour per series.
    pub colours: Vec<RGBColor>,
    pub x: Axis,
    pub y: Axis,
}

/// Writes the PNG.
pub fn run(args: &PlotArgs) -> anyhow::Result<ExitCode> {
    let series = read_trajectory(&args.trajectory)?;
    let scene = args.scene.as_deref().map(crate::scene::load).transpose()?;
    let mut inputs = vec![args.trajectory.clone()];
    if let (Some(sc), Some(path)) = (&scene, &args.scene) {
        inputs.extend(sc.input_files(path));
    }
    let target =
        crate::files::check_outputs(&[crate::files::Output { path: &args.out, flag: "--out", formats: &["png"] }], &inputs)?.remove(0);
    let choice = if args.log {
        Some(Scale::Log)
    } else if args.linear {
        Some(Scale::Linear)
    } else {
        None
    };
    let shown = args.trajectory.display().to_string();
    let (png, scale) = draw_png(&series, &shown, scene.as_ref(), args.title.clone(), choice, (args.width, args.height))?;
    crate::files::write_atomic(&target, |w| w.write_all(&png)).map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", args.out.display()))?;
    super::out::outln!(
        "wrote {} ({}×{}, {} runs, {} loss axis)",
        args.out.display(),
        args.width,
        args.height,
        series.len(),
        match scale {
            Scale::Log => "log",
            Scale::Linear => "linear",
        }
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The loss plot as PNG bytes, and the loss axis used: `losscape plot`'s picture, also the
/// app's "Loss plot" export. Lines are labelled with the scene's run names when given; the
/// title is `title`, else the scene's name, else the trajectory's file name. `scale` `None` picks log when the losses span two
/// decades or more. `shown` names the trajectory in messages.
pub fn draw_png(
    series: &[Series],
    shown: &str,
    scene: Option<&crate::scene::Scene>,
    title: Option<String>,
    scale: Option<Scale>,
    (width, height): (u32, u32),
) -> Result<(Vec<u8>, Scale), UserError> {
    let labels = series
        .iter()
        .map(|s| {
            let named = scene.and_then(|sc| s.run.parse::<usize>().ok().and_then(|i| sc.runs.get(i))).map(|r| r.label());
            named.unwrap_or_else(|| format!("run {}", s.run))
        })
        .collect();
    let title = title
        .or_else(|| scene.filter(|sc| !sc.name.is_empty()).map(|sc| sc.name.clone()))
        .unwrap_or_else(|| Path::new(shown).file_name().map_or_else(|| shown.to_owned(), |n| n.to_string_lossy().into_owned()));
    let points = || series.iter().flat_map(|s| s.loss.iter().chain(&s.holdout));
    let (lo, hi) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, l)| (lo.min(l), hi.max(l)));
    if !lo.is_finite() {
        return Err(UserError(format!("{shown}:2: loss: no run has a finite loss at any step; nothing to plot")));
    }
    let scale = match scale {
        Some(Scale::Log) => {
            if let Some((line, column, v)) = series.iter().filter_map(|s| s.first_non_positive).min_by_key(|&(line, ..)| line) {
                return Err(UserError(format!(
                    "{shown}:{line}: {column}: --log needs positive losses, this row's is {v} (the smallest is {lo}); use --linear"
                )));
            }
            Scale::Log
        }
        Some(Scale::Linear) => Scale::Linear,
        None => auto_scale(lo, hi),
    };
    let max_step = points().fold(0.0f64, |m, &(s, _)| m.max(s)).max(series.iter().filter_map(|s| s.diverged_at).max().unwrap_or(0) as f64);
    let colours = (0..series.len()).map(|i| PALETTE[i % PALETTE.len()]).map(|(r, g, b)| RGBColor(r, g, b)).collect();
    let fig = Figure { title, series, labels, colours, x: Axis::steps(max_step), y: Axis::losses(scale, lo, hi) };
    let png = render(&fig, width, height).map_err(|e| UserError(format!("cannot draw the plot: {e}")))?;
    Ok((png, scale))
}

/// The embedded font: egui's Ubuntu Light.
const FONT: &[u8] = epaint_default_fonts::UBUNTU_LIGHT;

/// The embedded font, parsed once.
pub(crate) fn font() -> &'static FontRef<'static> {
    static PARSED: std::sync::OnceLock<FontRef<'static>> = std::sync::OnceLock::new();
    // The bytes are a valid TTF compiled into the binary; a failure here is a build defect.
    PARSED.get_or_init(|| FontRef::try_from_slice(FONT).expect("the embedded font parses"))
}

/// One line of text laid out at a pixel size (the font's ascent − descent, as plotters sizes
/// text): each glyph outlined at its true pen position, side bearing and fraction of a pixel
/// kept, the baseline at the ascent. The box is (0, 0) to (`width`, `height`).
pub(crate) struct TextLine {
    glyphs: Vec<OutlinedGlyph>,
    pub width: f32,
    pub height: f32,
}

impl TextLine {
    /// Lays `text` out with its box's top-left corner at (`x`, `y`) pixels.
    pub fn new(text: &str, size: f64, (x, y): (f32, f32)) -> Self {
        let font = font();
        let scaled = font.as_scaled(PxScale::from(size as f32));
        let mut glyphs = Vec::with_capacity(text.len());
        let mut pen = 0.0f32;
        let mut prev = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(scaled.scale, ab_glyph::point(x + pen, y + scaled.ascent()));
            glyphs.extend(font.outline_glyph(glyph));
            pen += scaled.h_advance(id);
            prev = Some(id);
        }
        Self { glyphs, width: pen, height: scaled.height() }
    }
}

/// plotters' bitmap backend with text drawn by [`TextLine`] instead of plotters' `ab_glyph`
/// code, which loses each glyph's side bearing and its position's fraction of a pixel.
/// Everything else is passed through.
pub(crate) struct TextBackend<'a>(pub BitMapBackend<'a>);

type BackendResult<T = ()> = Result<T, DrawingErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>>;

impl DrawingBackend for TextBackend<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> BackendResult {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> BackendResult {
        self.0.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> BackendResult {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: plotters_backend::BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> BackendResult {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: plotters_backend::BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> BackendResult {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, (iw, ih): (u32, u32), src: &[u8]) -> BackendResult {
        self.0.blit_bitmap(pos, (iw, ih), src)
    }

    fn estimate_text_size<S: BackendTextStyle>(&self, text: &str, style: &S) -> BackendResult<(u32, u32)> {
        let line = TextLine::new(text, style.size(), (0.0, 0.0));
        Ok((line.width.ceil() as u32, line.height.ceil() as u32))
    }

    /// Anchors and quarter-turns as plotters' own `draw_text` does; coverage becomes alpha.
    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> BackendResult {
        let colour = style.color();
        if colour.alpha == 0.0 {
            return Ok(());
        }
        let box_of = TextLine::new(text, style.size(), (0.0, 0.0));
        let dx = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Right => -box_of.width,
            HPos::Center => -box_of.width / 2.0,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0.0,
            VPos::Center => -box_of.height / 2.0,
            VPos::Bottom => -box_of.height,
        };
        // Unrotated text is placed to the fraction of a pixel; rotated text turns whole pixels.
        let rotated = !matches!(style.transform(), FontTransform::None);
        let (ox, oy) = if rotated { (dx.round(), dy.round()) } else { (pos.0 as f32 + dx, pos.1 as f32 + dy) };
        let line = TextLine::new(text, style.size(), (ox, oy));
        let (w, h) = self.get_size();
        let mut result = Ok(());
        for glyph in &line.glyphs {
            let min = glyph.px_bounds().min;
            glyph.draw(|gx, gy, coverage| {
                if coverage <= 0.0 || result.is_err() {
                    return;
                }
                let (x, y) = (min.x as i32 + gx as i32, min.y as i32 + gy as i32);
                let (x, y) = if rotated {
                    let (tx, ty) = style.transform().transform(x, y);
                    (pos.0 + tx, pos.1 + ty)
                } else {
                    (x, y)
                };
                if x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                    let c = BackendColor { alpha: colour.alpha * f64::from(coverage.min(1.0)), rgb: colour.rgb };
                    result = self.0.draw_pixel((x, y), c);
                }
            });
        }
        result
    }
}

/// Registers the embedded font as plotters' "sans-serif", once per process.
pub(crate) fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TTF compiled into the binary; a failure here is a build defect.
        // (On the web page plotters measures text with the page's fonts: it has no registry.)
        #[cfg(not(target_arch = "wasm32"))]
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            panic!("the embedded font does not load");
        }
    });
}

/// `text` with every character the font lacks spelled in ASCII (`→` as `->`, `‖` as `||`), or
/// `?`: plotters draws one font, and a missing glyph would be an empty box in a run's name.
pub(crate) fn displayable(text: &str) -> String {
    let font = font();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_whitespace() || font.glyph_id(c).0 != 0 {
            out.push(c);
            continue;
        }
        out.push_str(match c {
            '→' => "->",
            '←' => "<-",
            '‖' => "||",
            '≤' => "<=",
            '≥' => ">=",
            '≠' => "!=",
            '×' => "x",
            '·' => ".",
            '–' | '—' | '−' => "-",
            _ => "?",
        });
    }
    out
}

/// Draws the figure and encodes it as PNG bytes.
fn render(fig: &Figure<'_>, width: u32, height: u32) -> Result<Vec<u8>, String> {
    register_font();
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    {
        let root = TextBackend(BitMapBackend::with_buffer(&mut rgb, (width, height))).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root, fig)?;
        root.present().map_err(|e| e.to_string())?;
    }
    encode_png(&rgb, width, height)
}

/// An RGB picture (three bytes a pixel, row by row) as PNG bytes.
pub(crate) fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(png_bytes)
}

/// Lays out the axes and draws every series.
pub(crate) fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, fig: &Figure<'_>) -> Result<(), String> {
    let (w, h) = root.dim_in_pixel();
    let text = (h.min(w) / 40).clamp(10, 40);
    let mut chart = ChartBuilder::on(root)
        .caption(displayable(&fig.title), ("sans-serif", text * 3 / 2))
        .margin(text)
        .x_label_area_size(text * 3)
        .y_label_area_size(text * 5)
        .build_cartesian_2d(fig.x.clone(), fig.y.clone())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc("loss")
        .label_style(("sans-serif", text))
        .axis_desc_style(("sans-serif", text * 6 / 5))
        // Ticks fall between whole steps on short runs: label only the whole ones.
        .x_labels((fig.x.bounds().1.min(10.0) as usize) + 1)
        .x_label_formatter(&|v| if v.fract() == 0.0 { format!("{v:.0}") } else { String::new() })
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(|e| e.to_string())?;
    let stroke = (text / 6).max(2);
    let legend_len = (text * 2) as i32;
    for ((s, label), &colour) in fig.series.iter().zip(&fig.labels).zip(&fig.colours) {
        let style = colour.stroke_width(stroke);
        chart
            .draw_series(LineSeries::new(s.loss.iter().copied(), style))
            .map_err(|e| e.to_string())?
            .label(displayable(&match (s.diverged_at, s.cut_at) {
                (Some(step), _) => format!("{label} (diverged at step {step})"),
                (None, Some(step)) => format!("{label} (off the scale from step {step})"),
                (None, None) => label.clone(),
            }))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + legend_len, y)], style));
        if !s.holdout.is_empty() {
            let dash = (stroke * 4) as i32;
            chart
                .draw_series(DashedLineSeries::new(s.holdout.iter().copied(), dash, dash, style))
                .map_err(|e| e.to_string())?
                .label(displayable(&format!("{label}, held-out")))
                .legend(move |(x, y)| {
                    let third = legend_len / 3;
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (third, 0)], style)
                        + PathElement::new(vec![(2 * third, 0), (legend_len, 0)], style)
                });
        }
        if let (true, Some(&last)) = (s.diverged_at.is_some() || s.cut_at.is_some(), s.loss.last()) {
            chart
                .draw_series(std::iter::once(Cross::new(last, text as i32 / 2, colour.stroke_width(stroke))))
                .map_err(|e| e.to_string())?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        // Room for the swatch and a gap before its text (the default area is narrower than
        // the swatch, which then touches the text).
        .legend_area_size(legend_len + (text / 2) as i32)
        .label_font(("sans-serif", text))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(160, 160, 160))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_grouped_and_cut_at_divergence() {
        let csv = "run,step,loss,grad_norm,clipped,holdout_loss,p0\n\
                   0,0,4,1,false,5,0\n0,1,2,1,false,NaN,0\n0,2,1,1,false,1.5,0\n\
                   1,0,4,1,false,5,0\n1,1,1e300,1,false,5,0\n1,2,inf,NaN,false,NaN,0\n1,3,NaN,NaN,false,NaN,0\n";
        let runs = read_trajectory_text(csv.as_bytes(), "t.csv").unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].loss, [(0.0, 4.0), (1.0, 2.0), (2.0, 1.0)]);
        assert_eq!(runs[0].holdout, [(0.0, 5.0)], "the held-out curve stops at its first NaN");
        assert_eq!(runs[0].diverged_at, None);
        assert_eq!(runs[1].loss, [(0.0, 4.0), (1.0, 1e300)]);
        assert_eq!(runs[1].diverged_at, Some(2));
        assert_eq!((runs[0].first_non_positive, runs[1].first_non_positive), (None, None));
    }

    #[test]
    fn the_first_value_a_log_axis_cannot_show_is_located() {
        let csv = "run,step,loss,holdout_loss\n0,0,4,5\n0,1,2,-1\n1,0,0,1\n0,2,-3,-4\n";
        let runs = read_trajectory_text(csv.as_bytes(), "t.csv").unwrap();
        assert_eq!(runs[0].first_non_positive, Some((3, "holdout_loss", -1.0)));
        assert_eq!(runs[1].first_non_positive, Some((4, "loss", 0.0)));
    }

    #[test]
    fn bad_input_names_file_line_and_field() {
        let e = |text: &str| read_trajectory_text(text.as_bytes(), "t.csv").unwrap_err().to_string();
        assert_eq!(e(""), "t.csv:1: header: the file is empty; expected a trajectory CSV written by `losscape train`");
        assert!(e("a,b,loss\n1,2,3\n").starts_with("t.csv:1: header: not a trajectory CSV: no column run, step"), "{}", e("a,b\n"));
        assert_eq!(e("run,step,loss\n0,0,1\n0,1,abc\n"), "t.csv:3: loss: \"abc\" is not a number");
        assert_eq!(e("run,step,loss\n0,0,1\n0,x,1\n"), "t.csv:3: step: \"x\" is not a step number (a whole number ≥ 0)");
        assert_eq!(e("run,step,loss\n0,0,1\n0,1\n"), "t.csv:3: row: has 2 fields but the header has 3");
        assert_eq!(e("run,step,loss\n"), "t.csv:2: row: the file has a header but no rows");
    }

    #[test]
    fn log_only_for_positive_losses_spanning_decades() {
        assert_eq!(auto_scale(0.01, 10.0), Scale::Log);
        assert_eq!(auto_scale(0.2, 10.0), Scale::Linear);
        assert_eq!(auto_scale(0.0, 10.0), Scale::Linear);
        assert_eq!(auto_scale(-1.0, 1e6), Scale::Linear);
    }

    #[test]
    fn text_lands_where_the_font_metrics_put_it() {
        // plotters' own ab_glyph drawing lost every glyph's left side bearing, and the pen's
        // fraction of a pixel at each glyph: "step" drew as "st ep".
        register_font();
        let (w, h, size) = (400u32, 140u32, 100.0);
        let mut rgb = vec![255u8; (w * h * 3) as usize];
        {
            let mut backend = TextBackend(BitMapBackend::with_buffer(&mut rgb, (w, h)));
            let style = TextStyle::from(("sans-serif", size).into_font()).color(&BLACK);
            backend.draw_text("step", &style, (10, 10)).unwrap();
            backend.present().unwrap();
        }
        let inked: Vec<u32> = (0..w).filter(|&x| (0..h).any(|y| rgb[((y * w + x) * 3) as usize] < 250)).collect();
        let (first, last) = (inked[0] as f32, *inked.last().unwrap() as f32 + 1.0);
        let scaled = font().as_scaled(PxScale::from(size as f32));
        let ids: Vec<_> = "step".chars().map(|c| font().glyph_id(c)).collect();
        let pen_p: f32 = ids[..3].iter().map(|&id| scaled.h_advance(id)).sum();
        let ink = |id| font().outline(id).unwrap().bounds;
        let (left, right) =
            (10.0 + ink(ids[0]).min.x * scaled.h_scale_factor(), 10.0 + pen_p + ink(ids[3]).max.x * scaled.h_scale_factor());
        assert!((first - left).abs() <= 1.0, "the s starts at its side bearing: ink from {first}, font says {left}");
        assert!((last - right).abs() <= 1.0, "the p ends where the advances put it: ink to {last}, font says {right}");
        // Every glyph of the layout sits at its pen position plus its side bearing.
        let line = TextLine::new("step", size, (0.5, 0.0));
        let mut pen = 0.5;
        for (g, &id) in line.glyphs.iter().zip(&ids) {
            let expected = pen + ink(id).min.x * scaled.h_scale_factor();
            assert!((g.px_bounds().min.x - expected).abs() <= 1.0, "{id:?}: {} vs {expected}", g.px_bounds().min.x);
            pen += scaled.h_advance(id);
        }
    }

    #[test]
    fn characters_the_font_lacks_are_spelled_out() {
        assert_eq!(displayable("hours → grade, clip ‖g‖ ≤ 1"), "hours -> grade, clip ||g|| ≤ 1");
        assert_eq!(displayable("plain"), "plain");
    }
}
