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
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use super::dual::{Dual, DualOps};
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

/// The same expression over dual numbers, for Hessian-vector products.
type DualExpr = FlatEx<Dual, DualOps>;

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
    /// The partials over dual numbers, built on the first [`Function::hvp`] (only the Hessian
    /// directions ask for one); `None` if they could not be built.
    dual_partials: OnceLock<Option<Vec<DualExpr>>>,
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
        on_parse_stack(|| Self::parse_here(text)).unwrap_or_else(|| Err(CoreError::Expression(format!("cannot differentiate {text:?}"))))
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
        Ok(Self { expr, partials, dual_partials: OnceLock::new(), vars, text: text.to_string() })
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

impl Function {
    /// $H v$, exact up to rounding: the symbolic gradient evaluated in dual numbers at
    /// θ + ε·v, whose ε parts are the directional derivatives of ∇f along v ([`super::dual`]).
    /// NaN where f is not twice differentiable along v or undefined.
    pub fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64]) {
        let Some(partials) = self.dual_partials.get_or_init(|| on_parse_stack(|| self.dual_partials_here()).flatten()) else {
            out.fill(f64::NAN);
            return;
        };
        let at: Vec<Dual> = theta.iter().zip(v).map(|(&re, &eps)| Dual { re, eps }).collect();
        for (o, p) in out.iter_mut().zip(partials) {
            *o = p.eval_relaxed(&at).map_or(f64::NAN, |d| d.eps);
        }
    }

    /// The expression parsed over dual numbers and differentiated once per variable, as
    /// [`Function::parse`] does over f64 (so it costs what parsing did).
    fn dual_partials_here(&self) -> Option<Vec<DualExpr>> {
        let expr = DualExpr::parse(&self.text).ok()?;
        if expr.var_names() != self.vars.as_slice() {
            return None;
        }
        (0..self.vars.len()).map(|i| expr.clone().partial(i).ok()).collect()
    }
}

/// Runs `work` on a thread of its own with a known stack: exmex parses and differentiates by
/// recursion as deep as the expression, and must not overflow a small stack (a test's, a task
/// pool's) whatever thread asks. Runs it here where threads cannot be made (the web page);
/// `None` if it panicked.
fn on_parse_stack<R: Send>(work: impl FnOnce() -> R + Send) -> Option<R> {
    let work = Mutex::new(Some(work));
    let run = || work.lock().ok()?.take().map(|w| w());
    std::thread::scope(|scope| {
        match std::thread::Builder::new().name("losscape-expr".into()).stack_size(PARSE_STACK).spawn_scoped(scope, run) {
            Ok(handle) => handle.join().ok().flatten(),
            Err(_) => run(),
        }
    })
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
            // The Hessian's dual partials cost what the partials did, on the same stack.
            f.hvp(&vec![0.7; g.len()], &vec![1.0; g.len()], &mut g);
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

    /// H·v by central differences of the exact gradient: the test's reference only.
    fn hvp_by_differences(f: &Function, theta: &[f64], v: &[f64]) -> Vec<f64> {
        let h = 1e-5;
        let grad_at = |sign: f64| {
            let at: Vec<f64> = theta.iter().zip(v).map(|(t, x)| t + sign * h * x).collect();
            let mut g = vec![0.0; theta.len()];
            f.value_and_grad(&at, &mut g);
            g
        };
        grad_at(1.0).iter().zip(grad_at(-1.0)).map(|(p, m)| (p - m) / (2.0 * h)).collect()
    }

    #[test]
    fn hessian_vector_products_are_exact_for_a_quadratic() {
        // H = [[6, 2], [2, 0]] everywhere.
        let f = Function::parse("3*x^2 + 2*x*y - 5*y + 1").unwrap();
        let mut hv = [0.0; 2];
        f.hvp(&[0.4, -7.0], &[1.0, 0.0], &mut hv);
        assert_eq!(hv, [6.0, 2.0]);
        f.hvp(&[123.0, 4.5], &[0.5, -3.0], &mut hv);
        assert_eq!(hv, [-3.0, 1.0]);
    }

    #[test]
    fn hessian_vector_products_match_differences_of_the_exact_gradient() {
        let cases: [(&str, &[f64]); 8] = [
            ("sin(x)*exp(y) + x^y", &[0.7, 1.3]),
            ("ln(x^2 + y^2) - atan(y / x)", &[0.9, -0.4]),
            ("sqrt(1 + x^2*y) / (1 + z^2)", &[0.5, 2.0, -0.3]),
            ("tanh(x*y - z) + sinh(x + 2) * cosh(y) - cos(z)^2", &[0.2, -0.6, 0.1]),
            ("asin(x/2) + acos(y/3) + atan(x*y) + asinh(x) + acosh(2 + y^2) + atanh(y/2)", &[0.6, 0.5]),
            ("log2(x) * log10(y) + 2^x + x^3*y^2", &[1.7, 2.4]),
            ("sqrt(x*y) * tan(x - y) + exp(-x^2 - y^2)", &[0.8, 0.3]),
            ("(x - 1)^2 + 100*(y - x^2)^2", &[-1.2, 1.0]),
        ];
        for (text, theta) in cases {
            let f = Function::parse(text).unwrap();
            for k in 0..theta.len() + 1 {
                // Each axis, then a mixed direction.
                let v: Vec<f64> = (0..theta.len()).map(|i| if k == theta.len() { 0.3 + i as f64 } else { f64::from(i == k) }).collect();
                let mut exact = vec![0.0; theta.len()];
                f.hvp(theta, &v, &mut exact);
                let reference = hvp_by_differences(&f, theta, &v);
                for (e, r) in exact.iter().zip(&reference) {
                    assert!((e - r).abs() <= 1e-6 * r.abs().max(1.0), "{text}: H·{v:?} = {exact:?}, differences give {reference:?}");
                }
            }
        }
    }
}
