//! Dual numbers a + b·ε (ε² = 0): forward-mode differentiation of a typed function's symbolic
//! gradient, for exact Hessian-vector products.
//!
//! Evaluating the partial derivative ∂ᵢf at θ + ε·v gives ∂ᵢf(θ) + ε·(Hv)ᵢ, because the ε part
//! of any expression is its directional derivative along v. So H·v costs one evaluation of the
//! gradient in dual arithmetic, exactly up to rounding, and no second symbolic derivative is ever
//! built (exmex's derivatives grow much faster than the expression; a second one per pair of
//! variables could take minutes to build where the first takes milliseconds).
//!
//! [`DualOps`] has the same names, priorities and constants as [`super::function::Ops`], so any
//! expression that parses there parses here; real parts use [`super::elementary`] as there.

use std::str::FromStr;

use exmex::{BinOp, MakeOperators, Operator};

use super::elementary as el;

/// `re + eps·ε`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Dual {
    /// The value.
    pub re: f64,
    /// The derivative along the seed direction.
    pub eps: f64,
}

impl Dual {
    /// A constant: no derivative.
    pub const fn constant(re: f64) -> Self {
        Self { re, eps: 0.0 }
    }

    /// `f(self)` whose derivative is `df` (the derivative of `f` at `self.re`).
    fn chain(self, f: f64, df: f64) -> Self {
        Self { re: f, eps: df * self.eps }
    }
}

impl From<f32> for Dual {
    fn from(x: f32) -> Self {
        Self::constant(f64::from(x))
    }
}

impl From<u8> for Dual {
    fn from(x: u8) -> Self {
        Self::constant(f64::from(x))
    }
}

impl FromStr for Dual {
    type Err = std::num::ParseFloatError;

    /// A literal of the expression: a constant.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self::constant)
    }
}

fn add(a: Dual, b: Dual) -> Dual {
    Dual { re: a.re + b.re, eps: a.eps + b.eps }
}

fn sub(a: Dual, b: Dual) -> Dual {
    Dual { re: a.re - b.re, eps: a.eps - b.eps }
}

fn mul(a: Dual, b: Dual) -> Dual {
    Dual { re: a.re * b.re, eps: a.eps * b.re + a.re * b.eps }
}

fn div(a: Dual, b: Dual) -> Dual {
    let re = a.re / b.re;
    Dual { re, eps: (a.eps - re * b.eps) / b.re }
}

fn neg(a: Dual) -> Dual {
    Dual { re: -a.re, eps: -a.eps }
}

/// aᵇ. A constant exponent takes the power rule, which also holds for a ≤ 0 (x² at x = −1);
/// a varying one adds aᵇ·ln(a)·b′, defined for a > 0 only, as the function itself is.
fn pow(a: Dual, b: Dual) -> Dual {
    let re = el::pow(a.re, b.re);
    let base = if a.eps == 0.0 { 0.0 } else { b.re * el::pow(a.re, b.re - 1.0) * a.eps };
    let exponent = if b.eps == 0.0 { 0.0 } else { re * el::ln(a.re) * b.eps };
    Dual { re, eps: base + exponent }
}

fn atan2(y: Dual, x: Dual) -> Dual {
    Dual { re: el::atan2(y.re, x.re), eps: (x.re * y.eps - y.re * x.eps) / (x.re * x.re + y.re * y.re) }
}

/// The operand `f64::min` picks (the other one when one is NaN), with its derivative.
fn min(a: Dual, b: Dual) -> Dual {
    if a.re.min(b.re) == a.re { a } else { b }
}

fn max(a: Dual, b: Dual) -> Dual {
    if a.re.max(b.re) == a.re { a } else { b }
}

fn abs(a: Dual) -> Dual {
    if a.re < 0.0 { neg(a) } else { a }
}

fn sin(a: Dual) -> Dual {
    a.chain(el::sin(a.re), el::cos(a.re))
}

fn cos(a: Dual) -> Dual {
    a.chain(el::cos(a.re), -el::sin(a.re))
}

fn tan(a: Dual) -> Dual {
    let t = el::tan(a.re);
    a.chain(t, 1.0 + t * t)
}

fn asin(a: Dual) -> Dual {
    a.chain(el::asin(a.re), 1.0 / (1.0 - a.re * a.re).sqrt())
}

fn acos(a: Dual) -> Dual {
    a.chain(el::acos(a.re), -1.0 / (1.0 - a.re * a.re).sqrt())
}

fn atan(a: Dual) -> Dual {
    a.chain(el::atan(a.re), 1.0 / (1.0 + a.re * a.re))
}

fn sinh(a: Dual) -> Dual {
    a.chain(el::sinh(a.re), el::cosh(a.re))
}

fn cosh(a: Dual) -> Dual {
    a.chain(el::cosh(a.re), el::sinh(a.re))
}

fn tanh(a: Dual) -> Dual {
    let t = el::tanh(a.re);
    a.chain(t, 1.0 - t * t)
}

fn asinh(a: Dual) -> Dual {
    a.chain(el::asinh(a.re), 1.0 / (a.re * a.re + 1.0).sqrt())
}

fn acosh(a: Dual) -> Dual {
    a.chain(el::acosh(a.re), 1.0 / (a.re * a.re - 1.0).sqrt())
}

fn atanh(a: Dual) -> Dual {
    a.chain(el::atanh(a.re), 1.0 / (1.0 - a.re * a.re))
}

fn exp(a: Dual) -> Dual {
    let e = el::exp(a.re);
    a.chain(e, e)
}

fn sqrt(a: Dual) -> Dual {
    let s = a.re.sqrt();
    a.chain(s, 0.5 / s)
}

fn cbrt(a: Dual) -> Dual {
    let c = el::cbrt(a.re);
    a.chain(c, 1.0 / (3.0 * c * c))
}

fn ln(a: Dual) -> Dual {
    a.chain(el::ln(a.re), 1.0 / a.re)
}

fn log2(a: Dual) -> Dual {
    a.chain(el::log2(a.re), 1.0 / (a.re * std::f64::consts::LN_2))
}

fn log10(a: Dual) -> Dual {
    a.chain(el::log10(a.re), 1.0 / (a.re * std::f64::consts::LN_10))
}

/// [`super::function::Ops`] over dual numbers: the same names, priorities and constants.
#[derive(Clone, Debug)]
pub struct DualOps;

impl MakeOperators<Dual> for DualOps {
    fn make<'a>() -> Vec<Operator<'a, Dual>> {
        let bin = |apply: fn(Dual, Dual) -> Dual, prio, is_commutative| BinOp { apply, prio, is_commutative };
        let constant = |x: f64| Dual::constant(x);
        vec![
            Operator::make_bin("^", bin(pow, 4, false)),
            Operator::make_bin("*", bin(mul, 2, true)),
            Operator::make_bin("/", bin(div, 3, false)),
            Operator::make_bin_unary("+", bin(add, 0, true), |a| a),
            Operator::make_bin_unary("-", bin(sub, 1, false), neg),
            Operator::make_bin("atan2", bin(atan2, 0, false)),
            Operator::make_bin("min", bin(min, 0, false)),
            Operator::make_bin("max", bin(max, 0, false)),
            Operator::make_unary("abs", abs),
            // Piecewise constant: derivative 0 wherever there is one.
            Operator::make_unary("signum", |a| Dual::constant(a.re.signum())),
            Operator::make_unary("sin", sin),
            Operator::make_unary("cos", cos),
            Operator::make_unary("tan", tan),
            Operator::make_unary("asin", asin),
            Operator::make_unary("acos", acos),
            Operator::make_unary("atan", atan),
            Operator::make_unary("sinh", sinh),
            Operator::make_unary("cosh", cosh),
            Operator::make_unary("tanh", tanh),
            Operator::make_unary("asinh", asinh),
            Operator::make_unary("acosh", acosh),
            Operator::make_unary("atanh", atanh),
            Operator::make_unary("floor", |a| Dual::constant(a.re.floor())),
            Operator::make_unary("round", |a| Dual::constant(a.re.round())),
            Operator::make_unary("ceil", |a| Dual::constant(a.re.ceil())),
            Operator::make_unary("trunc", |a| Dual::constant(a.re.trunc())),
            Operator::make_unary("fract", |a| Dual { re: a.re.fract(), eps: a.eps }),
            Operator::make_unary("exp", exp),
            Operator::make_unary("sqrt", sqrt),
            Operator::make_unary("cbrt", cbrt),
            Operator::make_unary("ln", ln),
            Operator::make_unary("log2", log2),
            Operator::make_unary("log10", log10),
            Operator::make_unary("log", ln),
            Operator::make_constant("PI", constant(std::f64::consts::PI)),
            Operator::make_constant("π", constant(std::f64::consts::PI)),
            Operator::make_constant("E", constant(std::f64::consts::E)),
            Operator::make_constant("e", constant(std::f64::consts::E)),
            Operator::make_constant("TAU", constant(std::f64::consts::TAU)),
            Operator::make_constant("τ", constant(std::f64::consts::TAU)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operator's ε part against a central difference of its real part.
    #[test]
    fn every_operator_differentiates_like_a_central_difference() {
        let ops = DualOps::make();
        let h = 1e-6;
        for op in &ops {
            for &x in &[0.3, 0.7, 1.9] {
                let check = |f: &dyn Fn(Dual) -> Dual| {
                    let d = f(Dual { re: x, eps: 1.0 });
                    let numeric = (f(Dual::constant(x + h)).re - f(Dual::constant(x - h)).re) / (2.0 * h);
                    if !numeric.is_finite() {
                        return; // outside the domain (asin of 1.9)
                    }
                    let tol = 1e-6 * numeric.abs().max(1.0);
                    // floor/round/… jump between the two points only at integers; none is sampled.
                    assert!((d.eps - numeric).abs() < tol, "{} at {x}: ε part {} vs {}", op.repr(), d.eps, numeric);
                };
                if op.has_unary() {
                    let Ok(u) = op.unary() else { continue };
                    if op.repr() == "acosh" {
                        check(&|a| u(add(a, Dual::constant(1.5))));
                    } else {
                        check(&|a| u(a));
                    }
                }
                if op.has_bin() {
                    let Ok(b) = op.bin() else { continue };
                    let other = Dual::constant(1.3);
                    check(&|a| (b.apply)(a, other));
                    check(&|a| (b.apply)(other, a));
                }
            }
        }
    }

    /// The two tables list the same operators with the same priorities and constants, so an
    /// expression parses the same over f64 and over dual numbers.
    #[test]
    fn the_dual_table_is_the_f64_table() {
        let f64_table: Vec<_> = <super::super::function::Ops as MakeOperators<f64>>::make()
            .iter()
            .map(|o| (o.repr(), o.has_bin(), o.has_unary(), o.bin().ok().map(|b| (b.prio, b.is_commutative)), o.constant()))
            .collect();
        let dual_table: Vec<_> = DualOps::make()
            .iter()
            .map(|o| (o.repr(), o.has_bin(), o.has_unary(), o.bin().ok().map(|b| (b.prio, b.is_commutative)), o.constant().map(|c| c.re)))
            .collect();
        assert_eq!(f64_table, dual_table);
    }

    #[test]
    fn a_constant_power_of_a_negative_base_has_its_derivative() {
        let d = pow(Dual { re: -1.5, eps: 1.0 }, Dual::constant(2.0));
        assert_eq!(d, Dual { re: 2.25, eps: -3.0 });
    }
}
