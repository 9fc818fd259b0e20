//! Gradient clipping before the optimizer step: `torch.nn.utils.clip_grad_norm_` and
//! `clip_grad_value_`.

use serde::{Deserialize, Serialize};

use super::error::CoreError;

/// A clipping rule.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clip {
    /// Rescale g by max_norm/(‖g‖ + 1e-6) when that is below 1.
    Norm(f64),
    /// Clamp each component to [−v, v].
    Value(f64),
}

impl Clip {
    /// Refuses thresholds that are not > 0 and finite.
    pub fn validate(&self) -> Result<(), CoreError> {
        let (name, v) = match *self {
            Clip::Norm(v) => ("norm", v),
            Clip::Value(v) => ("value", v),
        };
        if v > 0.0 && v.is_finite() {
            Ok(())
        } else {
            Err(CoreError::invalid(format!("clip.{name}"), format!("must be a finite number > 0, got {v}")))
        }
    }

    /// Clips `grad` in place, given its 2-norm; returns whether it changed anything.
    pub fn apply(&self, grad: &mut [f64], norm: f64) -> bool {
        match *self {
            Clip::Norm(max) => {
                let coef = max / (norm + 1e-6);
                if coef < 1.0 {
                    grad.iter_mut().for_each(|g| *g *= coef);
                    true
                } else {
                    false
                }
            }
            Clip::Value(v) => {
                let mut fired = false;
                for g in grad.iter_mut() {
                    if g.abs() > v {
                        *g = g.clamp(-v, v);
                        fired = true;
                    }
                }
                fired
            }
        }
    }
}

/// The Euclidean norm.
pub fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn clipped_norm_is_at_most_the_threshold(g in proptest::collection::vec(-100.0f64..100.0, 1..20), c in 0.01f64..10.0) {
            let mut v = g.clone();
            let n = norm2(&v);
            let fired = Clip::Norm(c).apply(&mut v, n);
            prop_assert!(norm2(&v) <= c + 1e-9);
            prop_assert_eq!(fired, c / (n + 1e-6) < 1.0);
            if !fired { prop_assert_eq!(&v, &g); }
            let mut w = g.clone();
            Clip::Value(c).apply(&mut w, n);
            prop_assert!(w.iter().all(|x| x.abs() <= c));
        }
    }

    #[test]
    fn thresholds_must_be_positive() {
        assert_eq!(Clip::Norm(0.0).validate().unwrap_err().to_string(), "clip.norm: must be a finite number > 0, got 0");
        assert!(Clip::Value(f64::NAN).validate().is_err());
    }
}
