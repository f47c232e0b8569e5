//! The page table: every page of the lab, one row each. The landing page's cards, the router
//! (`?page=SLUG` → view) and the "not built yet" notice all read it.
//!
//! A built page's row names its settings type (a [`PageState`], whose `SLUG` is the `page=` value)
//! and its view component in `crate::app`; a page still to come names its slug with `soon("slug")`.
//! Adding a page: `src/pages/NAME.rs` (settings + `impl PageState`), `src/app/NAME.rs` (the view),
//! and its row here, `built(NAME::Settings, NAME::View)`.

use super::page::PageState;

pub struct Card {
    /// The `page=` value in the URL.
    pub slug: &'static str,
    pub group: &'static str,
    pub title: &'static str,
    pub blurb: &'static str,
    /// Whether the page has a view (else the landing card and the page say "not built yet").
    pub ready: bool,
}

/// Expands the rows below into [`PAGES`], the wasm router [`view`] and the native [`check_states`].
macro_rules! page_table {
    ($( $group:literal, $title:literal, $blurb:literal, $kind:ident $page:tt );* $(;)?) => {
        pub const PAGES: &[Card] = &[
            $( Card { slug: page_table!(@slug $kind $page), group: $group, title: $title, blurb: $blurb, ready: page_table!(@ready $kind) }, )*
        ];

        /// The view of a built page, by slug.
        #[cfg(target_arch = "wasm32")]
        pub fn view(slug: &str) -> Option<leptos::prelude::AnyView> {
            $( page_table!(@route slug, $kind $page); )*
            None
        }

        /// Every built page's settings survive a URL round trip with no note: `(slug, problem)` per failure.
        pub fn check_states() -> Vec<(&'static str, String)> {
            let mut problems = Vec::new();
            $( page_table!(@check problems, $kind $page); )*
            problems
        }
    };
    (@slug built ($state:path, $view:path)) => { <$state as PageState>::SLUG };
    (@slug soon ($slug:literal)) => { $slug };
    (@ready built) => { true };
    (@ready soon) => { false };
    (@route $slug:ident, built ($state:path, $view:path)) => {
        if $slug == <$state as PageState>::SLUG {
            return Some(leptos::prelude::IntoAny::into_any($view()));
        }
    };
    (@route $slug:ident, soon ($s:literal)) => {};
    (@check $problems:ident, built ($state:path, $view:path)) => {
        $problems.extend(round_trip::<$state>().err().map(|e| (<$state as PageState>::SLUG, e)));
    };
    (@check $problems:ident, soon ($s:literal)) => {};
}

// The view paths live in the wasm-only `crate::app`; natively they are never expanded.
#[cfg(target_arch = "wasm32")]
use crate::app as views;

page_table! {
    "Data", "Datasets",
        "Fashion-MNIST (shipped), CIFAR-10 from your files, and the synthetic sets: samples, class balance, normalisation.",
        built(super::data::DataPage, views::data_page::DataPageView);
    "Notebook", "Part 1 — The degradation problem",
        "Train plain stacks of several depths side by side and see whether deeper trains worse — then flip on skips.",
        built(super::part1::Part1, views::part1::Part1Page);
    "Notebook", "Part 2 — The residual block, opened up",
        "Shapes through conv-BN-ReLU, the skip path, and the gradient that reaches x through F and through the shortcut.",
        built(super::part2::Part2, views::part2::Part2Page);
    "Notebook", "Part 3 — ResNet-18 to 152 compared",
        "Parameters, size, blocks and multiply-adds counted from the built models, and a live forward pass.",
        built(super::part3::Part3, views::part3::Part3Page);
    "Notebook", "Part 4 — Training with gradient monitoring",
        "Loss and gradient-norm curves with a per-layer gradient heat strip.",
        built(super::part4::Part4, views::part4::Part4Page);
    "Notebook", "Part 5 — What the network sees",
        "Feature maps of each stage for an image you pick or draw.",
        built(super::part5::Part5, views::part5::Part5Page);
    "Notebook", "Part 6 — ResNet vs plain showdown",
        "Same depth, same data, same seed: with and without skips.",
        built(super::part6::Part6, views::part6::Part6Page);
    "Notebook", "Part 7 — Your turn",
        "Queue experiments (depth, skips, blocks, activations, width vs depth) and compare them.",
        built(super::part7::Part7, views::part7::Part7Page);
    "Exercises", "Exercise 1 — Vanishing gradients",
        "Plain-20 vs Plain-56: loss, accuracy and first-layer gradient norms against depth.",
        built(super::ex1::Ex1, views::ex1::Ex1Page);
    "Exercises", "Exercise 2 — Skip connections",
        "The same 56-layer net with and without shortcuts.",
        built(super::ex2::Ex2, views::ex2::Ex2Page);
    "Exercises", "Exercise 3 — Residual vs identity",
        "Distributions of x, F(x) and F(x)+x per block: how small and sparse are residuals?",
        built(super::ex3::Ex3, views::ex3::Ex3Page);
    "Exercises", "Exercise 4 — Very deep networks",
        "Bottleneck ResNet-50/101/152: do they all train?",
        built(super::ex4::Ex4, views::ex4::Ex4Page);
    "Exercises", "Exercise 5 — Skip variants",
        "Identity, channel weighting, attention and dense skips compared.",
        built(super::ex5::Ex5, views::ex5::Ex5Page);
    "Exercises", "Bonus — Searching skip patterns",
        "A small evolutionary search over which blocks get which skip — and whether it beats plain identity.",
        built(super::nas::Nas, views::nas::NasPage);
    "Module", "Residual variants",
        "Pre-activation, Wide, ResNeXt, DenseNet and SE-ResNet built exactly, trained side by side, and their trade-offs measured.",
        built(super::variants::Variants, views::variants::VariantsPage);
    "Module", "Visualisations",
        "Loss landscapes of a plain net and its ResNet twin, gradient flow through depth, feature evolution, the network drawn.",
        built(super::visualise::Visualise, views::visualise::VisualisePage);
    "Module", "A practical training pipeline",
        "Real data, augmentation, learning-rate schedules with warm-up, long runs, and accuracy per class with the confusion matrix.",
        built(super::pipeline::Pipeline, views::pipeline::PipelinePage);
}

pub fn find(slug: &str) -> Option<&'static Card> {
    PAGES.iter().find(|c| c.slug == slug)
}

/// The page's title as its card shows it (the slug if the table lacks it, which a test forbids).
pub fn title(slug: &str) -> &'static str {
    find(slug).map(|c| c.title).unwrap_or("ResNet Lab")
}

/// Defaults written to a URL and read back give the defaults again, with no note.
fn round_trip<S: PageState + std::fmt::Debug>() -> Result<(), String> {
    let d = S::default();
    let (back, notes) = S::from_query(&d.to_query());
    if back != d {
        return Err(format!("defaults changed on a URL round trip: {d:?} → {back:?}"));
    }
    if !notes.is_empty() {
        return Err(format!("defaults' URL produced notes: {notes:?}"));
    }
    if !d.to_query().starts_with(&format!("page={}&", S::SLUG)) && d.to_query() != format!("page={}", S::SLUG) {
        return Err("to_query does not start with page=SLUG".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_and_every_built_state_round_trips() {
        for (i, c) in PAGES.iter().enumerate() {
            assert!(PAGES[..i].iter().all(|o| o.slug != c.slug), "slug {} appears twice", c.slug);
        }
        assert_eq!(check_states(), vec![]);
    }

    /// Every `impl PageState` under src/pages names a slug that the table has as a built page, so a
    /// page's settings cannot exist without its row (nor a row claim a view it lacks).
    #[test]
    fn every_page_state_has_a_built_row() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pages");
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            if !text.contains("impl PageState for") {
                continue;
            }
            for line in text.lines().filter(|l| l.trim_start().starts_with("const SLUG: &'static str = \"")) {
                let slug = line.split('"').nth(1).unwrap().to_string();
                found.push(slug);
            }
        }
        assert!(found.len() >= 8, "found only {found:?}");
        for slug in &found {
            let card = find(slug).unwrap_or_else(|| panic!("page state '{slug}' has no row in the page table"));
            assert!(card.ready, "page state '{slug}' exists but its row says it is not built");
        }
        let built = PAGES.iter().filter(|c| c.ready).count();
        assert_eq!(built, found.len(), "built rows {built} vs page states {found:?}");
    }
}
