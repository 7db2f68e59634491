//! What identifies a series (type, name, set of tags) and how a record finds
//! its series without building any string.
//!
//! A series keeps its sanitized name and tags packed in one string, the tags
//! in a canonical order: by their hash as sent, then by text, repeats dropped.
//! Its hash is the name's hash (keyed by the type) combined with the *sum* of
//! the tags' hashes, so the order tags come in does not count.
//!
//! Two ways lead to a series:
//! - [`Probe`], the record path: it hashes the caller's bytes as they are,
//!   orders the (at most [`PROBE_TAGS`]) tags by hash on the stack and
//!   compares them byte for byte with a stored series. The stored text is
//!   sanitized, so an exact match proves the input was clean, and for clean
//!   text the bytes *are* the text as sent: the hash is the right one. Input
//!   that needs sanitizing, repeats a tag or has equal tag hashes simply
//!   finds nothing here.
//! - [`Key`], for everything else (a new series, dirty text, repeats, many
//!   tags): it sanitizes each piece first, then hashes, orders and dedups.

use std::borrow::Cow;
use std::marker::PhantomData;

use crate::input::hash::{
    bytes_eq, hash_bytes, hash_word, key_hash, name_key, pair_eq, pair_hash, read_word,
    short_pair_word,
};
use crate::input::sample::{Kind, Sample, Total};
use crate::input::sanitize::{has_key, with_a_key, Rule};
use crate::input::tags::{TagRef, Tags};

/// Separates the packed name and tags; the sanitizing rules never keep it.
const SEPARATOR: char = '\n';

/// Up to this many tags per record are looked up by [`Probe`].
pub(crate) const PROBE_TAGS: usize = 16;
// Each index of a probe's order takes four bits of one word.
const _: () = assert!(PROBE_TAGS <= 16);

/// The hash of one tag as it is sent, when it is clean, and its length: a
/// pair is hashed in its two parts, never joined. A pair of at most 8 bytes
/// also gives the word its text makes, to be compared with a series as it is.
#[inline(always)]
fn raw_tag_hash(seed: u64, tag: TagRef<'_>) -> (u64, usize, u64) {
    match tag {
        TagRef::Whole(text) => (hash_bytes(seed, text.as_bytes()), text.len(), 0),
        TagRef::Pair(key, value) => {
            let len = key.len() + 1 + value.len();
            match short_pair_word(key.as_bytes(), value.as_bytes()) {
                Some(word) => (hash_word(seed, word, len), len, word),
                None => (pair_hash(seed, key.as_bytes(), value.as_bytes()), len, 0),
            }
        }
    }
}

/// A record's series hash, computed from the caller's bytes as they are, for
/// finding a series that already exists.
pub(crate) struct Probe<'a, T: Tags + ?Sized> {
    kind: Kind,
    name: &'a str,
    tags: &'a T,
    /// The tags' indexes in `tags`, in ascending order of their hashes (the
    /// canonical order), four bits each, the first in the lowest bits. One
    /// word rather than an array of bytes: it lives in a register, and a
    /// probe moved to another function is not read back from byte stores.
    order: u64,
    /// Each short pair's text as one word, by index (see [`raw_tag_hash`]).
    pair_words: [u64; PROBE_TAGS],
    count: usize,
    /// The length the packed text of the series would have.
    text_len: usize,
    pub(crate) hash: u64,
}

impl<'a, T: Tags + ?Sized> Probe<'a, T> {
    /// `None` when the record cannot be matched this way (too many tags,
    /// two tags with one hash): [`Key`] then finds its series.
    #[inline(always)]
    pub(crate) fn new(seed: u64, kind: Kind, name: &'a str, tags: &'a T) -> Option<Self> {
        let count = tags.tag_count();
        if count > PROBE_TAGS {
            return None;
        }
        let mut hashes = [0u64; PROBE_TAGS];
        let mut order = 0u64;
        let mut pair_words = [0u64; PROBE_TAGS];
        let mut text_len = name.len();
        let mut sum = 0u64;
        for (index, pair_word) in pair_words.iter_mut().enumerate().take(count) {
            let (hash, len, word) = raw_tag_hash(seed, tags.tag_at(index));
            *pair_word = word;
            text_len += 1 + len;
            sum = sum.wrapping_add(hash);
            let mut at = index;
            while at > 0 && hashes[at - 1] > hash {
                hashes[at] = hashes[at - 1];
                at -= 1;
            }
            if at > 0 && hashes[at - 1] == hash {
                return None;
            }
            hashes[at] = hash;
            // The indexes from `at` on move up one slot to make room.
            let below = (1u64 << (4 * at)) - 1;
            order = (order & below) | (order & !below) << 4 | (index as u64) << (4 * at);
        }
        let name_hash = hash_bytes(name_key(seed, kind as u64), name.as_bytes());
        Some(Probe {
            kind,
            name,
            tags,
            order,
            pair_words,
            count,
            text_len,
            hash: key_hash(name_hash, sum),
        })
    }
}

impl<T: Tags + ?Sized> Probe<'_, T> {
    /// The tags' indexes in `tags`, in canonical order.
    #[inline(always)]
    fn in_order(&self) -> impl Iterator<Item = usize> {
        let order = self.order;
        (0..self.count).map(move |slot| (order >> (4 * slot)) as usize & 0xF)
    }

    /// Whether one of the record's tags is in one of `sets`.
    pub(crate) fn has_any(&self, sets: &[&[String]]) -> bool {
        sets.iter().any(|set| {
            set.iter().any(|held| {
                (0..self.count).any(|index| match self.tags.tag_at(index) {
                    TagRef::Whole(tag) => held == tag,
                    TagRef::Pair(key, value) => held
                        .strip_prefix(key)
                        .and_then(|rest| rest.strip_prefix(':'))
                        .is_some_and(|rest| rest == value),
                })
            })
        })
    }
}

/// A record's series key, sanitized: its hash, and its tags in canonical
/// order with repeats removed.
pub(crate) struct Key<'a, T: Tags + ?Sized> {
    pub(crate) kind: Kind,
    pub(crate) name: &'a str,
    clean_name: Cow<'a, str>,
    /// Each distinct tag as sent, with its hash, in canonical order.
    clean_tags: Vec<(u64, Cow<'a, str>)>,
    pub(crate) hash: u64,
    _tags: PhantomData<&'a T>,
}

/// One tag as it is sent.
fn clean_tag(tag: TagRef<'_>) -> Cow<'_, str> {
    match tag {
        TagRef::Whole(text) => with_a_key(Rule::Tag.clean(text)),
        TagRef::Pair(key, value) => {
            let mut text = String::with_capacity(key.len() + 1 + value.len());
            Rule::Tag.push_clean(key, &mut text);
            text.push(':');
            Rule::Tag.push_clean(value, &mut text);
            with_a_key(Cow::Owned(text))
        }
    }
}

impl<'a, T: Tags + ?Sized> Key<'a, T> {
    /// The key without the tags every series gets at flush anyway (`base`):
    /// a record that carries one of them names the same series as the record
    /// without it, and must not become a second line with the same tags.
    pub(crate) fn without(mut self, seed: u64, base: &[&[String]]) -> Self {
        let before = self.clean_tags.len();
        self.clean_tags
            .retain(|(_, tag)| !base.iter().any(|set| set.iter().any(|b| b == tag)));
        if self.clean_tags.len() != before {
            let name_hash =
                hash_bytes(name_key(seed, self.kind as u64), self.clean_name.as_bytes());
            let sum = self
                .clean_tags
                .iter()
                .fold(0u64, |sum, (hash, _)| sum.wrapping_add(*hash));
            self.hash = key_hash(name_hash, sum);
        }
        self
    }

    pub(crate) fn new(seed: u64, kind: Kind, name: &'a str, tags: &'a T) -> Self {
        // An empty tag is no tag: sent, it would be an empty list entry.
        let mut clean_tags: Vec<(u64, Cow<'a, str>)> = (0..tags.tag_count())
            .map(|index| clean_tag(tags.tag_at(index)))
            .filter(|text| !text.is_empty())
            .map(|text| (hash_bytes(seed, text.as_bytes()), text))
            .collect();
        clean_tags.sort_unstable();
        clean_tags.dedup();
        let clean_name = Rule::Name.clean(name);
        let name_hash = hash_bytes(name_key(seed, kind as u64), clean_name.as_bytes());
        let sum = clean_tags
            .iter()
            .fold(0u64, |sum, (hash, _)| sum.wrapping_add(*hash));
        Key {
            kind,
            name,
            clean_name,
            clean_tags,
            hash: key_hash(name_hash, sum),
            _tags: PhantomData,
        }
    }
}

/// A series' tags: the text after its name, each tag preceded by
/// [`SEPARATOR`]. Tags are short, so a byte scan beats a `memchr` call per
/// tag.
pub(crate) struct TagIter<'a> {
    rest: &'a str,
}

impl<'a> Iterator for TagIter<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let body = self.rest.get(SEPARATOR.len_utf8()..)?;
        let end = body
            .bytes()
            .position(|b| b == SEPARATOR as u8)
            .unwrap_or(body.len());
        let (tag, rest) = body.split_at(end);
        self.rest = rest;
        Some(tag)
    }
}

/// One series held by a collector.
pub(crate) struct Series {
    /// The sanitized name, then each sanitized tag in canonical order, each
    /// preceded by [`SEPARATOR`]: one allocation per series.
    text: Box<str>,
    name_len: u32,
    /// How many tags `text` holds (saturated; only compared with at most
    /// [`PROBE_TAGS`]).
    tag_count: u16,
    pub(crate) kind: Kind,
    pub(crate) total: Total,
    /// The series' hash, kept so that stores can merge without rehashing.
    pub(crate) hash: u64,
    /// How many records the total folds in: what is lost if the series
    /// cannot be merged into a full store.
    pub(crate) records: u64,
    /// The next series with the same hash, if any.
    pub(crate) next: Option<u32>,
}

impl Series {
    pub(crate) fn new<T: Tags + ?Sized>(key: &Key<'_, T>, sample: Sample) -> Series {
        let len = key.clean_name.len()
            + key
                .clean_tags
                .iter()
                .map(|(_, tag)| 1 + tag.len())
                .sum::<usize>();
        let mut text = String::with_capacity(len);
        text.push_str(&key.clean_name);
        for (_, tag) in &key.clean_tags {
            text.push(SEPARATOR);
            text.push_str(tag);
        }
        Series {
            text: text.into_boxed_str(),
            name_len: key.clean_name.len() as u32,
            tag_count: u16::try_from(key.clean_tags.len()).unwrap_or(u16::MAX),
            kind: key.kind,
            total: Total::first(key.kind, sample),
            hash: key.hash,
            records: 1,
            next: None,
        }
    }

    /// A series of the record's text as it is, when that text is already in
    /// its sent form (a clean name, clean non-empty tags; repeats never get
    /// this far, see [`Probe::new`]), its tags in the probe's order, which is
    /// the canonical one since no two of them share a hash. `None` when a
    /// piece needs sanitizing: the [`Key`] then builds the series.
    ///
    /// Each piece is checked as it is copied, in one read: a caller's
    /// [`Tags`] that answers differently when asked again cannot slip text
    /// past the check.
    #[inline(always)]
    pub(crate) fn from_probe<T: Tags + ?Sized>(
        probe: &Probe<'_, T>,
        sample: Sample,
    ) -> Option<Series> {
        if !Rule::Name.is_clean(probe.name) {
            return None;
        }
        let mut text = String::with_capacity(probe.text_len);
        text.push_str(probe.name);
        for index in probe.in_order() {
            text.push(SEPARATOR);
            match probe.tags.tag_at(index) {
                TagRef::Whole(tag)
                    if !tag.is_empty() && has_key(tag) && Rule::Tag.is_clean(tag) =>
                {
                    text.push_str(tag);
                }
                TagRef::Pair(key, value)
                    if !key.is_empty()
                        && has_key(key)
                        && Rule::Tag.is_clean(key)
                        && Rule::Tag.is_clean(value) =>
                {
                    text.push_str(key);
                    text.push(':');
                    text.push_str(value);
                }
                _ => return None,
            }
        }
        Some(Series {
            text: text.into_boxed_str(),
            name_len: probe.name.len() as u32,
            tag_count: probe.count as u16,
            kind: probe.kind,
            total: Total::first(probe.kind, sample),
            hash: probe.hash,
            records: 1,
            next: None,
        })
    }

    /// Whether `other` is the same series (held by another store).
    pub(crate) fn same_as(&self, other: &Series) -> bool {
        self.hash == other.hash && self.same_text(other)
    }

    /// Whether `other` has this series' type, name and tags, whatever the
    /// hashes say.
    #[inline]
    pub(crate) fn same_text(&self, other: &Series) -> bool {
        self.kind == other.kind && self.text == other.text
    }

    /// A copy of this series under another `hash`, chained to nothing: the
    /// one allocation a context of an aggregator makes when it is new.
    pub(crate) fn copy_with_hash(&self, hash: u64) -> Series {
        Series {
            text: self.text.clone(),
            hash,
            next: None,
            ..*self
        }
    }

    /// Folds the same series, recorded later elsewhere, into this one.
    pub(crate) fn absorb(&mut self, later: &Series) {
        if self.records == 0 {
            // A kept series holds an earlier execution's total: replaced.
            self.total = later.total;
        } else {
            self.total.absorb(later.total);
        }
        self.records = self.records.saturating_add(later.records);
    }

    pub(crate) fn name(&self) -> &str {
        &self.text[..self.name_len as usize]
    }

    /// The sanitized tags, in canonical (not sorted) order.
    pub(crate) fn tags(&self) -> TagIter<'_> {
        TagIter {
            rest: &self.text[self.name_len as usize..],
        }
    }

    /// Folds `sample` in; `true` when the series held no record before (a
    /// series kept from an earlier execution of the thread's store, see
    /// [`Store::park`](crate::store::Store::park)): the sample is then its
    /// first.
    #[inline]
    pub(crate) fn add(&mut self, sample: Sample) -> bool {
        if self.records == 0 {
            self.total = Total::first(self.kind, sample);
            self.records = 1;
            return true;
        }
        self.total.add(sample);
        self.records = self.records.saturating_add(1);
        false
    }

    /// Whether it holds a record (a kept series of an earlier execution
    /// holds none until recorded into again).
    #[inline]
    pub(crate) fn is_live(&self) -> bool {
        self.records > 0
    }

    /// Empties the total, keeping the name and tags for the next execution.
    pub(crate) fn empty(&mut self) {
        self.records = 0;
    }

    /// Whether `key` names this series.
    pub(crate) fn matches<T: Tags + ?Sized>(&self, key: &Key<'_, T>) -> bool {
        self.kind == key.kind
            && self.name() == key.clean_name
            && usize::from(self.tag_count) == key.clean_tags.len()
            && self
                .tags()
                .zip(&key.clean_tags)
                .all(|(held, (_, tag))| held == tag)
    }

    /// Whether `probe` names this series, byte for byte.
    ///
    /// The stored text is sanitized and holds exactly `tag_count`
    /// separators; with the name length, the tag count and the total length
    /// equal, every separator of the probe must fall on one of them, so each
    /// piece equals a stored piece and was clean.
    #[inline]
    pub(crate) fn matches_probe<T: Tags + ?Sized>(&self, probe: &Probe<'_, T>) -> bool {
        let text = self.text.as_bytes();
        let name = probe.name.as_bytes();
        if self.kind != probe.kind
            || text.len() != probe.text_len
            || self.name_len as usize != name.len()
            || usize::from(self.tag_count) != probe.count
            || !bytes_eq(&text[..name.len()], name)
        {
            return false;
        }
        // Pieces are read with `get`: the caller's `Tags` is asked again
        // here, and an answer of another length than before must end in "no
        // match", never in a slice out of bounds.
        let mut at = name.len();
        for index in probe.in_order() {
            if text.get(at) != Some(&(SEPARATOR as u8)) {
                return false;
            }
            at += 1;
            match probe.tags.tag_at(index) {
                TagRef::Whole(tag) => {
                    let end = at + tag.len();
                    match text.get(at..end) {
                        Some(stored) if bytes_eq(stored, tag.as_bytes()) => at = end,
                        _ => return false,
                    }
                }
                TagRef::Pair(key, value) => {
                    let end = at + key.len() + 1 + value.len();
                    match text.get(at..end) {
                        Some(stored) if stored.len() <= 8 => {
                            if read_word(stored) != probe.pair_words[index] {
                                return false;
                            }
                        }
                        Some(stored) if pair_eq(stored, key.as_bytes(), value.as_bytes()) => {}
                        _ => return false,
                    }
                    at = end;
                }
            }
        }
        true
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
    fn an_empty_key_is_sent_as_an_underscore_however_the_tag_comes() {
        for tags in [vec![TagRef::Whole(":v")], vec![TagRef::Pair("", "v")]] {
            let series = Series::new(&key("q", &tags), Sample::Count(1));
            assert_eq!(series.tags().collect::<Vec<_>>(), ["_v"]);
            assert!(Series::from_probe(&probe("q", &tags), Sample::Count(1)).is_none());
        }
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

    fn probe<'a, T: Tags + ?Sized>(name: &'a str, tags: &'a T) -> Probe<'a, T> {
        Probe::new(42, Kind::Counter, name, tags).expect("probe")
    }

    #[test]
    fn a_probe_of_clean_text_finds_the_series_in_any_order_and_shape() {
        let series = Series::new(&key("q", &["x:1", "y:2", "z:3"]), Sample::Count(1));
        let stored = key("q", &["x:1", "y:2", "z:3"]).hash;
        for found in [
            probe("q", &["z:3", "x:1", "y:2"]),
            probe("q", &["y:2", "z:3", "x:1"]),
        ] {
            assert_eq!(found.hash, stored);
            assert!(series.matches_probe(&found));
        }
        let pairs = [("y", "2"), ("x", "1"), ("z", "3")];
        assert_eq!(probe("q", &pairs).hash, stored);
        assert!(series.matches_probe(&probe("q", &pairs)));
        let bare = Series::new(&key("q", &()), Sample::Count(1));
        assert!(bare.matches_probe(&probe("q", &())));
        assert!(!bare.matches_probe(&probe("q", &["x:1"])));
    }

    #[test]
    fn a_probe_never_matches_what_needs_sanitizing_or_other_series() {
        let series = Series::new(&key("a_b", &["x:1", "y_2"]), Sample::Count(1));
        assert!(!series.matches_probe(&probe("a|b", &["x:1", "y_2"])));
        assert!(!series.matches_probe(&probe("a_b", &["x:1", "y|2"])));
        assert!(!series.matches_probe(&probe("a_b", &["x:1"])));
        assert!(!series.matches_probe(&probe("a_b", &["x:1", "y_2", "z"])));
        // A separator smuggled into the input cannot line up with the stored
        // text's own separators.
        let two = Series::new(&key("n", &["x", "y"]), Sample::Count(1));
        assert!(!two.matches_probe(&probe("n", &["x\ny"])));
        assert!(!two.matches_probe(&probe("n\nx", &["y"])));
        let counter = Series::new(&key("n", &()), Sample::Count(1));
        assert!(!counter.matches_probe(&Probe::new(42, Kind::Gauge, "n", &()).unwrap()));
    }

    #[test]
    fn repeats_and_long_tag_lists_are_left_to_the_key() {
        assert!(Probe::new(42, Kind::Counter, "q", &["a", "a"]).is_none());
        assert!(Probe::new(
            42,
            Kind::Counter,
            "q",
            &[TagRef::Whole("a:1"), TagRef::Pair("a", "1")]
        )
        .is_none());
        let many: Vec<String> = (0..=PROBE_TAGS).map(|i| format!("t{i}")).collect();
        assert!(Probe::new(42, Kind::Counter, "q", &many).is_none());
    }
}
