//! Every lesson of DESIGN.md, loaded from its scene in assets/scenes and checked against the
//! numbers the classroom material gives.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use approx::assert_relative_eq;
use losscape::core::{Objective, RunStatus, Session, Workspace};

fn scene(name: &str) -> (losscape::scene::Scene, Arc<Objective>) {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes").join(name);
    let s = losscape::scene::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let o = s.build(&path).unwrap();
    (s, o)
}

fn session(name: &str, steps: u64) -> Session {
    let (s, o) = scene(name);
    let mut session = Session::new(o, &s.runs).unwrap();
    session.run(steps);
    session
}

#[test]
fn every_scene_loads_and_runs_its_steps() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        let (s, o) = scene(&name);
        let mut session = Session::new(o, &s.runs).unwrap();
        session.run(s.steps);
        assert!(!s.description.is_empty(), "{name} needs a description for students");
        count += 1;
    }
    assert!(count >= 12);
}

#[test]
fn lesson_1_x_squared_from_ten() {
    let s = session("01_x_squared.ron", 20);
    let t = &s.runs[0].trajectory;
    assert_relative_eq!(t.params(5)[0], 3.2768, max_relative = 1e-13);
    assert_relative_eq!(t.params(20)[0], 0.115292150460685, max_relative = 1e-13);
    assert_relative_eq!(t.records[20].loss, 0.013292279957849, max_relative = 1e-12);
    // The often-quoted 0.10737 is 0.8^10, not x_20.
    assert!((t.params(20)[0] - 0.10737).abs() > 1e-3);
}

#[test]
fn lesson_2_gradient_is_six_x_and_two_everywhere() {
    let s = session("02_tilted_plane.ron", 60);
    for run in &s.runs {
        let t = &run.trajectory;
        for k in 0..t.len() {
            let x = t.params(k)[0];
            assert_relative_eq!(t.records[k].grad_norm, ((6.0 * x).powi(2) + 4.0).sqrt(), max_relative = 1e-14);
        }
        // y keeps falling: the ball never stops.
        assert!(t.params(60)[1] < t.params(30)[1] - 1.0);
    }
}

#[test]
fn lesson_3_hours_studied_minimum() {
    let (s, o) = scene("03_hours_studied.ron");
    assert_eq!(o.dim(), 2);
    let mut session = Session::new(o.clone(), &s.runs[..1]).unwrap();
    session.run(20_000);
    let p = &session.runs[0].theta;
    assert_relative_eq!(p[0], 0.55, epsilon = 1e-9);
    assert_relative_eq!(p[1], 1.90, epsilon = 1e-9);
    assert_relative_eq!(p[0] * 7.0 + p[1], 5.75, epsilon = 1e-8);
    // The minimum is a minimum: the gradient there is zero.
    let mut g = [0.0; 2];
    o.loss_and_grad(&[0.55, 1.9], &mut g, &mut Workspace::default());
    assert!(g[0].abs() < 1e-12 && g[1].abs() < 1e-12, "{g:?}");
}

#[test]
fn lesson_4_three_points_by_hand() {
    let s = session("04_three_points.ron", 3);
    let t = &s.runs[0].trajectory;
    assert_relative_eq!(t.params(1)[0], 0.26, epsilon = 1e-15);
    assert_relative_eq!(t.params(1)[1], 0.22, epsilon = 1e-15);
    // The classroom rounds to five decimals (0.4272388…, 0.4001388…).
    assert_relative_eq!(t.params(3)[0], 0.42724, epsilon = 5e-6);
    assert_relative_eq!(t.params(3)[1], 0.40014, epsilon = 5e-6);
}

#[test]
fn lesson_5_dead_relu_stops_and_leaky_relu_rolls() {
    let dead = session("05_dying_relu.ron", 300);
    let t = &dead.runs[0].trajectory;
    assert_eq!(t.records[0].grad_norm, 0.0);
    assert_eq!(t.params(300), t.params(0), "a dead ReLU never moves");
    let leaky = session("05b_leaky_relu.ron", 300);
    let t = &leaky.runs[0].trajectory;
    assert!(t.records[0].grad_norm > 0.0);
    assert!(t.records[300].loss < 1e-3 * t.records[0].loss, "{} → {}", t.records[0].loss, t.records[300].loss);
}

#[test]
fn lesson_6_dense_two_to_three_has_nine_parameters() {
    let (_, o) = scene("06_dense_layer.ron");
    let net = &o.network().unwrap().net;
    assert_eq!(net.layers()[0].param_count(), 9);
    assert_eq!(net.param_count(), 13);
}

#[test]
fn lesson_7_sigmoid_gradients_vanish_with_depth_and_relu_keeps_them() {
    let ratio = |name: &str| {
        let (_, o) = scene(name);
        let n = o.network().unwrap();
        let mut g = vec![0.0; o.dim()];
        o.loss_and_grad(o.start(), &mut g, &mut Workspace::default());
        let norms = n.net.layer_norms(&g);
        norms[0] / norms[norms.len() - 2]
    };
    let sigmoid = ratio("07b_deep_sigmoid.ron");
    let relu = ratio("07c_deep_relu.ron");
    assert!(sigmoid < 0.01, "first/last hidden gradient norm with sigmoid: {sigmoid}");
    assert!(relu > 10.0 * sigmoid, "relu {relu} vs sigmoid {sigmoid}");
}

#[test]
fn lesson_8_clipping_tames_exploding_gradients() {
    let s = session("08_exploding.ron", 200);
    let (free, clipped) = (&s.runs[0], &s.runs[1]);
    let first = free.trajectory.records[0];
    assert!(first.grad_norm > 10.0, "the start is steep: ‖g‖ = {}", first.grad_norm);
    let blew_up = matches!(free.status, RunStatus::Diverged { .. }) || free.trajectory.last().unwrap().loss > 10.0 * first.loss;
    assert!(blew_up, "without clipping the loss should explode");
    assert!(clipped.trajectory.records.iter().filter(|r| r.clipped).count() > 5);
    assert!(clipped.is_running());
    assert!(clipped.trajectory.last().unwrap().loss < first.loss);
}

#[test]
fn lesson_9_secants_turn_into_the_tangent() {
    let (_, o) = scene("09_derivative_limit.ron");
    let mut ws = Workspace::default();
    let x = 1.7;
    let mut g = [0.0];
    o.loss_and_grad(&[x], &mut g, &mut ws);
    assert_relative_eq!(g[0], 3.0 * x * x - 3.0, epsilon = 1e-12);
    let mut last = f64::INFINITY;
    for h in [1.0, 0.1, 0.01, 0.001] {
        let secant = (o.loss(&[x + h], &mut ws) - o.loss(&[x], &mut ws)) / h;
        let err = (secant - g[0]).abs();
        assert!(err < last, "h = {h}: the secant must get closer");
        last = err;
    }
    assert!(last < 0.01);
}

#[test]
fn mini_batches_replay_exactly_and_holdout_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mb.ron");
    std::fs::write(
        &path,
        r#"(objective: network(inputs: 2, layers: [(units: 4, activation: tanh), (units: 1, activation: tanh)],
            data: generator(kind: moons, n: 100, seed: 3), batch_size: 16, batch_seed: 9, holdout: (share: 0.25, seed: 1)),
            runs: [(optimizer: sgd(lr: 0.2, momentum: 0.9))], steps: 150)"#,
    )
    .unwrap();
    let run = || {
        let s = losscape::scene::load(&path).unwrap();
        let mut session = Session::new(s.build(&path).unwrap(), &s.runs).unwrap();
        session.run(s.steps);
        session
    };
    let (a, b) = (run(), run());
    let (ta, tb) = (&a.runs[0].trajectory, &b.runs[0].trajectory);
    assert_eq!(ta, tb, "same seed, same trajectory, bit for bit");
    let n = a.objective.network().unwrap();
    assert_eq!((n.train.n, n.holdout.as_ref().unwrap().n), (75, 25));
    assert!(ta.records.iter().all(|r| r.holdout_loss.is_some_and(f64::is_finite)));
    assert!(ta.last().unwrap().loss < 0.6 * ta.records[0].loss);
    // Mini-batch gradients differ from the full-batch gradient at the same θ.
    let mut full = vec![0.0; a.objective.dim()];
    a.objective.loss_and_grad(ta.params(10), &mut full, &mut Workspace::default());
    assert!((losscape::core::norm2(&full) - ta.records[10].grad_norm).abs() > 1e-6);
}

#[test]
fn lesson_9_stops_on_the_slope_with_the_numbers_its_text_gives() {
    let (scene, o) = scene("09_derivative_limit.ron");
    let s = session("09_derivative_limit.ron", scene.steps);
    let x = s.runs[0].theta[0];
    assert_relative_eq!(x, 0.659, epsilon = 5e-4);
    let mut ws = Workspace::default();
    let mut g = [0.0];
    o.loss_and_grad(&[x], &mut g, &mut ws);
    assert_relative_eq!(g[0], -1.697, epsilon = 5e-4);
    for (h, slope) in [(0.5, -0.46), (0.1, -1.49), (0.01, -1.68)] {
        let secant = (o.loss(&[x + h], &mut ws) - o.loss(&[x], &mut ws)) / h;
        assert_relative_eq!(secant, slope, epsilon = 5e-3);
        assert!(scene.description.contains(&format!("{} at h = {h}", slope.to_string().replace('-', "−"))), "h = {h}");
    }
}

#[test]
fn lesson_7b_and_7c_gradient_norms_are_the_ones_their_texts_give() {
    let norms = |name: &str| {
        let (_, o) = scene(name);
        let mut g = vec![0.0; o.dim()];
        o.loss_and_grad(o.start(), &mut g, &mut Workspace::default());
        o.network().unwrap().net.layer_norms(&g)
    };
    let sigmoid = norms("07b_deep_sigmoid.ron");
    assert_relative_eq!(sigmoid[0], 2.5e-5, max_relative = 0.02);
    assert_relative_eq!(sigmoid[5], 2.4e-2, max_relative = 0.02);
    let relu = norms("07c_deep_relu.ron");
    assert_relative_eq!(relu[0], 6.1e-2, max_relative = 0.02);
    assert_relative_eq!(relu[5], 1.5e-1, max_relative = 0.02);
    let end_loss = |name: &str| session(name, 300).runs[0].trajectory.last().unwrap().loss;
    assert!(end_loss("07b_deep_sigmoid.ron") > 0.99, "the sigmoid network does not learn");
    assert!(end_loss("07c_deep_relu.ron") < 1e-3, "the ReLU network does");
}
