//! The whole loader (gzip, tar, recognition, verification) on one file under a fuzzed name: never
//! panics; a loaded corpus is internally consistent.
#![no_main]
use libfuzzer_sys::fuzz_target;
use resnet_lab::lab::data::Corpus;

fuzz_target!(|input: (u8, &[u8])| {
    let (name_pick, bytes) = input;
    let names = ["data_batch_1.bin", "test_batch.bin", "train-images-idx3-ubyte.gz", "cifar-10-binary.tar.gz", "x.tar"];
    let name = names[name_pick as usize % names.len()];
    if let Ok(c) = Corpus::from_files(vec![(name.to_string(), bytes.to_vec())]) {
        let n = c.image_len();
        assert_eq!(c.train.pixels.len(), c.train.len() * n);
        assert_eq!(c.test.pixels.len(), c.test.len() * n);
        assert!(c.train.labels.iter().chain(&c.test.labels).all(|&l| (l as usize) < c.class_names.len()));
        assert!(c.mean.iter().chain(&c.std).all(|v| v.is_finite()));
    }
});
