//! Arbitrary names, tags and values through record, flush and the wire:
//! every datagram must parse back to exactly the series the independent
//! model expects (see `collector_tests::oracle`), every refusal must reach
//! the error handler, and nothing may panic. Arbitrary service checks and
//! events go the same way, against `collector_tests::oracle_notices`.
#![no_main]

use arbitrary::Arbitrary;
use collector_tests::oracle::{check, Record, TagIn, Value};
use collector_tests::oracle_notices::{check_notices, NoticeIn};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum FuzzTag {
    Whole(String),
    Pair(String, String),
}

#[derive(Arbitrary, Debug)]
enum FuzzValue {
    Count(i64),
    Histogram(f64),
    Distribution(f64),
    Gauge(f64),
    TimingMicros(u32),
}

#[derive(Arbitrary, Debug)]
struct FuzzRecord {
    /// Index into the input's names.
    name: u8,
    /// Indexes into the input's tags.
    tags: Vec<u8>,
    value: FuzzValue,
    free_fn: bool,
}

#[derive(Arbitrary, Debug)]
enum FuzzNotice {
    Check {
        name: String,
        status: u8,
        /// Indexes into the input's tags.
        tags: Vec<u8>,
        message: Option<String>,
        hostname: Option<String>,
    },
    Event {
        title: String,
        text: String,
        tags: Vec<u8>,
        hostname: Option<String>,
        aggregation_key: Option<String>,
        source_type: Option<String>,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    names: Vec<String>,
    tags: Vec<FuzzTag>,
    base: Vec<FuzzTag>,
    records: Vec<FuzzRecord>,
    notices: Vec<FuzzNotice>,
    /// Repeats the first notice's free text, to reach the payload's limit.
    long: u16,
}

fn tag(t: &FuzzTag) -> TagIn {
    match t {
        FuzzTag::Whole(s) => TagIn::Whole(s.clone()),
        FuzzTag::Pair(k, v) => TagIn::Pair(k.clone(), v.clone()),
    }
}

/// The input's notices, their tags picked from the input's tags (short,
/// as the model wants them: only free text is cut to fit a payload).
fn notices(input: &Input, tags: &[TagIn]) -> Vec<NoticeIn> {
    let pick = |indexes: &[u8]| -> Vec<TagIn> {
        if tags.is_empty() {
            return Vec::new();
        }
        indexes.iter().map(|&i| tags[i as usize % tags.len()].clone()).collect()
    };
    let short = |s: &Option<String>| s.as_ref().map(|s| s.chars().take(64).collect());
    let long = |s: &str, first: bool| {
        if first && !s.is_empty() {
            s.repeat(usize::from(input.long % 4096).max(1))
        } else {
            s.to_owned()
        }
    };
    input
        .notices
        .iter()
        .take(32)
        .enumerate()
        .map(|(at, notice)| match notice {
            FuzzNotice::Check { name, status, tags, message, hostname } => NoticeIn::Check {
                name: name.chars().take(64).collect(),
                status: *status,
                tags: pick(tags),
                message: message.as_deref().map(|m| long(m, at == 0)),
                hostname: short(hostname),
            },
            FuzzNotice::Event { title, text, tags, hostname, aggregation_key, source_type } => {
                NoticeIn::Event {
                    title: title.clone(),
                    text: long(text, at == 0),
                    tags: pick(tags),
                    hostname: short(hostname),
                    aggregation_key: short(aggregation_key),
                    source_type: short(source_type),
                }
            }
        })
        .collect()
}

fuzz_target!(|input: Input| {
    let short_tag = |t: &FuzzTag| match tag(t) {
        TagIn::Whole(s) => TagIn::Whole(s.chars().take(64).collect()),
        TagIn::Pair(k, v) => TagIn::Pair(k.chars().take(32).collect(), v.chars().take(32).collect()),
    };
    let short_tags: Vec<TagIn> = input.tags.iter().map(short_tag).collect();
    let short_base: Vec<TagIn> = input.base.iter().take(8).map(short_tag).collect();
    let notices = notices(&input, &short_tags);
    if let Err(why) = check_notices(&short_base, &notices) {
        panic!("{why}\nbase: {short_base:?}\nnotices: {notices:?}");
    }
    if input.names.is_empty() || input.records.len() > 256 {
        return;
    }
    let tags: Vec<TagIn> = input.tags.iter().map(tag).collect();
    let base: Vec<TagIn> = input.base.iter().take(8).map(tag).collect();
    let records: Vec<Record> = input
        .records
        .iter()
        .map(|r| Record {
            name: input.names[r.name as usize % input.names.len()].clone(),
            tags: if tags.is_empty() {
                Vec::new()
            } else {
                r.tags
                    .iter()
                    .map(|&i| tags[i as usize % tags.len()].clone())
                    .collect()
            },
            value: match r.value {
                FuzzValue::Count(n) => Value::Count(n),
                FuzzValue::Histogram(v) => Value::Histogram(v),
                FuzzValue::Distribution(v) => Value::Distribution(v),
                FuzzValue::Gauge(v) => Value::Gauge(v),
                FuzzValue::TimingMicros(us) => Value::TimingMicros(us),
            },
            free_fn: r.free_fn,
        })
        .collect();
    if let Err(why) = check(&base, &records) {
        panic!("{why}\nbase: {base:?}\nrecords: {records:?}");
    }
});
