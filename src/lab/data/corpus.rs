//! A real dataset held in memory as loaded from its files (raw bytes, verified), from which
//! [`super::Dataset`]s of any size are drawn. Built from whatever files the user gives: `.gz`,
//! `.tar.gz` and plain files are unpacked and recognised by content and name.

use super::formats::{self, FormatError};
use super::DataKind;

pub const FASHION_CLASSES: [&str; 10] =
    ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
pub const CIFAR_CLASSES: [&str; 10] = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

/// Pixels `[n, channels, size, size]` as stored (0..=255) and their labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Split {
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Split {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Corpus {
    pub kind: DataKind,
    pub channels: usize,
    pub size: usize,
    pub class_names: Vec<String>,
    pub train: Split,
    pub test: Split,
    /// Per-channel mean and std of the training pixels scaled to 0..1 (the course's `Normalize`).
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
    /// What the loader had to decide on the user's behalf (shown next to the data).
    pub notes: Vec<String>,
}

const IDX_EXPECTED: &str = "train-images-idx3-ubyte and train-labels-idx1-ubyte (optionally t10k-… for the test split), plain or .gz";
const CIFAR_EXPECTED: &str = "CIFAR-10 binary batches data_batch_1.bin … data_batch_5.bin and test_batch.bin, or cifar-10-binary.tar.gz";

impl Corpus {
    /// Recognises and verifies a dataset in `files` (name, bytes).
    pub fn from_files(files: Vec<(String, Vec<u8>)>) -> Result<Corpus, FormatError> {
        if files.is_empty() {
            return Err(FormatError(format!("no files given; expected {IDX_EXPECTED}, or {CIFAR_EXPECTED}")));
        }
        let files = unpack(files)?;
        let idx: Vec<_> = files.iter().filter(|(_, b)| formats::is_idx(b)).collect();
        let base = |n: &str| n.rsplit('/').next().unwrap_or(n).to_ascii_lowercase();
        let cifar: Vec<_> = files.iter().filter(|(n, _)| base(n).ends_with(".bin")).collect();
        let mut corpus = if !idx.is_empty() {
            from_idx(&idx)?
        } else if !cifar.is_empty() {
            let meta = files.iter().find(|(n, _)| base(n) == "batches.meta.txt").map(|(_, b)| b.as_slice());
            from_cifar(&cifar, meta)?
        } else {
            let names: Vec<_> = files.iter().take(4).map(|(n, _)| n.as_str()).collect();
            return Err(FormatError(format!("found no dataset in {names:?}: expected {IDX_EXPECTED}; or {CIFAR_EXPECTED}")));
        };
        if corpus.test.is_empty() {
            let n = corpus.train.len();
            let hold = (n / 6).max(1).min(n.saturating_sub(1));
            let px = corpus.image_len();
            corpus.test.pixels = corpus.train.pixels.split_off((n - hold) * px);
            corpus.test.labels = corpus.train.labels.split_off(n - hold);
            corpus.notes.push(format!("no test files: the last {hold} training images are held out instead"));
        }
        if corpus.train.is_empty() {
            return Err(FormatError("the dataset has no training images".into()));
        }
        (corpus.mean, corpus.std) = channel_stats(&corpus.train.pixels, corpus.channels, corpus.size * corpus.size);
        Ok(corpus)
    }

    /// Every file in `dir` (natively: the CLI and tests).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_dir(dir: &std::path::Path) -> Result<Corpus, FormatError> {
        let entries = std::fs::read_dir(dir).map_err(|e| FormatError(format!("cannot read {}: {e}", dir.display())))?;
        let mut files = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                let bytes = std::fs::read(&path).map_err(|e| FormatError(format!("{}: {e}", path.display())))?;
                files.push((path.file_name().unwrap_or_default().to_string_lossy().into_owned(), bytes));
            }
        }
        Corpus::from_files(files)
    }

    /// Checks the split sizes of a known published set (the shipped Fashion-MNIST must be complete).
    pub fn expect_counts(&self, train: usize, test: usize) -> Result<(), FormatError> {
        if self.train.len() != train || self.test.len() != test {
            return Err(FormatError(format!(
                "expected {train} training and {test} test images, found {} and {}: the data files are incomplete or not the published ones",
                self.train.len(),
                self.test.len()
            )));
        }
        Ok(())
    }

    pub fn image_len(&self) -> usize {
        self.channels * self.size * self.size
    }
}

/// Expands `.gz` and tar archives into their files.
fn unpack(files: Vec<(String, Vec<u8>)>) -> Result<Vec<(String, Vec<u8>)>, FormatError> {
    let mut out = Vec::new();
    for (name, bytes) in files {
        let (name, bytes) = if formats::is_gzip(&bytes) {
            let inner = formats::gunzip(&name, &bytes)?;
            let stripped = if name.to_ascii_lowercase().ends_with(".tgz") {
                format!("{}.tar", &name[..name.len() - 4])
            } else {
                name.strip_suffix(".gz").unwrap_or(&name).to_string()
            };
            (stripped, inner)
        } else {
            (name, bytes)
        };
        let is_tar = (bytes.len() >= 263 && &bytes[257..262] == b"ustar") || name.to_ascii_lowercase().ends_with(".tar");
        if is_tar {
            out.extend(formats::untar(&name, &bytes)?);
        } else {
            out.push((name, bytes));
        }
    }
    Ok(out)
}

fn is_test_name(name: &str) -> bool {
    let n = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    n.contains("t10k") || n.contains("test")
}

fn from_idx(files: &[&(String, Vec<u8>)]) -> Result<Corpus, FormatError> {
    let mut parsed = Vec::new();
    for (name, bytes) in files {
        parsed.push((name.as_str(), formats::parse_idx(name, bytes)?));
    }
    let find = |test: bool, ndim: usize| {
        let hits: Vec<_> = parsed.iter().filter(|(n, i)| is_test_name(n) == test && i.dims.len() == ndim).collect();
        match hits.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(FormatError(format!("more than one {} IDX file with {ndim} dimensions", if test { "test" } else { "training" }))),
        }
    };
    let (Some(train_img), Some(train_lbl)) = (find(false, 3)?, find(false, 1)?) else {
        return Err(FormatError(format!("IDX files found, but not a training image/label pair: expected {IDX_EXPECTED}")));
    };
    let (rows, cols) = (train_img.1.dims[1], train_img.1.dims[2]);
    if rows != cols || !(4..=256).contains(&rows) {
        return Err(FormatError(format!("{}: images are {rows}×{cols}; expected square images (28×28 for Fashion-MNIST)", train_img.0)));
    }
    let train = idx_split(train_img, train_lbl)?;
    let test = match (find(true, 3)?, find(true, 1)?) {
        (Some(i), Some(l)) => {
            if i.1.dims[1..] != train_img.1.dims[1..] {
                return Err(FormatError(format!(
                    "{}: test images are {:?}, training images {:?}",
                    i.0,
                    &i.1.dims[1..],
                    &train_img.1.dims[1..]
                )));
            }
            idx_split(i, l)?
        }
        (None, None) => Split::default(),
        _ => return Err(FormatError("test IDX files must come as a pair: t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte".into())),
    };
    Ok(Corpus {
        kind: DataKind::FashionMnist,
        channels: 1,
        size: rows,
        class_names: FASHION_CLASSES.iter().map(|s| s.to_string()).collect(),
        train,
        test,
        mean: vec![],
        std: vec![],
        notes: vec![],
    })
}

fn idx_split(img: &(&str, formats::Idx), lbl: &(&str, formats::Idx)) -> Result<Split, FormatError> {
    let (n_img, n_lbl) = (img.1.dims[0], lbl.1.dims[0]);
    if n_img != n_lbl {
        return Err(FormatError(format!("{} has {n_img} images but {} has {n_lbl} labels", img.0, lbl.0)));
    }
    if let Some(pos) = lbl.1.data.iter().position(|&l| l > 9) {
        return Err(FormatError(format!("{}: label {} at {pos} is outside 0..=9", lbl.0, lbl.1.data[pos])));
    }
    Ok(Split { pixels: img.1.data.clone(), labels: lbl.1.data.clone() })
}

fn from_cifar(files: &[&(String, Vec<u8>)], meta: Option<&[u8]>) -> Result<Corpus, FormatError> {
    let (mut train, mut test) = (Split::default(), Split::default());
    let mut sorted: Vec<_> = files.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, bytes) in sorted {
        let (px, lb) = formats::parse_cifar_batch(name, bytes)?;
        let split = if is_test_name(name) { &mut test } else { &mut train };
        split.pixels.extend(px);
        split.labels.extend(lb);
    }
    let names: Option<Vec<String>> =
        meta.map(|m| String::from_utf8_lossy(m).lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect());
    let class_names = match names {
        Some(n) if n.len() == 10 => n,
        _ => CIFAR_CLASSES.iter().map(|s| s.to_string()).collect(),
    };
    Ok(Corpus { kind: DataKind::Cifar10, channels: 3, size: 32, class_names, train, test, mean: vec![], std: vec![], notes: vec![] })
}

/// Per-channel mean and std of `[n, c, hw]` bytes, scaled to 0..1.
fn channel_stats(pixels: &[u8], channels: usize, hw: usize) -> (Vec<f32>, Vec<f32>) {
    let mut sum = vec![0u64; channels];
    let mut sq = vec![0u64; channels];
    for image in pixels.chunks_exact(channels * hw) {
        for (c, plane) in image.chunks_exact(hw).enumerate() {
            sum[c] += plane.iter().map(|&p| p as u64).sum::<u64>();
            sq[c] += plane.iter().map(|&p| (p as u64) * (p as u64)).sum::<u64>();
        }
    }
    let n = (pixels.len() / channels.max(1)).max(1) as f64;
    let mean: Vec<f64> = sum.iter().map(|&s| s as f64 / n / 255.0).collect();
    let std = sq.iter().zip(&mean).map(|(&q, &m)| ((q as f64 / n / 65025.0 - m * m).max(1e-12).sqrt()) as f32).collect();
    (mean.into_iter().map(|m| m as f32).collect(), std)
}

#[cfg(test)]
mod tests {
    use super::super::formats::tests::{gzip, idx, tar};
    use super::super::{Augment, DataKind, Dataset, Pixels};
    use super::*;
    use crate::lab::rng::Rng;

    /// A tiny Fashion-MNIST look-alike: image i is filled with i, label i % 10.
    fn idx_files(train: u32, test: u32) -> Vec<(String, Vec<u8>)> {
        let images = |n: u32| idx(&[n, 4, 4], &(0..n).flat_map(|i| [i as u8; 16]).collect::<Vec<_>>());
        let labels = |n: u32| idx(&[n], &(0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>());
        vec![
            ("train-images-idx3-ubyte.gz".into(), gzip(&images(train))),
            ("train-labels-idx1-ubyte.gz".into(), gzip(&labels(train))),
            ("t10k-images-idx3-ubyte".into(), images(test)),
            ("t10k-labels-idx1-ubyte".into(), labels(test)),
        ]
    }

    #[test]
    fn idx_set_loads_and_verifies() {
        let c = Corpus::from_files(idx_files(30, 10)).unwrap();
        assert_eq!((c.kind, c.channels, c.size, c.train.len(), c.test.len()), (DataKind::FashionMnist, 1, 4, 30, 10));
        assert_eq!(c.train.labels[13], 3);
        assert!((c.mean[0] - 14.5 / 255.0).abs() < 1e-4, "{:?}", c.mean);
        assert!(c.expect_counts(30, 10).is_ok());
        assert!(c.expect_counts(60000, 10000).unwrap_err().0.contains("incomplete"));

        let mut files = idx_files(30, 10);
        files[1] = ("train-labels-idx1-ubyte".into(), idx(&[29], &[0; 29]));
        assert!(Corpus::from_files(files).unwrap_err().0.contains("30 images but"));
        let mut files = idx_files(30, 10);
        files[1] = ("train-labels-idx1-ubyte".into(), idx(&[30], &[12; 30]));
        assert!(Corpus::from_files(files).unwrap_err().0.contains("outside 0..=9"));
        let mut files = idx_files(30, 10);
        let cut = files[0].1.len() - 9;
        files[0].1.truncate(cut);
        assert!(Corpus::from_files(files).unwrap_err().0.contains("gzip"));
        // Without test files a sixth of the training set is held out, and the user is told.
        let c = Corpus::from_files(idx_files(30, 10)[..2].to_vec()).unwrap();
        assert_eq!((c.train.len(), c.test.len()), (25, 5));
        assert_eq!(c.notes.len(), 1);
    }

    fn cifar_batch(n: usize, seed: u8) -> Vec<u8> {
        (0..n).flat_map(|i| std::iter::once((i % 10) as u8).chain(std::iter::repeat_n(seed.wrapping_add(i as u8), 3072))).collect()
    }

    #[test]
    fn cifar_tar_gz_as_published() {
        let b1 = cifar_batch(12, 0);
        let b2 = cifar_batch(8, 100);
        let tb = cifar_batch(5, 200);
        let meta = b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";
        let archive = gzip(&tar(&[
            ("cifar-10-batches-bin/batches.meta.txt", meta),
            ("cifar-10-batches-bin/data_batch_1.bin", &b1),
            ("cifar-10-batches-bin/data_batch_2.bin", &b2),
            ("cifar-10-batches-bin/readme.html", b"<html>"),
            ("cifar-10-batches-bin/test_batch.bin", &tb),
        ]));
        let c = Corpus::from_files(vec![("cifar-10-binary.tar.gz".into(), archive.clone())]).unwrap();
        assert_eq!((c.kind, c.channels, c.size, c.train.len(), c.test.len()), (DataKind::Cifar10, 3, 32, 20, 5));
        assert_eq!(c.class_names[9], "truck");
        assert_eq!(c.train.pixels[12 * 3072], 100, "batches are read in order");
        // Loose .bin files work too; a truncated archive or a foreign file says what was expected.
        let loose = Corpus::from_files(vec![("data_batch_1.bin".into(), b1.clone()), ("test_batch.bin".into(), tb)]).unwrap();
        assert_eq!((loose.train.len(), loose.test.len()), (12, 5));
        let cut = Corpus::from_files(vec![("cifar-10-binary.tar.gz".into(), archive[..archive.len() / 2].to_vec())]);
        assert!(cut.unwrap_err().0.contains("gzip"));
        let e = Corpus::from_files(vec![("data_batch_1.bin".into(), b1[..4000].to_vec())]).unwrap_err().0;
        assert!(e.contains("3072 pixels"), "{e}");
        let e = Corpus::from_files(vec![("photo.png".into(), b"\x89PNG".to_vec())]).unwrap_err().0;
        assert!(e.contains("expected") && e.contains("data_batch_1.bin"), "{e}");
    }

    #[test]
    fn datasets_drawn_from_a_corpus() {
        let c = Corpus::from_files(idx_files(30, 10)).unwrap();
        let d = Dataset::from_corpus(&c, 20, 7);
        assert_eq!((d.len(), d.train_len, d.classes), (20, 16, 10));
        assert_eq!(Dataset::from_corpus(&c, 20, 7).labels, d.labels, "seeded");
        assert_ne!(Dataset::from_corpus(&c, 20, 8).labels, d.labels);
        // Gathered pixels are normalised with the corpus statistics.
        let Pixels::U8 { data, .. } = &d.pixels else { panic!() };
        let (x, _) = d.gather(&[0]);
        assert!((x[0] - (data[0] as f32 / 255.0 - c.mean[0]) / c.std[0]).abs() < 1e-6);
        // Every pixel of the training images stays within the training set's range.
        let (all, _) = d.gather(&(0..16).collect::<Vec<_>>());
        let mean = all.iter().sum::<f32>() / all.len() as f32;
        assert!(mean.abs() < 0.6, "{mean}");
    }

    #[test]
    fn augmentation_shifts_and_flips() {
        // One 1×4×4 image with distinct pixels; a flip with no shift mirrors each row.
        let c = Corpus::from_files(idx_files(30, 10)).unwrap();
        let mut d = Dataset::from_corpus(&c, 10, 1);
        d.pixels = Pixels::F32((0..16 * d.len()).map(|i| (i % 16) as f32).collect());
        let flip = Augment { pad: 0, flip: true };
        let mut rng = Rng::new(3);
        let mut seen_flip = false;
        for _ in 0..8 {
            let (x, _) = d.gather_augmented(&[0], flip, &mut rng);
            let mirrored = x[0] == 3.0 && x[3] == 0.0 && x[4] == 7.0;
            assert!(mirrored || x[..16] == (0..16).map(|v| v as f32).collect::<Vec<_>>()[..]);
            seen_flip |= mirrored;
        }
        assert!(seen_flip);
        let shift = Augment { pad: 1, flip: false };
        for _ in 0..8 {
            let (x, _) = d.gather_augmented(&[0], shift, &mut rng);
            // A shifted copy: every non-zero output pixel is its neighbour's value ± one row/column.
            let nonzero = x.iter().filter(|&&v| v != 0.0).count();
            assert!(nonzero >= 8, "{x:?}");
        }
        assert!(!Augment::for_data(DataKind::Gratings, 32).flip);
        assert_eq!(Augment::for_data(DataKind::Cifar10, 32), Augment { pad: 4, flip: true });
    }
}
