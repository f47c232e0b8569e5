//! Parsers for the file formats real datasets come in: gzip, tar, IDX (MNIST / Fashion-MNIST) and
//! the CIFAR-10 binary batches. Pure functions over bytes, so they are tested with generated files
//! and fuzzed (`fuzz/`); every error names what was expected.

use std::fmt;
use std::io::Read;

/// Why a file could not be used. The message is shown to the user as is.
#[derive(Clone, Debug, PartialEq)]
pub struct FormatError(pub String);

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FormatError {}

fn err<T>(msg: impl Into<String>) -> Result<T, FormatError> {
    Err(FormatError(msg.into()))
}

/// Largest file we decompress: guards against a gzip bomb eating the tab's memory.
pub const MAX_UNPACKED: usize = 512 << 20;

pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Decompresses gzip data (all members); `name` is only for the message.
pub fn gunzip(name: &str, bytes: &[u8]) -> Result<Vec<u8>, FormatError> {
    // Reserve a guess, never past the cap: a huge input must not ask for more than it may unpack to.
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(3).min(MAX_UNPACKED + 1));
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    match decoder.take(MAX_UNPACKED as u64 + 1).read_to_end(&mut out) {
        Ok(_) if out.len() > MAX_UNPACKED => err(format!("{name}: unpacks to more than {} MB", MAX_UNPACKED >> 20)),
        Ok(_) => Ok(out),
        Err(e) => err(format!("{name}: not a valid gzip file ({e}); expected a .gz as published")),
    }
}

/// Regular files of a POSIX/GNU tar archive, as (path, contents).
pub fn untar(name: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, FormatError> {
    let mut files = Vec::new();
    let mut at = 0usize;
    while at + 512 <= bytes.len() {
        let header = &bytes[at..at + 512];
        if header.iter().all(|&b| b == 0) {
            return Ok(files); // end-of-archive marker
        }
        let computed: u32 = header.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { b as u32 }).sum();
        let field = |r: std::ops::Range<usize>| {
            let s = &header[r];
            String::from_utf8_lossy(&s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())]).trim().to_string()
        };
        if parse_octal(&field(148..156)) != Some(computed as u64) {
            return err(format!("{name}: not a tar archive (bad header checksum at byte {at})"));
        }
        let size = parse_octal(&field(124..136)).ok_or_else(|| FormatError(format!("{name}: bad entry size in tar header")))?;
        let size = usize::try_from(size).map_err(|_| FormatError(format!("{name}: tar entry too large")))?;
        let prefix = field(345..500);
        let base = field(0..100);
        let path = if prefix.is_empty() || &header[257..262] != b"ustar" { base } else { format!("{prefix}/{base}") };
        let start = at + 512;
        let end = start.checked_add(size).filter(|&e| e <= bytes.len());
        let Some(end) = end else {
            return err(format!("{name}: truncated tar archive ({path} needs {size} bytes)"));
        };
        // '0' or NUL: a regular file. Directories, links and GNU long names are skipped.
        if header[156] == b'0' || header[156] == 0 {
            files.push((path, bytes[start..end].to_vec()));
        }
        at = start + size.div_ceil(512) * 512;
    }
    if files.is_empty() {
        return err(format!("{name}: not a tar archive (too short)"));
    }
    if at != bytes.len() {
        return err(format!("{name}: truncated tar archive (ends inside a 512-byte block)"));
    }
    Ok(files)
}

fn parse_octal(s: &str) -> Option<u64> {
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

/// An IDX file: `dims` and the raw unsigned bytes (type 0x08 only, as MNIST-style sets use).
#[derive(Clone, Debug, PartialEq)]
pub struct Idx {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// IDX magic: two zero bytes, type 0x08 (u8), and the number of dimensions.
pub fn is_idx(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0x08 && (1..=4).contains(&bytes[3])
}

pub fn parse_idx(name: &str, bytes: &[u8]) -> Result<Idx, FormatError> {
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return err(format!("{name}: not an IDX file (expected magic 0x0000 08 01 or 0x0000 08 03 as in MNIST/Fashion-MNIST)"));
    }
    if bytes[2] != 0x08 {
        return err(format!("{name}: IDX element type 0x{:02x} is not supported (expected 0x08, unsigned bytes)", bytes[2]));
    }
    let ndim = bytes[3] as usize;
    if !(1..=4).contains(&ndim) {
        return err(format!("{name}: IDX with {ndim} dimensions (expected 1 for labels or 3 for images)"));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return err(format!("{name}: truncated IDX header"));
    }
    let dims: Vec<usize> = (0..ndim).map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize).collect();
    let expected = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let Some(expected) = expected.filter(|&e| e <= MAX_UNPACKED) else {
        return err(format!("{name}: IDX dimensions {dims:?} are implausibly large"));
    };
    let body = &bytes[header..];
    if body.len() != expected {
        return err(format!(
            "{name}: IDX header says {dims:?} = {expected} bytes of data but the file has {} (truncated or wrong file)",
            body.len()
        ));
    }
    Ok(Idx { dims, data: body.to_vec() })
}

/// One CIFAR-10 record: 1 label byte then 3×32×32 pixel bytes (all red, all green, all blue).
pub const CIFAR_RECORD: usize = 1 + 3 * 32 * 32;

/// Parses a CIFAR-10 binary batch into (pixels `[n, 3, 32, 32]`, labels).
pub fn parse_cifar_batch(name: &str, bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>), FormatError> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(CIFAR_RECORD) {
        return err(format!(
            "{name}: {} bytes is not a whole number of CIFAR-10 records ({CIFAR_RECORD} bytes each: 1 label + 3072 pixels; a batch is 10000 records = 30,730,000 bytes)",
            bytes.len()
        ));
    }
    let n = bytes.len() / CIFAR_RECORD;
    let mut pixels = Vec::with_capacity(n * (CIFAR_RECORD - 1));
    let mut labels = Vec::with_capacity(n);
    for (i, rec) in bytes.chunks_exact(CIFAR_RECORD).enumerate() {
        if rec[0] > 9 {
            return err(format!("{name}: record {i} has label {} (CIFAR-10 labels are 0..=9); is this CIFAR-100?", rec[0]));
        }
        labels.push(rec[0]);
        pixels.extend_from_slice(&rec[1..]);
    }
    Ok((pixels, labels))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    pub fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    pub fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn idx_valid_truncated_and_foreign() {
        let ok = idx(&[2, 2, 3], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        assert!(is_idx(&ok));
        assert_eq!(parse_idx("a", &ok).unwrap(), Idx { dims: vec![2, 2, 3], data: (1..=12).collect() });
        let e = parse_idx("a", &ok[..ok.len() - 1]).unwrap_err().0;
        assert!(e.contains("truncated"), "{e}");
        assert!(parse_idx("a", b"\x89PNG....").unwrap_err().0.contains("expected magic"));
        assert!(parse_idx("a", &[0, 0, 0x0d, 1, 0, 0, 0, 0]).unwrap_err().0.contains("0x0d"));
        assert!(parse_idx("a", &[0, 0, 8, 3, 0, 0]).unwrap_err().0.contains("truncated IDX header"));
        let huge = idx(&[0xffff_ffff, 0xffff_ffff, 0xffff_ffff], &[]);
        assert!(parse_idx("a", &huge).unwrap_err().0.contains("implausibly"));
    }

    #[test]
    fn gzip_round_trip_and_garbage() {
        let data: Vec<u8> = (0..5000).map(|i| (i % 251) as u8).collect();
        let gz = gzip(&data);
        assert!(is_gzip(&gz));
        assert_eq!(gunzip("x.gz", &gz).unwrap(), data);
        assert!(gunzip("x.gz", &gz[..gz.len() / 2]).unwrap_err().0.contains("not a valid gzip"));
    }

    #[test]
    fn a_gzip_bomb_is_refused_at_the_cap() {
        // 1 MB of zeros compresses to ~1 KB: written MAX_UNPACKED/1 MB + 1 times, it unpacks past the cap.
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..(MAX_UNPACKED >> 20) + 1 {
            enc.write_all(&zeros).unwrap();
        }
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 4 << 20, "{} bytes", bomb.len());
        assert!(gunzip("bomb.gz", &bomb).unwrap_err().0.contains("unpacks to more than 512 MB"));
    }

    #[test]
    fn cifar_records() {
        let mut file = Vec::new();
        for label in [3u8, 9] {
            file.push(label);
            file.extend(std::iter::repeat_n(label * 10, 3072));
        }
        let (px, lb) = parse_cifar_batch("b.bin", &file).unwrap();
        assert_eq!(lb, vec![3, 9]);
        assert_eq!(px.len(), 2 * 3072);
        assert_eq!(px[3072], 90);
        assert!(parse_cifar_batch("b.bin", &file[..5000]).unwrap_err().0.contains("whole number"));
        file[0] = 42;
        assert!(parse_cifar_batch("b.bin", &file).unwrap_err().0.contains("label 42"));
    }

    /// A ustar archive written by hand, byte for byte as `tar` lays it out.
    pub fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (path, data) in entries {
            let mut h = [0u8; 512];
            h[..path.len()].copy_from_slice(path.as_bytes());
            h[100..107].copy_from_slice(b"0000644");
            h[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
            h[136..147].copy_from_slice(b"00000000000");
            h[156] = b'0';
            h[257..263].copy_from_slice(b"ustar\0");
            h[263..265].copy_from_slice(b"00");
            h[148..156].copy_from_slice(b"        ");
            let sum: u32 = h.iter().map(|&b| b as u32).sum();
            h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
            out.extend_from_slice(&h);
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.resize(out.len() + 1024, 0);
        out
    }

    #[test]
    fn tar_entries_and_damage() {
        let t = tar(&[("dir/a.bin", b"hello"), ("dir/b.txt", &[7u8; 700])]);
        let files = untar("t.tar", &t).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0], ("dir/a.bin".to_string(), b"hello".to_vec()));
        assert_eq!(files[1].1.len(), 700);
        assert!(untar("t.tar", &t[..600]).unwrap_err().0.contains("truncated"));
        let mut bad = t.clone();
        bad[0] ^= 0x55;
        assert!(untar("t.tar", &bad).unwrap_err().0.contains("checksum"));
        assert!(untar("t.tar", b"short").unwrap_err().0.contains("too short"));
    }
}
