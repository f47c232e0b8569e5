//! Part 7 — your turn: an experiment builder. A queue of model variants, trained one after another
//! on the same data and seed, compared in one chart, a table and a CSV.

use super::page::PageState;
use super::query::Query;
use super::run_view::Series;
use super::training::Training;
use crate::lab::data::DataKind;
use crate::lab::experiment::ExperimentConfig;
use crate::lab::model::{Act, Family, ModelSpec, Skip, SkipPattern};

pub const MAX_ROWS: usize = 6;

/// One queued variant (a CIFAR-style ResNet / plain net).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub depth: usize,
    pub width: usize,
    pub skip: Skip,
    pub bottleneck: bool,
    pub act: Act,
    /// A skip per block instead of `skip` everywhere (the notebook's "other skip patterns").
    pub pattern: Option<SkipPattern>,
}

impl Row {
    pub fn new(depth: usize, width: usize, skip: Skip) -> Row {
        Row { depth, width, skip, bottleneck: false, act: Act::Relu, pattern: None }
    }

    pub fn model(&self) -> ModelSpec {
        let mut m = ModelSpec::new(Family::Cifar, self.depth, self.skip).with_width(self.width);
        m.bottleneck = self.bottleneck;
        m.act = self.act;
        m.pattern = self.pattern.clone();
        m
    }

    /// Blocks of this row's net: the length its skip pattern must have.
    pub fn blocks(&self) -> usize {
        (self.depth - 2) / 2
    }

    /// Reads a skip pattern typed for this row; the message says what is wrong.
    pub fn parse_pattern(&self, text: &str) -> Result<SkipPattern, String> {
        let p: SkipPattern = text.trim().parse()?;
        if p.0.len() != self.blocks() {
            return Err(format!("{} entries for {} blocks (one per block)", p.0.len(), self.blocks()));
        }
        Ok(p)
    }

    /// "ResNet-20 width 8 (identity, gelu, bottleneck)" — distinct for every distinct row.
    pub fn label(&self) -> String {
        let base = if self.skip == Skip::None && self.pattern.is_none() { "Plain" } else { "ResNet" };
        let mut extra = vec![];
        if let Some(p) = &self.pattern {
            extra.push(format!("[{p}]"));
        } else if self.skip != Skip::None {
            extra.push(self.skip.name().to_string());
        }
        if self.act != Act::Relu {
            extra.push(self.act.name().to_string());
        }
        if self.bottleneck {
            extra.push("bottleneck".to_string());
        }
        let tail = if extra.is_empty() { String::new() } else { format!(" ({})", extra.join(", ")) };
        format!("{base}-{} width {}{tail}", self.depth, self.width)
    }

    /// Parameters for `channels`-channel input and 10 classes, from the plan (no burn needed).
    pub fn params(&self, channels: usize) -> usize {
        self.model().resolve(channels, 10).params()
    }

    /// `depth-width-skip-block-activation`; a pattern takes the skip's place with `_` between its
    /// entries (`14-8-I_-_W*0.5_A_X_I-basic-relu`), since `,` separates rows.
    fn encode(&self) -> String {
        format!(
            "{}-{}-{}-{}-{}",
            self.depth,
            self.width,
            self.pattern.as_ref().map_or(self.skip.name().to_string(), |p| p.to_string().replace(',', "_")),
            if self.bottleneck { "bottleneck" } else { "basic" },
            self.act.name()
        )
    }

    fn decode(s: &str) -> Result<Row, String> {
        // The skip field may hold a pattern with '-' (no skip) in it: split two fields off each end.
        let shape = || format!("'{s}' is not depth-width-skip-block-activation");
        let mut head = s.splitn(3, '-');
        let (depth, width, rest) = (head.next().ok_or_else(shape)?, head.next().ok_or_else(shape)?, head.next().ok_or_else(shape)?);
        let mut tail = rest.rsplitn(3, '-');
        let (act, block, skip) = (tail.next().ok_or_else(shape)?, tail.next().ok_or_else(shape)?, tail.next().ok_or_else(shape)?);
        let depth: usize = depth.parse().map_err(|_| format!("'{depth}' is not a depth"))?;
        if !(8..=110).contains(&depth) || !(depth - 2).is_multiple_of(6) {
            return Err(format!("depth {depth} must be 6n+2 in 8..=110"));
        }
        let width: usize = width.parse().ok().filter(|w| (2..=64).contains(w)).ok_or(format!("width '{width}' must be 2..=64"))?;
        let (skip, pattern) = if skip.contains('_') {
            let row = Row::new(depth, width, Skip::Identity);
            (Skip::Identity, Some(row.parse_pattern(&skip.replace('_', ",")).map_err(|e| format!("skip pattern: {e}"))?))
        } else {
            (Skip::parse(skip).ok_or(format!("unknown skip '{skip}'"))?, None)
        };
        let bottleneck = match block {
            "basic" => false,
            "bottleneck" => true,
            other => return Err(format!("unknown block '{other}' (basic, bottleneck)")),
        };
        let act = Act::parse(act).ok_or(format!("unknown activation '{act}'"))?;
        Ok(Row { depth, width, skip, bottleneck, act, pattern })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    Depth,
    Skips,
    Blocks,
    Activations,
    WidthVsDepth,
}

impl Preset {
    pub const ALL: [Preset; 5] = [Preset::Depth, Preset::Skips, Preset::Blocks, Preset::Activations, Preset::WidthVsDepth];

    pub fn title(self) -> &'static str {
        match self {
            Preset::Depth => "Depth scaling",
            Preset::Skips => "Skip ablation",
            Preset::Blocks => "Basic vs Bottleneck",
            Preset::Activations => "Activations",
            Preset::WidthVsDepth => "Width vs depth, equal parameters",
        }
    }

    pub fn rows(self, channels: usize) -> Vec<Row> {
        match self {
            Preset::Depth => [8, 14, 20, 32].map(|d| Row::new(d, 8, Skip::Identity)).to_vec(),
            Preset::Skips => [Skip::None, Skip::Identity, Skip::Projection, Skip::ChannelWeight, Skip::Attention, Skip::Dense]
                .map(|k| Row::new(14, 8, k))
                .to_vec(),
            Preset::Blocks => vec![Row::new(14, 8, Skip::Projection), Row { bottleneck: true, ..Row::new(14, 8, Skip::Projection) }],
            Preset::Activations => Act::ALL.map(|a| Row { act: a, ..Row::new(14, 8, Skip::Identity) }).to_vec(),
            Preset::WidthVsDepth => {
                let deep = Row::new(32, 8, Skip::Identity);
                let target = deep.params(channels) as i64;
                let wide =
                    (2..=64).map(|w| Row::new(8, w, Skip::Identity)).min_by_key(|r| (r.params(channels) as i64 - target).abs()).unwrap();
                vec![wide, deep]
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Part7 {
    pub rows: Vec<Row>,
    pub train: Training,
}

impl Default for Part7 {
    fn default() -> Self {
        Part7 {
            rows: vec![Row::new(14, 8, Skip::None), Row::new(14, 8, Skip::Identity)],
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

impl PageState for Part7 {
    const SLUG: &'static str = "part7";

    fn read(q: &mut Query, d: &Part7) -> Part7 {
        let rows = match q.raw("queue").map(str::to_string) {
            None => d.rows.clone(),
            Some(raw) => {
                let mut rows = Vec::new();
                for part in raw.split(',').filter(|s| !s.is_empty()) {
                    match Row::decode(part) {
                        Ok(r) if rows.len() < MAX_ROWS => rows.push(r),
                        Ok(_) => q.notes.push(format!("queue: at most {MAX_ROWS} experiments; dropped {part}")),
                        Err(e) => q.notes.push(format!("queue: {e}; dropped")),
                    }
                }
                rows
            }
        };
        let train = Training::from_query(q, &d.train);
        Part7 { rows, train }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let queue = self.rows.iter().map(Row::encode).collect::<Vec<_>>().join(",");
        let mut pairs = vec![("queue", queue)];
        pairs.extend(self.train.pairs());
        pairs
    }
}

impl Part7 {
    pub fn configs(&self) -> Vec<ExperimentConfig> {
        self.rows.iter().map(|r| ExperimentConfig { label: r.label(), ..self.train.config(r.model()) }).collect()
    }
}

/// Every step of every series, then one summary line per series.
pub fn csv(series: &[Series]) -> String {
    let mut out = String::from("series,step,loss,grad_norm\n");
    for s in series {
        for (&(step, loss), &(_, g)) in s.losses.iter().zip(&s.grad_norms) {
            out.push_str(&format!("\"{}\",{step},{loss},{g}\n", s.label));
        }
    }
    out.push_str("\nseries,params,steps,first_loss,final_loss,train_accuracy,val_accuracy,first_last_ratio_init,first_last_ratio_late,images_per_sec\n");
    for s in series {
        if let Some(m) = &s.summary {
            out.push_str(&format!(
                "\"{}\",{},{},{},{},{},{},{},{},{:.1}\n",
                s.label,
                m.params,
                m.steps,
                m.first_loss,
                m.final_loss,
                m.final_train_accuracy,
                m.final_val_accuracy,
                m.first_last_ratio_init,
                m.first_last_ratio_late,
                m.images_per_sec
            ));
        }
    }
    out
}

/// Which variant won, by held-out accuracy and by training loss.
pub fn readout(series: &[Series]) -> Vec<String> {
    let mut out: Vec<String> = series.iter().filter_map(|s| s.failed.as_ref().map(|f| format!("{}: {f}", s.label))).collect();
    let done: Vec<_> = series.iter().filter_map(|s| s.summary.as_ref()).collect();
    if done.len() < 2 {
        return out;
    }
    let best_acc = done.iter().max_by(|a, b| a.final_val_accuracy.total_cmp(&b.final_val_accuracy)).unwrap();
    let best_loss = done.iter().min_by(|a, b| a.final_loss.total_cmp(&b.final_loss)).unwrap();
    let worst_loss = done.iter().max_by(|a, b| a.final_loss.total_cmp(&b.final_loss)).unwrap();
    out.push(format!("Best held-out accuracy: {} ({}).", best_acc.label, super::readouts::held_out_accuracy(best_acc)));
    out.push(format!(
        "Lowest training loss (mean over the last epoch): {} ({:.3}); highest: {} ({:.3}).",
        best_loss.label, best_loss.final_loss, worst_loss.label, worst_loss.final_loss
    ));
    out.extend(super::readouts::comparison_notes(series));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_round_trips_and_bad_rows_are_reported() {
        let mut p = Part7::default();
        p.rows.push(Row { bottleneck: true, act: Act::Gelu, ..Row::new(20, 16, Skip::Attention) });
        let patterned = Row::new(14, 8, Skip::Identity);
        p.rows.push(Row { pattern: Some(patterned.parse_pattern("I,-,W*0.5,A,X,D").unwrap()), ..patterned });
        assert_eq!(Part7::from_query(&p.to_query()), (p.clone(), vec![]));
        assert!(p.to_query().contains("14-8-I_-_W%2A0.5_A_X_D-basic-relu"), "{}", p.to_query());
        assert_eq!(p.rows[3].label(), "ResNet-14 width 8 ([I,-,W*0.5,A,X,D])");
        assert_eq!(p.configs()[3].model.pattern_text().unwrap(), "resnet14:I,-,W*0.5,A,X,D");
        let (p, notes) = Part7::from_query("queue=14-8-I_I-basic-relu,8-4-I_-_--basic-relu");
        assert_eq!(p.rows.len(), 1, "{notes:?}");
        assert_eq!(p.rows[0].pattern.as_ref().unwrap().to_string(), "I,-,-");
        assert!(notes[0].contains("2 entries for 6 blocks"), "{notes:?}");
        let (p, notes) =
            Part7::from_query("queue=20-8-identity-basic-relu,21-8-identity-basic-relu,20-8-sideways-basic-relu,20-99-none-basic-relu");
        assert_eq!(p.rows.len(), 1);
        assert_eq!(notes.len(), 3, "{notes:?}");
    }

    #[test]
    fn presets_make_valid_distinct_configs() {
        for preset in Preset::ALL {
            let p = Part7 { rows: preset.rows(3), ..Part7::default() };
            let configs = p.configs();
            assert!(configs.len() >= 2 && configs.len() <= MAX_ROWS, "{preset:?}");
            configs.iter().for_each(|c| c.validate().unwrap());
            let mut labels: Vec<_> = configs.iter().map(|c| c.label.clone()).collect();
            labels.dedup();
            assert_eq!(labels.len(), configs.len(), "{preset:?}: {labels:?}");
        }
        // Width vs depth: the shallow net's width is chosen so both have about as many parameters.
        let [wide, deep] = <[Row; 2]>::try_from(Preset::WidthVsDepth.rows(3)).unwrap();
        let (a, b) = (wide.params(3) as f64, deep.params(3) as f64);
        assert!((a / b - 1.0).abs() < 0.15, "{a} vs {b}");
        assert!(wide.width > deep.width && wide.depth < deep.depth);
    }

    #[test]
    fn csv_has_every_step_and_summary() {
        let s = Series {
            label: "A".into(),
            losses: vec![(1.0, 2.0), (2.0, 1.5)],
            grad_norms: vec![(1.0, 0.5), (2.0, 0.4)],
            ..Series::default()
        };
        let c = csv(&[s]);
        assert!(c.starts_with("series,step,loss,grad_norm\n\"A\",1,2,0.5\n\"A\",2,1.5,0.4\n"), "{c}");
    }
}
