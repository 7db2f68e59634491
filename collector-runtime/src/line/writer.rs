//! One DogStatsD line, written by this crate:
//! `<prefix><name>:<value>|<type>|#<tags>|c:<id>|e:<ext>|card:<card>`
//! (Datadog's datagram format, fields in its order).
//!
//! Every piece of text reaching it is sanitized already (names and tags when
//! recorded, base tags when configured, the origin fields when read), so the
//! writer only joins: one pass, no allocation once its scratch is warm.

use std::cmp::Ordering;

use crate::input::enclosing::{tag_key, Enclosing};
use crate::input::hash::read_word;
use crate::input::sample::{Kind, Total};
use crate::line::number::{write_f64, write_i64, write_millis};
use crate::send::client::Client;

/// The wire type of a kind of series.
fn type_code(kind: Kind) -> &'static str {
    match kind {
        Kind::Counter => "c",
        Kind::Histogram => "h",
        Kind::Distribution => "d",
        Kind::Timing => "ms",
        Kind::Gauge => "g",
    }
}

/// Writes the lines of one flush: the client's prefix and origin fields and
/// the flush's base tags are fixed for all of them.
pub(crate) struct LineWriter<'a> {
    prefix: &'a str,
    origin: &'a str,
    /// Every base tag of the flush (the client's, the collector's, the
    /// call's), sorted, without repeats: merged once per flush, not per line.
    base: Vec<&'a str>,
    /// The enclosing collectors' base tags whose key none of `base` has,
    /// each key once (the innermost's), sorted; empty unless the flush
    /// runs inside other collectors ([`LineWriter::within`]).
    inherited: Vec<&'a str>,
    /// The current line's own tags, sorted for the merge.
    scratch: Vec<&'a str>,
    /// `base` and the inherited tags the current line has no key of.
    line_base: Vec<&'a str>,
}

impl<'a> LineWriter<'a> {
    /// A writer for `client`, with `base` (each set sanitized already) added
    /// to every line.
    pub(crate) fn new(client: &'a Client, base: &[&'a [String]], extra: &[&'a str]) -> Self {
        let mut merged: Vec<&'a str> = client.default_tags().iter().map(String::as_str).collect();
        for set in base {
            merged.extend(set.iter().map(String::as_str));
        }
        merged.extend_from_slice(extra);
        merged.sort_unstable_by(|a, b| tag_order(a, b));
        merged.dedup();
        LineWriter {
            prefix: client.metric_prefix(),
            origin: client.origin(),
            base: merged,
            inherited: Vec::new(),
            scratch: Vec::new(),
            line_base: Vec::new(),
        }
    }

    /// Adds to every line the base tags of the collectors around the
    /// flushing one, except where a tag of the flush or of the line has the
    /// same key: the execution's own tag wins a clash, and of two enclosing
    /// tags with one key the innermost's is kept.
    pub(crate) fn within(mut self, enclosing: &'a Enclosing) -> Self {
        if enclosing.is_empty() {
            return self;
        }
        for tag in enclosing.tags() {
            let key = tag_key(tag);
            let taken = |have: &[&str]| have.iter().any(|own| tag_key(own) == key);
            if !taken(&self.base) && !taken(&self.inherited) {
                self.inherited.push(tag);
            }
        }
        self.inherited.sort_unstable_by(|a, b| tag_order(a, b));
        self
    }

    /// A writer whose tags beside each line's own are known already, as
    /// [`LineWriter::context_tags`] gave them: for the lines an aggregator
    /// writes long after the flushes that merged them.
    pub(crate) fn resolved(
        prefix: &'a str,
        origin: &'a str,
        base: Vec<&'a str>,
        inherited: Vec<&'a str>,
    ) -> Self {
        LineWriter {
            prefix,
            origin,
            base,
            inherited,
            scratch: Vec::new(),
            line_base: Vec::new(),
        }
    }

    /// The tags every line gets beside its own: the flush's base tags (the
    /// client's among them), sorted, and the enclosing collectors' tags,
    /// sorted, of which a line keeps those whose key it has no tag of.
    /// Two flushes with equal context tags write one series' line alike.
    pub(crate) fn context_tags(&self) -> (&[&'a str], &[&'a str]) {
        (&self.base, &self.inherited)
    }

    /// Appends one line (no line break) for a series with `name`, `kind`,
    /// `total` and its own `tags`, in any order, repeats allowed.
    #[inline]
    pub(crate) fn write(
        &mut self,
        out: &mut String,
        name: &str,
        kind: Kind,
        total: Total,
        tags: impl Iterator<Item = &'a str>,
    ) {
        self.write_head(out, name);
        out.push(':');
        write_value(out, total);
        self.write_suffix(out, kind, tags);
    }

    /// Appends what a line has before its values: the prefix and the name.
    #[inline]
    pub(crate) fn write_head(&self, out: &mut String, name: &str) {
        // Most clients have no prefix and no origin fields: no copy call for
        // an empty string (with the single characters pushed below, 5-10% of
        // `flush/100_series_nop_sink`).
        if !self.prefix.is_empty() {
            out.push_str(self.prefix);
        }
        out.push_str(name);
    }

    /// Appends what a line has after its values: the type, the tags (its
    /// own, in any order, repeats allowed, merged with the writer's) and
    /// the origin fields.
    #[inline]
    pub(crate) fn write_suffix(
        &mut self,
        out: &mut String,
        kind: Kind,
        tags: impl Iterator<Item = &'a str>,
    ) {
        out.push('|');
        out.push_str(type_code(kind));
        self.scratch.clear();
        self.scratch.extend(tags);
        self.scratch.sort_unstable_by(|a, b| tag_order(a, b));
        if self.inherited.is_empty() {
            write_merged(out, &self.scratch, &self.base);
        } else {
            // A line's own tag wins over an inherited one with its key.
            let own = &self.scratch;
            self.line_base.clear();
            self.line_base.extend_from_slice(&self.base);
            self.line_base.extend(
                self.inherited
                    .iter()
                    .filter(|tag| !own.iter().any(|mine| tag_key(mine) == tag_key(tag))),
            );
            self.line_base.sort_unstable_by(|a, b| tag_order(a, b));
            write_merged(out, own, &self.line_base);
        }
        if !self.origin.is_empty() {
            out.push_str(self.origin);
        }
    }
}

/// Appends one value as the wire has it: an integer count, milliseconds
/// with microsecond precision, or a float.
#[inline]
pub(crate) fn write_value(out: &mut String, total: Total) {
    match total {
        Total::Count(n) => write_i64(out, n),
        Total::Elapsed(elapsed) => write_millis(out, elapsed),
        Total::Sum(value) | Total::Last(value) => write_f64(out, value),
    }
}

impl<'a> LineWriter<'a> {
    /// Appends `|#` and `own` tags (sanitized, any order, repeats allowed)
    /// merged with the flush's base tags, as a series line has them: for
    /// the lines of service checks and events.
    pub(crate) fn write_tags(&mut self, out: &mut String, own: impl Iterator<Item = &'a str>) {
        self.scratch.clear();
        self.scratch.extend(own);
        self.scratch.sort_unstable_by(|a, b| tag_order(a, b));
        write_merged(out, &self.scratch, &self.base);
    }

    /// The client's origin fields (`|c:..|e:..|card:..`), empty for none.
    pub(crate) fn origin(&self) -> &'a str {
        self.origin
    }
}

/// The order of `str`: bytes compared in turn. Most tags differ in their
/// first 8 bytes, read as one big-endian word (zero-padded, so a shorter
/// text sorts first); only equal words compare further. Cheaper than a
/// `memcmp` call per comparison, which is most of sorting a line's tags.
#[inline]
fn tag_order(a: &str, b: &str) -> Ordering {
    let first_word = |text: &str| {
        let bytes = text.as_bytes();
        read_word(&bytes[..bytes.len().min(8)]).swap_bytes()
    };
    first_word(a).cmp(&first_word(b)).then_with(|| a.cmp(b))
}

/// Appends `|#` and the union of two sorted tag lists, sorted, each tag
/// once; nothing when both are empty.
fn write_merged(out: &mut String, own: &[&str], base: &[&str]) {
    let (mut i, mut j) = (0, 0);
    let mut last: Option<&str> = None;
    while i < own.len() || j < base.len() {
        let next = match (own.get(i), base.get(j)) {
            (Some(&a), Some(&b)) if tag_order(a, b).is_le() => {
                i += 1;
                a
            }
            (_, Some(&b)) => {
                j += 1;
                b
            }
            (Some(&a), None) => {
                i += 1;
                a
            }
            (None, None) => break,
        };
        if last.is_some_and(|last| tag_order(last, next).is_eq()) {
            continue;
        }
        // Single characters pushed as such: a string would be a copy call.
        match last {
            None => {
                out.push('|');
                out.push('#');
            }
            Some(_) => out.push(','),
        }
        out.push_str(next);
        last = Some(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::origin::Origin;
    use std::time::Duration;

    #[test]
    fn tags_are_ordered_as_str_orders_them() {
        let texts = [
            "",
            "a",
            "a\0",
            "ab",
            "ab_",
            "abcdefg",
            "abcdefgh",
            "abcdefgh\0",
            "abcdefghi",
            "abcdefgi",
            "abcdefgh:z",
            "abcdefgh:a",
            "b",
            "env:prod",
            "env:staging",
            "zz",
            "\u{e9}t\u{e9}:1",
            "\u{7f}",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(tag_order(a, b), a.cmp(b), "{a:?} against {b:?}");
            }
        }
    }

    fn line(client: &Client, base: &[String], kind: Kind, total: Total, tags: &[&str]) -> String {
        let mut writer = LineWriter::new(client, &[base], &[]);
        let mut out = String::new();
        writer.write(&mut out, "q", kind, total, tags.iter().copied());
        out
    }

    #[test]
    fn each_kind_has_its_wire_type_and_value_text() {
        let client = Client::new(cadence::NopMetricSink);
        let cases = [
            (Kind::Counter, Total::Count(-3), "q:-3|c"),
            (Kind::Histogram, Total::Sum(2.5), "q:2.5|h"),
            (Kind::Distribution, Total::Sum(3.0), "q:3|d"),
            (
                Kind::Timing,
                Total::Elapsed(Duration::from_micros(384)),
                "q:0.384|ms",
            ),
            (Kind::Gauge, Total::Last(0.1), "q:0.1|g"),
        ];
        for (kind, total, expected) in cases {
            assert_eq!(line(&client, &[], kind, total, &[]), expected);
        }
    }

    #[test]
    fn tags_from_every_source_are_merged_sorted_and_once() {
        let client = Client::new(cadence::NopMetricSink)
            .prefix("app")
            .tags(&["env:prod", "z:1"])
            .with_origin(&Origin::for_tests(Some("abc"), None, None));
        let base = ["env:prod".to_owned(), "job:x".to_owned()];
        let sent = line(
            &client,
            &base,
            Kind::Counter,
            Total::Count(1),
            &["z:1", "b:2", "a:1", "b:2"],
        );
        assert_eq!(sent, "app.q:1|c|#a:1,b:2,env:prod,job:x,z:1|c:abc");
    }

    #[test]
    fn enclosing_tags_are_added_unless_the_flush_or_the_line_has_their_key() {
        let client = Client::new(cadence::NopMetricSink).tags(&["env:prod"]);
        let own = ["job:import".to_owned()];
        let near: std::sync::Arc<[String]> = [
            "route:/users".to_owned(),
            "method:GET".to_owned(),
            "env:ci".to_owned(),
        ]
        .into();
        let far: std::sync::Arc<[String]> = ["job:cron".to_owned(), "route:/x".to_owned()].into();
        let mut enclosing = Enclosing::default();
        enclosing.push(&near, 3);
        enclosing.push(&far, 2);
        let mut writer = LineWriter::new(&client, &[&own], &["outcome:ok"]).within(&enclosing);
        let mut out = String::new();
        writer.write(
            &mut out,
            "q",
            Kind::Counter,
            Total::Count(1),
            ["a:1"].into_iter(),
        );
        out.push('\n');
        writer.write(
            &mut out,
            "q",
            Kind::Counter,
            Total::Count(1),
            ["method:POST"].into_iter(),
        );
        assert_eq!(
            out,
            "q:1|c|#a:1,env:prod,job:import,method:GET,outcome:ok,route:/users\n\
             q:1|c|#env:prod,job:import,method:POST,outcome:ok,route:/users"
        );
    }

    #[test]
    fn the_merge_is_a_sorted_union() {
        for (own, base, expected) in [
            (&[][..], &[][..], ""),
            (&["a"][..], &[][..], "|#a"),
            (&[][..], &["a"][..], "|#a"),
            (&["a", "c"][..], &["b", "c", "d"][..], "|#a,b,c,d"),
            (&["a", "a"][..], &["a"][..], "|#a"),
        ] {
            let mut out = String::new();
            write_merged(&mut out, own, base);
            assert_eq!(out, expected);
        }
    }
}
