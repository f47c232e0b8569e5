//! The residual block: `out = act(F(x) ⊕ s(x))`, where ⊕ is the chosen skip variant.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation;

use super::spec::{se_hidden, Act, BlockKind, Skip};

/// He (fan-out) init for convs, as torchvision does for ResNets; no bias (BN follows).
pub fn conv(cin: usize, cout: usize, k: usize, stride: usize, device: &Device) -> Conv2d {
    conv_b(cin, cout, k, stride, false, device)
}

/// [`conv`] with an optional bias (the course's plain CNNs keep PyTorch's default bias).
pub fn conv_b(cin: usize, cout: usize, k: usize, stride: usize, bias: bool, device: &Device) -> Conv2d {
    conv_g(cin, cout, k, stride, 1, bias, device)
}

/// [`conv_b`] split into `groups` independent convolutions (ResNeXt's grouped 3×3).
pub fn conv_g(cin: usize, cout: usize, k: usize, stride: usize, groups: usize, bias: bool, device: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [k, k])
        .with_stride([stride, stride])
        .with_groups(groups)
        .with_padding(PaddingConfig2d::Explicit(k / 2, k / 2, k / 2, k / 2))
        .with_bias(bias)
        .with_initializer(Initializer::KaimingNormal { gain: 2f64.sqrt(), fan_out_only: true })
        .init(device)
}

pub fn bn(c: usize, device: &Device) -> BatchNorm {
    BatchNormConfig::new(c).init(device)
}

pub fn apply_act<const D: usize>(act: Act, x: Tensor<D>) -> Tensor<D> {
    match act {
        Act::Relu => activation::relu(x),
        Act::Gelu => activation::gelu(x),
        Act::LeakyRelu => activation::leaky_relu(x, 0.01),
        Act::Tanh => activation::tanh(x),
    }
}

/// 1×1 conv (+ BN, except in pre-activation nets) on the shortcut where the shape changes (option B).
#[derive(Module, Debug)]
pub struct Projection {
    conv: Conv2d,
    bn: Option<BatchNorm>,
}

impl Projection {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = self.conv.forward(x);
        match &self.bn {
            Some(bn) => bn.forward(y),
            None => y,
        }
    }
}

/// Squeeze-and-excitation: a per-channel gate in (0, 1) from the branch's global average.
#[derive(Module, Debug)]
pub struct SqueezeExcite {
    fc1: Linear,
    fc2: Linear,
}

impl SqueezeExcite {
    /// A gate for `cout` channels read from a tensor of `cin` channels, hidden width cout / r.
    fn new(cin: usize, cout: usize, r: usize, device: &Device) -> Self {
        let hidden = se_hidden(cout, r);
        Self { fc1: LinearConfig::new(cin, hidden).init(device), fc2: LinearConfig::new(hidden, cout).init(device) }
    }

    /// `[b, cin, h, w]` → gate `[b, cout, 1, 1]`.
    fn gate(&self, f: &Tensor<4>) -> Tensor<4> {
        let [b, c, _, _] = f.dims();
        let s = f.clone().mean_dims(&[2, 3]).reshape([b, c]); // [b, cin]
        let a = activation::sigmoid(self.fc2.forward(activation::relu(self.fc1.forward(s)))); // [b, cout]
        let cout = a.dims()[1];
        a.reshape([b, cout, 1, 1])
    }
}

/// The residual block's tensors for one input, for probes (Exercise 3): the block input x, the
/// residual branch F(x) exactly as it is added, and the block output.
#[derive(Clone, Debug)]
pub struct BlockTap {
    pub input: Tensor<4>,
    pub residual: Tensor<4>,
    /// F(x) + shortcut(x), before the block's activation.
    pub sum: Tensor<4>,
    pub output: Tensor<4>,
    /// The attention variants' gate on F(x), `[b, c, 1, 1]`.
    pub gate: Option<Tensor<4>>,
}

#[derive(Module, Debug)]
pub struct Block {
    conv1: Conv2d,
    bn1: BatchNorm,
    conv2: Conv2d,
    bn2: BatchNorm,
    /// Bottleneck only: the 1×1 expand.
    conv3: Option<Conv2d>,
    bn3: Option<BatchNorm>,
    proj: Option<Projection>,
    /// Option-A shortcut subsampling (stride 2) when the shape changes.
    pool: Option<MaxPool2d>,
    channel_weight: Option<Param<Tensor<1>>>,
    se: Option<SqueezeExcite>,
    /// Exercise 5's attention: the gate on F(x) read from x.
    se_x: Option<SqueezeExcite>,
    /// Dense variant's second path G(x): one 3×3 conv + BN.
    g_conv: Option<Conv2d>,
    g_bn: Option<BatchNorm>,
    /// WRN's dropout between the two convs.
    dropout: Option<Dropout>,
    #[module(skip)]
    kind: BlockKind,
    in_channels: usize,
    out_channels: usize,
    #[module(skip)]
    skip: Skip,
    #[module(skip)]
    act: Act,
    preact: bool,
    /// Activation after the sum (every ResNet); Exercise 1's PlainConvNet ends its blocks at BN.
    post_act: bool,
    /// `x + α·F(x)`: a fixed (not learned) strength on the residual branch.
    #[module(skip)]
    alpha: f32,
}

/// How to build a [`Block`]: from `cin` to `width × expansion` channels, burn-style
/// (`BlockConfig::new(kind, cin, width).with_stride(2).init(&device)`).
#[derive(Config, Debug)]
pub struct BlockConfig {
    pub kind: BlockKind,
    pub cin: usize,
    /// Output channels of a basic block; the bottleneck's inner width (it outputs 4 × width).
    pub width: usize,
    #[config(default = 1)]
    pub stride: usize,
    #[config(default = "Skip::Identity")]
    pub skip: Skip,
    /// BN-act-conv order (He et al. 2016) instead of conv-BN-act.
    #[config(default = false)]
    pub preact: bool,
    #[config(default = "Act::Relu")]
    pub act: Act,
    /// Biased convolutions (Exercise 1's PlainConvNet keeps PyTorch's default).
    #[config(default = false)]
    pub bias: bool,
    /// Activation after the sum (every ResNet); Exercise 1's PlainConvNet ends its blocks at BN.
    #[config(default = true)]
    pub post_act: bool,
    /// Fixed strength of the residual branch: `x + α·F(x)` (skip patterns; see [`super::spec::Gene`]).
    #[config(default = 1.0)]
    pub alpha: f32,
    /// Channels of the inner conv (a bottleneck's 3×3, a dense layer's 1×1); `None` = `width`.
    #[config(default = "None")]
    pub inner: Option<usize>,
    /// Groups of a bottleneck's 3×3 (ResNeXt's cardinality).
    #[config(default = 1)]
    pub groups: usize,
    /// SE gate reduction r (attention skips).
    #[config(default = 4)]
    pub se_reduction: usize,
    /// BN after a projection shortcut's conv.
    #[config(default = true)]
    pub shortcut_norm: bool,
    /// Dropout probability between a basic block's convs (0 = none).
    #[config(default = 0.0)]
    pub dropout: f64,
}

impl BlockConfig {
    pub fn init(&self, device: &Device) -> Block {
        let BlockConfig {
            kind,
            cin,
            width,
            stride,
            skip,
            preact,
            act,
            bias: b,
            post_act,
            alpha,
            inner,
            groups,
            se_reduction: r,
            shortcut_norm,
            dropout,
        } = self.clone();
        let conv = |cin, cout, k, stride, device| conv_b(cin, cout, k, stride, b, device);
        let cout = kind.out_channels(cin, width);
        let inner = inner.unwrap_or(width);
        // A dense layer concatenates: it has no shortcut to shape.
        let (skip, stride) = if kind == BlockKind::DenseLayer { (Skip::Identity, 1) } else { (skip, stride) };
        let shape_changes = kind != BlockKind::DenseLayer && (stride != 1 || cin != cout);
        let (conv1, conv2, conv3) = match kind {
            BlockKind::Basic => (conv(cin, width, 3, stride, device), conv(width, width, 3, 1, device), None),
            // Stride on the 3×3 (ResNet v1.5, torchvision).
            BlockKind::Bottleneck => {
                (conv(cin, inner, 1, 1, device), conv_g(inner, inner, 3, stride, groups, b, device), Some(conv(inner, cout, 1, 1, device)))
            }
            BlockKind::DenseLayer => (conv(cin, inner, 1, 1, device), conv(inner, width, 3, 1, device), None),
            BlockKind::Transition => panic!("a transition is a `Transition`, not a block"),
        };
        // Pre-activation normalises each conv's input; post-activation each conv's output.
        let (bn1, bn2, bn3) = match (kind, preact) {
            (BlockKind::Basic, false) => (bn(width, device), bn(width, device), None),
            (BlockKind::Basic, true) => (bn(cin, device), bn(width, device), None),
            (BlockKind::Bottleneck, false) => (bn(inner, device), bn(inner, device), Some(bn(cout, device))),
            (BlockKind::Bottleneck, true) => (bn(cin, device), bn(inner, device), Some(bn(inner, device))),
            (_, _) => (bn(cin, device), bn(inner, device), None),
        };
        let preact = preact || kind == BlockKind::DenseLayer;
        let option_a = skip == Skip::Identity;
        let proj = (skip.has_shortcut() && shape_changes && !option_a)
            .then(|| Projection { conv: conv(cin, cout, 1, stride, device), bn: shortcut_norm.then(|| bn(cout, device)) });
        let pool =
            (skip.has_shortcut() && option_a && stride != 1).then(|| MaxPool2dConfig::new([1, 1]).with_strides([stride, stride]).init());
        let channel_weight = (skip == Skip::ChannelWeight).then(|| Initializer::Constant { value: 0.5 }.init([cout], device));
        let se = (skip == Skip::Attention).then(|| SqueezeExcite::new(cout, cout, r, device));
        let se_x = (skip == Skip::XAttention).then(|| SqueezeExcite::new(cin, cout, r, device));
        let dense = skip == Skip::Dense;
        Block {
            conv1,
            bn1,
            conv2,
            bn2,
            conv3,
            bn3,
            proj,
            pool,
            channel_weight,
            se,
            se_x,
            g_conv: dense.then(|| conv(cin, cout, 3, stride, device)),
            g_bn: dense.then(|| bn(cout, device)),
            dropout: (dropout > 0.0 && kind == BlockKind::Basic).then(|| DropoutConfig::new(dropout).init()),
            kind,
            in_channels: cin,
            out_channels: cout,
            skip,
            act,
            preact,
            post_act,
            alpha,
        }
    }
}

impl Block {
    /// The learned weight per channel of `x + w ⊙ F(x)`, for the channel-weighting variant.
    pub fn channel_weights(&self) -> Option<Tensor<1>> {
        self.channel_weight.as_ref().map(|w| w.val())
    }

    /// Sets the last BatchNorm of F to γ = β = 0, so the block starts as its shortcut alone
    /// (torchvision's `zero_init_residual`; with an identity skip the block is then the identity on x ≥ 0).
    pub fn zero_residual(mut self) -> Self {
        let last = match self.bn3.take() {
            Some(b3) if !self.preact => {
                self.bn3 = Some(zero_bn(b3));
                return self;
            }
            other => {
                self.bn3 = other;
                &mut self.bn2
            }
        };
        let bn = std::mem::replace(last, bn(1, &Device::flex()));
        *last = zero_bn(bn);
        self
    }

    pub fn out_channels(&self) -> usize {
        self.out_channels
    }

    /// The residual branch F(x).
    pub fn branch(&self, x: Tensor<4>) -> Tensor<4> {
        self.branch_and_shortcut(x).0
    }

    /// F(x) and the shortcut s(x). A pre-activation block projects the normalised x (He et al.
    /// 2016, WRN): its BN-ReLU is shared by both paths.
    fn branch_and_shortcut(&self, x: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let a = self.act;
        let drop = |f: Tensor<4>| match &self.dropout {
            Some(d) => d.forward(f),
            None => f,
        };
        if self.preact {
            let pre = apply_act(a, self.bn1.forward(x.clone()));
            let s = match &self.proj {
                Some(p) => p.forward(pre.clone()),
                None => self.shortcut(x),
            };
            let f = self.conv1.forward(pre);
            let f = self.conv2.forward(drop(apply_act(a, self.bn2.forward(f))));
            let f = match (&self.conv3, &self.bn3) {
                (Some(c3), Some(b3)) => c3.forward(apply_act(a, b3.forward(f))),
                _ => f,
            };
            (f, s)
        } else {
            let f = drop(apply_act(a, self.bn1.forward(self.conv1.forward(x.clone()))));
            let f = self.bn2.forward(self.conv2.forward(f));
            let f = match (&self.conv3, &self.bn3) {
                (Some(c3), Some(b3)) => b3.forward(c3.forward(apply_act(a, f))),
                _ => f,
            };
            (f, self.shortcut(x))
        }
    }

    /// The shortcut s(x): identity, option-A subsample + zero-pad, or projection (of the raw x; a
    /// pre-activation block's forward pass projects the normalised x instead).
    pub fn shortcut(&self, x: Tensor<4>) -> Tensor<4> {
        if let Some(p) = &self.proj {
            return p.forward(x);
        }
        let x = match &self.pool {
            Some(pool) => pool.forward(x), // [b, cin, h/2, w/2]
            None => x,
        };
        if self.out_channels > self.in_channels {
            let [b, _, h, w] = x.dims();
            let zeros = Tensor::zeros([b, self.out_channels - self.in_channels, h, w], &x.device());
            Tensor::cat(vec![x, zeros], 1) // [b, cout, h, w]
        } else {
            x
        }
    }

    /// A post-activation BasicBlock's forward pass stage by stage (Part 2): each stage's name and
    /// output, ending with the block output.
    pub fn stages(&self, x: Tensor<4>) -> Vec<(String, Tensor<4>)> {
        let a = self.act;
        let c1 = self.conv1.forward(x.clone()); // [b, width, h/stride, w/stride]
        let b1 = self.bn1.forward(c1.clone());
        let r1 = apply_act(a, b1.clone());
        let c2 = self.conv2.forward(r1.clone()); // [b, cout, h', w']
        let f = self.bn2.forward(c2.clone());
        let mut out = vec![
            ("input x".to_string(), x.clone()),
            ("conv1 3×3".to_string(), c1),
            ("bn1".to_string(), b1),
            ("relu".to_string(), r1),
            ("conv2 3×3".to_string(), c2),
            ("bn2 = F(x)".to_string(), f.clone()),
        ];
        let sum = if self.skip.has_shortcut() {
            let s = self.shortcut(x);
            let name = if self.proj.is_some() {
                "shortcut: 1×1 conv + bn"
            } else if self.pool.is_some() || self.out_channels > self.in_channels {
                "shortcut: subsample + zero-pad"
            } else {
                "shortcut: identity"
            };
            out.push((name.to_string(), s.clone()));
            out.push(("F(x) + shortcut".to_string(), f.clone() + s));
            out.last().unwrap().1.clone()
        } else {
            f
        };
        out.push(("relu → output".to_string(), apply_act(a, sum)));
        out
    }

    /// # Shapes
    /// - input `[batch, cin, h, w]` → output `[batch, cout, h/stride, w/stride]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.forward_tapped(x, None)
    }

    pub fn forward_tapped(&self, x: Tensor<4>, tap: Option<&mut Vec<BlockTap>>) -> Tensor<4> {
        let input = x.clone();
        let (f, s) = self.branch_and_shortcut(x.clone()); // [b, cout, h', w'] each
        if self.kind == BlockKind::DenseLayer {
            // DenseNet: keep x and append the layer's k new channels.
            let out = Tensor::cat(vec![x, f.clone()], 1); // [b, cin + k, h, w]
            if let Some(taps) = tap {
                taps.push(BlockTap { input, residual: f, sum: out.clone(), output: out.clone(), gate: None });
            }
            return out;
        }
        // The residual as it is added: weighted/gated variants scale F(x) first.
        let gate = match (&self.se, &self.se_x) {
            (Some(se), _) => Some(se.gate(&f)),
            (_, Some(se)) => Some(se.gate(&x)),
            _ => None,
        };
        let residual = match (&self.channel_weight, &gate) {
            (Some(w), _) => f.clone() * w.val().reshape([1, self.out_channels, 1, 1]),
            (_, Some(a)) => f.clone() * a.clone(),
            _ => f,
        };
        let residual = if self.alpha != 1.0 { residual.mul_scalar(self.alpha) } else { residual };
        let mut sum = residual.clone();
        if self.skip.has_shortcut() {
            sum = sum + s;
        }
        if let (Some(gc), Some(gb)) = (&self.g_conv, &self.g_bn) {
            sum = sum + gb.forward(gc.forward(x));
        }
        let pre_act = tap.is_some().then(|| sum.clone());
        // Pre-activation blocks leave the sum un-activated: a clean identity path.
        let out = if self.preact || !self.post_act { sum } else { apply_act(self.act, sum) };
        if let Some(taps) = tap {
            taps.push(BlockTap { input, residual, sum: pre_act.unwrap_or_else(|| out.clone()), output: out.clone(), gate });
        }
        out
    }

    /// Multiply-accumulates for one image of `[cin, h, w]`, and the output `[cout, h', w']`.
    pub fn macs(&self, shape: [usize; 3]) -> (u64, [usize; 3]) {
        let mut total = 0;
        let (m1, s1) = conv_macs(&self.conv1, shape);
        let (m2, s2) = conv_macs(&self.conv2, s1);
        total += m1 + m2;
        let mut out = s2;
        if let Some(c3) = &self.conv3 {
            let (m3, s3) = conv_macs(c3, s2);
            total += m3;
            out = s3;
        }
        if let Some(p) = &self.proj {
            total += conv_macs(&p.conv, shape).0;
        }
        if let Some(g) = &self.g_conv {
            total += conv_macs(g, shape).0;
        }
        for se in [&self.se, &self.se_x].into_iter().flatten() {
            total += (se.fc1.weight.dims().iter().product::<usize>() + se.fc2.weight.dims().iter().product::<usize>()) as u64;
        }
        if self.kind == BlockKind::DenseLayer {
            out = [self.out_channels, out[1], out[2]];
        }
        (total, out)
    }
}

/// DenseNet's transition between dense blocks: BN-ReLU-1×1 conv (halving the channels) → 2×2
/// average pool (Huang et al. 2017, compression θ = ½), rounding odd sides up.
#[derive(Module, Debug)]
pub struct Transition {
    bn: BatchNorm,
    conv: Conv2d,
    pool: AvgPool2d,
    #[module(skip)]
    act: Act,
}

impl Transition {
    pub fn new(cin: usize, act: Act, device: &Device) -> Self {
        Transition {
            bn: bn(cin, device),
            conv: conv(cin, BlockKind::Transition.out_channels(cin, 0), 1, 1, device),
            // Ceil mode: odd sides round up (28 px inputs reach 1×1, not 0×0); at ImageNet's 224 px
            // every side is even and this is torchvision's pool exactly.
            pool: AvgPool2dConfig::new([2, 2]).with_strides([2, 2]).with_ceil_mode(true).with_count_include_pad(false).init(),
            act,
        }
    }

    /// `[b, c, h, w]` → `[b, c/2, ⌈h/2⌉, ⌈w/2⌉]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.pool.forward(self.conv.forward(apply_act(self.act, self.bn.forward(x))))
    }

    pub fn macs(&self, shape: [usize; 3]) -> (u64, [usize; 3]) {
        let (m, [c, h, w]) = conv_macs(&self.conv, shape);
        (m, [c, h.div_ceil(2), w.div_ceil(2)])
    }
}

fn zero_bn(mut b: BatchNorm) -> BatchNorm {
    b.gamma = b.gamma.map(|g| g.zeros_like());
    b.beta = b.beta.map(|g| g.zeros_like());
    b
}

/// MACs of one conv for one image, and its output shape.
pub fn conv_macs(c: &Conv2d, [cin, h, w]: [usize; 3]) -> (u64, [usize; 3]) {
    let [cout, cin_g, kh, kw] = c.weight.shape().dims();
    let [sh, sw] = c.stride;
    let (ph, pw) = (kh / 2, kw / 2);
    let ho = (h + 2 * ph - kh) / sh + 1;
    let wo = (w + 2 * pw - kw) / sw + 1;
    debug_assert_eq!(cin, cin_g * c.groups);
    ((cout * cin_g * kh * kw * ho * wo) as u64, [cout, ho, wo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_scales_the_residual_branch_only() {
        let d = Device::flex();
        let x = Tensor::<4>::random([2, 4, 6, 6], burn::tensor::Distribution::Normal(0.0, 1.0), &d);
        // The same weights at α = 1 and α = 0.5: the second adds half the residual of the first.
        let full = BlockConfig::new(BlockKind::Basic, 4, 4).with_post_act(false).init(&d).valid();
        let half = Block { alpha: 0.5, ..full.clone() };
        let expected = (full.forward(x.clone()) - x.clone()).mul_scalar(0.5) + x.clone();
        let diff: f32 = (half.forward(x) - expected).abs().max().into_scalar();
        assert!(diff < 1e-5, "{diff}");
    }
}
