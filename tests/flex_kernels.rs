//! The lab's own CPU kernels in vendor/burn-flex (conv2d by im2col + GEMM, fused training batch
//! norm) against references computed another way: direct loops in f64 and finite differences.

use burn::prelude::*;
use burn::tensor::module::{batch_norm_train, conv2d, conv3d};
use burn::tensor::ops::ConvOptions;
use burn::tensor::TensorData;

/// Deterministic values in [-0.5, 0.5).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect()
}

fn tensor<const D: usize>(data: Vec<f32>, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(data, shape), device)
}

fn vec_of<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn max_diff(a: &[f32], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (*x as f64 - y).abs()).fold(0.0, f64::max)
}

struct Case {
    x: [usize; 4],
    w: [usize; 4],
    stride: [usize; 2],
    padding: [(usize, usize); 2],
    dilation: [usize; 2],
    groups: usize,
}

impl Case {
    fn out(&self) -> [usize; 4] {
        let o = |d: usize| {
            (self.x[2 + d] + self.padding[d].0 + self.padding[d].1 - self.dilation[d] * (self.w[2 + d] - 1) - 1) / self.stride[d] + 1
        };
        [self.x[0], self.w[0], o(0), o(1)]
    }

    fn options(&self) -> ConvOptions<2> {
        ConvOptions::new_with_padding(self.stride, self.padding, self.dilation, self.groups)
    }

    /// (output, dL/dx, dL/dw, dL/dbias) for L = Σ output·r, by direct loops in f64.
    fn reference(&self, x: &[f32], w: &[f32], bias: &[f32], r: &[f32]) -> [Vec<f64>; 4] {
        let [b, c, h, wd] = self.x;
        let [o, cg, kh, kw] = self.w;
        let [_, _, oh, ow] = self.out();
        let og = o / self.groups;
        let (mut out, mut dx, mut dw, mut db) = (vec![0.0; b * o * oh * ow], vec![0.0; x.len()], vec![0.0; w.len()], vec![0.0; o]);
        for n in 0..b {
            for oc in 0..o {
                let g = oc / og;
                for oy in 0..oh {
                    for ox in 0..ow {
                        let oi = ((n * o + oc) * oh + oy) * ow + ox;
                        let mut acc = bias[oc] as f64;
                        for ci in 0..cg {
                            let ic = g * cg + ci;
                            for i in 0..kh {
                                for j in 0..kw {
                                    let iy = (oy * self.stride[0] + i * self.dilation[0]) as isize - self.padding[0].0 as isize;
                                    let ix = (ox * self.stride[1] + j * self.dilation[1]) as isize - self.padding[1].0 as isize;
                                    if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                        continue;
                                    }
                                    let xi = ((n * c + ic) * h + iy as usize) * wd + ix as usize;
                                    let wi = ((oc * cg + ci) * kh + i) * kw + j;
                                    acc += x[xi] as f64 * w[wi] as f64;
                                    dx[xi] += r[oi] as f64 * w[wi] as f64;
                                    dw[wi] += r[oi] as f64 * x[xi] as f64;
                                }
                            }
                        }
                        out[oi] = acc;
                        db[oc] += r[oi] as f64;
                    }
                }
            }
        }
        [out, dx, dw, db]
    }

    /// The same four from burn on flex: conv2d (the lab's path) or conv3d with a depth of 1 (flex's
    /// own general path).
    fn burn(&self, x: &[f32], w: &[f32], bias: &[f32], r: &[f32], as_3d: bool) -> [Vec<f32>; 4] {
        let ad = Device::flex().autodiff();
        let xt = tensor(x.to_vec(), self.x, &ad).require_grad();
        let wt = tensor(w.to_vec(), self.w, &ad).require_grad();
        let bt = tensor(bias.to_vec(), [self.w[0]], &ad).require_grad();
        let out = if as_3d {
            // conv3d takes symmetric padding only: pad the input explicitly.
            let [b, c, h, wd] = self.x;
            let [o, cg, kh, kw] = self.w;
            let [(t, bo), (l, r)] = self.padding;
            let xp = xt.clone().pad([(t, bo), (l, r)], burn::tensor::ops::PadMode::Constant(0.0));
            let opts =
                ConvOptions::new([1, self.stride[0], self.stride[1]], [0, 0, 0], [1, self.dilation[0], self.dilation[1]], self.groups);
            let (hp, wp) = (h + t + bo, wd + l + r);
            let y = conv3d(xp.reshape([b, c, 1, hp, wp]), wt.clone().reshape([o, cg, 1, kh, kw]), Some(bt.clone()), opts);
            let [_, _, oh, ow] = self.out();
            y.reshape([b, o, oh, ow])
        } else {
            conv2d(xt.clone(), wt.clone(), Some(bt.clone()), self.options())
        };
        let loss = (out.clone() * tensor(r.to_vec(), self.out(), &ad)).sum();
        let grads = loss.backward();
        [vec_of(out.inner()), vec_of(xt.grad(&grads).unwrap()), vec_of(wt.grad(&grads).unwrap()), vec_of(bt.grad(&grads).unwrap())]
    }
}

#[test]
fn conv2d_forward_and_gradients_match_direct_loops_and_the_general_path() {
    let cases = [
        // ResNet's 3×3, stride 1 and 2, and the 1×1 projection (stride 2) and pointwise (stride 1).
        Case { x: [3, 4, 9, 7], w: [5, 4, 3, 3], stride: [1, 1], padding: [(1, 1), (1, 1)], dilation: [1, 1], groups: 1 },
        Case { x: [2, 3, 8, 8], w: [6, 3, 3, 3], stride: [2, 2], padding: [(1, 1), (1, 1)], dilation: [1, 1], groups: 1 },
        Case { x: [5, 4, 8, 8], w: [3, 4, 1, 1], stride: [2, 2], padding: [(0, 0), (0, 0)], dilation: [1, 1], groups: 1 },
        Case { x: [4, 4, 6, 6], w: [3, 4, 1, 1], stride: [1, 1], padding: [(0, 0), (0, 0)], dilation: [1, 1], groups: 1 },
        // A 7×7 stem at stride 2, uneven strides, dilation and asymmetric padding.
        Case { x: [1, 2, 12, 12], w: [4, 2, 7, 7], stride: [2, 2], padding: [(3, 3), (3, 3)], dilation: [1, 1], groups: 1 },
        Case { x: [2, 2, 11, 10], w: [3, 2, 5, 3], stride: [2, 3], padding: [(2, 1), (0, 2)], dilation: [1, 2], groups: 1 },
        // More images than threads and an odd count (the weight gradient's chunks of 4).
        Case { x: [9, 3, 6, 6], w: [4, 3, 3, 3], stride: [1, 1], padding: [(1, 1), (1, 1)], dilation: [1, 1], groups: 1 },
        // Grouped: the path the lab's kernels leave to flex (through conv3d).
        Case { x: [2, 4, 6, 6], w: [6, 2, 3, 3], stride: [1, 1], padding: [(1, 1), (1, 1)], dilation: [1, 1], groups: 2 },
        Case { x: [2, 4, 7, 6], w: [4, 2, 3, 3], stride: [1, 2], padding: [(2, 0), (1, 2)], dilation: [1, 1], groups: 2 },
    ];
    for (i, case) in cases.iter().enumerate() {
        let n = |s: [usize; 4]| s.iter().product::<usize>();
        let x = values(n(case.x), 1 + i as u64);
        let w = values(n(case.w), 100 + i as u64);
        let bias = values(case.w[0], 200 + i as u64);
        let r = values(n(case.out()), 300 + i as u64);
        let want = case.reference(&x, &w, &bias, &r);
        let got = case.burn(&x, &w, &bias, &r, false);
        let general = case.burn(&x, &w, &bias, &r, true);
        for (k, name) in ["output", "x grad", "weight grad", "bias grad"].iter().enumerate() {
            let tol = 1e-4 * (1.0 + want[k].iter().fold(0.0f64, |m, v| m.max(v.abs())));
            let d = max_diff(&got[k], &want[k]);
            assert!(d < tol, "case {i}: conv2d {name} differs from direct loops by {d:e} (tolerance {tol:e})");
            let d = max_diff(&general[k], &want[k]);
            assert!(d < tol, "case {i}: the general path's {name} differs from direct loops by {d:e}");
        }
    }
}

/// Training batch norm's output and statistics against f64 sums, and its gradients against
/// central finite differences of an f64 forward.
#[test]
fn batch_norm_train_matches_f64_and_finite_differences() {
    let (b, c, h, w) = (3, 4, 5, 3);
    let eps = 1e-5;
    // Channels with a large mean and a small spread: a cancellation-prone case.
    let x: Vec<f32> = values(b * c * h * w, 7).iter().enumerate().map(|(i, v)| v + 20.0 * ((i / (h * w)) % c) as f32).collect();
    let gamma = values(c, 8).iter().map(|v| 1.0 + v).collect::<Vec<_>>();
    let beta = values(c, 9);
    let r = values(x.len(), 10);
    let plane = h * w;
    let forward = |x: &[f64]| -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let n = (b * plane) as f64;
        let idx = |n_: usize, ch: usize, s: usize| (n_ * c + ch) * plane + s;
        let mut y = vec![0.0; x.len()];
        let (mut means, mut vars) = (vec![0.0; c], vec![0.0; c]);
        for ch in 0..c {
            let mean = (0..b).flat_map(|n_| (0..plane).map(move |s| (n_, s))).map(|(n_, s)| x[idx(n_, ch, s)]).sum::<f64>() / n;
            let var =
                (0..b).flat_map(|n_| (0..plane).map(move |s| (n_, s))).map(|(n_, s)| (x[idx(n_, ch, s)] - mean).powi(2)).sum::<f64>() / n;
            for n_ in 0..b {
                for s in 0..plane {
                    let i = idx(n_, ch, s);
                    y[i] = (x[i] - mean) / (var + eps).sqrt() * gamma[ch] as f64 + beta[ch] as f64;
                }
            }
            means[ch] = mean;
            vars[ch] = var;
        }
        (y, means, vars)
    };
    let loss = |x: &[f64]| forward(x).0.iter().zip(&r).map(|(y, r)| y * *r as f64).sum::<f64>();
    let x64: Vec<f64> = x.iter().map(|v| *v as f64).collect();
    let (want_y, want_mean, want_var) = forward(&x64);

    let ad = Device::flex().autodiff();
    let xt = tensor(x.clone(), [b, c, h, w], &ad).require_grad();
    let gt = tensor(gamma.clone(), [c], &ad).require_grad();
    let bt = tensor(beta.clone(), [c], &ad).require_grad();
    let out = batch_norm_train(xt.clone(), gt.clone(), bt.clone(), eps);
    let grads = (out.output.clone() * tensor(r.clone(), [b, c, h, w], &ad)).sum().backward();
    assert!(max_diff(&vec_of(out.output.inner()), &want_y) < 1e-3, "batch norm output");
    assert!(max_diff(&vec_of(out.mean.inner()), &want_mean) < 1e-4, "batch mean");
    assert!(max_diff(&vec_of(out.variance.inner()), &want_var) < 1e-4, "batch variance");

    let dx = vec_of(xt.grad(&grads).unwrap());
    let step = 1e-4;
    for i in (0..x.len()).step_by(7) {
        let (mut up, mut down) = (x64.clone(), x64.clone());
        up[i] += step;
        down[i] -= step;
        let fd = (loss(&up) - loss(&down)) / (2.0 * step);
        assert!((dx[i] as f64 - fd).abs() < 2e-3 * (1.0 + fd.abs()), "dL/dx[{i}]: {} vs finite difference {fd}", dx[i]);
    }
    // dL/dγ = Σ r·x̂ and dL/dβ = Σ r: written directly from the f64 forward.
    let (dg, db) = (vec_of(gt.grad(&grads).unwrap()), vec_of(bt.grad(&grads).unwrap()));
    for ch in 0..c {
        let (mut sg, mut sb) = (0.0, 0.0);
        for n_ in 0..b {
            for s in 0..plane {
                let i = (n_ * c + ch) * plane + s;
                sg += r[i] as f64 * (want_y[i] - beta[ch] as f64) / gamma[ch] as f64;
                sb += r[i] as f64;
            }
        }
        assert!((dg[ch] as f64 - sg).abs() < 1e-3 * (1.0 + sg.abs()), "dL/dγ[{ch}]: {} vs {sg}", dg[ch]);
        assert!((db[ch] as f64 - sb).abs() < 1e-4 * (1.0 + sb.abs()), "dL/dβ[{ch}]: {} vs {sb}", db[ch]);
    }
}
