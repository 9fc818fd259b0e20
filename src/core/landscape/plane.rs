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

/// Builds the plane through `center` for `dirs`: a [`PlaneJob`] run to its end.
///
/// A 1-parameter objective always gives the exact curve ($d_1 = e_0$, `d2 = None`), whatever
/// `dirs` says. `path` (run 0's recorded trajectory) is needed by [`Directions::Pca`] only.
///
/// Errors: a centre of the wrong length or not finite; `axes` indices out of range or equal;
/// `pca` without a path that moved; random directions that vanish (every weight of the centre
/// zero); a Hessian whose HVPs are not finite.
pub fn build_plane(objective: &Objective, center: &[f64], dirs: &Directions, path: Option<&Trajectory>) -> Result<Plane, CoreError> {
    let mut job = PlaneJob::new(objective, center, dirs, path)?;
    loop {
        if let Some(plane) = job.step(objective, path)? {
            return Ok(plane);
        }
    }
}

/// [`build_plane`] a piece at a time: the PCA and Hessian directions take one Lanczos product
/// per [`PlaneJob::step`] (see [`eigen::Lanczos`](super::eigen::Lanczos)), so that the page,
/// with one thread, computes them between frames; the other rules are done in one piece.
#[derive(Clone, Debug)]
pub struct PlaneJob {
    center: Vec<f64>,
    work: PlaneWork,
}

#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // one per survey
enum PlaneWork {
    /// Built (axes, random, a curve), waiting to be handed out.
    Built(Option<Plane>),
    Pca(directions::PcaJob),
    Hessian(directions::HessianJob),
}

const FIELD: &str = "surface.directions";

impl PlaneJob {
    /// Checks the centre and the directions and builds what needs no iteration. `path`: see
    /// [`build_plane`].
    pub fn new(objective: &Objective, center: &[f64], dirs: &Directions, path: Option<&Trajectory>) -> Result<Self, CoreError> {
        let dim = objective.dim();
        if center.len() != dim {
            return Err(CoreError::invalid(
                "surface.center",
                format!("has {} values but the objective has {dim} parameters", center.len()),
            ));
        }
        if let Some(i) = center.iter().position(|v| !v.is_finite()) {
            return Err(CoreError::invalid("surface.center", format!("θ[{i}] is {}: a slice needs a finite centre", center[i])));
        }
        let built =
            |d1: Vec<f64>, d2: Option<Vec<f64>>, info: PlaneInfo| PlaneWork::Built(Some(Plane { center: center.to_vec(), d1, d2, info }));
        let mut info = PlaneInfo { directions: dirs.clone(), ..PlaneInfo::default() };
        let work = if dim == 1 {
            info.directions = Directions::Axes { i: 0, j: 0 };
            info.names = [objective.axis_name(0), String::new()];
            info.origin = [center[0], 0.0];
            built(vec![1.0], None, info)
        } else {
            match dirs {
                Directions::Axes { i, j } => {
                    let (i, j) = (*i, *j);
                    if i >= dim || j >= dim {
                        return Err(CoreError::invalid(
                            FIELD,
                            format!("axes ({i}, {j}) out of range: the objective has {dim} parameters (0..{})", dim - 1),
                        ));
                    }
                    if i == j {
                        return Err(CoreError::invalid(FIELD, format!("axes need two different parameters, got {i} twice")));
                    }
                    info.names = [objective.axis_name(i), objective.axis_name(j)];
                    info.origin = [center[i], center[j]];
                    let mut d1 = vec![0.0; dim];
                    let mut d2 = vec![0.0; dim];
                    d1[i] = 1.0;
                    d2[j] = 1.0;
                    built(d1, Some(d2), info)
                }
                Directions::Random { seed, include_bias } => {
                    let [d1, d2] = directions::random(objective, center, *seed, *include_bias);
                    if norm(&d1) == 0.0 || norm(&d2) == 0.0 {
                        return Err(CoreError::invalid(
                            FIELD,
                            "random directions vanish: filter normalisation scales each neuron's direction to its weights' norm, and every weight of the centre is 0; use axes, or random with include_bias",
                        ));
                    }
                    info.names = ["d1".into(), "d2".into()];
                    built(d1, Some(d2), info)
                }
                Directions::Pca => {
                    let Some(path) = path else {
                        return Err(CoreError::invalid(FIELD, "pca needs a recorded path: set steps > 0"));
                    };
                    PlaneWork::Pca(directions::PcaJob::new(path).map_err(|e| CoreError::invalid(FIELD, e.to_string()))?)
                }
                Directions::Hessian => PlaneWork::Hessian(directions::HessianJob::new(dim)),
            }
        };
        Ok(Self { center: center.to_vec(), work })
    }

    /// One piece of work (one Lanczos product for PCA and the Hessian) with the `objective` and
    /// `path` given to [`PlaneJob::new`]; the plane once it is built.
    pub fn step(&mut self, objective: &Objective, path: Option<&Trajectory>) -> Result<Option<Plane>, CoreError> {
        let named = |directions, names: [&str; 2]| PlaneInfo { directions, names: names.map(String::from), ..PlaneInfo::default() };
        let done = match &mut self.work {
            PlaneWork::Built(plane) => return Ok(plane.take()),
            PlaneWork::Pca(job) => job.step(path.expect("a PCA job was started with a path")).map(|found| {
                found.map(|pca| {
                    (pca.d1, pca.d2, PlaneInfo { explained_variance: Some(pca.explained), ..named(Directions::Pca, ["PC1", "PC2"]) })
                })
            }),
            PlaneWork::Hessian(job) => job.step(objective, &self.center).map(|found| {
                found.map(|h| (h.d1, h.d2, PlaneInfo { eigenvalues: Some(h.eigenvalues), ..named(Directions::Hessian, ["v1", "v2"]) }))
            }),
        };
        let Some(done) = done else { return Ok(None) };
        let (d1, d2, info) = done.map_err(|e| CoreError::invalid(FIELD, e.to_string()))?;
        Ok(Some(Plane { center: self.center.clone(), d1, d2: Some(d2), info }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::landscape::testing::{function, hours_studied, reference};
    use crate::core::{OptimizerConfig, RunSpec, Session, Sgd};
    use approx::assert_relative_eq;
    use std::sync::Arc;

    #[test]
    fn projection_recovers_coordinates_and_distance() {
        let o = reference(20);
        let c = o.start().to_vec();
        let plane = build_plane(&o, &c, &Directions::Random { seed: 9, include_bias: true }, None).unwrap();
        let (d1, d2) = (&plane.d1, plane.d2.as_ref().unwrap());
        // A normal to the plane: a third vector minus its projection on an orthonormal basis
        // (q1, q2) of span(d1, d2).
        let q1: Vec<f64> = d1.iter().map(|x| x / norm(d1)).collect();
        let c12 = dot(&q1, d2);
        let mut q2: Vec<f64> = d2.iter().zip(&q1).map(|(y, x)| y - c12 * x).collect();
        let n2 = norm(&q2);
        q2.iter_mut().for_each(|x| *x /= n2);
        let mut nrm: Vec<f64> = (0..c.len()).map(|k| ((k * 7 % 5) as f64 - 2.0) + 0.1 * k as f64).collect();
        for q in [&q1, &q2] {
            let coef = dot(&nrm, q);
            nrm.iter_mut().zip(q).for_each(|(x, y)| *x -= coef * y);
        }
        let scale = 0.25 / norm(&nrm);
        nrm.iter_mut().for_each(|x| *x *= scale);
        let mut theta = vec![0.0; c.len()];
        plane.point(0.3, -0.7, &mut theta);
        theta.iter_mut().zip(&nrm).for_each(|(t, n)| *t += n);
        let p = plane.project(&theta);
        assert_relative_eq!(p.a, 0.3, epsilon = 1e-12);
        assert_relative_eq!(p.b, -0.7, epsilon = 1e-12);
        assert_relative_eq!(p.distance, 0.25, epsilon = 1e-12);
        let on = plane.project(&c);
        assert_eq!((on.a, on.b, on.distance), (0.0, 0.0, 0.0));
        assert!(plane.project(&vec![f64::NAN; c.len()]).a.is_nan());
    }

    #[test]
    fn two_parameters_with_axes_are_the_parameters_themselves() {
        let o = hours_studied([0.0, 0.0]);
        let plane = build_plane(&o, &[0.2, 1.0], &Directions::default(), None).unwrap();
        assert_eq!(plane.info.names, ["w".to_string(), "b".to_string()]);
        assert_eq!(plane.info.origin, [0.2, 1.0]);
        let mut theta = [0.0; 2];
        plane.point(0.35, 0.9, &mut theta);
        assert_eq!(theta, [0.2 + 0.35, 1.0 + 0.9]);
        let p = plane.project(&[0.55, 1.9]);
        assert_relative_eq!(p.a, 0.35, epsilon = 1e-15);
        assert_relative_eq!(p.b, 0.9, epsilon = 1e-15);
        assert_eq!(p.distance, 0.0);
        // Swapped axes.
        let swapped = build_plane(&o, &[0.2, 1.0], &Directions::Axes { i: 1, j: 0 }, None).unwrap();
        assert_eq!(swapped.info.origin, [1.0, 0.2]);
    }

    #[test]
    fn bad_planes_are_refused_with_the_field() {
        let o = reference(10);
        let c = o.start().to_vec();
        let err = |d: Directions, path| build_plane(&o, &c, &d, path).unwrap_err().to_string();
        assert!(err(Directions::Axes { i: 0, j: 500 }, None).contains("out of range"));
        assert!(err(Directions::Axes { i: 3, j: 3 }, None).contains("two different"));
        assert!(err(Directions::Pca, None).contains("steps > 0"));
        assert!(err(Directions::Pca, Some(&Trajectory::new(c.len()))).contains("steps > 0"));
        assert!(build_plane(&o, &c[1..], &Directions::default(), None).unwrap_err().to_string().contains("surface.center"));
        let mut nan = c.clone();
        nan[2] = f64::NAN;
        assert!(build_plane(&o, &nan, &Directions::default(), None).is_err());
        // Every weight zero: filter-normalised random directions vanish.
        let zero = vec![0.0; c.len()];
        assert!(
            build_plane(&o, &zero, &Directions::Random { seed: 0, include_bias: false }, None).unwrap_err().to_string().contains("vanish")
        );
    }

    #[test]
    fn auto_span_covers_every_path() {
        let o = Arc::new(function("(x - 3)^2 + 4*(y + 1)^2", &[0.0, 0.0]));
        let runs = [RunSpec::new(OptimizerConfig::Sgd(Sgd { lr: 0.05, ..Sgd::default() }))];
        let mut s = Session::new(o.clone(), &runs).unwrap();
        s.run(100);
        let plane = build_plane(&o, o.start(), &Directions::default(), None).unwrap();
        let span = auto_span(&plane, &[&s.runs[0].trajectory]);
        // The path goes from (0, 0) towards (3, −1): |a| reaches almost 3.
        for p in plane.project_path(&s.runs[0].trajectory) {
            assert!(p.a.abs() <= span && p.b.abs() <= span);
        }
        assert!(span > 3.0 * 0.99 && span < 3.0 * SPAN_MARGIN * 1.01, "{span}");
        assert_eq!(auto_span(&plane, &[]), DEFAULT_SPAN);
        let random =
            build_plane(&reference(10).clone(), reference(10).start(), &Directions::Random { seed: 1, include_bias: false }, None).unwrap();
        assert!(auto_span(&random, &[]) >= DEFAULT_SPAN);
    }

    #[test]
    fn directions_read_from_scene_text() {
        let json = |t: &str| serde_json::from_str::<Directions>(t).unwrap();
        assert_eq!(json(r#""pca""#), Directions::Pca);
        assert_eq!(json(r#""hessian""#), Directions::Hessian);
        assert_eq!(json(r#"{"axes": {}}"#), Directions::Axes { i: 0, j: 1 });
        assert_eq!(json(r#"{"axes": {"i": 2, "j": 5}}"#), Directions::Axes { i: 2, j: 5 });
        assert_eq!(json(r#"{"random": {"seed": 7}}"#), Directions::Random { seed: 7, include_bias: false });
        assert_eq!(
            ron::from_str::<Directions>("random(seed: 3, include_bias: true)").unwrap(),
            Directions::Random { seed: 3, include_bias: true }
        );
        assert_eq!(ron::from_str::<Directions>("axes(i: 1, j: 0)").unwrap(), Directions::Axes { i: 1, j: 0 });
        assert_eq!(ron::from_str::<Directions>("pca").unwrap(), Directions::Pca);
        assert!(serde_json::from_str::<Directions>(r#""sideways""#).is_err());
        assert_eq!(Directions::default(), Directions::Axes { i: 0, j: 1 });
        assert_eq!(Directions::NAMES.map(|n| n.len()), [4, 6, 3, 7]);
    }
}
