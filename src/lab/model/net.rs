//! A whole network: stem → residual (or plain) blocks → global average pool → linear classifier.

use burn::nn::conv::Conv2d;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;

use super::block::{apply_act, bn, conv, conv_b, conv_macs, Block, BlockConfig, BlockTap};
use super::spec::{Act, NetSpec, Stem};

#[derive(Module, Debug)]
pub struct Net {
    stem_conv: Conv2d,
    stem_bn: BatchNorm,
    /// ImageNet stem only: 3×3 stride-2 max-pool.
    stem_pool: Option<MaxPool2d>,
    pub blocks: Vec<Block>,
    /// Pre-activation nets normalise once more before pooling.
    final_bn: Option<BatchNorm>,
    fc: Linear,
    #[module(skip)]
    act: Act,
}

impl Net {
    pub fn new(spec: &NetSpec, device: &Device) -> Self {
        let (stem_conv, stem_pool, mut c) = match spec.stem {
            Stem::Small { width } => (conv(spec.in_channels, width, 3, 1, device), None, width),
            Stem::Large { width } => (
                conv_b(spec.in_channels, width, 7, 2, spec.conv_bias, device),
                Some(MaxPool2dConfig::new([3, 3]).with_strides([2, 2]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init()),
                width,
            ),
        };
        let stem_bn = bn(c, device);
        let mut blocks = Vec::new();
        for stage in &spec.stages {
            for i in 0..stage.blocks {
                let stride = if i == 0 { stage.stride } else { 1 };
                let gene = spec.gene(blocks.len());
                let b = BlockConfig::new(spec.block, c, stage.width)
                    .with_stride(stride)
                    .with_skip(gene.skip)
                    .with_alpha(gene.alpha)
                    .with_preact(spec.preact)
                    .with_act(spec.act)
                    .with_bias(spec.conv_bias)
                    .with_post_act(spec.block_post_act)
                    .init(device);
                c = b.out_channels();
                blocks.push(b);
            }
        }
        Net {
            stem_conv,
            stem_bn,
            stem_pool,
            blocks,
            final_bn: spec.preact.then(|| bn(c, device)),
            fc: LinearConfig::new(c, spec.classes).init(device),
            act: spec.act,
        }
    }

    /// Index of each stage's first block (where the resolution or width changes), from `spec`.
    pub fn stage_starts(spec: &NetSpec) -> Vec<usize> {
        spec.stages
            .iter()
            .scan(0, |at, s| {
                let start = *at;
                *at += s.blocks;
                Some(start)
            })
            .filter(|&i| i < spec.stages.iter().map(|s| s.blocks).sum())
            .collect()
    }

    /// # Shapes
    /// - input `[batch, channels, h, w]` (28×28, 32×32, 224×224 …) → logits `[batch, classes]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        self.forward_tapped(x, None)
    }

    /// Forward that also records every block's x, F(x) and output when `taps` is given.
    pub fn forward_tapped(&self, x: Tensor<4>, mut taps: Option<&mut Vec<BlockTap>>) -> Tensor<2> {
        let mut x = apply_act(self.act, self.stem_bn.forward(self.stem_conv.forward(x))); // [b, w, h', w']
        if let Some(pool) = &self.stem_pool {
            x = pool.forward(x); // [b, 64, h/4, w/4]
        }
        for block in &self.blocks {
            x = block.forward_tapped(x, taps.as_deref_mut()); // [b, c_i, h_i, w_i]
        }
        if let Some(fb) = &self.final_bn {
            x = apply_act(self.act, fb.forward(x));
        }
        let [b, c, _, _] = x.dims();
        let pooled = x.mean_dims(&[2, 3]).reshape([b, c]); // [b, c]
        self.fc.forward(pooled) // [b, classes]
    }

    /// Multiply-accumulates for one image of `[channels, h, w]` (convs and the classifier).
    pub fn macs(&self, shape: [usize; 3]) -> u64 {
        let (mut total, mut s) = conv_macs(&self.stem_conv, shape);
        if self.stem_pool.is_some() {
            s = [s[0], (s[1] + 2 - 3) / 2 + 1, (s[2] + 2 - 3) / 2 + 1];
        }
        for b in &self.blocks {
            let (m, next) = b.macs(s);
            total += m;
            s = next;
        }
        let [out, inp] = self.fc.weight.shape().dims::<2>().map(|d| d as u64);
        total + out * inp
    }
}

#[cfg(test)]
mod tests {
    use super::super::spec::{Family, ModelSpec, Skip};
    use super::*;

    fn params(name: &str, classes: usize) -> usize {
        let spec = ModelSpec::from_name(name).unwrap().resolve(3, classes);
        crate::lab::probes::count_params(&Net::new(&spec, &Device::flex()))
    }

    #[test]
    fn imagenet_param_counts_match_torchvision() {
        // torchvision.models.resnetN(num_classes=1000): sum(p.numel() for p in m.parameters())
        assert_eq!(params("resnet18", 1000), 11_689_512);
        assert_eq!(params("resnet34", 1000), 21_797_672);
        assert_eq!(params("resnet50", 1000), 25_557_032);
        assert_eq!(params("resnet101", 1000), 44_549_160);
        assert_eq!(params("resnet152", 1000), 60_192_808);
    }

    #[test]
    fn cifar_param_counts_match_the_paper() {
        // Option-A shortcuts have no parameters: ResNet-20 = Plain-20 = 269,722 (the paper's "0.27M").
        assert_eq!(params("resnet20", 10), 269_722);
        assert_eq!(params("plain20", 10), 269_722);
        assert_eq!(params("resnet56", 10), 853_018);
        assert_eq!(params("resnet110", 10), 1_727_962);
        // Option B (projection), as torch_bench.py and the tfjs peer build it.
        let b = ModelSpec::new(Family::Cifar, 20, Skip::Projection).resolve(3, 10);
        assert_eq!(crate::lab::probes::count_params(&Net::new(&b, &Device::flex())), 272_474);
    }

    #[test]
    fn the_course_plain_cnns_are_exact() {
        // Part 6's PlainDeepNet(num_classes=10): bias-free convs, 7×7 stem, 64→64→64→128→128.
        assert_eq!(params("plaindeep6", 10), 306_506);
        // Exercise 1's PlainConvNet(depth): biased convs, `depth` two-conv blocks at 64 channels.
        assert_eq!(params("plainconv20", 10), 1_492_490);
        assert_eq!(params("plainconv56", 10), 4_160_522);
        // Exercise 2 adds identity skips: same parameters, blocks now end in F(x) + x.
        assert_eq!(params("resconv20", 10), 1_492_490);
        let spec = ModelSpec::from_name("plainconv20").unwrap().resolve(3, 10);
        assert_eq!((spec.conv_bias, spec.block_post_act), (true, false));
        let net = Net::new(&spec, &Device::flex());
        assert_eq!(net.forward(Tensor::zeros([2, 3, 32, 32], &Device::flex())).dims(), [2, 10]);
    }

    #[test]
    fn planned_params_equal_built_params() {
        let d = Device::flex();
        let mut specs: Vec<ModelSpec> = crate::lab::model::spec::catalogue()
            .into_iter()
            .filter(|n| !["resnet101", "resnet152", "resnet1202", "plainconv56"].contains(n)) // slow to build; same rules
            .map(|n| ModelSpec::from_name(n).unwrap())
            .collect();
        for skip in Skip::ALL {
            specs.push(ModelSpec::new(Family::Cifar, 14, skip).with_width(8));
            specs.push(ModelSpec::new(Family::Stack, 8, skip).with_width(6));
        }
        let mut b = ModelSpec::new(Family::Cifar, 14, Skip::Attention).with_width(8);
        b.bottleneck = true;
        specs.push(b.clone());
        b.preact = true;
        specs.push(b);
        // Skip patterns: every variant at a block where the shape changes (blocks 3 and 5), α included.
        specs.push(ModelSpec::from_name("resnet14:I,-,W*0.5,A,X,D").unwrap().with_width(8));
        specs.push(ModelSpec::from_name("resnet14:P,D,-,I*2,P,W").unwrap().with_width(8));
        specs.push(ModelSpec::from_name("resnet50:I,-,W,A,X,D,P,I,-,W,A,X,D,P,I,-").unwrap().with_width(4));
        for spec in specs {
            for (c, k) in [(3, 10), (1, 7)] {
                let plan = spec.resolve(c, k);
                assert_eq!(plan.params(), crate::lab::probes::count_params(&Net::new(&plan, &d)), "{}", spec.label());
            }
        }
    }

    #[test]
    fn a_pattern_builds_the_blocks_it_names() {
        let spec = ModelSpec::from_name("resnet14:I,-,W,A,X,D").unwrap().with_width(4).resolve(3, 10);
        let plans = spec.block_plans(32);
        let net = Net::new(&spec, &Device::flex());
        let kinds: Vec<_> = net.blocks.iter().map(|b| (b.channel_weights().is_some(), b.out_channels())).collect();
        assert_eq!(kinds, vec![(false, 4), (false, 4), (true, 8), (false, 8), (false, 16), (false, 16)]);
        assert_eq!(plans.iter().map(|p| p.gene.skip.code()).collect::<String>(), "I-WAXD");
        assert_eq!(plans[2].output, [8, 16, 16]);
        assert_eq!(net.forward(Tensor::zeros([2, 3, 32, 32], &Device::flex())).dims(), [2, 10]);
    }

    #[test]
    fn resnet50_macs_at_224() {
        let spec = ModelSpec::from_name("resnet50").unwrap().resolve(3, 1000);
        let macs = Net::new(&spec, &Device::flex()).macs([3, 224, 224]);
        // The widely quoted 4.1 GMACs (convs + fc).
        assert!((4.08e9..4.12e9).contains(&(macs as f64)), "{macs}");
    }
}
