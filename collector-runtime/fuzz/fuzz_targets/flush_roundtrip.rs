//! Arbitrary names, tags and values through record, flush and the wire:
//! every datagram must parse back to exactly the series the independent
//! model expects (see `collector_tests::oracle`), every refusal must reach
//! the error handler, and nothing may panic.
#![no_main]

use arbitrary::Arbitrary;
use collector_tests::oracle::{check, Record, TagIn, Value};
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
struct Input {
    names: Vec<String>,
    tags: Vec<FuzzTag>,
    base: Vec<FuzzTag>,
    records: Vec<FuzzRecord>,
}

fn tag(t: &FuzzTag) -> TagIn {
    match t {
        FuzzTag::Whole(s) => TagIn::Whole(s.clone()),
        FuzzTag::Pair(k, v) => TagIn::Pair(k.clone(), v.clone()),
    }
}

fuzz_target!(|input: Input| {
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
