//! Part 2 — the residual block, opened up: which block to build, and what the measurement says.

use super::page::PageState;
use super::query::Query;
use crate::lab::measure::Measure;
use crate::lab::model::Skip;
use crate::lab::report::BlockAnatomy;

#[derive(Clone, Debug, PartialEq)]
pub struct Part2 {
    pub cin: usize,
    pub width: usize,
    pub stride: usize,
    pub skip: Skip,
    pub size: usize,
    pub seed: u64,
}

impl Default for Part2 {
    fn default() -> Self {
        Part2 { cin: 16, width: 16, stride: 1, skip: Skip::Identity, size: 16, seed: 42 }
    }
}

impl PageState for Part2 {
    const SLUG: &'static str = "part2";

    fn read(q: &mut Query, d: &Part2) -> Part2 {
        let p = Part2 {
            cin: q.int("cin", d.cin, 1, 128),
            width: q.int("width", d.width, 1, 128),
            stride: q.choice(
                "stride",
                d.stride,
                |s| match s {
                    "1" => Some(1),
                    "2" => Some(2),
                    _ => None,
                },
                "1, 2",
            ),
            skip: q.choice(
                "skip",
                d.skip,
                |s| Skip::parse(s).filter(|k| matches!(k, Skip::None | Skip::Identity | Skip::Projection)),
                "none, identity, projection",
            ),
            size: q.int("size", d.size, 4, 64),
            seed: q.int("seed", d.seed as usize, 0, 1_000_000) as u64,
        };
        if let Some(problem) = p.problem() {
            q.notes.push(format!("these settings do not make a block: {problem}"));
        }
        p
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("cin", self.cin.to_string()),
            ("width", self.width.to_string()),
            ("stride", self.stride.to_string()),
            ("skip", self.skip.name().into()),
            ("size", self.size.to_string()),
            ("seed", self.seed.to_string()),
        ]
    }
}

impl Part2 {
    pub fn request(&self) -> Measure {
        Measure::BlockGradients { cin: self.cin, width: self.width, stride: self.stride, skip: self.skip, size: self.size, seed: self.seed }
    }

    /// Why this block cannot be built, if it cannot (the settings as a whole: each value can be in range
    /// and the block still impossible).
    pub fn problem(&self) -> Option<String> {
        crate::lab::model::spec::block_problem(crate::lab::model::BlockKind::Basic, self.cin, self.width, self.stride, self.skip)
    }

    /// Whether x's shape changes, so an identity shortcut has to subsample / zero-pad.
    pub fn shape_changes(&self) -> bool {
        self.stride != 1 || self.cin != self.width
    }
}

/// Sentences from the measured block.
pub fn readout(p: &Part2, a: &BlockAnatomy) -> Vec<String> {
    // How closely the path-by-path sum matches autodiff, in words a student can read.
    let agreement = match a.grad_mismatch / a.grad_total.max(f32::MIN_POSITIVE) {
        0.0 => "exactly".to_string(),
        r if r < 1e-2 => format!("to {} significant digits (the rest is float rounding)", (-r.log10()).floor() as i32),
        r => format!("only to {:.1} % — more than rounding", r * 100.0),
    };
    let mut out = vec![if p.skip == Skip::None {
        format!(
            "The gradient arriving at the block's output sum has norm {:.4}. With no shortcut it has one way back to x, through F: norm {:.4} (autodiff through the whole block gives {:.4}, matching {agreement}).",
            a.grad_at_sum, a.grad_residual, a.grad_total
        )
    } else {
        format!(
            "The gradient arriving at the sum H = F(x) + s(x) has norm {:.4}. It reaches x along two paths, as two vectors: through F (norm {:.4}) and through the shortcut (norm {:.4}). Vectors add like arrows, not like their lengths, so the norm of their sum is {:.4}, not {:.4} — autodiff through the whole block gives the same sum, matching {agreement}.",
            a.grad_at_sum,
            a.grad_residual,
            a.grad_shortcut,
            a.grad_total,
            a.grad_residual + a.grad_shortcut
        )
    }];
    out.push(match p.skip {
        Skip::None => "Without a shortcut every bit of gradient has to pass back through both convolutions and batch norms: if F's Jacobian shrinks it, nothing else carries it.".to_string(),
        Skip::Identity if !p.shape_changes() => format!(
            "The identity shortcut hands g to x unchanged (‖g‖ = {:.4}, shortcut path {:.4}): the '+1' in ∂H/∂x = ∂F/∂x + 1. However small F's path gets, this part survives.",
            a.grad_at_sum, a.grad_shortcut
        ),
        Skip::Identity => format!(
            "The shape changes here, so the parameter-free shortcut subsamples x and pads zeros: only the gradient of the kept pixels and channels flows back through it ({:.4} of ‖g‖ = {:.4}).",
            a.grad_shortcut, a.grad_at_sum
        ),
        _ => format!(
            "The projection shortcut (1×1 conv + BN) is a learned linear map, so its path scales the gradient ({:.4}) instead of passing g ({:.4}) through untouched.",
            a.grad_shortcut, a.grad_at_sum
        ),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip_and_clamps() {
        let p = Part2 { cin: 8, width: 32, stride: 2, skip: Skip::Projection, size: 12, seed: 1 };
        assert_eq!(Part2::from_query(&p.to_query()), (p.clone(), vec![]));
        assert!(p.shape_changes());
        let (p, notes) = Part2::from_query("cin=0&stride=3&skip=dense");
        assert_eq!((p.cin, p.stride, p.skip), (1, 1, Skip::Identity));
        assert_eq!(notes.len(), 3, "{notes:?}");
        // Each value in range, the block impossible: said in a note, and the page does not send it.
        let (p, notes) = Part2::from_query("cin=32&width=16");
        assert!(p.problem().unwrap().contains("from 32 down to 16 channels"));
        assert!(notes[0].contains("do not make a block"), "{notes:?}");
        assert!(Part2 { skip: Skip::Projection, ..p }.problem().is_none());
    }

    #[test]
    fn readout_names_the_path() {
        let a = BlockAnatomy {
            stages: vec![],
            params: 1,
            grad_residual: 0.5,
            grad_shortcut: 2.0,
            grad_total: 2.1,
            grad_mismatch: 1e-7,
            grad_at_sum: 2.0,
        };
        let r = readout(&Part2::default(), &a);
        assert!(r[0].contains("through F (norm 0.5000) and through the shortcut (norm 2.0000)"), "{r:?}");
        assert!(r[0].contains("is 2.1000, not 2.5000") && r[0].contains("to 7 significant digits"), "{r:?}");
        assert!(r[1].contains("unchanged"), "{r:?}");
        let r = readout(&Part2 { skip: Skip::None, ..Part2::default() }, &a);
        assert!(r[0].contains("one way back") && !r[0].contains("two paths"), "{r:?}");
        assert!(r[1].contains("Without a shortcut"));
        let exact = BlockAnatomy { grad_mismatch: 0.0, ..a };
        assert!(readout(&Part2::default(), &exact)[0].contains("matching exactly"));
    }
}
