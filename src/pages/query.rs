//! URL query parsing with clamping: every out-of-range or unknown value becomes a visible note.

use std::collections::BTreeMap;

/// A parsed query string plus the notes produced while reading values from it.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pairs: BTreeMap<String, String>,
    pub notes: Vec<String>,
}

impl Query {
    pub fn parse(query: &str) -> Query {
        let pairs = query
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        Query { pairs, notes: vec![] }
    }

    pub fn raw(&self, key: &str) -> Option<&str> {
        self.pairs.get(key).map(String::as_str)
    }

    /// A network depth of the form `step·n + 2` in `lo..=hi` (`lo` of that form too): clamped like
    /// [`Query::int`], then snapped down to the form with a note.
    pub fn depth(&mut self, key: &str, default: usize, step: usize, lo: usize, hi: usize) -> usize {
        let depth = self.int(key, default, lo, hi);
        let fixed = snap_depth(depth, step, lo);
        if fixed != depth {
            self.notes.push(format!("{key}: {depth} is not {step}n+2; using {fixed}"));
        }
        fixed
    }

    /// An integer in `lo..=hi`; out-of-range values are clamped, unparsable ones use `default`.
    pub fn int(&mut self, key: &str, default: usize, lo: usize, hi: usize) -> usize {
        let Some(raw) = self.pairs.get(key).cloned() else { return default };
        match raw.trim().parse::<i64>() {
            Ok(v) if v < lo as i64 => {
                self.notes.push(format!("{key}={raw} is below the minimum; using {lo}"));
                lo
            }
            Ok(v) if v > hi as i64 => {
                self.notes.push(format!("{key}={raw} is above the maximum; using {hi}"));
                hi
            }
            Ok(v) => v as usize,
            Err(_) => {
                self.notes.push(format!("{key}={raw} is not a whole number; using {default}"));
                default
            }
        }
    }

    pub fn float(&mut self, key: &str, default: f64, lo: f64, hi: f64) -> f64 {
        let Some(raw) = self.pairs.get(key).cloned() else { return default };
        match raw.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v < lo => {
                self.notes.push(format!("{key}={raw} is below the minimum; using {lo}"));
                lo
            }
            Ok(v) if v.is_finite() && v > hi => {
                self.notes.push(format!("{key}={raw} is above the maximum; using {hi}"));
                hi
            }
            Ok(v) if v.is_finite() => v,
            _ => {
                self.notes.push(format!("{key}={raw} is not a number; using {default}"));
                default
            }
        }
    }

    /// One of a fixed set of names.
    pub fn choice<T: Copy>(&mut self, key: &str, default: T, parse: impl Fn(&str) -> Option<T>, accepted: &str) -> T {
        let Some(raw) = self.pairs.get(key).cloned() else { return default };
        parse(&raw).unwrap_or_else(|| {
            self.notes.push(format!("{key}={raw} is unknown (accepted: {accepted}); using the default"));
            default
        })
    }

    /// A comma-separated list of integers, each clamped; at most `max_len` entries, no duplicates.
    /// `skip=plain|residual` as a bool (true = residual), the toggle several pages share.
    pub fn residual(&mut self, default: bool) -> bool {
        self.choice(
            "skip",
            default,
            |s| match s {
                "plain" => Some(false),
                "residual" => Some(true),
                _ => None,
            },
            "plain, residual",
        )
    }

    pub fn int_list(&mut self, key: &str, default: &[usize], lo: usize, hi: usize, max_len: usize) -> Vec<usize> {
        let Some(raw) = self.pairs.get(key).cloned() else { return default.to_vec() };
        let mut out = Vec::new();
        for part in raw.split(',').filter(|p| !p.trim().is_empty()) {
            match part.trim().parse::<i64>() {
                Ok(v) => {
                    let c = v.clamp(lo as i64, hi as i64) as usize;
                    if c as i64 != v {
                        self.notes.push(format!("{key}: {v} is outside {lo}..{hi}; using {c}"));
                    }
                    if !out.contains(&c) {
                        out.push(c);
                    }
                }
                Err(_) => self.notes.push(format!("{key}: '{}' is not a whole number; ignored", part.trim())),
            }
        }
        if out.len() > max_len {
            self.notes.push(format!("{key}: at most {max_len} values; keeping the first {max_len}"));
            out.truncate(max_len);
        }
        if out.is_empty() {
            self.notes.push(format!("{key}: no usable value; using the defaults"));
            return default.to_vec();
        }
        out
    }
}

/// The nearest depth of the form `step·n + 2` at or below `depth`, and at least `min` (sliders and URLs).
pub fn snap_depth(depth: usize, step: usize, min: usize) -> usize {
    ((depth.max(min) - 2) / step * step + 2).max(min)
}

/// Builds a query string from key/value pairs (values percent-encoded where needed).
pub fn encode_pairs(pairs: &[(&str, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b',' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_with_notes() {
        let mut q = Query::parse("?a=500&b=-3&c=x&d=7&f=1e9&l=4,999,4,abc");
        assert_eq!(q.int("a", 1, 1, 100), 100);
        assert_eq!(q.int("b", 1, 1, 100), 1);
        assert_eq!(q.int("c", 5, 1, 100), 5);
        assert_eq!(q.int("d", 5, 1, 100), 7);
        assert_eq!(q.int("missing", 5, 1, 100), 5);
        assert_eq!(q.float("f", 0.1, 1e-4, 1.0), 1.0);
        assert_eq!(q.int_list("l", &[1], 2, 40, 6), vec![4, 40]);
        assert_eq!(q.notes.len(), 6, "{:?}", q.notes);
    }

    #[test]
    fn encode_decode_round_trip() {
        let s = encode_pairs(&[("x", "a b/%".into()), ("d", "4,8".into())]);
        let q = Query::parse(&s);
        assert_eq!(q.raw("x"), Some("a b/%"));
        assert_eq!(q.raw("d"), Some("4,8"));
        assert_eq!(Query::parse("?z=%zz%").raw("z"), Some("%zz%"));
    }
}
