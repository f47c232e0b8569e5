//! Pages inside course material: `?embed=1` shows one page alone in an iframe, `lock=` fixes some
//! of its controls, `controls=none` hides them all (a Train button stays), `autorun=1` trains once
//! the frame is scrolled into view. These keys, with `backend=`, belong to the app rather than to a
//! page: every page keeps them when it rewrites its own settings into the URL.

use super::query::{encode_pairs, Query};

/// The app-level keys a page keeps in its URL, in this order.
pub const KEPT_KEYS: [&str; 7] = ["backend", "gpu_timeout", "threads", "embed", "lock", "controls", "autorun"];

/// The keys that only make sense inside a frame (dropped by "open in ResNet Lab").
const EMBED_KEYS: [&str; 4] = ["embed", "lock", "controls", "autorun"];

/// How a page is shown, from its URL.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Embed {
    /// `embed=1`: no site header, compact settings, a link out.
    pub on: bool,
    /// `lock=depth,skip`: control ids (the URL keys on most pages) that cannot be changed.
    pub locked: Vec<String>,
    /// `controls=none`: no settings at all, only the run button.
    pub no_controls: bool,
    /// `autorun=1`: press Train once the page is scrolled into view (never before).
    pub autorun: bool,
}

fn flag(s: &str) -> Option<bool> {
    match s {
        "1" | "true" | "on" => Some(true),
        "0" | "false" | "off" => Some(false),
        _ => None,
    }
}

impl Embed {
    /// Reads the embedding keys; a value not understood leaves a note, like every other key.
    pub fn read(q: &mut Query) -> Embed {
        let on = q.choice("embed", false, flag, "1, 0");
        let autorun = q.choice("autorun", false, flag, "1, 0");
        let no_controls = q.choice(
            "controls",
            false,
            |s| match s {
                "none" => Some(true),
                "all" => Some(false),
                _ => None,
            },
            "none, all",
        );
        let mut locked: Vec<String> = Vec::new();
        let raw = q.raw("lock").unwrap_or_default().to_string();
        for id in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let ok = id.len() <= 40 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok || locked.len() == 32 {
                q.notes.push(format!("lock: '{}' is not a control name; ignored", id.chars().take(40).collect::<String>()));
            } else if !locked.iter().any(|l| l == id) {
                locked.push(id.to_string());
            }
        }
        Embed { on, locked, no_controls, autorun }
    }

    pub fn from_query(query: &str) -> (Embed, Vec<String>) {
        let mut q = Query::parse(query);
        let e = Embed::read(&mut q);
        (e, q.notes)
    }

    /// Whether the control with this id is fixed by the embedding page.
    pub fn locks(&self, id: &str) -> bool {
        self.no_controls || self.locked.iter().any(|l| l == id)
    }
}

/// The app-level keys of `query` (see [`KEPT_KEYS`]), encoded, each with a leading `&`: what a page
/// appends to its own settings when it rewrites the URL.
pub fn kept_suffix(query: &str) -> String {
    let q = Query::parse(query);
    KEPT_KEYS.iter().filter_map(|k| q.raw(k).map(|v| format!("&{}", encode_pairs(&[(k, v.to_string())])))).collect()
}

/// The same page and settings for a tab of its own: `query` without the embedding keys.
pub fn standalone_query(query: &str) -> String {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && !EMBED_KEYS.contains(&p.split('=').next().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("&")
}

/// An `<iframe>` that shows this page with these settings inside course material. `base` is the
/// page's address without its query (`https://host/path/`).
pub fn snippet(base: &str, query: &str, title: &str) -> String {
    let q = standalone_query(query);
    let sep = if q.is_empty() { "" } else { "&" };
    let escape = |s: &str| s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"760\" style=\"border:0\" loading=\"lazy\"></iframe>",
        escape(&format!("{base}?{q}{sep}embed=1")),
        escape(&format!("ResNet Lab — {title}"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_keys_and_notes_bad_ones() {
        let (e, notes) = Embed::from_query("page=part1&embed=1&lock=depth,skip,depth&autorun=1");
        assert_eq!(e, Embed { on: true, locked: vec!["depth".into(), "skip".into()], no_controls: false, autorun: true });
        assert!(notes.is_empty());
        assert!(e.locks("depth") && !e.locks("width"));
        let (e, notes) = Embed::from_query("embed=yes&controls=some&lock=%3Cscript%3E,ok");
        assert_eq!(e, Embed { locked: vec!["ok".into()], ..Embed::default() });
        assert_eq!(notes.len(), 3, "{notes:?}");
        let (e, _) = Embed::from_query("controls=none");
        assert!(e.locks("anything"));
    }

    #[test]
    fn urls_keep_and_drop_the_right_keys() {
        let q = "page=part6&depth=20&backend=cpu&embed=1&lock=depth&autorun=1";
        assert_eq!(kept_suffix(q), "&backend=cpu&embed=1&lock=depth&autorun=1");
        assert_eq!(kept_suffix("page=part6&depth=20"), "");
        assert_eq!(standalone_query(q), "page=part6&depth=20&backend=cpu");
        let s = snippet("https://example.org/lab/", "?page=part6&depth=20&embed=1", "Part 6 \"plain\" vs residual");
        assert_eq!(
            s,
            "<iframe src=\"https://example.org/lab/?page=part6&amp;depth=20&amp;embed=1\" title=\"ResNet Lab — Part 6 &quot;plain&quot; vs residual\" width=\"100%\" height=\"760\" style=\"border:0\" loading=\"lazy\"></iframe>"
        );
    }
}
