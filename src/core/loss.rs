//! Loss functions on the network's output, with their gradient with respect to the output
//! layer's pre-activation (the logits).
//!
//! PyTorch semantics, `reduction = 'mean'`: MSE, MAE, Huber and hinge and log loss average over
//! every element; cross-entropy averages over samples. Cross-entropy (on a softmax output) and
//! log loss (on a sigmoid output) are computed from the logits in the fused, stable form, so
//! `log(0)` never appears however saturated the output is.

use serde::{Deserialize, Serialize};

use super::activation::{Activation, sigmoid, softmax_backprop};
use super::elementary;

/// How far a prediction is from its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Loss {
    /// Mean squared error $\frac1N\sum (\hat y - y)^2$ (`MSELoss`).
    #[default]
    #[serde(alias = "l2", alias = "mean_squared_error")]
    Mse,
    /// Mean absolute error $\frac1N\sum |\hat y - y|$ (`L1Loss`; the derivative at 0 is 0).
    #[serde(alias = "l1", alias = "mean_absolute_error")]
    Mae,
    /// Huber with δ = 1 (`HuberLoss`): quadratic within 1 of the target, linear beyond.
    Huber,
    /// Softmax cross-entropy on the logits (`CrossEntropyLoss`); targets are class indices
    /// (one column) or one row of class probabilities per sample (one-hot).
    #[serde(alias = "crossentropy", alias = "cross-entropy", alias = "categorical_cross_entropy")]
    CrossEntropy,
    /// Binary cross-entropy on the sigmoid's logit (`BCEWithLogitsLoss`); targets in [0, 1].
    #[serde(alias = "bce", alias = "binary_cross_entropy", alias = "log-loss")]
    LogLoss,
    /// $\frac1N \sum \max(0, 1 - y\hat y)$ with $y \in \{-1, +1\}$.
    Hinge,
}

impl Loss {
    /// Every loss, in panel order.
    pub const ALL: [Loss; 6] = [Loss::Mse, Loss::Mae, Loss::Huber, Loss::CrossEntropy, Loss::LogLoss, Loss::Hinge];

    /// The name used in scene files.
    pub fn name(self) -> &'static str {
        match self {
            Loss::Mse => "mse",
            Loss::Mae => "mae",
            Loss::Huber => "huber",
            Loss::CrossEntropy => "cross_entropy",
            Loss::LogLoss => "log_loss",
            Loss::Hinge => "hinge",
        }
    }

    /// Whether this loss reads the logits rather than the activated output.
    pub fn is_fused(self) -> bool {
        matches!(self, Loss::CrossEntropy | Loss::LogLoss)
    }

    /// The loss of the output layer, and (when `grad_z` is given) dL/dz for its logits.
    ///
    /// Layout: `z`, `y` and `grad_z` are unit-major, `v[u * n + s]`; `targets` likewise with
    /// `target_width` units (1 for class indices). `act`/`slope` are the output activation, used
    /// to chain dL/dŷ back through it for the non-fused losses.
    pub fn evaluate(
        self,
        act: Activation,
        slope: f64,
        z: &[f64],
        y: &[f64],
        targets: &[f64],
        target_width: usize,
        n: usize,
        grad_z: Option<&mut [f64]>,
    ) -> f64 {
        let units = z.len() / n.max(1);
        match self {
            Loss::CrossEntropy => cross_entropy(z, targets, units, target_width, n, grad_z),
            Loss::LogLoss => log_loss(z, targets, grad_z),
            _ => {
                let count = y.len() as f64;
                let mut total = 0.0;
                match grad_z {
                    None => {
                        for (&p, &t) in y.iter().zip(targets) {
                            total += self.elementwise(p, t);
                        }
                    }
                    Some(g) => {
                        // Times 1/n, as torch's backward formulas do (mse_loss_backward's
                        // `norm = 2/n`, huber_loss_backward's `norm = 1/n`, mean's 1/n for L1
                        // and hinge); the same bits as theirs, and no division per element.
                        let inv_count = 1.0 / count;
                        for ((g, &p), &t) in g.iter_mut().zip(y).zip(targets) {
                            total += self.elementwise(p, t);
                            *g = self.elementwise_grad(p, t) * inv_count;
                        }
                        if act == Activation::Softmax {
                            softmax_backprop(y, g, units, n);
                        } else {
                            act.backprop(z, y, g, slope);
                        }
                    }
                }
                total / count
            }
        }
    }

    /// The directional derivative $R(\partial L/\partial z)$ of the output layer's gradient
    /// along the forward tangents `rz` = $R(z)$, `ry` = $R(y)$, written into `rg`: the start of
    /// the Hessian-vector product's backward pass
    /// ([`Network::hvp`](super::network::Network::hvp)). Arguments as for [`Loss::evaluate`];
    /// `scratch` is as long as `z`.
    ///
    /// Fused losses: cross-entropy's gradient $(m\,p - t)/n$ (with $m = \sum_c t_c$) gives
    /// $m\,R(p)/n$, $R(p) = p \odot (R(z) - p^\top R(z))$; log loss's $(\sigma(z) - t)/N$ gives
    /// $\sigma'(z)\,R(z)/N$. The others chain $\ell''(\hat y)\,R(\hat y)/N$ through the output
    /// activation with its second derivative ([`Activation::backprop_tangent`]); $\ell'' = 2$ for
    /// MSE, 1 inside Huber's quadratic zone, 0 for MAE and hinge (piecewise linear).
    pub fn tangent(
        self,
        act: Activation,
        slope: f64,
        z: &[f64],
        y: &[f64],
        rz: &[f64],
        ry: &[f64],
        targets: &[f64],
        target_width: usize,
        n: usize,
        scratch: &mut [f64],
        rg: &mut [f64],
    ) {
        let units = z.len() / n.max(1);
        match self {
            Loss::CrossEntropy => {
                let inv_n = 1.0 / n as f64;
                for s in 0..n {
                    let mass: f64 = if target_width == 1 { 1.0 } else { (0..units).map(|u| targets[u * n + s]).sum() };
                    let prz: f64 = (0..units).map(|u| y[u * n + s] * rz[u * n + s]).sum();
                    for u in 0..units {
                        let k = u * n + s;
                        rg[k] = mass * y[k] * (rz[k] - prz) * inv_n;
                    }
                }
            }
            Loss::LogLoss => {
                let count = z.len() as f64;
                for ((rg, &z), &rz) in rg.iter_mut().zip(z).zip(rz) {
                    let p = sigmoid(z);
                    *rg = p * (1.0 - p) * rz / count;
                }
            }
            _ => {
                let inv_count = 1.0 / y.len() as f64;
                for ((((g, rg), &p), &t), &ry) in scratch.iter_mut().zip(rg.iter_mut()).zip(y).zip(targets).zip(ry) {
                    *g = self.elementwise_grad(p, t) * inv_count;
                    *rg = self.elementwise_curvature(p, t) * ry * inv_count;
                }
                act.backprop_tangent(z, y, rz, ry, scratch, rg, slope, units, n);
            }
        }
    }

    /// $\partial^2 \ell / \partial \hat y^2$ of the non-fused losses (0 at their kinks, where
    /// the first derivative jumps).
    fn elementwise_curvature(self, p: f64, t: f64) -> f64 {
        match self {
            Loss::Mse => 2.0,
            Loss::Huber if (p - t).abs() < 1.0 => 1.0,
            Loss::Huber | Loss::Mae | Loss::Hinge => 0.0,
            Loss::CrossEntropy | Loss::LogLoss => unreachable!("fused losses are handled apart"),
        }
    }

    fn elementwise(self, p: f64, t: f64) -> f64 {
        let d = p - t;
        match self {
            Loss::Mse => d * d,
            Loss::Mae => d.abs(),
            Loss::Huber => {
                if d.abs() < 1.0 {
                    0.5 * d * d
                } else {
                    d.abs() - 0.5
                }
            }
            Loss::Hinge => (1.0 - t * p).max(0.0),
            Loss::CrossEntropy | Loss::LogLoss => unreachable!("fused losses are handled apart"),
        }
    }

    fn elementwise_grad(self, p: f64, t: f64) -> f64 {
        let d = p - t;
        match self {
            Loss::Mse => 2.0 * d,
            Loss::Mae => {
                if d > 0.0 {
                    1.0
                } else if d < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Loss::Huber => d.clamp(-1.0, 1.0),
            // torch's clamp(min=0) passes the gradient where its input is >= 0.
            Loss::Hinge => {
                if 1.0 - t * p >= 0.0 {
                    -t
                } else {
                    0.0
                }
            }
            Loss::CrossEntropy | Loss::LogLoss => unreachable!("fused losses are handled apart"),
        }
    }
}

/// $\frac1n \sum_s \big(\mathrm{logsumexp}(z_s) - \sum_c t_{sc} z_{sc}\big)$, gradient
/// $(\mathrm{softmax}(z_s) - t_s)/n$ (with $\sum_c t_{sc}$ weighting the softmax for soft targets).
fn cross_entropy(z: &[f64], targets: &[f64], units: usize, width: usize, n: usize, mut grad: Option<&mut [f64]>) -> f64 {
    let mut total = 0.0;
    let inv_n = 1.0 / n as f64;
    for s in 0..n {
        let mut max = f64::NEG_INFINITY;
        for u in 0..units {
            max = max.max(z[u * n + s]);
        }
        let mut sum = 0.0;
        for u in 0..units {
            sum += elementary::exp(z[u * n + s] - max);
        }
        let lse = max + elementary::ln(sum);
        let target = |u: usize| -> f64 { if width == 1 { if targets[s] as usize == u { 1.0 } else { 0.0 } } else { targets[u * n + s] } };
        let mut mass = 0.0;
        for u in 0..units {
            let t = target(u);
            total += t * (lse - z[u * n + s]);
            mass += t;
        }
        if let Some(g) = grad.as_deref_mut() {
            for u in 0..units {
                let p = elementary::exp(z[u * n + s] - lse);
                g[u * n + s] = (mass * p - target(u)) * inv_n;
            }
        }
    }
    total * inv_n
}

/// $\frac1N\sum \max(z,0) - z t + \log(1 + e^{-|z|})$, gradient $(\sigma(z) - t)/N$.
fn log_loss(z: &[f64], targets: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let count = z.len() as f64;
    let mut total = 0.0;
    for (&z, &t) in z.iter().zip(targets) {
        total += z.max(0.0) - z * t + elementary::ln_1p(elementary::exp(-z.abs()));
    }
    if let Some(g) = grad {
        for ((g, &z), &t) in g.iter_mut().zip(z).zip(targets) {
            *g = (sigmoid(z) - t) / count;
        }
    }
    total / count
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    fn eval(loss: Loss, act: Activation, z: &[f64], t: &[f64], width: usize, n: usize) -> (f64, Vec<f64>) {
        let mut y = z.to_vec();
        if act == Activation::Softmax {
            super::super::activation::softmax_columns(&mut y, z.len() / n, n);
        } else {
            act.apply(&mut y, 0.01);
        }
        let mut g = vec![0.0; z.len()];
        let l = loss.evaluate(act, 0.01, z, &y, t, width, n, Some(&mut g));
        (l, g)
    }

    #[test]
    fn hand_computed_values() {
        // MSE of (1, 3) against (0, 0) = (1 + 9) / 2.
        assert_eq!(eval(Loss::Mse, Activation::Linear, &[1.0, 3.0], &[0.0, 0.0], 1, 2).0, 5.0);
        // Huber: 0.5·0.25 and 3 − 0.5, averaged.
        assert_eq!(eval(Loss::Huber, Activation::Linear, &[0.5, 3.0], &[0.0, 0.0], 1, 2).0, (0.125 + 2.5) / 2.0);
        // Hinge with y = +1 at ŷ = 0.25 and y = −1 at ŷ = −2: (0.75 + 0) / 2.
        assert_eq!(eval(Loss::Hinge, Activation::Linear, &[0.25, -2.0], &[1.0, -1.0], 1, 2).0, 0.375);
        // Log loss at logit 0 is ln 2 for either target.
        assert_relative_eq!(eval(Loss::LogLoss, Activation::Sigmoid, &[0.0], &[1.0], 1, 1).0, 2f64.ln(), epsilon = 1e-15);
        // Cross-entropy of uniform logits over 4 classes is ln 4; index and one-hot agree.
        let idx = eval(Loss::CrossEntropy, Activation::Softmax, &[0.3; 4], &[2.0], 1, 1);
        let hot = eval(Loss::CrossEntropy, Activation::Softmax, &[0.3; 4], &[0.0, 0.0, 1.0, 0.0], 4, 1);
        assert_relative_eq!(idx.0, 4f64.ln(), epsilon = 1e-15);
        assert_eq!(idx, hot);
    }

    #[test]
    fn saturated_outputs_stay_finite() {
        let (l, g) = eval(Loss::LogLoss, Activation::Sigmoid, &[800.0, -800.0], &[0.0, 1.0], 1, 2);
        assert_eq!(l, 800.0);
        assert!(g.iter().all(|g| g.is_finite()));
        let (l, _) = eval(Loss::CrossEntropy, Activation::Softmax, &[1000.0, -1000.0], &[1.0], 1, 1);
        assert_eq!(l, 2000.0);
    }

    proptest! {
        #[test]
        fn gradients_match_central_differences(z in proptest::collection::vec(-3.0f64..3.0, 6), t in proptest::collection::vec(-1.0f64..1.0, 6)) {
            // 3 units × 2 samples.
            let cases: Vec<(Loss, Activation, Vec<f64>, usize)> = vec![
                (Loss::Mse, Activation::Tanh, t.clone(), 3),
                (Loss::Mse, Activation::Softmax, t.clone(), 3),
                (Loss::Mae, Activation::Linear, t.clone(), 3),
                (Loss::Huber, Activation::Sigmoid, t.iter().map(|v| v * 3.0).collect(), 3),
                (Loss::Hinge, Activation::Tanh, t.iter().map(|v| if *v > 0.0 { 1.0 } else { -1.0 }).collect(), 3),
                (Loss::LogLoss, Activation::Sigmoid, t.iter().map(|v| (v + 1.0) / 2.0).collect(), 3),
                (Loss::CrossEntropy, Activation::Softmax, vec![2.0, 0.0], 1),
                (Loss::CrossEntropy, Activation::Softmax, t.iter().map(|v| v.abs()).collect(), 3),
            ];
            for (loss, act, targets, width) in cases {
                let (_, g) = eval(loss, act, &z, &targets, width, 2);
                for i in 0..6 {
                    let h = 1e-6;
                    let mut zp = z.clone(); zp[i] += h;
                    let mut zm = z.clone(); zm[i] -= h;
                    let fd = (eval(loss, act, &zp, &targets, width, 2).0 - eval(loss, act, &zm, &targets, width, 2).0) / (2.0 * h);
                    // MAE, Huber and hinge have kinks: skip only points within 1e-4 of one.
                    let y = act.eval(z[i], 0.01);
                    let d = if width == 3 { y - targets[i] } else { 1.0 };
                    let near_kink = match loss {
                        Loss::Mae => d.abs() < 1e-4,
                        Loss::Huber => (d.abs() - 1.0).abs() < 1e-4,
                        Loss::Hinge => (1.0 - targets[i] * y).abs() < 1e-4,
                        _ => false,
                    };
                    if !near_kink {
                        assert_relative_eq!(g[i], fd, epsilon = 1e-7, max_relative = 1e-4);
                    }
                }
            }
        }
    }
}
