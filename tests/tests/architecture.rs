//! The runtime's floors stay in order: a file may import from its own folder
//! and from the folders below it, never from one above, and no two modules
//! import each other.
//!
//! The order is the order of the `mod` lines in the runtime's `lib.rs`
//! (each with a sentence on what the floor holds); ARCHITECTURE.md's
//! "Layout" picture must list the same folders in the same order. The
//! public facade modules that `lib.rs` writes inline (`pub mod config {
//! pub use crate::send::...; }`) are not floors: they only re-export, and
//! no floor may reach the floors below through them. The checker reads
//! `use crate::...` items (grouped ones too) and every other `crate::` path
//! in code. Comments and doc links are not arrows, and neither are unit test
//! modules (`#[cfg(test)] mod ... { }`), which drive the code from above as a
//! caller does. A fixture tree with a wrong `use` proves the checker fails.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A module by its path from the crate root (`["store", "flush"]`).
type Module = Vec<String>;

/// Each module's imports, with where it first imports each.
type Edges = BTreeMap<Module, BTreeMap<Module, (String, usize)>>;

/// One `crate::` path found in code.
struct Arrow {
    file: String,
    line: usize,
    path: Vec<String>,
}

/// A source tree: its floors, top down, and each file's text by module path.
struct Tree {
    floors: Vec<String>,
    /// Root names re-exported by `lib.rs` (`pub use a::b::{C, d}`), to the
    /// path they come from.
    reexports: BTreeMap<String, Vec<String>>,
    /// The facade modules `lib.rs` writes inline (`pub mod config { ... }`).
    facades: Vec<String>,
    /// Module path (`["store", "flush"]`) to (file name, source).
    modules: BTreeMap<Vec<String>, (String, String)>,
}

fn runtime_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../collector-runtime/src")
}

fn fixture_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/architecture/src")
}

fn read_tree(src: &Path) -> Tree {
    let mut modules = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).unwrap();
                let file = relative.to_string_lossy().replace('\\', "/");
                let mut module: Vec<String> = file
                    .trim_end_matches(".rs")
                    .split('/')
                    .map(str::to_owned)
                    .collect();
                if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                    module.pop();
                }
                modules.insert(module, (file, fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let lib = code_only(&modules[&Vec::new()].1);
    Tree {
        floors: floors(&lib),
        reexports: reexports(&lib),
        facades: facades(&lib),
        modules,
    }
}

/// The `mod` items of `lib.rs`, in order: the floors, top down.
fn floors(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|line| {
            let rest = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("mod "))?;
            Some(rest.strip_suffix(';')?.trim().to_owned())
        })
        .collect()
}

/// The modules `lib.rs` writes inline at its root (`pub mod name {`).
fn facades(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("pub mod ")?;
            Some(rest.strip_suffix('{')?.trim().to_owned())
        })
        .collect()
}

/// `pub use a::b::{C, d};` in `lib.rs`: `C` -> `a::b::C`, `d` -> `a::b::d`.
fn reexports(lib: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (_, body) in use_items(lib, "") {
        for mut path in expand(&body) {
            if path.first().is_some_and(|s| s == "crate") {
                path.remove(0);
            }
            if let Some(name) = path.last() {
                out.insert(name.clone(), path.clone());
            }
        }
    }
    out
}

/// The text with comments and the contents of string and char literals
/// blanked out (line breaks kept, so offsets keep their line numbers), and
/// with the bodies of `#[cfg(test)] mod name { ... }` blanked as well.
fn code_only(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = bytes.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for b in &mut out[from..to] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"//") {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |n| i + n);
            blank(&mut out, i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let (mut depth, mut j) = (1, i + 2);
            while j < bytes.len() && depth > 0 {
                if bytes[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if bytes[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if rest.starts_with(b"r\"") || rest.starts_with(b"r#") {
            let hashes = rest[1..].iter().take_while(|&&b| b == b'#').count();
            if rest.get(1 + hashes) != Some(&b'"') {
                i += 1;
                continue;
            }
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            let start = i + 2 + hashes;
            let end = bytes[start..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(bytes.len(), |n| start + n + close.len());
            blank(&mut out, start, end - close.len());
            i = end;
        } else if rest[0] == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, i + 1, j.min(bytes.len()));
            i = j + 1;
        } else if rest[0] == b'\'' {
            // A char literal ('x', '\n', '\u{e9}', 'é'), else a lifetime ('a).
            let body = &source[i + 1..];
            let len = if let Some(escaped) = body.strip_prefix('\\') {
                escaped.find('\'').map(|n| n + 1)
            } else {
                body.chars()
                    .next()
                    .map(char::len_utf8)
                    .filter(|&n| body[n..].starts_with('\''))
            };
            match len {
                Some(len) => {
                    blank(&mut out, i + 1, i + 1 + len);
                    i += len + 2;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    let mut code = String::from_utf8(out).unwrap();
    // Unit test modules: from `#[cfg(test)]` over `mod name {` to its brace.
    let mut from = 0;
    while let Some(at) = code[from..].find("#[cfg(test)]").map(|n| from + n) {
        let after = at + "#[cfg(test)]".len();
        let head = code[after..].trim_start();
        let open = head
            .strip_prefix("mod ")
            .and_then(|h| h.find(['{', ';']).filter(|&n| h.as_bytes()[n] == b'{'))
            .map(|n| code.len() - head.len() + "mod ".len() + n);
        if let Some(open) = open {
            let mut depth = 0;
            let mut end = code.len();
            for (n, c) in code[open..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + n + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let mut bytes = code.into_bytes();
            blank(&mut bytes, at, end);
            code = String::from_utf8(bytes).unwrap();
            from = end;
        } else {
            from = after;
        }
    }
    code
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every `use {prefix}...;` item: (offset, the tree after `prefix`).
fn use_items(code: &str, prefix: &str) -> Vec<(usize, String)> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("use ").map(|n| from + n) {
        from = at + 4;
        if at > 0 && is_ident(bytes[at - 1]) {
            continue;
        }
        let tree = code[from..].trim_start();
        let Some(tree) = tree.strip_prefix(prefix) else {
            continue;
        };
        let start = code.len() - tree.len();
        let end = tree.find(';').map_or(code.len(), |n| start + n);
        out.push((at, code[start..end].to_owned()));
        from = end;
    }
    out
}

/// A use tree (`a::{b, c::{self, D}}`) as its paths, without `self`.
fn expand(tree: &str) -> Vec<Vec<String>> {
    fn walk(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        let mut depth = 0;
        let mut part = String::new();
        let mut parts = Vec::new();
        for c in tree.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if c == ',' && depth == 0 {
                parts.push(std::mem::take(&mut part));
            } else {
                part.push(c);
            }
        }
        parts.push(part);
        for part in parts {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            if let Some(open) = part.find('{') {
                let mut inner = prefix.to_vec();
                inner.extend(segments(&part[..open]));
                let close = part.rfind('}').unwrap_or(part.len());
                walk(&inner, &part[open + 1..close], out);
            } else {
                // `a::b as c` names `a::b`.
                let part = part.split_whitespace().next().unwrap_or("");
                let mut path = prefix.to_vec();
                path.extend(segments(part));
                if path.last().is_some_and(|s| s == "self") {
                    path.pop();
                }
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&[], tree, &mut out);
    out
}

fn segments(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Every arrow of one file: its `use crate::` items and its other
/// `crate::` paths (not `$crate::`, a macro's).
fn arrows(file: &str, source: &str) -> Vec<Arrow> {
    let code = code_only(source);
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut out = Vec::new();
    let mut in_use = Vec::new();
    for (at, tree) in use_items(&code, "crate::") {
        let end = at + code[at..].find(';').unwrap_or(code.len() - at);
        in_use.push(at..end);
        // Each path at the line it is written on.
        for path in expand(&tree) {
            let last = path.last().cloned().unwrap_or_default();
            let line = code[at..end]
                .match_indices(last.as_str())
                .find(|(n, _)| {
                    let b = code.as_bytes();
                    let (s, e) = (at + n, at + n + last.len());
                    !is_ident(b[s - 1]) && (e >= b.len() || !is_ident(b[e]))
                })
                .map_or(line_of(at), |(n, _)| line_of(at + n));
            out.push(Arrow {
                file: file.to_owned(),
                line,
                path,
            });
        }
    }
    let bytes = code.as_bytes();
    for (at, _) in code.match_indices("crate::") {
        if in_use.iter().any(|r| r.contains(&at)) {
            continue;
        }
        if at > 0 && (is_ident(bytes[at - 1]) || bytes[at - 1] == b'$' || bytes[at - 1] == b':') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        out.push(Arrow {
            file: file.to_owned(),
            line: line_of(at),
            path: segments(&rest[..len]).collect(),
        });
    }
    out
}

/// What is wrong with the tree: each message names the file, the line and
/// the two folders (or the two modules).
fn check(tree: &Tree) -> Vec<String> {
    let rank = |module: &[String]| {
        module
            .first()
            .and_then(|floor| tree.floors.iter().position(|f| f == floor))
    };
    // The module an arrow lands in: the longest module prefix of its path,
    // through `lib.rs`'s re-exports for a root name.
    let target = |path: &[String]| -> Option<Vec<String>> {
        let path = match path.first().and_then(|p| tree.reexports.get(p)) {
            Some(origin) if !tree.modules.contains_key(&path[..1]) => origin.clone(),
            _ => path.to_vec(),
        };
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|m| tree.modules.contains_key(m))
    };
    let mut problems = Vec::new();
    let mut edges = Edges::new();
    for (module, (file, source)) in &tree.modules {
        if module.is_empty() {
            continue; // lib.rs declares and re-exports every floor.
        }
        for arrow in arrows(file, source) {
            if let Some(facade) = arrow.path.first().filter(|f| tree.facades.contains(f)) {
                problems.push(format!(
                    "{}:{}: `{}` reaches through the public facade `{facade}` (crate::{}); name the floor's path",
                    arrow.file,
                    arrow.line,
                    module.join("::"),
                    arrow.path.join("::"),
                ));
                continue;
            }
            let Some(to) = target(&arrow.path) else {
                continue;
            };
            if &to == module {
                continue;
            }
            if let (Some(from_rank), Some(to_rank)) = (rank(module), rank(&to)) {
                if to_rank < from_rank {
                    problems.push(format!(
                        "{}:{}: `{}` reaches up to `{}` (crate::{})",
                        arrow.file,
                        arrow.line,
                        tree.floors[from_rank],
                        tree.floors[to_rank],
                        arrow.path.join("::"),
                    ));
                }
            }
            edges
                .entry(module.clone())
                .or_default()
                .entry(to)
                .or_insert((arrow.file, arrow.line));
        }
    }
    let mut seen = BTreeSet::new();
    for (a, targets) in &edges {
        for (b, (file, line)) in targets {
            let Some((back_file, back_line)) = edges.get(b).and_then(|t| t.get(a)) else {
                continue;
            };
            if seen.insert((a.min(b).clone(), a.max(b).clone())) {
                problems.push(format!(
                    "{file}:{line} and {back_file}:{back_line}: `{}` and `{}` import each other",
                    a.join("::"),
                    b.join("::"),
                ));
            }
        }
    }
    problems
}

#[test]
fn the_runtime_imports_only_downwards_and_no_pair_imports_each_other() {
    let tree = read_tree(&runtime_src());
    let problems = check(&tree);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_file_of_the_runtime_sits_in_a_floor_but_the_root_s() {
    let tree = read_tree(&runtime_src());
    assert!(tree.floors.len() >= 6, "{:?}", tree.floors);
    let mut at_root = Vec::new();
    for (module, (file, _)) in &tree.modules {
        match file.split_once('/') {
            None => at_root.push(file.clone()),
            Some((floor, _)) => assert!(
                tree.floors.iter().any(|f| f == floor),
                "{file} is in `{floor}`, which lib.rs does not order ({module:?})"
            ),
        }
    }
    assert!(at_root.len() <= 3, "beside the folders: {at_root:?}");
}

#[test]
fn architecture_md_pictures_the_floors_in_the_order_lib_rs_gives() {
    let tree = read_tree(&runtime_src());
    let doc = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../ARCHITECTURE.md"))
        .unwrap();
    let layout = doc
        .split("\n## Layout")
        .nth(1)
        .expect("ARCHITECTURE.md has a Layout section");
    let picture = layout.split("```").nth(1).expect("with a picture");
    let pictured: Vec<String> = picture
        .lines()
        .filter_map(|line| {
            line.split_whitespace()
                .next()?
                .strip_suffix('/')
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(pictured, tree.floors);
}

#[test]
fn a_wrong_use_and_a_pair_importing_each_other_fail_with_file_line_and_folders() {
    let tree = read_tree(&fixture_src());
    assert_eq!(tree.floors, ["top", "middle", "bottom"]);
    let problems = check(&tree);
    assert_eq!(
        problems,
        [
            "bottom/reach.rs:3: `bottom` reaches up to `top` (crate::top::entry::Entry)",
            "bottom/reach.rs:7: `bottom` reaches up to `middle` (crate::middle::held)",
            "bottom/reach.rs:14: `bottom` reaches up to `top` (crate::Entry::default)",
            "bottom/reach.rs:17: `bottom::reach` reaches through the public facade `api` (crate::api::Level); name the floor's path",
            "middle/held.rs:3 and middle/keep.rs:1: `middle::held` and `middle::keep` import each other",
        ],
        "{problems:#?}"
    );
}

#[test]
fn comments_strings_and_unit_tests_are_not_arrows() {
    let source = r##"
// use crate::top::a;
/// [`x`](crate::top::x)
const A: &str = "crate::top::b";
const B: &str = r#"use crate::top::c;"#;
fn f<'a>(c: char) -> bool { c == '"' || c == '\'' || c == 'é' }
use crate::{bottom::d, middle::{self as m, e::{F, G}}};
#[cfg(test)]
mod tests {
    use crate::top::h;
}
fn g() { crate::bottom::i::j(); $crate::top::k(); }
"##;
    let found: Vec<(usize, String)> = arrows("x.rs", source)
        .into_iter()
        .map(|a| (a.line, a.path.join("::")))
        .collect();
    assert_eq!(
        found,
        [
            (7, "bottom::d".to_owned()),
            (7, "middle".to_owned()),
            (7, "middle::e::F".to_owned()),
            (7, "middle::e::G".to_owned()),
            (12, "bottom::i::j".to_owned()),
        ]
    );
}
