//! Loss landscapes (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets"): the loss at
//! θ + a·δ + b·η on a grid of (a, b), around trained weights θ, along two random directions δ, η that are
//! **filter-normalised** — every filter (a conv's output channel, a linear layer's output neuron) of a
//! direction is scaled to the norm of the same filter of θ, so a step of 1 means "as large as the weights
//! themselves" in every layer alike. Biases, BatchNorm parameters and statistics get no direction (zero),
//! as in the paper. The net is evaluated in inference mode on a fixed set of training images.
//!
//! The grid helpers and the roughness summary are plain data (the page uses them); the burn side is
//! behind `compute`.

use serde::{Deserialize, Serialize};

/// `n` evenly spaced values over [−span, span] (n odd, so 0 is one of them).
pub fn axis(n: usize, span: f32) -> Vec<f32> {
    if n < 2 {
        return vec![0.0];
    }
    (0..n).map(|i| -span + 2.0 * span * i as f32 / (n - 1) as f32).collect()
}

/// `f(a, b)` over the grid, one row per b (rows: b, columns: a).
pub fn grid_of(axis: &[f32], mut f: impl FnMut(f32, f32) -> f32) -> Vec<Vec<f32>> {
    axis.iter().map(|&b| axis.iter().map(|&a| f(a, b)).collect()).collect()
}

/// A landscape's shape in numbers, for readouts that compare two nets.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Roughness {
    /// Loss at the trained weights (the grid's centre).
    pub centre: f32,
    /// Mean loss on the grid's border: how far the loss climbs within the span.
    pub border_mean: f32,
    /// Share of interior points where the surface curves down (the 5-point discrete Laplacian is
    /// negative): 0 for a bowl, larger for a bumpy, non-convex surface.
    pub nonconvex_share: f32,
}

impl Roughness {
    /// `None` unless the grid is square, odd-sized, at least 3×3 and finite everywhere.
    pub fn of(grid: &[Vec<f32>]) -> Option<Roughness> {
        let n = grid.len();
        if n < 3 || n.is_multiple_of(2) || grid.iter().any(|r| r.len() != n || r.iter().any(|v| !v.is_finite())) {
            return None;
        }
        let mut border = Vec::new();
        for (i, row) in grid.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                if i == 0 || j == 0 || i == n - 1 || j == n - 1 {
                    border.push(v);
                }
            }
        }
        let mut concave = 0;
        for i in 1..n - 1 {
            for j in 1..n - 1 {
                let lap = grid[i + 1][j] + grid[i - 1][j] + grid[i][j + 1] + grid[i][j - 1] - 4.0 * grid[i][j];
                if lap < 0.0 {
                    concave += 1;
                }
            }
        }
        Some(Roughness {
            centre: grid[n / 2][n / 2],
            border_mean: border.iter().sum::<f32>() / border.len() as f32,
            nonconvex_share: concave as f32 / ((n - 2) * (n - 2)) as f32,
        })
    }
}

/// Contour segments of `level` through the cell grid (`v[row][col]`), in cell coordinates.
pub fn contour(v: &[Vec<f64>], level: f64) -> Vec<((f64, f64), (f64, f64))> {
    let mut out = Vec::new();
    for i in 0..v.len().saturating_sub(1) {
        for j in 0..v[i].len().saturating_sub(1) {
            // Corners clockwise from top-left: (x = column, y = row).
            let c = [
                (j as f64, i as f64, v[i][j]),
                (j as f64 + 1.0, i as f64, v[i][j + 1]),
                (j as f64 + 1.0, i as f64 + 1.0, v[i + 1][j + 1]),
                (j as f64, i as f64 + 1.0, v[i + 1][j]),
            ];
            if c.iter().any(|p| !p.2.is_finite()) {
                continue;
            }
            let mut pts = Vec::new();
            for k in 0..4 {
                let (p, q) = (c[k], c[(k + 1) % 4]);
                if (p.2 < level) != (q.2 < level) {
                    let t = (level - p.2) / (q.2 - p.2);
                    pts.push((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1)));
                }
            }
            for pair in pts.chunks_exact(2) {
                out.push((pair[0], pair[1]));
            }
        }
    }
    out
}

#[cfg(feature = "compute")]
pub use compute::*;

#[cfg(feature = "compute")]
mod compute {
    use burn::module::{ModuleMapper, ModuleVisitor, Param};
    use burn::nn::loss::CrossEntropyLossConfig;
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use crate::lab::experiment::RunError;
    use crate::lab::model::Net;
    use crate::lab::probes::read_floats;

    /// θ and the two directions, one flat tensor per float parameter of the net, in module order.
    pub struct Directions {
        pub base: Vec<Tensor<1>>,
        pub delta: Vec<Tensor<1>>,
        pub eta: Vec<Tensor<1>>,
        /// Each parameter's shape, and whether it got a direction (weights of convs and linear layers).
        pub shapes: Vec<Vec<usize>>,
        pub directed: Vec<bool>,
    }

    struct Walk {
        path: Vec<String>,
        base: Vec<Tensor<1>>,
        dirs: [Vec<Tensor<1>>; 2],
        shapes: Vec<Vec<usize>>,
        directed: Vec<bool>,
    }

    impl ModuleVisitor for Walk {
        fn enter_module(&mut self, name: &str, _container: &str) {
            self.path.push(name.to_string());
        }

        fn exit_module(&mut self, _name: &str, _container: &str) {
            self.path.pop();
        }

        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let theta = param.val();
            let dims = theta.dims().to_vec();
            let n: usize = dims.iter().product();
            let directed = (D == 4 || D == 2) && self.path.last().map(String::as_str) == Some("weight");
            self.base.push(theta.clone().reshape([n]));
            self.shapes.push(dims.clone());
            self.directed.push(directed);
            for dir in self.dirs.iter_mut() {
                if !directed {
                    dir.push(Tensor::zeros([n], &theta.device()));
                    continue;
                }
                // One row per filter: a conv's [out, in, kh, kw] → [out, in·kh·kw]; burn's linear weight is
                // [in, out], so its output neurons are its columns.
                let rows: Tensor<2> = if D == 2 {
                    theta.clone().reshape([dims[0], dims[1]]).swap_dims(0, 1)
                } else {
                    theta.clone().reshape([dims[0], n / dims[0]])
                };
                let d = Tensor::<2>::random(rows.shape(), Distribution::Normal(0.0, 1.0), &theta.device());
                let norm = |t: Tensor<2>| t.powi_scalar(2).sum_dim(1).sqrt(); // [filters, 1]
                let scaled = d.clone() * (norm(rows) / (norm(d) + 1e-10));
                let back = if D == 2 { scaled.swap_dims(0, 1) } else { scaled };
                dir.push(back.reshape([n]));
            }
        }
    }

    /// Two filter-normalised random directions around `net`'s weights, seeded by `seed`.
    pub fn directions(net: &Net, seed: u64, device: &Device) -> Directions {
        device.seed(seed);
        let mut w = Walk { path: vec![], base: vec![], dirs: [vec![], vec![]], shapes: vec![], directed: vec![] };
        net.visit(&mut w);
        let [delta, eta] = w.dirs;
        Directions { base: w.base, delta, eta, shapes: w.shapes, directed: w.directed }
    }

    struct Shift<'a> {
        dirs: &'a Directions,
        a: f32,
        b: f32,
        k: usize,
    }

    impl ModuleMapper for Shift<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let k = self.k;
            self.k += 1;
            let (a, b, d) = (self.a, self.b, self.dirs);
            if !d.directed[k] {
                return param;
            }
            param.map(|t| {
                let shape = t.shape();
                (d.base[k].clone() + d.delta[k].clone().mul_scalar(a) + d.eta[k].clone().mul_scalar(b)).reshape(shape)
            })
        }
    }

    /// `net` moved to θ + a·δ + b·η.
    pub fn shifted(net: &Net, dirs: &Directions, a: f32, b: f32) -> Net {
        net.clone().map(&mut Shift { dirs, a, b, k: 0 })
    }

    /// One row of the grid: the loss at every a of `axis` for this b, on images `x` with labels `y`,
    /// read back in one transfer.
    pub async fn row(net: &Net, dirs: &Directions, axis: &[f32], b: f32, x: &Tensor<4>, y: &Tensor<1, Int>) -> Result<Vec<f32>, RunError> {
        let loss_fn = CrossEntropyLossConfig::new().init(&x.device());
        let losses: Vec<Tensor<1>> =
            axis.iter().map(|&a| loss_fn.forward(shifted(net, dirs, a, b).forward(x.clone()), y.clone()).reshape([1])).collect();
        read_floats(Tensor::cat(losses, 0)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quadratic_gives_back_its_parabola_and_a_smooth_bowl() {
        let ax = axis(7, 1.5);
        assert_eq!(ax.len(), 7);
        assert_eq!((ax[0], ax[3], ax[6]), (-1.5, 0.0, 1.5));
        let g = grid_of(&ax, |a, b| 3.0 * a * a + 2.0 * b * b + 1.0);
        // The centre row (b = 0) is the 1-D slice along δ: 3a² + 1.
        for (j, &a) in ax.iter().enumerate() {
            assert!((g[3][j] - (3.0 * a * a + 1.0)).abs() < 1e-5);
        }
        let r = Roughness::of(&g).unwrap();
        assert_eq!((r.centre, r.nonconvex_share), (1.0, 0.0));
        assert!(r.border_mean > 5.0);
        // A bumpy surface curves down in places.
        let bumpy = grid_of(&ax, |a, b| (4.0 * a).sin() + (4.0 * b).cos() + a * a);
        assert!(Roughness::of(&bumpy).unwrap().nonconvex_share > 0.2);
        assert!(Roughness::of(&grid_of(&axis(4, 1.0), |_, _| 1.0)).is_none(), "even grids have no centre");
    }

    #[test]
    fn a_bowl_has_closed_contours_around_its_centre() {
        let v: Vec<Vec<f64>> = (0..5).map(|i| (0..5).map(|j| (i as f64 - 2.0).powi(2) + (j as f64 - 2.0).powi(2)).collect()).collect();
        let segs = contour(&v, 1.5);
        assert!(segs.len() >= 4, "{segs:?}");
        for ((x0, y0), (x1, y1)) in segs {
            for (x, y) in [(x0, y0), (x1, y1)] {
                let r = ((x - 2.0).powi(2) + (y - 2.0).powi(2)).sqrt();
                assert!((0.9..1.6).contains(&r), "{x} {y}");
            }
        }
        assert!(contour(&v, 100.0).is_empty());
    }
}
