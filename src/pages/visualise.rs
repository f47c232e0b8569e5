//! Visualisations (the module's §5), each computed from nets the student trains here: a plain net and
//! its ResNet twin trained alike, then their loss landscapes around the trained weights
//! ([`crate::lab::landscape`]), the gradient flow through depth with a step scrubber, the network drawn
//! from its plan, and feature maps of one image as training goes on.

use super::page::PageState;
use super::query::Query;
use super::readouts::sig3;
use super::training::Training;
use crate::lab::data::DataKind;
use crate::lab::experiment::ExperimentConfig;
use crate::lab::landscape::Roughness;
use crate::lab::measure::Measure;
use crate::lab::model::{Family, ModelSpec, Skip};

#[derive(Clone, Debug, PartialEq)]
pub struct Visualise {
    /// CIFAR depth (6n + 2) of both nets.
    pub depth: usize,
    pub width: usize,
    /// Landscape points per side (odd, so the trained weights sit in the middle).
    pub grid: usize,
    /// The landscape spans [−span, span] along each direction (1 = a step as large as the weights).
    pub span: f64,
    /// Training images the landscape's loss is measured on.
    pub images: usize,
    /// Seed of the two random directions.
    pub dir_seed: u64,
    /// A model name to draw (`lab info` names, patterns too); empty = this page's ResNet.
    pub diagram: String,
    /// Feature snapshots of one held-out image between initialisation and the end of training.
    pub snapshots: usize,
    pub train: Training,
}

impl Default for Visualise {
    /// Plain-20 and ResNet-20 at width 8 on gratings, 3 epochs, then 11 × 11 landscapes on 128 images:
    /// seconds on the CPU.
    fn default() -> Self {
        Visualise {
            depth: 20,
            width: 8,
            grid: 11,
            span: 1.0,
            images: 128,
            dir_seed: 3,
            diagram: String::new(),
            snapshots: 4,
            train: Training { data: DataKind::Gratings, samples: 480, size: 16, epochs: 3, batch: 32, lr: 0.05, ..Training::default() },
        }
    }
}

impl PageState for Visualise {
    const SLUG: &'static str = "visualise";

    fn read(q: &mut Query, d: &Visualise) -> Visualise {
        let mut grid = q.int("grid", d.grid, 5, 31);
        if grid.is_multiple_of(2) {
            q.notes.push(format!("grid: {grid} has no centre point; using {}", grid + 1));
            grid += 1;
        }
        let diagram = match q.raw("diagram").map(str::to_string) {
            None => d.diagram.clone(),
            Some(name) if name.is_empty() => name,
            Some(name) => match ModelSpec::from_name(&name) {
                Ok(_) if name.len() <= 2000 => name,
                Ok(_) => {
                    q.notes.push("diagram: the name is too long; drawing this page's ResNet".into());
                    String::new()
                }
                Err(e) => {
                    q.notes.push(format!("diagram: {e}; drawing this page's ResNet"));
                    String::new()
                }
            },
        };
        Visualise {
            depth: q.depth("depth", d.depth, 6, 8, 56),
            width: q.int("width", d.width, 2, 32),
            grid,
            span: q.float("span", d.span, 0.1, 2.0),
            images: q.int("images", d.images, 16, 512),
            dir_seed: q.int("dir_seed", d.dir_seed as usize, 0, 1_000_000) as u64,
            diagram,
            snapshots: q.int("snapshots", d.snapshots, 1, 10),
            train: Training::from_query(q, &d.train),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("depth", self.depth.to_string()),
            ("width", self.width.to_string()),
            ("grid", self.grid.to_string()),
            ("span", self.span.to_string()),
            ("images", self.images.to_string()),
            ("dir_seed", self.dir_seed.to_string()),
            ("diagram", self.diagram.clone()),
            ("snapshots", self.snapshots.to_string()),
        ];
        p.extend(self.train.pairs());
        p
    }
}

impl Visualise {
    pub fn model(&self, residual: bool) -> ModelSpec {
        ModelSpec::new(Family::Cifar, self.depth, if residual { Skip::Identity } else { Skip::None }).with_width(self.width)
    }

    /// The plain net and its ResNet twin, same data, seed and budget, both taking feature snapshots.
    pub fn configs(&self) -> Vec<ExperimentConfig> {
        [false, true].map(|r| ExperimentConfig { snapshots: self.snapshots, ..self.train.config(self.model(r)) }).to_vec()
    }

    /// The landscapes of both trained nets (the worker keeps the last two nets trained).
    pub fn landscape(&self) -> Measure {
        Measure::Landscape { configs: self.configs(), grid: self.grid, span: self.span as f32, images: self.images, seed: self.dir_seed }
    }

    /// The model the diagram draws.
    pub fn diagram_model(&self) -> ModelSpec {
        ModelSpec::from_name(&self.diagram).unwrap_or_else(|_| self.model(true))
    }
}

/// Both landscapes in numbers, and whether the plain one is the rougher here. `grids[n]` is net n's
/// grid (rows: b, columns: a); `None` where a loss overflowed.
pub fn landscape_readout(labels: &[String], grids: &[Vec<Vec<Option<f32>>>]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rough = Vec::new();
    for (label, g) in labels.iter().zip(grids) {
        let overflow = g.iter().flatten().filter(|v| v.is_none()).count();
        let full: Option<Vec<Vec<f32>>> = g.iter().map(|r| r.iter().copied().collect::<Option<Vec<f32>>>()).collect();
        match full.as_deref().and_then(Roughness::of) {
            Some(r) => {
                out.push(format!(
                    "{label}: loss {} at the trained weights, {} on average at the edge of the map; the surface curves down at {:.0}% of the inner points.",
                    sig3(r.centre),
                    sig3(r.border_mean),
                    r.nonconvex_share * 100.0
                ));
                rough.push(r);
            }
            None if overflow > 0 => out.push(format!(
                "{label}: the loss overflowed at {overflow} grid points (shown grey): the surface leaves the finite range within this span."
            )),
            None => {}
        }
    }
    if let [plain, res] = rough.as_slice() {
        let (dp, dr) = (plain.nonconvex_share, res.nonconvex_share);
        out.push(if dp > dr + 0.05 {
            format!(
                "The plain net's surface is the rougher one here ({:.0}% vs {:.0}% of points curving down), as Li et al. report for deep nets without skips.",
                dp * 100.0,
                dr * 100.0
            )
        } else if dr > dp + 0.05 {
            format!(
                "Here the ResNet's surface is the rougher one ({:.0}% vs {:.0}%): at this depth and budget the run does not show the smoothing Li et al. report (their contrast appears at 56+ layers).",
                dr * 100.0,
                dp * 100.0
            )
        } else {
            format!(
                "Both surfaces are about as smooth ({:.0}% vs {:.0}% of points curving down): at this depth the run does not separate them; Li et al.'s contrast appears at 56+ layers.",
                dp * 100.0,
                dr * 100.0
            )
        });
        let (sp, sr) = (plain.border_mean / plain.centre.max(1e-6), res.border_mean / res.centre.max(1e-6));
        out.push(format!(
            "Within the same span the loss climbs {:.1}× (plain) and {:.1}× (ResNet) from the trained point to the edge: the larger, the sharper the minimum it sits in.",
            sp, sr
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip_and_clamps() {
        let p = Visualise { grid: 7, span: 0.5, diagram: "resnet50".into(), ..Visualise::default() };
        assert_eq!(Visualise::from_query(&p.to_query()), (p, vec![]));
        let (p, notes) = Visualise::from_query("grid=12&diagram=vgg16&span=9");
        assert_eq!((p.grid, p.diagram.as_str(), p.span), (13, "", 2.0));
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert_eq!(p.diagram_model(), p.model(true));
        let (p, _) = Visualise::from_query("diagram=resnet14:I,-,W,A,X,D");
        assert_eq!(p.diagram_model().pattern_text().unwrap(), "resnet14:I,-,W,A,X,D");
    }

    #[test]
    fn two_nets_alike_and_a_valid_landscape_request() {
        let v = Visualise::default();
        let c = v.configs();
        assert_eq!((c[0].label.as_str(), c[1].label.as_str()), ("Plain-20", "ResNet-20"));
        assert_eq!((c[0].data.clone(), c[0].seed, c[0].epochs), (c[1].data.clone(), c[1].seed, c[1].epochs));
        assert!(c.iter().all(|c| c.snapshots == 4 && c.validate().is_ok()));
        match v.landscape() {
            Measure::Landscape { configs, grid: 11, images: 128, .. } => assert_eq!(configs, c),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn readout_compares_the_measured_roughness() {
        let bowl: Vec<Vec<Option<f32>>> = crate::lab::landscape::grid_of(&crate::lab::landscape::axis(5, 1.0), |a, b| 1.0 + a * a + b * b)
            .into_iter()
            .map(|r| r.into_iter().map(Some).collect())
            .collect();
        let bumpy: Vec<Vec<Option<f32>>> =
            crate::lab::landscape::grid_of(&crate::lab::landscape::axis(5, 1.0), |a, b| 2.0 + (5.0 * a).sin() * (5.0 * b).cos())
                .into_iter()
                .map(|r| r.into_iter().map(Some).collect())
                .collect();
        let labels = ["Plain-20".to_string(), "ResNet-20".to_string()];
        let r = landscape_readout(&labels, &[bumpy.clone(), bowl.clone()]);
        assert!(r[0].starts_with("Plain-20: loss"), "{r:?}");
        assert!(r[2].contains("plain net's surface is the rougher"), "{r:?}");
        let r = landscape_readout(&labels, &[bowl.clone(), bumpy]);
        assert!(r[2].contains("ResNet's surface is the rougher"), "{r:?}");
        let mut holes = bowl;
        holes[0][0] = None;
        assert!(landscape_readout(&labels[..1], &[holes])[0].contains("overflowed at 1 grid points"));
    }
}
