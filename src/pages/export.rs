//! Chart data as CSV: every chart's "CSV" button writes its series with this, one row per point.

/// `series,<x>,<y>` then one row per point of every series; labels are quoted when they need it.
pub fn series_csv<'a>(x: &str, y: &str, series: impl IntoIterator<Item = (&'a str, &'a [(f32, f32)])>) -> String {
    let mut out = format!("series,{},{}\n", field(x), field(y));
    for (label, points) in series {
        for (px, py) in points {
            out.push_str(&format!("{},{px},{py}\n", field(label)));
        }
    }
    out
}

/// `label,<value>` then one row per bar.
pub fn bars_csv<'a>(value: &str, bars: impl IntoIterator<Item = (&'a str, f64)>) -> String {
    let mut out = format!("label,{}\n", field(if value.is_empty() { "value" } else { value }));
    for (label, v) in bars {
        out.push_str(&format!("{},{v}\n", field(label)));
    }
    out
}

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A file name from a chart title: lower case, words joined by '-'.
pub fn file_name(title: &str, ext: &str) -> String {
    let slug: String = title.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { ' ' }).collect();
    format!("resnet-lab-{}.{ext}", slug.split_whitespace().take(8).collect::<Vec<_>>().join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_of_every_series() {
        let a = [(1.0, 2.5), (2.0, 2.0)];
        let b = [(1.0, 0.5)];
        let csv = series_csv("step", "loss", [("Plain-20", &a[..]), ("ResNet, 20", &b[..])]);
        assert_eq!(csv, "series,step,loss\nPlain-20,1,2.5\nPlain-20,2,2\n\"ResNet, 20\",1,0.5\n");
        assert_eq!(bars_csv("", [("a, b", 2.0), ("c", 0.5)]), "label,value\n\"a, b\",2\nc,0.5\n");
        assert_eq!(file_name("Training loss per step (‖∇‖)", "csv"), "resnet-lab-training-loss-per-step.csv");
    }
}
