//! Models as data. A [`ModelSpec`] is what a page, the CLI or a test asks for (family, depth, width,
//! skip variant…); [`NetSpec`] is the resolved layer plan that [`super::Net`] is built from.

use serde::{Deserialize, Serialize};

/// How a block joins its input back in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// No shortcut at all: a plain network.
    None,
    /// `F(x) + x`; where the shape changes, x is subsampled and zero-padded (He et al. option A).
    Identity,
    /// `F(x) + x`; where the shape changes, a 1×1 conv + BN projects x (option B, torchvision).
    Projection,
    /// `x + w ⊙ F(x)` with a learned weight per channel (starts at 0.5).
    ChannelWeight,
    /// `x + a ⊙ F(x)` with squeeze-and-excitation channel attention a computed from F(x) ("SE on the
    /// residual", as SE-ResNet does).
    Attention,
    /// `x + a(x) ⊙ F(x)` with the gate a computed from the block's input x (Exercise 5's attention).
    XAttention,
    /// `x + F(x) + G(x)` with a second, single-conv path G.
    Dense,
}

impl Skip {
    pub const ALL: [Skip; 7] =
        [Skip::None, Skip::Identity, Skip::Projection, Skip::ChannelWeight, Skip::Attention, Skip::XAttention, Skip::Dense];

    pub fn name(self) -> &'static str {
        match self {
            Skip::None => "none",
            Skip::Identity => "identity",
            Skip::Projection => "projection",
            Skip::ChannelWeight => "channel_weight",
            Skip::Attention => "attention",
            Skip::XAttention => "x_attention",
            Skip::Dense => "dense",
        }
    }

    pub fn parse(s: &str) -> Option<Skip> {
        Skip::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn has_shortcut(self) -> bool {
        self != Skip::None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// Two 3×3 convs (ResNet-18/34, CIFAR ResNets).
    Basic,
    /// 1×1 reduce → 3×3 → 1×1 expand ×4 (ResNet-50/101/152).
    Bottleneck,
}

impl BlockKind {
    pub fn expansion(self) -> usize {
        match self {
            BlockKind::Basic => 1,
            BlockKind::Bottleneck => 4,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Act {
    #[default]
    Relu,
    Gelu,
    LeakyRelu,
    Tanh,
}

impl Act {
    pub const ALL: [Act; 4] = [Act::Relu, Act::Gelu, Act::LeakyRelu, Act::Tanh];

    pub fn name(self) -> &'static str {
        match self {
            Act::Relu => "relu",
            Act::Gelu => "gelu",
            Act::LeakyRelu => "leaky_relu",
            Act::Tanh => "tanh",
        }
    }

    pub fn parse(s: &str) -> Option<Act> {
        Act::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// Which family of network; `depth` in [`ModelSpec`] is read per family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// He et al. 2015 §4.2: 3×3 stem, three stages of w/2w/4w channels (w = 16), depth = 6n + 2.
    Cifar,
    /// torchvision ResNet-18/34/50/101/152: 7×7 stride-2 stem + max-pool, four stages.
    Imagenet,
    /// The notebook's Part 1 stack: a 3×3 stem then (depth − 2)/2 two-conv blocks, the first half at
    /// width w, the second half at 2w (stride 2). depth counts conv layers + the classifier.
    Stack,
    /// Notebook Part 6's `PlainDeepNet`: 7×7 stride-2 stem + max-pool, then two stages (w, 2w) of
    /// (depth − 2)/4 two-conv blocks each; depth = 4n + 2 (the notebook's net is depth 6, w = 64).
    /// With a shortcut it is its residual twin (`resdeepN`).
    #[serde(alias = "compact")]
    PlainDeepNet,
    /// Exercise 1's `PlainConvNet`: biased 7×7 stride-2 stem + max-pool, then `depth` two-conv blocks
    /// at width w that end at BatchNorm (no activation after the block). `depth` counts blocks, as
    /// Exercise 1's `PlainConvNet(depth)` does: 2·depth + 2 weight layers.
    /// With a shortcut it is its residual twin (`resconvN`, Exercise 2's net).
    #[serde(alias = "conv_net")]
    PlainConvNet,
}

/// A model request: serialisable, used in experiment configs and URLs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub family: Family,
    pub depth: usize,
    /// Base width (channels of the first stage). Defaults: 16 (cifar), 64 (imagenet).
    pub width: usize,
    pub skip: Skip,
    #[serde(default)]
    pub preact: bool,
    #[serde(default)]
    pub act: Act,
    /// Forces bottleneck blocks in a cifar/stack net (Part 7's block comparison).
    #[serde(default)]
    pub bottleneck: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stem {
    /// 3×3 conv (stride 1) + BN + act.
    Small { width: usize },
    /// 7×7 conv stride 2 + BN + act + 3×3 max-pool stride 2.
    Large { width: usize },
}

#[derive(Clone, Debug, PartialEq)]
pub struct StageSpec {
    /// Bottleneck width (basic: output channels; bottleneck: output = 4 × width).
    pub width: usize,
    pub blocks: usize,
    pub stride: usize,
}

/// The resolved layer plan.
#[derive(Clone, Debug, PartialEq)]
pub struct NetSpec {
    pub in_channels: usize,
    pub classes: usize,
    pub stem: Stem,
    pub stages: Vec<StageSpec>,
    pub block: BlockKind,
    pub skip: Skip,
    pub preact: bool,
    pub act: Act,
    /// Biased convolutions (Exercise 1's PlainConvNet keeps PyTorch's default).
    pub conv_bias: bool,
    /// Activation after each block's sum.
    pub block_post_act: bool,
}

pub const IMAGENET_DEPTHS: [usize; 5] = [18, 34, 50, 101, 152];

impl ModelSpec {
    pub fn new(family: Family, depth: usize, skip: Skip) -> Self {
        let width = match family {
            Family::Imagenet | Family::PlainDeepNet | Family::PlainConvNet => 64,
            _ => 16,
        };
        ModelSpec { family, depth, width, skip, preact: false, act: Act::Relu, bottleneck: false }
    }

    pub fn with_width(mut self, width: usize) -> Self {
        self.width = width;
        self
    }

    /// Parses names such as `resnet56`, `plain20`, `resnet50`, `preresnet110`, `stack10`.
    /// ImageNet depths (18/34/50/101/152) give the ImageNet family; other 6n+2 give CIFAR nets.
    pub fn from_name(name: &str) -> Result<Self, String> {
        let lower = name.to_ascii_lowercase();
        let (prefix, digits) = lower.split_at(lower.find(|c: char| c.is_ascii_digit()).unwrap_or(lower.len()));
        let depth: usize = digits.parse().map_err(|_| unknown_model(name))?;
        let (skip, preact) = match prefix {
            "resnet" => (Skip::Projection, false),
            "preresnet" => (Skip::Projection, true),
            "plain" => (Skip::None, false),
            "stack" => return ModelSpec::new(Family::Stack, depth, Skip::None).checked(),
            "plaindeep" => return ModelSpec::new(Family::PlainDeepNet, depth, Skip::None).checked(),
            "resdeep" => return ModelSpec::new(Family::PlainDeepNet, depth, Skip::Projection).checked(),
            "plainconv" => return ModelSpec::new(Family::PlainConvNet, depth, Skip::None).checked(),
            "resconv" => return ModelSpec::new(Family::PlainConvNet, depth, Skip::Identity).checked(),
            _ => return Err(unknown_model(name)),
        };
        let family = if IMAGENET_DEPTHS.contains(&depth) { Family::Imagenet } else { Family::Cifar };
        // The paper's CIFAR nets use option A (parameter-free) shortcuts.
        let skip = if family == Family::Cifar && skip == Skip::Projection { Skip::Identity } else { skip };
        let mut spec = ModelSpec::new(family, depth, skip);
        spec.preact = preact;
        spec.checked()
    }

    /// Validates depth/width for the family; the error names what is accepted.
    pub fn checked(self) -> Result<Self, String> {
        match self.family {
            Family::Cifar => {
                if self.depth < 8 || !(self.depth - 2).is_multiple_of(6) || self.depth > 1202 {
                    return Err(format!("CIFAR ResNet depth must be 6n+2 between 8 and 1202 (20, 32, 44, 56, 110, …), got {}", self.depth));
                }
            }
            Family::Imagenet => {
                if !IMAGENET_DEPTHS.contains(&self.depth) {
                    return Err(format!("ImageNet ResNet depth must be one of 18, 34, 50, 101, 152, got {}", self.depth));
                }
            }
            Family::Stack => {
                if self.depth < 4 || !self.depth.is_multiple_of(2) || self.depth > 200 {
                    return Err(format!("stack depth must be even, 4..=200, got {}", self.depth));
                }
            }
            Family::PlainDeepNet => {
                if self.depth < 6 || !(self.depth - 2).is_multiple_of(4) || self.depth > 202 {
                    return Err(format!("PlainDeepNet depth must be 4n+2 between 6 and 202 (the notebook's is 6), got {}", self.depth));
                }
            }
            Family::PlainConvNet => {
                if !(1..=200).contains(&self.depth) {
                    return Err(format!("PlainConvNet depth (blocks) must be 1..=200, got {}", self.depth));
                }
            }
        }
        if self.width == 0 || self.width > 512 {
            return Err(format!("width must be 1..=512, got {}", self.width));
        }
        Ok(self)
    }

    /// A short human label, e.g. "ResNet-56", "Plain-20", "Stack-10 (residual)".
    pub fn label(&self) -> String {
        let base = match (self.family, self.skip) {
            (Family::Stack, Skip::None) => format!("Plain-{}", self.depth),
            (Family::Stack, _) => format!("Residual-{}", self.depth),
            (Family::PlainDeepNet, Skip::None) => format!("PlainDeepNet-{}", self.depth),
            (Family::PlainDeepNet, _) => format!("ResDeepNet-{}", self.depth),
            (Family::PlainConvNet, Skip::None) => format!("PlainConvNet({})", self.depth),
            (Family::PlainConvNet, _) => format!("ResConvNet({})", self.depth),
            (_, Skip::None) => format!("Plain-{}", self.depth),
            (_, _) if self.preact => format!("PreResNet-{}", self.depth),
            (_, _) => format!("ResNet-{}", self.depth),
        };
        match self.skip {
            Skip::None | Skip::Identity | Skip::Projection => base,
            other => format!("{base} ({})", other.name()),
        }
    }

    /// Resolves the layer plan for the given input channels and class count.
    pub fn resolve(&self, in_channels: usize, classes: usize) -> NetSpec {
        let w = self.width;
        let (stem, stages, block) = match self.family {
            Family::Cifar => {
                let n = (self.depth - 2) / 6;
                let stages = vec![
                    StageSpec { width: w, blocks: n, stride: 1 },
                    StageSpec { width: 2 * w, blocks: n, stride: 2 },
                    StageSpec { width: 4 * w, blocks: n, stride: 2 },
                ];
                (Stem::Small { width: w }, stages, BlockKind::Basic)
            }
            Family::Imagenet => {
                let (block, counts) = match self.depth {
                    18 => (BlockKind::Basic, [2, 2, 2, 2]),
                    34 => (BlockKind::Basic, [3, 4, 6, 3]),
                    50 => (BlockKind::Bottleneck, [3, 4, 6, 3]),
                    101 => (BlockKind::Bottleneck, [3, 4, 23, 3]),
                    _ => (BlockKind::Bottleneck, [3, 8, 36, 3]),
                };
                let stages = counts
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| StageSpec { width: w << i, blocks: b, stride: if i == 0 { 1 } else { 2 } })
                    .collect();
                (Stem::Large { width: w }, stages, block)
            }
            Family::Stack => {
                let blocks = (self.depth - 2) / 2;
                let first = blocks.div_ceil(2);
                let mut stages = vec![StageSpec { width: w, blocks: first, stride: 1 }];
                if blocks > first {
                    stages.push(StageSpec { width: 2 * w, blocks: blocks - first, stride: 2 });
                }
                (Stem::Small { width: w }, stages, BlockKind::Basic)
            }
            Family::PlainDeepNet => {
                let n = (self.depth - 2) / 4;
                let stages = vec![StageSpec { width: w, blocks: n, stride: 1 }, StageSpec { width: 2 * w, blocks: n, stride: 2 }];
                (Stem::Large { width: w }, stages, BlockKind::Basic)
            }
            Family::PlainConvNet => {
                (Stem::Large { width: w }, vec![StageSpec { width: w, blocks: self.depth, stride: 1 }], BlockKind::Basic)
            }
        };
        let block = if self.bottleneck { BlockKind::Bottleneck } else { block };
        let ex1_net = self.family == Family::PlainConvNet;
        NetSpec {
            in_channels,
            classes,
            stem,
            stages,
            block,
            skip: self.skip,
            preact: self.preact,
            act: self.act,
            conv_bias: ex1_net,
            block_post_act: !ex1_net,
        }
    }
}

/// A training step's memory, estimated from the plan (bytes, f32).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryEstimate {
    /// Weights, their gradients and the optimiser's momentum: three copies of the parameters.
    pub params_bytes: u64,
    /// Activations kept for the backward pass, for the whole batch.
    pub activation_bytes: u64,
}

impl MemoryEstimate {
    pub fn total(&self) -> u64 {
        self.params_bytes + self.activation_bytes
    }
}

impl NetSpec {
    /// Values every image leaves behind in the forward pass for the backward pass: each conv's
    /// output, its BatchNorm's output and its activation (three tensors of the conv's output size),
    /// at input side `size`. An estimate: it ignores the skips' small extras and allocator overhead.
    pub fn activation_floats(&self, size: usize) -> u64 {
        let out = |s: usize, k: usize, stride: usize| (s + 2 * (k / 2) - k) / stride + 1;
        let (k, stride, w0, pool) = match self.stem {
            Stem::Small { width } => (3, 1, width, false),
            Stem::Large { width } => (7, 2, width, true),
        };
        let mut s = out(size, k, stride);
        let mut total = 3 * (w0 * s * s) as u64;
        if pool {
            s = (s + 2 - 3) / 2 + 1;
        }
        let mut c = w0;
        for stage in &self.stages {
            for i in 0..stage.blocks {
                let st = if i == 0 { stage.stride } else { 1 };
                let (w, cout) = (stage.width, stage.width * self.block.expansion());
                let s2 = out(s, 3, st);
                total += match self.block {
                    BlockKind::Basic => 3 * (w * s2 * s2 + cout * s2 * s2) as u64,
                    // 1×1 at the input size, then the strided 3×3 and the 1×1 expand at the output size.
                    BlockKind::Bottleneck => 3 * (w * s * s + w * s2 * s2 + cout * s2 * s2) as u64,
                };
                s = s2;
                c = cout;
            }
        }
        total + c as u64
    }

    /// Memory for one training step at `batch` images of side `size`.
    pub fn memory(&self, batch: usize, size: usize) -> MemoryEstimate {
        MemoryEstimate { params_bytes: 3 * 4 * self.params() as u64, activation_bytes: 4 * batch as u64 * self.activation_floats(size) }
    }

    /// Learnable parameters, counted from the plan without building the net (the UI has no burn).
    /// Tested equal to the built net's count for every catalogue model and variant.
    pub fn params(&self) -> usize {
        let bias = |c: usize| if self.conv_bias { c } else { 0 };
        let conv = |cin: usize, cout: usize, k: usize| cin * cout * k * k + bias(cout);
        let bn = |c: usize| 2 * c;
        let (k, w0) = match self.stem {
            Stem::Small { width } => (3, width),
            Stem::Large { width } => (7, width),
        };
        let mut total = conv(self.in_channels, w0, k) + bn(w0);
        let mut c = w0;
        for stage in &self.stages {
            for i in 0..stage.blocks {
                let stride = if i == 0 { stage.stride } else { 1 };
                let width = stage.width;
                let cout = width * self.block.expansion();
                total += match (self.block, self.preact) {
                    (BlockKind::Basic, false) => conv(c, width, 3) + conv(width, width, 3) + bn(width) + bn(width),
                    (BlockKind::Basic, true) => conv(c, width, 3) + conv(width, width, 3) + bn(c) + bn(width),
                    (BlockKind::Bottleneck, false) => {
                        conv(c, width, 1) + conv(width, width, 3) + conv(width, cout, 1) + 2 * bn(width) + bn(cout)
                    }
                    (BlockKind::Bottleneck, true) => {
                        conv(c, width, 1) + conv(width, width, 3) + conv(width, cout, 1) + bn(c) + 2 * bn(width)
                    }
                };
                let shape_changes = stride != 1 || c != cout;
                total += match self.skip {
                    Skip::Projection | Skip::ChannelWeight | Skip::Attention | Skip::XAttention | Skip::Dense if shape_changes => {
                        conv(c, cout, 1) + bn(cout)
                    }
                    _ => 0,
                };
                total += match self.skip {
                    Skip::ChannelWeight => cout,
                    Skip::Attention => {
                        let h = (cout / 4).max(2);
                        cout * h + h + h * cout + cout
                    }
                    Skip::XAttention => {
                        let h = (cout / 4).max(2);
                        c * h + h + h * cout + cout
                    }
                    Skip::Dense => conv(c, cout, 3) + bn(cout),
                    _ => 0,
                };
                c = cout;
            }
        }
        if self.preact {
            total += bn(c);
        }
        total + c * self.classes + self.classes
    }
}

fn unknown_model(name: &str) -> String {
    format!(
        "unknown model '{name}': use resnetN or plainN (N = 18, 34, 50, 101, 152 for ImageNet nets; 6n+2 such as 20, 32, 44, 56, 110 for CIFAR nets), preresnetN, stackN (even N), plaindeepN / resdeepN (Part 6, N = 4n+2, e.g. 6), plainconvN / resconvN (Exercise 1/2, N blocks)"
    )
}

/// Every model name the CLI's `list` prints.
pub fn catalogue() -> Vec<&'static str> {
    vec![
        "resnet18",
        "resnet34",
        "resnet50",
        "resnet101",
        "resnet152",
        "plain18",
        "plain34",
        "resnet20",
        "resnet32",
        "resnet44",
        "resnet56",
        "resnet110",
        "resnet1202",
        "plain20",
        "plain32",
        "plain44",
        "plain56",
        "plain110",
        "preresnet20",
        "preresnet56",
        "preresnet110",
        "preresnet50",
        "stack10",
        "stack20",
        "stack30",
        "stack40",
        "plaindeep6",
        "resdeep6",
        "plainconv20",
        "plainconv56",
        "resconv20",
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activations_by_hand() {
        // CIFAR ResNet-8, width 4, 8×8: stem 3·4·64; stage 1 3·(4·64 + 4·64); stage 2 (4×4) 3·(8·16 + 8·16);
        // stage 3 (2×2) 3·(16·4 + 16·4); plus the pooled 16 features.
        let spec = ModelSpec::new(Family::Cifar, 8, Skip::Identity).with_width(4).resolve(3, 10);
        assert_eq!(spec.activation_floats(8), 768 + 1536 + 768 + 384 + 16);
        let m = spec.memory(32, 8);
        assert_eq!(m.params_bytes, 12 * spec.params() as u64);
        assert_eq!(m.activation_bytes, 4 * 32 * 3472);
        assert_eq!(spec.memory(64, 8).activation_bytes, 2 * m.activation_bytes);
        // Bottleneck nets at 224 px: ResNet-152 needs more than ResNet-50.
        let r50 = ModelSpec::from_name("resnet50").unwrap().resolve(3, 1000).activation_floats(224);
        let r152 = ModelSpec::from_name("resnet152").unwrap().resolve(3, 1000).activation_floats(224);
        assert!(r152 > 2 * r50 && r50 > 10_000_000, "{r50} {r152}");
    }

    #[test]
    fn names_resolve() {
        let r = ModelSpec::from_name("resnet50").unwrap();
        assert_eq!((r.family, r.depth, r.skip), (Family::Imagenet, 50, Skip::Projection));
        let r = ModelSpec::from_name("resnet110").unwrap();
        assert_eq!((r.family, r.skip), (Family::Cifar, Skip::Identity));
        assert_eq!(ModelSpec::from_name("plain56").unwrap().skip, Skip::None);
        assert!(ModelSpec::from_name("resnet21").unwrap_err().contains("6n+2"));
        assert!(ModelSpec::from_name("vgg16").unwrap_err().contains("unknown model"));
        for name in catalogue() {
            ModelSpec::from_name(name).unwrap();
        }
    }
}
