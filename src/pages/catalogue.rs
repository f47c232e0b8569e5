//! The landing page's cards: every Part of the notebook, every Exercise and the module's items.
//! `ready` is true only for pages that are built; the others say so plainly.

pub struct Card {
    /// The `page=` value in the URL.
    pub slug: &'static str,
    pub group: &'static str,
    pub title: &'static str,
    pub blurb: &'static str,
    pub ready: bool,
}

pub const CARDS: &[Card] = &[
    Card { slug: "data", group: "Data", title: "Datasets", blurb: "Fashion-MNIST (shipped), CIFAR-10 from your files, and the synthetic sets: samples, class balance, normalisation.", ready: true },
    Card { slug: "part1", group: "Notebook", title: "Part 1 — The degradation problem", blurb: "Train plain stacks of several depths side by side and see whether deeper trains worse — then flip on skips.", ready: true },
    Card { slug: "part2", group: "Notebook", title: "Part 2 — The residual block, opened up", blurb: "Shapes through conv-BN-ReLU, the skip path, and the gradient that reaches x through F and through the shortcut.", ready: true },
    Card { slug: "part3", group: "Notebook", title: "Part 3 — ResNet-18 to 152 compared", blurb: "Parameters, size, blocks and multiply-adds counted from the built models, and a live forward pass.", ready: true },
    Card { slug: "part4", group: "Notebook", title: "Part 4 — Training with gradient monitoring", blurb: "Loss and gradient-norm curves with a per-layer gradient heat strip.", ready: true },
    Card { slug: "part5", group: "Notebook", title: "Part 5 — What the network sees", blurb: "Feature maps of each stage for an image you pick or draw.", ready: true },
    Card { slug: "part6", group: "Notebook", title: "Part 6 — ResNet vs plain showdown", blurb: "Same depth, same data, same seed: with and without skips.", ready: true },
    Card { slug: "part7", group: "Notebook", title: "Part 7 — Your turn", blurb: "Queue experiments (depth, skips, blocks, activations, width vs depth) and compare them.", ready: true },
    Card { slug: "ex1", group: "Exercises", title: "Exercise 1 — Vanishing gradients", blurb: "Plain-20 vs Plain-56: loss, accuracy and first-layer gradient norms against depth.", ready: false },
    Card { slug: "ex2", group: "Exercises", title: "Exercise 2 — Skip connections", blurb: "The same 56-layer net with and without shortcuts.", ready: false },
    Card { slug: "ex3", group: "Exercises", title: "Exercise 3 — Residual vs identity", blurb: "Distributions of x, F(x) and F(x)+x per block: how small and sparse are residuals?", ready: false },
    Card { slug: "ex4", group: "Exercises", title: "Exercise 4 — Very deep networks", blurb: "Bottleneck ResNet-50/101/152: do they all train?", ready: false },
    Card { slug: "ex5", group: "Exercises", title: "Exercise 5 — Skip variants", blurb: "Identity, channel weighting, attention and dense skips compared.", ready: false },
    Card { slug: "nas", group: "Exercises", title: "Bonus — Searching skip patterns", blurb: "A small evolutionary search over which blocks get shortcuts.", ready: false },
    Card { slug: "variants", group: "Module", title: "Residual variants", blurb: "Pre-activation, wide, SE and dense-style connections.", ready: false },
    Card { slug: "visualise", group: "Module", title: "Visualisations", blurb: "Gradient flow through depth, a loss-landscape slice, feature evolution.", ready: false },
    Card { slug: "pipeline", group: "Module", title: "A practical training pipeline", blurb: "Augmentation, schedules, checkpoints and per-class accuracy on real data.", ready: false },
];

pub fn find(slug: &str) -> Option<&'static Card> {
    CARDS.iter().find(|c| c.slug == slug)
}
