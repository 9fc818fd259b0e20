//! A dense feed-forward network over one flat parameter vector θ: batched forward pass (keeping
//! what backward needs), backward pass by backpropagation, and names for every parameter.
//!
//! Layout of θ (PyTorch order): for each layer, the weight as `[out][in]` row-major, then the
//! bias, then with batch norm γ and β. A layer is Linear → (BatchNorm1d in training mode: batch
//! statistics, biased variance, ε = 1e-5) → activation.
//!
//! Exact Hessian-vector products (Pearlmutter's R-operator, [`Network::hvp`]) are in
//! `network/hvp.rs`.
//!
//! Values inside a batch are stored unit-major, `v[unit * n + sample]`, so that every inner loop
//! runs over contiguous samples and the compiler vectorises it.

use serde::{Deserialize, Serialize};

use super::activation::{Activation, softmax_backprop, softmax_columns};
use super::aligned::AlignedVec;
use super::data::Dataset;
use super::error::CoreError;
use super::fma::Fma;
pub(crate) use super::kernels::{dot, linear, linear_gradients, linear_transposed, sum};
use super::loss::Loss;
use super::pool::Pool;

mod hvp;

pub use hvp::HvpWorkspace;

/// BatchNorm1d's ε.
pub const BN_EPS: f64 = 1e-5;

/// The largest number of parameters a network may have (refused before allocating).
pub const MAX_PARAMS: usize = 50_000_000;

/// One dense layer as written in a scene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    /// Number of units (outputs) of the layer; at least 1.
    pub units: usize,
    /// The activation after the linear map (and batch norm).
    #[serde(default)]
    pub activation: Activation,
    /// Batch normalisation between the linear map and the activation (hidden layers).
    #[serde(default, skip_serializing_if = "is_false")]
    pub batch_norm: bool,
    /// LeakyReLU's slope for x ≤ 0 (torch's `negative_slope`).
    #[serde(default = "default_slope", skip_serializing_if = "is_default_slope", alias = "slope")]
    pub negative_slope: f64,
}

fn is_false(b: &bool) -> bool {
    !*b
}
fn default_slope() -> f64 {
    0.01
}
fn is_default_slope(s: &f64) -> bool {
    *s == 0.01
}

impl LayerSpec {
    /// A layer without batch norm and with the default LeakyReLU slope.
    pub fn new(units: usize, activation: Activation) -> Self {
        Self { units, activation, batch_norm: false, negative_slope: 0.01 }
    }
}

/// Where one layer's parameters sit in θ.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerShape {
    /// Inputs to the layer.
    pub fan_in: usize,
    /// Units of the layer.
    pub units: usize,
    /// Activation after the layer.
    pub activation: Activation,
    /// LeakyReLU slope.
    pub slope: f64,
    /// Whether batch norm follows the linear map.
    pub batch_norm: bool,
    /// Offset of `weight[0][0]` in θ.
    pub weight_offset: usize,
    /// Offset of `bias[0]` in θ.
    pub bias_offset: usize,
    /// Offset of γ[0] (β follows γ) when `batch_norm`.
    pub bn_offset: usize,
    /// One past the layer's last parameter.
    pub end: usize,
}

impl LayerShape {
    /// Number of parameters in this layer.
    pub fn param_count(&self) -> usize {
        self.end - self.weight_offset
    }
}

/// A network's architecture and loss: everything but the data and the parameter values.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    inputs: usize,
    layers: Vec<LayerShape>,
    loss: Loss,
}

impl Network {
    /// Checks the architecture and the loss against each other and lays out θ.
    ///
    /// `target_width` is the width of the targets (1 for class indices), used to refuse a loss
    /// that cannot read them.
    pub fn new(inputs: usize, specs: &[LayerSpec], loss: Loss, target_width: usize) -> Result<Self, CoreError> {
        let invalid = |field: String, message: String| Err(CoreError::Invalid { field, message });
        if inputs == 0 {
            return invalid("inputs".into(), "must be ≥ 1".into());
        }
        if specs.is_empty() {
            return invalid("layers".into(), "needs at least one layer (the output layer)".into());
        }
        let mut layers = Vec::with_capacity(specs.len());
        let mut fan_in = inputs;
        let mut offset = 0usize;
        for (i, s) in specs.iter().enumerate() {
            if s.units == 0 {
                return invalid(format!("layers[{i}].units"), "must be ≥ 1".into());
            }
            if !(s.negative_slope.is_finite()) {
                return invalid(format!("layers[{i}].negative_slope"), format!("must be finite, got {}", s.negative_slope));
            }
            let weights = fan_in.checked_mul(s.units);
            let count = weights.and_then(|w| w.checked_add(s.units * if s.batch_norm { 3 } else { 1 }));
            let end = count.and_then(|c| c.checked_add(offset)).filter(|&e| e <= MAX_PARAMS);
            let Some(end) = end else {
                return invalid(format!("layers[{i}].units"), format!("the network would exceed {MAX_PARAMS} parameters"));
            };
            let weight_offset = offset;
            let bias_offset = weight_offset + fan_in * s.units;
            let bn_offset = bias_offset + s.units;
            layers.push(LayerShape {
                fan_in,
                units: s.units,
                activation: s.activation,
                slope: s.negative_slope,
                batch_norm: s.batch_norm,
                weight_offset,
                bias_offset,
                bn_offset,
                end,
            });
            offset = end;
            fan_in = s.units;
        }
        let last = layers.len() - 1;
        let out = layers[last].units;
        let out_act = layers[last].activation;
        let field = || format!("layers[{last}].activation");
        match loss {
            Loss::CrossEntropy if out_act != Activation::Softmax => {
                return invalid(
                    field(),
                    format!(
                        "cross_entropy needs a softmax output layer, got {}; set the last layer's activation to softmax",
                        out_act.name()
                    ),
                );
            }
            Loss::CrossEntropy if out < 2 => {
                return invalid(format!("layers[{last}].units"), "cross_entropy needs at least 2 output units (one per class)".into());
            }
            Loss::CrossEntropy if target_width != 1 && target_width != out => {
                return invalid(
                    "data.y".into(),
                    format!("cross_entropy targets must be one class index per row or {out} one-hot columns, got {target_width} columns"),
                );
            }
            Loss::LogLoss if out_act != Activation::Sigmoid => {
                return invalid(
                    field(),
                    format!("log_loss needs a sigmoid output layer, got {}; set the last layer's activation to sigmoid", out_act.name()),
                );
            }
            Loss::CrossEntropy => {}
            _ if target_width != out => {
                return invalid(
                    "data.y".into(),
                    format!("the targets have {target_width} columns but the output layer has {out} units; they must match"),
                );
            }
            _ => {}
        }
        for (i, l) in layers.iter().enumerate() {
            if l.activation == Activation::Softmax && l.units < 2 {
                return invalid(format!("layers[{i}].units"), "softmax needs at least 2 units".into());
            }
        }
        Ok(Self { inputs, layers, loss })
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.inputs
    }
    /// The layers with their offsets into θ.
    pub fn layers(&self) -> &[LayerShape] {
        &self.layers
    }
    /// The loss.
    pub fn loss_kind(&self) -> Loss {
        self.loss
    }
    /// Width of the output layer.
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.units)
    }
    /// Length of θ.
    pub fn param_count(&self) -> usize {
        self.layers.last().map_or(0, |l| l.end)
    }
    /// Flops of one sample's forward pass counted as its dense layers' multiply-adds, two a
    /// weight (activations and the loss are a few per unit and left out): the figure that
    /// sets a wide network's grid time (`losscape info`, scripts/bench_width_sweep.py).
    pub fn forward_flops(&self) -> f64 {
        self.layers.iter().map(|l| 2.0 * (l.fan_in * l.units) as f64).sum()
    }

    /// A readable name for θ\[index\]: `layer 2 weight[0][3]`, `layer 1 bias[2]`,
    /// `layer 1 bn_gamma[0]` (layers counted from 1).
    pub fn param_name(&self, index: usize) -> String {
        for (li, l) in self.layers.iter().enumerate() {
            if index < l.end {
                let n = li + 1;
                return if index < l.bias_offset {
                    let k = index - l.weight_offset;
                    format!("layer {n} weight[{}][{}]", k / l.fan_in, k % l.fan_in)
                } else if index < l.bn_offset {
                    format!("layer {n} bias[{}]", index - l.bias_offset)
                } else if index < l.bn_offset + l.units {
                    format!("layer {n} bn_gamma[{}]", index - l.bn_offset)
                } else {
                    format!("layer {n} bn_beta[{}]", index - l.bn_offset - l.units)
                };
            }
        }
        format!("p{index}")
    }

    /// The ranges of θ that hold Linear weights (what L1/L2 penalties act on).
    pub fn weight_ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.layers.iter().map(|l| l.weight_offset..l.bias_offset)
    }

    /// Runs the network on `x` (unit-major, `x[f * n + s]`), leaving every layer's values in `ws`.
    pub fn forward(&self, theta: &[f64], x: &[f64], n: usize, ws: &mut Workspace) {
        ws.prepare(self, n);
        for (li, l) in self.layers.iter().enumerate() {
            let (before, rest) = ws.layers.split_at_mut(li);
            let input: &[f64] = if li == 0 { x } else { &before[li - 1].y };
            let cache = &mut rest[0];
            let w = &theta[l.weight_offset..l.bias_offset];
            let b = &theta[l.bias_offset..l.bn_offset];
            let target = if l.batch_norm { &mut cache.lin } else { &mut cache.z };
            linear(w, b, input, l.fan_in, l.units, n, target);
            if l.batch_norm {
                let gamma = &theta[l.bn_offset..l.bn_offset + l.units];
                let beta = &theta[l.bn_offset + l.units..l.end];
                batch_norm_forward(cache, gamma, beta, l.units, n);
            }
            if l.activation == Activation::Softmax {
                cache.y.copy_from_slice(&cache.z);
                softmax_columns(&mut cache.y, l.units, n);
            } else {
                l.activation.apply_into(&cache.z, &mut cache.y, l.slope);
            }
        }
    }

    /// The network's output after [`Network::forward`] (unit-major).
    pub fn output<'w>(&self, ws: &'w Workspace) -> &'w [f64] {
        ws.layers.last().map_or(&[], |c| &c.y)
    }

    /// The loss on one batch; when `grad` is given, also dL/dθ written into it (overwritten).
    ///
    /// With a gradient, a batch of more than [`CHUNK`] samples (and no batch norm, whose
    /// statistics span the whole batch) is cut into fixed chunks of [`CHUNK`] samples, each
    /// chunk's mean loss and gradient computed on its own, then combined in chunk order with
    /// weights n_c/n. The chunks run on rayon's threads when the caller is itself on rayon's
    /// pool (`Session::run_on_pool`), one after the other otherwise: the cut never depends on
    /// the thread count, so neither do the numbers. After a chunked pass, `ws`'s layer values
    /// are not the whole batch's: call [`Network::forward`] for those.
    pub fn loss_and_grad(&self, theta: &[f64], data: &Dataset, ws: &mut Workspace, grad: Option<&mut [f64]>) -> f64 {
        match grad {
            Some(grad) if data.n > CHUNK && !self.layers.iter().any(|l| l.batch_norm) => self.chunked_loss_and_grad(theta, data, ws, grad),
            grad => self.batch_loss_and_grad(theta, data, ws, grad),
        }
    }

    /// [`Network::loss_and_grad`] over chunks of [`CHUNK`] samples (see there).
    fn chunked_loss_and_grad(&self, theta: &[f64], data: &Dataset, ws: &mut Workspace, grad: &mut [f64]) -> f64 {
        let n = data.n;
        let Workspace { chunks, pool, .. } = ws;
        chunks.resize_with(n.div_ceil(CHUNK), Chunk::default);
        let one = |c: usize, chunk: &mut Chunk| {
            let start = c * CHUNK;
            data.rows_into(start..CHUNK.min(n - start) + start, &mut chunk.data);
            chunk.grad.resize(grad.len(), 0.0);
            chunk.loss = pool.lend(|ws| self.batch_loss_and_grad(theta, &chunk.data, ws, Some(&mut chunk.grad)));
            chunk.weight = chunk.data.n as f64 / n as f64;
        };
        if rayon::current_thread_index().is_some() {
            use rayon::prelude::*;
            if let [first, second] = &mut chunks[..] {
                // The reference batch's case: one join, without a parallel iterator's splitting.
                rayon::join(|| one(0, first), || one(1, second));
            } else {
                chunks.par_iter_mut().enumerate().for_each(|(c, chunk)| one(c, chunk));
            }
        } else {
            chunks.iter_mut().enumerate().for_each(|(c, chunk)| one(c, chunk));
        }
        let (first, rest) = chunks.split_first().expect("n > CHUNK gives at least two chunks");
        for (g, &gc) in grad.iter_mut().zip(&first.grad) {
            *g = first.weight * gc;
        }
        let mut loss = first.weight * first.loss;
        for chunk in rest {
            super::kernels::axpy(chunk.weight, &chunk.grad, grad);
            loss = chunk.weight.fma(chunk.loss, loss);
        }
        loss
    }

    /// The loss (and gradient) of the whole batch in one pass.
    fn batch_loss_and_grad(&self, theta: &[f64], data: &Dataset, ws: &mut Workspace, grad: Option<&mut [f64]>) -> f64 {
        let (x, targets, target_width, n) = (&data.x[..], &data.y[..], data.outputs, data.n);
        self.forward(theta, x, n, ws);
        let last = self.layers.last().expect("a network has at least one layer");
        let li = self.layers.len() - 1;
        let Some(grad) = grad else {
            let c = &ws.layers[li];
            return self.loss.evaluate(last.activation, last.slope, &c.z, &c.y, targets, target_width, n, None);
        };
        // Two buffers as wide as the widest layer, reused every pass (every element used is
        // overwritten before it is read, so they are never zeroed).
        let cap = self.layers.iter().map(|l| l.units).max().unwrap_or(0) * n;
        let mut dz = std::mem::take(&mut ws.delta);
        if dz.len() < cap {
            dz.resize(cap, 0.0);
        }
        let c = &ws.layers[li];
        let loss = self.loss.evaluate(last.activation, last.slope, &c.z, &c.y, targets, target_width, n, Some(&mut dz[..last.units * n]));
        self.backward(theta, x, n, ws, dz, grad);
        loss
    }

    /// Backpropagates dL/dz of the output layer down to dL/dθ.
    fn backward(&self, theta: &[f64], x: &[f64], n: usize, ws: &mut Workspace, mut dz_buf: AlignedVec, grad: &mut [f64]) {
        let mut da_buf = std::mem::take(&mut ws.delta_prev);
        if da_buf.len() < dz_buf.len() {
            da_buf.resize(dz_buf.len(), 0.0);
        }
        for li in (0..self.layers.len()).rev() {
            let l = &self.layers[li];
            let cache = &ws.layers[li];
            let dz = &mut dz_buf[..l.units * n];
            if l.batch_norm {
                let gamma = &theta[l.bn_offset..l.bn_offset + l.units];
                let (dg, db) = grad[l.bn_offset..l.end].split_at_mut(l.units);
                batch_norm_backward(cache, gamma, dz, dg, db, l.units, n);
            }
            let input: &[f64] = if li == 0 { x } else { &ws.layers[li - 1].y };
            let (gw, gb) = grad[l.weight_offset..l.bn_offset].split_at_mut(l.fan_in * l.units);
            linear_gradients(dz, input, l.fan_in, l.units, n, gw, gb);
            if li == 0 {
                break;
            }
            // dL/d(previous output) = Wᵀ·dz, then through the previous activation.
            let w = &theta[l.weight_offset..l.bias_offset];
            let da = &mut da_buf[..l.fan_in * n];
            linear_transposed(w, dz, l.fan_in, n, da);
            let prev = &self.layers[li - 1];
            let pc = &ws.layers[li - 1];
            if prev.activation == Activation::Softmax {
                softmax_backprop(&pc.y, da, prev.units, n);
            } else {
                prev.activation.backprop(&pc.z, &pc.y, da, prev.slope);
            }
            std::mem::swap(&mut dz_buf, &mut da_buf);
        }
        ws.delta = dz_buf;
        ws.delta_prev = da_buf;
    }

    /// 2-norm of each layer's slice of a gradient (vanishing / exploding gradients).
    pub fn layer_norms(&self, grad: &[f64]) -> Vec<f64> {
        self.layers.iter().map(|l| grad[l.weight_offset..l.end].iter().map(|g| g * g).sum::<f64>().sqrt()).collect()
    }

    /// Units per layer whose ReLU input is ≤ 0 for every sample of the last forward pass (dead
    /// units: no gradient flows through them). Zero for layers without (Leaky)ReLU.
    pub fn dead_units(&self, ws: &Workspace) -> Vec<usize> {
        self.layers
            .iter()
            .zip(&ws.layers)
            .map(|(l, c)| {
                if l.activation != Activation::Relu || ws.n == 0 {
                    return 0;
                }
                (0..l.units).filter(|u| c.z[u * ws.n..(u + 1) * ws.n].iter().all(|&z| z <= 0.0)).count()
            })
            .collect()
    }
}

/// Samples per chunk when a large batch's gradient is computed in pieces
/// ([`Network::loss_and_grad`]): big enough that a chunk's work dwarfs handing it to another
/// core, small enough that DESIGN.md's 500-point reference batch makes two.
pub const CHUNK: usize = 256;

/// Per-layer buffers reused across passes so a training step allocates nothing.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    n: usize,
    layers: Vec<LayerCache>,
    delta: AlignedVec,
    delta_prev: AlignedVec,
    chunks: Vec<Chunk>,
    /// The workspaces the chunks' passes borrow.
    pool: Pool<Workspace>,
}

/// One chunk of a large batch: its copy of the samples, its loss and gradient.
#[derive(Clone, Debug, Default)]
struct Chunk {
    data: Dataset,
    grad: Vec<f64>,
    loss: f64,
    weight: f64,
}

#[derive(Clone, Debug, Default)]
struct LayerCache {
    /// Linear output before batch norm (only with batch norm).
    lin: AlignedVec,
    /// Normalised values (only with batch norm).
    xhat: AlignedVec,
    /// 1/√(var + ε) per unit (only with batch norm).
    inv_std: Vec<f64>,
    /// Pre-activation.
    z: AlignedVec,
    /// Output.
    y: AlignedVec,
}

impl Workspace {
    fn prepare(&mut self, net: &Network, n: usize) {
        self.n = n;
        self.layers.resize_with(net.layers.len(), LayerCache::default);
        for (c, l) in self.layers.iter_mut().zip(&net.layers) {
            let len = l.units * n;
            c.z.resize(len, 0.0);
            c.y.resize(len, 0.0);
            if l.batch_norm {
                c.lin.resize(len, 0.0);
                c.xhat.resize(len, 0.0);
                c.inv_std.resize(l.units, 0.0);
            }
        }
    }
}

fn batch_norm_forward(c: &mut LayerCache, gamma: &[f64], beta: &[f64], units: usize, n: usize) {
    let inv_n = 1.0 / n as f64;
    for u in 0..units {
        let lin = &c.lin[u * n..(u + 1) * n];
        let mean = sum(lin) * inv_n;
        let var = lin.iter().fold(0.0, |acc, v| (v - mean).fma(v - mean, acc)) * inv_n;
        let inv_std = 1.0 / (var + BN_EPS).sqrt();
        c.inv_std[u] = inv_std;
        let xhat = &mut c.xhat[u * n..(u + 1) * n];
        let z = &mut c.z[u * n..(u + 1) * n];
        for s in 0..n {
            xhat[s] = (lin[s] - mean) * inv_std;
            z[s] = gamma[u] * xhat[s] + beta[u];
        }
    }
}

/// Replaces `dz` (dL/d BN output) by dL/d BN input and writes dγ, dβ:
/// $dx = \frac{\gamma}{n\sigma}\,(n\,dy - \sum dy - \hat x \sum dy\,\hat x)$.
fn batch_norm_backward(c: &LayerCache, gamma: &[f64], dz: &mut [f64], dg: &mut [f64], db: &mut [f64], units: usize, n: usize) {
    let nf = n as f64;
    for u in 0..units {
        let d = &mut dz[u * n..(u + 1) * n];
        let xhat = &c.xhat[u * n..(u + 1) * n];
        let sum_d = sum(d);
        let sum_dx = dot(d, xhat);
        dg[u] = sum_dx;
        db[u] = sum_d;
        let k = gamma[u] * c.inv_std[u] / nf;
        for s in 0..n {
            d[s] = k * (nf * d[s] - sum_d - xhat[s] * sum_dx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn a_dense_two_to_three_layer_has_nine_parameters() {
        let net = Network::new(2, &[LayerSpec::new(3, Activation::Relu)], Loss::Mse, 3).unwrap();
        assert_eq!(net.param_count(), 9);
        assert_eq!(net.param_name(5), "layer 1 weight[2][1]");
        assert_eq!(net.param_name(6), "layer 1 bias[0]");
    }

    #[test]
    fn xor_two_two_one_forward_backward_by_hand() {
        // h = tanh(W1 x + b1), ŷ = w2·h + b2, MSE on a single sample x = (1, 0), y = 1.
        let net = Network::new(2, &[LayerSpec::new(2, Activation::Tanh), LayerSpec::new(1, Activation::Linear)], Loss::Mse, 1).unwrap();
        let theta = [0.5, -0.5, 0.25, 0.75, 0.1, -0.1, 1.0, -2.0, 0.3];
        let mut ws = Workspace::default();
        let mut g = vec![0.0; 9];
        let data = Dataset { n: 1, inputs: 2, outputs: 1, x: vec![1.0, 0.0], y: vec![1.0] };
        let loss = net.loss_and_grad(&theta, &data, &mut ws, Some(&mut g));
        let (h0, h1) = (0.6f64.tanh(), 0.15f64.tanh());
        let yhat = h0 - 2.0 * h1 + 0.3;
        assert_relative_eq!(loss, (yhat - 1.0).powi(2), epsilon = 1e-15);
        let dy = 2.0 * (yhat - 1.0);
        assert_relative_eq!(g[6], dy * h0, epsilon = 1e-15);
        assert_relative_eq!(g[8], dy, epsilon = 1e-15);
        assert_relative_eq!(g[0], dy * 1.0 * (1.0 - h0 * h0), epsilon = 1e-15);
        assert_relative_eq!(g[3], 0.0, epsilon = 1e-15);
        assert_relative_eq!(g[5], dy * -2.0 * (1.0 - h1 * h1), epsilon = 1e-15);
    }

    /// A 3-input batch of `n` samples and a network with every kind of layer the chunks cross.
    fn chunk_case(n: usize, loss: Loss) -> (Network, Vec<f64>, Dataset) {
        let (out, width) = if loss == Loss::CrossEntropy { (3, 1) } else { (2, 2) };
        let act = if loss == Loss::CrossEntropy { Activation::Softmax } else { Activation::Linear };
        let layers = [LayerSpec::new(5, Activation::Tanh), LayerSpec::new(4, Activation::Relu), LayerSpec::new(out, act)];
        let net = Network::new(3, &layers, loss, width).unwrap();
        let theta: Vec<f64> = (0..net.param_count()).map(|k| ((k * 7919 % 23) as f64 - 11.0) * 0.09).collect();
        let x: Vec<f64> = (0..3 * n).map(|k| ((k * 104_729 % 97) as f64 - 48.0) * 0.03).collect();
        let y: Vec<f64> =
            if width == 1 { (0..n).map(|s| (s % 3) as f64).collect() } else { (0..2 * n).map(|k| (k % 5) as f64 * 0.2).collect() };
        (net, theta, Dataset { n, inputs: 3, outputs: width, x, y })
    }

    #[test]
    fn chunked_gradients_equal_the_whole_batch() {
        for loss in [Loss::Mse, Loss::CrossEntropy, Loss::Huber] {
            for n in [CHUNK + 1, 600] {
                let (net, theta, data) = chunk_case(n, loss);
                let (mut ws, mut whole_ws) = (Workspace::default(), Workspace::default());
                let (mut g, mut whole) = (vec![0.0; theta.len()], vec![0.0; theta.len()]);
                let l = net.loss_and_grad(&theta, &data, &mut ws, Some(&mut g));
                let lw = net.batch_loss_and_grad(&theta, &data, &mut whole_ws, Some(&mut whole));
                assert_eq!(ws.chunks.len(), n.div_ceil(CHUNK));
                assert_relative_eq!(l, lw, max_relative = 1e-13);
                let scale = whole.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for (a, b) in g.iter().zip(&whole) {
                    assert!((a - b).abs() <= 1e-13 * scale, "{loss:?} n {n}: {a} vs {b}");
                }
                // Without a gradient nothing is chunked: the layer values stay the batch's.
                let l0 = net.loss_and_grad(&theta, &data, &mut ws, None);
                assert_eq!(l0, lw);
            }
        }
    }

    #[test]
    fn chunks_on_two_threads_give_the_same_bits_as_in_turn() {
        let n = 700;
        let (net, theta, data) = chunk_case(n, Loss::Mse);
        let mut g_turn = vec![0.0; theta.len()];
        let mut ws_turn = Workspace::default();
        let l_turn = net.loss_and_grad(&theta, &data, &mut ws_turn, Some(&mut g_turn));
        // Three chunks one after the other borrow one workspace in turn.
        assert_eq!((ws_turn.chunks.len(), ws_turn.pool.len()), (3, 1));
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let mut g_pool = vec![0.0; theta.len()];
        let mut ws_pool = Workspace::default();
        let l_pool = pool.install(|| net.loss_and_grad(&theta, &data, &mut ws_pool, Some(&mut g_pool)));
        assert!((1..=2).contains(&ws_pool.pool.len()), "{}", ws_pool.pool.len());
        assert_eq!(l_turn.to_bits(), l_pool.to_bits());
        assert!(g_turn.iter().zip(&g_pool).all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    #[test]
    fn a_workspace_lent_before_leaves_no_trace_in_the_numbers() {
        let (net, theta, data) = chunk_case(700, Loss::Mse);
        let (_, other_theta, other_data) = chunk_case(600, Loss::Mse);
        let mut fresh = vec![0.0; theta.len()];
        let l_fresh = net.loss_and_grad(&theta, &data, &mut Workspace::default(), Some(&mut fresh));
        let mut ws = Workspace::default();
        let mut g = vec![0.0; theta.len()];
        let other_theta: Vec<f64> = other_theta.iter().map(|t| 3.0 * t + 1.0).collect();
        net.loss_and_grad(&other_theta, &other_data, &mut ws, Some(&mut g));
        let l_used = net.loss_and_grad(&theta, &data, &mut ws, Some(&mut g));
        assert_eq!(l_fresh.to_bits(), l_used.to_bits());
        assert!(fresh.iter().zip(&g).all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    #[test]
    fn refuses_losses_that_do_not_fit_the_output() {
        let e = Network::new(2, &[LayerSpec::new(3, Activation::Tanh)], Loss::CrossEntropy, 1).unwrap_err();
        assert!(e.to_string().contains("softmax"), "{e}");
        let e = Network::new(2, &[LayerSpec::new(2, Activation::Tanh)], Loss::Mse, 1).unwrap_err();
        assert!(e.to_string().contains("columns"), "{e}");
        let e = Network::new(2, &[LayerSpec::new(0, Activation::Tanh)], Loss::Mse, 1).unwrap_err();
        assert!(e.to_string().contains("layers[0].units"), "{e}");
        let e = Network::new(10_000, &vec![LayerSpec::new(10_000, Activation::Tanh); 10_000], Loss::Mse, 10_000).unwrap_err();
        assert!(e.to_string().contains("exceed"), "{e}");
    }
}
