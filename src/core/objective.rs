//! The thing being minimised: a network on its data, or a typed function. Both give a loss and
//! its exact gradient for a flat θ, which is all the optimizers and the landscape need.

use serde::{Deserialize, Serialize};

use super::data::{Dataset, Feature, GeneratorSpec, SeededRng, Table, derive_features};
use super::error::CoreError;
use super::function::{Function, FunctionSpec};
use super::init::InitSpec;
use super::loss::Loss;
use super::network::{HvpWorkspace, LayerSpec, Network, Workspace};

/// The most values one forward/backward pass may keep (about 2 GB).
pub const MAX_BATCH_VALUES: usize = 250_000_000;

/// What to minimise, as written in a scene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectiveSpec {
    /// A dense network on a data set.
    Network(NetworkSpec),
    /// A typed function of its variables.
    Function(FunctionSpec),
}

/// A network objective as written in a scene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Input width (after derived features, if any).
    pub inputs: usize,
    /// The layers, the last one being the output.
    pub layers: Vec<LayerSpec>,
    /// The loss on the output.
    #[serde(default)]
    pub loss: Loss,
    /// The training data.
    pub data: DataSpec,
    /// θ₀.
    #[serde(default)]
    pub init: InitSpec,
    /// Derived inputs computed from 2-column data (TensorFlow Playground's x1², sin x1, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<Feature>>,
    /// An L1 or L2 penalty on the Linear weights, added to the loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty: Option<Penalty>,
    /// A held-out share of the data whose loss is reported at every step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<Holdout>,
    /// Mini-batch size; full batch when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// Seed of the mini-batch order (default 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub batch_seed: u64,
}

impl NetworkSpec {
    /// A network on `data` with the scene defaults: seeded Xavier init (seed 0), full batch, no
    /// derived features, penalty or held-out set.
    pub fn new(inputs: usize, layers: Vec<LayerSpec>, loss: Loss, data: DataSpec) -> Self {
        Self {
            inputs,
            layers,
            loss,
            data,
            init: InitSpec::default(),
            features: None,
            penalty: None,
            holdout: None,
            batch_size: None,
            batch_seed: 0,
        }
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Where the data comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSpec {
    /// Rows written in the scene.
    Inline(Table),
    /// A seeded synthetic set.
    Generator(GeneratorSpec),
    /// A CSV file with a header (read by the scene loader; the core does no IO).
    Csv(CsvSource),
}

/// A CSV data file: a path, or a path with chosen columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CsvSource {
    /// Every column but the last is an input; the last is the target.
    Path(String),
    /// Named input and target columns.
    Columns(CsvColumns),
}

/// A CSV file with named columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvColumns {
    /// Path, relative to the scene file.
    pub path: String,
    /// Input columns (default: all but the target columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<Vec<String>>,
    /// Target columns (default: the last column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<Vec<String>>,
}

impl CsvSource {
    /// The file's path as written.
    pub fn path(&self) -> &str {
        match self {
            CsvSource::Path(p) => p,
            CsvSource::Columns(c) => &c.path,
        }
    }
}

/// A penalty on the Linear weights (not biases, not batch norm).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Penalty {
    /// Adds λ·Σ|w|.
    L1(f64),
    /// Adds λ·Σw².
    L2(f64),
}

/// A held-out share of the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holdout {
    /// Fraction of the samples held out, in (0, 1).
    pub share: f64,
    /// Seed of the split (default 0).
    #[serde(default)]
    pub seed: u64,
}

/// A built objective.
// One per scene, shared behind an `Arc`: the variants' sizes cost nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Objective {
    /// A network on its data.
    Network(NetworkObjective),
    /// A typed function.
    Function(FunctionObjective),
}

/// A network with its training (and held-out) data.
#[derive(Clone, Debug)]
pub struct NetworkObjective {
    /// The architecture and loss.
    pub net: Network,
    /// Training data (after derived features).
    pub train: Dataset,
    /// Held-out data, if any.
    pub holdout: Option<Dataset>,
    /// Training data before derived features (for scatter plots), 2-D or 1-D inputs.
    pub raw: Dataset,
    /// Derived features, if any.
    pub features: Option<Vec<Feature>>,
    /// Weight penalty.
    pub penalty: Option<Penalty>,
    /// Mini-batch size (`None` = full batch).
    pub batch_size: Option<usize>,
    /// Mini-batch seed.
    pub batch_seed: u64,
    /// θ₀.
    pub start: Vec<f64>,
}

/// A typed function with its start.
#[derive(Clone, Debug)]
pub struct FunctionObjective {
    /// The function.
    pub function: Function,
    /// θ₀.
    pub start: Vec<f64>,
}

/// Reads a CSV data source (the scene loader's job; tests pass a closure).
pub type CsvLoader<'a> = &'a dyn Fn(&CsvSource) -> Result<Table, CoreError>;

impl ObjectiveSpec {
    /// Builds the objective, reading CSV data through `load_csv`.
    pub fn build(&self, load_csv: CsvLoader<'_>) -> Result<Objective, CoreError> {
        match self {
            ObjectiveSpec::Function(f) => {
                let function = Function::parse(&f.expr)?;
                if f.start.len() != function.vars().len() {
                    return Err(CoreError::invalid(
                        "objective.function.start",
                        format!(
                            "has {} values but {:?} has {} variables ({})",
                            f.start.len(),
                            f.expr,
                            function.vars().len(),
                            function.vars().join(", ")
                        ),
                    ));
                }
                if let Some(i) = f.start.iter().position(|v| !v.is_finite()) {
                    return Err(CoreError::invalid(format!("objective.function.start[{i}]"), "must be finite"));
                }
                Ok(Objective::Function(FunctionObjective { function, start: f.start.clone() }))
            }
            ObjectiveSpec::Network(n) => n.build(load_csv).map(Objective::Network).map_err(|e| e.within("objective.network")),
        }
    }
}

impl NetworkSpec {
    fn build(&self, load_csv: CsvLoader<'_>) -> Result<NetworkObjective, CoreError> {
        let out_units = self.layers.last().map_or(1, |l| l.units);
        let raw = match &self.data {
            DataSpec::Inline(t) => Dataset::from_table(t)?,
            DataSpec::Csv(c) => Dataset::from_table(&load_csv(c)?)?,
            DataSpec::Generator(g) => Dataset::from_table(&generated_table(g, self.loss, out_units)?)?,
        };
        let data = match &self.features {
            Some(f) => derive_features(&raw, f)?,
            None => raw.clone(),
        };
        if data.inputs != self.inputs {
            return Err(CoreError::invalid(
                "inputs",
                format!(
                    "is {} but the data has {} input columns{}",
                    self.inputs,
                    data.inputs,
                    if self.features.is_some() { " after derived features" } else { "" }
                ),
            ));
        }
        let net = Network::new(self.inputs, &self.layers, self.loss, data.outputs)?;
        // A batch keeps up to four values per unit and sample (linear, normalised, z, y):
        // refuse what would not fit in memory before anything is allocated.
        let units: usize = net.layers().iter().map(|l| l.units).sum();
        let values = (data.n as u128) * (units as u128) * 4;
        if values > MAX_BATCH_VALUES as u128 {
            return Err(CoreError::invalid(
                "layers",
                format!(
                    "{} samples × {units} units would need {} GB for one pass; use fewer samples or smaller layers",
                    data.n,
                    values * 8 / 1_000_000_000
                ),
            ));
        }
        if self.loss == Loss::CrossEntropy && data.outputs == 1 {
            let classes = net.outputs();
            if let Some(s) = (0..data.n).find(|&s| data.y[s] < 0.0 || data.y[s] >= classes as f64 || data.y[s].fract() != 0.0) {
                return Err(CoreError::invalid(
                    format!("data.y[{s}]"),
                    format!("must be a class index 0..{} for cross_entropy, got {}", classes - 1, data.y[s]),
                ));
            }
        }
        let (train, holdout) = match &self.holdout {
            Some(h) => {
                // `split` names its own field (`holdout.share`).
                let (t, v) = data.split(h.share, h.seed)?;
                (t, Some(v))
            }
            None => (data, None),
        };
        if let Some(b) = self.batch_size {
            if b == 0 {
                return Err(CoreError::invalid("batch_size", "must be ≥ 1 (remove it for full batch)"));
            }
            // Batches drop a short last batch (`drop_last=True`): a batch larger than the
            // training set would silently shrink to it, so say so instead.
            if b > train.n {
                return Err(CoreError::invalid(
                    "batch_size",
                    format!("is {b} but the training set has {} samples; use at most {0} (or full batch)", train.n),
                ));
            }
        }
        if let Some(p) = self.penalty {
            let (variant, l) = match p {
                Penalty::L1(l) => ("l1", l),
                Penalty::L2(l) => ("l2", l),
            };
            if !(l >= 0.0 && l.is_finite()) {
                return Err(CoreError::invalid(format!("penalty.{variant}"), format!("must be a finite number ≥ 0, got {l}")));
            }
        }
        let start = self.init.initial_params(&net)?;
        Ok(NetworkObjective {
            net,
            train,
            holdout,
            raw,
            features: self.features.clone(),
            penalty: self.penalty,
            batch_size: self.batch_size,
            batch_seed: self.batch_seed,
            start,
        })
    }
}

/// Draws a generator's samples with targets shaped for `loss`: class indices for
/// cross-entropy, 0/1 for log loss, ±1 (one-hot ±1 beyond two classes) for the others —
/// TensorFlow Playground's convention for a tanh output.
fn generated_table(g: &GeneratorSpec, loss: Loss, out_units: usize) -> Result<Table, CoreError> {
    let generated = g.generate()?;
    let y = generated
        .label
        .iter()
        .map(|&c| {
            if generated.classes == 0 || loss == Loss::CrossEntropy {
                return vec![c];
            }
            let (on, off) = if loss == Loss::LogLoss { (1.0, 0.0) } else { (1.0, -1.0) };
            if out_units > 1 {
                (0..out_units).map(|k| if k == c as usize { on } else { off }).collect()
            } else {
                vec![if c > 0.0 { on } else { off }]
            }
        })
        .collect();
    Ok(Table { x: generated.x, y })
}

impl Objective {
    /// Number of parameters.
    pub fn dim(&self) -> usize {
        match self {
            Objective::Network(n) => n.net.param_count(),
            Objective::Function(f) => f.function.vars().len(),
        }
    }

    /// θ₀.
    pub fn start(&self) -> &[f64] {
        match self {
            Objective::Network(n) => &n.start,
            Objective::Function(f) => &f.start,
        }
    }

    /// A readable name for θ\[i\] (`layer 2 weight[0][3]`, or the variable's name).
    pub fn param_name(&self, i: usize) -> String {
        match self {
            Objective::Network(n) => n.net.param_name(i),
            Objective::Function(f) => f.function.vars().get(i).cloned().unwrap_or_else(|| format!("p{i}")),
        }
    }

    /// A short name for θ\[i\] for axes: the variable, or `w`/`b` for a one-neuron model.
    pub fn axis_name(&self, i: usize) -> String {
        match self {
            Objective::Network(n) if n.net.param_count() == 2 && n.net.inputs() == 1 => ["w", "b"][i.min(1)].to_string(),
            Objective::Network(_) => format!("θ{i}"),
            Objective::Function(_) => self.param_name(i),
        }
    }

    /// The full-data training loss at θ (with the penalty).
    pub fn loss(&self, theta: &[f64], ws: &mut Workspace) -> f64 {
        match self {
            Objective::Network(n) => n.loss_on(theta, &n.train, ws, None),
            Objective::Function(f) => f.function.value(theta),
        }
    }

    /// The full-data training loss at θ and its gradient, written into `grad`.
    pub fn loss_and_grad(&self, theta: &[f64], grad: &mut [f64], ws: &mut Workspace) -> f64 {
        match self {
            Objective::Network(n) => n.loss_on(theta, &n.train, ws, Some(grad)),
            Objective::Function(f) => f.function.value_and_grad(theta, grad),
        }
    }

    /// $H v$, the Hessian of the full-data training loss ([`Objective::loss`]) at θ times `v`,
    /// written into `out`: what the Hessian directions' Lanczos iteration multiplies by.
    ///
    /// A network's is exact (Pearlmutter's R-operator, [`Network::hvp`]) plus the penalty's
    /// curvature: $2\lambda v$ on the weights for L2, none for L1 (piecewise linear). A typed
    /// function's is exact too: its symbolic gradient in dual numbers ([`Function::hvp`]).
    pub fn hvp(&self, theta: &[f64], v: &[f64], out: &mut [f64], ws: &mut HvpWorkspace) {
        match self {
            Objective::Network(n) => {
                n.net.hvp(theta, v, &n.train, ws, out);
                if let Some(Penalty::L2(l)) = n.penalty {
                    for r in n.net.weight_ranges() {
                        for i in r {
                            out[i] += 2.0 * l * v[i];
                        }
                    }
                }
            }
            Objective::Function(f) => f.function.hvp(theta, v, out),
        }
    }

    /// The held-out loss at θ, when the objective has a held-out set.
    pub fn holdout_loss(&self, theta: &[f64], ws: &mut Workspace) -> Option<f64> {
        match self {
            Objective::Network(NetworkObjective { holdout: Some(h), .. }) => {
                let Objective::Network(n) = self else { unreachable!() };
                Some(n.loss_on(theta, h, ws, None))
            }
            _ => None,
        }
    }

    /// The network, if this is a network objective.
    pub fn network(&self) -> Option<&NetworkObjective> {
        match self {
            Objective::Network(n) => Some(n),
            Objective::Function(_) => None,
        }
    }
}

impl NetworkObjective {
    /// Loss (with penalty) on `data` at θ; with `grad`, also its gradient.
    pub fn loss_on(&self, theta: &[f64], data: &Dataset, ws: &mut Workspace, grad: Option<&mut [f64]>) -> f64 {
        match grad {
            None => self.net.loss_and_grad(theta, data, ws, None) + self.penalty_value(theta),
            Some(g) => {
                let loss = self.net.loss_and_grad(theta, data, ws, Some(&mut *g));
                loss + self.add_penalty(theta, g)
            }
        }
    }

    fn penalty_value(&self, theta: &[f64]) -> f64 {
        penalty_value(&self.net, self.penalty, theta)
    }

    /// Adds the penalty's gradient to `grad`; returns the penalty.
    fn add_penalty(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let Some(p) = self.penalty else { return 0.0 };
        for r in self.net.weight_ranges() {
            for i in r {
                grad[i] += match p {
                    Penalty::L1(l) => {
                        l * if theta[i] > 0.0 {
                            1.0
                        } else if theta[i] < 0.0 {
                            -1.0
                        } else {
                            0.0
                        }
                    }
                    Penalty::L2(l) => 2.0 * l * theta[i],
                };
            }
        }
        self.penalty_value(theta)
    }

    /// The network's outputs at raw input points (before derived features), one row per point;
    /// what the decision heat-map draws.
    pub fn predict(&self, theta: &[f64], points: &[Vec<f64>], ws: &mut Workspace) -> Vec<Vec<f64>> {
        let table = Table { x: points.to_vec(), y: vec![vec![0.0]; points.len()] };
        let Ok(mut d) = Dataset::from_table(&table) else { return Vec::new() };
        if let Some(f) = &self.features {
            match derive_features(&d, f) {
                Ok(x) => d = x,
                Err(_) => return Vec::new(),
            }
        }
        self.net.forward(theta, &d.x, d.n, ws);
        let out = self.net.output(ws);
        (0..d.n).map(|s| (0..self.net.outputs()).map(|k| out[k * d.n + s]).collect()).collect()
    }
}

/// The weight penalty at θ: λ·Σ|w| or λ·Σw² over the Linear weights (0 without a penalty).
pub fn penalty_value(net: &Network, penalty: Option<Penalty>, theta: &[f64]) -> f64 {
    let Some(p) = penalty else { return 0.0 };
    let mut total = 0.0;
    for r in net.weight_ranges() {
        for &w in &theta[r] {
            total += match p {
                Penalty::L1(_) => w.abs(),
                Penalty::L2(_) => w * w,
            };
        }
    }
    match p {
        Penalty::L1(l) | Penalty::L2(l) => l * total,
    }
}

/// The order in which mini-batches visit the samples: a fresh seeded shuffle each epoch.
#[derive(Clone, Debug)]
pub struct BatchOrder {
    rng: SeededRng,
    order: Vec<usize>,
    next: usize,
    size: usize,
}

impl BatchOrder {
    /// Batches of `size` over `n` samples.
    pub fn new(n: usize, size: usize, seed: u64) -> Self {
        Self { rng: SeededRng::new(seed), order: (0..n).collect(), next: n, size: size.min(n).max(1) }
    }

    /// The next batch's sample indices (a short last batch is dropped, as with
    /// `drop_last=True`, so every step sees the same batch size).
    pub fn next_batch(&mut self) -> &[usize] {
        if self.next + self.size > self.order.len() {
            self.rng.shuffle(&mut self.order);
            self.next = 0;
        }
        let b = &self.order[self.next..self.next + self.size];
        self.next += self.size;
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Activation;

    fn no_csv(_: &CsvSource) -> Result<Table, CoreError> {
        Err(CoreError::invalid("data.csv", "no files in tests"))
    }

    #[test]
    fn generator_targets_follow_the_loss() {
        let spec = |loss, act, units| {
            NetworkSpec::new(
                2,
                vec![LayerSpec::new(units, act)],
                loss,
                DataSpec::Generator(GeneratorSpec::new(crate::core::GeneratorKind::Xor, 20, 0.0, 1)),
            )
        };
        let n = spec(Loss::Mse, Activation::Tanh, 1).build(&no_csv).unwrap();
        assert!(n.train.y.iter().all(|&v| v == 1.0 || v == -1.0));
        let n = spec(Loss::LogLoss, Activation::Sigmoid, 1).build(&no_csv).unwrap();
        assert!(n.train.y.iter().all(|&v| v == 1.0 || v == 0.0));
        let n = spec(Loss::CrossEntropy, Activation::Softmax, 2).build(&no_csv).unwrap();
        assert_eq!(n.train.outputs, 1);
    }

    #[test]
    fn penalty_gradient_matches_finite_differences() {
        let data = DataSpec::Inline(Table { x: vec![vec![0.5], vec![-1.0]], y: vec![vec![0.2], vec![0.7]] });
        let mut spec =
            NetworkSpec::new(1, vec![LayerSpec::new(2, Activation::Tanh), LayerSpec::new(1, Activation::Linear)], Loss::Mse, data);
        spec.init = InitSpec::Params(vec![0.3, -0.4, 0.1, 0.2, 0.5, -0.6, 0.05]);
        spec.penalty = Some(Penalty::L2(0.1));
        let obj = ObjectiveSpec::Network(spec).build(&no_csv).unwrap();
        let theta = obj.start().to_vec();
        let mut ws = Workspace::default();
        let mut g = vec![0.0; 7];
        obj.loss_and_grad(&theta, &mut g, &mut ws);
        for i in 0..7 {
            let h = 1e-6;
            let mut p = theta.clone();
            p[i] += h;
            let mut m = theta.clone();
            m[i] -= h;
            let fd = (obj.loss(&p, &mut ws) - obj.loss(&m, &mut ws)) / (2.0 * h);
            assert!((fd - g[i]).abs() < 1e-8, "θ{i}: {fd} vs {}", g[i]);
        }
    }

    #[test]
    fn hessian_vector_products_include_the_penalty() {
        // Against central differences of the exact gradient, penalty included: L2 adds 2λ on
        // the weights' diagonal, L1 nothing (away from w = 0).
        let data = DataSpec::Inline(Table { x: vec![vec![0.5], vec![-1.0], vec![2.0]], y: vec![vec![0.2], vec![0.7], vec![-0.4]] });
        for penalty in [None, Some(Penalty::L2(0.3)), Some(Penalty::L1(0.3))] {
            let mut spec = NetworkSpec::new(
                1,
                vec![LayerSpec::new(2, Activation::Tanh), LayerSpec::new(1, Activation::Linear)],
                Loss::Mse,
                data.clone(),
            );
            spec.init = InitSpec::Params(vec![0.3, -0.4, 0.1, 0.2, 0.5, -0.6, 0.05]);
            spec.penalty = penalty;
            let obj = ObjectiveSpec::Network(spec).build(&no_csv).unwrap();
            let theta = obj.start().to_vec();
            let (mut ws, mut hws) = (Workspace::default(), HvpWorkspace::default());
            let mut hv = vec![0.0; 7];
            for i in 0..7 {
                let mut e = vec![0.0; 7];
                e[i] = 1.0;
                obj.hvp(&theta, &e, &mut hv, &mut hws);
                let h = 1e-5;
                let (mut p, mut m) = (theta.clone(), theta.clone());
                p[i] += h;
                m[i] -= h;
                let (mut gp, mut gm) = (vec![0.0; 7], vec![0.0; 7]);
                obj.loss_and_grad(&p, &mut gp, &mut ws);
                obj.loss_and_grad(&m, &mut gm, &mut ws);
                for k in 0..7 {
                    let fd = (gp[k] - gm[k]) / (2.0 * h);
                    assert!((fd - hv[k]).abs() < 1e-8, "{penalty:?} H[{k}][{i}]: {fd} vs {}", hv[k]);
                }
            }
        }
    }

    #[test]
    fn a_batch_larger_than_the_training_set_is_refused() {
        let data = DataSpec::Generator(GeneratorSpec::new(crate::core::GeneratorKind::Xor, 20, 0.0, 1));
        let mut spec = NetworkSpec::new(2, vec![LayerSpec::new(1, Activation::Tanh)], Loss::Mse, data);
        spec.batch_size = Some(20);
        assert!(spec.build(&no_csv).is_ok());
        spec.batch_size = Some(21);
        let e = spec.build(&no_csv).unwrap_err().to_string();
        assert!(e.contains("batch_size") && e.contains("20 samples"), "{e}");
    }

    #[test]
    fn batches_cover_every_sample_each_epoch() {
        let mut b = BatchOrder::new(10, 5, 3);
        let mut seen: Vec<usize> = b.next_batch().to_vec();
        seen.extend_from_slice(b.next_batch());
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }
}
