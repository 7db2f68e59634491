//! The runtime's root fits on a screen: at most 35 public items, and
//! exactly the ones listed here. A new root item fails this test until it
//! is added to the list (and the list stays within the bound), so growing
//! the root is a decision, not an accident.
//!
//! Read from `collector-runtime/src/lib.rs` as text: every `pub use` at the
//! root (a group `{a, b}` counts each name, `x as y` counts `y`) and every
//! `pub mod` at the root, inline or not; items under `#[doc(hidden)]`
//! (the attribute's `__private`) are not part of the documented root.

use std::fs;
use std::path::Path;

/// The root's public items, in the order `lib.rs` gives them.
const ROOT: [&str; 35] = [
    "collect_metrics",
    "Error",
    "count",
    "distribution",
    "gauge",
    "histogram",
    "incr",
    "timing",
    "event",
    "service_check",
    "start_timer",
    "time",
    "time_async",
    "Timer",
    "Collector",
    "exit",
    "WithCollector",
    "Client",
    "ClientConfig",
    "wait_for_delivery",
    "global_client",
    "set_global_client",
    "cadence",
    "testing",
    "collector",
    "config",
    "error",
    "tags",
    "values",
    "checks_events",
    "telemetry",
    "tower",
    "tracing",
    "metrics",
    "guide",
];

/// The text with `//` comments removed, line by line.
fn without_comments(source: &str) -> String {
    source
        .lines()
        .map(|line| line.split_once("//").map_or(line, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names a use tree brings in: `a::{b, c::D}` -> `b`, `D`.
fn names(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let inner = &tree[open + 1..tree.rfind('}').expect("a closed group")];
        let mut out = Vec::new();
        let (mut depth, mut part) = (0, String::new());
        for c in inner.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.extend(names(&std::mem::take(&mut part)));
                    continue;
                }
                _ => {}
            }
            part.push(c);
        }
        out.extend(names(&part));
        return out;
    }
    if tree.is_empty() {
        return Vec::new();
    }
    let last = match tree.split_once(" as ") {
        Some((_, alias)) => alias.trim(),
        None => tree.rsplit("::").next().unwrap_or(tree).trim(),
    };
    vec![last.to_owned()]
}

/// The public items at the root of `lib`: `pub use` and `pub mod` at brace
/// depth 0, skipping those whose attributes say `doc(hidden)`.
fn root_items(lib: &str) -> Vec<String> {
    let code = without_comments(lib);
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut hidden = false;
    let mut rest = code.as_str();
    while !rest.is_empty() {
        let at_root = depth == 0;
        if at_root && rest.starts_with("#[doc(hidden)]") {
            hidden = true;
        }
        if at_root && (rest.starts_with("pub use ") || rest.starts_with("pub mod ")) {
            let is_use = rest.starts_with("pub use ");
            let body = &rest["pub use ".len()..];
            let end = body.find([';', '{']).expect("an item ends");
            let found = if is_use {
                let end = body.find(';').expect("a use ends");
                let found = names(&body[..end]);
                rest = &body[end + 1..];
                found
            } else {
                let found = vec![body[..end].trim().to_owned()];
                rest = &body[end..];
                found
            };
            if !hidden {
                items.extend(found);
            }
            hidden = false;
            continue;
        }
        let c = rest.chars().next().unwrap();
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ';' if at_root => hidden = false,
            _ => {}
        }
        rest = &rest[c.len_utf8()..];
    }
    items
}

#[test]
fn the_root_has_at_most_35_public_items_and_exactly_the_listed_ones() {
    let lib = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../collector-runtime/src/lib.rs"),
    )
    .unwrap();
    let items = root_items(&lib);
    assert!(items.len() <= 35, "{} root items: {items:?}", items.len());
    assert_eq!(
        items, ROOT,
        "the root's public items (left) are not the listed ones (right): a new root item needs \
         a place in tests/tests/api_root.rs, within 35, or a module"
    );
}

#[test]
fn the_count_reads_groups_aliases_inline_modules_and_skips_hidden_ones() {
    let lib = r#"
//! Docs.
mod floor;
pub use floor::a::{One, two::{Three, four}};
pub use floor::b::Five as Six;
/// A facade.
#[cfg(feature = "x")]
pub mod seven {
    pub use crate::floor::Eight;
    pub mod nine {}
}
pub mod ten;
#[doc(hidden)]
pub mod __private {
    pub use crate::floor::Eleven;
}
// pub use commented::Out;
pub use twelve;
"#;
    assert_eq!(
        root_items(lib),
        ["One", "Three", "four", "Six", "seven", "ten", "twelve"]
    );
}
