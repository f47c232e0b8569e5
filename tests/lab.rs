//! Native tests of the lab core on the flex (CPU) backend.

use burn::prelude::*;
use resnet_lab::lab::data::{DataKind, DataSpec};
use resnet_lab::lab::exec::block_on;
use resnet_lab::lab::experiment::{Event, ExperimentConfig, RunError, Schedule};
use resnet_lab::lab::model::{Act, Family, ModelSpec, Net, Skip};
use resnet_lab::lab::train::{run, NativeHost};

/// burn seeds one random generator per backend for the whole process, so tests that initialise
/// models run one at a time: otherwise parallel tests interleave their draws and a seeded run is
/// not reproducible (the browser worker has a single thread, so the lab itself is not affected).
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn tiny(model: ModelSpec, lr: f64) -> ExperimentConfig {
    ExperimentConfig {
        epochs: 6,
        batch: 16,
        lr,
        ..ExperimentConfig::new(model, DataSpec { kind: DataKind::Gratings, samples: 80, size: 8, channels: 3, classes: 4 })
    }
}

fn train(cfg: &ExperimentConfig) -> (Result<resnet_lab::lab::experiment::Summary, RunError>, Vec<Event>) {
    let mut events = Vec::new();
    let mut host = NativeHost::new(|e: &Event| events.push(e.clone()));
    let r = block_on(run(cfg, None, &Device::flex(), &mut host));
    (r, events)
}

fn epoch_losses(events: &[Event]) -> Vec<f32> {
    events.iter().filter_map(|e| if let Event::Epoch(s) = e { Some(s.train_loss) } else { None }).collect()
}

#[test]
fn shapes_for_every_family_at_28_and_32_px() {
    let _serial = serial();
    let device = Device::flex();
    let cases = [
        (ModelSpec::new(Family::Cifar, 20, Skip::Identity), 3, 32),
        (ModelSpec::new(Family::Cifar, 8, Skip::None), 1, 28),
        (ModelSpec::new(Family::Stack, 10, Skip::Projection), 3, 32),
        (ModelSpec::new(Family::Stack, 6, Skip::None), 1, 28),
        (ModelSpec::new(Family::Imagenet, 18, Skip::Projection).with_width(8), 3, 32),
        (ModelSpec::new(Family::Imagenet, 50, Skip::Projection).with_width(4), 1, 28),
    ];
    for (spec, c, s) in cases {
        let net = Net::new(&spec.resolve(c, 10), &device);
        let out = net.forward(Tensor::zeros([2, c, s, s], &device));
        assert_eq!(out.dims(), [2, 10], "{}", spec.label());
    }
}

#[test]
fn training_lowers_the_loss_for_every_skip_variant() {
    let _serial = serial();
    for skip in Skip::ALL {
        let cfg = tiny(ModelSpec::new(Family::Stack, 6, skip).with_width(8), 0.05);
        let (r, events) = train(&cfg);
        let s = r.unwrap_or_else(|e| panic!("{}: {e}", skip.name()));
        let losses = epoch_losses(&events);
        assert_eq!(losses.len(), 6);
        assert!(losses.iter().all(|l| l.is_finite()));
        assert!(losses[5] < losses[0] * 0.9, "{}: {losses:?}", skip.name());
        assert!(s.final_val_accuracy > 0.25 || losses[5] < losses[0] * 0.7, "{}: {s:?}", skip.name());
    }
}

#[test]
fn preactivation_and_other_activations_train() {
    let _serial = serial();
    for (preact, act, bottleneck) in [(true, Act::Relu, false), (false, Act::Gelu, true), (false, Act::Tanh, false)] {
        let mut m = ModelSpec::new(Family::Stack, 6, Skip::Projection).with_width(8);
        m.preact = preact;
        m.act = act;
        m.bottleneck = bottleneck;
        let (r, events) = train(&tiny(m, 0.05));
        r.unwrap();
        let losses = epoch_losses(&events);
        assert!(losses[5] < losses[0], "{preact} {act:?}: {losses:?}");
    }
}

#[test]
fn steps_report_one_grad_norm_per_layer() {
    let _serial = serial();
    let mut cfg = tiny(ModelSpec::new(Family::Cifar, 8, Skip::Identity).with_width(4), 0.05);
    cfg.max_steps = Some(3);
    let (r, events) = train(&cfg);
    assert_eq!(r.unwrap().steps, 3);
    let Event::Started { layers, steps_total, .. } = &events[0] else { panic!("{:?}", events[0]) };
    assert_eq!(*steps_total, 3);
    assert_eq!(layers.len(), 1 + 3 * 2 + 1);
    let steps: Vec<_> = events.iter().filter_map(|e| if let Event::Step(s) = e { Some(s) } else { None }).collect();
    assert_eq!(steps.len(), 3);
    for s in steps {
        assert_eq!(s.layer_grad_norms.len(), layers.len());
        assert!(s.layer_grad_norms.iter().all(|g| g.is_finite() && *g > 0.0));
        let total: f32 = s.layer_grad_norms.iter().map(|g| g * g).sum::<f32>().sqrt();
        assert!((total - s.grad_norm).abs() < 1e-3 * total.max(1.0));
    }
}

#[test]
fn same_seed_same_run() {
    let _serial = serial();
    let mut cfg = tiny(ModelSpec::new(Family::Stack, 4, Skip::None).with_width(4), 0.05);
    cfg.epochs = 2;
    let a = epoch_losses(&train(&cfg).1);
    let b = epoch_losses(&train(&cfg).1);
    assert_eq!(a, b);
}

#[test]
fn a_diverging_run_is_caught() {
    let _serial = serial();
    let mut cfg = tiny(ModelSpec::new(Family::Stack, 8, Skip::None).with_width(8), 1e30);
    cfg.momentum = 0.0;
    let (r, events) = train(&cfg);
    match r {
        Err(RunError::Diverged { step, loss }) => {
            assert!(!loss.is_finite());
            assert!(step >= 1);
        }
        other => panic!("expected divergence, got {other:?}"),
    }
    assert!(!events.iter().any(|e| matches!(e, Event::Done(_))));
}

#[test]
fn invalid_configs_are_refused_with_a_message() {
    let _serial = serial();
    let mut cfg = tiny(ModelSpec::new(Family::Cifar, 21, Skip::Identity), 0.1);
    let (r, _) = train(&cfg);
    assert!(matches!(r, Err(RunError::Invalid(ref m)) if m.contains("6n+2")), "{r:?}");
    cfg.model.depth = 20;
    cfg.lr = f64::NAN;
    assert!(matches!(train(&cfg).0, Err(RunError::Invalid(_))));
    cfg.lr = 0.1;
    // Labels are bytes: 300 classes would wrap; 200,000 images of 4×256×256 would need 210 GB (209.7 × 10⁹ bytes).
    cfg.data.classes = 300;
    assert!(cfg.validate().unwrap_err().contains("classes 2..=256"));
    cfg.data = DataSpec { kind: DataKind::RandomLabels, samples: 200_000, size: 256, channels: 4, classes: 10 };
    assert!(cfg.validate().unwrap_err().contains("209.7 GB"), "{:?}", cfg.validate());
}

#[test]
fn identity_block_with_zero_residual_is_the_identity() {
    let _serial = serial();
    use resnet_lab::lab::model::{BlockConfig, BlockKind};
    let device = Device::flex();
    for kind in [BlockKind::Basic, BlockKind::Bottleneck] {
        let cin = kind.out_channels(0, 8);
        let block = BlockConfig::new(kind, cin, 8).init(&device).zero_residual();
        // Non-negative input: the final ReLU leaves it unchanged.
        let x = Tensor::<4>::random([2, cin, 5, 5], burn::tensor::Distribution::Uniform(0.0, 2.0), &device);
        let y = block.forward(x.clone());
        let diff: f32 = (y - x).abs().max().into_scalar();
        assert!(diff < 1e-6, "{kind:?}: {diff}");
    }
}

#[test]
fn residual_stats_match_a_hand_computation() {
    let _serial = serial();
    use resnet_lab::lab::probes::{residual_stats, Stats};
    let device = Device::flex();
    let spec = ModelSpec::new(Family::Stack, 6, Skip::Identity).with_width(4).resolve(1, 3);
    let net = Net::new(&spec, &device);
    let x = Tensor::<4>::random([2, 1, 6, 6], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
    let stats = block_on(residual_stats(&net, x.clone())).unwrap();
    assert_eq!(stats.len(), net.blocks().count());
    // Recompute block 0 by hand from the taps: output = relu(x + F(x)) for an identity block.
    let mut taps = Vec::new();
    let _ = net.valid().forward_tapped(x, Some(&mut taps));
    let t = &taps[0];
    let by_hand = burn::tensor::activation::relu(t.input.clone() + t.residual.clone());
    // The statistics again with the tensor library's own reductions (not `Stats::of`).
    let check = |s: &Stats, t: Tensor<4>| {
        let v = t.reshape([-1]);
        let n = v.dims()[0] as f32;
        let scalar = |t: Tensor<1>| -> f32 { t.into_scalar() };
        let mean = scalar(v.clone().mean());
        let std = scalar((v.clone() - mean).powi_scalar(2).mean()).sqrt();
        let zeros = scalar(v.clone().equal_elem(0.0).int().sum().float()) / n;
        let norm = scalar(v.clone().powi_scalar(2).sum()).sqrt();
        let close = |a: f32, b: f32| (a - b).abs() <= 1e-4 * b.abs().max(1e-3);
        assert!(close(s.mean, mean) && close(s.std, std) && close(s.norm, norm), "{s:?} vs mean {mean} std {std} norm {norm}");
        assert_eq!((s.zero_frac, s.min, s.max), (zeros, scalar(v.clone().min()), scalar(v.max())));
        assert_eq!(s.histogram.iter().sum::<u32>() as f32, n);
    };
    check(&stats[0].output, by_hand);
    check(&stats[0].residual, t.residual.clone());
    assert!(stats[0].output.zero_frac > 0.0, "ReLU output has zeros");
}

#[test]
fn every_catalogue_model_runs_at_28_and_32_px() {
    let _serial = serial();
    use resnet_lab::lab::model::spec::catalogue;
    let device = Device::flex();
    for name in catalogue() {
        if name == "resnet1202" {
            continue; // 19 M parameters: covered by its parameter count, too slow to build twice here
        }
        let spec = ModelSpec::from_name(name).unwrap();
        for (c, s) in [(1, 28), (3, 32)] {
            let net = Net::new(&spec.resolve(c, 10), &device);
            let out = net.valid().forward(Tensor::zeros([1, c, s, s], &device));
            assert_eq!(out.dims(), [1, 10], "{name} at {c}×{s}×{s}");
        }
    }
}

#[test]
fn feature_maps_have_the_stage_shapes() {
    let _serial = serial();
    use resnet_lab::lab::probes::feature_maps;
    let device = Device::flex();
    let net = Net::new(&ModelSpec::new(Family::Cifar, 8, Skip::Identity).resolve(3, 10), &device);
    let x = Tensor::<4>::random([2, 3, 32, 32], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
    let maps = block_on(feature_maps(&net, x.clone(), &[0, 1, 2])).unwrap();
    let shapes: Vec<_> = maps.iter().map(|m| (m.channels, m.height, m.width, m.values.len())).collect();
    assert_eq!(shapes, vec![(16, 32, 32, 16 * 1024), (32, 16, 16, 32 * 256), (64, 8, 8, 64 * 64)]);
    assert!(block_on(feature_maps(&net, x, &[7])).is_err());
}

/// The real Fashion-MNIST from Debian's package (`make setup-test` installs it): verified on load,
/// and a small ResNet learns from it.
#[test]
fn fashion_mnist_loads_verified_and_trains() {
    let _serial = serial();
    let dir = std::path::Path::new("/usr/share/datasets/fashion-mnist");
    assert!(dir.exists(), "install Debian's dataset-fashion-mnist (make setup-test does)");
    let corpus = resnet_lab::lab::data::Corpus::from_dir(dir).expect("Fashion-MNIST loads");
    corpus.expect_counts(60_000, 10_000).unwrap();
    assert_eq!((corpus.channels, corpus.size, corpus.class_names[9].as_str()), (1, 28, "Ankle boot"));
    let mut per_class = [0usize; 10];
    corpus.train.labels.iter().for_each(|&l| per_class[l as usize] += 1);
    assert_eq!(per_class, [6000; 10], "Fashion-MNIST's training split is balanced");
    // The published normalisation constants are mean 0.2860, std 0.3530.
    assert!((corpus.mean[0] - 0.2860).abs() < 1e-3 && (corpus.std[0] - 0.3530).abs() < 1e-3, "{:?} {:?}", corpus.mean, corpus.std);

    let mut cfg = tiny(ModelSpec::new(Family::Cifar, 8, Skip::Identity), 0.05);
    cfg.data = DataSpec { kind: DataKind::FashionMnist, samples: 400, size: 28, channels: 1, classes: 10 };
    cfg.epochs = 3;
    cfg.batch = 32;
    cfg.augment = true;
    let mut events = Vec::new();
    let mut host = NativeHost::new(|e: &Event| events.push(e.clone()));
    let summary = block_on(run(&cfg, Some(&corpus), &Device::flex(), &mut host)).unwrap();
    let losses = epoch_losses(&events);
    assert!(losses.iter().all(|l| l.is_finite()));
    assert!(losses.last() < losses.first(), "{losses:?}");
    assert!(summary.final_val_accuracy > 0.2, "twice chance (0.1) or better: {}", summary.final_val_accuracy);
    // Without the corpus a real set cannot run, and says so.
    let (r, _) = train(&cfg);
    assert!(matches!(r, Err(RunError::Invalid(m)) if m.contains("not loaded")));
}

/// Part 2's measurement: the gradient at x splits exactly into the residual path and the shortcut.
#[test]
fn block_anatomy_paths_add_up() {
    let _serial = serial();
    use resnet_lab::lab::probes::block_anatomy;
    let d = Device::flex();
    let a = block_on(block_anatomy(16, 16, 1, Skip::Identity, 8, 3, &d)).unwrap();
    let shapes: Vec<_> = a.stages.iter().map(|(n, s)| (n.as_str(), *s)).collect();
    assert_eq!(shapes.first().unwrap(), &("input x", [2, 16, 8, 8]));
    assert_eq!(shapes.last().unwrap(), &("relu → output", [2, 16, 8, 8]));
    assert!(shapes.iter().any(|(n, _)| *n == "shortcut: identity"));
    // Identity shortcut: its Jacobian is I, so the gradient through it is g itself.
    assert!((a.grad_shortcut - a.grad_at_sum).abs() < 1e-4 * a.grad_at_sum, "{a:?}");
    assert!(a.grad_mismatch < 1e-4 * a.grad_total, "paths add up: {a:?}");
    assert_eq!(a.params, 2 * (16 * 16 * 9) + 2 * 32);

    let p = block_on(block_anatomy(16, 32, 2, Skip::Projection, 8, 3, &d)).unwrap();
    assert_eq!(p.stages.last().unwrap().1, [2, 32, 4, 4]);
    assert_eq!(p.params, 16 * 32 * 9 + 32 * 32 * 9 + 2 * 64 + 16 * 32 + 64);
    assert!(p.grad_mismatch < 1e-4 * p.grad_total, "{p:?}");

    let plain = block_on(block_anatomy(16, 16, 1, Skip::None, 8, 3, &d)).unwrap();
    assert_eq!(plain.grad_shortcut, 0.0);
    assert!((plain.grad_residual - plain.grad_total).abs() < 1e-4 * plain.grad_total);
    assert!(block_on(block_anatomy(16, 16, 1, Skip::Dense, 8, 3, &d)).is_err());
}

#[test]
fn timed_model_info_runs_a_forward_pass() {
    let _serial = serial();
    use resnet_lab::lab::probes::timed_model_info;
    let t0 = std::time::Instant::now();
    let now = move || t0.elapsed().as_secs_f64() * 1000.0;
    let spec = ModelSpec::from_name("resnet20").unwrap();
    let (info, ms) = block_on(timed_model_info(&spec, 3, 32, 10, &Device::flex(), &now)).unwrap();
    assert_eq!((info.params, info.blocks, info.output_shape), (269_722, 9, [1, 10]));
    assert!(ms > 0.0 && ms < 10_000.0, "{ms}");
}

/// Part 5's probe: a trained net's first-block-of-each-stage maps and its class probabilities.
#[test]
fn what_a_trained_net_sees() {
    let _serial = serial();
    use resnet_lab::lab::data::Dataset;
    use resnet_lab::lab::probes::what_it_sees;
    use resnet_lab::lab::train::train_model;
    let mut cfg = tiny(ModelSpec::new(Family::Cifar, 14, Skip::Identity).with_width(4), 0.05);
    cfg.epochs = 1;
    let data = Dataset::generate(&cfg.data, cfg.seed);
    let mut host = NativeHost::new(|_: &Event| {});
    let (summary, net) = block_on(train_model(&cfg, &data, &Device::flex(), &mut host)).unwrap();
    let spec = cfg.model.resolve(3, 4);
    assert_eq!(Net::stage_starts(&spec), vec![0, 2, 4]);
    let (x, _) = data.gather(&[0]);
    let x = Tensor::<4>::from_data(TensorData::new(x, [1, 3, 8, 8]), &Device::flex());
    let seen = block_on(what_it_sees(&net, &spec, x, summary.label.clone(), data.class_names.clone())).unwrap();
    let shapes: Vec<_> = seen.maps.iter().map(|m| (m.block, m.channels, m.height, m.width)).collect();
    assert_eq!(shapes, vec![(0, 4, 8, 8), (2, 8, 4, 4), (4, 16, 2, 2)]);
    assert_eq!(seen.probabilities.len(), 4);
    assert!((seen.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-4);
}

/// Part 4 → Part 5: a trained net's weights, exported and loaded into a fresh net of the same spec,
/// give the same outputs; a mismatched net is refused.
#[test]
fn weights_round_trip() {
    let _serial = serial();
    use resnet_lab::lab::data::Dataset;
    use resnet_lab::lab::probes::{export_weights, import_weights};
    use resnet_lab::lab::train::train_model;
    let mut cfg = tiny(ModelSpec::new(Family::Cifar, 8, Skip::Identity).with_width(4), 0.05);
    cfg.epochs = 1;
    let data = Dataset::generate(&cfg.data, cfg.seed);
    let mut host = NativeHost::new(|_: &Event| {});
    let d = Device::flex();
    let (_, net) = block_on(train_model(&cfg, &data, &d, &mut host)).unwrap();
    let weights = block_on(export_weights(&net)).unwrap();
    let spec = cfg.model.resolve(3, 4);
    let fresh = import_weights(Net::new(&spec, &d), &weights).unwrap();
    let x = Tensor::<4>::random([2, 3, 8, 8], burn::tensor::Distribution::Normal(0.0, 1.0), &d);
    let a: Vec<f32> = net.forward(x.clone()).into_data().try_to_vec::<f32>().unwrap();
    let b: Vec<f32> = fresh.valid().forward(x).into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(a, b);
    let other = ModelSpec::new(Family::Cifar, 14, Skip::Identity).with_width(4).resolve(3, 4);
    assert!(import_weights(Net::new(&other, &d), &weights).is_err());
}

/// The worker's measurements, answered natively by the same function: models counted and timed in
/// order, a block's gradient paths, and a trained net saved, loaded back and looked inside.
#[test]
fn measure_answers_every_request_kind() {
    let _serial = serial();
    use resnet_lab::lab::measure::{load_net, measure, save_net, Measure, Measurement, Trained};
    let d = Device::flex();
    let host = NativeHost::new(|_: &Event| {});
    let mut replies = Vec::new();
    let request = Measure::Models { names: vec!["resnet20".into(), "resnet18".into()], channels: 3, size: 32 };
    block_on(measure(&request, &d, &[], None, &host, |i, m| replies.push((i, m)))).unwrap();
    let params: Vec<_> = replies
        .iter()
        .map(|(i, m)| match m {
            Measurement::Model { info, forward_ms } => {
                assert!(*forward_ms > 0.0);
                (*i, info.params)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(params, vec![(0, 269_722), (1, 11_689_512)]);

    let bad = Measure::Models { names: vec!["resnet21".into()], channels: 3, size: 32 };
    let err = block_on(measure(&bad, &d, &[], None, &host, |_, _| {})).unwrap_err();
    assert!(err.contains("6n+2") && err.contains("21"), "{err}");

    let mut anatomy = None;
    let block = Measure::BlockGradients { cin: 8, width: 8, stride: 1, skip: Skip::Identity, size: 8, seed: 3 };
    block_on(measure(&block, &d, &[], None, &host, |_, m| anatomy = Some(m))).unwrap();
    let Some(Measurement::Block { anatomy }) = anatomy else { panic!("no block measurement") };
    // An identity shortcut hands the gradient at the sum to x unchanged.
    assert!((anatomy.grad_shortcut - anatomy.grad_at_sum).abs() < 1e-4 * anatomy.grad_at_sum, "{anatomy:?}");
    // An identity shortcut that would have to shrink x (32 → 16 channels) is refused, not a panic.
    let shrink = Measure::BlockGradients { cin: 32, width: 16, stride: 1, skip: Skip::Identity, size: 8, seed: 3 };
    let err = block_on(measure(&shrink, &d, &[], None, &host, |_, _| {})).unwrap_err();
    assert!(err.contains("cannot take x from 32 down to 16 channels"), "{err}");

    // Looking inside needs a trained net; one trained on synthetic data is refused with a reason.
    let features = Measure::Features { pixels: vec![0; 3 * 8 * 8] };
    let err = block_on(measure(&features, &d, &[], None, &host, |_, _| {})).unwrap_err();
    assert!(err.contains("no network has been trained"), "{err}");
    let mut cfg = tiny(ModelSpec::new(Family::Cifar, 8, Skip::Identity).with_width(4), 0.05);
    cfg.epochs = 1;
    let data = resnet_lab::lab::data::Dataset::generate(&cfg.data, cfg.seed);
    let mut h = NativeHost::new(|_: &Event| {});
    let (_, net) = block_on(resnet_lab::lab::train::train_model(&cfg, &data, &d, &mut h)).unwrap();
    let trained = Trained::new(&cfg, net, data.class_names.clone());
    let err = block_on(measure(&features, &d, &[&trained], None, &host, |_, _| {})).unwrap_err();
    assert!(err.contains("real images"), "{err}");

    // Saved and loaded back, the net computes the same outputs; a damaged save is refused.
    let saved = block_on(save_net(Some(&trained))).unwrap();
    let loaded = load_net(saved.clone(), &d).unwrap();
    let x = Tensor::<4>::random([2, 3, 8, 8], burn::tensor::Distribution::Normal(0.0, 1.0), &d);
    let a: Vec<f32> = trained.net.forward(x.clone()).into_data().try_to_vec::<f32>().unwrap();
    let b: Vec<f32> = loaded.net.valid().forward(x).into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(a, b);
    // burn's record checks names and shapes: a save of another net is refused too.
    let mut broken = saved.clone();
    broken.record.truncate(broken.record.len() / 2);
    assert!(load_net(broken, &d).is_err());
    let mut other = saved;
    other.model.width = 8;
    assert!(load_net(other, &d).err().unwrap_or_default().contains("does not fit"));
    assert!(block_on(save_net(None)).is_err());
}

/// The gradient summaries on the run that motivated them: a deep plain BatchNorm net on
/// Fashion-MNIST (lr 0.1, momentum 0.9) takes an exploding first-layer gradient at step 1, then the
/// input side gets less gradient than the output side. Step 1 must not hide the rest, nor the reverse.
#[test]
fn plain_56_explodes_at_step_one_and_then_the_input_side_gets_less() {
    let _serial = serial();
    let dir = std::path::Path::new("/usr/share/datasets/fashion-mnist");
    let corpus = resnet_lab::lab::data::Corpus::from_dir(dir).expect("Fashion-MNIST loads");
    let mut cfg = tiny(ModelSpec::new(Family::Cifar, 56, Skip::None).with_width(8), 0.1);
    cfg.data = DataSpec { kind: DataKind::FashionMnist, samples: 2000, size: 28, channels: 1, classes: 10 };
    (cfg.batch, cfg.seed, cfg.epochs, cfg.max_steps) = (64, 0, 1, Some(16));
    let mut edges = Vec::new();
    let mut host = NativeHost::new(|e: &Event| {
        if let Event::Step(s) = e {
            edges.push((s.layer_grad_norms[0], *s.layer_grad_norms.last().unwrap()));
        }
    });
    let summary = block_on(run(&cfg, Some(&corpus), &Device::flex(), &mut host)).unwrap();
    let ratios: Vec<f32> = edges.iter().map(|(f, l)| f / l).collect();
    assert!(summary.first_last_ratio_init > 1.0, "step 1: first/last = {} ({ratios:?})", summary.first_last_ratio_init);
    assert!(summary.first_last_ratio_late < 1.0, "late: first/last = {} ({ratios:?})", summary.first_last_ratio_late);
    assert_eq!(summary.first_last_ratio_init, ratios[0]);
    eprintln!("first/last per step: {ratios:?}");
}

/// Exercise 3's measurement through `lab::measure`: a zero-initialised residual block is worked out by
/// hand (F(x) = 0, so F(x) + x = x), the initial net is the one a run starts from, and the trained
/// net is measured only once it exists.
#[test]
fn residual_statistics_by_hand_and_before_after() {
    let _serial = serial();
    use resnet_lab::lab::measure::{measure, Measure, Measurement, Trained};
    use resnet_lab::lab::model::{BlockConfig, BlockKind};
    use resnet_lab::lab::probes::Stats;
    let d = Device::flex();
    // F(x) = 0 exactly: ‖F(x)‖/‖x‖ = 0, F(x) is all zeros, and the sum is x itself.
    let block = BlockConfig::new(BlockKind::Basic, 4, 4).init(&d).zero_residual();
    let x = Tensor::<4>::random([2, 4, 5, 5], burn::tensor::Distribution::Normal(0.0, 1.0), &d);
    let mut taps = Vec::new();
    let _ = block.forward_tapped(x.clone(), Some(&mut taps));
    let flat = |t: Tensor<4>| -> Vec<f32> { t.reshape([-1]).into_data().try_into_vec_as().unwrap() };
    let (xs, fs, ss) = (flat(taps[0].input.clone()), flat(taps[0].residual.clone()), flat(taps[0].sum.clone()));
    assert!(fs.iter().all(|&v| v == 0.0));
    assert_eq!(ss, xs);
    assert_eq!(Stats::of(&fs).zero_frac, 1.0);

    let mut cfg = tiny(ModelSpec::new(Family::Cifar, 8, Skip::Identity).with_width(4), 0.05);
    cfg.epochs = 1;
    let host = NativeHost::new(|_: &Event| {});
    let ask = |trained: bool, t: Option<&Trained>| {
        let mut out = None;
        let r = block_on(measure(
            &Measure::ResidualStats { config: cfg.clone(), trained, images: 8 },
            &d,
            t.as_slice(),
            None,
            &host,
            |_, m| out = Some(m),
        ));
        r.map(|_| match out {
            Some(Measurement::Residuals { stats, .. }) => stats,
            other => panic!("{other:?}"),
        })
    };
    let init = ask(false, None).unwrap();
    assert_eq!(init.len(), 3, "ResNet-8 has three blocks");
    assert_eq!(ask(false, None).unwrap(), init, "the same seeded initialisation every time");
    assert!(init.iter().all(|b| b.ratio() > 0.0 && b.output.zero_frac > 0.0), "{init:?}");
    assert!(ask(true, None).unwrap_err().contains("press Train"));
    let data = resnet_lab::lab::data::Dataset::generate(&cfg.data, cfg.seed);
    let mut h = NativeHost::new(|_: &Event| {});
    let (_, net) = block_on(resnet_lab::lab::train::train_model(&cfg, &data, &d, &mut h)).unwrap();
    let trained = Trained::new(&cfg, net, data.class_names.clone());
    let after = ask(true, Some(&trained)).unwrap();
    assert_eq!(after.len(), 3);
    assert_ne!(after, init, "training changed the residuals");
}

/// Exercise 5: a net with weighted skips reports its learned weights (one per channel and block,
/// moved away from their 0.5 start), one with gated skips its mean gate per block, inside (0, 1).
#[test]
fn weighted_and_gated_skips_report_what_they_learned() {
    let _serial = serial();
    use resnet_lab::lab::probes::SkipWeights;
    let skips = |skip: Skip| -> SkipWeights {
        let (r, events) = train(&tiny(ModelSpec::new(Family::Cifar, 8, skip).with_width(4), 0.05));
        r.unwrap();
        events.iter().find_map(|e| if let Event::Skips(w) = e { Some(w.clone()) } else { None }).expect("a Skips event")
    };
    let w = skips(Skip::ChannelWeight);
    assert_eq!(w.channel_weights.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 8, 16]);
    assert!(w.channel_weights.iter().flatten().any(|&v| (v - 0.5).abs() > 1e-4), "{w:?}");
    assert!(w.gate_means.is_empty());
    for skip in [Skip::Attention, Skip::XAttention] {
        let g = skips(skip);
        assert_eq!(g.gate_means.len(), 3, "{}", skip.name());
        assert!(g.gate_means.iter().all(|&m| m > 0.0 && m < 1.0), "{g:?}");
        assert!(g.channel_weights.is_empty());
    }
    let (_, events) = train(&tiny(ModelSpec::new(Family::Cifar, 8, Skip::Identity).with_width(4), 0.05));
    assert!(!events.iter().any(|e| matches!(e, Event::Skips(_))), "identity skips learn nothing to report");
}

#[test]
fn a_tiny_search_runs_reproducibly_and_reports() {
    use resnet_lab::lab::search::{run_search, SearchConfig};
    let _g = serial();
    let config = SearchConfig {
        backbone: ModelSpec::new(Family::Cifar, 8, Skip::Identity).with_width(4),
        choices: vec![Skip::None, Skip::Identity, Skip::ChannelWeight],
        alphas: vec![1.0],
        population: 3,
        generations: 2,
        mutation: 0.5,
        tournament: 2,
        steps: 4,
        param_penalty: 0.0,
        seed: 3,
        training: tiny(ModelSpec::new(Family::Cifar, 8, Skip::Identity), 0.05),
    };
    let search = |c: &SearchConfig| {
        let mut heard = 0;
        let mut host = NativeHost::new(|_: &Event| {});
        let s = block_on(run_search(c, None, &Device::flex(), &mut host, |_, _| heard += 1)).unwrap();
        (s, heard)
    };
    let (a, heard) = search(&config);
    assert_eq!(a.history.len(), 2);
    assert_eq!(heard, a.cache.len());
    assert!((3..=6).contains(&heard), "{heard}");
    let (best, eval, fitness) = a.best().unwrap();
    assert_eq!(best.0.len(), 3);
    assert!((0.0..=1.0).contains(&eval.val_accuracy) && eval.val_loss.is_finite());
    assert_eq!(fitness, 100.0 * eval.val_accuracy as f64);
    assert!(a.history[1].best >= a.history[0].best);
    // Same seed on flex: the same genomes and the same fitness, to the bit.
    let (b, _) = search(&config);
    assert_eq!(a.history, b.history);
    assert_eq!(a.cache, b.cache);
    // The exported best trains unchanged as an experiment (what `lab train` reads).
    let exported: ExperimentConfig = serde_json::from_str(&serde_json::to_string(&config.candidate(&best)).unwrap()).unwrap();
    assert_eq!(exported.model.pattern.as_ref(), Some(&best));
    let (r, _) = train(&exported);
    assert_eq!(r.unwrap().final_val_accuracy, eval.val_accuracy);
}

#[test]
fn loss_landscape_directions_are_filter_normalised_and_centred_on_the_trained_loss() {
    use resnet_lab::lab::landscape::{axis, directions, row};
    use resnet_lab::lab::measure::{measure, Measure, Measurement, Trained};
    let _g = serial();
    let d = Device::flex();
    let mut cfg = tiny(ModelSpec::new(Family::Cifar, 8, Skip::Identity).with_width(4), 0.05);
    cfg.epochs = 1;
    let mut host = NativeHost::new(|_: &Event| {});
    let (_, net) = block_on(resnet_lab::lab::train::run_model(&cfg, None, &d, &mut host)).unwrap();

    let dirs = directions(&net, 9, &d);
    let flat = |t: &Tensor<1>| -> Vec<f32> { t.clone().into_data().try_into_vec_as().unwrap() };
    let mut filters = 0;
    for k in 0..dirs.base.len() {
        let (theta, delta, eta) = (flat(&dirs.base[k]), flat(&dirs.delta[k]), flat(&dirs.eta[k]));
        let shape = &dirs.shapes[k];
        if !dirs.directed[k] {
            assert!(delta.iter().chain(&eta).all(|&v| v == 0.0), "BN parameters, biases and statistics get no direction");
            continue;
        }
        assert_ne!(delta, eta);
        // A filter: a conv's output channel (a contiguous block), a linear layer's output column.
        let (rows, cols) = (shape[0], theta.len() / shape[0]);
        let filter = |v: &[f32], f: usize| -> f32 {
            if shape.len() == 4 {
                v[f * cols..(f + 1) * cols].iter().map(|x| x * x).sum::<f32>().sqrt()
            } else {
                (0..rows).map(|i| v[i * shape[1] + f]).map(|x| x * x).sum::<f32>().sqrt()
            }
        };
        let count = if shape.len() == 4 { rows } else { shape[1] };
        for f in 0..count {
            let (t, dn) = (filter(&theta, f), filter(&delta, f));
            assert!((t - dn).abs() <= 1e-4 * t.max(1e-3), "param {k} filter {f}: ‖θ‖ {t} vs ‖δ‖ {dn}");
            filters += 1;
        }
    }
    assert!(filters > 40, "{filters}");

    // The grid's centre is the trained net's own loss on those images; the measurement streams rows.
    let data = resnet_lab::lab::data::Dataset::prepare(&cfg.data, cfg.seed, None).unwrap();
    let idx: Vec<usize> = (0..32).collect();
    let (x, y) = resnet_lab::lab::train::to_tensors(&data, data.gather(&idx), &d);
    let own = burn::nn::loss::CrossEntropyLossConfig::new().init(&d).forward(net.forward(x.clone()), y.clone());
    let own: f32 = own.into_scalar();
    let centre_row = block_on(row(&net, &dirs, &axis(5, 1.0), 0.0, &x, &y)).unwrap();
    assert_eq!(centre_row[2], own);
    assert!(centre_row[0] > own && centre_row[4] > own, "the trained point is lower than a full filter-sized step away: {centre_row:?}");

    let trained = Trained::new(&cfg, net, vec![]);
    let req = Measure::Landscape { configs: vec![cfg.clone()], grid: 5, span: 1.0, images: 32, seed: 9 };
    let mut rows = Vec::new();
    block_on(measure(&req, &d, &[&trained], None, &host, |i, m| rows.push((i, m)))).unwrap();
    assert_eq!(rows.len(), 5);
    match &rows[2].1 {
        Measurement::LandscapeRow { net: 0, row: 2, b, losses } => {
            assert_eq!(*b, 0.0);
            assert_eq!(losses[2], Some(own));
        }
        other => panic!("{other:?}"),
    }
    let mut other = cfg.clone();
    other.label = "not trained".into();
    let landscape = |configs: Vec<ExperimentConfig>, grid: usize| Measure::Landscape { configs, grid, span: 1.0, images: 32, seed: 9 };
    let err = block_on(measure(&landscape(vec![other], 5), &d, &[&trained], None, &host, |_, _| {}));
    assert!(err.unwrap_err().contains("train it first"));
    let err = block_on(measure(&landscape(vec![cfg.clone()], 4), &d, &[&trained], None, &host, |_, _| {}));
    assert!(err.unwrap_err().contains("odd"));
}

#[test]
fn snapshots_show_one_image_after_each_stage_as_training_goes_on() {
    let _g = serial();
    let mut cfg = tiny(ModelSpec::new(Family::Cifar, 14, Skip::Identity).with_width(4), 0.05);
    cfg.epochs = 2;
    cfg.snapshots = 2;
    let (r, events) = train(&cfg);
    let total = r.unwrap().steps;
    let shots: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Snapshot { step, maps } => Some((*step, maps.clone())),
            _ => None,
        })
        .collect();
    // At initialisation, at a third and two thirds of the run, and at the end.
    assert_eq!(shots.iter().map(|s| s.0).collect::<Vec<_>>(), vec![0, total / 3, 2 * total / 3, total]);
    for (_, maps) in &shots {
        // The last block of each of the three stages: 4×8×8, 8×4×4, 16×2×2 for 8 px input.
        let shapes: Vec<_> = maps.iter().map(|m| (m.block, m.channels, m.height, m.width, m.values.len())).collect();
        assert_eq!(shapes, vec![(1, 4, 8, 8, 256), (3, 8, 4, 4, 128), (5, 16, 2, 2, 64)]);
    }
    // Training changed what the net makes of the image.
    assert_ne!(shots[0].1[2].values, shots[3].1[2].values);
    cfg.snapshots = 21;
    assert!(cfg.validate().unwrap_err().contains("snapshots"));
}

#[test]
fn per_layer_gradients_add_up_to_an_independent_sum_over_the_parameters() {
    use burn::module::{ModuleVisitor, Param};
    use burn::optim::GradientsParams;
    let _g = serial();
    let d = Device::flex();
    let ad = d.clone().autodiff();
    ad.seed(4);
    let net = Net::new(&ModelSpec::new(Family::Cifar, 8, Skip::Identity).with_width(4).resolve(3, 10), &ad);
    let x = Tensor::<4>::random([6, 3, 8, 8], burn::tensor::Distribution::Normal(0.0, 1.0), &ad);
    let y = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1, 2, 3, 4, 5], [6]), &ad);
    let loss = burn::nn::loss::CrossEntropyLossConfig::new().init(&ad).forward(net.forward(x), y);
    let grads = GradientsParams::from_grads(loss.backward(), &net);
    let lab: f32 =
        resnet_lab::lab::probes::grad_squares(&net, &grads).into_iter().map(|t| t.into_data().try_into_vec_as::<f32>().unwrap()[0]).sum();

    // The test's own walk over every parameter with a gradient: weights (≥ 2-D) and the rest (BN, biases).
    struct Sum<'a> {
        grads: &'a GradientsParams,
        weights: f64,
        rest: f64,
        layers: usize,
    }
    impl ModuleVisitor for Sum<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let Some(g) = self.grads.get::<D>(param.id) else { return };
            let v: Vec<f32> = g.into_data().try_into_vec_as().unwrap();
            let sq: f64 = v.iter().map(|x| (*x as f64).powi(2)).sum();
            if D >= 2 {
                self.weights += sq;
                self.layers += 1;
            } else {
                self.rest += sq;
            }
        }
    }
    let mut s = Sum { grads: &grads, weights: 0.0, rest: 0.0, layers: 0 };
    net.visit(&mut s);
    assert_eq!(s.layers, 1 + 3 * 2 + 1);
    assert!(((lab as f64) - s.weights).abs() < 1e-4 * s.weights, "lab {lab} vs independent {}", s.weights);
    // BatchNorm's scales and shifts and the classifier's bias learn too; the lab's global norm leaves them out.
    assert!(s.rest > 0.0);
}

fn step_losses(events: &[Event]) -> Vec<(usize, f32)> {
    events.iter().filter_map(|e| if let Event::Step(s) = e { Some((s.step, s.loss)) } else { None }).collect()
}

#[test]
fn resuming_a_checkpoint_continues_the_run_bit_for_bit() {
    let _serial = serial();
    use resnet_lab::lab::experiment::Checkpoint;
    // Momentum, weight decay, augmentation, a milestone and warm-up: every piece of state that must
    // survive the stop (weights, BN statistics, momentum buffers, data order, augmentation draws).
    let mut cfg = tiny(ModelSpec::new(Family::Cifar, 8, Skip::Identity).with_width(4), 0.05);
    cfg.epochs = 4;
    cfg.augment = true;
    cfg.weight_decay = 5e-4;
    cfg.warmup_epochs = 1;
    cfg.schedule = Schedule::Milestones { epochs: vec![3], gamma: 0.5 };
    let (whole, whole_events) = train(&cfg);
    let whole = whole.unwrap();

    // The same run stopped after 2 epochs (a checkpoint each epoch), then resumed to 4.
    let first_half = ExperimentConfig { epochs: 2, checkpoint_every: 1, ..cfg.clone() };
    let (_, events) = train(&first_half);
    let checkpoints: Vec<Checkpoint> =
        events.iter().filter_map(|e| if let Event::Checkpoint(c) = e { Some((**c).clone()) } else { None }).collect();
    assert_eq!(checkpoints.iter().map(|c| c.epoch).collect::<Vec<_>>(), vec![1, 2]);
    // It travels as JSON (a file, IndexedDB) and comes back the same.
    let json = serde_json::to_string(&checkpoints[1]).unwrap();
    let back: Checkpoint = serde_json::from_str(&json).unwrap();
    assert_eq!(back, checkpoints[1]);

    let resumed = ExperimentConfig { resume: Some(Box::new(back)), ..cfg.clone() };
    let (summary, resumed_events) = train(&resumed);
    let summary = summary.unwrap();
    let after: Vec<(usize, f32)> = step_losses(&whole_events).into_iter().filter(|(s, _)| *s > checkpoints[1].step).collect();
    let got = step_losses(&resumed_events);
    assert_eq!(got.len(), after.len());
    for ((s1, a), (s2, b)) in after.iter().zip(&got) {
        assert_eq!((s1, a.to_bits()), (s2, b.to_bits()), "step {s1}: {a} vs {b}");
    }
    assert_eq!(epoch_losses(&resumed_events), epoch_losses(&whole_events)[2..].to_vec());
    assert_eq!(summary.steps, whole.steps);
    assert_eq!(summary.first_loss.to_bits(), whole.first_loss.to_bits());
    assert_eq!(summary.final_val_accuracy, whole.final_val_accuracy);

    // A checkpoint of another net, or a damaged one, is refused with a message.
    let mut other = resumed.clone();
    other.model.width = 8;
    assert!(train(&other).0.unwrap_err().to_string().contains("only the epochs, the rate and its schedule may change"));
    let mut damaged = resumed.clone();
    damaged.resume.as_mut().unwrap().model.truncate(100);
    assert!(train(&damaged).0.unwrap_err().to_string().contains("damaged"));
}
