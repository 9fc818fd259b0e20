//! Activation functions applied element-wise after each layer, with their derivatives.
//!
//! Definitions follow PyTorch exactly, including the values at kinks:
//! ReLU'(0) = 0 and LeakyReLU'(0) = slope (torch computes `x > 0 ? 1 : slope`).

use serde::{Deserialize, Serialize};

use super::kernels;

/// One layer's non-linearity.
///
/// `Softmax` couples the units of a layer, so it has no element-wise derivative; the network
/// applies its Jacobian directly (or fuses it into cross-entropy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Activation {
    /// $\max(0, x)$.
    #[serde(alias = "ReLU")]
    Relu,
    /// $x$ for $x > 0$, else slope·x; the slope is the layer's `negative_slope` (default 0.01).
    #[serde(alias = "leakyrelu", alias = "LeakyReLU", alias = "leaky-relu")]
    LeakyRelu,
    /// $\sigma(x) = 1/(1 + e^{-x})$; $\sigma' = \sigma(1-\sigma) \le 1/4$.
    Sigmoid,
    /// $\tanh x$; $\tanh' = 1 - \tanh^2$.
    Tanh,
    /// $e^{x_i} / \sum_j e^{x_j}$ over the layer's units.
    Softmax,
    /// The identity.
    #[default]
    #[serde(alias = "identity", alias = "none")]
    Linear,
}

impl Activation {
    /// Every activation, in panel order.
    pub const ALL: [Activation; 6] =
        [Activation::Relu, Activation::LeakyRelu, Activation::Sigmoid, Activation::Tanh, Activation::Softmax, Activation::Linear];

    /// The name used in scene files.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky_relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
            Activation::Linear => "linear",
        }
    }

    /// Applies the activation in place to one unit's values (`Softmax` is handled by
    /// [`softmax_columns`], not here).
    pub fn apply(self, values: &mut [f64], slope: f64) {
        match self {
            Activation::Relu => values.iter_mut().for_each(|v| *v = if *v > 0.0 { *v } else { 0.0 }),
            Activation::LeakyRelu => values.iter_mut().for_each(|v| {
                if *v <= 0.0 {
                    *v *= slope;
                }
            }),
            Activation::Sigmoid => kernels::sigmoid_in_place(values),
            Activation::Tanh => kernels::tanh_in_place(values),
            Activation::Softmax | Activation::Linear => {}
        }
    }

    /// `y = f(z)` element-wise (not `Softmax`): the forward pass's form, which avoids a copy.
    pub fn apply_into(self, z: &[f64], y: &mut [f64], slope: f64) {
        match self {
            Activation::Sigmoid => kernels::sigmoid_into(z, y),
            Activation::Tanh => kernels::tanh_into(z, y),
            _ => {
                y.copy_from_slice(z);
                self.apply(y, slope);
            }
        }
    }

    /// Multiplies `grad` (dL/d output) by f'(z) in place, given the pre-activation `z` and the
    /// output `y = f(z)` of the same unit. Not valid for `Softmax`.
    pub fn backprop(self, z: &[f64], y: &[f64], grad: &mut [f64], slope: f64) {
        match self {
            Activation::Relu => {
                for (g, &z) in grad.iter_mut().zip(z) {
                    if z <= 0.0 {
                        *g = 0.0;
                    }
                }
            }
            Activation::LeakyRelu => {
                for (g, &z) in grad.iter_mut().zip(z) {
                    if z <= 0.0 {
                        *g *= slope;
                    }
                }
            }
            Activation::Sigmoid => kernels::mul_sigmoid_derivative(y, grad),
            Activation::Tanh => kernels::mul_tanh_derivative(y, grad),
            Activation::Softmax | Activation::Linear => {}
        }
    }

    /// $f'(z)$ and $f''(z)$ for one value, given $z$ and $y = f(z)$ (not `Softmax`): what the
    /// Hessian-vector product's backward step needs (Pearlmutter's R-operator,
    /// [`Network::hvp`](super::network::Network::hvp)). From the output, as backprop does:
    /// $\sigma'' = \sigma'(1 - 2\sigma)$ and $\tanh'' = -2\tanh \cdot \tanh'$. The piecewise-linear
    /// ones have no curvature away from their kink, and at it keep torch's first derivative
    /// ([`Activation::backprop`]'s), so the R-operator differentiates the gradient actually computed.
    pub fn derivatives(self, z: f64, y: f64, slope: f64) -> (f64, f64) {
        match self {
            Activation::Relu => (if z <= 0.0 { 0.0 } else { 1.0 }, 0.0),
            Activation::LeakyRelu => (if z <= 0.0 { slope } else { 1.0 }, 0.0),
            Activation::Sigmoid => {
                let d = y * (1.0 - y);
                (d, d * (1.0 - 2.0 * y))
            }
            Activation::Tanh => {
                let d = 1.0 - y * y;
                (d, -2.0 * y * d)
            }
            Activation::Softmax | Activation::Linear => (1.0, 0.0),
        }
    }

    /// The forward tangent $R(y) = J_f(z)\,R(z)$ of a layer's activation: `ry = f'(z)·rz`
    /// element-wise, or softmax's symmetric Jacobian $\operatorname{diag}(y) - y y^\top$
    /// applied per sample (unit-major, `units × n`).
    pub fn tangent(self, z: &[f64], y: &[f64], rz: &[f64], ry: &mut [f64], slope: f64, units: usize, n: usize) {
        ry.copy_from_slice(rz);
        if self == Activation::Softmax {
            softmax_backprop(y, ry, units, n);
        } else {
            self.backprop(z, y, ry, slope);
        }
    }

    /// The R-operator of backprop through the activation. Given dL/dy = `g` and its directional
    /// derivative $R(g)$ = `rg`, overwrites `rg` with $R(dL/dz)$:
    /// $$R(f'(z)\,g) = f''(z)\,R(z)\,g + f'(z)\,R(g)$$
    /// element-wise; for softmax, with $J = \operatorname{diag}(y) - y y^\top$,
    /// $R(J g) = J\,R(g) + R(y) \odot (g - y^\top g) - y\,(R(y)^\top g)$.
    pub fn backprop_tangent(
        self,
        z: &[f64],
        y: &[f64],
        rz: &[f64],
        ry: &[f64],
        g: &[f64],
        rg: &mut [f64],
        slope: f64,
        units: usize,
        n: usize,
    ) {
        if self == Activation::Softmax {
            for s in 0..n {
                let (mut yg, mut ryg, mut yrg) = (0.0, 0.0, 0.0);
                for u in 0..units {
                    let k = u * n + s;
                    yg += y[k] * g[k];
                    ryg += ry[k] * g[k];
                    yrg += y[k] * rg[k];
                }
                for u in 0..units {
                    let k = u * n + s;
                    rg[k] = y[k] * (rg[k] - yrg) + ry[k] * (g[k] - yg) - y[k] * ryg;
                }
            }
            return;
        }
        for ((((rg, &g), &z), &y), &rz) in rg.iter_mut().zip(g).zip(z).zip(y).zip(rz) {
            let (d1, d2) = self.derivatives(z, y, slope);
            *rg = d2 * rz * g + d1 * *rg;
        }
    }

    /// f(x) for one value (for plots and tests).
    pub fn eval(self, x: f64, slope: f64) -> f64 {
        let mut v = [x];
        self.apply(&mut v, slope);
        v[0]
    }
}

/// The logistic function, computed without overflow for large |x|.
pub fn sigmoid(x: f64) -> f64 {
    kernels::sigmoid(x)
}

/// Softmax across units, sample by sample: `values[u * n + s]` holds unit `u` of sample `s`.
/// Subtracts each sample's maximum first so large logits never overflow.
pub fn softmax_columns(values: &mut [f64], units: usize, n: usize) {
    for s in 0..n {
        let mut max = f64::NEG_INFINITY;
        for u in 0..units {
            max = max.max(values[u * n + s]);
        }
        let mut sum = 0.0;
        for u in 0..units {
            let e = kernels::exp(values[u * n + s] - max);
            values[u * n + s] = e;
            sum += e;
        }
        for u in 0..units {
            values[u * n + s] /= sum;
        }
    }
}

/// Backward through softmax: $dz_j = y_j (g_j - \sum_k g_k y_k)$, in place on `grad`.
pub fn softmax_backprop(y: &[f64], grad: &mut [f64], units: usize, n: usize) {
    for s in 0..n {
        let mut dot = 0.0;
        for u in 0..units {
            dot += grad[u * n + s] * y[u * n + s];
        }
        for u in 0..units {
            grad[u * n + s] = y[u * n + s] * (grad[u * n + s] - dot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    #[test]
    fn kinks_follow_torch() {
        let z = [0.0, -1.0, 2.0];
        let y = z;
        let mut g = [1.0; 3];
        Activation::Relu.backprop(&z, &y, &mut g, 0.01);
        assert_eq!(g, [0.0, 0.0, 1.0]);
        let mut g = [1.0; 3];
        Activation::LeakyRelu.backprop(&z, &y, &mut g, 0.01);
        assert_eq!(g, [0.01, 0.01, 1.0]);
    }

    #[test]
    fn sigmoid_derivative_is_at_most_a_quarter() {
        for i in -100..=100 {
            let y = sigmoid(i as f64 * 0.1);
            assert!(y * (1.0 - y) <= 0.25);
        }
        assert_eq!(sigmoid(0.0), 0.5);
        assert!(sigmoid(-1000.0).is_finite() && sigmoid(1000.0) == 1.0);
    }

    proptest! {
        #[test]
        fn derivatives_match_central_differences(x in -4.0f64..4.0, slope in 0.0f64..0.5) {
            prop_assume!(x.abs() > 1e-4);
            for act in [Activation::Relu, Activation::LeakyRelu, Activation::Sigmoid, Activation::Tanh, Activation::Linear] {
                let h = 1e-6;
                let fd = (act.eval(x + h, slope) - act.eval(x - h, slope)) / (2.0 * h);
                let mut g = [1.0];
                act.backprop(&[x], &[act.eval(x, slope)], &mut g, slope);
                assert_relative_eq!(g[0], fd, epsilon = 1e-7, max_relative = 1e-5);
            }
        }

        #[test]
        fn softmax_jacobian_matches_central_differences(a in -3.0f64..3.0, b in -3.0f64..3.0, c in -3.0f64..3.0, w in proptest::array::uniform3(-1.0f64..1.0)) {
            // L = Σ w_j softmax(z)_j; dL/dz via softmax_backprop vs finite differences.
            let f = |z: [f64; 3]| { let mut v = z; softmax_columns(&mut v, 3, 1); v.iter().zip(w).map(|(p, w)| p * w).sum::<f64>() };
            let z = [a, b, c];
            let mut y = z; softmax_columns(&mut y, 3, 1);
            let mut g = w;
            softmax_backprop(&y, &mut g, 3, 1);
            for j in 0..3 {
                let h = 1e-6;
                let mut zp = z; zp[j] += h;
                let mut zm = z; zm[j] -= h;
                assert_relative_eq!(g[j], (f(zp) - f(zm)) / (2.0 * h), epsilon = 1e-8, max_relative = 1e-5);
            }
        }
    }
}
