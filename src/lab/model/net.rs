//! A whole network: stem → residual (or plain) blocks → global average pool → linear classifier.

use burn::nn::conv::Conv2d;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;

use super::block::{apply_act, bn, conv, conv_b, conv_macs, Block, BlockConfig, BlockTap, Transition};
use super::spec::{Act, BlockKind, NetSpec, Stem};

/// One step of the body: a residual block (or DenseNet layer), or a DenseNet transition.
// Built once per net, so a block's size inside the enum costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Unit {
    Block(Block),
    Transition(Transition),
}

#[derive(Module, Debug)]
pub struct Net {
    stem_conv: Conv2d,
    /// Absent in pre-activation CIFAR nets: their first block normalises.
    stem_bn: Option<BatchNorm>,
    /// ImageNet stem only: 3×3 stride-2 max-pool.
    stem_pool: Option<MaxPool2d>,
    units: Vec<Unit>,
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
        let stem_bn = spec.stem_norm.then(|| bn(c, device));
        let mut units = Vec::new();
        let mut blocks = 0;
        for (s, stage) in spec.stages.iter().enumerate() {
            if spec.block == BlockKind::DenseLayer && s > 0 {
                let t = Transition::new(c, spec.act, device);
                c = BlockKind::Transition.out_channels(c, 0);
                units.push(Unit::Transition(t));
            }
            for i in 0..stage.blocks {
                let stride = if i == 0 { stage.stride } else { 1 };
                let gene = spec.gene(blocks);
                blocks += 1;
                let b = BlockConfig::new(spec.block, c, stage.width)
                    .with_stride(stride)
                    .with_skip(gene.skip)
                    .with_alpha(gene.alpha)
                    .with_preact(spec.preact)
                    .with_act(spec.act)
                    .with_bias(spec.conv_bias)
                    .with_post_act(spec.block_post_act)
                    .with_inner(Some(stage.inner))
                    .with_groups(spec.groups)
                    .with_se_reduction(spec.se_reduction)
                    .with_shortcut_norm(spec.shortcut_norm)
                    .with_dropout(spec.dropout as f64)
                    .init(device);
                c = b.out_channels();
                units.push(Unit::Block(b));
            }
        }
        Net {
            stem_conv,
            stem_bn,
            stem_pool,
            units,
            final_bn: spec.preact.then(|| bn(c, device)),
            fc: LinearConfig::new(c, spec.classes).init(device),
            act: spec.act,
        }
    }

    /// The residual blocks (and DenseNet layers), input side first; transitions left out.
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.units.iter().filter_map(|u| match u {
            Unit::Block(b) => Some(b),
            Unit::Transition(_) => None,
        })
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
        let mut x = self.stem_conv.forward(x); // [b, w, h', w']
        if let Some(bn) = &self.stem_bn {
            x = apply_act(self.act, bn.forward(x));
        }
        if let Some(pool) = &self.stem_pool {
            x = pool.forward(x); // [b, 64, h/4, w/4]
        }
        for unit in &self.units {
            x = match unit {
                Unit::Block(block) => block.forward_tapped(x, taps.as_deref_mut()), // [b, c_i, h_i, w_i]
                Unit::Transition(t) => t.forward(x),                                // [b, c/2, h/2, w/2]
            };
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
        for unit in &self.units {
            let (m, next) = match unit {
                Unit::Block(b) => b.macs(s),
                Unit::Transition(t) => t.macs(s),
            };
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
            .map(|n| ModelSpec::from_name(n).unwrap())
            // The big ones are slow to build; the same rules are checked at small widths.
            .filter(|m| m.resolve(3, 10).params() < 26_000_000)
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
        let kinds: Vec<_> = net.blocks().map(|b| (b.channel_weights().is_some(), b.out_channels())).collect();
        assert_eq!(kinds, vec![(false, 4), (false, 4), (true, 8), (false, 8), (false, 16), (false, 16)]);
        assert_eq!(plans.iter().map(|p| p.gene.skip.code()).collect::<String>(), "I-WAXD");
        assert_eq!(plans[2].output, [8, 16, 16]);
        assert_eq!(net.forward(Tensor::zeros([2, 3, 32, 32], &Device::flex())).dims(), [2, 10]);
    }

    #[test]
    fn variant_param_counts_match_the_references() {
        // tests/reference/variant_counts.py: torchvision's models for the ImageNet forms; PyTorch
        // transcriptions of the papers' reference code for the CIFAR forms and SE-ResNet.
        assert_eq!(params("wide_resnet50_2", 1000), 68_883_240);
        assert_eq!(params("resnext50_32x4d", 1000), 25_028_904);
        assert_eq!(params("densenet121", 1000), 7_978_856);
        assert_eq!(params("densenet161", 1000), 28_681_000);
        assert_eq!(params("se_resnet50", 1000), 28_088_024);
        assert_eq!(params("wrn-28-10", 10), 36_479_194);
        assert_eq!(params("wrn-16-8", 10), 10_961_370);
        assert_eq!(params("preresnet164", 10), 1_703_258);
        assert_eq!(params("resnext29-8x64d", 10), 34_426_698);
        assert_eq!(params("densenet-bc-100-12", 10), 769_162);
        // The big ones from the plan only (building them takes seconds each; the plan is tested
        // equal to the built net above and below).
        let plan = |name: &str, classes| ModelSpec::from_name(name).unwrap().resolve(3, classes).params();
        assert_eq!(plan("wide_resnet101_2", 1000), 126_886_696);
        assert_eq!(plan("resnext101_32x8d", 1000), 88_791_336);
        assert_eq!(plan("resnext101_64x4d", 1000), 83_455_272);
        assert_eq!(plan("densenet169", 1000), 14_149_480);
        assert_eq!(plan("densenet201", 1000), 20_013_928);
        assert_eq!(plan("se_resnet101", 1000), 49_326_872);
        assert_eq!(plan("se_resnet152", 1000), 66_821_848);
        assert_eq!(plan("wrn-40-4", 10), 8_949_210);
        assert_eq!(plan("preresnet1001", 10), 10_327_706);
        assert_eq!(plan("resnext29-16x64d", 10), 68_155_210);
        assert_eq!(plan("densenet-bc-250-24", 10), 15_324_406);
        assert_eq!(plan("densenet-bc-190-40", 10), 25_624_430);
        // ResNet-18/34/50 adapted to 32 px (3×3 stem, no max-pool), as CIFAR code writes them:
        // torchvision's with conv1 = 3×3 and 10 classes.
        assert_eq!(params("resnet18-cifar", 10), 11_173_962);
        assert_eq!(plan("resnet34-cifar", 10), 21_282_122);
        assert_eq!(plan("resnet50-cifar", 10), 23_520_842);
        let net = Net::new(&ModelSpec::from_name("resnet18-cifar").unwrap().with_width(8).resolve(3, 10), &Device::flex());
        let mut taps = Vec::new();
        let _ = net.forward_tapped(Tensor::zeros([1, 3, 32, 32], &Device::flex()), Some(&mut taps));
        assert_eq!(taps[0].output.dims(), [1, 8, 32, 32], "no stride-2 stem, no max-pool: the first stage sees 32 px");
    }

    /// Small versions of every variant, for build-and-run tests.
    fn small_variants() -> Vec<ModelSpec> {
        ["wrn-16-2-d0.3", "resnext29-4x16d", "densenet-bc-40-6", "se-resnet14-r4", "preresnet20", "preresnet164"]
            .iter()
            .map(|n| {
                let m = ModelSpec::from_name(n).unwrap();
                let w = if m.variant == crate::lab::model::Variant::Resnet { 4 } else { m.width / 2 };
                m.with_width(w)
            })
            .chain(["wide_resnet50_2", "resnext50_32x4d", "densenet121", "se_resnet18"].iter().map(|n| {
                let m = ModelSpec::from_name(n).unwrap();
                let w = m.width / 4;
                m.with_width(w)
            }))
            .collect()
    }

    #[test]
    fn every_variant_builds_runs_at_28_and_32_px_and_counts_as_planned() {
        let d = Device::flex();
        for spec in small_variants() {
            let spec = spec.checked().unwrap();
            for (c, size) in [(1, 28), (3, 32)] {
                let plan = spec.resolve(c, 10);
                let net = Net::new(&plan, &d);
                assert_eq!(plan.params(), crate::lab::probes::count_params(&net), "{} {c}", spec.label());
                let y = net.forward(Tensor::random([2, c, size, size], burn::tensor::Distribution::Default, &d));
                assert_eq!(y.dims(), [2, 10], "{}", spec.label());
                let finite: bool = y.is_finite().all().into_scalar();
                assert!(finite, "{}", spec.label());
                // The plan's last unit has the shape the net really produces before pooling.
                let mut taps = Vec::new();
                let _ = net.forward_tapped(Tensor::zeros([1, c, size, size], &d), Some(&mut taps));
                let last = plan.block_plans(size).into_iter().rfind(|p| p.kind != BlockKind::Transition).unwrap();
                assert_eq!(taps.last().unwrap().output.dims()[1..], last.output, "{}", spec.label());
            }
        }
    }

    #[test]
    fn names_round_trip_and_bad_variants_say_why() {
        for name in [
            "wrn-28-10",
            "wrn-16-4-d0.3",
            "wide_resnet50_2",
            "resnext29-8x64d",
            "resnext50_32x4d",
            "densenet-bc-100-12",
            "densenet121",
            "densenet161",
            "densenet121-k12",
            "se-resnet20",
            "se_resnet50-r8",
            "preresnet164",
            "resnet18-cifar",
        ] {
            let m = ModelSpec::from_name(name).unwrap();
            assert_eq!(m.name(), name);
            assert_eq!(ModelSpec::from_name(&m.name()).unwrap(), m);
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<ModelSpec>(&json).unwrap(), m, "{json}");
        }
        assert!(ModelSpec::from_name("wrn-28-0").unwrap_err().contains("k in 1..=16"));
        assert!(ModelSpec::from_name("wrn-27-2").unwrap_err().contains("6n+4"));
        assert!(ModelSpec::from_name("resnext30-8x64d").unwrap_err().contains("9n+2"));
        assert!(ModelSpec::from_name("densenet122").unwrap_err().contains("121, 161"));
        assert!(ModelSpec::from_name("resnext29-4x2d").unwrap().with_width(16).checked().unwrap_err().contains("< 1 channel"));
        assert!(ModelSpec::from_name("wrn-16-2:I,I,I,I,I,I").unwrap_err().contains("skip patterns are for ResNets"));
        assert_eq!(ModelSpec::from_name("preresnet164").unwrap().blocks(), 54);
    }

    #[test]
    fn grouped_convolution_equals_one_conv_per_group() {
        // burn's grouped conv against the definition: split channels into groups, convolve each
        // group with its own filters, concatenate.
        let d = Device::flex();
        let (cin, cout, groups) = (8, 12, 4);
        let grouped = super::super::block::conv_g(cin, cout, 3, 2, groups, false, &d);
        let x = Tensor::<4>::random([2, cin, 9, 9], burn::tensor::Distribution::Normal(0.0, 1.0), &d);
        let w = grouped.weight.val(); // [cout, cin / groups, 3, 3]
        let parts: Vec<Tensor<4>> = (0..groups)
            .map(|g| {
                let xg = x.clone().narrow(1, g * cin / groups, cin / groups);
                let wg = w.clone().narrow(0, g * cout / groups, cout / groups);
                burn::tensor::module::conv2d(xg, wg, None, burn::tensor::ops::ConvOptions::new([2, 2], [1, 1], [1, 1], 1))
            })
            .collect();
        let reference = Tensor::cat(parts, 1);
        let diff: f32 = (grouped.forward(x) - reference).abs().max().into_scalar();
        assert!(diff < 1e-4, "{diff}");
    }

    #[test]
    fn a_dense_layer_keeps_its_input_and_appends_growth_channels() {
        let d = Device::flex();
        let spec = ModelSpec::from_name("densenet-bc-22-4").unwrap().resolve(3, 10);
        let net = Net::new(&spec, &d);
        let x = Tensor::<4>::random([1, 3, 16, 16], burn::tensor::Distribution::Default, &d);
        let mut taps = Vec::new();
        let _ = net.valid().forward_tapped(x, Some(&mut taps));
        let t = &taps[0];
        let [_, cin, _, _] = t.input.dims();
        assert_eq!(t.output.dims()[1], cin + 4);
        let kept: f32 = (t.output.clone().narrow(1, 0, cin) - t.input.clone()).abs().max().into_scalar();
        assert_eq!(kept, 0.0);
        // Three dense blocks of (22 − 4)/6 = 3 layers; two transitions halve channels and side.
        let plans = spec.block_plans(16);
        assert_eq!(plans.iter().filter(|p| p.kind == BlockKind::Transition).count(), 2);
        assert_eq!(taps.len(), 9);
        assert_eq!(taps[8].output.dims(), [1, plans.last().unwrap().output[0], 4, 4]);
    }

    #[test]
    fn resnet50_macs_at_224() {
        let spec = ModelSpec::from_name("resnet50").unwrap().resolve(3, 1000);
        let macs = Net::new(&spec, &Device::flex()).macs([3, 224, 224]);
        // The widely quoted 4.1 GMACs (convs + fc).
        assert!((4.08e9..4.12e9).contains(&(macs as f64)), "{macs}");
    }
}
