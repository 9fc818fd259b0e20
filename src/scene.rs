//! Scene files: everything needed to reproduce a view (objective, runs, steps, surface and
//! camera), read and written as RON or JSON by extension from the same serde types.
//!
//! Errors name the file, the line and column, and the field: a parse error comes with
//! serde's position and path (`serde_path_to_error`); a value refused after parsing (by the
//! core's checks) is located in the text by [`locate`], which walks the field path through the
//! JSON or RON structure.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::core::landscape::{Directions, SurveyCenter, SurveySpec, effective_directions};
use crate::core::{CoreError, CsvSource, DataSpec, Objective, ObjectiveSpec, OptimizerConfig, RunSpec, Sgd, Table};

/// The most steps a scene may ask for.
pub const MAX_STEPS: u64 = 10_000_000;

/// A scene file's contents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// Title shown in the app.
    #[serde(default)]
    pub name: String,
    /// A short text for students: what they see, what to try.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// What is minimised.
    pub objective: ObjectiveSpec,
    /// One run per optimizer (default: one SGD run, lr 0.1).
    #[serde(default = "default_runs")]
    pub runs: Vec<RunSpec>,
    /// Number of updates (default 100).
    #[serde(default = "default_steps")]
    pub steps: u64,
    /// How the landscape is drawn.
    #[serde(default)]
    pub surface: SurfaceSettings,
    /// Where the camera looks from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<CameraSettings>,
    /// Optimizer steps per rendered frame in the app (default 1).
    #[serde(default = "one_u32")]
    pub steps_per_frame: u32,
}

fn default_runs() -> Vec<RunSpec> {
    vec![RunSpec::new(OptimizerConfig::Sgd(Sgd { lr: 0.1, ..Sgd::default() }))]
}
fn default_steps() -> u64 {
    100
}
fn one_u32() -> u32 {
    1
}

/// Where a landscape slice is centred.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Center {
    /// At θ₀.
    #[default]
    Start,
    /// At the end of run 0 after the scene's steps.
    End,
    /// At chosen parameters, one value per parameter: where the app's "Recentre on ball" put
    /// the slice, saved so that `losscape surface` draws the same slice (`{"at": [..]}` in
    /// JSON, `at([..])` in RON).
    At(Vec<f64>),
}

impl Center {
    /// The core's name for this centre.
    pub fn survey(&self) -> SurveyCenter {
        match self {
            Center::Start => SurveyCenter::Start,
            Center::End => SurveyCenter::End,
            Center::At(theta) => SurveyCenter::At(theta.clone()),
        }
    }

    /// Checks an `at` centre against the objective's parameter count.
    fn check(&self, dim: usize) -> Result<(), CoreError> {
        if let Center::At(theta) = self {
            if theta.len() != dim {
                return Err(CoreError::invalid(
                    "surface.center.at",
                    format!("has {} values, but the objective has {dim} parameters", theta.len()),
                ));
            }
            if let Some(i) = theta.iter().position(|v| !v.is_finite()) {
                return Err(CoreError::invalid(format!("surface.center.at[{i}]"), format!("must be a finite number, got {}", theta[i])));
            }
        }
        Ok(())
    }
}

/// How the landscape is computed and drawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurfaceSettings {
    /// Vertices per side (default 64; the app allows 8–512, the CLI 2–4096).
    pub res: usize,
    /// Half-width of the grid around the centre; automatic (covers every path) when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<f64>,
    /// Where the slice is centred.
    pub center: Center,
    /// Which plane through parameter space.
    pub directions: Directions,
    /// Draw log10(loss) as the height (for losses spanning decades).
    pub log_height: bool,
    /// Overlay the mesh's edges.
    pub wireframe: bool,
    /// Draw contour lines.
    pub contours: bool,
}

impl Default for SurfaceSettings {
    fn default() -> Self {
        Self {
            res: 64,
            span: None,
            center: Center::Start,
            directions: Directions::default(),
            log_height: false,
            wireframe: false,
            contours: true,
        }
    }
}

/// An orbit camera's position around the surface's centre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraSettings {
    /// Rotation about the vertical axis, degrees.
    pub yaw: f64,
    /// Elevation, degrees.
    pub pitch: f64,
    /// Distance from the centre in surface widths.
    pub distance: f64,
}

/// A scene that could not be read, located as `file:line:col: field: message`.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// Dotted path of the field (`objective.network.layers[1].units`), when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SceneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((l, c)) = self.position {
            write!(f, ":{l}:{c}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for SceneError {}

/// The two file formats, chosen by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.ron`
    Ron,
    /// `.json`
    Json,
}

impl Format {
    /// The format for `path`'s extension.
    pub fn of(path: &Path) -> Result<Self, SceneError> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("ron") => Ok(Format::Ron),
            Some("json") => Ok(Format::Json),
            _ => Err(SceneError { path: path.into(), position: None, field: None, message: "scene files end in .ron or .json".into() }),
        }
    }
}

fn ron_options() -> ron::Options {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME | ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES)
}

/// Reads and checks a scene: it parses, its objective builds (data read, shapes checked) and
/// every run is valid.
pub fn load(path: &Path) -> Result<Scene, SceneError> {
    let format = Format::of(path)?;
    let text =
        crate::files::read_text(path).map_err(|e| SceneError { path: path.into(), position: None, field: None, message: e.message })?;
    let scene = parse(&text, format, path)?;
    scene.build(path)?;
    Ok(scene)
}

/// Parses scene text (without building the objective).
pub fn parse(text: &str, format: Format, path: &Path) -> Result<Scene, SceneError> {
    let err = |position, field: String, message: String| SceneError {
        path: path.into(),
        position,
        field: (!field.is_empty()).then_some(field),
        message,
    };
    let scene: Scene = match format {
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            let scene = serde_path_to_error::deserialize(&mut de).map_err(|e| {
                let inner = e.inner();
                let msg = inner.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                let expected = msg.rsplit_once(", expected ").map(|(_, ty)| ty);
                let msg = expected.and_then(whole_number_message).unwrap_or(msg);
                err(Some((inner.line(), inner.column())), e.path().to_string().trim_start_matches('.').replace("?", ""), msg)
            })?;
            de.end().map_err(|e| err(Some((e.line(), e.column())), String::new(), "unexpected text after the scene".into()))?;
            scene
        }
        Format::Ron => {
            let mut de = ron::Deserializer::from_str_with_options(text, &ron_options())
                .map_err(|e| err(Some((e.span.start.line, e.span.start.col)), String::new(), e.code.to_string()))?;
            let scene = serde_path_to_error::deserialize(&mut de).map_err(|e| {
                let spanned = de.span_error(e.inner().clone());
                let field = e.path().to_string().trim_start_matches('.').replace("?", "");
                let msg = match &spanned.code {
                    // RON does not say which type it wanted; every whole number of a scene is
                    // a u64 or a usize but `steps_per_frame` (and it allows 1–10000).
                    ron::Error::IntegerOutOfBounds | ron::Error::ExpectedInteger if field.ends_with("steps_per_frame") => {
                        whole_number_message("u32")
                    }
                    ron::Error::IntegerOutOfBounds | ron::Error::ExpectedInteger => whole_number_message("u64"),
                    ron::Error::InvalidValueForType { expected, .. } => whole_number_message(expected),
                    _ => None,
                };
                err(Some((spanned.span.start.line, spanned.span.start.col)), field, msg.unwrap_or_else(|| spanned.code.to_string()))
            })?;
            de.end().map_err(|e| err(None, String::new(), format!("unexpected text after the scene: {e}")))?;
            scene
        }
    };
    scene.validate().map_err(|e| located(text, path, e))?;
    Ok(scene)
}

/// What a whole-number field (steps, res, units, seeds, n, batch sizes…) says when its value
/// is not one it can hold — a fraction, a negative number, one past the type's largest (which
/// serde reads as a float: "invalid type: floating point `1.8446744073709552e19`, expected
/// u64"), a string. `expected` is serde's name for the field's type; `None` for a type that is
/// not an unsigned integer, whose message stays serde's.
fn whole_number_message(expected: &str) -> Option<String> {
    let max: u64 = match expected {
        "u8" => u8::MAX.into(),
        "u16" => u16::MAX.into(),
        "u32" => u32::MAX.into(),
        "u64" => u64::MAX,
        "usize" => usize::MAX as u64,
        _ => return None,
    };
    Some(format!("must be a whole number between 0 and {max}"))
}

/// Turns a core error into a scene error with the field's position in `text`.
pub fn located(text: &str, path: &Path, e: CoreError) -> SceneError {
    match e {
        CoreError::Invalid { field, message } => {
            SceneError { path: path.into(), position: locate(text, &field), field: Some(field), message }
        }
        CoreError::Expression(m) => {
            let field = "objective.function.expr".to_string();
            SceneError { path: path.into(), position: locate(text, &field), field: Some(field), message: m }
        }
    }
}

impl Scene {
    /// Checks what can be checked without building the objective.
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.runs.is_empty() {
            return Err(CoreError::invalid("runs", "is empty; add at least one optimizer run"));
        }
        for (i, r) in self.runs.iter().enumerate() {
            r.validate().map_err(|e| e.within(&format!("runs[{i}]")))?;
        }
        if self.steps > MAX_STEPS {
            return Err(CoreError::invalid("steps", format!("must be ≤ {MAX_STEPS}, got {}", self.steps)));
        }
        if !(2..=4096).contains(&self.surface.res) {
            return Err(CoreError::invalid("surface.res", format!("must be between 2 and 4096, got {}", self.surface.res)));
        }
        if let Some(s) = self.surface.span
            && !(s > 0.0 && s.is_finite())
        {
            return Err(CoreError::invalid("surface.span", format!("must be a finite number > 0, got {s}")));
        }
        if let Some(c) = &self.camera {
            for (name, v) in [("yaw", c.yaw), ("pitch", c.pitch)] {
                if !v.is_finite() {
                    return Err(CoreError::invalid(format!("camera.{name}"), format!("must be a finite number of degrees, got {v}")));
                }
            }
            if !(c.distance > 0.0 && c.distance.is_finite()) {
                return Err(CoreError::invalid("camera.distance", format!("must be a finite number > 0, got {}", c.distance)));
            }
        }
        if self.steps_per_frame == 0 || self.steps_per_frame > 10_000 {
            return Err(CoreError::invalid("steps_per_frame", format!("must be between 1 and 10000, got {}", self.steps_per_frame)));
        }
        Ok(())
    }

    /// Builds the objective, reading CSV data relative to the scene file's folder.
    pub fn build(&self, path: &Path) -> Result<Arc<Objective>, SceneError> {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let loader = |src: &CsvSource| read_csv(&dir.join(src.path()), src);
        let built = self.objective.build(&loader).map_err(|e| e.within_root("objective"));
        match built.and_then(|o| self.surface.center.check(o.dim()).map(|()| o)) {
            Ok(o) => Ok(Arc::new(o)),
            Err(e) => {
                let text = crate::files::read_text(path).unwrap_or_default();
                Err(located(&text, path, e))
            }
        }
    }

    /// The objective for a scene that is not (yet) a file: CSV paths resolve from `dir`.
    pub fn build_in(&self, dir: &Path) -> Result<Arc<Objective>, CoreError> {
        let loader = |src: &CsvSource| read_csv(&dir.join(src.path()), src);
        let o = self.objective.build(&loader)?;
        self.surface.center.check(o.dim())?;
        Ok(Arc::new(o))
    }

    /// The survey of the scene's own surface settings for its `objective`: what the app draws
    /// for it and `losscape surface SCENE` writes without flags (`animate` changes the
    /// resolution, `surface` whatever its flags name).
    pub fn survey_spec<'a>(&'a self, objective: &'a Objective) -> SurveySpec<'a> {
        SurveySpec {
            start: objective.start(),
            runs: &self.runs,
            steps: self.steps,
            center: self.surface.center.survey(),
            directions: effective_directions(&self.surface.directions, objective.dim()),
            span: self.surface.span,
            res: self.surface.res,
        }
    }

    /// The files a scene at `path` reads: itself and its data CSV, if any. A command's outputs
    /// may not be one of them ([`crate::files::check_outputs`]).
    pub fn input_files(&self, path: &Path) -> Vec<PathBuf> {
        let mut files = vec![path.to_path_buf()];
        if let ObjectiveSpec::Network(n) = &self.objective
            && let DataSpec::Csv(src) = &n.data
        {
            files.push(path.parent().unwrap_or(Path::new("")).join(src.path()));
        }
        files
    }

    /// Whether the objective reads a CSV file.
    pub fn uses_csv(&self) -> bool {
        matches!(&self.objective, ObjectiveSpec::Network(n) if matches!(n.data, DataSpec::Csv(_)))
    }
}

impl CoreError {
    /// Prefixes `root.` unless the path already starts with it.
    fn within_root(self, root: &str) -> Self {
        match &self {
            CoreError::Invalid { field, .. } if field.starts_with(root) => self,
            CoreError::Invalid { .. } => self.within(root),
            _ => self,
        }
    }
}

/// Serialises a scene in the format of `path`'s extension.
pub fn to_string(scene: &Scene, format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(scene).expect("scenes hold only plain data") + "\n",
        Format::Ron => {
            let pretty = ron::ser::PrettyConfig::new().depth_limit(4).struct_names(false);
            ron_options().to_string_pretty(scene, pretty).expect("scenes hold only plain data") + "\n"
        }
    }
}

/// Writes a scene atomically (temporary file in the same folder, then rename).
pub fn save(path: &Path, scene: &Scene) -> Result<(), SceneError> {
    let format = Format::of(path)?;
    let text = to_string(scene, format);
    crate::export::write_atomic(path, |w| w.write_all(text.as_bytes())).map_err(|e| SceneError {
        path: path.into(),
        position: None,
        field: None,
        message: format!("cannot write: {e}"),
    })
}

/// Reads a CSV data file with a header: the named (or default) input and target columns.
pub(crate) fn read_csv(path: &Path, src: &CsvSource) -> Result<Table, CoreError> {
    let bytes = crate::files::read_input(path).map_err(|e| CoreError::invalid("data.csv", e.to_string()))?;
    read_csv_from(bytes.as_slice(), &path.display().to_string(), src)
}

/// [`read_csv`] on any reader (the fuzz target feeds it bytes); `shown` names the file in
/// messages.
pub fn read_csv_from(input: impl std::io::Read, shown: &str, src: &CsvSource) -> Result<Table, CoreError> {
    let fail = |m: String| CoreError::invalid("data.csv", m);
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(input);
    let header: Vec<String> = reader.headers().map_err(|e| fail(format!("{shown}: {e}")))?.iter().map(str::to_string).collect();
    if header.len() < 2 {
        return Err(fail(format!("{shown}:1: needs at least two columns (inputs and a target), found {}", header.len())));
    }
    let find = |name: &String| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| fail(format!("{shown}:1: no column named {name:?} (columns: {})", header.join(", "))))
    };
    let (xs, ys): (Vec<usize>, Vec<usize>) = match src {
        CsvSource::Path(_) => ((0..header.len() - 1).collect(), vec![header.len() - 1]),
        CsvSource::Columns(c) => {
            let ys = match &c.y {
                Some(names) => names.iter().map(find).collect::<Result<_, _>>()?,
                None => vec![header.len() - 1],
            };
            let xs = match &c.x {
                Some(names) => names.iter().map(find).collect::<Result<_, _>>()?,
                None => (0..header.len()).filter(|i| !ys.contains(i)).collect(),
            };
            (xs, ys)
        }
    };
    let mut table = Table::default();
    for (r, record) in reader.records().enumerate() {
        let line = r + 2;
        let record = record.map_err(|e| fail(format!("{shown}:{line}: {e}")))?;
        if table.x.len() >= crate::core::data::MAX_ROWS {
            return Err(fail(format!("{shown}: more than {} rows", crate::core::data::MAX_ROWS)));
        }
        let cell = |i: usize| -> Result<f64, CoreError> {
            let s = record.get(i).unwrap_or("");
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| fail(format!("{shown}:{line}:{}: column {:?}: {s:?} is not a finite number", i + 1, header[i])))
        };
        table.x.push(xs.iter().map(|&i| cell(i)).collect::<Result<_, _>>()?);
        table.y.push(ys.iter().map(|&i| cell(i)).collect::<Result<_, _>>()?);
    }
    // Said here, naming the file: the table's own check would blame the scene's `data.x`.
    if table.x.is_empty() {
        return Err(fail(format!("{shown}:2: the file has a header but no rows; add at least one sample")));
    }
    Ok(table)
}

/// Finds the 1-based (line, column) of the field at `path` (`a.b[2].c`) in JSON or RON text,
/// by walking the nesting of `{}`, `()` and `[]`; `None` when the field is not written (a default).
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut pos = 0usize;
    let mut found = None;
    for seg in segments(path) {
        match seg {
            Segment::Key(k) => {
                pos = skip_ws(bytes, pos);
                // RON enum variant written as `name(...)`: the key names the value itself.
                if let Some((ident, after)) = read_ident(bytes, pos) {
                    if ident == k && bytes.get(skip_ws(bytes, after)) == Some(&b'(') {
                        found = Some(pos);
                        pos = skip_ws(bytes, after);
                        continue;
                    }
                    pos = skip_ws(bytes, after); // a RON struct name before `(`
                }
                let (key_at, value_at) = find_key(bytes, pos, k)?;
                found = Some(key_at);
                pos = value_at;
            }
            Segment::Index(i) => {
                pos = skip_ws(bytes, pos);
                let at = find_element(bytes, pos, i)?;
                found = Some(at);
                pos = at;
            }
        }
    }
    let at = found?;
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, col))
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, rest) = part.split_once('[').map_or((part, ""), |(a, b)| (a, b));
        if !name.is_empty() {
            out.push(Segment::Key(name));
        }
        for idx in rest.split('[') {
            if let Ok(i) = idx.trim_end_matches(']').parse() {
                out.push(Segment::Index(i));
            }
        }
    }
    out
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            return b.len();
        }
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i = b[i..].windows(2).position(|w| w == b"*/").map_or(b.len(), |p| i + p + 2);
        } else {
            return i;
        }
    }
}

fn read_ident(b: &[u8], i: usize) -> Option<(&str, usize)> {
    let start = i;
    let mut j = i;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        j += 1;
    }
    (j > start && !b[start].is_ascii_digit()).then(|| (std::str::from_utf8(&b[start..j]).unwrap_or(""), j))
}

/// One past the closing quote of the string opening at `i`; the end of the text for a string
/// left open (or ending in a lone backslash).
fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() && b[i] != b'"' {
        i += if b[i] == b'\\' { 2 } else { 1 };
    }
    (i + 1).min(b.len())
}

/// Inside the container opening at `open`, the key `k` at depth 1: (key position, value position).
fn find_key(b: &[u8], open: usize, k: &str) -> Option<(usize, usize)> {
    if !matches!(b.get(open), Some(b'{' | b'(')) {
        return None;
    }
    let mut depth = 0i32;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let end = skip_string(b, i);
                if depth == 1 && &b[i + 1..end.saturating_sub(1).max(i + 1)] == k.as_bytes() && b.get(skip_ws(b, end)) == Some(&b':') {
                    return Some((i, skip_ws(b, skip_ws(b, end) + 1)));
                }
                i = end;
                continue;
            }
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return None;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') || b.get(i + 1) == Some(&b'*') => {
                i = skip_ws(b, i);
                continue;
            }
            c if depth == 1 && (c.is_ascii_alphabetic() || c == b'_') => {
                let (ident, after) = read_ident(b, i)?;
                let colon = skip_ws(b, after);
                if ident == k && b.get(colon) == Some(&b':') {
                    return Some((i, skip_ws(b, colon + 1)));
                }
                i = after;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Inside the list (or RON tuple, as a fixed-size array like `betas` is written) opening at
/// `open`, the start of element `n`.
fn find_element(b: &[u8], open: usize, n: usize) -> Option<usize> {
    if !matches!(b.get(open), Some(b'[' | b'(')) {
        return None;
    }
    let mut depth = 0i32;
    let mut count = 0usize;
    let mut i = open;
    if n == 0 {
        let first = skip_ws(b, open + 1);
        return (!matches!(b.get(first), Some(b']' | b')'))).then_some(first);
    }
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = skip_string(b, i);
                continue;
            }
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return None;
                }
            }
            b',' if depth == 1 => {
                count += 1;
                if count == n {
                    let at = skip_ws(b, i + 1);
                    return (!matches!(b.get(at), Some(b']' | b')') | None)).then_some(at);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DESIGN.md's scene example, exactly as written there.
    const JSON: &str = include_str!("../tests/data/design_example.json");

    #[test]
    fn design_example_loads_as_written() {
        let s = parse(JSON, Format::Json, Path::new("x.json")).unwrap();
        assert_eq!(s.runs.len(), 2);
        assert_eq!(s.steps, 200);
        let o = s.build_in(Path::new(".")).unwrap();
        assert_eq!(o.dim(), 13);
    }

    #[test]
    fn round_trips_through_both_formats() {
        let s = parse(JSON, Format::Json, Path::new("x.json")).unwrap();
        for f in [Format::Ron, Format::Json] {
            let text = to_string(&s, f);
            assert_eq!(parse(&text, f, Path::new("y")).unwrap(), s, "{text}");
        }
    }

    #[test]
    fn locate_walks_json_and_ron() {
        assert_eq!(locate(JSON, "objective.network.layers[1].activation"), Some((5, 65)));
        assert_eq!(locate(JSON, "runs[1].optimizer.adam.lr"), Some((12, 29)));
        let ron = "(\n  objective: network(\n    inputs: 2,\n    layers: [\n      (units: 3),\n      (units: 0),\n    ],\n  ),\n)";
        assert_eq!(locate(ron, "objective.network.layers[1].units"), Some((6, 8)));
        assert_eq!(locate(ron, "objective.network.loss"), None);
    }

    #[test]
    fn errors_name_line_column_and_field() {
        let bad = JSON.replace(r#""lr": 0.05"#, r#""lr": -0.05"#);
        let e = parse(&bad, Format::Json, Path::new("s.json")).unwrap_err();
        assert_eq!(e.to_string(), "s.json:12:29: runs[1].optimizer.adam.lr: must be a finite number ≥ 0, got -0.05");
        let bad = JSON.replace(r#""units": 3"#, r#""units": "three""#);
        let e = parse(&bad, Format::Json, Path::new("s.json")).unwrap_err();
        assert!(e.to_string().starts_with("s.json:5:"), "{e}");
        assert!(e.to_string().contains("objective.network.layers[0].units"), "{e}");
        let e = parse("(objective: function(expr: \"x^2\", start: [1.0]), steps: \"many\")", Format::Ron, Path::new("s.ron")).unwrap_err();
        assert!(e.to_string().starts_with("s.ron:1:"), "{e}");
        assert!(e.to_string().contains("steps"), "{e}");
    }
}
