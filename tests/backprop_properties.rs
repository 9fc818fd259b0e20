//! Property test: on random networks — every activation on every layer, every loss, with and
//! without batch norm, random data and parameters — backprop equals central finite differences.

use losscape::core::{
    Activation, CoreError, CsvSource, DataSpec, LayerSpec, Loss, NetworkSpec, Objective, ObjectiveSpec, Penalty, Table, Workspace,
};
use proptest::prelude::*;

/// A network description drawn by proptest.
#[derive(Debug, Clone)]
struct Case {
    inputs: usize,
    hidden: Vec<(usize, Activation, bool)>,
    out_units: usize,
    out_act: Activation,
    loss: Loss,
    n: usize,
    seed: u64,
    penalty: Option<Penalty>,
}

fn case() -> impl Strategy<Value = Case> {
    let act = prop::sample::select(Activation::ALL.to_vec());
    let hidden = prop::collection::vec((2usize..4, act.clone(), any::<bool>()), 0..3);
    let loss = prop::sample::select(Loss::ALL.to_vec());
    let penalty = prop::option::of(prop_oneof![(0.0f64..0.1).prop_map(Penalty::L1), (0.0f64..0.1).prop_map(Penalty::L2)]);
    (1usize..4, hidden, 1usize..4, act, loss, 3usize..7, any::<u64>(), penalty).prop_map(
        |(inputs, hidden, out_units, out_act, loss, n, seed, penalty)| {
            // The output layer must fit the loss (the network refuses other combinations).
            let (out_act, out_units) = match loss {
                Loss::CrossEntropy => (Activation::Softmax, out_units.max(2)),
                Loss::LogLoss => (Activation::Sigmoid, out_units),
                _ if out_act == Activation::Softmax => (out_act, out_units.max(2)),
                _ => (out_act, out_units),
            };
            Case { inputs, hidden, out_units, out_act, loss, n, seed, penalty }
        },
    )
}

fn build(c: &Case) -> Objective {
    let mut rng = losscape::core::SeededRng::new(c.seed);
    let mut layers: Vec<LayerSpec> =
        c.hidden.iter().map(|&(u, a, bn)| LayerSpec { units: u, activation: a, batch_norm: bn, negative_slope: 0.1 }).collect();
    layers.push(LayerSpec::new(c.out_units, c.out_act));
    let x: Vec<Vec<f64>> = (0..c.n).map(|_| (0..c.inputs).map(|_| rng.uniform(-2.0, 2.0)).collect()).collect();
    let y: Vec<Vec<f64>> = (0..c.n)
        .map(|s| match c.loss {
            Loss::CrossEntropy if s % 2 == 0 => vec![rng.below(c.out_units) as f64],
            Loss::CrossEntropy => (0..c.out_units).map(|_| rng.unit()).collect(),
            Loss::LogLoss => (0..c.out_units).map(|_| rng.unit()).collect(),
            Loss::Hinge => (0..c.out_units).map(|_| if rng.unit() < 0.5 { -1.0 } else { 1.0 }).collect(),
            _ => (0..c.out_units).map(|_| rng.uniform(-1.0, 1.0)).collect(),
        })
        .collect();
    // Class indices and one-hot rows cannot share a table: use indices only when every row has one.
    let y = if c.loss == Loss::CrossEntropy { y.iter().map(|r| if r.len() == 1 { r.clone() } else { vec![0.0] }).collect() } else { y };
    let mut spec = NetworkSpec::new(c.inputs, layers, c.loss, DataSpec::Inline(Table { x, y }));
    spec.penalty = c.penalty;
    let no_csv = |_: &CsvSource| -> Result<Table, CoreError> { unreachable!() };
    let mut o = ObjectiveSpec::Network(spec).build(&no_csv).expect("the strategy only draws valid networks");
    // Random parameters, including biases and batch-norm γ/β away from their defaults.
    if let Objective::Network(n) = &mut o {
        for p in n.start.iter_mut() {
            *p = rng.uniform(-1.5, 1.5);
        }
    }
    o
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn backprop_equals_central_differences(c in case()) {
        let o = build(&c);
        let theta = o.start().to_vec();
        let mut ws = Workspace::default();
        let mut g = vec![0.0; theta.len()];
        let loss = o.loss_and_grad(&theta, &mut g, &mut ws);
        prop_assert!(loss.is_finite());
        prop_assert_eq!(loss, o.loss(&theta, &mut ws), "loss with and without the backward pass");
        let scale = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        // A central difference carries round-off of about ε·|L|/h (≈ 1e-11·|L| at h = 1e-5):
        // components below that say nothing either way.
        let noise = 1e-6 * loss.abs().max(1e-3);
        for i in 0..theta.len() {
            // A difference that straddles a kink (ReLU at 0, |r| in MAE, …) disagrees at one h but
            // not at a smaller one; a wrong gradient disagrees at every h.
            let best = [1e-6, 1e-7, 1e-5].iter().map(|&h| {
                let mut p = theta.clone();
                p[i] += h;
                let up = o.loss(&p, &mut ws);
                p[i] -= 2.0 * h;
                let down = o.loss(&p, &mut ws);
                let fd = (up - down) / (2.0 * h);
                (g[i] - fd).abs() / g[i].abs().max(fd.abs()).max(1e-3 * scale).max(noise)
            }).fold(f64::INFINITY, f64::min);
            prop_assert!(best < 1e-4, "{} of {:?}: backprop {} relative error {}", o.param_name(i), c, g[i], best);
        }
    }
}
