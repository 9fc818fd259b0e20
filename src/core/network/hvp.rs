//! Exact Hessian-vector products $H v$ of a network's batch loss, by Pearlmutter's R-operator
//! (B. A. Pearlmutter, *Fast Exact Multiplication by the Hessian*, Neural Computation 6(1),
//! 1994): the directional derivative $R(\cdot) = \frac{d}{dt}(\cdot)\big|_{\theta + t v}$ is
//! carried through the forward pass and then through the backward pass, and $R(\nabla L) = H v$.
//!
//! Why not finite differences of gradients: their truncation and rounding errors (about 1e-7
//! relative at best) limit Lanczos's accuracy, and their step can straddle a ReLU kink. The
//! R-operator costs about two gradient evaluations and is exact up to rounding; where the
//! network is piecewise linear it differentiates the gradient actually computed (torch's
//! derivative at each kink, zero curvature).
//!
//! With batch norm the tangents of the batch mean and variance are included, and the batch is
//! one pass (its statistics span it). Without, a batch of more than [`CHUNK`] samples is cut as
//! [`Network::loss_and_grad`] cuts it, for the same reasons: memory bounded by a chunk, and the
//! chunks on rayon's threads when the caller is on its pool, combined in a fixed order.

use super::{CHUNK, Network, Workspace, linear, linear_gradients, linear_transposed, sum};
use crate::core::activation::Activation;
use crate::core::aligned::AlignedVec;
use crate::core::data::Dataset;
use crate::core::pool::Pool;

/// Buffers for [`Network::hvp`], reused across products (Lanczos asks for hundreds).
#[derive(Clone, Debug, Default)]
pub struct HvpWorkspace {
    /// The forward pass at θ.
    forward: Workspace,
    /// Per layer, the forward tangents.
    tangents: Vec<Tangent>,
    /// dL/dz of the current layer and its tangent R(dL/dz) (unit-major, widest layer × n).
    delta: AlignedVec,
    rdelta: AlignedVec,
    /// The same for the layer below, filled on the way down.
    below: AlignedVec,
    rbelow: AlignedVec,
    /// Scratch as large as the largest layer's values or weights.
    scratch: AlignedVec,
    /// Zeros, as many as the widest layer's units (a bias for the tangent's linear maps).
    zeros: Vec<f64>,
    /// A large batch's chunks.
    chunks: Vec<Chunk>,
    /// The workspaces the chunks' passes borrow.
    pool: Pool<HvpWorkspace>,
}

/// One chunk of a large batch: its samples, its product, and its weight n_c / n in the
/// batch's mean.
#[derive(Clone, Debug, Default)]
struct Chunk {
    data: Dataset,
    out: Vec<f64>,
    weight: f64,
}

/// One layer's forward tangents.
#[derive(Clone, Debug, Default)]
struct Tangent {
    /// R(linear output) (only with batch norm).
    rlin: AlignedVec,
    /// R(x̂) (only with batch norm).
    rxhat: AlignedVec,
    /// R(1/√(var + ε)) per unit (only with batch norm).
    rinv: Vec<f64>,
    /// R(pre-activation).
    rz: AlignedVec,
    /// R(output).
    ry: AlignedVec,
}

impl Network {
    /// Writes $H v$ into `out`, $H = \nabla^2 L(\theta)$ the Hessian of the loss on `data`
    /// (without penalty; see [`Objective::hvp`](crate::core::Objective::hvp)).
    ///
    /// Forward, for each layer with input $a$ and weights $W$, $b$ (tangents $V_W$, $V_b$):
    /// $R(\ell) = V_W a + W R(a) + V_b$; with batch norm, $c = \ell - \mu$,
    /// $R(\hat x) = s\,(R(c) - \hat x\,\overline{\hat x R(c)})$, $R(s) = -s^2\,\overline{\hat x R(c)}$
    /// ($s = 1/\sqrt{\sigma^2 + \varepsilon}$, bars are batch means),
    /// $R(z) = V_\gamma \hat x + \gamma R(\hat x) + V_\beta$; then $R(y) = J_f R(z)$.
    /// Backward, from $R(\partial L/\partial z)$ at the output ([`Loss::tangent`](crate::core::Loss::tangent)):
    /// $R(\partial L/\partial W) = R(\delta) a^\top + \delta R(a)^\top$,
    /// $R(\partial L/\partial a) = V_W^\top \delta + W^\top R(\delta)$, through each activation with
    /// its second derivative ([`Activation::backprop_tangent`]) and through batch norm's backward
    /// formula differentiated term by term.
    pub fn hvp(&self, theta: &[f64], v: &[f64], data: &Dataset, ws: &mut HvpWorkspace, out: &mut [f64]) {
        if data.n > CHUNK && !self.layers.iter().any(|l| l.batch_norm) {
            self.chunked_hvp(theta, v, data, ws, out);
        } else {
            self.batch_hvp(theta, v, data, ws, out);
        }
    }

    /// [`Network::hvp`] over chunks of [`CHUNK`] samples: the batch loss is the chunks' losses
    /// weighted by n_c / n, and so is its Hessian.
    fn chunked_hvp(&self, theta: &[f64], v: &[f64], data: &Dataset, ws: &mut HvpWorkspace, out: &mut [f64]) {
        let (n, dim) = (data.n, out.len());
        let HvpWorkspace { chunks, pool, .. } = ws;
        chunks.resize_with(n.div_ceil(CHUNK), Chunk::default);
        let one = |c: usize, chunk: &mut Chunk| {
            let start = c * CHUNK;
            data.rows_into(start..CHUNK.min(n - start) + start, &mut chunk.data);
            chunk.out.resize(dim, 0.0);
            pool.lend(|ws| self.batch_hvp(theta, v, &chunk.data, ws, &mut chunk.out));
            chunk.weight = chunk.data.n as f64 / n as f64;
        };
        if rayon::current_thread_index().is_some() {
            use rayon::prelude::*;
            chunks.par_iter_mut().enumerate().for_each(|(c, chunk)| one(c, chunk));
        } else {
            chunks.iter_mut().enumerate().for_each(|(c, chunk)| one(c, chunk));
        }
        let (first, rest) = chunks.split_first().expect("n > CHUNK gives at least two chunks");
        for (o, &x) in out.iter_mut().zip(&first.out) {
            *o = first.weight * x;
        }
        for chunk in rest {
            crate::core::kernels::axpy(chunk.weight, &chunk.out, out);
        }
    }

    /// [`Network::hvp`] of the whole batch in one pass.
    fn batch_hvp(&self, theta: &[f64], v: &[f64], data: &Dataset, ws: &mut HvpWorkspace, out: &mut [f64]) {
        let n = data.n;
        let x = &data.x[..];
        self.forward(theta, x, n, &mut ws.forward);
        self.prepare_tangents(ws, n);
        self.forward_tangents(theta, v, x, n, ws);
        // The output layer's dL/dz and its tangent.
        let li = self.layers.len() - 1;
        let last = &self.layers[li];
        let (c, t) = (&ws.forward.layers[li], &ws.tangents[li]);
        let width = last.units * n;
        let loss = self.loss;
        loss.evaluate(last.activation, last.slope, &c.z, &c.y, &data.y, data.outputs, n, Some(&mut ws.delta[..width]));
        loss.tangent(
            last.activation,
            last.slope,
            &c.z,
            &c.y,
            &t.rz,
            &t.ry,
            &data.y,
            data.outputs,
            n,
            &mut ws.scratch[..width],
            &mut ws.rdelta[..width],
        );
        self.backward_tangents(theta, v, x, n, ws, out);
    }

    fn prepare_tangents(&self, ws: &mut HvpWorkspace, n: usize) {
        ws.tangents.resize_with(self.layers.len(), Tangent::default);
        let widest = self.layers.iter().map(|l| l.units).max().unwrap_or(0);
        let weights = self.layers.iter().map(|l| l.units * (l.fan_in + 1)).max().unwrap_or(0);
        for (t, l) in ws.tangents.iter_mut().zip(&self.layers) {
            let len = l.units * n;
            t.rz.resize(len, 0.0);
            t.ry.resize(len, 0.0);
            if l.batch_norm {
                t.rlin.resize(len, 0.0);
                t.rxhat.resize(len, 0.0);
                t.rinv.resize(l.units, 0.0);
            }
        }
        for b in [&mut ws.delta, &mut ws.rdelta, &mut ws.below, &mut ws.rbelow] {
            b.resize(widest * n, 0.0);
        }
        ws.scratch.resize((widest * n).max(weights), 0.0);
        ws.zeros.clear();
        ws.zeros.resize(widest, 0.0);
    }

    /// R(lin), R(x̂), R(s), R(z), R(y) of every layer, bottom up.
    fn forward_tangents(&self, theta: &[f64], v: &[f64], x: &[f64], n: usize, ws: &mut HvpWorkspace) {
        for (li, l) in self.layers.iter().enumerate() {
            let (done, rest) = ws.tangents.split_at_mut(li);
            let t = &mut rest[0];
            let c = &ws.forward.layers[li];
            let input: &[f64] = if li == 0 { x } else { &ws.forward.layers[li - 1].y };
            let (w, vw) = (&theta[l.weight_offset..l.bias_offset], &v[l.weight_offset..l.bias_offset]);
            let vb = &v[l.bias_offset..l.bn_offset];
            let len = l.units * n;
            let target = if l.batch_norm { &mut t.rlin } else { &mut t.rz };
            linear(vw, vb, input, l.fan_in, l.units, n, target);
            if li > 0 {
                // The input's own tangent (the network's inputs have none).
                let scratch = &mut ws.scratch[..len];
                linear(w, &ws.zeros[..l.units], &done[li - 1].ry, l.fan_in, l.units, n, scratch);
                target.iter_mut().zip(scratch.iter()).for_each(|(a, b)| *a += b);
            }
            if l.batch_norm {
                let gamma = &theta[l.bn_offset..l.bn_offset + l.units];
                let (vg, vbeta) = v[l.bn_offset..l.end].split_at(l.units);
                let inv_n = 1.0 / n as f64;
                for u in 0..l.units {
                    let r = u * n..(u + 1) * n;
                    let (rlin, xhat) = (&t.rlin[r.clone()], &c.xhat[r.clone()]);
                    let mean = sum(rlin) * inv_n;
                    let mut m2 = 0.0;
                    for (&rl, &xh) in rlin.iter().zip(xhat) {
                        m2 += xh * (rl - mean);
                    }
                    m2 *= inv_n;
                    let s = c.inv_std[u];
                    t.rinv[u] = -s * s * m2;
                    for k in r {
                        let rx = s * ((t.rlin[k] - mean) - c.xhat[k] * m2);
                        t.rxhat[k] = rx;
                        t.rz[k] = vg[u] * c.xhat[k] + gamma[u] * rx + vbeta[u];
                    }
                }
            }
            l.activation.tangent(&c.z, &c.y, &t.rz, &mut t.ry, l.slope, l.units, n);
        }
    }

    /// Carries dL/dz and R(dL/dz) from the output layer down, writing R(∇L) = Hv into `out`.
    fn backward_tangents(&self, theta: &[f64], v: &[f64], x: &[f64], n: usize, ws: &mut HvpWorkspace, out: &mut [f64]) {
        let nf = n as f64;
        for li in (0..self.layers.len()).rev() {
            let l = &self.layers[li];
            let len = l.units * n;
            let (c, t) = (&ws.forward.layers[li], &ws.tangents[li]);
            let (d, rd) = (&mut ws.delta[..len], &mut ws.rdelta[..len]);
            if l.batch_norm {
                // Forward: δℓ = k (n δ − Σδ − x̂ Σδx̂), k = γ s / n; dγ = Σδx̂, dβ = Σδ.
                let gamma = &theta[l.bn_offset..l.bn_offset + l.units];
                let vg = &v[l.bn_offset..l.bn_offset + l.units];
                let (rg, rb) = out[l.bn_offset..l.end].split_at_mut(l.units);
                for u in 0..l.units {
                    let r = u * n..(u + 1) * n;
                    let (mut s1, mut s2, mut rs1, mut rs2) = (0.0, 0.0, 0.0, 0.0);
                    for k in r.clone() {
                        s1 += d[k];
                        s2 += d[k] * c.xhat[k];
                        rs1 += rd[k];
                        rs2 += rd[k] * c.xhat[k] + d[k] * t.rxhat[k];
                    }
                    rg[u] = rs2;
                    rb[u] = rs1;
                    let s = c.inv_std[u];
                    let k0 = gamma[u] * s / nf;
                    let rk = (vg[u] * s + gamma[u] * t.rinv[u]) / nf;
                    for k in r {
                        let inner = nf * d[k] - s1 - c.xhat[k] * s2;
                        rd[k] = rk * inner + k0 * (nf * rd[k] - rs1 - t.rxhat[k] * s2 - c.xhat[k] * rs2);
                        d[k] = k0 * inner;
                    }
                }
            }
            // R(dL/dW) = R(δ) aᵀ + δ R(a)ᵀ, R(dL/db) = Σ R(δ).
            let input: &[f64] = if li == 0 { x } else { &ws.forward.layers[li - 1].y };
            let (gw, gb) = out[l.weight_offset..l.bn_offset].split_at_mut(l.fan_in * l.units);
            linear_gradients(rd, input, l.fan_in, l.units, n, gw, gb);
            if li == 0 {
                break;
            }
            let below_t = &ws.tangents[li - 1];
            let (sw, sb) = ws.scratch[..l.units * (l.fan_in + 1)].split_at_mut(l.fan_in * l.units);
            linear_gradients(d, &below_t.ry, l.fan_in, l.units, n, sw, sb);
            gw.iter_mut().zip(sw.iter()).for_each(|(a, b)| *a += b);
            // dL/da = Wᵀ δ and R(dL/da) = V_Wᵀ δ + Wᵀ R(δ), then through the activation below.
            let (w, vw) = (&theta[l.weight_offset..l.bias_offset], &v[l.weight_offset..l.bias_offset]);
            let below_len = l.fan_in * n;
            let (g, rg) = (&mut ws.below[..below_len], &mut ws.rbelow[..below_len]);
            linear_transposed(w, d, l.fan_in, n, g);
            linear_transposed(w, rd, l.fan_in, n, rg);
            let scratch = &mut ws.scratch[..below_len];
            linear_transposed(vw, d, l.fan_in, n, scratch);
            rg.iter_mut().zip(scratch.iter()).for_each(|(a, b)| *a += b);
            let prev = &self.layers[li - 1];
            let pc = &ws.forward.layers[li - 1];
            prev.activation.backprop_tangent(&pc.z, &pc.y, &below_t.rz, &below_t.ry, g, rg, prev.slope, prev.units, n);
            if prev.activation == Activation::Softmax {
                super::softmax_backprop(&pc.y, g, prev.units, n);
            } else {
                prev.activation.backprop(&pc.z, &pc.y, g, prev.slope);
            }
            std::mem::swap(&mut ws.delta, &mut ws.below);
            std::mem::swap(&mut ws.rdelta, &mut ws.rbelow);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::data::SeededRng;
    use crate::core::{LayerSpec, Loss};

    /// The output layer and targets each loss reads: (activation, units, target width, target).
    fn output_for(loss: Loss, rng: &mut SeededRng) -> (Activation, usize, usize, Box<dyn FnMut(usize) -> f64 + '_>) {
        match loss {
            Loss::CrossEntropy => (Activation::Softmax, 3, 1, Box::new(|s| (s % 3) as f64)),
            Loss::LogLoss => (Activation::Sigmoid, 1, 1, Box::new(|s| (s % 2) as f64)),
            Loss::Hinge => (Activation::Tanh, 1, 1, Box::new(|s| if s % 2 == 0 { 1.0 } else { -1.0 })),
            // Huber's targets straddle its quadratic zone's edge |ŷ − y| = 1.
            _ => (Activation::Linear, 2, 2, Box::new(move |_| 1.5 * rng.normal())),
        }
    }

    /// A 3 → 4 → 3 → output network, both hidden layers with `act` (and batch norm when
    /// `bn`), on `n` seeded samples, at a seeded θ.
    fn case(act: Activation, loss: Loss, bn: bool, n: usize, seed: u64) -> (Network, Vec<f64>, Dataset) {
        let mut rng = SeededRng::new(seed);
        let mut targets_rng = SeededRng::new(seed + 1);
        let (out_act, out_units, width, mut target) = output_for(loss, &mut targets_rng);
        let hidden = |units| LayerSpec { units, activation: act, batch_norm: bn, negative_slope: 0.1 };
        let net = Network::new(3, &[hidden(4), hidden(3), LayerSpec::new(out_units, out_act)], loss, width).unwrap();
        let theta: Vec<f64> = (0..net.param_count()).map(|_| 0.8 * rng.normal()).collect();
        let x: Vec<f64> = (0..3 * n).map(|_| rng.normal()).collect();
        let y: Vec<f64> = (0..width * n).map(|k| target(k % n)).collect();
        (net, theta, Dataset { n, inputs: 3, outputs: width, x, y })
    }

    fn grad(net: &Network, theta: &[f64], data: &Dataset) -> Vec<f64> {
        let mut g = vec![0.0; theta.len()];
        net.loss_and_grad(theta, data, &mut Workspace::default(), Some(&mut g));
        g
    }

    /// Column i of the dense Hessian by central differences of the exact gradient, and by
    /// the R-operator on e_i; returns max |difference| / max |H|, and max |H|.
    fn compare(net: &Network, theta: &[f64], data: &Dataset) -> (f64, f64) {
        let dim = theta.len();
        let h = 1e-5;
        let mut ws = HvpWorkspace::default();
        let (mut worst, mut scale) = (0.0f64, 0.0f64);
        let mut exact = vec![0.0; dim];
        for i in 0..dim {
            let mut e = vec![0.0; dim];
            e[i] = 1.0;
            net.hvp(theta, &e, data, &mut ws, &mut exact);
            let (mut p, mut m) = (theta.to_vec(), theta.to_vec());
            p[i] += h;
            m[i] -= h;
            let (gp, gm) = (grad(net, &p, data), grad(net, &m, data));
            for k in 0..dim {
                let fd = (gp[k] - gm[k]) / (2.0 * h);
                worst = worst.max((exact[k] - fd).abs());
                scale = scale.max(fd.abs());
            }
        }
        (worst / scale, scale)
    }

    /// Every pre-activation of a (leaky) ReLU layer, and every kink of MAE, Huber and hinge, is
    /// far from its kink compared with the finite-difference step (else the reference is wrong,
    /// not the R-operator).
    fn away_from_kinks(net: &Network, theta: &[f64], data: &Dataset) -> bool {
        let mut ws = Workspace::default();
        net.forward(theta, &data.x, data.n, &mut ws);
        let relu_ok = net
            .layers()
            .iter()
            .zip(&ws.layers)
            .all(|(l, c)| !matches!(l.activation, Activation::Relu | Activation::LeakyRelu) || c.z.iter().all(|z| z.abs() > 1e-3));
        let out = net.output(&ws);
        let loss_ok = out.iter().zip(&data.y).all(|(&p, &t)| match net.loss_kind() {
            Loss::Mae => (p - t).abs() > 1e-3,
            Loss::Huber => ((p - t).abs() - 1.0).abs() > 1e-3,
            Loss::Hinge => (1.0 - t * p).abs() > 1e-3,
            _ => true,
        });
        relu_ok && loss_ok
    }

    #[test]
    fn the_r_operator_equals_the_dense_hessian_for_every_activation_loss_and_batch_norm() {
        let mut worst_seen = 0.0f64;
        for act in Activation::ALL {
            for loss in Loss::ALL {
                for bn in [false, true] {
                    // The first seeded case whose points all sit away from the kinks.
                    let (net, theta, data) = (3..20)
                        .map(|seed| case(act, loss, bn, 7, seed))
                        .find(|(net, theta, data)| away_from_kinks(net, theta, data))
                        .expect("a seed away from the kinks");
                    let (rel, scale) = compare(&net, &theta, &data);
                    assert!(scale > 1e-3, "{act:?} {loss:?} bn {bn}: a vanishing Hessian tests nothing");
                    assert!(rel < 1e-6, "{act:?} {loss:?} bn {bn}: relative error {rel:e}");
                    worst_seen = worst_seen.max(rel);
                }
            }
        }
        println!("largest relative difference from central differences: {worst_seen:e}");
    }

    #[test]
    fn batch_norm_on_the_output_layer_and_soft_cross_entropy_targets() {
        let mut rng = SeededRng::new(9);
        let mut out = LayerSpec::new(3, Activation::Softmax);
        out.batch_norm = true;
        let net = Network::new(2, &[LayerSpec::new(3, Activation::Tanh), out], Loss::CrossEntropy, 3).unwrap();
        let theta: Vec<f64> = (0..net.param_count()).map(|_| rng.normal()).collect();
        let n = 6;
        let x: Vec<f64> = (0..2 * n).map(|_| rng.normal()).collect();
        // Soft targets whose mass is not 1, the cross-entropy's weight m = Σ t.
        let y: Vec<f64> = (0..3 * n).map(|_| rng.uniform(0.0, 1.0)).collect();
        let (rel, _) = compare(&net, &theta, &Dataset { n, inputs: 2, outputs: 3, x, y });
        assert!(rel < 1e-6, "relative error {rel:e}");
    }

    #[test]
    fn a_fixed_mini_batch_is_its_own_objective() {
        // The Hessian of a batch's loss is the batch's, not the full data's: with batch norm
        // its statistics are the batch's own.
        for bn in [false, true] {
            let (net, theta, data) = case(Activation::Tanh, Loss::Mse, bn, 12, 5);
            let rows = [1, 4, 5, 9, 11];
            let mut batch = Dataset { n: rows.len(), inputs: 3, outputs: data.outputs, x: Vec::new(), y: Vec::new() };
            for f in 0..3 {
                batch.x.extend(rows.iter().map(|&s| data.x[f * data.n + s]));
            }
            for k in 0..data.outputs {
                batch.y.extend(rows.iter().map(|&s| data.y[k * data.n + s]));
            }
            let (rel, _) = compare(&net, &theta, &batch);
            assert!(rel < 1e-6, "bn {bn}: relative error {rel:e}");
            // And differs from the full batch's.
            let v: Vec<f64> = (0..theta.len()).map(|k| ((k * 7919) % 13) as f64 / 13.0 - 0.5).collect();
            let (mut full, mut part) = (vec![0.0; theta.len()], vec![0.0; theta.len()]);
            let mut ws = HvpWorkspace::default();
            net.hvp(&theta, &v, &data, &mut ws, &mut full);
            net.hvp(&theta, &v, &batch, &mut ws, &mut part);
            assert!(full.iter().zip(&part).any(|(a, b)| (a - b).abs() > 1e-3));
        }
    }

    #[test]
    fn a_large_batch_in_chunks_equals_one_pass_on_any_thread_count() {
        let (net, theta, data) = case(Activation::Tanh, Loss::CrossEntropy, false, CHUNK + 77, 2);
        let v: Vec<f64> = (0..theta.len()).map(|k| ((k * 7919) % 13) as f64 / 13.0 - 0.5).collect();
        let dim = theta.len();
        let (mut chunked, mut whole, mut pooled) = (vec![0.0; dim], vec![0.0; dim], vec![0.0; dim]);
        let mut ws = HvpWorkspace::default();
        net.hvp(&theta, &v, &data, &mut ws, &mut chunked);
        assert_eq!(ws.chunks.len(), 2);
        net.batch_hvp(&theta, &v, &data, &mut HvpWorkspace::default(), &mut whole);
        let scale = whole.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        assert!(scale > 1e-3);
        for (a, b) in chunked.iter().zip(&whole) {
            assert!((a - b).abs() <= 1e-13 * scale, "{a} vs {b}");
        }
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        pool.install(|| net.hvp(&theta, &v, &data, &mut HvpWorkspace::default(), &mut pooled));
        assert!(chunked.iter().zip(&pooled).all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    #[test]
    fn products_are_symmetric_and_linear() {
        let mut rng = SeededRng::new(17);
        for (act, loss, bn) in [
            (Activation::Tanh, Loss::CrossEntropy, true),
            (Activation::Sigmoid, Loss::Huber, false),
            (Activation::Softmax, Loss::LogLoss, true),
        ] {
            let (net, theta, data) = case(act, loss, bn, 9, 21);
            let dim = theta.len();
            let v: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
            let w: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
            let mut ws = HvpWorkspace::default();
            let (mut hv, mut hw, mut hs) = (vec![0.0; dim], vec![0.0; dim], vec![0.0; dim]);
            net.hvp(&theta, &v, &data, &mut ws, &mut hv);
            net.hvp(&theta, &w, &data, &mut ws, &mut hw);
            let whv: f64 = w.iter().zip(&hv).map(|(a, b)| a * b).sum();
            let vhw: f64 = v.iter().zip(&hw).map(|(a, b)| a * b).sum();
            let size = hv.iter().map(|x| x * x).sum::<f64>().sqrt() * w.iter().map(|x| x * x).sum::<f64>().sqrt();
            assert!((whv - vhw).abs() <= 1e-13 * size, "{act:?} {loss:?}: wᵀHv {whv} vs vᵀHw {vhw}");
            // H(2v − 3w) = 2Hv − 3Hw: the product is linear in v, as a Hessian's is.
            let s: Vec<f64> = v.iter().zip(&w).map(|(a, b)| 2.0 * a - 3.0 * b).collect();
            net.hvp(&theta, &s, &data, &mut ws, &mut hs);
            for k in 0..dim {
                let want = 2.0 * hv[k] - 3.0 * hw[k];
                assert!((hs[k] - want).abs() <= 1e-12 * (1.0 + want.abs()), "{act:?} {loss:?}: {} vs {want}", hs[k]);
            }
        }
    }
}
