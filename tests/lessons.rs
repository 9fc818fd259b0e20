//! Every lesson of DESIGN.md, loaded from its scene in assets/scenes and checked against the
//! numbers the classroom material gives.
//!
//! A lesson's text for students is part of what is tested: each number it states is computed
//! here from the scene and looked for in the text ([`says`]), so text and scene cannot drift
//! apart.

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

/// `v` rounded to `decimals` decimals as the texts write it, with a minus sign (−, not -).
fn num(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    // No "−0.000": a value that rounds to zero is written 0.
    let s = if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') { s.trim_start_matches('-').to_string() } else { s };
    s.replace('-', "−")
}

/// Asserts that the lesson's text for students contains `words`.
#[track_caller]
fn says(scene: &losscape::scene::Scene, words: &str) {
    assert!(scene.description.contains(words), "{}: the text should say {words:?}; it says:\n{}", scene.name, scene.description);
}

/// The lesson with its first run's optimizer changed by `f` (a "Try" of its text).
fn session_with(name: &str, steps: u64, f: impl Fn(&mut losscape::core::RunSpec)) -> Session {
    let (s, o) = scene(name);
    let mut runs = s.runs.clone();
    f(&mut runs[0]);
    let mut session = Session::new(o, &runs[..1]).unwrap();
    session.run(steps);
    session
}

fn set_lr(run: &mut losscape::core::RunSpec, lr: f64) {
    *run.optimizer.lr_mut() = lr;
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
    assert!(count >= 20);
}

#[test]
fn lesson_1_x_squared_from_ten() {
    let s = session("01_x_squared.ron", 20);
    let (text, _) = scene("01_x_squared.ron");
    let t = &s.runs[0].trajectory;
    let x = |k: usize| t.params(k)[0];
    assert_eq!(x(0), 10.0);
    says(&text, "x = 10");
    says(&text, "gradient descent (PyTorch calls it SGD)");
    says(&text, "η = 0.1");
    assert_relative_eq!(x(1) / x(0), 0.8, max_relative = 1e-15);
    says(&text, "0.8·x, so every step keeps 80 % of x");
    says(&text, &format!("x₁ = {}", x(1)));
    assert_relative_eq!(x(5), 3.2768, max_relative = 1e-13);
    says(&text, &format!("x₅ = {}", num(x(5), 4)));
    assert_relative_eq!(x(20), 0.115292150460685, max_relative = 1e-13);
    says(&text, &format!("x₂₀ = {}", num(x(20), 15)));
    assert_relative_eq!(t.records[20].loss, 0.013292279957849, max_relative = 1e-12);
    says(&text, &format!("(f = {})", num(t.records[20].loss, 4)));
    // The often-quoted 0.10737 is 0.8^10, not x_20.
    assert!((x(20) - 0.10737).abs() > 1e-3);
    // Its "Try": the factor each learning rate gives.
    for (lr, factor) in [(0.9, -0.8), (1.1, -1.2), (1.0, -1.0)] {
        let s = session_with("01_x_squared.ron", 1, |r| set_lr(r, lr));
        let t = &s.runs[0].trajectory;
        assert_relative_eq!(t.params(1)[0] / t.params(0)[0], factor, max_relative = 1e-14);
        let rule = if factor == -1.0 { "x ← −x".to_string() } else { format!("x ← {}·x", num(factor, 1)) };
        says(&text, &format!("to {lr:?} ({rule}"));
    }
}

#[test]
fn lesson_2_gradient_is_six_x_and_two_everywhere() {
    let s = session("02_tilted_plane.ron", 60);
    let (text, _) = scene("02_tilted_plane.ron");
    for run in &s.runs {
        let t = &run.trajectory;
        for k in 0..t.len() {
            let x = t.params(k)[0];
            assert_relative_eq!(t.records[k].grad_norm, ((6.0 * x).powi(2) + 4.0).sqrt(), max_relative = 1e-14);
        }
        // y keeps falling: the ball never stops.
        assert!(t.params(60)[1] < t.params(30)[1] - 1.0);
    }
    let (plain, momentum) = (&s.runs[0].trajectory, &s.runs[1].trajectory);
    says(&text, "η = 0.05");
    let (spec, _) = scene("02_tilted_plane.ron");
    assert!(matches!(&spec.runs[1].optimizer, losscape::core::OptimizerConfig::Sgd(s) if s.momentum == 0.9));
    says(&text, "v ← 0.9·v + g and steps θ ← θ − η·v");
    says(&text, &format!("1 − 6η = {}", num(plain.params(1)[0] / plain.params(0)[0], 1)));
    says(&text, &format!("η·2 = {}", num(plain.params(0)[1] - plain.params(1)[1], 1)));
    says(&text, &format!("(y = {} after 60 steps)", num(plain.params(60)[1], 0)));
    let last_step = momentum.params(59)[1] - momentum.params(60)[1];
    assert_relative_eq!(last_step, 1.0, epsilon = 0.01);
    says(&text, &format!("1 − 0.9) = {} per step (y ≈ {})", num(last_step, 0), num(momentum.params(60)[1], 0)));
    // "lr above 1/3 makes |1 − 6η| > 1 and x blows up"; just below it, x shrinks.
    says(&text, "lr above 1/3");
    for (lr, grows) in [(0.34, true), (0.33, false)] {
        let s = session_with("02_tilted_plane.ron", 200, |r| set_lr(r, lr));
        let t = &s.runs[0].trajectory;
        assert_eq!(t.params(200)[0].abs() > t.params(0)[0].abs(), grows, "lr {lr}");
    }
}

/// The Hessian of lesson 3's loss (constant: the loss is quadratic in (w, b)), from gradients.
fn hessian_2(o: &losscape::core::Objective) -> [[f64; 2]; 2] {
    let mut ws = Workspace::default();
    let mut g0 = [0.0; 2];
    o.loss_and_grad(&[0.0, 0.0], &mut g0, &mut ws);
    let mut h = [[0.0; 2]; 2];
    for (j, e) in [[1.0, 0.0], [0.0, 1.0]].iter().enumerate() {
        let mut g = [0.0; 2];
        o.loss_and_grad(e, &mut g, &mut ws);
        for i in 0..2 {
            h[i][j] = g[i] - g0[i];
        }
    }
    h
}

#[test]
fn lesson_3_hours_studied_minimum() {
    let (text, o) = scene("03_hours_studied.ron");
    assert_eq!(o.dim(), 2);
    let mut long = Session::new(o.clone(), &text.runs[..1]).unwrap();
    long.run(20_000);
    let p = &long.runs[0].theta;
    assert_relative_eq!(p[0], 0.55, epsilon = 1e-9);
    assert_relative_eq!(p[1], 1.90, epsilon = 1e-9);
    assert_relative_eq!(p[0] * 7.0 + p[1], 5.75, epsilon = 1e-8);
    let floor = long.runs[0].trajectory.last().unwrap().loss;
    says(&text, &format!("w = {}, b = {} (loss {}; 7 hours → {})", num(p[0], 2), num(p[1], 2), num(floor, 2), num(p[0] * 7.0 + p[1], 2)));
    // The minimum is a minimum: the gradient there is zero.
    let mut g = [0.0; 2];
    o.loss_and_grad(&[0.55, 1.9], &mut g, &mut Workspace::default());
    assert!(g[0].abs() < 1e-12 && g[1].abs() < 1e-12, "{g:?}");
    // Plain gradient descent after the scene's 400 steps.
    let s = session("03_hours_studied.ron", 400);
    let sgd = s.runs[0].trajectory.params(400);
    says(&text, &format!("w = {}, b = {} after 400 steps", num(sgd[0], 3), num(sgd[1], 3)));
    // 2 / the largest curvature: the largest eigenvalue of the Hessian [[88, 12], [12, 2]].
    let h = hessian_2(&o);
    assert_relative_eq!(h[0][0], 88.0, epsilon = 1e-9);
    let (tr, det) = (h[0][0] + h[1][1], h[0][0] * h[1][1] - h[0][1] * h[1][0]);
    let big = tr / 2.0 + (tr * tr / 4.0 - det).sqrt();
    let limit = 2.0 / big;
    let small = tr / 2.0 - (tr * tr / 4.0 - det).sqrt();
    says(&text, &format!("curves {} across the valley and {} along it", num(big, 1), num(small, 2)));
    says(&text, &format!("lr above 2 / {} = {} diverges", num(big, 1), num(limit, 4)));
    for (lr, diverges) in [(limit * 1.01, true), (limit * 0.99, false)] {
        let s = session_with("03_hours_studied.ron", 2000, |r| set_lr(r, lr));
        let end = s.runs[0].trajectory.last().unwrap().loss;
        let converged = end < 1.0; // a NaN loss has diverged too
        assert_eq!(!converged, diverges, "lr {lr}: loss {end}");
    }
}

#[test]
fn lesson_4_three_points_by_hand() {
    let (text, o) = scene("04_three_points.ron");
    let s = session("04_three_points.ron", text.steps);
    let t = &s.runs[0].trajectory;
    let mut g = [0.0; 2];
    o.loss_and_grad(&[0.0, 0.0], &mut g, &mut Workspace::default());
    says(&text, &format!("∂L/∂m = −2·(0.4 + 2.0 + 1.5)/3 = {} and ∂L/∂b = −2·3.3/3 = {}", num(g[0], 1), num(g[1], 1)));
    assert_relative_eq!(t.params(1)[0], 0.26, epsilon = 1e-15);
    assert_relative_eq!(t.params(1)[1], 0.22, epsilon = 1e-15);
    says(&text, &format!("after step 1 m = {}, b = {}", num(t.params(1)[0], 2), num(t.params(1)[1], 2)));
    // The classroom rounds to five decimals (0.4272388…, 0.4001388…).
    assert_relative_eq!(t.params(3)[0], 0.42724, epsilon = 5e-6);
    assert_relative_eq!(t.params(3)[1], 0.40014, epsilon = 5e-6);
    says(&text, &format!("after step 3 m = {}, b = {}", num(t.params(3)[0], 5), num(t.params(3)[1], 5)));
    // The least-squares line, from the normal equations of the scene's data.
    let n = o.network().unwrap();
    let (x, y) = (&n.train.x, &n.train.y);
    let k = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / k, y.iter().sum::<f64>() / k);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let (m, b) = (sxy / sxx, my - sxy / sxx * mx);
    let best = o.loss(&[m, b], &mut Workspace::default());
    assert!(best > 0.05, "the points are not on a line");
    says(&text, &format!("m = {}, b = {} and loss {}", num(m, 3), num(b, 2), num(best, 3)));
    // The overshoot and where the ball is when the scene ends.
    let (peak, at) = (0..t.len()).map(|k| (t.params(k)[0], k)).fold((f64::MIN, 0), |a, b| if b.0 > a.0 { b } else { a });
    says(&text, &format!("m overshoots to {} (step {at})", num(peak, 2)));
    let end = t.params(t.len() - 1);
    says(&text, &format!("after {} steps m = {}, b = {}", text.steps, num(end[0], 3), num(end[1], 3)));
    assert!((end[0] - m).abs() < 0.002 && (end[1] - b).abs() < 0.002, "the ball has reached the best line: {end:?}");
}

#[test]
fn lesson_5_dead_relu_stops_and_leaky_relu_rolls() {
    let (text, o) = scene("05_dying_relu.ron");
    let dead = session("05_dying_relu.ron", 300);
    let t = &dead.runs[0].trajectory;
    assert_eq!(t.records[0].grad_norm, 0.0);
    assert_eq!(t.params(300), t.params(0), "a dead ReLU never moves");
    let start = o.start();
    says(&text, &format!("z = {}, so ŷ = 0, the loss is {}", num(start[0] * 0.5 + start[1], 1), num(t.records[0].loss, 2)));

    let (text, o) = scene("05b_leaky_relu.ron");
    let (lesson_5, _) = scene("05_dying_relu.ron");
    assert_eq!(text.runs[0].optimizer, lesson_5.runs[0].optimizer, "the same optimizer and learning rate as lesson 5");
    assert_eq!(o.start(), start, "the same start as lesson 5");
    says(&text, &format!("learning rate η = {}", text.runs[0].optimizer.lr()));
    let leaky = session("05b_leaky_relu.ron", 300);
    let t = &leaky.runs[0].trajectory;
    let y_hat = |k: usize| {
        let z = 0.5 * t.params(k)[0] + t.params(k)[1];
        if z > 0.0 { z } else { 0.1 * z }
    };
    let mut g = [0.0; 2];
    o.loss_and_grad(o.start(), &mut g, &mut Workspace::default());
    says(&text, &format!("ŷ = {} (loss {})", num(y_hat(0), 2), num(t.records[0].loss, 3)));
    says(&text, &format!("∂L/∂w = {}, ∂L/∂b = {}", num(g[0], 3), num(g[1], 3)));
    let first_alive = (0..t.len()).find(|&k| 0.5 * t.params(k)[0] + t.params(k)[1] > 0.0).unwrap();
    says(&text, &format!("reaches z > 0 at step {first_alive}"));
    says(&text, &format!("after 300 steps ŷ = {} (loss {})", num(y_hat(300), 3), num(t.records[300].loss, 4)));
    assert!(t.records[300].loss < 1e-3 * t.records[0].loss, "{} → {}", t.records[0].loss, t.records[300].loss);
    let far = session("05b_leaky_relu.ron", 3000);
    let end = &far.runs[0].theta;
    says(&text, &format!("ŷ = 0.8 at w = {}, b = {}", num(end[0], 2), num(end[1], 2)));
}

#[test]
fn lesson_6_dense_two_to_three_has_nine_parameters() {
    let (text, o) = scene("06_dense_layer.ron");
    let net = &o.network().unwrap().net;
    assert_eq!(net.layers()[0].param_count(), 9);
    assert_eq!(net.param_count(), 13);
    says(&text, "2·3 = 6 weights and 3 biases: 9 parameters; the output layer adds 3 + 1, so 13 in all");
    let s = session("06_dense_layer.ron", 300);
    let (momentum, adam) = (&s.runs[0].trajectory, &s.runs[1].trajectory);
    says(
        &text,
        &format!(
            "from {} to about {} (SGD with momentum) and {} (Adam) in 300 steps",
            num(momentum.records[0].loss, 2),
            num(momentum.records[300].loss, 2),
            num(adam.records[300].loss, 2)
        ),
    );
}

#[test]
fn lesson_7_two_sigmoids_sit_on_a_plateau() {
    let (text, o) = scene("07_sigmoid_chain.ron");
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    let (w1, w2) = (o.start()[0], o.start()[1]);
    says(&text, &format!("(w1 = {}, w2 = {})", num(w1, 0), num(w2, 0)));
    let s1 = sigmoid(w1 * 1.5);
    says(&text, &format!("σ'(z1) = {}", num(s1 * (1.0 - s1), 3)));
    let mut g = [0.0; 2];
    o.loss_and_grad(o.start(), &mut g, &mut Workspace::default());
    says(&text, &format!("∂L/∂w1 = {} and ∂L/∂w2 = {}", num(g[0], 4), num(g[1], 4)));
    let s = session("07_sigmoid_chain.ron", 300);
    let t = &s.runs[0].trajectory;
    says(&text, &format!("the loss only goes from {} to {}", num(t.records[0].loss, 3), num(t.records[300].loss, 3)));
    // "near the origin, where σ' is largest (0.25)".
    assert_eq!(sigmoid(0.0) * (1.0 - sigmoid(0.0)), 0.25);
}

/// Gradient norm of each layer at θ₀ (the last entry is the output layer).
fn start_layer_norms(name: &str) -> Vec<f64> {
    let (_, o) = scene(name);
    let mut g = vec![0.0; o.dim()];
    o.loss_and_grad(o.start(), &mut g, &mut Workspace::default());
    o.network().unwrap().net.layer_norms(&g)
}

#[test]
fn lesson_7b_and_7c_gradient_norms_are_the_ones_their_texts_give() {
    let (text, o) = scene("07b_deep_sigmoid.ron");
    says(&text, &format!("({} parameters;", o.dim()));
    let sigmoid = start_layer_norms("07b_deep_sigmoid.ron");
    let (first, last_hidden) = (sigmoid[0], sigmoid[sigmoid.len() - 2]);
    says(&text, &format!("the last hidden layer gets {last_hidden:.1e} and the first {first:.1e}, about 1000× smaller"));
    assert!((500.0..2000.0).contains(&(last_hidden / first)), "{}", last_hidden / first);
    // "about 4× smaller at every layer on its way back".
    for w in sigmoid[..sigmoid.len() - 1].windows(2) {
        assert!((3.0..5.0).contains(&(w[1] / w[0])), "{sigmoid:?}");
    }
    let s = session("07b_deep_sigmoid.ron", 300);
    assert!(s.runs[0].trajectory.records.iter().all(|r| num(r.loss, 2) == "1.00"), "the loss stays at 1.00");
    says(&text, "the loss stays at 1.00 for all 300 steps");

    let (text, _) = scene("07c_deep_relu.ron");
    let relu = start_layer_norms("07c_deep_relu.ron");
    says(&text, &format!("the first layer's gradient norm is {:.1e} and the last hidden layer's {:.1e}", relu[0], relu[relu.len() - 2]));
    let s = session("07c_deep_relu.ron", 300);
    let t = &s.runs[0].trajectory;
    says(&text, &format!("from {} to about {}", num(t.records[0].loss, 2), num(t.records[300].loss, 4)));
    assert!(t.records[300].loss < 1e-3, "the ReLU network learns");
    // "η = 0.05 instead of 0.5 (at 0.5 this net jumps to a loss of 2.0 and stays there)".
    let (sigmoid_scene, _) = scene("07b_deep_sigmoid.ron");
    says(&text, &format!("η = {} instead of {}", text.runs[0].optimizer.lr(), sigmoid_scene.runs[0].optimizer.lr()));
    let fast = session_with("07c_deep_relu.ron", 300, |r| set_lr(r, 0.5));
    let t = &fast.runs[0].trajectory;
    assert!(t.records[250..].iter().all(|r| num(r.loss, 1) == "2.0"), "{:?}", t.last());
    says(&text, "at 0.5 this net jumps to a loss of 2.0 and stays there");
}

#[test]
fn lesson_7_sigmoid_gradients_vanish_with_depth_and_relu_keeps_them() {
    let ratio = |name: &str| {
        let norms = start_layer_norms(name);
        norms[0] / norms[norms.len() - 2]
    };
    let sigmoid = ratio("07b_deep_sigmoid.ron");
    let relu = ratio("07c_deep_relu.ron");
    assert!(sigmoid < 0.01, "first/last hidden gradient norm with sigmoid: {sigmoid}");
    assert!(relu > 10.0 * sigmoid, "relu {relu} vs sigmoid {sigmoid}");
}

#[test]
fn lesson_8_clipping_tames_exploding_gradients() {
    let (text, o) = scene("08_exploding.ron");
    says(&text, &format!("({} parameters;", o.dim()));
    let layers = &o.network().unwrap().net.layers();
    let acts: Vec<_> = layers.iter().map(|l| l.activation.name()).collect();
    assert_eq!(acts, ["linear", "linear", "linear", "tanh", "linear"]);
    says(&text, "hidden layers 1–3 linear, with no activation; layer 4 tanh");
    let s = session("08_exploding.ron", 200);
    let (free, clipped) = (&s.runs[0], &s.runs[1]);
    let first = free.trajectory.records[0];
    assert!(first.grad_norm > 10.0, "the start is steep: ‖g‖ = {}", first.grad_norm);
    says(&text, &format!("‖g‖ = {} at the start (loss {})", num(first.grad_norm, 0), num(first.loss, 1)));
    let blew_up = matches!(free.status, RunStatus::Diverged { .. }) || free.trajectory.last().unwrap().loss > 10.0 * first.loss;
    assert!(blew_up, "without clipping the loss should explode");
    let c = match clipped.spec.clip {
        Some(losscape::core::Clip::Norm(c)) => c,
        other => panic!("run 2 clips by norm: {other:?}"),
    };
    let lr = clipped.spec.optimizer.lr();
    says(&text, &format!("with c = {c} (torch's clip_grad_norm_), so no step is longer than η·c = {}", lr * c));
    let t = &clipped.trajectory;
    says(&text, &format!("Run 2 clips at {} of its {} steps", t.clipped_steps(), t.len() - 1));
    assert!(clipped.is_running());
    let late = &t.records[50..];
    let (low, high) = late.iter().fold((f64::MAX, f64::MIN), |(l, h), r| (l.min(r.loss), h.max(r.loss)));
    says(&text, &format!("from step 50 on its loss bounces between {} and {}", num(low, 2), num(high, 2)));
    assert!(high < first.loss / 10.0);
    // Its "Try": larger thresholds.
    let with_clip = |c: f64| {
        let (s, o) = scene("08_exploding.ron");
        let mut run = s.runs[1].clone();
        run.clip = Some(losscape::core::Clip::Norm(c));
        let mut session = Session::new(o, &[run]).unwrap();
        session.run(200);
        let losses: Vec<f64> = session.runs[0].trajectory.records.iter().map(|r| r.loss).collect();
        losses
    };
    let ten = with_clip(10.0);
    let (low, high) = ten[50..].iter().fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    says(&text, &format!("c = 10: the loss bounces between {} and {}", num(low, 1), num(high, 0)));
    let hundred = with_clip(100.0);
    let (a, b) = (hundred[199], hundred[200]);
    for k in 150..=198 {
        assert_relative_eq!(hundred[k], hundred[k + 2], max_relative = 1e-5);
    }
    says(&text, &format!("c = 100: it climbs into a cycle between {} and {}", num(a.min(b), 0), num(a.max(b), 0)));
    assert!(a.min(b) > first.loss, "worse than the start");
}

#[test]
fn lesson_0_secants_turn_into_the_tangent() {
    let (_, o) = scene("00_derivative_limit.ron");
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
fn lesson_0_ends_on_the_slope_with_the_numbers_its_text_gives() {
    let (scene, o) = scene("00_derivative_limit.ron");
    says(&scene, &format!("drawn from only {} vertices", scene.surface.res));
    let s = session("00_derivative_limit.ron", scene.steps);
    let x = s.runs[0].theta[0];
    assert_relative_eq!(x, 0.659, epsilon = 5e-4);
    let mut ws = Workspace::default();
    let mut g = [0.0];
    o.loss_and_grad(&[x], &mut g, &mut ws);
    assert_relative_eq!(g[0], -1.697, epsilon = 5e-4);
    says(
        &scene,
        &format!("after {} steps the scene stops with the ball at x = {}, where f'(x) = {}", scene.steps, num(x, 3), num(g[0], 3)),
    );
    assert!(g[0] < -1.0, "the ball is still rolling");
    says(&scene, "(f(x + h) − f(x))/h = 3x² − 3 + 3xh + h²; as h → 0 the error 3xh + h² vanishes");
    for (h, slope) in [(0.5, -0.46), (0.1, -1.49), (0.01, -1.68)] {
        let secant = (o.loss(&[x + h], &mut ws) - o.loss(&[x], &mut ws)) / h;
        assert_relative_eq!(secant, slope, epsilon = 5e-3);
        assert_relative_eq!(secant, 3.0 * x * x - 3.0 + 3.0 * x * h + h * h, epsilon = 1e-9);
        says(&scene, &format!("{} at h = {h}", num(secant, 2)));
    }
}

#[test]
fn lesson_3b_momentum_and_adam_cross_the_narrow_valley() {
    let (text, o) = scene("03b_momentum_adam.ron");
    let (lesson_3, o3) = scene("03_hours_studied.ron");
    assert_eq!(text.objective, lesson_3.objective, "lesson 3's valley");
    assert_eq!(o.start(), o3.start());
    let h = hessian_2(&o);
    let (tr, det) = (h[0][0] + h[1][1], h[0][0] * h[1][1] - h[0][1] * h[1][0]);
    let (big, small) = (tr / 2.0 + (tr * tr / 4.0 - det).sqrt(), tr / 2.0 - (tr * tr / 4.0 - det).sqrt());
    assert!((240.0..260.0).contains(&(big / small)), "{}", big / small);
    says(&text, &format!("250× more steeply across ({}) than along ({})", num(big, 1), num(small, 2)));
    let lr = |i: usize| text.runs[i].optimizer.lr();
    assert_eq!(lr(0), lr(1), "momentum gets the same η as gradient descent");
    says(&text, &format!("θ ← θ − η·g with η = {}", lr(0)));
    assert!(matches!(&text.runs[1].optimizer, losscape::core::OptimizerConfig::Sgd(s) if s.momentum == 0.9));
    says(&text, "v ← 0.9·v + g, θ ← θ − η·v");
    says(&text, "up to 1/(1 − 0.9) = 10× longer");
    assert!(matches!(&text.runs[2].optimizer, losscape::core::OptimizerConfig::Adam(a) if a.betas == [0.9, 0.999]));
    says(&text, &format!("m ← 0.9·m + 0.1·g, s ← 0.999·s + 0.001·g², θ ← θ − η·m/√s: each parameter moves about η = {} per step", lr(2)));
    let s = session("03b_momentum_adam.ron", 100);
    let dist = |i: usize| {
        let p = s.runs[i].trajectory.params(100);
        ((p[0] - 0.55).powi(2) + (p[1] - 1.9).powi(2)).sqrt()
    };
    says(&text, &format!("is {} for gradient descent, {} for Adam and {} for momentum", num(dist(0), 2), num(dist(2), 2), num(dist(1), 3)));
    assert!(dist(1) < dist(2) && dist(2) < dist(0));
}

#[test]
fn lesson_7d_tanh_and_7e_batch_norm_keep_the_gradient() {
    let (text, o) = scene("07d_deep_tanh.ron");
    let (sigmoid, o7b) = scene("07b_deep_sigmoid.ron");
    let (relu, _) = scene("07c_deep_relu.ron");
    assert_eq!(o.start(), o7b.start(), "the same Xavier start as 7b");
    assert_eq!(text.runs[0].optimizer, relu.runs[0].optimizer, "7c's optimizer");
    says(&text, &format!("η = {} as in 7c", text.runs[0].optimizer.lr()));
    let stuck = session_with("07d_deep_tanh.ron", 300, |r| set_lr(r, sigmoid.runs[0].optimizer.lr()));
    assert!(stuck.runs[0].trajectory.records[250..].iter().all(|r| num(r.loss, 1) == "2.0"));
    says(&text, "(at 7b's 0.5 this net gets stuck at loss 2.0)");
    let z: f64 = 0.7;
    let sig = |z: f64| 1.0 / (1.0 + (-z).exp());
    assert_relative_eq!(z.tanh(), 2.0 * sig(2.0 * z) - 1.0, epsilon = 1e-15);
    says(&text, "tanh(z) = 2σ(2z) − 1");
    let tanh_norms = start_layer_norms("07d_deep_tanh.ron");
    let sig_norms = start_layer_norms("07b_deep_sigmoid.ron");
    let hidden = tanh_norms.len() - 2;
    says(
        &text,
        &format!(
            "the first layer's gradient norm is {:.1e} and the last hidden layer's {:.1e}: nothing vanishes on the way back (with sigmoid: {:.1e} and {:.1e})",
            tanh_norms[0], tanh_norms[hidden], sig_norms[0], sig_norms[hidden]
        ),
    );
    assert!(tanh_norms[0] > tanh_norms[hidden]);
    let s = session("07d_deep_tanh.ron", 300);
    let t = &s.runs[0].trajectory;
    says(&text, &format!("from {} to {} in 300 steps", num(t.records[0].loss, 2), num(t.records[300].loss, 5)));

    let (text, o) = scene("07e_batch_norm.ron");
    let net = &o.network().unwrap().net;
    let plain = o7b.network().unwrap().net.param_count();
    assert_eq!(net.param_count() - plain, 6 * 8 * 2);
    says(&text, &format!("6 layers × 8 units × 2 = {} more parameters, {} instead of {plain}", 6 * 8 * 2, net.param_count()));
    assert_eq!(net.layers()[1].param_count(), 88);
    says(&text, "layer 2 has 8·8 weights + 8 biases + 8 γ + 8 β = 88");
    assert_eq!(text.runs[0].optimizer, relu.runs[0].optimizer);
    let bn = start_layer_norms("07e_batch_norm.ron");
    says(&text, &format!("the first layer's gradient norm is {:.1e} and the last hidden layer's {:.1e}", bn[0], bn[bn.len() - 2]));
    let s = session("07e_batch_norm.ron", 300);
    let t = &s.runs[0].trajectory;
    says(&text, &format!("from {} to {} in 300 steps", num(t.records[0].loss, 2), num(t.records[300].loss, 4)));
    assert!(t.records[300].loss < 0.01);
}

#[test]
fn lesson_8b_value_clipping_turns_the_step_and_norm_clipping_does_not() {
    let (text, o) = scene("08b_clip_value_or_norm.ron");
    let mut g = [0.0; 2];
    o.loss_and_grad(o.start(), &mut g, &mut Workspace::default());
    says(&text, &format!("from ({}, {}), where the gradient (2x, 20y) is ({}, {})", o.start()[0], o.start()[1], g[0], g[1]));
    let s = session("08b_clip_value_or_norm.ron", 50);
    let (by_norm, by_value) = (&s.runs[0].trajectory, &s.runs[1].trajectory);
    assert!(matches!(s.runs[0].spec.clip, Some(losscape::core::Clip::Norm(c)) if c == 1.0));
    assert!(matches!(s.runs[1].spec.clip, Some(losscape::core::Clip::Value(c)) if c == 1.0));
    let step = |t: &losscape::core::Trajectory| [t.params(0)[0] - t.params(1)[0], t.params(0)[1] - t.params(1)[1]];
    let (n, v) = (step(by_norm), step(by_value));
    assert_relative_eq!(n[1] / n[0], g[1] / g[0], max_relative = 1e-12);
    assert_relative_eq!(v[1] / v[0], 1.0, max_relative = 1e-12);
    says(&text, &format!("in the ratio {} : {} with norm clipping, as the gradient does, and 1 : 1 with value clipping", g[0], g[1]));
    let (pv, pn) = (by_value.params(50), by_norm.params(50));
    says(
        &text,
        &format!(
            "the value-clipped ball is at ({}, {}), the norm-clipped one at ({}, {})",
            num(pv[0], 1),
            num(pv[1], 0),
            num(pn[0], 2),
            num(pn[1], 4)
        ),
    );
}

/// The loss of lesson 10's line at (w, b), and where the scene's run ends.
fn outlier_lesson(name: &str) -> (losscape::scene::Scene, Arc<Objective>, Vec<f64>) {
    let (text, o) = scene(name);
    let (mse, _) = scene("10_outlier_mse.ron");
    if let (losscape::core::ObjectiveSpec::Network(a), losscape::core::ObjectiveSpec::Network(b)) = (&text.objective, &mse.objective) {
        assert_eq!((&a.data, &a.layers, &a.init), (&b.data, &b.layers, &b.init), "{name}: lesson 10's data, line and start");
    }
    assert_eq!(text.runs, mse.runs, "{name}: lesson 10's optimizer");
    let s = session(name, text.steps);
    let end = s.runs[0].theta.clone();
    (text, o, end)
}

/// The lowest loss on a fine (w, b) grid, and where.
fn grid_minimum(o: &Objective) -> (f64, f64, f64) {
    let mut ws = Workspace::default();
    let mut best = (f64::MAX, 0.0, 0.0);
    for i in 0..=400 {
        for j in 0..=400 {
            let (w, b) = (-1.0 + i as f64 * 0.01, -1.0 + j as f64 * 0.01);
            let l = o.loss(&[w, b], &mut ws);
            if l < best.0 {
                best = (l, w, b);
            }
        }
    }
    best
}

#[test]
fn lesson_10_an_outlier_pulls_mse_mae_and_huber_differently() {
    let (text, o, end) = outlier_lesson("10_outlier_mse.ron");
    let n = o.network().unwrap();
    // Per-point 2(ŷ − y) at the start, ŷ = 0.
    let pulls: Vec<f64> = n.train.y.iter().map(|y| -2.0 * y).collect();
    let outlier = pulls.iter().cloned().fold(f64::MAX, f64::min);
    let rest: f64 = pulls.iter().sum::<f64>() - outlier;
    says(&text, &format!("at the start its 2(ŷ − y) is {}, the other four add up to {}", num(outlier, 0), num(rest, 0)));
    let floor = o.loss(&end, &mut Workspace::default());
    says(&text, &format!("settles at w = {}, b = {} (loss {})", num(end[0], 0), num(end[1], 0), num(floor, 0)));
    let (l, w, b) = grid_minimum(&o);
    assert_relative_eq!(l, floor, epsilon = 1e-9);
    assert!((w - 3.0).abs() < 1e-6 && (b - 3.0).abs() < 1e-6);
    says(&text, "three times the slope of the four points");

    let (text, o, end) = outlier_lesson("10b_outlier_mae.ron");
    let (l, w, b) = grid_minimum(&o);
    says(&text, &format!("the floor is at w = {}, b = {} (loss {})", num(w, 0), num(b, 0), num(l, 1)));
    assert!((w - 1.0).abs() < 1e-6 && (b - 1.0).abs() < 1e-6);
    says(&text, &format!("(w = {}, b = {} after 200 steps)", num(end[0], 2), num(end[1], 2)));
    assert!((end[0] - 1.0).abs() < 0.1 && (end[1] - 1.0).abs() < 0.1);

    let (text, o, end) = outlier_lesson("10c_outlier_huber.ron");
    let (l, w, b) = grid_minimum(&o);
    assert!((w - 1.5).abs() < 1e-6 && (b - 1.5).abs() < 1e-6);
    assert!((end[0] - 1.5).abs() < 1e-3 && (end[1] - 1.5).abs() < 1e-3, "{end:?}");
    says(&text, &format!("settles at w = {}, b = {} (loss {})", num(end[0], 1), num(end[1], 1), num(l, 2)));
}

#[test]
fn lesson_11_softmax_outputs_sum_to_one_and_cross_entropy_pulls_with_y_hat_minus_y() {
    let (text, o) = scene("11_softmax.ron");
    let n = o.network().unwrap();
    says(&text, &format!("{} points in three clouds", n.train.n));
    says(&text, &format!("({} parameters;", o.dim()));
    let points: Vec<Vec<f64>> = (0..n.train.n).map(|s| n.train.row(s).0).collect();
    let mut ws = Workspace::default();
    for p in n.predict(o.start(), &points, &mut ws) {
        for y in p {
            assert_relative_eq!(y, 1.0 / 3.0, epsilon = 1e-15);
        }
    }
    let l0 = o.loss(o.start(), &mut ws);
    assert_relative_eq!(l0, 3f64.ln(), epsilon = 1e-12);
    says(&text, &format!("ŷ = (1/3, 1/3, 1/3) and L = log 3 = {}", num(l0, 3)));
    // One point of class 0: the gradient of the logits is the bias gradient.
    let (x0, y0) = n.train.row(0);
    assert_eq!(y0, [0.0]);
    let one = n.train.select(&[0]);
    let mut g = vec![0.0; o.dim()];
    n.net.loss_and_grad(o.start(), &one, &mut ws, Some(&mut g));
    let bias = n.net.layers()[0].bias_offset;
    assert_relative_eq!(g[bias], -2.0 / 3.0, epsilon = 1e-15);
    assert_relative_eq!(g[bias + 1], 1.0 / 3.0, epsilon = 1e-15);
    assert_relative_eq!(g[bias + 2], 1.0 / 3.0, epsilon = 1e-15);
    assert_relative_eq!(g[0], -2.0 / 3.0 * x0[0], epsilon = 1e-15);
    says(&text, "a point of class 0 pulls with ŷ − y = (−2/3, 1/3, 1/3)");
    let s = session("11_softmax.ron", text.steps);
    let theta = &s.runs[0].theta;
    let predictions = n.predict(theta, &points, &mut ws);
    assert!(predictions.iter().all(|p| (p.iter().sum::<f64>() - 1.0).abs() < 1e-12), "softmax outputs sum to 1");
    let right = predictions
        .iter()
        .enumerate()
        .filter(|(s, p)| {
            let class = n.train.row(*s).1[0] as usize;
            p.iter().all(|&q| q <= p[class])
        })
        .count();
    let end = s.runs[0].trajectory.last().unwrap().loss;
    says(&text, &format!("After {} steps L = {} and {right} of the {} points", text.steps, num(end, 3), n.train.n));
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
fn lesson_12_mini_batches_make_the_gradient_noisy() {
    let (text, o) = scene("12_mini_batches.ron");
    let (full, _) = scene("06_dense_layer.ron");
    let (losscape::core::ObjectiveSpec::Network(a), losscape::core::ObjectiveSpec::Network(b)) = (&text.objective, &full.objective) else {
        panic!("both are networks")
    };
    assert_eq!((&a.layers, &a.data, &a.init, a.loss), (&b.layers, &b.data, &b.init, b.loss), "lesson 6's network, data and start");
    assert_eq!(text.runs, full.runs, "lesson 6's runs");
    let n = o.network().unwrap();
    let batch = n.batch_size.unwrap();
    says(&text, &format!("only {batch} of the {} points (batch size {batch}, reshuffled every {} steps)", n.train.n, n.train.n / batch));
    let rises = |t: &losscape::core::Trajectory| t.records.windows(2).filter(|w| w[1].loss > w[0].loss).count();
    let (mini, whole) = (session("12_mini_batches.ron", 300), session("06_dense_layer.ron", 300));
    let (m, w) = (&mini.runs[0].trajectory, &whole.runs[0].trajectory);
    says(&text, &format!("goes up at {} of 300 steps with SGD + momentum ({} with the full batch of lesson 6)", rises(m), rises(w)));
    assert!(rises(m) > 10 * rises(w));
    says(&text, &format!("the loss is {} with SGD + momentum (lesson 6: {})", num(m.records[300].loss, 2), num(w.records[300].loss, 2)));
    let (ma, wa) = (&mini.runs[1].trajectory, &whole.runs[1].trajectory);
    says(&text, &format!("Adam gets {} (lesson 6: {})", num(ma.records[300].loss, 2), num(wa.records[300].loss, 2)));
    let slow = session_with("12_mini_batches.ron", 300, |r| set_lr(r, 0.03));
    says(&text, &format!("lr to 0.03: {} after 300 steps", num(slow.runs[0].trajectory.records[300].loss, 2)));
    // The recorded gradient is the batch's, not the full one.
    let mut g = vec![0.0; o.dim()];
    o.loss_and_grad(m.params(10), &mut g, &mut Workspace::default());
    assert!((losscape::core::norm2(&g) - m.records[10].grad_norm).abs() > 1e-6);
}

/// Lesson 13's five points: x, the class (0 or 1) and what the scene's loss reads as target.
fn binary_points(name: &str) -> (losscape::scene::Scene, Arc<Objective>, Vec<f64>, Vec<f64>) {
    let (text, o) = scene(name);
    let (_, log) = scene("13_log_loss.ron");
    let (n, l) = (o.network().unwrap(), log.network().unwrap());
    assert_eq!(n.train.n, l.train.n, "{name}: lesson 13's points");
    let mut xs = Vec::new();
    let mut classes = Vec::new();
    for s in 0..n.train.n {
        let ((x, y), (lx, class)) = (n.train.row(s), l.train.row(s));
        assert_eq!(x, lx, "{name}: lesson 13's x");
        // Hinge writes class 0 as −1; log loss and cross-entropy (a class index) as 0.
        let expected = if n.net.loss_kind() == losscape::core::Loss::Hinge { 2.0 * class[0] - 1.0 } else { class[0] };
        assert_eq!(y, [expected], "{name}: lesson 13's classes");
        xs.push(x[0]);
        classes.push(class[0]);
    }
    (text, o, xs, classes)
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

#[test]
fn lesson_13_log_loss_pulls_with_sigma_minus_y_and_never_stops() {
    let (text, o, xs, classes) = binary_points("13_log_loss.ron");
    let n = o.network().unwrap();
    let list: Vec<String> = xs.iter().map(|&x| num(x, 0)).collect();
    says(&text, &format!("on five points x = {}:", list.join(", ")));
    assert_eq!(xs.len(), 5);
    let ones = classes.iter().filter(|&&c| c == 1.0).count();
    assert_eq!(ones, 2);
    assert!(classes[xs.len() - ones..].iter().all(|&c| c == 1.0), "class 1 is the last two");
    says(&text, "the last two are class y = 1, the others y = 0");
    // The model's output is σ(z), and each point pulls z with σ(z) − y: ±½ at z = 0.
    let mut ws = Workspace::default();
    let points: Vec<Vec<f64>> = xs.iter().map(|&x| vec![x]).collect();
    let pulls: Vec<f64> = n.predict(o.start(), &points, &mut ws).iter().zip(&classes).map(|(p, y)| p[0] - y).collect();
    assert!(pulls.iter().all(|p| p.abs() == 0.5), "{pulls:?}");
    let mut g = vec![0.0; 2];
    o.loss_and_grad(o.start(), &mut g, &mut ws);
    let mean = |f: &dyn Fn(usize) -> f64| (0..xs.len()).map(f).sum::<f64>() / xs.len() as f64;
    assert_relative_eq!(g[0], mean(&|s| pulls[s] * xs[s]), epsilon = 1e-15);
    assert_relative_eq!(g[1], mean(&|s| pulls[s]), epsilon = 1e-15);
    says(&text, "each point pulls z with σ(z) − y: ±½ at the start");
    let l0 = o.loss(o.start(), &mut ws);
    assert_relative_eq!(l0, 2f64.ln(), epsilon = 1e-15);
    says(&text, &format!("(L = log 2 = {})", num(l0, 3)));

    // It never stops: the gradient is never 0, the loss always falls, ‖θ‖ always grows.
    let s = session("13_log_loss.ron", 1000);
    let t = &s.runs[0].trajectory;
    assert!(t.records.iter().all(|r| r.grad_norm > 0.0));
    assert!(t.records.windows(2).all(|w| w[1].loss < w[0].loss));
    let norm = |k: usize| losscape::core::norm2(t.params(k));
    assert!((1..t.len()).all(|k| norm(k) > norm(k - 1)));
    let end = t.params(text.steps as usize);
    let z: Vec<f64> = xs.iter().map(|x| end[0] * x + end[1]).collect();
    assert!(z.iter().zip(&classes).all(|(z, &c)| (*z > 0.0) == (c == 1.0)), "every point on its side: {z:?}");
    let l = t.records[text.steps as usize].loss;
    assert_relative_eq!(l, o.loss(end, &mut ws), max_relative = 1e-14);
    says(
        &text,
        &format!("after {} steps L = {} at w = {}, b = {}, every point on its side", text.steps, num(l, 3), num(end[0], 2), num(end[1], 2)),
    );
    says(
        &text,
        &format!("‖(w, b)‖ = {} after 100 steps, {} after 300, {} after 1000", num(norm(100), 2), num(norm(300), 2), num(norm(1000), 2)),
    );
    // The pull of each point shrinks but stays: σ(z) − y is never 0.
    assert!(z.iter().zip(&classes).all(|(&z, &c)| sigmoid(z) - c != 0.0));
}

#[test]
fn lesson_13b_hinge_stops_dead_once_every_point_is_beyond_the_margin() {
    let (text, o, xs, classes) = binary_points("13b_hinge.ron");
    let ys: Vec<f64> = classes.iter().map(|c| 2.0 * c - 1.0).collect();
    let mut ws = Workspace::default();
    let l0 = o.loss(o.start(), &mut ws);
    assert_eq!(l0, 1.0);
    says(&text, &format!("L starts at {}", num(l0, 0)));
    // Every point is inside the margin at the start, and pulls ŷ with −y.
    let mut g = vec![0.0; 2];
    o.loss_and_grad(o.start(), &mut g, &mut ws);
    let mean = |f: &dyn Fn(usize) -> f64| (0..xs.len()).map(f).sum::<f64>() / xs.len() as f64;
    assert_relative_eq!(g[0], mean(&|s| -ys[s] * xs[s]), epsilon = 1e-15);
    assert_relative_eq!(g[1], mean(&|s| -ys[s]), epsilon = 1e-15);
    says(&text, "a point inside the margin pulls ŷ with −y");

    let s = session("13b_hinge.ron", text.steps);
    let t = &s.runs[0].trajectory;
    let margins = |k: usize| -> Vec<f64> { xs.iter().zip(&ys).map(|(x, y)| y * (t.params(k)[0] * x + t.params(k)[1])).collect() };
    let inside = |k: usize| -> Vec<f64> { margins(k).iter().zip(&xs).filter(|(m, _)| **m <= 1.0).map(|(_, &x)| x).collect() };
    assert_eq!(inside(0).len(), xs.len());
    let passed: Vec<f64> = inside(0).into_iter().filter(|x| !inside(1).contains(x)).collect();
    assert_eq!(passed.len(), 2);
    says(&text, &format!("The points x = {} and {} pass the margin at step 1", num(passed[0], 0), num(passed[1], 0)));
    let stop = t.records.iter().position(|r| r.grad_norm == 0.0).expect("the hinge ball stops");
    // Before that, from step 3 on, only two points are left and they take turns.
    let mut left: Vec<f64> = (3..stop).flat_map(inside).collect();
    left.sort_by(f64::total_cmp);
    left.dedup();
    assert_eq!(left.len(), 2, "{left:?}");
    let turns = (4..stop).filter(|&k| inside(k) != inside(k - 1)).count();
    assert!(turns >= (stop - 4) * 3 / 4, "{turns} turns in {} steps", stop - 4);
    says(&text, &format!("zig-zags along a crease while x = {} and x = {} take turns", num(left[0], 0), num(left[1], 0)));
    // Then every point is beyond the margin: loss 0, gradient 0, and the ball never moves again.
    assert!(inside(stop).is_empty() && margins(stop).iter().all(|&m| m > 1.0));
    assert!((0..stop).all(|k| !inside(k).is_empty() && t.records[k].grad_norm > 0.0));
    assert_eq!(t.records[stop].loss, 0.0);
    assert!((stop..t.len()).all(|k| t.params(k) == t.params(stop) && t.records[k].grad_norm == 0.0));
    let end = t.params(stop);
    says(
        &text,
        &format!(
            "At step {stop} every point is beyond the margin: L = 0, the gradient is 0 and the ball stops dead at w = {}, b = {}, on a flat floor",
            num(end[0], 2),
            num(end[1], 2)
        ),
    );
    says(&text, "Lesson 13's ball never stops");
    // The floor: anywhere all margins exceed 1 the loss and the gradient are exactly 0.
    for (w, b) in [(3.0, -1.5), (5.0, -3.0), (5.5, -1.2)] {
        assert!(xs.iter().zip(&ys).all(|(x, y)| y * (w * x + b) > 1.0));
        assert_eq!(o.loss_and_grad(&[w, b], &mut g, &mut ws), 0.0);
        assert_eq!(g, [0.0, 0.0]);
    }
    says(&text, "click anywhere on the flat floor: the ball does not move");
}

#[test]
fn lesson_13c_two_class_cross_entropy_is_log_loss_of_the_difference() {
    let (text, o, xs, _) = binary_points("13c_cross_entropy.ron");
    let (log_text, log) = scene("13_log_loss.ron");
    let n = o.network().unwrap();
    says(&text, &format!("({} parameters)", o.dim()));
    let layer = &n.net.layers()[0];
    let (w, b) = (layer.weight_offset, layer.bias_offset);
    let (w0, w1, b0, b1) = (w, w + 1, b, b + 1);
    let mut ws = Workspace::default();
    let points: Vec<Vec<f64>> = xs.iter().map(|&x| vec![x]).collect();
    // At any θ: ŷ₁ = σ(z₁ − z₀), the loss is log loss at (w₁ − w₀, b₁ − b₀), and the two
    // logits' gradients are opposite.
    for theta in [[0.3, -1.2, 0.7, 0.1], [-2.0, 1.5, 0.4, -0.9], [1.0, 1.0, -3.0, 2.0]] {
        let mut t = [0.0; 4];
        (t[w0], t[w1], t[b0], t[b1]) = (theta[0], theta[1], theta[2], theta[3]);
        for (x, p) in xs.iter().zip(n.predict(&t, &points, &mut ws)) {
            let d = (t[w1] - t[w0]) * x + (t[b1] - t[b0]);
            assert_relative_eq!(p[1], sigmoid(d), max_relative = 1e-14);
        }
        let difference = [t[w1] - t[w0], t[b1] - t[b0]];
        assert_relative_eq!(o.loss(&t, &mut ws), log.loss(&difference, &mut ws), max_relative = 1e-13);
        let mut g = vec![0.0; 4];
        o.loss_and_grad(&t, &mut g, &mut ws);
        assert_relative_eq!(g[w0], -g[w1], max_relative = 1e-13);
        assert_relative_eq!(g[b0], -g[b1], max_relative = 1e-13);
    }
    says(&text, "= σ(z₁ − z₀): cross-entropy is lesson 13's log loss of the difference z₁ − z₀");
    says(&text, "z₀ with exactly the opposite, so z₀ + z₁ never changes");

    // The run: half lesson 13's learning rate, lesson 13's path step for step.
    let (lr, log_lr) = (text.runs[0].optimizer.lr(), log_text.runs[0].optimizer.lr());
    assert_eq!(2.0 * lr, log_lr);
    says(&text, &format!("with η = {lr}, half of lesson 13's, the ball follows lesson 13's step for step"));
    let (s, l) = (session("13c_cross_entropy.ron", text.steps), session("13_log_loss.ron", text.steps));
    let (t, lt) = (&s.runs[0].trajectory, &l.runs[0].trajectory);
    for k in 0..t.len() {
        let (p, q) = (t.params(k), lt.params(k));
        assert_relative_eq!(p[w1] - p[w0], q[0], epsilon = 1e-12, max_relative = 1e-12);
        assert_relative_eq!(p[b1] - p[b0], q[1], epsilon = 1e-12, max_relative = 1e-12);
        assert!((p[w0] + p[w1]).abs() < 1e-12 && (p[b0] + p[b1]).abs() < 1e-12, "step {k}: z₀ + z₁ moved");
        assert_relative_eq!(t.records[k].loss, lt.records[k].loss, epsilon = 1e-14, max_relative = 1e-12);
    }
    let last = text.steps as usize;
    let end = t.params(last);
    says(
        &text,
        &format!(
            "L = {} at the start, {} after {last} steps, with w₁ − w₀ = {}, b₁ − b₀ = {}",
            num(t.records[0].loss, 3),
            num(t.records[last].loss, 3),
            num(end[w1] - end[w0], 2),
            num(end[b1] - end[b0], 2)
        ),
    );

    // The app's slice: the Hessian's two directions are (w₀ − w₁)/√2 and (b₀ − b₁)/√2, the path
    // stays on it, and the surface there is lesson 13's turned half a turn, axes shrunk by √2.
    // (The signs: |w₀| = |w₁| is a tie, and the first tied component is made positive.)
    use losscape::core::landscape::{Directions, Progress, SurveyCenter, SurveySpec, survey};
    assert_eq!(text.surface.directions, Directions::Hessian);
    let spec = SurveySpec {
        start: o.start(),
        runs: &text.runs,
        steps: text.steps,
        center: SurveyCenter::Start,
        directions: Directions::Hessian,
        span: text.surface.span,
        res: 8,
    };
    let plane = survey(&o, &spec, &Progress::default()).unwrap().plane;
    let half = std::f64::consts::FRAC_1_SQRT_2;
    let (d1, d2) = (&plane.d1, plane.d2.as_ref().unwrap());
    for (d, along) in [(d1, [half, -half, 0.0, 0.0]), (d2, [0.0, 0.0, half, -half])] {
        for (k, i) in [w0, w1, b0, b1].into_iter().enumerate() {
            assert_relative_eq!(d[i], along[k], epsilon = 1e-6);
        }
    }
    assert!((0..t.len()).all(|k| plane.project(t.params(k)).distance < 1e-6));
    let root2 = 2f64.sqrt();
    for (a, c) in [(1.0, -2.0), (-3.0, 0.5), (4.0, 4.0)] {
        let theta: Vec<f64> = (0..4).map(|k| plane.center[k] + a * d1[k] + c * d2[k]).collect();
        assert_relative_eq!(o.loss(&theta, &mut ws), log.loss(&[-root2 * a, -root2 * c], &mut ws), max_relative = 1e-5);
    }
    says(
        &text,
        "the slice along the Hessian's v1 = (w₀ − w₁)/√2 and v2 = (b₀ − b₁)/√2 is exact, the ball never leaves it, and it is lesson 13's surface turned half a turn (v1 runs against w₁ − w₀, v2 against b₁ − b₀), its axes shrunk by √2",
    );
    // So its span is lesson 13's / √2: the same part of the surface.
    assert_relative_eq!(text.surface.span.unwrap() * root2, log_text.surface.span.unwrap(), max_relative = 2e-3);

    // Its "Try": lr 0.5 is lesson 13 with η = 1.
    let fast = session_with("13c_cross_entropy.ron", text.steps, |r| set_lr(r, 2.0 * lr));
    let log_fast = session_with("13_log_loss.ron", text.steps, |r| set_lr(r, 2.0 * log_lr));
    let (a, b) = (fast.runs[0].trajectory.records[last].loss, log_fast.runs[0].trajectory.records[last].loss);
    assert_relative_eq!(a, b, max_relative = 1e-10);
    says(&text, &format!("Try: lr {}: L = {} after {last} steps, lesson 13's with η = {}", 2.0 * lr, num(a, 3), 2.0 * log_lr));
}
