//! Symmetric eigenproblems: the few largest eigenpairs of an operator known only through
//! matrix–vector products (Lanczos), and every eigenpair of a small dense matrix (nalgebra).
//!
//! PCA (`v ↦ Mᵀ M v` over the recorded path) and the Hessian (Hessian-vector products) both
//! go through [`Lanczos`], a product at a time; the tests run it to its end
//! (`top_eigenpairs`) and use [`symmetric_eigen`] on dense matrices as the reference.

use nalgebra::{DMatrix, SymmetricEigen};

use super::super::data::SeededRng;

/// Which end of the spectrum [`Lanczos`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// The largest eigenvalues, λ₁ ≥ λ₂ ≥ … (what PCA wants; its operator is ⪰ 0).
    Largest,
    /// The eigenvalues of largest magnitude, |λ₁| ≥ |λ₂| ≥ … (the Hessian's dominant
    /// curvatures, negative ones included, as power iteration would find them).
    Magnitude,
}

/// The Lanczos basis never grows beyond this many vectors.
pub const MAX_LANCZOS: usize = 300;

/// The wanted Ritz pairs are accepted when their residual bound $|\beta_m s_{m,i}|$ is below
/// this fraction of the largest Ritz value's magnitude.
pub const LANCZOS_TOL: f64 = 1e-11;

/// The `want` extreme eigenpairs $(\lambda_i, v_i)$ of the symmetric operator `op` on
/// $\mathbb R^{dim}$, by Lanczos with full re-orthogonalisation: [`Lanczos`] run to its end.
///
/// `op(v, out)` writes $A v$ into `out`. The start vector is seeded (`seed`), so the result is
/// reproducible. Each eigenvector has unit length and its largest-magnitude component
/// positive. Returns fewer than `want` pairs only when `dim < want`.
#[cfg(test)]
pub fn top_eigenpairs(dim: usize, want: usize, which: Which, seed: u64, op: &mut dyn FnMut(&[f64], &mut [f64])) -> Vec<(f64, Vec<f64>)> {
    let mut lanczos = Lanczos::new(dim, want, which, seed);
    loop {
        if let Some(pairs) = lanczos.step(op) {
            return pairs;
        }
    }
}

/// Lanczos with full re-orthogonalisation, one operator product per [`Lanczos::step`]: the
/// web page, which has one thread, computes the PCA and Hessian directions a product at a time
/// between frames (a Hessian-vector product of a wide network on thousands of points takes
/// as long as a training step, and Lanczos may take a hundred). The steps are the same
/// whether they run at once or between frames, so the result is too.
///
/// When the Krylov space becomes invariant (β ≈ 0, e.g. a repeated eigenvalue or a
/// rank-deficient operator) the iteration restarts from a fresh random vector orthogonal to
/// the basis, so multiplicities and null spaces are found too. With `dim ≤` [`MAX_LANCZOS`]
/// the basis can span the whole space, and the result is exact up to rounding.
#[derive(Clone, Debug)]
pub struct Lanczos {
    want: usize,
    which: Which,
    limit: usize,
    rng: SeededRng,
    basis: Vec<Vec<f64>>,
    alpha: Vec<f64>,
    /// `beta[j]` couples `basis[j]` and `basis[j + 1]`; zero where the iteration restarted.
    beta: Vec<f64>,
    /// The next basis vector, to multiply.
    q: Vec<f64>,
    /// The product's buffer.
    w: Vec<f64>,
    next_check: usize,
    breakdowns: usize,
}

impl Lanczos {
    /// The iteration for the `want` extreme eigenpairs (see [`Which`]) of an operator on
    /// $\mathbb R^{dim}$, from a start vector seeded by `seed`.
    pub fn new(dim: usize, want: usize, which: Which, seed: u64) -> Self {
        let want = want.min(dim);
        let limit = dim.min(MAX_LANCZOS);
        let mut rng = SeededRng::new(seed);
        let q = if want == 0 { Vec::new() } else { fresh_direction(&mut rng, dim, &[]).unwrap_or_else(|| unit(dim, 0)) };
        Self {
            want,
            which,
            limit,
            rng,
            basis: Vec::with_capacity(limit),
            alpha: Vec::with_capacity(limit),
            beta: Vec::with_capacity(limit),
            q,
            w: vec![0.0; dim],
            next_check: want.max(2),
            breakdowns: 0,
        }
    }

    /// Applies `op` once (`op(v, out)` writes $A v$ into `out`) and extends the basis; the
    /// eigenpairs, best first, once they have converged (or the basis is full).
    pub fn step(&mut self, op: &mut dyn FnMut(&[f64], &mut [f64])) -> Option<Vec<(f64, Vec<f64>)>> {
        if self.want == 0 {
            return Some(Vec::new());
        }
        let Self { want, which, limit, rng, basis, alpha, beta, q, w, next_check, breakdowns } = self;
        let (want, which, limit) = (*want, *which, *limit);
        op(q, w);
        let a = dot(q, w);
        axpy(-a, q, w);
        if let (Some(prev), Some(&b)) = (basis.last(), beta.last()) {
            axpy(-b, prev, w);
        }
        basis.push(std::mem::take(q));
        alpha.push(a);
        // Twice is enough (Kahan's "twice is enough" for Gram–Schmidt).
        for _ in 0..2 {
            for v in basis.iter() {
                let c = dot(v, w);
                axpy(-c, v, w);
            }
        }
        let b = norm(w);
        let m = basis.len();
        let scale = alpha.iter().chain(beta.iter()).fold(0.0f64, |s, v| s.max(v.abs())).max(f64::MIN_POSITIVE);
        let invariant = b <= 1e-13 * scale;
        if invariant {
            *breakdowns += 1;
        }
        if m >= want && (m >= *next_check || m == limit || invariant) {
            *next_check = m + (m / 5).max(2);
            let (values, vectors) = tridiagonal_eigen(alpha, beta);
            let picked = pick(&values, want, which);
            let top = values.iter().fold(0.0f64, |s, v| s.max(v.abs())).max(f64::MIN_POSITIVE);
            // After an invariant subspace, only another restart can reveal a second copy of a
            // repeated eigenvalue: accept once `want` subspaces have been exhausted.
            let converged =
                picked.iter().all(|&i| (b * vectors[i * m + (m - 1)]).abs() <= LANCZOS_TOL * top) && (!invariant || *breakdowns >= want);
            if converged || m == limit {
                return Some(picked.iter().map(|&i| (values[i], ritz_vector(basis, &vectors[i * m..(i + 1) * m]))).collect());
            }
        }
        if invariant {
            match fresh_direction(rng, w.len(), basis) {
                Some(v) => {
                    beta.push(0.0);
                    *q = v;
                }
                None => {
                    // The basis spans everything reachable: take what it has.
                    let (values, vectors) = tridiagonal_eigen(alpha, beta);
                    return Some(
                        pick(&values, want, which)
                            .into_iter()
                            .map(|i| (values[i], ritz_vector(basis, &vectors[i * m..(i + 1) * m])))
                            .collect(),
                    );
                }
            }
        } else {
            beta.push(b);
            *q = w.iter().map(|v| v / b).collect();
        }
        None
    }
}

/// The indices of the `want` wanted values, best first.
fn pick(values: &[f64], want: usize, which: Which) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    match which {
        Which::Largest => order.sort_by(|&x, &y| values[y].total_cmp(&values[x])),
        Which::Magnitude => order.sort_by(|&x, &y| values[y].abs().total_cmp(&values[x].abs()).then(values[y].total_cmp(&values[x]))),
    }
    order.truncate(want);
    order
}

/// $y = \sum_k s_k q_k$, normalised, largest-magnitude component positive.
fn ritz_vector(basis: &[Vec<f64>], s: &[f64]) -> Vec<f64> {
    let dim = basis.first().map_or(0, Vec::len);
    let mut y = vec![0.0; dim];
    for (q, &c) in basis.iter().zip(s) {
        axpy(c, q, &mut y);
    }
    let n = norm(&y);
    if n > 0.0 {
        y.iter_mut().for_each(|v| *v /= n);
    }
    canonical_sign(&mut y);
    y
}

/// Flips `v` so that its largest-magnitude component is positive (eigenvectors are defined up
/// to sign; this makes the choice reproducible). Components within a relative 1e-9 of the
/// largest count as tied, and the first of them decides: symmetric problems (lesson 13c's
/// (w₀ − w₁)/√2) then get the same sign from any eigensolver, whatever rounding breaks the tie.
pub fn canonical_sign(v: &mut [f64]) {
    let largest = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if let Some(&first) = v.iter().find(|x| x.abs() >= largest * (1.0 - 1e-9) && largest > 0.0)
        && first < 0.0
    {
        v.iter_mut().for_each(|x| *x = -*x);
    }
}

/// A random unit vector orthogonal to `basis`, or `None` when the basis already spans
/// $\mathbb R^{dim}$ (numerically).
fn fresh_direction(rng: &mut SeededRng, dim: usize, basis: &[Vec<f64>]) -> Option<Vec<f64>> {
    if basis.len() >= dim {
        return None;
    }
    for _ in 0..8 {
        let mut v: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
        let before = norm(&v);
        for _ in 0..2 {
            for q in basis {
                let c = dot(q, &v);
                axpy(-c, q, &mut v);
            }
        }
        let n = norm(&v);
        if n > 1e-8 * before {
            v.iter_mut().for_each(|x| *x /= n);
            return Some(v);
        }
    }
    None
}

fn unit(dim: usize, i: usize) -> Vec<f64> {
    let mut v = vec![0.0; dim];
    v[i] = 1.0;
    v
}

/// Eigen-decomposition of the symmetric tridiagonal matrix with diagonal `alpha` and
/// off-diagonal `beta` (`beta.len() ≥ alpha.len() − 1`; extra entries are ignored). Returns
/// the values and the vectors, vector `i` at `[i * m .. (i + 1) * m]`.
fn tridiagonal_eigen(alpha: &[f64], beta: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let m = alpha.len();
    let mut t = vec![0.0; m * m];
    for i in 0..m {
        t[i * m + i] = alpha[i];
        if i + 1 < m {
            t[i * m + i + 1] = beta[i];
            t[(i + 1) * m + i] = beta[i];
        }
    }
    symmetric_eigen(&t, m)
}

/// Every eigenpair of the dense symmetric `n × n` matrix `a` (row-major): $A = V \Lambda V^\top$,
/// by nalgebra's [`SymmetricEigen`] (Householder tridiagonalisation, then implicit symmetric QR
/// with Wilkinson shifts), backward stable: accurate to a few ulps of ‖A‖.
///
/// Returns the eigenvalues (in no particular order) and the eigenvectors, vector `i` at
/// `[i * n .. (i + 1) * n]`. It serves the small Lanczos matrices (at most [`MAX_LANCZOS`]
/// wide) and the tests' dense references. nalgebra is built with `libm-force`, so its square
/// roots and hypotenuses are the same bits on every platform, as the rest of the core's are.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    if n == 0 {
        return (Vec::new(), Vec::new());
    }
    let eigen = SymmetricEigen::new(DMatrix::from_row_slice(n, n, a));
    // Column-major storage: column i, the i-th eigenvector, is already contiguous.
    (eigen.eigenvalues.as_slice().to_vec(), eigen.eigenvectors.as_slice().to_vec())
}

/// $\sum_k x_k y_k$.
pub(crate) fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// $\lVert x \rVert_2$.
pub(crate) fn norm(x: &[f64]) -> f64 {
    dot(x, x).sqrt()
}

/// `y += a·x`.
pub(crate) fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn dense_op(a: Vec<f64>, n: usize) -> impl FnMut(&[f64], &mut [f64]) {
        move |v, out| {
            for i in 0..n {
                out[i] = (0..n).map(|k| a[i * n + k] * v[k]).sum();
            }
        }
    }

    fn random_symmetric(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = SeededRng::new(seed);
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for k in 0..=i {
                let x = rng.normal();
                a[i * n + k] = x;
                a[k * n + i] = x;
            }
        }
        a
    }

    #[test]
    fn dense_eigen_reconstructs_the_matrix() {
        let n = 7;
        let a = random_symmetric(n, 3);
        let (values, vectors) = symmetric_eigen(&a, n);
        for i in 0..n {
            for k in 0..n {
                let r: f64 = (0..n).map(|e| vectors[e * n + i] * values[e] * vectors[e * n + k]).sum();
                assert_relative_eq!(r, a[i * n + k], epsilon = 1e-13);
                let g: f64 = (0..n).map(|e| vectors[i * n + e] * vectors[k * n + e]).sum();
                assert_relative_eq!(g, if i == k { 1.0 } else { 0.0 }, epsilon = 1e-13);
            }
        }
    }

    #[test]
    fn lanczos_matches_the_dense_solver_at_both_ends() {
        let n = 40;
        let a = random_symmetric(n, 11);
        let (values, vectors) = symmetric_eigen(&a, n);
        for which in [Which::Largest, Which::Magnitude] {
            let got = top_eigenpairs(n, 2, which, 5, &mut dense_op(a.clone(), n));
            let want = pick(&values, 2, which);
            for ((lambda, v), &i) in got.iter().zip(&want) {
                assert_relative_eq!(*lambda, values[i], max_relative = 1e-10);
                let overlap = dot(v, &vectors[i * n..(i + 1) * n]).abs();
                assert_relative_eq!(overlap, 1.0, epsilon = 1e-8);
            }
        }
    }

    #[test]
    fn lanczos_finds_repeated_and_zero_eigenvalues() {
        // diag(3, 3, 0, 0, 1): λ = 3 twice, found through the restart after the breakdown.
        let n = 5;
        let mut a = vec![0.0; n * n];
        for (i, v) in [3.0, 3.0, 0.0, 0.0, 1.0].iter().enumerate() {
            a[i * n + i] = *v;
        }
        let got = top_eigenpairs(n, 2, Which::Largest, 1, &mut dense_op(a, n));
        assert_eq!(got.len(), 2);
        assert_relative_eq!(got[0].0, 3.0, epsilon = 1e-12);
        assert_relative_eq!(got[1].0, 3.0, epsilon = 1e-12);
        assert_relative_eq!(dot(&got[0].1, &got[1].1), 0.0, epsilon = 1e-12);
        for (_, v) in &got {
            assert_relative_eq!(v[0] * v[0] + v[1] * v[1], 1.0, epsilon = 1e-12);
        }
    }
}
