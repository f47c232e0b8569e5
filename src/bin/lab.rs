//! `lab`: the lab's experiments from the command line, on the flex CPU backend (or wgpu with
//! `--features gpu`). Same models, same training loop as the browser.
//!
//!   lab list
//!   lab info MODEL [--classes N] [--channels C] [--size S]
//!   lab train CONFIG.json --out DIR [--data DIR]   (real sets: Fashion-MNIST defaults to Debian's
//!                                                  /usr/share/datasets/fashion-mnist)
//!   lab search CONFIG.json --out DIR [--data DIR] [--final-seeds N]   (the skip-pattern search)
//!   lab bench [--steps N] [--warmup N] [--batch B] [--size S] [--models resnet20,plain20,...] [--no-peer]
//!             (LAB_BACKEND=wgpu with `--features gpu`: the same on a GPU through wgpu)
//!
//! MODEL may carry a skip per block: `resnet14:I,-,W,A*0.5,X,D` (see `ModelSpec::from_name`).

use std::io::Write;
use std::path::PathBuf;
use std::process::{exit, Command};
use std::time::Instant;

use burn::prelude::*;
use resnet_lab::lab::data::{Corpus, DataKind, DataSpec};
use resnet_lab::lab::exec::block_on;
use resnet_lab::lab::experiment::{Event, ExperimentConfig};
use resnet_lab::lab::model::spec::catalogue;
use resnet_lab::lab::model::{ModelSpec, Net, Skip};
use resnet_lab::lab::probes::model_info;
use resnet_lab::lab::search::{run_search, SearchConfig};
use resnet_lab::lab::train::{run, NativeHost};

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("lab: {msg}");
    exit(2)
}

const USAGE: &str = "usage: lab list | lab info MODEL [--classes N] [--channels C] [--size S] | lab train CONFIG.json --out DIR [--data DIR] [--checkpoint-every N] [--resume CHECKPOINT.json] [--epochs N] | lab search CONFIG.json --out DIR [--data DIR] [--final-seeds N] | lab bench [--steps N] [--warmup N] [--batch B] [--size S] [--models a,b] [--no-peer]";

/// `--name value` options after the positional arguments.
struct Opts(Vec<String>);

impl Opts {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .position(|a| a == name)
            .map(|i| self.0.get(i + 1).map(String::as_str).unwrap_or_else(|| fail(format!("{name} needs a value"))))
    }
    fn num(&self, name: &str, default: usize, lo: usize, hi: usize) -> usize {
        match self.get(name) {
            None => default,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (lo..=hi).contains(&n) => n,
                _ => fail(format!("{name} must be a whole number in {lo}..={hi}, got '{v}'")),
            },
        }
    }
    fn flag(&self, name: &str) -> bool {
        self.0.iter().any(|a| a == name)
    }
}

fn device() -> Device {
    #[cfg(feature = "gpu")]
    if std::env::var("LAB_BACKEND").as_deref() == Ok("wgpu") {
        return Device::wgpu_options().init().unwrap_or_else(|e| fail(format!("no wgpu device: {e:?}")));
    }
    Device::flex()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else { fail(USAGE) };
    let opts = Opts(args[1..].to_vec());
    match cmd.as_str() {
        "list" => {
            println!("models: {}", catalogue().join(" "));
            println!("skip variants: {}", Skip::ALL.map(|s| s.name()).join(" "));
            println!("datasets: {}", DataKind::ALL.map(|d| d.name()).join(" "));
        }
        "info" => {
            let name = args.get(1).unwrap_or_else(|| fail("info needs a MODEL, e.g. lab info resnet50"));
            let spec = ModelSpec::from_name(name).unwrap_or_else(|e| fail(e));
            let classes = opts.num("--classes", 1000, 2, 100_000);
            let channels = opts.num("--channels", 3, 1, 4);
            let size = opts.num("--size", if spec.family == resnet_lab::lab::model::Family::Imagenet { 224 } else { 32 }, 8, 512);
            let info = model_info(&spec, channels, size, classes, &device());
            println!("{}", serde_json::to_string(&info).unwrap());
        }
        "train" => {
            let path = args.get(1).unwrap_or_else(|| fail("train needs CONFIG.json"));
            let out = PathBuf::from(opts.get("--out").unwrap_or_else(|| fail("train needs --out DIR")));
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| fail(format!("cannot read {path}: {e}")));
            let mut config: ExperimentConfig =
                serde_json::from_str(&text).unwrap_or_else(|e| fail(format!("{path} is not an experiment config: {e}")));
            config.checkpoint_every = opts.num("--checkpoint-every", config.checkpoint_every, 0, 1000);
            if let Some(file) = opts.get("--resume") {
                // The same checkpoint JSON the pipeline page downloads: a net trained here opens there.
                let text = std::fs::read_to_string(file).unwrap_or_else(|e| fail(format!("cannot read {file}: {e}")));
                let checkpoint = serde_json::from_str(&text).unwrap_or_else(|e| fail(format!("{file} is not a checkpoint: {e}")));
                config.resume = Some(Box::new(checkpoint));
            }
            config.epochs = opts.num("--epochs", config.epochs, 1, 1000);
            let corpus = config.data.kind.is_real().then(|| load_corpus(config.data.kind, opts.get("--data")));
            train(&config, corpus.as_ref(), &out);
        }
        "search" => {
            let path = args.get(1).unwrap_or_else(|| fail("search needs CONFIG.json (a search config, as the search page exports)"));
            let out = PathBuf::from(opts.get("--out").unwrap_or_else(|| fail("search needs --out DIR")));
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| fail(format!("cannot read {path}: {e}")));
            let config: SearchConfig = serde_json::from_str(&text).unwrap_or_else(|e| fail(format!("{path} is not a search config: {e}")));
            let corpus = config.training.data.kind.is_real().then(|| load_corpus(config.training.data.kind, opts.get("--data")));
            search(&config, corpus.as_ref(), &out, opts.num("--final-seeds", 3, 0, 10));
        }
        "bench" => bench(&opts),
        _ => fail(USAGE),
    }
}

/// Reads a real dataset's files from `dir` (or the kind's usual place).
fn load_corpus(kind: DataKind, dir: Option<&str>) -> Corpus {
    let dir = dir.map(PathBuf::from).unwrap_or_else(|| match kind {
        DataKind::FashionMnist => PathBuf::from("/usr/share/datasets/fashion-mnist"),
        _ => fail(format!("{} needs --data DIR (the folder with its files)", kind.title())),
    });
    let corpus = Corpus::from_dir(&dir).unwrap_or_else(|e| fail(format!("{}: {e}", dir.display())));
    if corpus.kind != kind {
        fail(format!("{} holds {}, the config asks for {}", dir.display(), corpus.kind.title(), kind.title()));
    }
    corpus
}

fn train(config: &ExperimentConfig, corpus: Option<&Corpus>, out: &PathBuf) {
    std::fs::create_dir_all(out).unwrap_or_else(|e| fail(format!("cannot create {}: {e}", out.display())));
    let total = config.steps_total();
    let mut csv = String::from("step,epoch,loss,accuracy,lr,grad_norm,first_layer_grad,last_layer_grad\n");
    let mut losses = Vec::new();
    let mut best = f32::MIN;
    let mut host = NativeHost::new(|e: &Event| match e {
        Event::Step(s) => {
            let (first, last) = (s.layer_grad_norms.first().unwrap_or(&f32::NAN), s.layer_grad_norms.last().unwrap_or(&f32::NAN));
            csv.push_str(&format!("{},{},{},{},{},{},{first},{last}\n", s.step, s.epoch, s.loss, s.accuracy, s.lr, s.grad_norm));
            losses.push((s.step as f32, s.loss));
            let width = 30;
            let done = s.step * width / total.max(1);
            eprint!("\r[{}{}] step {}/{} loss {:.4}", "#".repeat(done), " ".repeat(width - done), s.step, total, s.loss);
            let _ = std::io::stderr().flush();
        }
        Event::Epoch(e) => eprintln!(
            "\repoch {}: train loss {:.4} acc {:.3} | val loss {:.4} acc {:.3}",
            e.epoch, e.train_loss, e.train_accuracy, e.val_loss, e.val_accuracy
        ),
        Event::Checkpoint(c) => {
            // One file per checkpoint, and the best by held-out accuracy so far.
            let json = serde_json::to_string(c).unwrap();
            let name = format!("checkpoint-epoch{}.json", c.epoch);
            std::fs::write(out.join(&name), &json).unwrap_or_else(|e| fail(format!("cannot write {name}: {e}")));
            if c.val_accuracy >= best {
                best = c.val_accuracy;
                std::fs::write(out.join("checkpoint-best.json"), &json)
                    .unwrap_or_else(|e| fail(format!("cannot write the best checkpoint: {e}")));
            }
            eprintln!("wrote {name}");
        }
        _ => {}
    });
    let result = block_on(run(config, corpus, &device(), &mut host));
    let summary = result.unwrap_or_else(|e| fail(e));
    let write =
        |name: &str, body: String| std::fs::write(out.join(name), body).unwrap_or_else(|e| fail(format!("cannot write {name}: {e}")));
    write("result.json", serde_json::to_string_pretty(&summary).unwrap());
    write("steps.csv", csv);
    write("loss.svg", svg_line_chart(&config.label, &losses));
    eprintln!("\nwrote {}/result.json, steps.csv, loss.svg", out.display());
}

/// The skip-pattern search: candidates as they finish, each generation's fitness, then the best
/// pattern against identity everywhere and no skips over `final_seeds` seeds. Writes search.csv
/// (every genome evaluated), generations.csv, best.json (an experiment config `lab train` runs) and
/// finals.csv.
fn search(config: &SearchConfig, corpus: Option<&Corpus>, out: &PathBuf, final_seeds: usize) {
    std::fs::create_dir_all(out).unwrap_or_else(|e| fail(format!("cannot create {}: {e}", out.display())));
    let write =
        |name: &str, body: String| std::fs::write(out.join(name), body).unwrap_or_else(|e| fail(format!("cannot write {name}: {e}")));
    let mut host = NativeHost::new(|_: &Event| {});
    let result = block_on(run_search(config, corpus, &device(), &mut host, |s, p| {
        let e = s.evaluation(p).expect("just recorded");
        eprintln!(
            "generation {} · {}:{p} · held-out {:.1}% · {} params{}",
            s.generation + 1,
            config.backbone.base_name(),
            e.val_accuracy * 100.0,
            e.params,
            e.failed.as_ref().map(|f| format!(" · {f}")).unwrap_or_default()
        );
    }));
    let s = result.unwrap_or_else(|e| fail(e));
    let mut gens = String::from("generation,best,median,worst,best_pattern,trained\n");
    for g in &s.history {
        eprintln!("generation {}: fitness best {:.2} median {:.2} worst {:.2}", g.generation, g.best, g.median, g.worst);
        gens.push_str(&format!("{},{},{},{},\"{}\",{}\n", g.generation, g.best, g.median, g.worst, g.best_pattern, g.trained));
    }
    write("search.csv", s.csv());
    write("generations.csv", gens);
    let (best, _, _) = s.best().unwrap_or_else(|| fail("no candidate finished"));
    write("best.json", serde_json::to_string_pretty(&config.candidate(&best)).unwrap());
    let mut finals = String::from("label,model,seed,val_accuracy,val_loss\n");
    for run_config in config.finals(&best, final_seeds) {
        let mut quiet = NativeHost::new(|_: &Event| {});
        let r = block_on(run(&run_config, corpus, &device(), &mut quiet)).unwrap_or_else(|e| fail(e));
        eprintln!("{}: held-out {:.1}%", run_config.label, r.final_val_accuracy * 100.0);
        let model = run_config.model.pattern_text().unwrap_or_default();
        finals
            .push_str(&format!("\"{}\",\"{model}\",{},{},{}\n", run_config.label, run_config.seed, r.final_val_accuracy, r.final_val_loss));
    }
    write("finals.csv", finals);
    eprintln!("wrote {}/search.csv, generations.csv, best.json, finals.csv", out.display());
}

/// Step vs loss as an SVG chart (plotters' SVG backend) for the CLI's output folder.
fn svg_line_chart(title: &str, points: &[(f32, f32)]) -> String {
    use plotters::prelude::*;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 360)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let xmax = points.iter().map(|p| p.0).fold(1.0, f32::max);
        let (lo, hi) = points.iter().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
        let (lo, hi) = if lo <= hi { (lo, hi.max(lo + 1e-3)) } else { (0.0, 1.0) };
        if let Ok(mut chart) = ChartBuilder::on(&root)
            .caption(format!("{title}: training loss"), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(0f32..xmax, lo..hi)
        {
            let _ = chart.configure_mesh().x_desc("step").y_desc("loss").draw();
            let _ = chart.draw_series(LineSeries::new(points.iter().copied(), BLUE.stroke_width(2)));
        }
        let _ = root.present();
    }
    svg
}

fn bench(opts: &Opts) {
    let shape = BenchShape {
        steps: opts.num("--steps", 5, 1, 1000),
        // A GPU compiles and autotunes its kernels during the first steps: give it more than one.
        warmup: opts.num("--warmup", 1, 1, 100),
        batch: opts.num("--batch", 64, 1, 1024),
        size: opts.num("--size", 32, 8, 512),
    };
    let models = opts.get("--models").unwrap_or("resnet20,plain20,resnet56,plain56").to_string();
    let device = device();
    eprintln!("lab bench on {} ({device:?}), batch {}, {} px", backend_name(), shape.batch, shape.size);
    println!("| model | params | lab train img/s | lab infer img/s | torch train img/s | torch infer img/s | train ratio | infer ratio |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for name in models.split(',') {
        let mut spec = ModelSpec::from_name(name).unwrap_or_else(|e| fail(e));
        // The peers use 1×1 projection shortcuts: compare like with like.
        if spec.skip == Skip::Identity {
            spec.skip = Skip::Projection;
        }
        let (train_ips, params) = bench_train(&spec, &shape, &device);
        let infer_ips = bench_infer(&spec, &shape, &device);
        let peer = (!opts.flag("--no-peer")).then(|| torch_peer(name, &shape)).flatten();
        let (pt, pi) = peer.unwrap_or((f64::NAN, f64::NAN));
        println!(
            "| {name} | {params} | {train_ips:.1} | {infer_ips:.1} | {pt:.1} | {pi:.1} | {:.2} | {:.2} |",
            train_ips / pt,
            infer_ips / pi
        );
    }
}

/// What `lab bench` times: `steps` steps after `warmup` untimed ones, `batch` images of `size` px.
struct BenchShape {
    steps: usize,
    warmup: usize,
    batch: usize,
    size: usize,
}

fn backend_name() -> &'static str {
    if cfg!(feature = "gpu") && std::env::var("LAB_BACKEND").as_deref() == Ok("wgpu") {
        "wgpu"
    } else {
        "flex"
    }
}

/// Training images/s over the timed steps (each step reads its loss and gradient norms back, as the
/// pages do).
fn bench_train(spec: &ModelSpec, shape: &BenchShape, device: &Device) -> (f64, usize) {
    let BenchShape { steps, warmup, batch, size } = *shape;
    let data = DataSpec { kind: DataKind::RandomLabels, samples: (steps + warmup) * batch * 5 / 4 + 5, size, channels: 3, classes: 10 };
    let config =
        ExperimentConfig { batch, lr: 0.01, seed: 0, max_steps: Some(steps + warmup), ..ExperimentConfig::new(spec.clone(), data) };
    let (mut t0, mut tn, mut params) = (0.0, 0.0, 0);
    let mut host = NativeHost::new(|e: &Event| match e {
        Event::Started { params: p, .. } => params = *p,
        Event::Step(s) if s.step == warmup => t0 = s.elapsed_ms,
        Event::Step(s) => tn = s.elapsed_ms,
        _ => {}
    });
    block_on(run(&config, None, device, &mut host)).unwrap_or_else(|e| fail(e));
    ((steps * batch) as f64 / ((tn - t0) / 1000.0), params)
}

fn bench_infer(spec: &ModelSpec, shape: &BenchShape, device: &Device) -> f64 {
    let BenchShape { steps, warmup, batch, size } = *shape;
    let net = Net::new(&spec.resolve(3, 10), device).valid();
    let x = Tensor::<4>::random([batch, 3, size, size], burn::tensor::Distribution::Normal(0.0, 1.0), device);
    for _ in 0..warmup {
        let _ = net.forward(x.clone()).into_data();
    }
    let t = Instant::now();
    for _ in 0..steps {
        let _ = net.forward(x.clone()).into_data();
    }
    (steps * batch) as f64 / t.elapsed().as_secs_f64()
}

/// `../shared/peers/torch_bench.py`, run now on this machine: (train, infer) images/s.
fn torch_peer(model: &str, shape: &BenchShape) -> Option<(f64, f64)> {
    let script =
        ["../shared/peers/torch_bench.py", "shared/peers/torch_bench.py"].into_iter().find(|p| std::path::Path::new(p).exists())?;
    let out = Command::new("python3")
        .args([script, "--model", model, "--batch", &shape.batch.to_string(), "--steps", &shape.steps.to_string()])
        .args(["--size", &shape.size.to_string(), "--json"])
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("torch peer failed for {model}: {}", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or(""));
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some((v["train_img_s"].as_f64()?, v["infer_img_s"].as_f64()?))
}
