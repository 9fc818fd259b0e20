//! The plane (or line) through parameter space that a landscape is drawn on:
//! $\theta(a, b) = \theta_c + a\,d_1 + b\,d_2$, how it is chosen, and how points and recorded
//! paths are projected onto it.

use serde::{Deserialize, Serialize};

use super::super::error::CoreError;
use super::super::objective::Objective;
use super::super::session::Trajectory;
use super::directions;
use super::eigen::{dot, norm};

/// How the two directions of a slice are chosen (scene field `surface.directions`).
///
/// In scene files: `axes(i: 0, j: 1)`, `random(seed: 7, include_bias: false)`, `pca`,
/// `hessian` (RON) or `{"axes": {"i": 0, "j": 1}}`, `{"random": {"seed": 7}}`, `"pca"`,
/// `"hessian"` (JSON). The default is `axes(i: 0, j: 1)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Directions {
    /// Two parameters themselves: $d_1 = e_i$, $d_2 = e_j$. For a 2-parameter objective this is
    /// the exact surface.
    Axes {
        /// Index of the first parameter in θ (default 0).
        #[serde(default)]
        i: usize,
        /// Index of the second parameter in θ (default 1).
        #[serde(default = "one")]
        j: usize,
    },
    /// Seeded Gaussian directions, filter-normalised (Li et al. 2018): each neuron's incoming
    /// weights rescaled to the norm of the centre's. See [`directions::random`].
    Random {
        /// Seed of the ChaCha8 stream the directions are drawn from (default 0).
        #[serde(default)]
        seed: u64,
        /// Also move biases and batch-norm parameters (default: zeroed, as Li et al.).
        #[serde(default)]
        include_bias: bool,
    },
    /// The top two principal directions of run 0's recorded path. See [`directions::pca`].
    Pca,
    /// The two dominant eigenvectors of the Hessian at the centre. See [`directions::hessian`].
    Hessian,
}

fn one() -> usize {
    1
}

impl Default for Directions {
    fn default() -> Self {
        Directions::Axes { i: 0, j: 1 }
    }
}

impl Directions {
    /// The CLI names, in menu order.
    pub const NAMES: [&'static str; 4] = ["axes", "random", "pca", "hessian"];

    /// The short name (`axes`, `random`, `pca`, `hessian`).
    pub fn name(&self) -> &'static str {
        match self {
            Directions::Axes { .. } => "axes",
            Directions::Random { .. } => "random",
            Directions::Pca => "pca",
            Directions::Hessian => "hessian",
        }
    }

    /// Whether the directions are computed from a recorded path.
    pub fn needs_path(&self) -> bool {
        matches!(self, Directions::Pca)
    }
}

/// What is known about a plane's directions besides the vectors themselves.
#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct PlaneInfo {
    /// The rule that produced the directions (for a 1-parameter objective always
    /// `Axes { i: 0, j: 0 }`).
    pub directions: Directions,
    /// Axis labels: the parameters' names for `axes` (`w`, `b`, `x`, `θ3`), `PC1`/`PC2`,
    /// `v1`/`v2` (Hessian), `d1`/`d2` (random); the second is empty for a curve.
    pub names: [String; 2],
    /// The coordinates of the centre in the units shown to users: for `axes` the two
    /// parameters' values $(\theta_{c,i}, \theta_{c,j})$, so that `origin + (a, b)` are the
    /// parameters themselves; zero otherwise. Exports print `origin + offset`.
    pub origin: [f64; 2],
    /// PCA: the fraction of the path's squared displacement $\sum_k \lVert\theta_k -
    /// \theta_{end}\rVert^2$ that lies along $d_1$ and along $d_2$.
    pub explained_variance: Option<[f64; 2]>,
    /// Hessian: the eigenvalues $\lambda_1, \lambda_2$ of $d_1, d_2$ ($|\lambda_1| \ge |\lambda_2|$).
    pub eigenvalues: Option<[f64; 2]>,
}

impl PlaneInfo {
    /// For the Hessian's eigenvalues, $2/\lambda$: plain gradient descent with a learning rate
    /// above it diverges along that direction (on the local quadratic model), so $2/\lambda_1$
    /// is the largest stable SGD learning rate. `None` where λ ≤ 0 (no limit from that
    /// direction) or when the plane has no eigenvalues.
    pub fn max_stable_lr(&self) -> [Option<f64>; 2] {
        match self.eigenvalues {
            Some(l) => l.map(|l| (l > 0.0).then(|| 2.0 / l)),
            None => [None, None],
        }
    }
}

/// $\theta(a, b) = \theta_c + a\,d_1 + b\,d_2$, or the line $\theta_c + a\,d_1$ when `d2` is
/// `None` (a 1-parameter objective: the curve).
#[derive(Clone, Debug, PartialEq)]
pub struct Plane {
    /// $\theta_c$, the centre (a = b = 0).
    pub center: Vec<f64>,
    /// The first direction (length P).
    pub d1: Vec<f64>,
    /// The second direction; `None` for a curve.
    pub d2: Option<Vec<f64>>,
    /// Names, origin, explained variance, eigenvalues.
    pub info: PlaneInfo,
}

/// Where a point of parameter space lies relative to a plane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Projection {
    /// Coordinate along $d_1$.
    pub a: f64,
    /// Coordinate along $d_2$ (0 for a curve).
    pub b: f64,
    /// $\lVert \theta - \theta(a, b) \rVert_2$: how far the point is from the plane.
    pub distance: f64,
}

/// One recorded step projected onto a plane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathPoint {
    /// The step (row of the trajectory).
    pub step: u64,
    /// Coordinate along $d_1$.
    pub a: f64,
    /// Coordinate along $d_2$.
    pub b: f64,
    /// The true loss at θ (not the loss at its projection).
    pub loss: f64,
    /// Distance of θ from the plane.
    pub distance: f64,
}

impl Plane {
    /// Number of parameters P.
    pub fn dim(&self) -> usize {
        self.center.len()
    }

    /// Whether this is a line (1-parameter curve) rather than a plane.
    pub fn is_curve(&self) -> bool {
        self.d2.is_none()
    }

    /// Writes $\theta_c + a\,d_1 + b\,d_2$ into `out` (length P); `b` is ignored for a curve.
    pub fn point(&self, a: f64, b: f64, out: &mut [f64]) {
        match &self.d2 {
            Some(d2) => {
                for (((o, &c), &x), &y) in out.iter_mut().zip(&self.center).zip(&self.d1).zip(d2) {
                    *o = c + a * x + b * y;
                }
            }
            None => {
                for ((o, &c), &x) in out.iter_mut().zip(&self.center).zip(&self.d1) {
                    *o = c + a * x;
                }
            }
        }
    }

    /// The least-squares coordinates of θ on the plane and its distance from it.
    ///
    /// With $\delta = \theta - \theta_c$ and the Gram matrix $G = [d_i \cdot d_j]$,
    /// $(a, b) = G^{-1} (d_1 \cdot \delta, d_2 \cdot \delta)$ — the directions need not be
    /// orthogonal (random ones are not). If $d_2$ is (nearly) parallel to $d_1$ the projection
    /// falls back to $d_1$ alone. Non-finite θ gives NaN coordinates.
    pub fn project(&self, theta: &[f64]) -> Projection {
        let delta = |k: usize| theta[k] - self.center[k];
        let n = self.center.len().min(theta.len());
        let g11 = dot(&self.d1, &self.d1);
        let p1: f64 = (0..n).map(|k| self.d1[k] * delta(k)).sum();
        let (a, b) = match &self.d2 {
            Some(d2) => {
                let g12 = dot(&self.d1, d2);
                let g22 = dot(d2, d2);
                let p2: f64 = (0..n).map(|k| d2[k] * delta(k)).sum();
                let det = g11 * g22 - g12 * g12;
                if det > 1e-14 * g11 * g22 && det.is_finite() {
                    ((g22 * p1 - g12 * p2) / det, (g11 * p2 - g12 * p1) / det)
                } else if g11 > 0.0 {
                    (p1 / g11, 0.0)
                } else if g22 > 0.0 {
                    (0.0, p2 / g22)
                } else {
                    (0.0, 0.0)
                }
            }
            None if g11 > 0.0 => (p1 / g11, 0.0),
            None => (0.0, 0.0),
        };
        let d2 = self.d2.as_deref();
        let distance = (0..n)
            .map(|k| {
                let r = delta(k) - a * self.d1[k] - d2.map_or(0.0, |d| b * d[k]);
                r * r
            })
            .sum::<f64>()
            .sqrt();
        Projection { a, b, distance }
    }

    /// Every finite row of `path` projected onto the plane, with its recorded loss.
    pub fn project_path(&self, path: &Trajectory) -> Vec<PathPoint> {
        (0..path.len())
            .filter(|&k| path.params(k).iter().all(|v| v.is_finite()))
            .map(|k| {
                let p = self.project(path.params(k));
                let r = &path.records[k];
                PathPoint { step: r.step, a: p.a, b: p.b, loss: r.loss, distance: p.distance }
            })
            .collect()
    }
}

/// The smallest half-width [`auto_span`] returns when the paths moved.
pub const MIN_SPAN: f64 = 1e-3;

/// What [`auto_span`] returns when there is nothing to cover (no path, or no movement).
pub const DEFAULT_SPAN: f64 = 1.0;

/// Margin [`auto_span`] adds around the farthest projected point.
pub const SPAN_MARGIN: f64 = 1.25;

/// A half-width for the grid that covers every path's projection:
/// $\max(\text{MARGIN} \cdot \max_k \max(|a_k|, |b_k|),\ \text{MIN\_SPAN})$ over the finite
/// rows of every path, or [`DEFAULT_SPAN`] when no path moved off the centre.
///
/// Random filter-normalised directions get at least [`DEFAULT_SPAN`]: their unit is each
/// filter's own norm, and ±1 is Li et al.'s canonical view (a path, nearly orthogonal to random
/// directions in high dimension, would otherwise shrink the view to nothing).
pub fn auto_span(plane: &Plane, paths: &[&Trajectory]) -> f64 {
    let mut extent = 0.0f64;
    for path in paths {
        for p in plane.project_path(path) {
            let e = if plane.is_curve() { p.a.abs() } else { p.a.abs().max(p.b.abs()) };
            if e.is_finite() {
                extent = extent.max(e);
            }
        }
    }
    let floor = if matches!(plane.info.directions, Directions::Random { .. }) { DEFAULT_SPAN } else { MIN_SPAN };
    if extent > 0.0 { (SPAN_MARGIN * extent).max(floor) } else { DEFAULT_SPAN }
}

/// Builds the plane through `center` for `dirs`.
///
/// A 1-parameter objective always gives the exact curve ($d_1 = e_0$, `d2 = None`), whatever
/// `dirs` says. `path` (run 0's recorded trajectory) is needed by [`Directions::Pca`] only.
///
/// Errors: a centre of the wrong length or not finite; `axes` indices out of range or equal;
/// `pca` without a path that moved; random directions that vanish (every weight of the centre
/// zero); a Hessian whose HVPs are not finite.
pub fn build_plane(objective: &Objective, center: &[f64], dirs: &Directions, path: Option<&Trajectory>) -> Result<Plane, CoreError> {
    let dim = objective.dim();
    let field = "surface.directions";
    if center.len() != dim {
        return Err(CoreError::invalid("surface.center", format!("has {} values but the objective has {dim} parameters", center.len())));
    }
    if let Some(i) = center.iter().position(|v| !v.is_finite()) {
        return Err(CoreError::invalid("surface.center", format!("θ[{i}] is {}: a slice needs a finite centre", center[i])));
    }
    let mut info = PlaneInfo { directions: dirs.clone(), ..PlaneInfo::default() };
    if dim == 1 {
        info.directions = Directions::Axes { i: 0, j: 0 };
        info.names = [objective.axis_name(0), String::new()];
        info.origin = [center[0], 0.0];
        return Ok(Plane { center: center.to_vec(), d1: vec![1.0], d2: None, info });
    }
    let (d1, d2) = match dirs {
        Directions::Axes { i, j } => {
            let (i, j) = (*i, *j);
            if i >= dim || j >= dim {
                return Err(CoreError::invalid(
                    field,
                    format!("axes ({i}, {j}) out of range: the objective has {dim} parameters (0..{})", dim - 1),
                ));
            }
            if i == j {
                return Err(CoreError::invalid(field, format!("axes need two different parameters, got {i} twice")));
            }
            info.names = [objective.axis_name(i), objective.axis_name(j)];
            info.origin = [center[i], center[j]];
            let mut d1 = vec![0.0; dim];
            let mut d2 = vec![0.0; dim];
            d1[i] = 1.0;
            d2[j] = 1.0;
            (d1, d2)
        }
        Directions::Random { seed, include_bias } => {
            let [d1, d2] = directions::random(objective, center, *seed, *include_bias);
            if norm(&d1) == 0.0 || norm(&d2) == 0.0 {
                return Err(CoreError::invalid(
                    field,
                    "random directions vanish: filter normalisation scales each neuron's direction to its weights' norm, and every weight of the centre is 0; use axes, or random with include_bias",
                ));
            }
            info.names = ["d1".into(), "d2".into()];
            (d1, d2)
        }
        Directions::Pca => {
            let Some(path) = path else {
                return Err(CoreError::invalid(field, "pca needs a recorded path: set steps > 0"));
            };
            let pca = directions::pca(path).map_err(|m| CoreError::invalid(field, m))?;
            info.names = ["PC1".into(), "PC2".into()];
            info.explained_variance = Some(pca.explained);
            (pca.d1, pca.d2)
        }
        Directions::Hessian => {
            let h = directions::hessian(objective, center).map_err(|m| CoreError::invalid(field, m))?;
            info.names = ["v1".into(), "v2".into()];
            info.eigenvalues = Some(h.eigenvalues);
            (h.d1, h.d2)
        }
    };
    Ok(Plane { center: center.to_vec(), d1, d2: Some(d2), info })
}
