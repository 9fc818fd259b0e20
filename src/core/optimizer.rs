//! The optimizers, with `torch.optim`'s update rules, parameter names and defaults
//! (SGD, Adam, AdamW, RMSprop, Adagrad), and learning-rate schedules.
//!
//! A config ([`OptimizerConfig`]) is plain data; [`OptimizerState`] holds a run's moments and
//! step count. `g` is the (clipped) gradient at θ_{t−1}, t counts from 1, γ is the learning rate.

use serde::{Deserialize, Serialize};

use super::elementary;
use super::error::CoreError;

/// An optimizer and its hyper-parameters (torch names; missing fields take torch's defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerConfig {
    /// `torch.optim.SGD`.
    Sgd(Sgd),
    /// `torch.optim.Adam`.
    Adam(Adam),
    /// `torch.optim.AdamW` (decoupled weight decay, default 1e-2).
    Adamw(Adam),
    /// `torch.optim.RMSprop`.
    Rmsprop(Rmsprop),
    /// `torch.optim.Adagrad`.
    Adagrad(Adagrad),
}

/// SGD with momentum: $b_t = \mu b_{t-1} + (1-\tau) g$ ($b_1 = g$), nesterov $g + \mu b_t$.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sgd {
    /// Learning rate γ (default 1e-3).
    pub lr: f64,
    /// Momentum μ (default 0).
    pub momentum: f64,
    /// Dampening τ (default 0).
    pub dampening: f64,
    /// Nesterov momentum (needs μ > 0 and τ = 0).
    pub nesterov: bool,
    /// L2 weight decay λ added to g (default 0).
    pub weight_decay: f64,
}

impl Default for Sgd {
    fn default() -> Self {
        Self { lr: 1e-3, momentum: 0.0, dampening: 0.0, nesterov: false, weight_decay: 0.0 }
    }
}

/// Adam / AdamW: bias-corrected first and second moments, optional AMSGrad.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adam {
    /// Learning rate γ (default 1e-3).
    #[serde(default = "adam_lr")]
    pub lr: f64,
    /// (β1, β2) (default (0.9, 0.999)).
    #[serde(default = "adam_betas")]
    pub betas: [f64; 2],
    /// ε added to √v̂ (default 1e-8).
    #[serde(default = "adam_eps")]
    pub eps: f64,
    /// Weight decay λ: L2 for Adam (default 0), decoupled for AdamW (default 1e-2).
    #[serde(default)]
    pub weight_decay: Option<f64>,
    /// Use the running maximum of v̂ (AMSGrad).
    #[serde(default)]
    pub amsgrad: bool,
}

fn adam_lr() -> f64 {
    1e-3
}
fn adam_betas() -> [f64; 2] {
    [0.9, 0.999]
}
fn adam_eps() -> f64 {
    1e-8
}

impl Default for Adam {
    fn default() -> Self {
        Self { lr: 1e-3, betas: adam_betas(), eps: 1e-8, weight_decay: None, amsgrad: false }
    }
}

/// RMSprop: $v = \alpha v + (1-\alpha) g^2$, step $g/(\sqrt{\tilde v} + \epsilon)$.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rmsprop {
    /// Learning rate γ (default 1e-2).
    pub lr: f64,
    /// Smoothing constant α (default 0.99).
    pub alpha: f64,
    /// ε (default 1e-8), outside the square root.
    pub eps: f64,
    /// L2 weight decay (default 0).
    pub weight_decay: f64,
    /// Momentum μ (default 0).
    pub momentum: f64,
    /// Subtract the squared running mean of g (default false).
    pub centered: bool,
}

impl Default for Rmsprop {
    fn default() -> Self {
        Self { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0.0, momentum: 0.0, centered: false }
    }
}

/// Adagrad: $s = s + g^2$, step $\tilde\gamma g/(\sqrt s + \epsilon)$, $\tilde\gamma = \gamma/(1 + (t-1)\eta)$.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Adagrad {
    /// Learning rate γ (default 1e-2).
    pub lr: f64,
    /// Learning-rate decay η (default 0).
    pub lr_decay: f64,
    /// L2 weight decay (default 0).
    pub weight_decay: f64,
    /// s₀ (default 0).
    pub initial_accumulator_value: f64,
    /// ε (default 1e-10).
    pub eps: f64,
}

impl Default for Adagrad {
    fn default() -> Self {
        Self { lr: 1e-2, lr_decay: 0.0, weight_decay: 0.0, initial_accumulator_value: 0.0, eps: 1e-10 }
    }
}

impl OptimizerConfig {
    /// The torch class name.
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerConfig::Sgd(_) => "SGD",
            OptimizerConfig::Adam(_) => "Adam",
            OptimizerConfig::Adamw(_) => "AdamW",
            OptimizerConfig::Rmsprop(_) => "RMSprop",
            OptimizerConfig::Adagrad(_) => "Adagrad",
        }
    }

    /// The base learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            OptimizerConfig::Sgd(o) => o.lr,
            OptimizerConfig::Adam(o) | OptimizerConfig::Adamw(o) => o.lr,
            OptimizerConfig::Rmsprop(o) => o.lr,
            OptimizerConfig::Adagrad(o) => o.lr,
        }
    }

    /// A mutable handle on the base learning rate (for the panel's slider).
    pub fn lr_mut(&mut self) -> &mut f64 {
        match self {
            OptimizerConfig::Sgd(o) => &mut o.lr,
            OptimizerConfig::Adam(o) | OptimizerConfig::Adamw(o) => &mut o.lr,
            OptimizerConfig::Rmsprop(o) => &mut o.lr,
            OptimizerConfig::Adagrad(o) => &mut o.lr,
        }
    }

    /// A short description: `SGD lr=0.1 momentum=0.9 nesterov`.
    pub fn describe(&self) -> String {
        let mut s = format!("{} lr={}", self.name(), self.lr());
        let mut add = |cond: bool, text: String| {
            if cond {
                s.push(' ');
                s.push_str(&text);
            }
        };
        match self {
            OptimizerConfig::Sgd(o) => {
                add(o.momentum != 0.0, format!("momentum={}", o.momentum));
                add(o.dampening != 0.0, format!("dampening={}", o.dampening));
                add(o.nesterov, "nesterov".into());
                add(o.weight_decay != 0.0, format!("weight_decay={}", o.weight_decay));
            }
            OptimizerConfig::Adam(o) | OptimizerConfig::Adamw(o) => {
                add(o.betas != adam_betas(), format!("betas=({}, {})", o.betas[0], o.betas[1]));
                add(o.eps != 1e-8, format!("eps={}", o.eps));
                add(o.weight_decay.is_some(), format!("weight_decay={}", o.weight_decay.unwrap_or(0.0)));
                add(o.amsgrad, "amsgrad".into());
            }
            OptimizerConfig::Rmsprop(o) => {
                add(o.alpha != 0.99, format!("alpha={}", o.alpha));
                add(o.momentum != 0.0, format!("momentum={}", o.momentum));
                add(o.centered, "centered".into());
                add(o.weight_decay != 0.0, format!("weight_decay={}", o.weight_decay));
            }
            OptimizerConfig::Adagrad(o) => {
                add(o.lr_decay != 0.0, format!("lr_decay={}", o.lr_decay));
                add(o.initial_accumulator_value != 0.0, format!("initial_accumulator_value={}", o.initial_accumulator_value));
                add(o.weight_decay != 0.0, format!("weight_decay={}", o.weight_decay));
            }
        }
        s
    }

    /// Checks every hyper-parameter as torch does; errors name the field.
    pub fn validate(&self) -> Result<(), CoreError> {
        let key = match self {
            OptimizerConfig::Sgd(_) => "sgd",
            OptimizerConfig::Adam(_) => "adam",
            OptimizerConfig::Adamw(_) => "adamw",
            OptimizerConfig::Rmsprop(_) => "rmsprop",
            OptimizerConfig::Adagrad(_) => "adagrad",
        };
        let check = |field: &str, v: f64, ok: bool, want: &str| -> Result<(), CoreError> {
            if ok && v.is_finite() {
                Ok(())
            } else {
                Err(CoreError::invalid(format!("optimizer.{key}.{field}"), format!("must be {want}, got {v}")))
            }
        };
        check("lr", self.lr(), self.lr() >= 0.0, "a finite number ≥ 0")?;
        match self {
            OptimizerConfig::Sgd(o) => {
                check("momentum", o.momentum, o.momentum >= 0.0, "a finite number ≥ 0")?;
                check("dampening", o.dampening, (0.0..=1.0).contains(&o.dampening), "in [0, 1]")?;
                check("weight_decay", o.weight_decay, o.weight_decay >= 0.0, "a finite number ≥ 0")?;
                if o.nesterov && (o.momentum <= 0.0 || o.dampening != 0.0) {
                    return Err(CoreError::invalid(
                        format!("optimizer.{key}.nesterov"),
                        "needs momentum > 0 and dampening = 0 (as torch requires)",
                    ));
                }
            }
            OptimizerConfig::Adam(o) | OptimizerConfig::Adamw(o) => {
                check("betas[0]", o.betas[0], (0.0..1.0).contains(&o.betas[0]), "in [0, 1)")?;
                check("betas[1]", o.betas[1], (0.0..1.0).contains(&o.betas[1]), "in [0, 1)")?;
                check("eps", o.eps, o.eps >= 0.0, "a finite number ≥ 0")?;
                let wd = o.weight_decay.unwrap_or(0.0);
                check("weight_decay", wd, wd >= 0.0, "a finite number ≥ 0")?;
            }
            OptimizerConfig::Rmsprop(o) => {
                check("alpha", o.alpha, o.alpha >= 0.0, "a finite number ≥ 0")?;
                check("eps", o.eps, o.eps >= 0.0, "a finite number ≥ 0")?;
                check("momentum", o.momentum, o.momentum >= 0.0, "a finite number ≥ 0")?;
                check("weight_decay", o.weight_decay, o.weight_decay >= 0.0, "a finite number ≥ 0")?;
            }
            OptimizerConfig::Adagrad(o) => {
                check("lr_decay", o.lr_decay, o.lr_decay >= 0.0, "a finite number ≥ 0")?;
                check("eps", o.eps, o.eps >= 0.0, "a finite number ≥ 0")?;
                check("weight_decay", o.weight_decay, o.weight_decay >= 0.0, "a finite number ≥ 0")?;
                check("initial_accumulator_value", o.initial_accumulator_value, o.initial_accumulator_value >= 0.0, "a finite number ≥ 0")?;
            }
        }
        Ok(())
    }
}

/// A learning-rate schedule, stepped after every optimizer step (torch's `lr_scheduler`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// `StepLR`: γ·gamma^⌊e/step_size⌋.
    Step {
        /// Steps between decays.
        step_size: u64,
        /// Decay factor (default 0.1).
        #[serde(default = "tenth")]
        gamma: f64,
    },
    /// `ExponentialLR`: γ·gamma^e.
    Exponential {
        /// Decay factor per step.
        gamma: f64,
    },
    /// `CosineAnnealingLR`: η_min + (γ − η_min)(1 + cos(π e/T_max))/2.
    Cosine {
        /// Half-period in steps.
        #[serde(alias = "T_max")]
        t_max: u64,
        /// Floor (default 0).
        #[serde(default)]
        eta_min: f64,
    },
}

fn tenth() -> f64 {
    0.1
}

impl Schedule {
    /// The learning rate after `e` scheduler steps, from base rate `lr`.
    pub fn lr_at(&self, lr: f64, e: u64) -> f64 {
        match *self {
            Schedule::Step { step_size, gamma } => lr * elementary::powu(gamma, e / step_size.max(1)),
            Schedule::Exponential { gamma } => lr * elementary::powu(gamma, e),
            Schedule::Cosine { t_max, eta_min } => {
                eta_min + (lr - eta_min) * (1.0 + elementary::cos(std::f64::consts::PI * e as f64 / t_max.max(1) as f64)) / 2.0
            }
        }
    }

    /// As written in a scene, with `=` for readability: `exponential(gamma=0.99)`.
    pub fn describe(&self) -> String {
        match *self {
            Schedule::Step { step_size, gamma } => format!("step(step_size={step_size}, gamma={gamma})"),
            Schedule::Exponential { gamma } => format!("exponential(gamma={gamma})"),
            Schedule::Cosine { t_max, eta_min } => format!("cosine(t_max={t_max}, eta_min={eta_min})"),
        }
    }

    /// Refuses a zero period, a factor that is not finite and > 0, or a floor that is not finite
    /// and ≥ 0; the field path names the variant (`schedule.exponential.gamma`), as written.
    pub fn validate(&self) -> Result<(), CoreError> {
        match *self {
            Schedule::Step { step_size: 0, .. } => Err(CoreError::invalid("schedule.step.step_size", "must be ≥ 1")),
            Schedule::Cosine { t_max: 0, .. } => Err(CoreError::invalid("schedule.cosine.t_max", "must be ≥ 1")),
            Schedule::Step { gamma, .. } if !(gamma > 0.0 && gamma.is_finite()) => {
                Err(CoreError::invalid("schedule.step.gamma", format!("must be a finite number > 0, got {gamma}")))
            }
            Schedule::Exponential { gamma } if !(gamma > 0.0 && gamma.is_finite()) => {
                Err(CoreError::invalid("schedule.exponential.gamma", format!("must be a finite number > 0, got {gamma}")))
            }
            Schedule::Cosine { eta_min, .. } if !(eta_min >= 0.0 && eta_min.is_finite()) => {
                Err(CoreError::invalid("schedule.cosine.eta_min", format!("must be a finite number ≥ 0, got {eta_min}")))
            }
            _ => Ok(()),
        }
    }
}

/// A run's optimizer state: moments and step count.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState {
    /// Completed steps.
    pub t: u64,
    /// Momentum buffer / first moment / Adagrad's sum.
    a: Vec<f64>,
    /// Second moment.
    b: Vec<f64>,
    /// AMSGrad maximum / centered mean / RMSprop momentum buffer.
    c: Vec<f64>,
    /// RMSprop momentum buffer when centered.
    d: Vec<f64>,
}

impl OptimizerState {
    /// Fresh state for `dim` parameters.
    pub fn new(config: &OptimizerConfig, dim: usize) -> Self {
        let a = match config {
            OptimizerConfig::Adagrad(o) => vec![o.initial_accumulator_value; dim],
            _ => vec![0.0; dim],
        };
        Self { t: 0, a, b: vec![0.0; dim], c: vec![0.0; dim], d: vec![0.0; dim] }
    }

    /// One update of θ in place with gradient `g` at learning rate `lr` (the scheduled rate).
    /// `g` may be modified (weight decay is added to it, as torch does).
    pub fn step(&mut self, config: &OptimizerConfig, lr: f64, theta: &mut [f64], g: &mut [f64]) {
        self.t += 1;
        let t = self.t;
        match config {
            OptimizerConfig::Sgd(o) => {
                add_weight_decay(g, theta, o.weight_decay);
                if o.momentum != 0.0 {
                    for (b, gi) in self.a.iter_mut().zip(g.iter_mut()) {
                        *b = if t == 1 { *gi } else { o.momentum * *b + (1.0 - o.dampening) * *gi };
                        *gi = if o.nesterov { *gi + o.momentum * *b } else { *b };
                    }
                }
                for (p, gi) in theta.iter_mut().zip(g.iter()) {
                    *p -= lr * gi;
                }
            }
            OptimizerConfig::Adam(o) | OptimizerConfig::Adamw(o) => {
                let decoupled = matches!(config, OptimizerConfig::Adamw(_));
                let wd = o.weight_decay.unwrap_or(if decoupled { 1e-2 } else { 0.0 });
                if decoupled {
                    theta.iter_mut().for_each(|p| *p *= 1.0 - lr * wd);
                } else {
                    add_weight_decay(g, theta, wd);
                }
                let [b1, b2] = o.betas;
                let bc1 = 1.0 - elementary::powu(b1, t);
                let bc2 = 1.0 - elementary::powu(b2, t);
                let step_size = lr / bc1;
                let bc2_sqrt = bc2.sqrt();
                for i in 0..theta.len() {
                    self.a[i] = b1 * self.a[i] + (1.0 - b1) * g[i];
                    self.b[i] = b2 * self.b[i] + (1.0 - b2) * g[i] * g[i];
                    let v = if o.amsgrad {
                        self.c[i] = self.c[i].max(self.b[i]);
                        self.c[i]
                    } else {
                        self.b[i]
                    };
                    // torch: denom = sqrt(v)/sqrt(bc2) + eps; θ -= (lr/bc1)·m/denom.
                    let denom = v.sqrt() / bc2_sqrt + o.eps;
                    theta[i] -= step_size * self.a[i] / denom;
                }
            }
            OptimizerConfig::Rmsprop(o) => {
                add_weight_decay(g, theta, o.weight_decay);
                for i in 0..theta.len() {
                    self.b[i] = o.alpha * self.b[i] + (1.0 - o.alpha) * g[i] * g[i];
                    let avg = if o.centered {
                        self.c[i] = o.alpha * self.c[i] + (1.0 - o.alpha) * g[i];
                        (self.b[i] - self.c[i] * self.c[i]).sqrt() + o.eps
                    } else {
                        self.b[i].sqrt() + o.eps
                    };
                    if o.momentum > 0.0 {
                        self.d[i] = o.momentum * self.d[i] + g[i] / avg;
                        theta[i] -= lr * self.d[i];
                    } else {
                        theta[i] -= lr * g[i] / avg;
                    }
                }
            }
            OptimizerConfig::Adagrad(o) => {
                add_weight_decay(g, theta, o.weight_decay);
                let clr = lr / (1.0 + (t - 1) as f64 * o.lr_decay);
                for i in 0..theta.len() {
                    self.a[i] += g[i] * g[i];
                    theta[i] -= clr * g[i] / (self.a[i].sqrt() + o.eps);
                }
            }
        }
    }
}

fn add_weight_decay(g: &mut [f64], theta: &[f64], wd: f64) {
    if wd != 0.0 {
        for (g, p) in g.iter_mut().zip(theta) {
            *g += wd * p;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn run(config: OptimizerConfig, theta: &mut [f64], grads: &[&[f64]]) {
        let mut s = OptimizerState::new(&config, theta.len());
        for g in grads {
            let mut g = g.to_vec();
            s.step(&config, config.lr(), theta, &mut g);
        }
    }

    #[test]
    fn one_sgd_step_moves_by_lr_times_g() {
        let mut p = [1.0, -2.0];
        run(OptimizerConfig::Sgd(Sgd { lr: 0.1, ..Sgd::default() }), &mut p, &[&[3.0, -4.0]]);
        assert_eq!(p, [1.0 - 0.1 * 3.0, -2.0 + 0.1 * 4.0]);
    }

    #[test]
    fn momentum_and_nesterov_by_hand() {
        // b1 = g1 = 1; b2 = 0.9·1 + 2 = 2.9; plain: θ = −0.1·1 − 0.1·2.9.
        let mut p = [0.0];
        run(OptimizerConfig::Sgd(Sgd { lr: 0.1, momentum: 0.9, ..Sgd::default() }), &mut p, &[&[1.0], &[2.0]]);
        assert_relative_eq!(p[0], -0.39, epsilon = 1e-15);
        // nesterov: step1 uses g + μb = 1.9; step2 uses 2 + 0.9·2.9 = 4.61.
        let mut p = [0.0];
        run(OptimizerConfig::Sgd(Sgd { lr: 0.1, momentum: 0.9, nesterov: true, ..Sgd::default() }), &mut p, &[&[1.0], &[2.0]]);
        assert_relative_eq!(p[0], -0.1 * 1.9 - 0.1 * 4.61, epsilon = 1e-15);
    }

    #[test]
    fn first_adam_step_is_lr_times_sign() {
        let mut p = [1.0, 1.0];
        run(OptimizerConfig::Adam(Adam { lr: 0.01, ..Adam::default() }), &mut p, &[&[0.5, -3.0]]);
        assert_relative_eq!(p[0], 1.0 - 0.01 * 0.5 / (0.5 + 1e-8), epsilon = 1e-15);
        assert_relative_eq!(p[1], 1.0 + 0.01 * 3.0 / (3.0 + 1e-8), epsilon = 1e-15);
    }

    #[test]
    fn adamw_decays_before_the_step() {
        let mut a = [2.0];
        run(OptimizerConfig::Adamw(Adam { lr: 0.1, ..Adam::default() }), &mut a, &[&[0.0]]);
        assert_relative_eq!(a[0], 2.0 * (1.0 - 0.1 * 0.01), epsilon = 1e-15);
    }

    #[test]
    fn rmsprop_and_adagrad_first_steps() {
        let mut p = [0.0];
        run(OptimizerConfig::Rmsprop(Rmsprop { lr: 0.01, ..Rmsprop::default() }), &mut p, &[&[2.0]]);
        assert_relative_eq!(p[0], -0.01 * 2.0 / ((0.01f64 * 4.0).sqrt() + 1e-8), epsilon = 1e-15);
        let mut p = [0.0];
        run(OptimizerConfig::Adagrad(Adagrad { lr: 0.5, lr_decay: 1.0, ..Adagrad::default() }), &mut p, &[&[2.0], &[2.0]]);
        assert_relative_eq!(p[0], -0.5 * 2.0 / (2.0 + 1e-10) - 0.25 * 2.0 / (8f64.sqrt() + 1e-10), epsilon = 1e-15);
    }

    #[test]
    fn torch_refusals() {
        let e = OptimizerConfig::Sgd(Sgd { nesterov: true, ..Sgd::default() }).validate().unwrap_err();
        assert!(e.to_string().starts_with("optimizer.sgd.nesterov"), "{e}");
        let e = OptimizerConfig::Adam(Adam { lr: -0.1, ..Adam::default() }).validate().unwrap_err();
        assert_eq!(e.to_string(), "optimizer.adam.lr: must be a finite number ≥ 0, got -0.1");
    }

    #[test]
    fn schedules_follow_torch() {
        let s = Schedule::Step { step_size: 3, gamma: 0.5 };
        assert_eq!([0, 2, 3, 6].map(|e| s.lr_at(1.0, e)), [1.0, 1.0, 0.5, 0.25]);
        let c = Schedule::Cosine { t_max: 10, eta_min: 0.0 };
        assert_relative_eq!(c.lr_at(1.0, 5), 0.5, epsilon = 1e-15);
        assert_relative_eq!(c.lr_at(1.0, 10), 0.0, epsilon = 1e-15);
    }
}
