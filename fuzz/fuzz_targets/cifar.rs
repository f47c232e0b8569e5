//! CIFAR-10 batch parser: never panics; Ok means whole records with labels 0..=9.
#![no_main]
use libfuzzer_sys::fuzz_target;
use resnet_lab::lab::data::formats::{parse_cifar_batch, CIFAR_RECORD};

fuzz_target!(|data: &[u8]| {
    if let Ok((pixels, labels)) = parse_cifar_batch("fuzz", data) {
        assert_eq!(pixels.len(), labels.len() * (CIFAR_RECORD - 1));
        assert!(labels.iter().all(|&l| l < 10));
    }
});
