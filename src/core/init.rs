//! Initial parameters: given explicitly, or drawn from a seeded scheme (Xavier/Glorot,
//! He/Kaiming, torch's default uniform) so the same seed gives the same θ on every machine.

use serde::{Deserialize, Serialize};

use super::data::SeededRng;
use super::error::CoreError;
use super::network::Network;

/// How to set θ₀.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitSpec {
    /// θ₀ given in full, in PyTorch order.
    Params(Vec<f64>),
    /// θ₀ drawn from a scheme with a seed.
    Seeded(SeededInit),
}

impl Default for InitSpec {
    fn default() -> Self {
        InitSpec::Seeded(SeededInit { seed: 0, scheme: InitScheme::Xavier, scale: 1.0, bias: 0.0 })
    }
}

/// A seeded draw of θ₀.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeededInit {
    /// Seed of the ChaCha8 generator.
    #[serde(default)]
    pub seed: u64,
    /// Distribution of the weights.
    #[serde(default)]
    pub scheme: InitScheme,
    /// Multiplies every drawn weight (e.g. 4 to show exploding gradients); default 1.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub scale: f64,
    /// Constant every bias starts at (default 0; e.g. 0.01 keeps ReLU units off their kink).
    /// Ignored by `uniform`, which draws the biases.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub bias: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn one() -> f64 {
    1.0
}
fn is_one(v: &f64) -> bool {
    *v == 1.0
}

/// Weight distributions. Biases start at 0 and batch norm at γ = 1, β = 0, except `uniform`,
/// which draws biases too, as `torch.nn.Linear` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InitScheme {
    /// Glorot uniform: $U(-a, a)$, $a = \sqrt{6/(\text{fan\_in} + \text{fan\_out})}$.
    #[default]
    Xavier,
    /// Glorot normal: std $\sqrt{2/(\text{fan\_in} + \text{fan\_out})}$.
    XavierNormal,
    /// He (Kaiming) normal for ReLU: std $\sqrt{2/\text{fan\_in}}$.
    He,
    /// He uniform: $U(-a, a)$, $a = \sqrt{6/\text{fan\_in}}$.
    HeUniform,
    /// torch.nn.Linear's default: weights and biases $U(-1/\sqrt{\text{fan\_in}}, 1/\sqrt{\text{fan\_in}})$.
    Uniform,
}

impl InitScheme {
    /// Every scheme, in panel order.
    pub const ALL: [InitScheme; 5] =
        [InitScheme::Xavier, InitScheme::XavierNormal, InitScheme::He, InitScheme::HeUniform, InitScheme::Uniform];

    /// The name used in scene files.
    pub fn name(self) -> &'static str {
        match self {
            InitScheme::Xavier => "xavier",
            InitScheme::XavierNormal => "xavier_normal",
            InitScheme::He => "he",
            InitScheme::HeUniform => "he_uniform",
            InitScheme::Uniform => "uniform",
        }
    }
}

impl InitSpec {
    /// θ₀ for `net`.
    pub fn initial_params(&self, net: &Network) -> Result<Vec<f64>, CoreError> {
        match self {
            InitSpec::Params(p) => {
                if p.len() != net.param_count() {
                    return Err(CoreError::invalid(
                        "init.params",
                        format!("has {} values but the network has {} parameters", p.len(), net.param_count()),
                    ));
                }
                if let Some(i) = p.iter().position(|v| !v.is_finite()) {
                    return Err(CoreError::invalid(format!("init.params[{i}]"), format!("must be finite, got {}", p[i])));
                }
                Ok(p.clone())
            }
            InitSpec::Seeded(s) => {
                if !s.scale.is_finite() {
                    return Err(CoreError::invalid("init.seeded.scale", format!("must be finite, got {}", s.scale)));
                }
                if !s.bias.is_finite() {
                    return Err(CoreError::invalid("init.seeded.bias", format!("must be finite, got {}", s.bias)));
                }
                Ok(s.draw(net))
            }
        }
    }
}

impl SeededInit {
    fn draw(&self, net: &Network) -> Vec<f64> {
        let mut rng = SeededRng::new(self.seed);
        let mut theta = vec![0.0; net.param_count()];
        for l in net.layers() {
            let (fi, fo) = (l.fan_in as f64, l.units as f64);
            for w in &mut theta[l.weight_offset..l.bias_offset] {
                let v = match self.scheme {
                    InitScheme::Xavier => rng.uniform(-1.0, 1.0) * (6.0 / (fi + fo)).sqrt(),
                    InitScheme::XavierNormal => rng.normal() * (2.0 / (fi + fo)).sqrt(),
                    InitScheme::He => rng.normal() * (2.0 / fi).sqrt(),
                    InitScheme::HeUniform => rng.uniform(-1.0, 1.0) * (6.0 / fi).sqrt(),
                    InitScheme::Uniform => rng.uniform(-1.0, 1.0) / fi.sqrt(),
                };
                *w = v * self.scale;
            }
            for b in &mut theta[l.bias_offset..l.bn_offset] {
                *b = if self.scheme == InitScheme::Uniform { rng.uniform(-1.0, 1.0) / fi.sqrt() * self.scale } else { self.bias };
            }
            if l.batch_norm {
                theta[l.bn_offset..l.bn_offset + l.units].fill(1.0);
            }
        }
        theta
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Activation, LayerSpec, Loss};

    #[test]
    fn seeded_draws_are_reproducible_and_bounded() {
        let mut hidden = LayerSpec::new(8, Activation::Tanh);
        hidden.batch_norm = true;
        let net = Network::new(2, &[hidden, LayerSpec::new(1, Activation::Linear)], Loss::Mse, 1).unwrap();
        for scheme in InitScheme::ALL {
            let spec = InitSpec::Seeded(SeededInit { seed: 3, scheme, scale: 1.0, bias: 0.0 });
            let a = spec.initial_params(&net).unwrap();
            assert_eq!(a, spec.initial_params(&net).unwrap());
            assert!(a[..16].iter().all(|w| w.abs() < 5.0 && *w != 0.0), "{scheme:?}");
            assert_eq!(&a[24..32], &[1.0; 8], "batch norm γ starts at 1");
        }
        let bound = (6.0f64 / 10.0).sqrt();
        let x = InitSpec::default().initial_params(&net).unwrap();
        assert!(x[..16].iter().all(|w| w.abs() <= bound));
    }

    #[test]
    fn explicit_params_must_fit() {
        let net = Network::new(2, &[LayerSpec::new(3, Activation::Relu)], Loss::Mse, 3).unwrap();
        let e = InitSpec::Params(vec![0.0; 8]).initial_params(&net).unwrap_err();
        assert_eq!(e.to_string(), "init.params: has 8 values but the network has 9 parameters");
    }
}
