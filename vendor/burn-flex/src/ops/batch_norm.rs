//! Batch normalisation with the batch's own statistics (training), f32, one pass per quantity.
//!
//! Why (ResNet Lab): the default `batch_norm_train` and its backward are written in tensor
//! operations: each statistic swaps the batch and channel axes (a full transposing copy) and the
//! gradient takes about fifteen passes over the activation. Here the statistics are read straight
//! from NCHW memory, channel by channel, and each output is written in one pass:
//! - forward:  mean, variance (two passes, f64 sums), then y = a[c]·(x − mean[c]) + β[c]
//! - backward: Σdy and Σdy·(x − mean) (one pass), then dx = k_dy[c]·dy + k_x[c]·(x − mean[c]) + k_0[c]
//!
//! Other element types return `None` and take the default path.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_std::{Bytes, Shape};

use crate::{FlexTensor, Layout};

/// Below this many elements the work is too small to be worth spreading over threads.
#[cfg(feature = "rayon")]
const PARALLEL_MIN: usize = 1 << 15;

/// [batch, channels, spatial] of an NC… tensor.
fn dims(x: &FlexTensor) -> Option<(usize, usize, usize)> {
    let shape = x.layout().shape();
    if x.dtype() != DType::F32 || shape.num_dims() < 2 {
        return None;
    }
    let (batch, channels) = (shape[0], shape[1]);
    let spatial = shape.num_elements() / (batch * channels).max(1);
    (batch * channels * spatial > 0).then_some((batch, channels, spatial))
}

fn vector(x: &FlexTensor, channels: usize) -> Option<FlexTensor> {
    let x = x.to_contiguous();
    (x.dtype() == DType::F32 && x.layout().num_elements() == channels).then_some(x)
}

fn tensor(data: Vec<f32>, shape: Shape) -> FlexTensor {
    FlexTensor::new(Bytes::from_elems(data), Layout::contiguous(shape), DType::F32)
}

/// `f(c)` for every channel, in parallel when the tensor is large.
fn per_channel<T: Send>(channels: usize, n: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    #[cfg(feature = "rayon")]
    if n >= PARALLEL_MIN {
        use rayon::prelude::*;
        return (0..channels).into_par_iter().map(f).collect();
    }
    let _ = n;
    (0..channels).map(f).collect()
}

/// `out[b, c, :] = f(c, in[b, c, :] planes…)` plane by plane, in parallel when the tensor is large.
fn per_plane(out: &mut [f32], spatial: usize, channels: usize, f: impl Fn(usize, usize, &mut [f32]) + Sync + Send) {
    #[cfg(feature = "rayon")]
    if out.len() >= PARALLEL_MIN {
        use rayon::prelude::*;
        out.par_chunks_mut(spatial).enumerate().for_each(|(i, o)| f(i % channels, i * spatial, o));
        return;
    }
    for (i, o) in out.chunks_mut(spatial).enumerate() {
        f(i % channels, i * spatial, o);
    }
}

/// Σ over channel `c`'s planes of `g(x)` (f32 within a plane, f64 across planes).
#[inline(always)]
fn channel_sum(c: usize, batch: usize, channels: usize, spatial: usize, g: impl Fn(usize) -> f32) -> f64 {
    let mut total = 0.0f64;
    for b in 0..batch {
        let start = (b * channels + c) * spatial;
        let mut s = 0.0f32;
        for i in start..start + spatial {
            s += g(i);
        }
        total += s as f64;
    }
    total
}

/// (output, mean, biased variance) of batch normalisation in training mode.
pub fn try_train(x: &FlexTensor, gamma: &FlexTensor, beta: &FlexTensor, epsilon: f64) -> Option<(FlexTensor, FlexTensor, FlexTensor)> {
    let (batch, channels, spatial) = dims(x)?;
    let (gamma, beta) = (vector(gamma, channels)?, vector(beta, channels)?);
    let shape = x.layout().shape().clone();
    let x = x.to_contiguous();
    let xs: &[f32] = x.storage();
    let n = (batch * spatial) as f64;
    let stats = per_channel(channels, xs.len(), |c| {
        let mean = channel_sum(c, batch, channels, spatial, |i| xs[i]) / n;
        let m = mean as f32;
        let var = channel_sum(c, batch, channels, spatial, |i| (xs[i] - m) * (xs[i] - m)) / n;
        (mean, var)
    });
    let (g, b): (&[f32], &[f32]) = (gamma.storage(), beta.storage());
    // y = a·(x − mean) + β, a = γ/σ (centred first: no cancellation when |mean| ≫ σ).
    let coef: Vec<(f32, f32, f32)> =
        stats.iter().enumerate().map(|(c, &(mean, var))| ((g[c] as f64 / (var + epsilon).sqrt()) as f32, mean as f32, b[c])).collect();
    let mut out = vec![0.0f32; xs.len()];
    per_plane(&mut out, spatial, channels, |c, start, o| {
        let (a, m, b) = coef[c];
        for (y, x) in o.iter_mut().zip(&xs[start..start + spatial]) {
            *y = a * (*x - m) + b;
        }
    });
    let mean = stats.iter().map(|s| s.0 as f32).collect();
    let var = stats.iter().map(|s| s.1 as f32).collect();
    Some((tensor(out, shape), tensor(mean, Shape::from(vec![channels])), tensor(var, Shape::from(vec![channels]))))
}

/// (x_grad, gamma_grad, beta_grad) of [`try_train`] given the output's gradient.
pub fn try_train_backward(
    x: &FlexTensor,
    gamma: &FlexTensor,
    mean: &FlexTensor,
    variance: &FlexTensor,
    epsilon: f64,
    output_grad: &FlexTensor,
) -> Option<(FlexTensor, FlexTensor, FlexTensor)> {
    let (batch, channels, spatial) = dims(x)?;
    if output_grad.dtype() != DType::F32 || output_grad.layout().shape() != x.layout().shape() {
        return None;
    }
    let (gamma, mean, variance) = (vector(gamma, channels)?, vector(mean, channels)?, vector(variance, channels)?);
    let shape = x.layout().shape().clone();
    let (x, dy) = (x.to_contiguous(), output_grad.to_contiguous());
    let (xs, dys): (&[f32], &[f32]) = (x.storage(), dy.storage());
    let (g, m, v): (&[f32], &[f32], &[f32]) = (gamma.storage(), mean.storage(), variance.storage());
    let inv_std: Vec<f64> = v.iter().map(|&v| 1.0 / (v as f64 + epsilon).sqrt()).collect();
    // Σdy and Σdy·(x − mean) per channel.
    let sums = per_channel(channels, xs.len(), |c| {
        let mc = m[c];
        (channel_sum(c, batch, channels, spatial, |i| dys[i]), channel_sum(c, batch, channels, spatial, |i| dys[i] * (xs[i] - mc)))
    });
    let n = (batch * spatial) as f64;
    // dx = γ·σ⁻¹·(dy − Σdy/n − x̂·Σdy·x̂/n), x̂ = (x − mean)·σ⁻¹, as k_dy·dy + k_x·(x − mean) + k_0.
    let coef: Vec<(f32, f32, f32, f32)> = (0..channels)
        .map(|c| {
            let (sum_dy, sum_dyxc) = sums[c];
            let (gi, is) = (g[c] as f64 * inv_std[c], inv_std[c]);
            (gi as f32, (-gi * is * is * sum_dyxc / n) as f32, m[c], (-gi * sum_dy / n) as f32)
        })
        .collect();
    let mut dx = vec![0.0f32; xs.len()];
    per_plane(&mut dx, spatial, channels, |c, start, o| {
        let (k_dy, k_x, mc, k_0) = coef[c];
        for ((d, x), dy) in o.iter_mut().zip(&xs[start..start + spatial]).zip(&dys[start..start + spatial]) {
            *d = k_dy * *dy + k_x * (*x - mc) + k_0;
        }
    });
    let gamma_grad = sums.iter().zip(&inv_std).map(|(s, is)| (s.1 * is) as f32).collect();
    let beta_grad = sums.iter().map(|s| s.0 as f32).collect();
    Some((tensor(dx, shape), tensor(gamma_grad, Shape::from(vec![channels])), tensor(beta_grad, Shape::from(vec![channels]))))
}
