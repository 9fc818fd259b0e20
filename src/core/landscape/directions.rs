//! The three computed direction rules: random filter-normalised, PCA of a recorded path, and
//! the Hessian's dominant eigenvectors. (`axes` needs no computation; see
//! [`build_plane`](super::build_plane).)

use super::super::data::SeededRng;
use super::super::network::{HvpWorkspace, Network};
use super::super::objective::Objective;
use super::super::session::Trajectory;
use super::eigen::{Lanczos, Which, dot, norm};

/// Why the PCA or Hessian directions cannot be computed. The messages name the rule and say
/// what to use instead; [`build_plane`](super::build_plane) puts the scene field in front.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DirectionsError {
    /// PCA: the path has fewer than two finite points because run 0 diverged at `step`.
    #[error(
        "pca: run 0 diverged at step {step}, so its path has fewer than 2 finite points; \
         use a smaller lr or gradient clipping, or other directions (random, hessian)"
    )]
    PathDiverged {
        /// The first step whose θ is not finite.
        step: u64,
    },
    /// PCA: no steps were recorded.
    #[error("pca needs a recorded path: set steps > 0")]
    NoPath,
    /// PCA: every recorded point is the same.
    #[error("pca: the path never moved, so it has no principal directions; use random or hessian")]
    PathStill,
    /// The objective has fewer than two parameters (the named rule needs two eigenvectors).
    #[error("{0}: fewer than two parameters")]
    TooFewParameters(&'static str),
    /// A Hessian-vector product at the centre was not finite.
    #[error("the Hessian at the centre is not finite (the loss diverges there); centre the slice elsewhere")]
    HessianNotFinite,
}

/// Two seeded random directions, filter-normalised (Li, Xu, Taylor, Studer & Goldstein,
/// *Visualizing the Loss Landscape of Neural Nets*, NeurIPS 2018).
///
/// Every entry is first drawn from N(0, 1) (ChaCha8 through [`SeededRng`], d₁ then d₂, each in
/// θ order, so the stream does not depend on `include_bias`). Then, for a network, each
/// neuron's *filter* — its incoming weights $W_{u,:}$ — is rescaled to the norm of the centre's
/// filter:
/// $$d_{u,:} \leftarrow \frac{d_{u,:}}{\lVert d_{u,:}\rVert}\,\lVert \theta_{c,u,:} \rVert.$$
/// Biases and batch-norm γ, β are zeroed (Li et al.'s `ignore='biasbn'`), unless
/// `include_bias`: then the neuron's bias (and γ, β) belong to its filter and are rescaled with
/// the weights. (Li et al.'s code instead copies θ_c into 1-D parameters; a zero-initialised
/// bias would then never move, so we do not.)
///
/// A typed function has no neurons: its directions are Gaussian with unit length.
pub fn random(objective: &Objective, center: &[f64], seed: u64, include_bias: bool) -> [Vec<f64>; 2] {
    let dim = objective.dim();
    let mut rng = SeededRng::new(seed);
    let mut out = [vec![0.0; dim], vec![0.0; dim]];
    for d in &mut out {
        d.iter_mut().for_each(|v| *v = rng.normal());
    }
    for d in &mut out {
        match objective.network() {
            Some(n) => filter_normalise(&n.net, center, d, include_bias),
            None => {
                let s = norm(d);
                if s > 0.0 {
                    d.iter_mut().for_each(|v| *v /= s);
                }
            }
        }
    }
    out
}

/// The θ indices of neuron `u` of every layer: its filter (weights, and with `include_bias`
/// its bias, γ and β), and the bias/batch-norm indices left out of it.
pub fn filters(net: &Network, include_bias: bool) -> Vec<(Vec<usize>, Vec<usize>)> {
    let mut out = Vec::new();
    for l in net.layers() {
        for u in 0..l.units {
            let weights = l.weight_offset + u * l.fan_in..l.weight_offset + (u + 1) * l.fan_in;
            let mut extra = vec![l.bias_offset + u];
            if l.batch_norm {
                extra.push(l.bn_offset + u);
                extra.push(l.bn_offset + l.units + u);
            }
            let mut filter: Vec<usize> = weights.collect();
            if include_bias {
                filter.append(&mut extra);
            }
            out.push((filter, extra));
        }
    }
    out
}

fn filter_normalise(net: &Network, center: &[f64], d: &mut [f64], include_bias: bool) {
    for (filter, excluded) in filters(net, include_bias) {
        let dn = filter.iter().map(|&k| d[k] * d[k]).sum::<f64>().sqrt();
        let cn = filter.iter().map(|&k| center[k] * center[k]).sum::<f64>().sqrt();
        let scale = if dn > 0.0 { cn / dn } else { 0.0 };
        filter.iter().for_each(|&k| d[k] *= scale);
        if !include_bias {
            excluded.iter().for_each(|&k| d[k] = 0.0);
        }
    }
}

/// The principal directions of a path and how much of it they explain.
#[derive(Clone, Debug, PartialEq)]
pub struct PathPca {
    /// First principal direction (unit length).
    pub d1: Vec<f64>,
    /// Second principal direction (unit length, orthogonal to `d1`).
    pub d2: Vec<f64>,
    /// Fraction of $\sum_k \lVert\delta_k\rVert^2$ along each direction.
    pub explained: [f64; 2],
}

/// The top two principal directions of a recorded path, from the displacements
/// $\delta_k = \theta_k - \theta_{end}$ of its finite rows ($\theta_{end}$ = the last finite
/// row), as in Li et al. 2018 §7:
/// $d_1, d_2$ are the top eigenvectors of $\sum_k \delta_k \delta_k^\top$ (found by Lanczos
/// with products $v \mapsto \sum_k \delta_k (\delta_k\cdot v)$, never forming the P × P
/// matrix), and `explained[i]` $= \lambda_i / \sum_k \lVert\delta_k\rVert^2$.
///
/// The rows are not mean-centred (Li et al.'s code centres them, as sklearn's PCA does): the
/// plane passes through $\theta_{end}$, and the un-centred directions are exactly the plane
/// through $\theta_{end}$ that lies closest to the path (least squares). A path that moved
/// along a line has `explained = [1, 0]` and an arbitrary orthogonal $d_2$.
pub fn pca(path: &Trajectory) -> Result<PathPca, DirectionsError> {
    let mut job = PcaJob::new(path)?;
    loop {
        if let Some(done) = job.step(path) {
            return done;
        }
    }
}

/// [`pca`] one Lanczos product at a time (see [`Lanczos`]): the page computes it between frames.
#[derive(Clone, Debug)]
pub struct PcaJob {
    /// The path's finite rows.
    rows: Vec<usize>,
    /// $\theta_{end}$.
    theta_end: Vec<f64>,
    /// $\sum_k \lVert\delta_k\rVert^2$.
    total: f64,
    lanczos: Lanczos,
}

impl PcaJob {
    /// The PCA of `path`, not started; an error when the path has no principal directions.
    pub fn new(path: &Trajectory) -> Result<Self, DirectionsError> {
        let rows: Vec<usize> = (0..path.len()).filter(|&k| path.params(k).iter().all(|v| v.is_finite())).collect();
        if rows.len() < 2 {
            // Steps were taken but θ stopped being finite: more steps would not help.
            if let Some(k) = (0..path.len()).find(|&k| !rows.contains(&k)) {
                return Err(DirectionsError::PathDiverged { step: path.records[k].step });
            }
            return Err(DirectionsError::NoPath);
        }
        let end = rows[rows.len() - 1];
        let theta_end = path.params(end).to_vec();
        let total: f64 = rows.iter().map(|&k| path.params(k).iter().zip(&theta_end).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()).sum();
        if total == 0.0 {
            return Err(DirectionsError::PathStill);
        }
        Ok(Self { rows, theta_end, total, lanczos: Lanczos::new(path.dim(), 2, Which::Largest, 0) })
    }

    /// One product $v \mapsto \sum_k \delta_k (\delta_k\cdot v)$ over `path` (the one given to
    /// [`PcaJob::new`]); the directions once found.
    pub fn step(&mut self, path: &Trajectory) -> Option<Result<PathPca, DirectionsError>> {
        let Self { rows, theta_end, total, lanczos } = self;
        let mut op = |v: &[f64], out: &mut [f64]| {
            out.iter_mut().for_each(|o| *o = 0.0);
            for &k in rows.iter() {
                let th = path.params(k);
                let c: f64 = th.iter().zip(theta_end.iter()).zip(v).map(|((a, b), x)| (a - b) * x).sum();
                for ((o, a), b) in out.iter_mut().zip(th).zip(theta_end.iter()) {
                    *o += c * (a - b);
                }
            }
        };
        let pairs = lanczos.step(&mut op)?;
        let total = *total;
        Some(match <[_; 2]>::try_from(pairs) {
            Ok([(l1, d1), (l2, d2)]) => Ok(PathPca { d1, d2, explained: [l1.max(0.0) / total, l2.max(0.0) / total] }),
            Err(_) => Err(DirectionsError::TooFewParameters("pca")),
        })
    }
}

/// The Hessian's two dominant eigenpairs at a point.
#[derive(Clone, Debug, PartialEq)]
pub struct HessianPairs {
    /// Eigenvector of λ₁ (unit length).
    pub d1: Vec<f64>,
    /// Eigenvector of λ₂ (unit length, orthogonal to `d1`).
    pub d2: Vec<f64>,
    /// λ₁, λ₂ with $|\lambda_1| \ge |\lambda_2| \ge$ every other $|\lambda|$.
    pub eigenvalues: [f64; 2],
}

/// The two eigenpairs of the Hessian at `center` with the largest |λ|, by Lanczos on
/// [`Objective::hvp`] products (exact for networks; seeded, so reproducible).
///
/// Dominant by magnitude, as power iteration (and PyHessian) would find them: near a minimum
/// these are the two largest curvatures; at a saddle a strongly negative direction counts
/// too. `2/λ₁` ([`PlaneInfo::max_stable_lr`](super::PlaneInfo::max_stable_lr)) is the largest
/// learning rate plain gradient descent tolerates there.
pub fn hessian(objective: &Objective, center: &[f64]) -> Result<HessianPairs, DirectionsError> {
    let mut job = HessianJob::new(objective.dim());
    loop {
        if let Some(done) = job.step(objective, center) {
            return done;
        }
    }
}

/// [`hessian`] one Hessian-vector product at a time (see [`Lanczos`]): the page computes it
/// between frames.
#[derive(Clone, Debug)]
pub struct HessianJob {
    ws: HvpWorkspace,
    /// Every product so far was finite.
    finite: bool,
    lanczos: Lanczos,
}

impl HessianJob {
    /// The Hessian's eigenpairs of an objective of `dim` parameters, not started.
    pub fn new(dim: usize) -> Self {
        Self { ws: HvpWorkspace::default(), finite: true, lanczos: Lanczos::new(dim, 2, Which::Magnitude, 0) }
    }

    /// One product $v \mapsto H(\text{center})\,v$ (the same objective and centre every
    /// time); the eigenpairs once found.
    pub fn step(&mut self, objective: &Objective, center: &[f64]) -> Option<Result<HessianPairs, DirectionsError>> {
        let Self { ws, finite, lanczos } = self;
        let mut op = |v: &[f64], out: &mut [f64]| {
            objective.hvp(center, v, out, ws);
            if out.iter().any(|x| !x.is_finite()) {
                *finite = false;
                out.iter_mut().for_each(|o| *o = 0.0);
            }
        };
        let pairs = lanczos.step(&mut op)?;
        if !*finite {
            return Some(Err(DirectionsError::HessianNotFinite));
        }
        Some(match <[_; 2]>::try_from(pairs) {
            Ok([(l1, d1), (l2, d2)]) => {
                debug_assert!(dot(&d1, &d2).abs() < 1e-6);
                Ok(HessianPairs { d1, d2, eigenvalues: [l1, l2] })
            }
            Err(_) => Err(DirectionsError::TooFewParameters("hessian")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Workspace;
    use crate::core::landscape::eigen::symmetric_eigen;
    use crate::core::landscape::testing::{function, network, reference, spiral};
    use crate::core::landscape::{Directions, build_plane};
    use crate::core::{Activation, LayerSpec, Loss, OptimizerConfig, Penalty, RunSpec, Session, Sgd};
    use approx::assert_relative_eq;
    use std::sync::Arc;

    fn bn_net() -> Objective {
        let mut hidden = LayerSpec::new(5, Activation::Relu);
        hidden.batch_norm = true;
        network(2, vec![hidden, LayerSpec::new(3, Activation::Tanh), LayerSpec::new(1, Activation::Linear)], Loss::Mse, spiral(40), None)
    }

    #[test]
    fn random_filters_have_the_centres_norm() {
        let o = bn_net();
        let net = &o.network().unwrap().net;
        let c = o.start().to_vec();
        for include_bias in [false, true] {
            let [d1, d2] = random(&o, &c, 11, include_bias);
            for d in [&d1, &d2] {
                for (filter, extra) in filters(net, include_bias) {
                    let dn = filter.iter().map(|&k| d[k] * d[k]).sum::<f64>().sqrt();
                    let cn = filter.iter().map(|&k| c[k] * c[k]).sum::<f64>().sqrt();
                    assert_relative_eq!(dn, cn, max_relative = 1e-14);
                    if !include_bias {
                        assert!(extra.iter().all(|&k| d[k] == 0.0), "biases and batch norm are zeroed");
                    }
                }
            }
            assert_ne!(d1, d2);
            assert_eq!(random(&o, &c, 11, include_bias), [d1, d2], "seeded");
        }
        assert_ne!(random(&o, &c, 11, false), random(&o, &c, 12, false));
        // A typed function: unit Gaussian directions.
        let f = function("x^2 + y^2 + z^2", &[1.0, 2.0, 3.0]);
        for d in random(&f, f.start(), 0, false) {
            assert_relative_eq!(norm(&d), 1.0, epsilon = 1e-15);
        }
    }

    #[test]
    fn pca_directions_are_orthonormal_with_the_variance_they_claim() {
        let o = Arc::new(reference(60));
        let run = RunSpec::new(OptimizerConfig::Sgd(Sgd { lr: 0.2, momentum: 0.9, ..Sgd::default() }));
        let mut s = Session::new(o.clone(), &[run]).unwrap();
        s.run(80);
        let path = &s.runs[0].trajectory;
        let pca = pca(path).unwrap();
        assert_relative_eq!(norm(&pca.d1), 1.0, epsilon = 1e-12);
        assert_relative_eq!(norm(&pca.d2), 1.0, epsilon = 1e-12);
        assert_relative_eq!(dot(&pca.d1, &pca.d2), 0.0, epsilon = 1e-12);
        // The claimed fractions are the path's squared displacements along each direction.
        let end = path.params(path.len() - 1).to_vec();
        let dim = end.len();
        let deltas: Vec<Vec<f64>> = (0..path.len()).map(|k| path.params(k).iter().zip(&end).map(|(a, b)| a - b).collect()).collect();
        let total: f64 = deltas.iter().map(|d| dot(d, d)).sum();
        for (d, claimed) in [(&pca.d1, pca.explained[0]), (&pca.d2, pca.explained[1])] {
            let along: f64 = deltas.iter().map(|x| dot(x, d).powi(2)).sum();
            assert_relative_eq!(along / total, claimed, max_relative = 1e-9);
        }
        assert!(pca.explained[0] >= pca.explained[1] && pca.explained[0] + pca.explained[1] <= 1.0 + 1e-12);
        // Against the dense P × P matrix Σ δ δᵀ.
        let mut m = vec![0.0; dim * dim];
        for d in &deltas {
            for i in 0..dim {
                for j in 0..dim {
                    m[i * dim + j] += d[i] * d[j];
                }
            }
        }
        let (mut values, _) = symmetric_eigen(&m, dim);
        values.sort_by(|a, b| b.total_cmp(a));
        assert_relative_eq!(pca.explained[0] * total, values[0], max_relative = 1e-9);
        assert_relative_eq!(pca.explained[1] * total, values[1], max_relative = 1e-9);
        // Through build_plane: the info carries the fractions.
        let plane = build_plane(&o, &end, &Directions::Pca, Some(path)).unwrap();
        assert_eq!(plane.info.explained_variance, Some(pca.explained));
        assert_eq!(plane.info.names, ["PC1".to_string(), "PC2".to_string()]);
    }

    #[test]
    fn pca_of_a_straight_path_and_of_no_path() {
        // SGD on a round bowl from (3, 4): a straight line to the origin.
        let o = Arc::new(function("x^2 + y^2 + z^2", &[3.0, 4.0, 0.0]));
        let run = RunSpec::new(OptimizerConfig::Sgd(Sgd { lr: 0.1, ..Sgd::default() }));
        let mut s = Session::new(o.clone(), &[run]).unwrap();
        s.run(10);
        let p = pca(&s.runs[0].trajectory).unwrap();
        assert_relative_eq!(p.explained[0], 1.0, epsilon = 1e-12);
        assert_relative_eq!(p.explained[1], 0.0, epsilon = 1e-12);
        assert_relative_eq!(p.d1[0].abs(), 0.6, epsilon = 1e-12);
        assert_relative_eq!(dot(&p.d1, &p.d2), 0.0, epsilon = 1e-12);
        let mut still = Session::new(o, &[RunSpec::new(OptimizerConfig::Sgd(Sgd { lr: 0.1, ..Sgd::default() }))]).unwrap();
        assert_eq!(pca(&still.runs[0].trajectory).unwrap_err(), DirectionsError::NoPath);
        assert!(DirectionsError::NoPath.to_string().contains("steps > 0"));
        let first = still.runs[0].trajectory.records[0];
        still.runs[0].trajectory.push(first, &[3.0, 4.0, 0.0]);
        assert_eq!(pca(&still.runs[0].trajectory).unwrap_err(), DirectionsError::PathStill);
        assert!(DirectionsError::PathStill.to_string().contains("never moved"));
    }

    #[test]
    fn pca_of_a_path_that_diverged_at_once_says_so() {
        // Step 1 lands at −∞ (10¹⁰ − 10³⁰⁰·2·10¹⁰): one finite point, though steps were taken.
        let o = Arc::new(function("x^2 + y^2", &[1e10, 1e10]));
        let mut s = Session::new(o, &[RunSpec::new(OptimizerConfig::Sgd(Sgd { lr: 1e300, ..Sgd::default() }))]).unwrap();
        s.run(5);
        let e = pca(&s.runs[0].trajectory).unwrap_err();
        assert_eq!(e, DirectionsError::PathDiverged { step: 1 });
        let e = e.to_string();
        assert_eq!(
            e,
            "pca: run 0 diverged at step 1, so its path has fewer than 2 finite points; \
             use a smaller lr or gradient clipping, or other directions (random, hessian)"
        );
        assert!(!e.contains("steps > 0"), "{e}");
    }

    /// The dense Hessian from second differences of the loss alone (no backprop):
    /// $H_{ij} \approx [L(θ + h e_i + h e_j) − L(θ + h e_i − h e_j) − L(θ − h e_i + h e_j) + L(θ − h e_i − h e_j)] / 4h^2$.
    fn dense_hessian(o: &Objective, theta: &[f64], h: f64) -> Vec<f64> {
        let n = theta.len();
        let mut ws = Workspace::default();
        let mut l = |di: (usize, f64), dj: (usize, f64)| {
            let mut t = theta.to_vec();
            t[di.0] += di.1;
            t[dj.0] += dj.1;
            o.loss(&t, &mut ws)
        };
        let mut m = vec![0.0; n * n];
        for i in 0..n {
            for j in i..n {
                let v = (l((i, h), (j, h)) - l((i, h), (j, -h)) - l((i, -h), (j, h)) + l((i, -h), (j, -h))) / (4.0 * h * h);
                m[i * n + j] = v;
                m[j * n + i] = v;
            }
        }
        m
    }

    fn assert_matches_dense(o: &Objective, theta: &[f64], dense: &[f64], rel: f64) {
        let n = theta.len();
        let (values, vectors) = symmetric_eigen(dense, n);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()));
        let h = hessian(o, theta).unwrap();
        for (k, d) in [&h.d1, &h.d2].into_iter().enumerate() {
            let i = order[k];
            assert_relative_eq!(h.eigenvalues[k], values[i], max_relative = rel);
            let overlap = dot(d, &vectors[i * n..(i + 1) * n]).abs();
            assert_relative_eq!(overlap, 1.0, epsilon = 10.0 * rel);
        }
        assert_relative_eq!(dot(&h.d1, &h.d2), 0.0, epsilon = 1e-9);
    }

    #[test]
    fn hessian_eigenpairs_equal_a_dense_hessians() {
        // A cubic: H = [[6x, 2y, 0], [2y, 2x, 0], [0, 0, 4]] = [[6, 4, 0], [4, 2, 0], [0, 0, 4]]
        // at (1, 2, 0.5): λ = 4 ± √20 and 4; the dominant two are 4 + √20 and 4.
        let f = function("x^3 + x*y^2 + 2*z^2", &[1.0, 2.0, 0.5]);
        let h = hessian(&f, f.start()).unwrap();
        assert_relative_eq!(h.eigenvalues[0], 4.0 + 20f64.sqrt(), max_relative = 1e-9);
        assert_relative_eq!(h.eigenvalues[1], 4.0, max_relative = 1e-9);
        assert_relative_eq!(h.d2[2].abs(), 1.0, epsilon = 1e-9);
        let exact = [6.0, 4.0, 0.0, 4.0, 2.0, 0.0, 0.0, 0.0, 4.0];
        assert_matches_dense(&f, f.start(), &exact, 1e-9);
        // Small networks against second differences of the loss (h = 1e-4: ~1e-7 accurate).
        let nets = [
            network(2, vec![LayerSpec::new(3, Activation::Tanh), LayerSpec::new(1, Activation::Linear)], Loss::Mse, spiral(30), None),
            network(
                2,
                vec![LayerSpec::new(3, Activation::Sigmoid), LayerSpec::new(2, Activation::Softmax)],
                Loss::CrossEntropy,
                spiral(24),
                None,
            ),
        ];
        for o in &nets {
            let theta = o.start().to_vec();
            let dense = dense_hessian(o, &theta, 1e-4);
            assert_matches_dense(o, &theta, &dense, 2e-5);
        }
        // Batch norm, a sigmoid and an L2 penalty, against central differences of the exact
        // gradient (h = 1e-5: truncation ~1e-10), which the exact products must match closely.
        let mut hidden = LayerSpec::new(4, Activation::Sigmoid);
        hidden.batch_norm = true;
        let o = network(2, vec![hidden, LayerSpec::new(2, Activation::Tanh)], Loss::Huber, spiral(20), Some(Penalty::L2(0.05)));
        let theta = o.start().to_vec();
        assert_matches_dense(&o, &theta, &dense_from_gradients(&o, &theta, 1e-5), 1e-7);
    }

    /// The dense Hessian by central differences of the exact gradient, symmetrised:
    /// $H_{:,i} \approx [\nabla L(θ + h e_i) − \nabla L(θ − h e_i)] / 2h$.
    fn dense_from_gradients(o: &Objective, theta: &[f64], h: f64) -> Vec<f64> {
        let n = theta.len();
        let mut ws = Workspace::default();
        let mut m = vec![0.0; n * n];
        let (mut gp, mut gm) = (vec![0.0; n], vec![0.0; n]);
        for i in 0..n {
            let (mut p, mut q) = (theta.to_vec(), theta.to_vec());
            p[i] += h;
            q[i] -= h;
            o.loss_and_grad(&p, &mut gp, &mut ws);
            o.loss_and_grad(&q, &mut gm, &mut ws);
            for k in 0..n {
                m[k * n + i] = (gp[k] - gm[k]) / (2.0 * h);
            }
        }
        for i in 0..n {
            for k in 0..i {
                let mean = 0.5 * (m[i * n + k] + m[k * n + i]);
                m[i * n + k] = mean;
                m[k * n + i] = mean;
            }
        }
        m
    }

    #[test]
    fn the_largest_stable_learning_rate_is_two_over_lambda() {
        // f = 5x² + y²: H = diag(10, 2), so SGD is stable below lr = 2/10.
        let f = function("5*x^2 + y^2", &[1.0, 1.0]);
        let plane = build_plane(&f, f.start(), &Directions::Hessian, None).unwrap();
        let [l1, l2] = plane.info.eigenvalues.unwrap();
        assert_relative_eq!(l1, 10.0, max_relative = 1e-9);
        assert_relative_eq!(l2, 2.0, max_relative = 1e-9);
        let [lr1, lr2] = plane.info.max_stable_lr();
        assert_relative_eq!(lr1.unwrap(), 0.2, max_relative = 1e-9);
        assert_relative_eq!(lr2.unwrap(), 1.0, max_relative = 1e-9);
        // A saddle: the negative curvature counts by magnitude and has no learning-rate bound.
        let saddle = function("x^2 - 3*y^2", &[0.5, 0.5]);
        let p = build_plane(&saddle, saddle.start(), &Directions::Hessian, None).unwrap();
        assert_relative_eq!(p.info.eigenvalues.unwrap()[0], -6.0, max_relative = 1e-9);
        assert_eq!(p.info.max_stable_lr()[0], None);
    }
}
