//! The gradient check behind `losscape check`: backprop against central finite differences for
//! every parameter.

use super::network::Workspace;
use super::objective::Objective;

/// Relative error above which the check fails.
pub const TOLERANCE: f64 = 1e-4;

/// The worst disagreement found at one θ.
#[derive(Clone, Debug, PartialEq)]
pub struct GradientCheck {
    /// Index of the worst parameter.
    pub worst: usize,
    /// Its relative error $|g_i - \hat g_i| / \max(|g_i|, |\hat g_i|, 10^{-3}\|g\|_\infty, 10^{-8})$.
    pub rel_error: f64,
    /// Backprop's value.
    pub backprop: f64,
    /// The finite difference.
    pub finite_difference: f64,
}

impl GradientCheck {
    /// Whether backprop and finite differences agree.
    pub fn passed(&self) -> bool {
        self.rel_error <= TOLERANCE
    }
}

/// Compares ∇L(θ) with $(L(θ + h e_i) - L(θ - h e_i)) / 2h$, $h = 10^{-6}\max(1, |θ_i|)$.
///
/// The error of a component is measured relative to the larger of its own size and a
/// thousandth of the largest component: a central difference carries round-off of about
/// $\epsilon L / h$, which would swamp components a million times smaller than the rest
/// (lesson 8's deep network) without saying anything about backprop.
pub fn check_gradient(objective: &Objective, theta: &[f64]) -> GradientCheck {
    let mut ws = Workspace::default();
    let mut grad = vec![0.0; theta.len()];
    objective.loss_and_grad(theta, &mut grad, &mut ws);
    let floor = 1e-3 * grad.iter().fold(0.0f64, |m, g| m.max(g.abs())) + 1e-8;
    let mut p = theta.to_vec();
    let mut report = GradientCheck { worst: 0, rel_error: 0.0, backprop: grad.first().copied().unwrap_or(0.0), finite_difference: 0.0 };
    for i in 0..theta.len() {
        let h = 1e-6 * theta[i].abs().max(1.0);
        p[i] = theta[i] + h;
        let up = objective.loss(&p, &mut ws);
        p[i] = theta[i] - h;
        let down = objective.loss(&p, &mut ws);
        p[i] = theta[i];
        let fd = (up - down) / (2.0 * h);
        let err = (grad[i] - fd).abs() / grad[i].abs().max(fd.abs()).max(floor);
        let err = if err.is_nan() { f64::INFINITY } else { err };
        if err > report.rel_error || i == 0 {
            report = GradientCheck { worst: i, rel_error: err, backprop: grad[i], finite_difference: fd };
        }
    }
    report
}
