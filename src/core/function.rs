//! Typed functions of one or more variables (`3*x^2 + 2*y`) with exact partial derivatives,
//! so the classroom's f(x) = x² runs through the same pipeline as a network.
//!
//! Parsing and symbolic differentiation are exmex's; variables are ordered alphabetically
//! (x before y), which is the order of `start` and of θ.
//!
//! exmex evaluates through an operator table, and ours ([`Ops`]) is exmex's default one with
//! the functions of [`super::elementary`] in place of std's, so a typed expression gives the
//! same bits on every platform as the rest of the core.

use exmex::{BinOp, Differentiate, Express, FlatEx, MakeOperators, Operator};
use serde::{Deserialize, Serialize};

use super::elementary as el;
use super::error::CoreError;

/// exmex's default operators (`FloatOpsFactory`: the same names, priorities and constants, so
/// every expression parses and differentiates as before), evaluated with [`super::elementary`]
/// instead of the platform's math library. exmex's derivative rules build their result from
/// this table too (`sin` → `cos`, `^` → `ln`, …).
#[derive(Clone, Debug)]
pub struct Ops;

impl MakeOperators<f64> for Ops {
    fn make<'a>() -> Vec<Operator<'a, f64>> {
        let bin = |apply: fn(f64, f64) -> f64, prio, is_commutative| BinOp { apply, prio, is_commutative };
        vec![
            Operator::make_bin("^", bin(el::pow, 4, false)),
            Operator::make_bin("*", bin(|a, b| a * b, 2, true)),
            Operator::make_bin("/", bin(|a, b| a / b, 3, false)),
            Operator::make_bin_unary("+", bin(|a, b| a + b, 0, true), |a| a),
            Operator::make_bin_unary("-", bin(|a, b| a - b, 1, false), |a| -a),
            Operator::make_bin("atan2", bin(el::atan2, 0, false)),
            Operator::make_bin("min", bin(f64::min, 0, false)),
            Operator::make_bin("max", bin(f64::max, 0, false)),
            Operator::make_unary("abs", f64::abs),
            Operator::make_unary("signum", f64::signum),
            Operator::make_unary("sin", el::sin),
            Operator::make_unary("cos", el::cos),
            Operator::make_unary("tan", el::tan),
            Operator::make_unary("asin", el::asin),
            Operator::make_unary("acos", el::acos),
            Operator::make_unary("atan", el::atan),
            Operator::make_unary("sinh", el::sinh),
            Operator::make_unary("cosh", el::cosh),
            Operator::make_unary("tanh", el::tanh),
            Operator::make_unary("asinh", el::asinh),
            Operator::make_unary("acosh", el::acosh),
            Operator::make_unary("atanh", el::atanh),
            Operator::make_unary("floor", f64::floor),
            Operator::make_unary("round", f64::round),
            Operator::make_unary("ceil", f64::ceil),
            Operator::make_unary("trunc", f64::trunc),
            Operator::make_unary("fract", f64::fract),
            Operator::make_unary("exp", el::exp),
            Operator::make_unary("sqrt", f64::sqrt),
            Operator::make_unary("cbrt", el::cbrt),
            Operator::make_unary("ln", el::ln),
            Operator::make_unary("log2", el::log2),
            Operator::make_unary("log10", el::log10),
            Operator::make_unary("log", el::ln),
            Operator::make_constant("PI", std::f64::consts::PI),
            Operator::make_constant("π", std::f64::consts::PI),
            Operator::make_constant("E", std::f64::consts::E),
            Operator::make_constant("e", std::f64::consts::E),
            Operator::make_constant("TAU", std::f64::consts::TAU),
            Operator::make_constant("τ", std::f64::consts::TAU),
        ]
    }
}

/// A parsed expression evaluated with [`Ops`].
type Expr = FlatEx<f64, Ops>;

/// The longest expression accepted, in bytes.
pub const MAX_EXPR_LEN: usize = 4096;

/// The most operations (operators and function calls) an expression may have. exmex's symbolic
/// derivative grows and slows down much faster than the expression: a tower `x^x^…^x` of 40
/// powers or a product of 80 `sin(x)` took from half a second to minutes per partial
/// derivative, or overflowed the stack (found by fuzzing), freezing or killing the app. Classroom
/// expressions have under 20.
pub const MAX_OPERATIONS: usize = 32;

/// The deepest nesting of parentheses accepted.
pub const MAX_DEPTH: i64 = 64;

/// Stack of the thread that parses and differentiates (reserved, touched only as deep as used).
const PARSE_STACK: usize = 64 << 20;

/// The most variables an expression may have: one symbolic derivative is built per variable.
pub const MAX_VARS: usize = 8;

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
    expr: Expr,
    partials: Vec<Expr>,
    vars: Vec<String>,
    text: String,
}

impl Function {
    /// Parses `text` and differentiates it once per variable.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        if text.len() > MAX_EXPR_LEN {
            return Err(CoreError::Expression(format!("is {} bytes long, more than {MAX_EXPR_LEN}", text.len())));
        }
        let depth = text
            .chars()
            .scan(0i64, |d, c| {
                *d += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                Some(*d)
            })
            .max()
            .unwrap_or(0);
        if depth > MAX_DEPTH {
            return Err(CoreError::Expression(format!("nests parentheses {depth} deep, more than {MAX_DEPTH}")));
        }
        // exmex parses and differentiates by recursion as deep as the expression: on a thread of
        // its own with a known stack, so that it cannot overflow a small one (a test's, a task
        // pool's) whatever thread asks.
        let owned = text.to_string();
        let worker =
            std::thread::Builder::new().name("losscape-expr".into()).stack_size(PARSE_STACK).spawn(move || Self::parse_here(&owned));
        match worker {
            Ok(handle) => handle.join().unwrap_or_else(|_| Err(CoreError::Expression(format!("cannot differentiate {text:?}")))),
            Err(_) => Self::parse_here(text),
        }
    }

    fn parse_here(text: &str) -> Result<Self, CoreError> {
        let expr = Expr::parse(text).map_err(|e| CoreError::Expression(format!("cannot parse {text:?}: {e}")))?;
        let vars: Vec<String> = expr.var_names().to_vec();
        if vars.is_empty() {
            return Err(CoreError::Expression(format!("{text:?} has no variable; write it in terms of x (and y, …)")));
        }
        if vars.len() > MAX_VARS {
            return Err(CoreError::Expression(format!("has {} variables, more than {MAX_VARS}", vars.len())));
        }
        let ops = operations(text, &vars);
        if ops > MAX_OPERATIONS {
            return Err(CoreError::Expression(format!(
                "has {ops} operations, more than the {MAX_OPERATIONS} whose derivatives stay quick to build; split or simplify it"
            )));
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

/// Relative step of [`Function::hvp`]'s central differences (≈ ∛ε_mach).
pub const HVP_STEP: f64 = 6e-6;

impl Function {
    /// $H v$ by central differences of the exact symbolic gradient:
    /// $$H v \approx \frac{\nabla f(\theta + h v) - \nabla f(\theta - h v)}{2h}, \quad
    /// h = \text{HVP\_STEP}\cdot\max(1, \lVert\theta\rVert_\infty) / \lVert v\rVert.$$
    ///
    /// Why not symbolic second derivatives: exmex's derivative grows much faster than the
    /// expression ([`MAX_OPERATIONS`] bounds the first one's cost only), and up to
    /// [`MAX_VARS`]² second partials would be built at parse time for a view few scenes use. The
    /// error is $O(h^2 \lVert\nabla^3 f\rVert)$ from truncation plus
    /// $O(\varepsilon_{mach} \lVert\nabla f\rVert / h)$ from rounding — about 1e-10 relative
    /// for smooth functions of unit scale, and exact up to rounding for quadratics.
    pub fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        let vn = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if vn == 0.0 {
            out.iter_mut().for_each(|o| *o = 0.0);
            return;
        }
        let h = HVP_STEP * theta.iter().fold(1.0f64, |m, t| m.max(t.abs())) / vn;
        let shifted = |sign: f64| -> Vec<f64> { theta.iter().zip(v).map(|(&t, &x)| t + sign * h * x).collect() };
        let mut minus = vec![0.0; theta.len()];
        self.value_and_grad(&shifted(1.0), out);
        self.value_and_grad(&shifted(-1.0), &mut minus);
        for (o, m) in out.iter_mut().zip(&minus) {
            *o = (*o - m) / (2.0 * h);
        }
    }
}

/// Operators and function calls in `text`: each of `+ - * / ^` and each name that is not a
/// variable (a function such as `sin`, or a constant such as `PI`, counted generously).
fn operations(text: &str, vars: &[String]) -> usize {
    let mut count = 0;
    let mut name = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() || c == '_' || (!name.is_empty() && c == '.') {
            name.push(c);
            continue;
        }
        let is_name = name.chars().next().is_some_and(|f| f.is_alphabetic() || f == '_');
        if is_name && !vars.contains(&name) {
            count += 1;
        }
        name.clear();
        if matches!(c, '+' | '-' | '*' | '/' | '^') {
            count += 1;
        }
    }
    count
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
    fn typed_expressions_use_the_portable_functions() {
        // std's sin, exp and powf (glibc here) differ from these in the last bit for some of
        // the points: the expression must give the core's bits, not the platform's.
        let f = Function::parse("sin(x)*exp(y) + x^y").unwrap();
        let mut g = [0.0; 2];
        for i in 0..2000 {
            let (x, y) = (0.37 + i as f64 * 0.013, -2.0 + i as f64 * 0.0021);
            let value = f.value_and_grad(&[x, y], &mut g);
            assert_eq!(value.to_bits(), (el::sin(x) * el::exp(y) + el::pow(x, y)).to_bits(), "f({x}, {y})");
            let dx = el::cos(x) * el::exp(y) + y * el::pow(x, y - 1.0);
            assert!((g[0] - dx).abs() <= 4.0 * f64::EPSILON * dx.abs(), "∂f/∂x({x}, {y}) = {} vs {dx}", g[0]);
        }
    }

    #[test]
    fn expressions_too_costly_to_differentiate_are_refused() {
        let tower = vec!["x"; 34].join("^");
        assert!(Function::parse(&tower).unwrap_err().to_string().contains("33 operations, more than the 32"));
        // The costliest shapes at the limit build, on a test thread's small stack, derivatives
        // of at most 12 kB of text each (10.3 kB for the tower of 33 powers): the work of
        // building and of each evaluation grows with that size, and the operation count is what
        // bounds it (no clock: a timed test fails on a busy machine and passes on a slow change).
        let nested = |f: &str, n: usize| format!("{}x{}", format!("{f}(").repeat(n), ")".repeat(n));
        let x_y = |op: &str, n: usize| (0..n).map(|i| ["x", "y"][i % 2]).collect::<Vec<_>>().join(op);
        for (i, e) in [
            vec!["x"; 33].join("^"),
            x_y("^", 33),
            vec!["sin(x)"; 16].join("*"),
            nested("sin", 32),
            nested("exp", 16) + &"*exp(x)".repeat(8),
            format!("({})^({})", x_y("/", 16), x_y("*", 15)),
            (0..7).map(|i| format!("v{i}")).collect::<Vec<_>>().join("^") + &"^x".repeat(25),
        ]
        .iter()
        .enumerate()
        {
            let f = Function::parse(e).unwrap();
            let built: Vec<usize> = f.partials.iter().map(|p| p.unparse().len()).collect();
            assert!(built.iter().all(|&len| len <= 12 << 10), "shape {i}: derivatives of {built:?} bytes");
            let mut g = vec![0.0; f.vars().len()];
            f.value_and_grad(&vec![0.7; g.len()], &mut g);
        }
        let many = (0..9).map(|i| format!("v{i}")).collect::<Vec<_>>().join("+");
        assert!(Function::parse(&many).unwrap_err().to_string().contains("9 variables"));
        let deep = format!("{}x{}", "(".repeat(65), ")".repeat(65));
        assert!(Function::parse(&deep).unwrap_err().to_string().contains("65 deep, more than 64"));
        assert!(Function::parse(&deep[1..deep.len() - 1]).is_ok());
        assert_eq!(operations("sin(x)*exp(-y) + PI", &["x".into(), "y".into()]), 6);
        assert_eq!(operations("x1^2.5e3", &["x1".into()]), 1);
    }

    #[test]
    fn bad_expressions_are_refused() {
        assert!(Function::parse("3*x^").is_err());
        assert!(Function::parse("2 + 3").unwrap_err().to_string().contains("no variable"));
    }
}
