//! The Data page: which dataset to look at, as URL state.

use super::page::PageState;
use super::query::Query;
use crate::lab::data::{DataKind, DataSpec};

#[derive(Clone, Debug, PartialEq)]
pub struct DataPage {
    pub kind: DataKind,
    /// Image side for synthetic sets (real sets have their own).
    pub size: usize,
    pub seed: u64,
}

impl Default for DataPage {
    fn default() -> Self {
        DataPage { kind: DataKind::FashionMnist, size: 32, seed: 42 }
    }
}

/// Gallery samples shown.
pub const GALLERY: usize = 48;

impl PageState for DataPage {
    const SLUG: &'static str = "data";

    fn read(q: &mut Query, d: &DataPage) -> DataPage {
        DataPage {
            kind: q.choice("data", d.kind, DataKind::parse, &accepted_kinds()),
            size: q.int("size", d.size, 8, 64),
            seed: q.int("seed", d.seed as usize, 0, 1_000_000) as u64,
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![("data", self.kind.name().into()), ("size", self.size.to_string()), ("seed", self.seed.to_string())]
    }
}

impl DataPage {
    /// What to ask the worker to describe: enough synthetic samples for a full gallery.
    pub fn spec(&self) -> DataSpec {
        DataSpec { kind: self.kind, samples: 500, size: self.size, channels: 3, classes: 10 }.normalised()
    }
}

/// "gratings, random, fashion, cifar10" — for URL notes.
pub fn accepted_kinds() -> String {
    DataKind::ALL.map(|k| k.name()).join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip_and_notes() {
        let p = DataPage { kind: DataKind::Cifar10, size: 16, seed: 3 };
        assert_eq!(DataPage::from_query(&p.to_query()), (p, vec![]));
        let (p, notes) = DataPage::from_query("?page=data&data=imagenet&size=999");
        assert_eq!((p.kind, p.size), (DataKind::FashionMnist, 64));
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("fashion"), "{notes:?}");
        assert_eq!(DataPage::default().spec().channels, 1, "real sets bring their own shape");
    }
}
