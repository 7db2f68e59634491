//! What identifies a series (type, name, set of tags) and how a record finds
//! its series without building any string.
//!
//! A record's tags are put in a canonical order, by their hash as sent, and
//! repeats are dropped; a stored series keeps its sanitized name and tags in
//! that same order, packed in one string. Finding the series then costs one
//! hash of the text and one side-by-side comparison.

use std::cmp::Ordering;
use std::time::Duration;

use crate::hash::{fold, TextHasher};
use crate::sanitize::Rule;
use crate::tags::{TagRef, Tags};

/// The DogStatsD metric types a collector aggregates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Counter,
    Histogram,
    Distribution,
    Timing,
    Gauge,
}

/// One recorded value, before it is folded into its series.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Sample {
    Count(i64),
    Value(f64),
    Elapsed(Duration),
}

/// A series' running value: a sum, except for gauges, which keep the last.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Total {
    Count(i64),
    Sum(f64),
    Elapsed(Duration),
    Last(f64),
}

impl Total {
    fn first(kind: Kind, sample: Sample) -> Total {
        match (kind, sample) {
            (Kind::Gauge, Sample::Value(v)) => Total::Last(v),
            (_, Sample::Count(n)) => Total::Count(n),
            (_, Sample::Value(v)) => Total::Sum(v),
            (_, Sample::Elapsed(d)) => Total::Elapsed(d),
        }
    }

    #[inline]
    fn add(&mut self, sample: Sample) {
        match (self, sample) {
            (Total::Count(total), Sample::Count(n)) => *total = total.saturating_add(n),
            (Total::Sum(total), Sample::Value(v)) => *total += v,
            (Total::Elapsed(total), Sample::Elapsed(d)) => *total = total.saturating_add(d),
            (Total::Last(last), Sample::Value(v)) => *last = v,
            // Each kind is recorded with one sample shape (see `Collector`).
            (total, sample) => debug_assert!(false, "{sample:?} into {total:?}"),
        }
    }
}

/// Separates the packed name and tags; the sanitizing rules never keep it.
const SEPARATOR: char = '\n';

#[derive(Clone, Copy, Default)]
struct Entry {
    hash: u64,
    index: u32,
    clean: bool,
}

/// Up to this many tags per record are ordered on the stack.
const INLINE_TAGS: usize = 16;

// The inline variant is the point: it lives on the stack for one record.
#[allow(clippy::large_enum_variant)]
enum Entries {
    Inline([Entry; INLINE_TAGS], usize),
    Heap(Vec<Entry>),
}

impl Entries {
    fn as_slice(&self) -> &[Entry] {
        match self {
            Entries::Inline(entries, len) => &entries[..*len],
            Entries::Heap(entries) => entries,
        }
    }
}

/// A record's series key, borrowed from the caller: its hash, and its tags
/// in canonical order with repeats removed.
pub(crate) struct Key<'a, T: Tags + ?Sized> {
    pub(crate) kind: Kind,
    pub(crate) name: &'a str,
    name_clean: bool,
    tags: &'a T,
    entries: Entries,
    pub(crate) hash: u64,
}

fn tag_clean(tag: TagRef<'_>) -> bool {
    let (_, [first, second]) = tag.parts();
    Rule::Tag.is_clean(first) && Rule::Tag.is_clean(second)
}

fn hash_tag(seed: u64, tag: TagRef<'_>, clean: bool) -> u64 {
    let mut hasher = TextHasher::new(seed);
    let (joint, [first, second]) = tag.parts();
    hasher.write_text(Rule::Tag, first, clean);
    hasher.write(joint.as_bytes());
    hasher.write_text(Rule::Tag, second, clean);
    hasher.finish()
}

/// The characters of a tag as it is sent.
fn sent_chars(tag: TagRef<'_>) -> impl Iterator<Item = char> + '_ {
    let (joint, [first, second]) = tag.parts();
    let map = |c| Rule::Tag.map(c);
    first
        .chars()
        .map(map)
        .chain(joint.chars())
        .chain(second.chars().map(map))
}

/// Orders two tags of one record: by hash, then (never in practice) by text.
fn order(a: (&Entry, TagRef<'_>), b: (&Entry, TagRef<'_>)) -> Ordering {
    a.0.hash
        .cmp(&b.0.hash)
        .then_with(|| sent_chars(a.1).cmp(sent_chars(b.1)))
}

impl<'a, T: Tags + ?Sized> Key<'a, T> {
    #[inline]
    pub(crate) fn new(seed: u64, kind: Kind, name: &'a str, tags: &'a T) -> Self {
        let count = tags.tag_count();
        let mut entries = if count <= INLINE_TAGS {
            Entries::Inline([Entry::default(); INLINE_TAGS], 0)
        } else {
            Entries::Heap(Vec::with_capacity(count))
        };
        for index in 0..count {
            let tag = tags.tag_at(index);
            // An empty tag is no tag: sent, it would be an empty list entry.
            if matches!(tag, TagRef::Whole("")) {
                continue;
            }
            let clean = tag_clean(tag);
            let entry = Entry {
                hash: hash_tag(seed, tag, clean),
                index: index as u32,
                clean,
            };
            // Insertion into the sorted run, dropping repeats: records carry
            // a handful of tags, where this beats a general sort.
            let slice: &mut [Entry] = match &mut entries {
                Entries::Inline(buf, len) => {
                    buf[*len] = entry;
                    *len += 1;
                    &mut buf[..*len]
                }
                Entries::Heap(buf) => {
                    buf.push(entry);
                    buf.as_mut_slice()
                }
            };
            let mut at = slice.len() - 1;
            let mut repeat = false;
            while at > 0 {
                let prev = &slice[at - 1];
                match order((prev, tags.tag_at(prev.index as usize)), (&entry, tag)) {
                    Ordering::Greater => {
                        slice[at] = slice[at - 1];
                        at -= 1;
                    }
                    Ordering::Equal => {
                        repeat = true;
                        break;
                    }
                    Ordering::Less => break,
                }
            }
            if repeat {
                // Shift the displaced run back and forget the new entry.
                slice.copy_within(at + 1.., at);
                match &mut entries {
                    Entries::Inline(_, len) => *len -= 1,
                    Entries::Heap(buf) => {
                        buf.pop();
                    }
                }
            } else {
                slice[at] = entry;
            }
        }

        let name_clean = Rule::Name.is_clean(name);
        let mut hasher = TextHasher::new(seed ^ kind as u64);
        hasher.write_text(Rule::Name, name, name_clean);
        let mut hash = hasher.finish();
        for entry in entries.as_slice() {
            hash = fold(hash ^ entry.hash, 0x2545_F491_4F6C_DD1D);
        }
        Key {
            kind,
            name,
            name_clean,
            tags,
            entries,
            hash,
        }
    }

    fn sorted_tags(&self) -> impl Iterator<Item = (TagRef<'a>, bool)> + '_ {
        let tags: &'a T = self.tags;
        self.entries
            .as_slice()
            .iter()
            .map(move |e| (tags.tag_at(e.index as usize), e.clean))
    }
}

/// One series held by a collector.
pub(crate) struct Series {
    /// The sanitized name, then each sanitized tag in canonical order, each
    /// preceded by [`SEPARATOR`]: one allocation per series.
    text: Box<str>,
    name_len: u32,
    pub(crate) kind: Kind,
    pub(crate) total: Total,
    /// The next series with the same hash, if any.
    pub(crate) next: Option<u32>,
}

impl Series {
    pub(crate) fn new<T: Tags + ?Sized>(key: &Key<'_, T>, sample: Sample) -> Series {
        let mut text = String::new();
        Rule::Name.push_clean(key.name, &mut text);
        let name_len = text.len() as u32;
        for (tag, _) in key.sorted_tags() {
            text.push(SEPARATOR);
            text.extend(sent_chars(tag));
        }
        Series {
            text: text.into_boxed_str(),
            name_len,
            kind: key.kind,
            total: Total::first(key.kind, sample),
            next: None,
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.text[..self.name_len as usize]
    }

    /// The sanitized tags, in canonical (not sorted) order.
    pub(crate) fn tags(&self) -> impl Iterator<Item = &str> {
        let rest = &self.text[self.name_len as usize..];
        rest.split(SEPARATOR).skip(1)
    }

    #[inline]
    pub(crate) fn add(&mut self, sample: Sample) {
        self.total.add(sample);
    }

    /// Whether `key` names this series.
    #[inline]
    pub(crate) fn matches<T: Tags + ?Sized>(&self, key: &Key<'_, T>) -> bool {
        if self.kind != key.kind || !text_eq(Rule::Name, self.name(), key.name, key.name_clean) {
            return false;
        }
        let mut stored = self.tags();
        for (tag, clean) in key.sorted_tags() {
            match stored.next() {
                Some(held) if tag_eq(held, tag, clean) => {}
                _ => return false,
            }
        }
        stored.next().is_none()
    }
}

#[inline]
fn text_eq(rule: Rule, held: &str, given: &str, clean: bool) -> bool {
    if clean {
        held == given
    } else {
        held.chars().eq(given.chars().map(|c| rule.map(c)))
    }
}

#[inline]
fn tag_eq(held: &str, tag: TagRef<'_>, clean: bool) -> bool {
    match (tag, clean) {
        (TagRef::Whole(text), true) => held == text,
        (TagRef::Pair(key, value), true) => {
            held.len() == key.len() + 1 + value.len()
                && held.as_bytes()[key.len()] == b':'
                && held.starts_with(key)
                && held.ends_with(value)
        }
        (tag, false) => held.chars().eq(sent_chars(tag)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a, T: Tags + ?Sized>(name: &'a str, tags: &'a T) -> Key<'a, T> {
        Key::new(42, Kind::Counter, name, tags)
    }

    #[test]
    fn order_and_repeats_do_not_change_the_key() {
        let a = key("q", &["x:1", "y:2", "z:3"]);
        let b = key("q", &["z:3", "x:1", "y:2", "x:1", "z:3"]);
        assert_eq!(a.hash, b.hash);
        let series = Series::new(&a, Sample::Count(1));
        assert!(series.matches(&b));
        assert_eq!(series.tags().count(), 3);
    }

    #[test]
    fn pairs_and_whole_tags_name_the_same_series() {
        let whole = key("q", &["db:main", "verb:get"]);
        let pairs = key("q", &[("verb", "get"), ("db", "main")]);
        assert_eq!(whole.hash, pairs.hash);
        assert!(Series::new(&whole, Sample::Count(1)).matches(&pairs));
    }

    #[test]
    fn subsets_other_names_and_other_kinds_are_other_series() {
        let full = Series::new(&key("q", &["a", "b"]), Sample::Count(1));
        assert!(!full.matches(&key("q", &["a"])));
        assert!(!full.matches(&key("q", &["a", "b", "c"])));
        assert!(!full.matches(&key("r", &["a", "b"])));
        assert!(!full.matches(&Key::new(42, Kind::Histogram, "q", &["a", "b"])));
    }

    #[test]
    fn hostile_text_is_stored_sanitized_and_still_found() {
        let hostile = key("n:a|m", &["k:v|#evil:1", "x,y:z"]);
        let series = Series::new(&hostile, Sample::Count(1));
        assert_eq!(series.name(), "n_a_m");
        let mut tags: Vec<&str> = series.tags().collect();
        tags.sort_unstable();
        assert_eq!(tags, ["k:v__evil:1", "x_y:z"]);
        assert!(series.matches(&key("n:a|m", &["x,y:z", "k:v|#evil:1"])));
        assert!(series.matches(&key("n_a_m", &["x_y:z", "k:v__evil:1"])));
    }

    #[test]
    fn many_tags_spill_to_the_heap_and_still_match() {
        let tags: Vec<String> = (0..40).map(|i| format!("t{i}:{i}")).collect();
        let mut reversed = tags.clone();
        reversed.reverse();
        let series = Series::new(&key("q", &tags), Sample::Count(1));
        assert!(series.matches(&key("q", &reversed)));
        assert_eq!(series.tags().count(), 40);
    }
}
