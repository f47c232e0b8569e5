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
    /// The name a page shows: what the block computes, in words and symbols.
    pub fn title(self) -> &'static str {
        match self {
            Skip::None => "none: a plain block, no shortcut",
            Skip::Identity => "identity: x + F(x)",
            Skip::Projection => "projection: x + F(x), a 1×1 conv where the shape changes",
            Skip::ChannelWeight => "channel weights: x + w ⊙ F(x)",
            Skip::XAttention => "attention from x: x + a(x) ⊙ F(x)",
            Skip::Dense => "dense: x + F(x) + G(x)",
            Skip::Attention => "SE on the residual: x + a(F) ⊙ F(x)",
        }
    }

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
    let cout = kind.out_channels(cin, width);
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
    /// 1×1 reduce → 3×3 (grouped in ResNeXt) → 1×1 expand ×4 (ResNet-50/101/152, ResNeXt, Wide ResNet-50-2).
    Bottleneck,
    /// DenseNet-BC's layer: BN-ReLU-1×1 (to `inner` = 4k) → BN-ReLU-3×3 (to k), concatenated onto x.
    DenseLayer,
    /// DenseNet's transition between dense blocks: BN-ReLU-1×1 (compression θ = ½) → 2×2 average pool.
    /// Only in plans: the net builds it as its own module, not a [`BlockKind`] block.
    Transition,
}

impl BlockKind {
    /// Output channels of a unit from `cin` channels at `width` (a dense layer's width is its growth).
    pub fn out_channels(self, cin: usize, width: usize) -> usize {
        match self {
            BlockKind::Basic => width,
            BlockKind::Bottleneck => 4 * width,
            BlockKind::DenseLayer => cin + width,
            BlockKind::Transition => cin / 2,
        }
    }
}

/// The course module's residual variants (§4): what a block holds beyond He et al.'s ResNet.
/// Pre-activation ResNets are `Resnet` with [`ModelSpec::preact`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Variant {
    #[default]
    Resnet,
    /// Wide ResNet (Zagoruyko & Komodakis 2016): every stage k× wider. CIFAR form WRN-d-k:
    /// pre-activation basic blocks, optional dropout between the two convs.
    Wide {
        k: usize,
        #[serde(default)]
        dropout: f32,
    },
    /// ResNeXt (Xie et al. 2017): bottlenecks whose 3×3 is split into `cardinality` groups of
    /// `group_width` channels each (at the first stage; both double per stage).
    Resnext { cardinality: usize, group_width: usize },
    /// DenseNet-BC (Huang et al. 2017): each layer concatenates `growth` new channels onto its input.
    Densenet { growth: usize },
    /// SE-ResNet (Hu et al. 2018): a squeeze-and-excitation gate on F(x) before the addition, with a
    /// hidden layer of channels / `reduction`.
    Se { reduction: usize },
}

impl Variant {
    pub fn is_resnet(&self) -> bool {
        *self == Variant::Resnet
    }

    /// One word for the family ("resnet", "wide", "resnext", "densenet", "se").
    pub fn key(&self) -> &'static str {
        match self {
            Variant::Resnet => "resnet",
            Variant::Wide { .. } => "wide",
            Variant::Resnext { .. } => "resnext",
            Variant::Densenet { .. } => "densenet",
            Variant::Se { .. } => "se",
        }
    }
}

/// SE gate's hidden width for `c` channels at reduction `r` (Hu et al.: c / r).
pub fn se_hidden(c: usize, r: usize) -> usize {
    (c / r.max(1)).max(1)
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
    /// Wide / ResNeXt / DenseNet / SE instead of a plain ResNet; their shortcut is fixed by the
    /// variant, so `skip` only matters for `Variant::Resnet`.
    #[serde(default, skip_serializing_if = "Variant::is_resnet")]
    pub variant: Variant,
    /// An ImageNet ResNet with a 3×3 stride-1 stem and no max-pool, as CIFAR code adapts ResNet-18/34/50
    /// to 32 px images (`resnet18-cifar`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cifar_stem: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stem {
    /// 3×3 conv (stride 1) + BN + act.
    Small { width: usize },
    /// 7×7 conv stride 2 + BN + act + 3×3 max-pool stride 2.
    Large { width: usize },
}

#[derive(Clone, Debug, PartialEq)]
pub struct StageSpec {
    /// Basic: output channels; bottleneck: output = 4 × width; dense layer: the growth rate k.
    pub width: usize,
    /// Channels of the inner conv: basic = width; bottleneck = the (grouped) 3×3's width; dense = 4k.
    pub inner: usize,
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
    /// Groups of the bottleneck's 3×3 (ResNeXt's cardinality; 1 elsewhere).
    pub groups: usize,
    /// SE gates' reduction r (hidden = channels / r).
    pub se_reduction: usize,
    /// BN + activation after the stem conv (pre-activation CIFAR nets leave it to the first block).
    pub stem_norm: bool,
    /// BN after a projection shortcut's 1×1 conv (pre-activation nets project the normalised x
    /// with a bare conv, as He et al. 2016 and WRN do).
    pub shortcut_norm: bool,
    /// Dropout between a basic block's two convs (WRN's option).
    pub dropout: f32,
}

pub const IMAGENET_DEPTHS: [usize; 5] = [18, 34, 50, 101, 152];

impl ModelSpec {
    pub fn new(family: Family, depth: usize, skip: Skip) -> Self {
        let width = match family {
            Family::Imagenet | Family::PlainDeepNet | Family::PlainConvNet => 64,
            _ => 16,
        };
        ModelSpec {
            family,
            depth,
            width,
            skip,
            preact: false,
            act: Act::Relu,
            bottleneck: false,
            pattern: None,
            variant: Variant::Resnet,
            cifar_stem: false,
        }
    }

    /// Residual blocks per stage of a CIFAR-layout net: 6n+2 layers with basic blocks; 9n+2 for
    /// pre-activation bottleneck nets (PreResNet-164, -1001) and ResNeXt-29; 6n+4 for WRN and DenseNet-BC.
    /// (Part 7's bottleneck toggle keeps the basic net's block count, to compare blocks one for one.)
    fn cifar_blocks(&self) -> usize {
        match self.variant {
            Variant::Wide { .. } | Variant::Densenet { .. } => (self.depth - 4) / 6,
            Variant::Resnext { .. } => (self.depth - 2) / 9,
            _ if self.bottleneck && self.preact => (self.depth - 2) / 9,
            _ => (self.depth - 2) / 6,
        }
    }

    pub fn with_variant(mut self, variant: Variant) -> Self {
        self.variant = variant;
        self
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
        let stem = if self.cifar_stem { "-cifar" } else { "" };
        format!("{prefix}{}{stem}", self.depth)
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
        if let Some(variant) = variant_from_name(&lower) {
            return variant.map_err(|e| format!("'{name}': {e}"))?.checked();
        }
        if let Some(base) = lower.strip_suffix("-cifar") {
            let mut spec = ModelSpec::from_name(base)?;
            if spec.family != Family::Imagenet || !spec.variant.is_resnet() {
                return Err(format!("'{name}': -cifar adapts an ImageNet ResNet (18, 34, 50, 101, 152) to 32 px images"));
            }
            spec.cifar_stem = true;
            return spec.checked();
        }
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
        // He et al. 2016's deep pre-activation nets (164, 1001 layers) use bottleneck blocks: 9n+2.
        spec.bottleneck = preact && family == Family::Cifar && depth >= 164 && (depth - 2).is_multiple_of(9);
        if spec.bottleneck {
            // Their first block goes from 16 to 64 channels: projection shortcuts (option B), as theirs.
            spec.skip = Skip::Projection;
        }
        spec.checked()
    }

    /// The name [`ModelSpec::from_name`] reads back (width aside): `wrn-28-10`, `resnext50_32x4d`,
    /// `densenet-bc-100-12`, `se_resnet50`, `resnet20:I,-,W`, …
    pub fn name(&self) -> String {
        let cifar = self.family == Family::Cifar;
        let d = self.depth;
        match self.variant {
            Variant::Resnet => self.pattern_text().unwrap_or_else(|| self.base_name()),
            Variant::Wide { k, dropout } if cifar => {
                if dropout > 0.0 {
                    format!("wrn-{d}-{k}-d{dropout}")
                } else {
                    format!("wrn-{d}-{k}")
                }
            }
            Variant::Wide { k, .. } => format!("wide_resnet{d}_{k}"),
            Variant::Resnext { cardinality: c, group_width: g } => format!("resnext{d}{}{c}x{g}d", if cifar { '-' } else { '_' }),
            Variant::Densenet { growth } if cifar => format!("densenet-bc-{d}-{growth}"),
            Variant::Densenet { growth } => {
                if growth == imagenet_densenet(d).map_or(0, |(g, _, _)| g) {
                    format!("densenet{d}")
                } else {
                    format!("densenet{d}-k{growth}")
                }
            }
            Variant::Se { reduction } => {
                let base = format!("se{}resnet{d}", if cifar { '-' } else { '_' });
                if reduction == 16 {
                    base
                } else {
                    format!("{base}-r{reduction}")
                }
            }
        }
    }

    /// Validates depth/width for the family; the error names what is accepted.
    pub fn checked(self) -> Result<Self, String> {
        match self.family {
            _ if !self.variant.is_resnet() => self.variant_problem().map_or(Ok(()), Err)?,
            Family::Cifar if self.preact && self.bottleneck => {
                if self.depth < 11 || !(self.depth - 2).is_multiple_of(9) || self.depth > 1001 {
                    return Err(format!(
                        "a pre-activation bottleneck net's depth must be 9n+2 between 11 and 1001 (164, 1001), got {}",
                        self.depth
                    ));
                }
            }
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
        if self.pattern.is_some() && !self.variant.is_resnet() {
            return Err("skip patterns are for ResNets: a Wide/ResNeXt/DenseNet/SE net's shortcuts are fixed by its design".into());
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

    /// What is wrong with a Wide/ResNeXt/DenseNet/SE spec's depth and knobs, if anything.
    fn variant_problem(&self) -> Option<String> {
        let d = self.depth;
        let cifar = match self.family {
            Family::Cifar => true,
            Family::Imagenet => false,
            _ => return Some("Wide, ResNeXt, DenseNet and SE variants come in CIFAR and ImageNet layouts only".into()),
        };
        let bad_depth = match self.variant {
            Variant::Resnet => false,
            Variant::Wide { .. } | Variant::Densenet { .. } if cifar => d < 10 || !(d - 4).is_multiple_of(6) || d > 400,
            Variant::Resnext { .. } if cifar => d < 11 || !(d - 2).is_multiple_of(9) || d > 299,
            Variant::Se { .. } if cifar => d < 8 || !(d - 2).is_multiple_of(6) || d > 1202,
            Variant::Densenet { .. } => imagenet_densenet(d).is_none(),
            Variant::Se { .. } => !IMAGENET_DEPTHS.contains(&d),
            Variant::Wide { .. } | Variant::Resnext { .. } => ![50, 101, 152].contains(&d),
        };
        if bad_depth {
            let accepted = match (self.variant, cifar) {
                (Variant::Wide { .. } | Variant::Densenet { .. }, true) => "6n+4 between 10 and 400 (16, 28, 40, 100, …)",
                (Variant::Resnext { .. }, true) => "9n+2 between 11 and 299 (29, …)",
                (_, true) => "6n+2 between 8 and 1202",
                (Variant::Densenet { .. }, false) => "121, 161, 169 or 201",
                (Variant::Se { .. }, false) => "18, 34, 50, 101 or 152",
                _ => "50, 101 or 152 (bottleneck nets)",
            };
            return Some(format!("{} depth must be {accepted}, got {d}", self.variant.key()));
        }
        match self.variant {
            Variant::Wide { k, dropout } => (!(1..=16).contains(&k) || !(0.0..0.95).contains(&dropout))
                .then(|| format!("a Wide ResNet needs k in 1..=16 and dropout in [0, 0.95), got k = {k}, dropout = {dropout}")),
            Variant::Resnext { cardinality: c, group_width: g } => {
                if !(1..=128).contains(&c) || !(1..=256).contains(&g) {
                    Some(format!("ResNeXt needs cardinality 1..=128 and group width 1..=256, got {c}×{g}d"))
                } else if self.width * g < 64 {
                    Some(format!(
                        "ResNeXt {c}×{g}d at base width {}: each group would have {}×{g}/64 < 1 channel; raise the width or the group width",
                        self.width, self.width
                    ))
                } else {
                    None
                }
            }
            Variant::Densenet { growth } => {
                (!(1..=128).contains(&growth)).then(|| format!("DenseNet growth rate must be 1..=128, got {growth}"))
            }
            Variant::Se { reduction } => {
                (!(1..=256).contains(&reduction)).then(|| format!("SE reduction must be 1..=256, got {reduction}"))
            }
            Variant::Resnet => None,
        }
    }

    /// A short human label, e.g. "ResNet-56", "Plain-20", "Stack-10 (residual)".
    pub fn label(&self) -> String {
        let cifar = self.family == Family::Cifar;
        let d = self.depth;
        match self.variant {
            Variant::Resnet => {}
            Variant::Wide { k, dropout } if cifar => {
                return if dropout > 0.0 { format!("WRN-{d}-{k} (dropout {dropout})") } else { format!("WRN-{d}-{k}") };
            }
            Variant::Wide { k, .. } => return format!("Wide ResNet-{d}-{k}"),
            Variant::Resnext { cardinality: c, group_width: g } => return format!("ResNeXt-{d} ({c}×{g}d)"),
            Variant::Densenet { growth } if cifar => return format!("DenseNet-BC-{d} (k={growth})"),
            Variant::Densenet { growth } => return format!("DenseNet-{d} (k={growth})"),
            Variant::Se { reduction } => return format!("SE-ResNet-{d} (r={reduction})"),
        }
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
        let base = if self.cifar_stem { format!("{base} (3×3 stem)") } else { base };
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
        let stage =
            |width: usize, inner: usize, blocks: usize, i: usize| StageSpec { width, inner, blocks, stride: if i == 0 { 1 } else { 2 } };
        // torchvision's bottleneck: the 3×3 has ⌊planes · group_width / 64⌋ · groups channels.
        let (groups, group_width) = match self.variant {
            Variant::Resnext { cardinality, group_width } => (cardinality, group_width),
            Variant::Wide { k, .. } if self.family == Family::Imagenet => (1, 64 * k),
            _ => (1, 64),
        };
        let inner = |planes: usize| planes * group_width / 64 * groups;
        let (stem, stages, block) = match (self.family, self.variant) {
            (Family::Cifar, Variant::Wide { k, .. }) => {
                let n = self.cifar_blocks();
                let stages = (0..3).map(|i| stage((w * k) << i, (w * k) << i, n, i)).collect();
                (Stem::Small { width: w }, stages, BlockKind::Basic)
            }
            (Family::Cifar, Variant::Densenet { growth }) => {
                let n = self.cifar_blocks();
                (Stem::Small { width: w }, (0..3).map(|i| stage(growth, 4 * growth, n, i)).collect(), BlockKind::DenseLayer)
            }
            (Family::Imagenet, Variant::Densenet { growth }) => {
                let (_, _, counts) = imagenet_densenet(self.depth).unwrap_or((32, 64, [6, 12, 24, 16]));
                (
                    Stem::Large { width: w },
                    counts.iter().enumerate().map(|(i, &n)| stage(growth, 4 * growth, n, i)).collect(),
                    BlockKind::DenseLayer,
                )
            }
            (Family::Cifar, Variant::Resnext { .. }) => {
                let n = self.cifar_blocks();
                (Stem::Small { width: w }, (0..3).map(|i| stage(w << i, inner(w << i), n, i)).collect(), BlockKind::Bottleneck)
            }
            (Family::Cifar, _) => {
                let n = self.cifar_blocks();
                (Stem::Small { width: w }, (0..3).map(|i| stage(w << i, w << i, n, i)).collect(), BlockKind::Basic)
            }
            (Family::Imagenet, _) => {
                let (block, counts) = match self.depth {
                    18 => (BlockKind::Basic, [2, 2, 2, 2]),
                    34 => (BlockKind::Basic, [3, 4, 6, 3]),
                    50 => (BlockKind::Bottleneck, [3, 4, 6, 3]),
                    101 => (BlockKind::Bottleneck, [3, 4, 23, 3]),
                    _ => (BlockKind::Bottleneck, [3, 8, 36, 3]),
                };
                let stages = counts.iter().enumerate().map(|(i, &b)| stage(w << i, inner(w << i), b, i)).collect();
                (if self.cifar_stem { Stem::Small { width: w } } else { Stem::Large { width: w } }, stages, block)
            }
            (Family::Stack, _) => {
                let blocks = (self.depth - 2) / 2;
                let first = blocks.div_ceil(2);
                let mut stages = vec![stage(w, w, first, 0)];
                if blocks > first {
                    stages.push(stage(2 * w, 2 * w, blocks - first, 1));
                }
                (Stem::Small { width: w }, stages, BlockKind::Basic)
            }
            (Family::PlainDeepNet, _) => {
                let n = (self.depth - 2) / 4;
                (Stem::Large { width: w }, vec![stage(w, w, n, 0), stage(2 * w, 2 * w, n, 1)], BlockKind::Basic)
            }
            (Family::PlainConvNet, _) => (Stem::Large { width: w }, vec![stage(w, w, self.depth, 0)], BlockKind::Basic),
        };
        let block = match block {
            BlockKind::Basic if self.bottleneck => BlockKind::Bottleneck,
            other => other,
        };
        let ex1_net = self.family == Family::PlainConvNet;
        // Pre-activation designs (He et al. 2016, CIFAR WRN, DenseNet) normalise inside the blocks.
        let preact = self.preact
            || matches!(self.variant, Variant::Densenet { .. })
            || (self.family == Family::Cifar && matches!(self.variant, Variant::Wide { .. }));
        let skip = match self.variant {
            Variant::Resnet => self.skip,
            Variant::Se { .. } => Skip::Attention,
            Variant::Densenet { .. } => Skip::Identity,
            Variant::Wide { .. } | Variant::Resnext { .. } => Skip::Projection,
        };
        NetSpec {
            in_channels,
            classes,
            stem_norm: !(preact && matches!(stem, Stem::Small { .. })),
            stem,
            stages,
            block,
            skip,
            preact,
            act: self.act,
            conv_bias: ex1_net,
            block_post_act: !ex1_net,
            pattern: self.pattern.as_ref().map(|p| p.0.clone()),
            groups,
            se_reduction: match self.variant {
                Variant::Se { reduction } => reduction,
                _ => 4,
            },
            shortcut_norm: !preact,
            dropout: match self.variant {
                Variant::Wide { dropout, .. } => dropout,
                _ => 0.0,
            },
        }
    }
}

/// torchvision's DenseNets: (growth, stem width, layers per dense block) for a depth.
pub fn imagenet_densenet(depth: usize) -> Option<(usize, usize, [usize; 4])> {
    match depth {
        121 => Some((32, 64, [6, 12, 24, 16])),
        161 => Some((48, 96, [6, 12, 36, 24])),
        169 => Some((32, 64, [6, 12, 32, 32])),
        201 => Some((32, 64, [6, 12, 48, 32])),
        _ => None,
    }
}

/// Reads the variant names (`wrn-28-10[-d0.3]`, `wide_resnet50_2`, `resnext29-8x64d`,
/// `resnext50_32x4d`, `densenet-bc-100-12`, `densenet121[-k48]`, `se-resnet20[-r4]`, `se_resnet50`);
/// `None` when `lower` is not one of them.
fn variant_from_name(lower: &str) -> Option<Result<ModelSpec, String>> {
    fn num<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
        s.parse().map_err(|_| format!("'{s}' is not a {what}"))
    }
    let spec = |family: Family, depth: usize, width: usize, variant: Variant| {
        let skip = if variant.is_resnet() { Skip::Projection } else { Skip::Identity };
        ModelSpec::new(family, depth, skip).with_width(width).with_variant(variant)
    };
    let parse = || -> Option<Result<ModelSpec, String>> {
        if let Some(rest) = lower.strip_prefix("wrn-") {
            let parts: Vec<&str> = rest.split('-').collect();
            return Some((|| {
                let (depth, k) = match parts[..] {
                    [d, k] | [d, k, _] => (num(d, "depth")?, num(k, "widening factor k")?),
                    _ => return Err("write a Wide ResNet as wrn-DEPTH-K, e.g. wrn-28-10 (optionally -d0.3 for dropout)".to_string()),
                };
                let dropout = match parts.get(2) {
                    Some(d) => num(d.strip_prefix('d').ok_or("dropout is written -d0.3")?, "dropout")?,
                    None => 0.0,
                };
                Ok(spec(Family::Cifar, depth, 16, Variant::Wide { k, dropout }))
            })());
        }
        if let Some(rest) = lower.strip_prefix("wide_resnet") {
            let (d, k) = rest.split_once('_')?;
            return Some((|| {
                Ok(spec(Family::Imagenet, num(d, "depth")?, 64, Variant::Wide { k: num(k, "widening factor")?, dropout: 0.0 }))
            })());
        }
        if let Some(rest) = lower.strip_prefix("resnext") {
            let at = rest.find(['-', '_'])?;
            let (d, shape) = (&rest[..at], &rest[at + 1..]);
            let family = if rest.as_bytes()[at] == b'-' { Family::Cifar } else { Family::Imagenet };
            return Some((|| {
                let (c, g) = shape.strip_suffix('d').and_then(|s| s.split_once('x')).ok_or("write ResNeXt's shape as CxDd, e.g. 8x64d")?;
                let variant = Variant::Resnext { cardinality: num(c, "cardinality")?, group_width: num(g, "group width")? };
                Ok(spec(family, num(d, "depth")?, 64, variant))
            })());
        }
        if let Some(rest) = lower.strip_prefix("densenet-bc-") {
            return Some((|| {
                let (d, k) = rest.split_once('-').ok_or("write DenseNet-BC as densenet-bc-DEPTH-K, e.g. densenet-bc-100-12")?;
                let growth: usize = num(k, "growth rate")?;
                Ok(spec(Family::Cifar, num(d, "depth")?, 2 * growth, Variant::Densenet { growth }))
            })());
        }
        if let Some(rest) = lower.strip_prefix("densenet") {
            return Some((|| {
                let (d, k) = rest.split_once("-k").map_or((rest, None), |(d, k)| (d, Some(k)));
                let depth: usize = num(d, "depth")?;
                let (default_growth, stem, _) =
                    imagenet_densenet(depth).ok_or(format!("DenseNet depth must be 121, 161, 169 or 201, got {depth}"))?;
                let growth = k.map(|k| num(k, "growth rate")).transpose()?.unwrap_or(default_growth);
                Ok(spec(Family::Imagenet, depth, stem, Variant::Densenet { growth }))
            })());
        }
        for (prefix, family, width) in [("se-resnet", Family::Cifar, 16), ("se_resnet", Family::Imagenet, 64)] {
            if let Some(rest) = lower.strip_prefix(prefix) {
                return Some((|| {
                    let (d, r) = rest.split_once("-r").map_or((rest, None), |(d, r)| (d, Some(r)));
                    let reduction = r.map(|r| num(r, "reduction")).transpose()?.unwrap_or(16);
                    Ok(spec(family, num(d, "depth")?, width, Variant::Se { reduction }))
                })());
            }
        }
        None
    };
    parse()
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
        let (k, stride, w0) = match self.stem {
            Stem::Small { width } => (3, 1, width),
            Stem::Large { width } => (7, 2, width),
        };
        let s = out(size, k, stride);
        let stem = 3 * (w0 * s * s) as u64;
        let plans = self.block_plans(size);
        let units: u64 = plans
            .iter()
            .map(|p| {
                let ([cin, s, _], [cout, s2, _]) = (p.input, p.output);
                let (a, b) = ((s * s) as u64, (s2 * s2) as u64);
                let (cin, cout, inner) = (cin as u64, cout as u64, p.inner as u64);
                match p.kind {
                    BlockKind::Basic => 3 * (inner * b + cout * b),
                    // 1×1 at the input size, then the strided 3×3 and the 1×1 expand at the output size.
                    BlockKind::Bottleneck => 3 * (inner * a + inner * b + cout * b),
                    // The two convs' outputs (with BN and ReLU) plus the concatenated copy.
                    BlockKind::DenseLayer => 3 * (inner * a + (cout - cin) * a) + cout * a,
                    // BN + ReLU of the input, the 1×1's output, the pooled output.
                    BlockKind::Transition => 2 * cin * a + cout * a + cout * b,
                }
            })
            .sum();
        stem + units + plans.last().map_or(w0, |p| p.output[0]) as u64
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
        let stem = self.conv_params(self.in_channels, w0, k, 1) + if self.stem_norm { 2 * w0 } else { 0 };
        let final_bn = if self.preact { 2 * c } else { 0 };
        stem + blocks.iter().map(|b| b.params).sum::<usize>() + final_bn + c * self.classes + self.classes
    }

    fn conv_params(&self, cin: usize, cout: usize, k: usize, groups: usize) -> usize {
        cin / groups * cout * k * k + if self.conv_bias { cout } else { 0 }
    }

    /// Every unit as planned (residual blocks, dense layers, transitions), input side first, for an
    /// input of side `size`: what the network diagram draws and what [`NetSpec::params`] sums.
    pub fn block_plans(&self, size: usize) -> Vec<BlockPlan> {
        let conv = |cin: usize, cout: usize, k: usize| self.conv_params(cin, cout, k, 1);
        let bn = |c: usize| 2 * c;
        let side = |s: usize, k: usize, stride: usize| (s + 2 * (k / 2) - k) / stride + 1;
        let (mut c, mut s) = match self.stem {
            Stem::Small { width } => (width, size),
            Stem::Large { width } => (width, side(side(size, 7, 2), 3, 2)),
        };
        let mut out = Vec::new();
        let mut blocks = 0;
        for (stage_index, stage) in self.stages.iter().enumerate() {
            if self.block == BlockKind::DenseLayer && stage_index > 0 {
                // Transition: BN-ReLU-1×1 conv halving the channels, then a 2×2 average pool.
                let cout = BlockKind::Transition.out_channels(c, 0);
                let s2 = s.div_ceil(2);
                out.push(BlockPlan {
                    stage: stage_index - 1,
                    kind: BlockKind::Transition,
                    gene: Gene::new(Skip::None),
                    input: [c, s, s],
                    output: [cout, s2, s2],
                    inner: cout,
                    groups: 1,
                    shortcut: Shortcut::None,
                    params: bn(c) + conv(c, cout, 1),
                });
                (c, s) = (cout, s2);
            }
            for i in 0..stage.blocks {
                let stride = if i == 0 && self.block != BlockKind::DenseLayer { stage.stride } else { 1 };
                let gene = self.gene(blocks);
                blocks += 1;
                let (width, inner) = (stage.width, stage.inner);
                let cout = self.block.out_channels(c, width);
                let g = self.groups;
                let mut params = match (self.block, self.preact) {
                    (BlockKind::Basic, false) => conv(c, width, 3) + conv(width, width, 3) + bn(width) + bn(width),
                    (BlockKind::Basic, true) => conv(c, width, 3) + conv(width, width, 3) + bn(c) + bn(width),
                    (BlockKind::Bottleneck, false) => {
                        conv(c, inner, 1) + self.conv_params(inner, inner, 3, g) + conv(inner, cout, 1) + 2 * bn(inner) + bn(cout)
                    }
                    (BlockKind::Bottleneck, true) => {
                        conv(c, inner, 1) + self.conv_params(inner, inner, 3, g) + conv(inner, cout, 1) + bn(c) + 2 * bn(inner)
                    }
                    (BlockKind::DenseLayer, _) => bn(c) + conv(c, inner, 1) + bn(inner) + conv(inner, width, 3),
                    (BlockKind::Transition, _) => unreachable!("transitions are planned between dense blocks"),
                };
                let dense = self.block == BlockKind::DenseLayer;
                let shape_changes = !dense && (stride != 1 || c != cout);
                let projects = shape_changes && !matches!(gene.skip, Skip::None | Skip::Identity);
                if projects {
                    params += conv(c, cout, 1) + if self.shortcut_norm { bn(cout) } else { 0 };
                }
                let h = se_hidden(cout, self.se_reduction);
                params += match gene.skip {
                    _ if dense => 0,
                    Skip::ChannelWeight => cout,
                    Skip::Attention => cout * h + h + h * cout + cout,
                    Skip::XAttention => c * h + h + h * cout + cout,
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
                    inner,
                    groups: if self.block == BlockKind::Bottleneck { g } else { 1 },
                    shortcut: match gene.skip {
                        _ if dense => Shortcut::Concat,
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
    /// DenseNet: x is concatenated with the layer's new channels, `[x, H(x)]`.
    Concat,
}

impl Shortcut {
    pub fn describe(self) -> &'static str {
        match self {
            Shortcut::None => "no shortcut",
            Shortcut::Identity => "identity",
            Shortcut::SubsamplePad => "subsample + zero-pad",
            Shortcut::Projection => "1×1 conv projection",
            Shortcut::Concat => "concatenation [x, H(x)]",
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
    /// The inner conv's channels (a bottleneck's 3×3, a dense layer's 1×1 output).
    pub inner: usize,
    /// Groups of the 3×3 (ResNeXt's cardinality).
    pub groups: usize,
    pub shortcut: Shortcut,
    pub params: usize,
}

fn unknown_model(name: &str) -> String {
    format!(
        "unknown model '{name}': use resnetN or plainN (N = 18, 34, 50, 101, 152 for ImageNet nets; 6n+2 such as 20, 32, 44, 56, 110 for CIFAR nets), preresnetN, stackN (even N), plaindeepN / resdeepN (Part 6, N = 4n+2, e.g. 6), plainconvN / resconvN (Exercise 1/2, N blocks); NAME:PATTERN gives a skip per block, e.g. resnet14:I,-,W,A,I,X (codes - I P W A X D, optionally *α)"
    )
}

/// Every model name the CLI's `list` prints (the NAME forms of [`ModelSpec::from_name`]).
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
        "resnet18-cifar",
        "resnet34-cifar",
        "resnet50-cifar",
        "preresnet164",
        "preresnet1001",
        "wrn-16-4",
        "wrn-28-10",
        "wrn-40-4",
        "wide_resnet50_2",
        "wide_resnet101_2",
        "resnext29-8x64d",
        "resnext29-16x64d",
        "resnext50_32x4d",
        "resnext101_32x8d",
        "densenet-bc-100-12",
        "densenet-bc-250-24",
        "densenet121",
        "densenet161",
        "densenet169",
        "densenet201",
        "se-resnet20",
        "se-resnet56",
        "se_resnet18",
        "se_resnet50",
        "se_resnet101",
        "se_resnet152",
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
