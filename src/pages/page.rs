//! What every page's settings have in common: the page's slug (its `page=` value), how the settings
//! are read from a URL query and how they are written back. A page implements [`PageState`] once;
//! `from_query`/`to_query` (with `page=SLUG` first) come from the trait, so the slug is written once.

use super::query::{encode_pairs, Query};

pub trait PageState: Clone + Default + PartialEq + 'static {
    /// The `page=` value; the same slug names the page in [`super::catalogue::PAGES`].
    const SLUG: &'static str;

    /// Reads the settings; `defaults` fills what the query lacks. Every value that is clamped or not
    /// understood leaves a note in `q.notes`.
    fn read(q: &mut Query, defaults: &Self) -> Self;

    /// The settings as URL key/value pairs (without `page`), in the order they appear in the URL.
    fn pairs(&self) -> Vec<(&'static str, String)>;

    /// Settings from a query string, with the notes reading them produced.
    fn from_query(query: &str) -> (Self, Vec<String>) {
        let mut q = Query::parse(query);
        let state = Self::read(&mut q, &Self::default());
        (state, q.notes)
    }

    fn to_query(&self) -> String {
        let mut pairs = vec![("page", Self::SLUG.to_string())];
        pairs.extend(self.pairs());
        encode_pairs(&pairs)
    }
}
