//! The module's residual variants (§4): pre-activation ResNet, Wide ResNet, ResNeXt, DenseNet-BC
//! and SE-ResNet, built exactly, trained side by side on the same data and seed, and the trade-offs
//! (parameters, multiply-adds, time per step, memory, accuracy) computed from the runs.

use super::page::PageState;
use super::query::Query;
use super::run_view::Series;
use super::training::Training;
use crate::lab::data::DataKind;
use crate::lab::experiment::{ExperimentConfig, Summary};
use crate::lab::model::spec::se_hidden;
use crate::lab::model::{BlockKind, BlockPlan, Family, ModelSpec, NetSpec, Shortcut, Skip, Variant};

pub const MAX_NETS: usize = 6;

/// The families the page offers, with their depth rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Resnet,
    Preresnet,
    Wide,
    Resnext,
    Densenet,
    Se,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Resnet, Kind::Preresnet, Kind::Wide, Kind::Resnext, Kind::Densenet, Kind::Se];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Resnet => "resnet",
            Kind::Preresnet => "preresnet",
            Kind::Wide => "wide",
            Kind::Resnext => "resnext",
            Kind::Densenet => "densenet",
            Kind::Se => "se",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::Resnet => "ResNet (post-activation)",
            Kind::Preresnet => "Pre-activation ResNet",
            Kind::Wide => "Wide ResNet (WRN-d-k)",
            Kind::Resnext => "ResNeXt (grouped 3×3)",
            Kind::Densenet => "DenseNet-BC (concatenation)",
            Kind::Se => "SE-ResNet (channel gate)",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// (first depth, step): 6n+2, 6n+4 or 9n+2 layers.
    pub fn depths(self) -> (usize, usize) {
        match self {
            Kind::Wide | Kind::Densenet => (10, 6),
            Kind::Resnext => (11, 9),
            _ => (8, 6),
        }
    }

    pub fn of(spec: &ModelSpec) -> Kind {
        match spec.variant {
            Variant::Resnet if spec.preact => Kind::Preresnet,
            Variant::Resnet => Kind::Resnet,
            Variant::Wide { .. } => Kind::Wide,
            Variant::Resnext { .. } => Kind::Resnext,
            Variant::Densenet { .. } => Kind::Densenet,
            Variant::Se { .. } => Kind::Se,
        }
    }
}

/// The add-a-variant form: every family's knobs, so switching family keeps what was typed.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub kind: Kind,
    pub depth: usize,
    pub width: usize,
    /// Wide ResNet's widening factor and dropout.
    pub k: usize,
    pub dropout: f32,
    /// ResNeXt's cardinality × group width.
    pub cardinality: usize,
    pub group_width: usize,
    /// DenseNet's growth rate.
    pub growth: usize,
    /// SE reduction.
    pub reduction: usize,
}

impl Default for Draft {
    fn default() -> Self {
        Draft { kind: Kind::Wide, depth: 10, width: 8, k: 2, dropout: 0.0, cardinality: 4, group_width: 16, growth: 6, reduction: 4 }
    }
}

impl Draft {
    /// The CIFAR-layout net the form describes, or what is wrong with it.
    pub fn spec(&self) -> Result<ModelSpec, String> {
        let base = |skip| ModelSpec::new(Family::Cifar, self.depth, skip).with_width(self.width);
        let spec = match self.kind {
            Kind::Resnet => base(Skip::Identity),
            Kind::Preresnet => {
                let mut m = base(Skip::Identity);
                m.preact = true;
                m
            }
            Kind::Wide => base(Skip::Identity).with_variant(Variant::Wide { k: self.k, dropout: self.dropout }),
            Kind::Resnext => {
                base(Skip::Identity).with_variant(Variant::Resnext { cardinality: self.cardinality, group_width: self.group_width })
            }
            Kind::Densenet => base(Skip::Identity).with_variant(Variant::Densenet { growth: self.growth }),
            Kind::Se => base(Skip::Identity).with_variant(Variant::Se { reduction: self.reduction }),
        };
        spec.checked()
    }

    /// Snaps the depth onto the family's rule (6n+2, 6n+4, 9n+2), at most `max`.
    pub fn snap_depth(&mut self, depth: usize, max: usize) {
        let (first, step) = self.kind.depths();
        let n = (depth.max(first) - first + step / 2) / step;
        self.depth = (first + n * step).min(first + (max.saturating_sub(first) / step) * step);
    }
}

/// `name@width`: a model name ([`ModelSpec::name`]) at a base width, the page's URL form of a net.
pub fn encode(spec: &ModelSpec) -> String {
    format!("{}@{}", spec.name(), spec.width)
}

/// Reads `name@width`; only CIFAR-layout nets without skip patterns train here.
pub fn decode(s: &str) -> Result<ModelSpec, String> {
    let (name, width) = s.split_once('@').unwrap_or((s, ""));
    if name.contains(':') {
        return Err(format!("'{s}': skip patterns are Part 7's; this page compares whole families"));
    }
    let spec = ModelSpec::from_name(name)?;
    if spec.family != Family::Cifar {
        return Err(format!("'{name}' is an ImageNet-size net: Part 3 counts those; this page trains CIFAR layouts"));
    }
    let spec = match width {
        "" => spec,
        w => spec.with_width(w.parse().ok().filter(|w| (1..=128).contains(w)).ok_or(format!("width '{w}' must be 1..=128"))?),
    };
    spec.checked().map_err(|e| format!("'{s}': {e}"))
}

#[derive(Clone, Debug, PartialEq)]
pub struct Variants {
    pub nets: Vec<ModelSpec>,
    pub train: Training,
}

impl Default for Variants {
    /// One small net of each family, about 45,000 parameters each (sized to within 10 % of the
    /// ResNet's count): two epochs on the gratings take seconds.
    fn default() -> Self {
        let nets = ["resnet14@8", "preresnet14@8", "wrn-10-2@6", "resnext11-2x16d@13", "densenet-bc-16-12@24", "se-resnet14-r4@8"];
        Variants {
            nets: nets.iter().map(|n| decode(n).expect("default nets are valid")).collect(),
            train: Training {
                data: DataKind::Gratings,
                samples: 480,
                size: 16,
                epochs: 2,
                batch: 32,
                lr: 0.05,
                augment: false,
                seed: 42,
                ..Training::default()
            },
        }
    }
}

impl PageState for Variants {
    const SLUG: &'static str = "variants";

    fn read(q: &mut Query, d: &Variants) -> Variants {
        let nets = match q.raw("nets").map(str::to_string) {
            None => d.nets.clone(),
            Some(raw) => {
                let mut nets: Vec<ModelSpec> = Vec::new();
                for part in raw.split(',').filter(|s| !s.is_empty()) {
                    match decode(part) {
                        Ok(_) if nets.len() >= MAX_NETS => q.notes.push(format!("nets: at most {MAX_NETS}; dropped {part}")),
                        Ok(m) if nets.contains(&m) => q.notes.push(format!("nets: {part} appears twice; kept once")),
                        Ok(m) => nets.push(m),
                        Err(e) => q.notes.push(format!("nets: {e}; dropped")),
                    }
                }
                nets
            }
        };
        Variants { nets, train: Training::from_query(q, &d.train) }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("nets", self.nets.iter().map(encode).collect::<Vec<_>>().join(","))];
        pairs.extend(self.train.pairs());
        pairs
    }
}

impl Variants {
    pub fn channels(&self) -> usize {
        self.train.data_spec().channels
    }

    pub fn label(spec: &ModelSpec) -> String {
        format!("{} width {}", spec.label(), spec.width)
    }

    pub fn params(&self, spec: &ModelSpec) -> usize {
        spec.resolve(self.channels(), self.train.data_spec().classes).params()
    }

    pub fn configs(&self) -> Vec<ExperimentConfig> {
        self.nets.iter().map(|m| ExperimentConfig { label: Variants::label(m), ..self.train.config(m.clone()) }).collect()
    }

    /// Every net after the first re-sized (base width; DenseNet: growth rate, stem = 2k) to the
    /// parameter count nearest the first's. The notes say which could not get within 10 %.
    pub fn match_params(&self) -> (Vec<ModelSpec>, Vec<String>) {
        let Some(first) = self.nets.first() else { return (vec![], vec![]) };
        let target = self.params(first) as f64;
        let mut notes = Vec::new();
        let mut out = vec![first.clone()];
        for spec in &self.nets[1..] {
            let candidates: Vec<ModelSpec> = match spec.variant {
                Variant::Densenet { .. } => {
                    (1..=48).map(|g| spec.clone().with_variant(Variant::Densenet { growth: g }).with_width(2 * g)).collect()
                }
                _ => (1..=128).map(|w| spec.clone().with_width(w)).collect(),
            };
            let best = candidates
                .into_iter()
                .filter(|m| m.clone().checked().is_ok())
                .min_by(|a, b| (self.params(a) as f64 - target).abs().total_cmp(&(self.params(b) as f64 - target).abs()))
                .unwrap_or_else(|| spec.clone());
            let off = self.params(&best) as f64 / target - 1.0;
            if off.abs() > 0.10 {
                notes.push(format!("{}: the nearest size is {:+.0} % off the first net's parameters", Variants::label(&best), off * 100.0));
            }
            out.push(best);
        }
        (out, notes)
    }
}

/// One block's operations in order, for the block drawing: the residual branch, the shortcut and
/// how the two meet.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockSketch {
    pub branch: Vec<String>,
    pub shortcut: String,
    pub merge: String,
    /// Activation after the merge (post-activation blocks).
    pub after: Option<String>,
}

/// The first block of the net's second stage (where shapes change, so the shortcut shows its
/// projection), or its first block.
pub fn sketch(spec: &NetSpec, size: usize) -> Option<(BlockPlan, BlockSketch)> {
    let plans = spec.block_plans(size);
    let stage2 = plans.iter().position(|p| p.stage == 1 && p.kind != BlockKind::Transition);
    let plan = plans.get(stage2.unwrap_or(0)).or(plans.first())?.clone();
    let (cin, cout, inner) = (plan.input[0], plan.output[0], plan.inner);
    let act = spec.act.name().replace("_", " ");
    let act = act.as_str();
    let conv = |k: usize, a: usize, b: usize, groups: usize| {
        if groups > 1 {
            format!("{k}×{k} conv {a}→{b}, {groups} groups of {}", b / groups)
        } else {
            format!("{k}×{k} conv {a}→{b}")
        }
    };
    let stride = if plan.output[1] < plan.input[1] { " (stride 2)" } else { "" };
    // The convolutions in order; pre-activation puts BN and the activation before each, post-activation
    // after each (the last one's activation comes after the merge).
    let convs: Vec<String> = match plan.kind {
        BlockKind::Basic => vec![conv(3, cin, cout, 1) + stride, conv(3, cout, cout, 1)],
        BlockKind::Bottleneck => vec![conv(1, cin, inner, 1), conv(3, inner, inner, plan.groups) + stride, conv(1, inner, cout, 1)],
        BlockKind::DenseLayer => vec![conv(1, cin, inner, 1), conv(3, inner, cout - cin, 1)],
        BlockKind::Transition => return None,
    };
    let last = convs.len() - 1;
    let dropout = (spec.dropout > 0.0 && plan.kind == BlockKind::Basic).then(|| format!("dropout {}", spec.dropout));
    let mut branch = Vec::new();
    for (i, c) in convs.into_iter().enumerate() {
        if spec.preact {
            branch.extend(["BN".to_string(), act.to_string()]);
            if i == last {
                branch.extend(dropout.clone());
            }
            branch.push(c);
        } else {
            branch.extend([c, "BN".to_string()]);
            if i < last {
                branch.push(act.to_string());
            }
        }
    }
    if plan.gene.skip == Skip::Attention && plan.kind != BlockKind::DenseLayer {
        let h = se_hidden(cout, spec.se_reduction);
        branch.push(format!("SE gate: average pool → FC {cout}→{h} → ReLU → FC {h}→{cout} → sigmoid, × channels"));
    }
    let shortcut = match plan.shortcut {
        Shortcut::Projection if !spec.shortcut_norm => format!("1×1 conv {cin}→{cout}{stride} of BN-{act}(x)"),
        Shortcut::Projection => format!("1×1 conv {cin}→{cout}{stride} + BN"),
        Shortcut::SubsamplePad => format!("subsample{stride}, zero-pad {cin}→{cout} channels"),
        Shortcut::Concat => format!("x itself ({cin} channels)"),
        other => other.describe().to_string(),
    };
    let merge = match plan.shortcut {
        Shortcut::Concat => format!("concatenate [x, H(x)]: {cin} + {} = {cout} channels", cout - cin),
        Shortcut::None => "no merge".into(),
        _ => "add: F(x) + shortcut(x)".into(),
    };
    let after = (!spec.preact && spec.block_post_act && plan.kind != BlockKind::DenseLayer).then(|| act.to_string());
    Some((plan, BlockSketch { branch, shortcut, merge, after }))
}

/// One row of the trade-off table: what the plan says and what the run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Tradeoff {
    pub label: String,
    pub kind: Kind,
    pub params: usize,
    pub macs: u64,
    pub step_ms: f64,
    /// The plan's memory estimate for one training step (bytes).
    pub memory: u64,
    pub val_accuracy: f32,
    pub final_loss: f32,
    /// Multiply-adds done per millisecond of training step (forward ≈ ⅓ of a step's work).
    pub macs_per_ms: f64,
}

/// The table, in net order, for the nets whose runs finished.
pub fn tradeoffs(settings: &Variants, series: &[Series]) -> Vec<Tradeoff> {
    let configs = settings.configs();
    settings
        .nets
        .iter()
        .zip(&configs)
        .filter_map(|(net, config)| {
            let s: &Summary = series.iter().find(|s| s.label == config.label)?.summary.as_ref()?;
            let (m, _) = config.memory_estimate();
            Some(Tradeoff {
                label: config.label.clone(),
                kind: Kind::of(net),
                params: s.params,
                macs: s.macs,
                step_ms: s.step_ms,
                memory: m.total(),
                val_accuracy: s.final_val_accuracy,
                final_loss: s.final_loss,
                macs_per_ms: s.macs as f64 * config.batch.min(config.data.train_len().max(1)) as f64 / s.step_ms.max(1e-9),
            })
        })
        .collect()
}

/// The module's claims about each variant, each checked against this run's numbers. `held_out`
/// is the number of held-out images (accuracy differences below about two standard errors are
/// called a tie); `backend` names where it ran (utilisation claims are about GPUs).
pub fn claims(rows: &[Tradeoff], held_out: usize, backend: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some(base) = rows.iter().find(|r| r.kind == Kind::Resnet).or(rows.iter().find(|r| r.kind == Kind::Preresnet)) else {
        if rows.len() >= 2 {
            out.push("Add a plain ResNet (or a pre-activation one) to the comparison: the module's claims are made against it.".into());
        }
        return out;
    };
    // Two standard errors of an accuracy near 50 % on `held_out` images.
    let tie = 2.0 * (0.25 / held_out.max(1) as f64).sqrt();
    let pts = |a: f32| format!("{:.1}%", a * 100.0);
    let compare = |r: &Tradeoff| -> (&'static str, f64) {
        let d = (r.val_accuracy - base.val_accuracy) as f64;
        (
            if d.abs() < tie {
                "tie"
            } else if d > 0.0 {
                "higher"
            } else {
                "lower"
            },
            d,
        )
    };
    let size_gap = |r: &Tradeoff| r.params as f64 / base.params as f64 - 1.0;
    for r in rows.iter().filter(|r| r.label != base.label) {
        let (verdict, _) = compare(r);
        let gap = size_gap(r);
        let comparable = gap.abs() <= 0.25;
        let acc = format!("{} vs {} for {}", pts(r.val_accuracy), pts(base.val_accuracy), base.label);
        let line = match r.kind {
            Kind::Resnext if !comparable => format!(
                "ResNeXt \"better accuracy at similar complexity\": not testable here — {} has {:+.0} % the parameters of {}; press Match parameters.",
                r.label,
                gap * 100.0,
                base.label
            ),
            Kind::Resnext => format!(
                "ResNeXt \"better accuracy at similar complexity\": {} — {} held-out accuracy {acc} at {:+.0} % parameters.",
                match verdict {
                    "higher" => "supported by this run",
                    "lower" => "contradicted by this run",
                    _ => "not separated by this run (the difference is within the noise of the held-out set)",
                },
                r.label,
                gap * 100.0
            ),
            Kind::Wide => {
                let ratio = r.macs_per_ms / base.macs_per_ms.max(1e-9);
                format!(
                    "Wide ResNet \"better GPU utilisation, faster training\": {} did {:.2}× the multiply-adds per millisecond of {} ({:.0} vs {:.0} MMAC/s; {:.1} vs {:.1} ms per step) on {backend} — {}{}.",
                    r.label,
                    ratio,
                    base.label,
                    r.macs_per_ms / 1e3,
                    base.macs_per_ms / 1e3,
                    r.step_ms,
                    base.step_ms,
                    if ratio > 1.1 {
                        "supported: fewer, wider layers kept the device busier"
                    } else if ratio < 0.9 {
                        "contradicted on this device"
                    } else {
                        "no clear difference"
                    },
                    if backend.contains("GPU") { "" } else { " (the claim is about GPUs; this ran on the CPU)" }
                )
            }
            Kind::Densenet => format!(
                "DenseNet \"parameter efficient\": {} reached {acc} with {:+.0} % the parameters — {}.",
                r.label,
                gap * 100.0,
                match (verdict, gap <= 0.05) {
                    ("higher" | "tie", true) => "supported: as accurate or better with no more parameters",
                    ("higher", false) => "better accuracy, but with more parameters: press Match parameters to test the claim",
                    ("lower", true) => "contradicted by this run: fewer parameters, lower accuracy",
                    _ => "not supported: more parameters and no better accuracy",
                }
            ),
            Kind::Se => {
                let base_same = rows.iter().find(|b| b.kind == Kind::Resnet).unwrap_or(base);
                format!(
                    "SE-ResNet \"a small cost for better accuracy\": the gates add {:+.1} % parameters over {}; accuracy {acc} — {}.",
                    (r.params as f64 / base_same.params as f64 - 1.0) * 100.0,
                    base_same.label,
                    match verdict {
                        "higher" => "supported by this run",
                        "lower" => "contradicted by this run",
                        _ => "no difference this run can separate from noise",
                    }
                )
            }
            Kind::Preresnet => format!(
                "Pre-activation \"eases optimisation\": final training loss {:.3} vs {:.3} for {} — {}.",
                r.final_loss,
                base.final_loss,
                base.label,
                if r.final_loss < base.final_loss * 0.95 {
                    "supported by this run"
                } else if r.final_loss > base.final_loss * 1.05 {
                    "contradicted by this run (He et al. saw the gain at 164 layers and more; shallow nets differ little)"
                } else {
                    "about the same (He et al. saw the gain at 164 layers and more)"
                }
            ),
            Kind::Resnet => continue,
        };
        out.push(line);
    }
    out
}

/// The trade-off table as CSV.
pub fn csv(rows: &[Tradeoff]) -> String {
    let mut out = String::from("variant,params,macs_per_image,step_ms,memory_bytes,val_accuracy,final_loss,macs_per_ms\n");
    for r in rows {
        out.push_str(&format!(
            "\"{}\",{},{},{:.3},{},{},{},{:.0}\n",
            r.label, r.params, r.macs, r.step_ms, r.memory, r.val_accuracy, r.final_loss, r.macs_per_ms
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nets_round_trip_and_bad_ones_say_why() {
        let d = Variants::default();
        assert_eq!(Variants::from_query(&d.to_query()), (d.clone(), vec![]));
        assert!(d.to_query().contains("wrn-10-2%406"), "{}", d.to_query());
        let (v, notes) =
            Variants::from_query("page=variants&nets=resnet8@4,resnet8@4,resnet50,wrn-11-2,resnet14:I,I,I,I,I,I,densenet-bc-10-4@999");
        assert_eq!(v.nets.len(), 1, "{notes:?}");
        let all = notes.join(" | ");
        for expected in ["appears twice", "ImageNet-size", "6n+4", "skip patterns", "must be 1..=128"] {
            assert!(all.contains(expected), "{expected}: {all}");
        }
        d.configs().iter().for_each(|c| c.validate().unwrap());
    }

    #[test]
    fn the_defaults_have_comparable_sizes() {
        let d = Variants::default();
        let target = d.params(&d.nets[0]) as f64;
        for net in &d.nets {
            let off = d.params(net) as f64 / target - 1.0;
            assert!(off.abs() <= 0.12, "{}: {off:+.2}", Variants::label(net));
        }
    }

    #[test]
    fn match_params_resizes_every_net_near_the_first() {
        let v = Variants {
            nets: vec![
                decode("resnet20@16").unwrap(),
                decode("wrn-16-4@16").unwrap(),
                decode("densenet-bc-40-12").unwrap(),
                decode("resnext29-2x32d@32").unwrap(),
            ],
            ..Variants::default()
        };
        let (nets, notes) = v.match_params();
        assert!(notes.is_empty(), "{notes:?}");
        let target = v.params(&nets[0]) as f64;
        for n in &nets {
            assert!((v.params(n) as f64 / target - 1.0).abs() <= 0.10, "{}", n.label());
        }
        assert!(nets[1].width < 16, "the wide net got narrower");
        // Each family stays what it was.
        assert_eq!(nets.iter().map(Kind::of).collect::<Vec<_>>(), v.nets.iter().map(Kind::of).collect::<Vec<_>>());
    }

    #[test]
    fn drafts_snap_depths_per_family() {
        let mut d = Draft { kind: Kind::Resnext, ..Draft::default() };
        d.snap_depth(25, 56);
        assert_eq!(d.depth, 29);
        d.kind = Kind::Densenet;
        d.snap_depth(23, 100);
        assert_eq!(d.depth, 22);
        d.spec().unwrap();
        d.kind = Kind::Resnext;
        d.snap_depth(29, 56);
        d.width = 2;
        assert!(d.spec().unwrap_err().contains("< 1 channel"));
    }

    #[test]
    fn sketches_show_each_design() {
        let s = |name: &str| sketch(&decode(name).unwrap().resolve(3, 10), 32).unwrap().1;
        let wrn = s("wrn-16-2-d0.3@16");
        assert_eq!(&wrn.branch[..2], &["BN".to_string(), "relu".into()]);
        assert!(wrn.branch.contains(&"dropout 0.3".into()), "{wrn:?}");
        assert!(wrn.shortcut.contains("of BN-relu(x)"), "{wrn:?}");
        let next = s("resnext29-4x16d@64");
        assert!(next.branch.iter().any(|b| b.contains("4 groups of 32")), "{next:?}");
        let dense = s("densenet-bc-40-12");
        assert!(dense.merge.starts_with("concatenate"), "{dense:?}");
        let se = s("se-resnet20-r4@16");
        assert!(se.branch.last().unwrap().contains("FC 32→8"), "{se:?}");
        assert_eq!(s("resnet20").after.as_deref(), Some("relu"));
    }

    fn row(label: &str, kind: Kind, params: usize, acc: f32, macs_per_ms: f64, loss: f32) -> Tradeoff {
        Tradeoff { label: label.into(), kind, params, macs: 1, step_ms: 1.0, memory: 1, val_accuracy: acc, final_loss: loss, macs_per_ms }
    }

    #[test]
    fn claims_follow_the_numbers() {
        let base = row("ResNet", Kind::Resnet, 1000, 0.60, 100.0, 1.0);
        // 400 held-out images: a tie is within ±5 points.
        let c = claims(&[base.clone(), row("X", Kind::Resnext, 1050, 0.70, 100.0, 1.0)], 400, "CPU");
        assert!(c[0].contains("supported by this run"), "{c:?}");
        let c = claims(&[base.clone(), row("X", Kind::Resnext, 1050, 0.62, 100.0, 1.0)], 400, "CPU");
        assert!(c[0].contains("not separated"), "{c:?}");
        let c = claims(&[base.clone(), row("X", Kind::Resnext, 3000, 0.70, 100.0, 1.0)], 400, "CPU");
        assert!(c[0].contains("not testable"), "{c:?}");
        let c = claims(&[base.clone(), row("W", Kind::Wide, 1000, 0.6, 50.0, 1.0)], 400, "CPU (flex)");
        assert!(c[0].contains("0.50×") && c[0].contains("contradicted") && c[0].contains("ran on the CPU"), "{c:?}");
        let c = claims(&[base.clone(), row("D", Kind::Densenet, 900, 0.50, 100.0, 1.0)], 400, "CPU");
        assert!(c[0].contains("contradicted"), "{c:?}");
        let c = claims(&[row("W", Kind::Wide, 1000, 0.6, 50.0, 1.0), row("D", Kind::Densenet, 900, 0.5, 1.0, 1.0)], 400, "CPU");
        assert!(c[0].contains("Add a plain ResNet"), "{c:?}");
    }
}
