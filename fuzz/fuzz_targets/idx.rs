//! IDX parser: any bytes give Ok or an error message, never a panic; Ok data matches its header.
#![no_main]
use libfuzzer_sys::fuzz_target;
use resnet_lab::lab::data::formats::parse_idx;

fuzz_target!(|data: &[u8]| {
    if let Ok(idx) = parse_idx("fuzz", data) {
        assert_eq!(idx.data.len(), idx.dims.iter().product::<usize>());
    }
});
