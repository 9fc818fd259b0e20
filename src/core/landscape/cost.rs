//! What a grid costs, so a user sees why a wide network's surface takes time (`losscape info`):
//! its vertices, its flops, and a measured time per vertex on this machine.

use super::grid::GridSpec;
use super::kernel::PlaneLoss;
use super::plane::{Directions, build_plane};
use crate::core::Objective;

/// The work of a `res` × `res` grid (or `res` points of a curve) of an objective.
#[derive(Clone, Debug, PartialEq)]
pub struct GridCost {
    /// Vertices (points of a curve).
    pub vertices: usize,
    /// Flops of one vertex, for a network (its forward pass over the training samples).
    pub flops_per_vertex: Option<f64>,
}

impl GridCost {
    /// The cost of a grid of `res` per side over `objective`'s landscape.
    pub fn of(objective: &Objective, res: usize) -> Self {
        let vertices = if objective.dim() == 1 { res } else { res * res };
        let flops_per_vertex = objective.network().map(|n| n.net.forward_flops() * n.train.n as f64);
        Self { vertices, flops_per_vertex }
    }

    /// All the grid's flops, for a network.
    pub fn flops(&self) -> Option<f64> {
        self.flops_per_vertex.map(|f| f * self.vertices as f64)
    }
}

/// Evaluates `count` vertices of one row of a `res` grid through the objective's start on a
/// random plane (seed 0) with the grid's own kernel, one thread — what a timing of a vertex
/// runs. Returns the losses so the work is not optimised away; `count` is capped at `res`.
pub fn sample_row(objective: &Objective, res: usize, count: usize) -> Vec<f64> {
    let directions =
        if objective.dim() <= 2 { Directions::Axes { i: 0, j: 1 } } else { Directions::Random { seed: 0, include_bias: false } };
    let Ok(plane) = build_plane(objective, objective.start(), &directions, None) else {
        return Vec::new();
    };
    let axis = GridSpec { res, span: 1.0 }.axis();
    let eval = PlaneLoss::new(objective, &plane);
    let mut scratch = eval.scratch();
    let a = &axis[..count.clamp(1, axis.len())];
    let mut out = vec![0.0; a.len()];
    eval.row(axis[axis.len() / 2], a, &mut scratch, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::landscape::testing::{function, reference};

    #[test]
    fn a_networks_grid_costs_its_forward_passes() {
        let o = reference(500);
        let cost = GridCost::of(&o, 64);
        assert_eq!(cost.vertices, 64 * 64);
        // 2-8-8-1: 2·(2·8 + 8·8 + 8·1) = 176 flops a sample.
        assert_eq!(cost.flops_per_vertex, Some(176.0 * 500.0));
        assert_eq!(cost.flops(), Some(176.0 * 500.0 * 4096.0));
        let f = function("x^2 + y^2", &[1.0, 2.0]);
        assert_eq!(GridCost::of(&f, 10), GridCost { vertices: 100, flops_per_vertex: None });
        assert_eq!(GridCost::of(&function("x^2", &[1.0]), 10).vertices, 10);
    }

    #[test]
    fn a_sampled_row_is_the_grids_row() {
        let o = reference(300);
        let row = sample_row(&o, 16, 5);
        assert_eq!(row.len(), 5);
        assert!(row.iter().all(|v| v.is_finite() && *v > 0.0));
        assert_eq!(sample_row(&o, 16, 100).len(), 16);
    }
}
