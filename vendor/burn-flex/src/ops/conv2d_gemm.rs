//! f32 2-D convolution for training, NCHW throughout: one im2col + one GEMM per image for the
//! forward pass and for each gradient (the classic Caffe layout).
//!
//! Why (ResNet Lab): the general path (`conv.rs`, NHWC im2col in 512-pixel tiles) converts every
//! input to NHWC, scatters each tile's result back, and gets its weight gradient from a conv whose
//! kernel is the whole output map (generic `conv2d_weight_backward`): on CIFAR ResNets most of a
//! training step went into copies. Here nothing changes layout:
//! - forward:   out[b] [c_out, P] = W [c_out, K] · col(x[b]) [K, P]
//! - grad x:    dx[b] = col2im(Wᵀ [K, c_out] · dy[b] [c_out, P])
//! - grad W:    dW = Σ_b dy[b] [c_out, P] · col(x[b])ᵀ [P, K]
//!
//! with K = c_in·kh·kw and P = out_h·out_w. Images run in parallel (one GEMM each, one im2col buffer
//! per worker); the weight gradient sums fixed chunks of images in a fixed order, so its result does
//! not depend on the number of threads.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_backend::ops::ConvOptions;
use burn_std::{Bytes, Shape};

use crate::{FlexTensor, Layout};

/// The shape of one convolution (groups = 1).
#[derive(Clone, Copy, Debug)]
pub struct Geometry {
    pub batch: usize,
    pub c_in: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub c_out: usize,
    pub k_h: usize,
    pub k_w: usize,
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
    pub out_h: usize,
    pub out_w: usize,
}

impl Geometry {
    /// Rows of the im2col matrix (one per input channel and kernel tap).
    fn k(&self) -> usize {
        self.c_in * self.k_h * self.k_w
    }
    /// Columns of the im2col matrix (one per output pixel).
    fn p(&self) -> usize {
        self.out_h * self.out_w
    }
    fn in_len(&self) -> usize {
        self.c_in * self.in_h * self.in_w
    }
    fn out_len(&self) -> usize {
        self.c_out * self.p()
    }
    /// A 1×1 kernel at stride 1 without padding: the input already is its im2col matrix.
    fn pointwise(&self) -> bool {
        self.k_h == 1 && self.k_w == 1 && self.stride == [1, 1] && self.padding == [0, 0]
    }
    /// The input plane with its padding made real: (height, width) of a plane that every kernel
    /// tap reads inside of, the input at offset (padding_h, padding_w).
    fn padded(&self) -> (usize, usize) {
        let span = |o: usize, s: usize, k: usize, d: usize| (o - 1) * s + (k - 1) * d + 1;
        (
            span(self.out_h, self.stride[0], self.k_h, self.dilation[0]).max(self.in_h + self.padding[0]),
            span(self.out_w, self.stride[1], self.k_w, self.dilation[1]).max(self.in_w + self.padding[1]),
        )
    }
    /// Floats of scratch one image needs: its im2col matrix and its padded copy.
    fn scratch(&self) -> (usize, usize) {
        if self.pointwise() {
            return (0, 0);
        }
        let (hp, wp) = self.padded();
        (self.k() * self.p(), self.c_in * hp * wp)
    }
}

/// Visits every (im2col row, output row) pair with where its inputs start in the padded image:
/// `f(col_row_slice, padded_start)`; the row's inputs are `padded[start + ox·stride_w]`.
#[inline(always)]
fn for_each_tap(g: &Geometry, col: &mut [f32], mut f: impl FnMut(&mut [f32], usize)) {
    let (hp, wp) = g.padded();
    let p = g.p();
    for c in 0..g.c_in {
        for i in 0..g.k_h {
            for j in 0..g.k_w {
                let row = (c * g.k_h + i) * g.k_w + j;
                let col_row = &mut col[row * p..(row + 1) * p];
                for (oy, dst) in col_row.chunks_exact_mut(g.out_w).enumerate() {
                    f(dst, (c * hp + oy * g.stride[0] + i * g.dilation[0]) * wp + j * g.dilation[1]);
                }
            }
        }
    }
}

/// col [K, P] ← the patches of one image x [c_in, in_h, in_w] (`padded`: scratch for its padded copy).
fn im2col(g: &Geometry, x: &[f32], padded: &mut [f32], col: &mut [f32]) {
    let (hp, wp) = g.padded();
    let [ph, pw] = g.padding;
    padded.fill(0.0);
    for c in 0..g.c_in {
        for y in 0..g.in_h {
            let dst = (c * hp + y + ph) * wp + pw;
            padded[dst..dst + g.in_w].copy_from_slice(&x[(c * g.in_h + y) * g.in_w..][..g.in_w]);
        }
    }
    let (sw, ow) = (g.stride[1], g.out_w);
    for_each_tap(g, col, |dst, start| {
        if sw == 1 {
            for (d, s) in dst.iter_mut().zip(&padded[start..start + ow]) {
                *d = *s;
            }
        } else {
            for (k, d) in dst.iter_mut().enumerate() {
                *d = padded[start + k * sw];
            }
        }
    });
}

/// dx [c_in, in_h, in_w] = the patches of col [K, P] summed back where they came from (`padded`:
/// scratch for the padded gradient).
fn col2im(g: &Geometry, col: &mut [f32], padded: &mut [f32], dx: &mut [f32]) {
    let (hp, wp) = g.padded();
    let [ph, pw] = g.padding;
    padded.fill(0.0);
    let (sw, ow) = (g.stride[1], g.out_w);
    for_each_tap(g, col, |src, start| {
        if sw == 1 {
            for (d, s) in padded[start..start + ow].iter_mut().zip(src.iter()) {
                *d += *s;
            }
        } else {
            for (k, s) in src.iter().enumerate() {
                padded[start + k * sw] += *s;
            }
        }
    });
    for c in 0..g.c_in {
        for y in 0..g.in_h {
            let src = (c * hp + y + ph) * wp + pw;
            dx[(c * g.in_h + y) * g.in_w..][..g.in_w].copy_from_slice(&padded[src..src + g.in_w]);
        }
    }
}

/// dst [m, n] (row-major, contiguous) = (accumulate ? dst : 0) + lhs [m, k] · rhs [k, n], where
/// lhs and rhs are read through their (row, column) strides.
#[allow(clippy::too_many_arguments)]
fn gemm(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    lhs: &[f32],
    lhs_strides: (isize, isize),
    rhs: &[f32],
    rhs_strides: (isize, isize),
    parallel: bool,
) {
    debug_assert!(dst.len() >= m * n);
    #[cfg(feature = "rayon")]
    let parallelism = if parallel { gemm::Parallelism::Rayon(0) } else { gemm::Parallelism::None };
    #[cfg(not(feature = "rayon"))]
    let parallelism = {
        let _ = parallel;
        gemm::Parallelism::None
    };
    // SAFETY: the callers size every slice to cover the strided ranges read and written.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_strides.1,
            lhs_strides.0,
            rhs.as_ptr(),
            rhs_strides.1,
            rhs_strides.0,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

fn threads() -> usize {
    #[cfg(feature = "rayon")]
    return rayon::current_num_threads();
    #[cfg(not(feature = "rayon"))]
    1
}

/// Runs `f(image, chunk)` over `out` cut into one chunk per image, each call with its own scratch
/// buffer of `scratch` floats: the images in parallel when there are at least as many as threads,
/// else one after the other (and `f` is told to let the GEMM use the threads).
fn per_image(out: &mut [f32], chunk: usize, scratch: usize, f: impl Fn(usize, &mut [f32], &mut Vec<f32>, bool) + Sync + Send) {
    let images = out.len() / chunk.max(1);
    #[cfg(feature = "rayon")]
    if images >= threads() && threads() > 1 {
        use rayon::prelude::*;
        out.par_chunks_mut(chunk).enumerate().for_each_init(|| vec![0.0; scratch], |buf, (b, o)| f(b, o, buf, false));
        return;
    }
    let mut buf = vec![0.0; scratch];
    for (b, o) in out.chunks_mut(chunk).enumerate().take(images) {
        f(b, o, &mut buf, threads() > 1);
    }
}

/// out [batch, c_out, out_h, out_w] = conv(x [batch, c_in, in_h, in_w], w [c_out, c_in, k_h, k_w]).
pub fn forward(g: &Geometry, x: &[f32], w: &[f32]) -> Vec<f32> {
    let (k, p) = (g.k(), g.p());
    let mut out = vec![0.0; g.batch * g.out_len()];
    let (col_len, pad_len) = g.scratch();
    per_image(&mut out, g.out_len(), col_len + pad_len, |b, out_b, scratch, par| {
        let x_b = &x[b * g.in_len()..(b + 1) * g.in_len()];
        let (col, padded) = scratch.split_at_mut(col_len);
        let col: &[f32] = if g.pointwise() {
            x_b
        } else {
            im2col(g, x_b, padded, col);
            col
        };
        gemm(g.c_out, p, k, out_b, false, w, (k as isize, 1), col, (p as isize, 1), par);
    });
    out
}

/// dx [batch, c_in, in_h, in_w] from dy [batch, c_out, out_h, out_w] and w.
pub fn grad_x(g: &Geometry, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let (k, p) = (g.k(), g.p());
    let mut dx = vec![0.0; g.batch * g.in_len()];
    let (col_len, pad_len) = g.scratch();
    per_image(&mut dx, g.in_len(), col_len + pad_len, |b, dx_b, scratch, par| {
        let dy_b = &dy[b * g.out_len()..(b + 1) * g.out_len()];
        let (col, padded) = scratch.split_at_mut(col_len);
        // Wᵀ: element (kk, o) of the [K, c_out] matrix is w[o·K + kk].
        if g.pointwise() {
            gemm(k, p, g.c_out, dx_b, false, w, (1, k as isize), dy_b, (p as isize, 1), par);
        } else {
            gemm(k, p, g.c_out, col, false, w, (1, k as isize), dy_b, (p as isize, 1), par);
            col2im(g, col, padded, dx_b);
        }
    });
    dx
}

/// Images per partial sum of the weight gradient: fixed, so the sum's order (and its rounding)
/// is the same on any number of threads.
const W_CHUNK: usize = 4;

/// dW [c_out, c_in, k_h, k_w] from x and dy.
pub fn grad_w(g: &Geometry, x: &[f32], dy: &[f32]) -> Vec<f32> {
    let (k, p) = (g.k(), g.p());
    let chunks = g.batch.div_ceil(W_CHUNK).max(1);
    let mut partials = vec![0.0; chunks * g.c_out * k];
    let (col_len, pad_len) = g.scratch();
    per_image(&mut partials, g.c_out * k, col_len + pad_len, |chunk, acc, scratch, par| {
        let (col, padded) = scratch.split_at_mut(col_len);
        for (i, b) in (chunk * W_CHUNK..((chunk + 1) * W_CHUNK).min(g.batch)).enumerate() {
            let x_b = &x[b * g.in_len()..(b + 1) * g.in_len()];
            let dy_b = &dy[b * g.out_len()..(b + 1) * g.out_len()];
            let col: &[f32] = if g.pointwise() {
                x_b
            } else {
                im2col(g, x_b, padded, col);
                &*col
            };
            // colᵀ: element (pp, kk) of the [P, K] matrix is col[kk·P + pp].
            gemm(g.c_out, k, p, acc, i > 0, dy_b, (p as isize, 1), col, (1, p as isize), par);
        }
    });
    let (first, rest) = partials.split_at_mut(g.c_out * k);
    for part in rest.chunks(g.c_out * k) {
        for (a, b) in first.iter_mut().zip(part) {
            *a += *b;
        }
    }
    partials.truncate(g.c_out * k);
    partials
}

// ============================================================================
// Flex tensors in, Flex tensors out
// ============================================================================

/// The geometry of `conv2d(x, weight)` when this path takes it (f32, groups = 1), else `None`.
fn geometry(x: &FlexTensor, weight: &FlexTensor, options: &ConvOptions<2>) -> Option<Geometry> {
    if x.dtype() != DType::F32 || weight.dtype() != DType::F32 || options.groups != 1 {
        return None;
    }
    if x.layout().shape().num_dims() != 4 || weight.layout().shape().num_dims() != 4 {
        return None;
    }
    let xs = x.layout().shape().dims::<4>();
    let ws = weight.layout().shape().dims::<4>();
    if xs[1] != ws[1] || ws[2] == 0 || ws[3] == 0 {
        return None;
    }
    let out = |d: usize| {
        let (begin, end) = options.padding[d];
        // An empty output (kernel wider than the padded input) is left to the general path.
        let span = options.dilation[d] * (ws[2 + d] - 1) + 1;
        (xs[2 + d] + begin + end >= span).then(|| (xs[2 + d] + begin + end - span) / options.stride[d] + 1)
    };
    let g = Geometry {
        batch: xs[0],
        c_in: xs[1],
        in_h: xs[2],
        in_w: xs[3],
        c_out: ws[0],
        k_h: ws[2],
        k_w: ws[3],
        stride: options.stride,
        padding: options.padding_begin(),
        dilation: options.dilation,
        out_h: out(0)?,
        out_w: out(1)?,
    };
    (g.batch * g.c_in * g.c_out * g.out_h * g.out_w * g.k_h * g.k_w > 0).then_some(g)
}

fn tensor(data: Vec<f32>, shape: [usize; 4]) -> FlexTensor {
    FlexTensor::new(Bytes::from_elems(data), Layout::contiguous(Shape::from(shape.to_vec())), DType::F32)
}

/// The forward convolution, or `None` where the general path must take it.
pub fn try_conv2d(x: &FlexTensor, weight: &FlexTensor, bias: Option<&FlexTensor>, options: &ConvOptions<2>) -> Option<FlexTensor> {
    let g = geometry(x, weight, options)?;
    if bias.is_some_and(|b| b.dtype() != DType::F32) {
        return None;
    }
    let (x, weight) = (x.to_contiguous(), weight.to_contiguous());
    let mut out = forward(&g, x.storage(), weight.storage());
    if let Some(bias) = bias {
        let bias = bias.to_contiguous();
        let bias: &[f32] = bias.storage();
        for (i, plane) in out.chunks_mut(g.p()).enumerate() {
            let b = bias[i % g.c_out];
            plane.iter_mut().for_each(|v| *v += b);
        }
    }
    Some(tensor(out, [g.batch, g.c_out, g.out_h, g.out_w]))
}

/// The input gradient, or `None` where the general path must take it.
pub fn try_grad_x(x: &FlexTensor, weight: &FlexTensor, output_grad: &FlexTensor, options: &ConvOptions<2>) -> Option<FlexTensor> {
    let g = geometry(x, weight, options)?;
    if output_grad.dtype() != DType::F32 || output_grad.layout().shape().dims::<4>() != [g.batch, g.c_out, g.out_h, g.out_w] {
        return None;
    }
    let (weight, dy) = (weight.to_contiguous(), output_grad.to_contiguous());
    Some(tensor(grad_x(&g, dy.storage(), weight.storage()), [g.batch, g.c_in, g.in_h, g.in_w]))
}

/// The weight gradient, or `None` where the general path must take it.
pub fn try_grad_w(x: &FlexTensor, weight: &FlexTensor, output_grad: &FlexTensor, options: &ConvOptions<2>) -> Option<FlexTensor> {
    let g = geometry(x, weight, options)?;
    if output_grad.dtype() != DType::F32 || output_grad.layout().shape().dims::<4>() != [g.batch, g.c_out, g.out_h, g.out_w] {
        return None;
    }
    let (x, dy) = (x.to_contiguous(), output_grad.to_contiguous());
    Some(tensor(grad_w(&g, x.storage(), dy.storage()), [g.c_out, g.c_in, g.k_h, g.k_w]))
}
