//! An independent model of what a collector must send for a list of records,
//! and a check that runs the records through the real runtime and compares
//! the parsed datagrams with the model, line for line.
//!
//! The sanitizing rules are re-implemented here from their documentation
//! (the guide's errors chapter, "Safety": collector-runtime/docs/errors.md),
//! not taken from the runtime: in a tag,
//! every character that is not a letter or a digit (Unicode ones included),
//! `_`, `-`, `:`, `/` or `.` becomes `_`; a name follows the same rule
//! without `:`. A name with no letter or digit is refused, and so is a
//! non-finite value, each through the error handler.
//!
//! Used by the proptest suite (`reliability_properties`) and the cargo-fuzz
//! target (`collector-runtime/fuzz`), so both check the same contract.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::rc::Rc;

use cadence::BufferedSpyMetricSink;
use collector_runtime::Client;
use collector_runtime::{tags::TagRef, Collector, Error};

use crate::parse_datagram;

/// The documented tag rule.
pub fn clean_tag(text: &str) -> String {
    with_a_key(clean_chars(text))
}

/// The documented tag rule for one character at a time, without the rule
/// for a leading `:`: what a pair's value gets.
pub fn clean_chars(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '/' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A tag with an empty key (a leading `:`) gets `_` in its place.
fn with_a_key(tag: String) -> String {
    match tag.strip_prefix(':') {
        Some(rest) => format!("_{rest}"),
        None => tag,
    }
}

/// The documented name rule: the tag rule, with `:` replaced too.
pub fn clean_name(text: &str) -> String {
    clean_tag(text).replace(':', "_")
}

/// One tag as a caller hands it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagIn {
    /// `"key:value"` or a bare value.
    Whole(String),
    /// A key and a value.
    Pair(String, String),
}

impl TagIn {
    /// The runtime's borrowed form.
    pub fn as_ref(&self) -> TagRef<'_> {
        match self {
            TagIn::Whole(tag) => TagRef::Whole(tag),
            TagIn::Pair(key, value) => TagRef::Pair(key, value),
        }
    }

    /// The tag as the model expects it on the wire; `None` for no tag.
    pub fn sent(&self) -> Option<String> {
        match self {
            TagIn::Whole(tag) if tag.is_empty() => None,
            TagIn::Whole(tag) => Some(clean_tag(tag)),
            TagIn::Pair(key, value) => Some(with_a_key(format!(
                "{}:{}",
                clean_chars(key),
                clean_chars(value)
            ))),
        }
    }
}

/// One recorded value, with its metric type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// `count(name, n)`.
    Count(i64),
    /// `histogram(name, v)`.
    Histogram(f64),
    /// `distribution(name, v)`.
    Distribution(f64),
    /// `gauge(name, v)`.
    Gauge(f64),
    /// `timing(name, Duration::from_micros(us))`.
    TimingMicros(u32),
}

impl Value {
    fn kind(self) -> &'static str {
        match self {
            Value::Count(_) => "c",
            Value::Histogram(_) => "h",
            Value::Distribution(_) => "d",
            Value::Gauge(_) => "g",
            Value::TimingMicros(_) => "ms",
        }
    }

    fn float(self) -> Option<f64> {
        match self {
            Value::Histogram(v) | Value::Distribution(v) | Value::Gauge(v) => Some(v),
            _ => None,
        }
    }
}

/// One record.
#[derive(Clone, Debug)]
pub struct Record {
    /// The metric name as given.
    pub name: String,
    /// The tags as given.
    pub tags: Vec<TagIn>,
    /// The value and type.
    pub value: Value,
    /// Recorded through the free functions with the collector entered,
    /// instead of the collector's methods.
    pub free_fn: bool,
}

/// A line as the model expects it: type, name, sorted tags, value bits.
pub type ExpectedLine = (String, String, Vec<String>, u64);

/// What a flush of `records` into a collector with `base` tags must send.
#[derive(Debug, Default)]
pub struct Expected {
    /// Every line, sorted.
    pub lines: Vec<ExpectedLine>,
    /// Records refused while recording (unusable name, non-finite value).
    pub refused_records: usize,
    /// Series refused at flush (a total that overflowed to infinity).
    pub refused_series: usize,
}

#[derive(Clone, Copy)]
enum Acc {
    Count(i64),
    Sum(f64),
    Last(f64),
    Elapsed(Duration),
}

/// The model: series keyed by (type, name, set of record tags and base
/// tags), folded in record order: a record tag that is also a base tag does
/// not make another series.
pub fn expected(base: &[TagIn], records: &[Record]) -> Expected {
    let base: BTreeSet<String> = base.iter().filter_map(TagIn::sent).collect();
    let mut refused_records = 0;
    let mut series: BTreeMap<(&'static str, String, BTreeSet<String>), Acc> = BTreeMap::new();
    for record in records {
        if record.value.float().is_some_and(|v| !v.is_finite())
            || !record.name.chars().any(char::is_alphanumeric)
        {
            refused_records += 1;
            continue;
        }
        let mut tags: BTreeSet<String> = record.tags.iter().filter_map(TagIn::sent).collect();
        tags.extend(base.iter().cloned());
        let key = (record.value.kind(), clean_name(&record.name), tags);
        let first = match record.value {
            Value::Count(n) => Acc::Count(n),
            Value::Histogram(v) | Value::Distribution(v) => Acc::Sum(v),
            Value::Gauge(v) => Acc::Last(v),
            Value::TimingMicros(us) => Acc::Elapsed(Duration::from_micros(us.into())),
        };
        series
            .entry(key)
            .and_modify(|acc| {
                *acc = match (*acc, first) {
                    (Acc::Count(a), Acc::Count(b)) => Acc::Count(a.saturating_add(b)),
                    (Acc::Sum(a), Acc::Sum(b)) => Acc::Sum(a + b),
                    (Acc::Last(_), Acc::Last(b)) => Acc::Last(b),
                    (Acc::Elapsed(a), Acc::Elapsed(b)) => Acc::Elapsed(a.saturating_add(b)),
                    _ => unreachable!("one type per key"),
                }
            })
            .or_insert(first);
    }
    let mut lines = Vec::new();
    let mut refused_series = 0;
    for ((kind, name, tags), acc) in series {
        let value = match acc {
            Acc::Count(n) => n as f64,
            Acc::Sum(v) | Acc::Last(v) => v,
            // Milliseconds with microsecond precision, as sent: both sides
            // round the same exact decimal.
            Acc::Elapsed(d) => d.as_micros() as f64 / 1000.0,
        };
        if !value.is_finite() {
            refused_series += 1;
            continue;
        }
        let tags: Vec<String> = tags.into_iter().collect();
        lines.push((kind.to_owned(), name, tags, value.to_bits()));
    }
    lines.sort();
    Expected {
        lines,
        refused_records,
        refused_series,
    }
}

/// The most bytes of lines a payload of the checking client holds.
const PAYLOAD_LINES: usize = 1432 - 1;

/// Whether a line of the model could be longer than a payload once written
/// (its value's text takes at most 24 bytes).
fn may_outgrow_a_payload((kind, name, tags, _): &(String, String, Vec<String>, u64)) -> bool {
    let tags: usize = tags.iter().map(|tag| tag.len() + 1).sum();
    name.len() + 1 + 24 + 1 + kind.len() + 1 + tags > PAYLOAD_LINES
}

/// What the runtime did with the records.
#[derive(Debug, Default)]
pub struct Observed {
    /// Datagrams received.
    pub datagrams: usize,
    /// Lines received.
    pub lines: usize,
    /// Errors the collector's handler received.
    pub errors: usize,
}

thread_local! {
    /// The client every check on this thread sends through, and what takes
    /// the datagrams it sent: one client, so one sender thread, for the
    /// thread's life, rather than one per check (a fuzzer runs millions).
    #[allow(clippy::type_complexity)]
    static SPY: (Client, Rc<dyn Fn() -> Vec<Vec<u8>>>) = {
        let (received, sink) = BufferedSpyMetricSink::with_capacity(None, Some(1432));
        let take: Rc<dyn Fn() -> Vec<Vec<u8>>> = Rc::new(move || received.try_iter().collect());
        (Client::new(sink), take)
    };
}

/// What one check records into: a collector with `base` tags on this
/// thread's checking client, what reads the datagrams that client sent
/// (emptied first: what an earlier check left, nothing unless it failed
/// half-way, is not the next one's), and the errors its handler received.
#[allow(clippy::type_complexity)]
pub(crate) fn checking_collector(
    base: &[TagIn],
) -> (
    Collector,
    Rc<dyn Fn() -> Vec<Vec<u8>>>,
    Arc<Mutex<Vec<String>>>,
) {
    let (client, received) = SPY.with(|(client, received)| (client.clone(), Rc::clone(received)));
    collector_runtime::wait_for_delivery();
    drop(received());
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&errors);
    let base_refs: Vec<TagRef<'_>> = base.iter().map(TagIn::as_ref).collect();
    let collector = Collector::builder()
        .client(client)
        .tags(base_refs)
        .error_handler(move |err: &Error| seen.lock().unwrap().push(err.to_string()))
        .build();
    (collector, received, errors)
}

/// Records `records` into a collector with `base` tags whose client sends
/// through a buffered sink (1432-byte payloads, as over UDP), flushes, parses
/// every datagram with the independent parser and compares with
/// [`expected`]. `Err` says what broke.
pub fn check(base: &[TagIn], records: &[Record]) -> Result<Observed, String> {
    let (collector, received, errors) = checking_collector(base);
    for record in records {
        let tags: Vec<TagRef<'_>> = record.tags.iter().map(TagIn::as_ref).collect();
        let name = record.name.as_str();
        if record.free_fn {
            let _current = collector.enter();
            match record.value {
                Value::Count(n) => collector_runtime::count(name, n, &tags),
                Value::Histogram(v) => collector_runtime::histogram(name, v, &tags),
                Value::Distribution(v) => collector_runtime::distribution(name, v, &tags),
                Value::Gauge(v) => collector_runtime::gauge(name, v, &tags),
                Value::TimingMicros(us) => {
                    collector_runtime::timing(name, Duration::from_micros(us.into()), &tags)
                }
            }
        } else {
            match record.value {
                Value::Count(n) => collector.count(name, n, &tags),
                Value::Histogram(v) => collector.histogram(name, v, &tags),
                Value::Distribution(v) => collector.distribution(name, v, &tags),
                Value::Gauge(v) => collector.gauge(name, v, &tags),
                Value::TimingMicros(us) => {
                    collector.timing(name, Duration::from_micros(us.into()), &tags)
                }
            }
        }
    }
    let report = collector.flush();
    drop(collector);

    let want = expected(base, records);
    let mut observed = Observed::default();
    let mut got = Vec::new();
    collector_runtime::wait_for_delivery();
    for datagram in received() {
        observed.datagrams += 1;
        for line in parse_datagram(&datagram)? {
            if !line.value.is_finite() {
                return Err(format!("non-finite value sent: {line:?}"));
            }
            if line.tags.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("tags not sorted or repeated: {line:?}"));
            }
            got.push((line.kind, line.name, line.tags, line.value.to_bits()));
        }
    }
    // The transport's own count of lines it dropped: checked exactly by the
    // delivery tests, here only set aside.
    got.retain(|(kind, name, tags, _)| {
        !(kind == "c" && name == "collector.lines_dropped" && tags.is_empty())
    });
    observed.lines = got.len();
    observed.errors = errors.lock().unwrap().len();
    got.sort();
    let extra: Vec<_> = got.iter().filter(|l| !want.lines.contains(l)).collect();
    let missing: Vec<_> = want.lines.iter().filter(|l| !got.contains(l)).collect();
    // A line longer than a payload is refused alone (and counted): only such
    // a line may be missing.
    if !extra.is_empty() || missing.iter().any(|line| !may_outgrow_a_payload(line)) {
        return Err(format!(
            "sent lines differ from the model\n  extra:   {extra:?}\n  missing: {missing:?}"
        ));
    }
    let refused = want.refused_records + want.refused_series;
    // Each refusal is reported; a run of lines too long for a payload at
    // least once.
    let reported = refused + usize::from(!missing.is_empty())..=refused + missing.len();
    if !reported.contains(&observed.errors) {
        return Err(format!(
            "{} errors reported, {reported:?} expected: {:?}",
            observed.errors,
            errors.lock().unwrap()
        ));
    }
    if (report.series_sent, report.errors) != (want.lines.len(), want.refused_series) {
        return Err(format!(
            "flush report {report:?}, expected {} sent and {} errors",
            want.lines.len(),
            want.refused_series
        ));
    }
    Ok(observed)
}
