//! One captured line: the exact text a flush would have sent, read back
//! into its parts so that tests can ask for them by name.

use std::fmt;
use std::ops::Range;

/// One DogStatsD line a flush wrote during a capture (see
/// [`capture`](crate::testing::capture)).
///
/// It displays as the exact line that would have been sent,
/// `name:value|type|#tags` plus the client's origin fields, and compares
/// equal to that text.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// use collector_runtime::{testing, Client, Collector};
///
/// let ((), lines) = testing::capture(|| {
///     let collector = Collector::builder().tag("job:cleanup").build();
///     collector.count("rows.deleted", 3, &[("table", "sessions")]);
///     collector.flush();
/// });
/// let line = &lines[0];
/// assert_eq!(line.to_string(), "rows.deleted:3|c|#job:cleanup,table:sessions");
/// assert_eq!(line.name(), "rows.deleted");
/// assert_eq!(line.kind(), "c");
/// assert_eq!(line.value(), 3.0);
/// assert_eq!(line.tags(), ["job:cleanup", "table:sessions"]);
/// assert!(line.has_tag("table:sessions"));
/// assert_eq!(lines, ["rows.deleted:3|c|#job:cleanup,table:sessions"]);
/// ```
#[derive(Clone, PartialEq)]
pub struct Line {
    text: String,
    /// The name, with the client's prefix.
    name: Range<usize>,
    value: f64,
    kind: Range<usize>,
    /// The comma-separated tag list, without its `#`; empty for none.
    tags: Range<usize>,
}

impl Line {
    /// Reads the parts of a line this crate wrote. The writer never puts a
    /// `:` in a name or a `|` or `,` in a tag, so the first `:` ends the
    /// name and `|` splits the fields.
    pub(crate) fn parse(text: String) -> Line {
        if let Some(line) = Line::parse_notice(&text) {
            return Line { text, ..line };
        }
        let name_end = text.find(':').unwrap_or(text.len());
        let after_name = (name_end + 1).min(text.len());
        let mut fields = Vec::new();
        let mut start = after_name;
        for (at, byte) in text.bytes().enumerate().skip(after_name) {
            if byte == b'|' {
                fields.push(start..at);
                start = at + 1;
            }
        }
        fields.push(start..text.len());
        let value = fields
            .first()
            .and_then(|range| text[range.clone()].parse().ok())
            .unwrap_or(f64::NAN);
        let kind = fields.get(1).cloned().unwrap_or(text.len()..text.len());
        let tags = fields
            .iter()
            .skip(2)
            .find(|range| text[range.start..range.end].starts_with('#'))
            .map(|range| range.start + 1..range.end)
            .unwrap_or(text.len()..text.len());
        Line {
            name: 0..name_end,
            value,
            kind,
            tags,
            text,
        }
    }

    /// Reads a service check (`_sc|name|status|...`) or an event
    /// (`_e{title len,text len}:title|text|...`): the name is the check's
    /// name or the event's title, the value the check's status (NaN for an
    /// event), the kind `_sc` or `_e`.
    fn parse_notice(text: &str) -> Option<Line> {
        let tags_in = |from: usize| {
            let mut at = from;
            for field in text[from..].split('|') {
                if let Some(list) = field.strip_prefix('#') {
                    return at + 1..at + 1 + list.len();
                }
                at += field.len() + 1;
            }
            text.len()..text.len()
        };
        if let Some(rest) = text.strip_prefix("_sc|") {
            let name_end = 4 + rest.find('|')?;
            let status = name_end + 1..name_end + 2;
            return Some(Line {
                text: String::new(),
                name: 4..name_end,
                value: text.get(status)?.parse().ok()?,
                kind: 0..3,
                tags: tags_in(name_end + 2),
            });
        }
        let rest = text.strip_prefix("_e{")?;
        let (lengths, _) = rest.split_once("}:")?;
        let (title, body) = lengths.split_once(',')?;
        let (title, body): (usize, usize) = (title.parse().ok()?, body.parse().ok()?);
        let start = 3 + lengths.len() + 2;
        let text_end = start + title + 1 + body;
        Some(Line {
            text: String::new(),
            name: start..start + title,
            value: f64::NAN,
            kind: 0..2,
            tags: tags_in(text_end.min(text.len())),
        })
    }

    /// The metric name as sent: sanitized, with the client's prefix; for a
    /// service check its name, for an event its title.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// # use collector_runtime::{testing, Collector};
    /// let ((), lines) = testing::capture(|| collector_runtime::incr("jobs done", ()));
    /// assert_eq!(lines[0].name(), "jobs_done");
    /// ```
    pub fn name(&self) -> &str {
        &self.text[self.name.clone()]
    }

    /// The wire type: `c` (counter), `h` (histogram), `d` (distribution),
    /// `ms` (timer) or `g` (gauge); `_sc` for a service check, `_e` for an
    /// event.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// # use collector_runtime::testing;
    /// let ((), lines) = testing::capture(|| collector_runtime::gauge("pool.idle", 4, ()));
    /// assert_eq!(lines[0].kind(), "g");
    /// ```
    pub fn kind(&self) -> &str {
        &self.text[self.kind.clone()]
    }

    /// The value as sent (a timer's in milliseconds); a service check's
    /// status (`0` for OK ... `3` for UNKNOWN); NaN for an event.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// # use collector_runtime::testing;
    /// let ((), lines) = testing::capture(|| collector_runtime::histogram("query", 2.5, ()));
    /// assert_eq!(lines[0].value(), 2.5);
    /// ```
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Every tag of the line, sorted, each once: the record's own and the
    /// base tags merged, as sent.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// # use collector_runtime::testing;
    /// let ((), lines) = testing::capture(|| collector_runtime::incr("q", &["b:2", "a:1"]));
    /// assert_eq!(lines[0].tags(), ["a:1", "b:2"]);
    /// ```
    pub fn tags(&self) -> Vec<&str> {
        let list = &self.text[self.tags.clone()];
        if list.is_empty() {
            return Vec::new();
        }
        list.split(',').collect()
    }

    /// Whether the line carries `tag` (in its sent form, `key:value`).
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// # use collector_runtime::testing;
    /// let ((), lines) = testing::capture(|| collector_runtime::incr("q", &[("db", "main")]));
    /// assert!(lines[0].has_tag("db:main"));
    /// assert!(!lines[0].has_tag("db"));
    /// ```
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags().contains(&tag)
    }

    /// The whole line, as it would have been sent.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// # use collector_runtime::testing;
    /// let ((), lines) = testing::capture(|| collector_runtime::count("q", 2, ()));
    /// assert_eq!(lines[0].as_str(), "q:2|c");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Line {
    /// The line's text: a failed `assert_eq!` on lines shows the wire form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl PartialEq<str> for Line {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for Line {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

#[cfg(test)]
mod tests {
    use super::Line;

    #[test]
    fn every_field_is_read_back() {
        let line = Line::parse("app.q:0.384|ms|#a:1,b:2|c:abc|card:low".to_owned());
        assert_eq!(line.name(), "app.q");
        assert_eq!(line.value(), 0.384);
        assert_eq!(line.kind(), "ms");
        assert_eq!(line.tags(), ["a:1", "b:2"]);
        assert_eq!(line.to_string(), "app.q:0.384|ms|#a:1,b:2|c:abc|card:low");
    }

    #[test]
    fn checks_and_events_are_read_back() {
        let check = Line::parse("_sc|jobs.run|2|d:5|#a:1,b:2|m:x|#y".to_owned());
        assert_eq!(
            (check.name(), check.kind(), check.value()),
            ("jobs.run", "_sc", 2.0)
        );
        assert_eq!(check.tags(), ["a:1", "b:2"]);
        let event = Line::parse("_e{3,7}:a|b|#x|y|#c|p:low|#env:prod,job:z".to_owned());
        assert_eq!((event.name(), event.kind()), ("a|b", "_e"));
        assert!(event.value().is_nan());
        assert_eq!(event.tags(), ["env:prod", "job:z"]);
    }

    #[test]
    fn a_line_without_tags_has_none() {
        let line = Line::parse("q:-3|c|c:abc".to_owned());
        assert_eq!((line.value(), line.kind()), (-3.0, "c"));
        assert!(line.tags().is_empty());
        assert!(!line.has_tag(""));
    }
}
