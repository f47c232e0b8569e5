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

    /// The one-character code of the skip-pattern text form (`resnet20:I,I,-,W,…`).
    pub fn code(self) -> char {
        match self {
            Skip::None => '-',
            Skip::Identity => 'I',
            Skip::Projection => 'P',
            Skip::ChannelWeight => 'W',
            Skip::Attention => 'A',
            Skip::XAttention => 'X',
            Skip::Dense => 'D',
        }
    }

    pub fn from_code(c: char) -> Option<Skip> {
        Skip::ALL.into_iter().find(|k| k.code() == c.to_ascii_uppercase())
    }
}

/// Why a block of `kind` from `cin` channels at `width` (stride `stride`) with `skip` cannot be built,
/// if it cannot: checked before a page sends it and again where it is built.
pub fn block_problem(kind: BlockKind, cin: usize, width: usize, stride: usize, skip: Skip) -> Option<String> {
    let cout = width * kind.expansion();
    if cin == 0 || width == 0 {
        return Some("a block needs at least one input and one output channel".into());
    }
    if !(1..=2).contains(&stride) {
        return Some(format!("stride must be 1 or 2, got {stride}"));
    }
    (skip == Skip::Identity && cout < cin).then(|| {
        format!(
            "an identity shortcut cannot take x from {cin} down to {cout} channels: it can only zero-pad extra channels on. Use at least {cin} output channels, or a projection shortcut"
        )
    })
}

/// One block's entry in a per-block skip pattern: its skip variant and a fixed strength α on the
/// residual branch, `x + α·F(x)`.
///
/// α scales F, not x: scaling the shortcut by λ multiplies the signal through L blocks by λ^L (He et
/// al. 2016, "Identity mappings", §3.1 — it blocks or blows up the path the whole idea rests on),
/// while `x + α·F(x)` keeps the identity path exact and only turns the block's own change down or up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gene {
    pub skip: Skip,
    pub alpha: f32,
}

impl Gene {
    pub const fn new(skip: Skip) -> Gene {
        Gene { skip, alpha: 1.0 }
    }
}

impl std::fmt::Display for Gene {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.alpha == 1.0 {
            write!(f, "{}", self.skip.code())
        } else {
            write!(f, "{}*{}", self.skip.code(), self.alpha)
        }
    }
}

impl std::str::FromStr for Gene {
    type Err = String;
    fn from_str(s: &str) -> Result<Gene, String> {
        let s = s.trim();
        let (code, alpha) = s.split_once('*').unwrap_or((s, "1"));
        let mut chars = code.chars();
        let skip = match (chars.next(), chars.next()) {
            (Some(c), None) => Skip::from_code(c),
            _ => None,
        }
        .ok_or_else(|| {
            format!(
                "'{s}' is not a block skip: use one of {} (optionally *α, e.g. I*0.5)",
                Skip::ALL.map(|k| k.code().to_string()).join(" ")
            )
        })?;
        let alpha: f32 = alpha.parse().map_err(|_| format!("'{s}': α must be a number, e.g. I*0.5"))?;
        if !(alpha > 0.0 && alpha <= 4.0) {
            return Err(format!("'{s}': α must be in (0, 4]"));
        }
        if skip == Skip::None && alpha != 1.0 {
            return Err(format!("'{s}': a block without a skip has no α"));
        }
        Ok(Gene { skip, alpha })
    }
}

/// A skip per block, in block order: the text form `I,I,-,W*0.5,A` (one code per block; `-` = no skip).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SkipPattern(pub Vec<Gene>);

impl std::fmt::Display for SkipPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(Gene::to_string).collect();
        write!(f, "{}", parts.join(","))
    }
}

impl std::str::FromStr for SkipPattern {
    type Err = String;
    fn from_str(s: &str) -> Result<SkipPattern, String> {
        if s.len() > 20_000 {
            return Err("a skip pattern longer than 20,000 characters".into());
        }
        let genes = s.split(',').map(str::parse).collect::<Result<Vec<Gene>, String>>()?;
        Ok(SkipPattern(genes))
    }
}

impl TryFrom<String> for SkipPattern {
    type Error = String;
    fn try_from(s: String) -> Result<SkipPattern, String> {
        s.parse()
    }
}

impl From<SkipPattern> for String {
    fn from(p: SkipPattern) -> String {
        p.to_string()
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
    /// A skip per block, overriding `skip` block by block (Part 7's skip patterns, the search page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<SkipPattern>,
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
    /// Per-block skips overriding `skip` (one per block, in order), when the spec has a pattern.
    pub pattern: Option<Vec<Gene>>,
}

pub const IMAGENET_DEPTHS: [usize; 5] = [18, 34, 50, 101, 152];

impl ModelSpec {
    pub fn new(family: Family, depth: usize, skip: Skip) -> Self {
        let width = match family {
            Family::Imagenet | Family::PlainDeepNet | Family::PlainConvNet => 64,
            _ => 16,
        };
        ModelSpec { family, depth, width, skip, preact: false, act: Act::Relu, bottleneck: false, pattern: None }
    }

    /// The same net with a skip per block (`pattern` must have one entry per block; see [`ModelSpec::checked`]).
    pub fn with_pattern(mut self, pattern: SkipPattern) -> Self {
        self.pattern = Some(pattern);
        self
    }

    /// Residual blocks the net has (the length a skip pattern must have).
    pub fn blocks(&self) -> usize {
        self.resolve(3, 10).stages.iter().map(|s| s.blocks).sum()
    }

    /// The name the text form starts with (`resnet20`, `plain56`, `stack10` …), when the spec has one.
    pub fn base_name(&self) -> String {
        let prefix = match (self.family, self.skip, self.preact) {
            (Family::Stack, _, _) => "stack",
            (Family::PlainDeepNet, Skip::None, _) => "plaindeep",
            (Family::PlainDeepNet, _, _) => "resdeep",
            (Family::PlainConvNet, Skip::None, _) => "plainconv",
            (Family::PlainConvNet, _, _) => "resconv",
            (_, Skip::None, _) => "plain",
            (_, _, true) => "preresnet",
            _ => "resnet",
        };
        format!("{prefix}{}", self.depth)
    }

    /// The compact text form of a patterned net, e.g. `resnet20:I,I,-,W,A,I,I,I,I` (what the URL, the
    /// CLI and CSV files use); `None` without a pattern.
    pub fn pattern_text(&self) -> Option<String> {
        self.pattern.as_ref().map(|p| format!("{}:{p}", self.base_name()))
    }

    pub fn with_width(mut self, width: usize) -> Self {
        self.width = width;
        self
    }

    /// Parses names such as `resnet56`, `plain20`, `resnet50`, `preresnet110`, `stack10`.
    /// ImageNet depths (18/34/50/101/152) give the ImageNet family; other 6n+2 give CIFAR nets.
    pub fn from_name(name: &str) -> Result<Self, String> {
        if let Some((base, pattern)) = name.split_once(':') {
            let pattern: SkipPattern = pattern.parse()?;
            return ModelSpec::from_name(base)?.with_pattern(pattern).checked();
        }
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
        if let Some(p) = &self.pattern {
            let blocks = self.blocks();
            if p.0.len() != blocks {
                return Err(format!(
                    "the skip pattern has {} entries; {} has {blocks} blocks (one entry per block)",
                    p.0.len(),
                    self.base_name()
                ));
            }
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
        if let Some(p) = &self.pattern {
            return format!("{base} [{p}]");
        }
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
            pattern: self.pattern.as_ref().map(|p| p.0.clone()),
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
    /// Block `index`'s skip (counting blocks from the input side over all stages).
    pub fn gene(&self, index: usize) -> Gene {
        self.pattern.as_ref().and_then(|p| p.get(index).copied()).unwrap_or(Gene::new(self.skip))
    }

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
        let (k, w0) = match self.stem {
            Stem::Small { width } => (3, width),
            Stem::Large { width } => (7, width),
        };
        let blocks = self.block_plans(32);
        let c = blocks.last().map_or(w0, |b| b.output[0]);
        let stem = self.conv_params(self.in_channels, w0, k) + 2 * w0;
        let final_bn = if self.preact { 2 * c } else { 0 };
        stem + blocks.iter().map(|b| b.params).sum::<usize>() + final_bn + c * self.classes + self.classes
    }

    fn conv_params(&self, cin: usize, cout: usize, k: usize) -> usize {
        cin * cout * k * k + if self.conv_bias { cout } else { 0 }
    }

    /// Every block as planned, input side first, for an input of side `size`: what the network
    /// diagram draws and what [`NetSpec::params`] sums.
    pub fn block_plans(&self, size: usize) -> Vec<BlockPlan> {
        let conv = |cin: usize, cout: usize, k: usize| self.conv_params(cin, cout, k);
        let bn = |c: usize| 2 * c;
        let side = |s: usize, k: usize, stride: usize| (s + 2 * (k / 2) - k) / stride + 1;
        let (mut c, mut s) = match self.stem {
            Stem::Small { width } => (width, size),
            Stem::Large { width } => (width, side(side(size, 7, 2), 3, 2)),
        };
        let mut out = Vec::new();
        for (stage_index, stage) in self.stages.iter().enumerate() {
            for i in 0..stage.blocks {
                let stride = if i == 0 { stage.stride } else { 1 };
                let gene = self.gene(out.len());
                let width = stage.width;
                let cout = width * self.block.expansion();
                let mut params = match (self.block, self.preact) {
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
                let projects = shape_changes && !matches!(gene.skip, Skip::None | Skip::Identity);
                if projects {
                    params += conv(c, cout, 1) + bn(cout);
                }
                params += match gene.skip {
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
                let out_side = side(s, 3, stride);
                out.push(BlockPlan {
                    stage: stage_index,
                    kind: self.block,
                    gene,
                    input: [c, s, s],
                    output: [cout, out_side, out_side],
                    shortcut: match gene.skip {
                        Skip::None => Shortcut::None,
                        _ if projects => Shortcut::Projection,
                        _ if shape_changes => Shortcut::SubsamplePad,
                        _ => Shortcut::Identity,
                    },
                    params,
                });
                c = cout;
                s = out_side;
            }
        }
        out
    }
}

/// How a block's shortcut carries x to the sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    /// No shortcut: a plain block.
    None,
    /// x unchanged.
    Identity,
    /// x subsampled (stride 2) and zero-padded to the new width: option A, no parameters.
    SubsamplePad,
    /// 1×1 conv + BN: option B, where the shape changes.
    Projection,
}

impl Shortcut {
    pub fn describe(self) -> &'static str {
        match self {
            Shortcut::None => "no shortcut",
            Shortcut::Identity => "identity",
            Shortcut::SubsamplePad => "subsample + zero-pad",
            Shortcut::Projection => "1×1 conv projection",
        }
    }
}

/// One block as planned: what the network diagram shows.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockPlan {
    /// 0-based stage.
    pub stage: usize,
    pub kind: BlockKind,
    pub gene: Gene,
    /// `[channels, h, w]` in and out.
    pub input: [usize; 3],
    pub output: [usize; 3],
    pub shortcut: Shortcut,
    pub params: usize,
}

fn unknown_model(name: &str) -> String {
    format!(
        "unknown model '{name}': use resnetN or plainN (N = 18, 34, 50, 101, 152 for ImageNet nets; 6n+2 such as 20, 32, 44, 56, 110 for CIFAR nets), preresnetN, stackN (even N), plaindeepN / resdeepN (Part 6, N = 4n+2, e.g. 6), plainconvN / resconvN (Exercise 1/2, N blocks); NAME:PATTERN gives a skip per block, e.g. resnet14:I,-,W,A,I,X (codes - I P W A X D, optionally *α)"
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
    fn skip_patterns_as_text() {
        let m = ModelSpec::from_name("resnet14:i,-,W*0.5,a,X,D").unwrap();
        assert_eq!(m.pattern_text().unwrap(), "resnet14:I,-,W*0.5,A,X,D");
        assert_eq!(m.label(), "ResNet-14 [I,-,W*0.5,A,X,D]");
        assert_eq!(ModelSpec::from_name(&m.pattern_text().unwrap()).unwrap(), m);
        // JSON carries the same text form.
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains(r#""pattern":"I,-,W*0.5,A,X,D""#), "{json}");
        assert_eq!(serde_json::from_str::<ModelSpec>(&json).unwrap(), m);
        assert!(serde_json::from_str::<ModelSpec>(&json.replace("W*0.5", "Q")).is_err());
        assert!(ModelSpec::from_name("resnet14:I,I").unwrap_err().contains("has 6 blocks"));
        assert!(ModelSpec::from_name("resnet14:I,I,I,I,I,Z").unwrap_err().contains("not a block skip"));
        assert!(ModelSpec::from_name("resnet14:I,I,I,I,I,-*2").unwrap_err().contains("no α"));
        assert!(ModelSpec::from_name("resnet14:I,I,I,I,I,I*9").unwrap_err().contains("(0, 4]"));
        // No pattern: nothing extra in JSON (old configs and URLs stay as they were).
        assert!(!serde_json::to_string(&ModelSpec::from_name("resnet20").unwrap()).unwrap().contains("pattern"));
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
