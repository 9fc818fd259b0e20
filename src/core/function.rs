//! Typed functions of one or more variables (`3*x^2 + 2*y`) with exact partial derivatives,
//! so the classroom's f(x) = x² runs through the same pipeline as a network.
//!
//! Parsing and symbolic differentiation are exmex's; variables are ordered alphabetically
//! (x before y), which is the order of `start` and of θ.

use exmex::{Differentiate, Express, FlatEx};
use serde::{Deserialize, Serialize};

use super::error::CoreError;

/// The longest expression accepted, in bytes.
pub const MAX_EXPR_LEN: usize = 4096;

/// A function objective as written in a scene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionSpec {
    /// The expression: numbers, variables, `+ - * / ^`, parentheses, `sin cos tan exp ln
    /// sqrt abs tanh …`.
    pub expr: String,
    /// Starting point, one value per variable in alphabetical order.
    pub start: Vec<f64>,
}

/// A parsed function with its partial derivatives.
#[derive(Clone, Debug)]
pub struct Function {
    expr: FlatEx<f64>,
    partials: Vec<FlatEx<f64>>,
    vars: Vec<String>,
    text: String,
}

impl Function {
    /// Parses `text` and differentiates it once per variable.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        if text.len() > MAX_EXPR_LEN {
            return Err(CoreError::Expression(format!("is {} bytes long, more than {MAX_EXPR_LEN}", text.len())));
        }
        let expr = exmex::parse::<f64>(text).map_err(|e| CoreError::Expression(format!("cannot parse {text:?}: {e}")))?;
        let vars: Vec<String> = expr.var_names().to_vec();
        if vars.is_empty() {
            return Err(CoreError::Expression(format!("{text:?} has no variable; write it in terms of x (and y, …)")));
        }
        let partials = (0..vars.len())
            .map(|i| {
                expr.clone().partial(i).map_err(|e| CoreError::Expression(format!("cannot differentiate {text:?} by {}: {e}", vars[i])))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { expr, partials, vars, text: text.to_string() })
    }

    /// The variables in θ order.
    pub fn vars(&self) -> &[String] {
        &self.vars
    }

    /// The expression as typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// f(θ); NaN where the expression is undefined (ln of a negative number, …).
    pub fn value(&self, theta: &[f64]) -> f64 {
        self.expr.eval_relaxed(theta).unwrap_or(f64::NAN)
    }

    /// f(θ) and ∇f(θ) written into `grad`.
    pub fn value_and_grad(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        for (g, p) in grad.iter_mut().zip(&self.partials) {
            *g = p.eval_relaxed(theta).unwrap_or(f64::NAN);
        }
        self.value(theta)
    }
}

impl PartialEq for Function {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lesson_two_gradient_is_six_x_and_two() {
        let f = Function::parse("3*x^2 + 2*y").unwrap();
        assert_eq!(f.vars(), ["x", "y"]);
        let mut g = [0.0; 2];
        assert_eq!(f.value_and_grad(&[1.5, -4.0], &mut g), 3.0 * 2.25 - 8.0);
        assert_eq!(g, [9.0, 2.0]);
    }

    #[test]
    fn one_variable_and_functions() {
        let f = Function::parse("x^2").unwrap();
        let mut g = [0.0];
        assert_eq!(f.value_and_grad(&[10.0], &mut g), 100.0);
        assert_eq!(g, [20.0]);
        let f = Function::parse("sin(x)*exp(y)").unwrap();
        let mut g = [0.0; 2];
        f.value_and_grad(&[0.3, 0.2], &mut g);
        assert!((g[0] - 0.3f64.cos() * 0.2f64.exp()).abs() < 1e-15);
        assert!((g[1] - 0.3f64.sin() * 0.2f64.exp()).abs() < 1e-15);
    }

    #[test]
    fn bad_expressions_are_refused() {
        assert!(Function::parse("3*x^").is_err());
        assert!(Function::parse("2 + 3").unwrap_err().to_string().contains("no variable"));
    }
}
