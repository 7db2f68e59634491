//! `#[collect_metrics]` on every shape of function it supports: each call
//! records into its own collector, which sends the call's series in exactly
//! one flush when the call ends.

#![deny(warnings)]

mod attribute_common;

use std::fmt::Display;

use attribute_common::{thread_recorder, Recorder};
use collector_runtime::collect_metrics;
use collector_runtime::incr;

#[collect_metrics(client = rec.client())]
fn free(rec: &Recorder, n: i64) -> i64 {
    collector_runtime::count("free.items", n, [("kind", "free")]);
    n * 2
}

#[test]
fn a_free_function() {
    let rec = Recorder::new();
    assert_eq!(free(&rec, 3), 6);
    assert_eq!(rec.one_flush(), ["free.items:3|c|#kind:free"]);
}

struct Counter {
    rec: Recorder,
    value: u32,
    label: String,
}

impl Counter {
    #[collect_metrics(client = self.rec.client())]
    fn get(&self) -> u32 {
        incr("counter.get", ());
        self.value
    }

    #[collect_metrics(client = self.rec.client(), outcome)]
    fn bump(&mut self) -> &mut u32 {
        incr("counter.bump", ());
        self.value += 1;
        &mut self.value
    }

    #[collect_metrics(client = self.rec.client(), outcome)]
    fn label(&self) -> &str {
        incr("counter.label", ());
        &self.label
    }

    #[collect_metrics(client = self.rec.client(), outcome)]
    fn into_label(self) -> String {
        incr("counter.into_label", ());
        self.label
    }
}

#[test]
fn methods_by_reference_mutable_reference_and_value() {
    let rec = Recorder::new();
    let mut counter = Counter {
        rec: rec.clone(),
        value: 1,
        label: "c".into(),
    };
    assert_eq!(counter.get(), 1);
    assert_eq!(rec.one_flush(), ["counter.get:1|c"]);
    rec.clear();

    *counter.bump() += 10;
    assert_eq!(counter.value, 12);
    assert_eq!(rec.one_flush(), ["counter.bump:1|c|#outcome:ok"]);
    rec.clear();

    assert_eq!(counter.label(), "c");
    assert_eq!(rec.one_flush(), ["counter.label:1|c|#outcome:ok"]);
    rec.clear();

    assert_eq!(counter.into_label(), "c");
    assert_eq!(rec.one_flush(), ["counter.into_label:1|c|#outcome:ok"]);
}

trait Job {
    fn run(&self, rec: &Recorder) -> Result<u8, String>;
    fn describe(&self, rec: &Recorder) -> String {
        let _ = rec;
        String::new()
    }
}

struct Cleanup;

impl Job for Cleanup {
    #[collect_metrics(name = "jobs.cleanup", client = rec.client(), outcome, tags("job:cleanup"))]
    fn run(&self, rec: &Recorder) -> Result<u8, String> {
        incr("jobs.runs", ());
        Ok(1)
    }

    #[collect_metrics(client = rec.client())]
    fn describe(&self, rec: &Recorder) -> String {
        incr("jobs.described", ());
        "cleanup".into()
    }
}

#[test]
fn trait_impl_methods() {
    let rec = Recorder::new();
    assert_eq!(Cleanup.run(&rec), Ok(1));
    assert_eq!(rec.one_flush(), ["jobs.runs:1|c|#job:cleanup,outcome:ok"]);
    rec.clear();
    assert_eq!(Cleanup.describe(&rec), "cleanup");
    assert_eq!(rec.one_flush(), ["jobs.described:1|c"]);
}

#[collect_metrics(client = rec.client(), outcome, tags(kind = std::any::type_name::<T>()))]
fn longest<'a, 'b: 'a, T, const N: usize>(rec: &Recorder, items: &'a [T; N], other: &'b T) -> &'a T
where
    T: PartialOrd + Display,
{
    incr("generic.calls", ());
    items
        .iter()
        .fold(other, |best, item| if item > best { item } else { best })
}

#[test]
fn generic_functions_with_where_clauses_lifetimes_and_const_generics() {
    let rec = Recorder::new();
    let items = [3, 9, 4];
    assert_eq!(*longest(&rec, &items, &5), 9);
    assert_eq!(rec.one_flush(), ["generic.calls:1|c|#kind:i32,outcome:ok"]);
}

#[collect_metrics(client = rec.client(), outcome)]
fn evens(rec: &Recorder, up_to: u32) -> impl Iterator<Item = u32> {
    incr("evens.calls", ());
    (0..up_to).filter(|n| n % 2 == 0)
}

#[collect_metrics(client = rec.client(), outcome)]
fn parsed_evens<'a>(
    rec: &Recorder,
    text: &'a str,
) -> Result<impl Iterator<Item = u32> + 'a, std::num::ParseIntError> {
    incr("parsed_evens.calls", ());
    let first: u32 = text.split(',').next().unwrap_or_default().parse()?;
    Ok(text
        .split(',')
        .filter_map(|n| n.parse().ok())
        .filter(move |n: &u32| n % 2 == first % 2))
}

#[test]
fn functions_returning_impl_trait() {
    let rec = Recorder::new();
    assert_eq!(evens(&rec, 7).collect::<Vec<_>>(), [0, 2, 4, 6]);
    assert_eq!(rec.one_flush(), ["evens.calls:1|c|#outcome:ok"]);
    rec.clear();

    let kept: Vec<u32> = parsed_evens(&rec, "2,3,4").unwrap().collect();
    assert_eq!(kept, [2, 4]);
    assert_eq!(rec.one_flush(), ["parsed_evens.calls:1|c|#outcome:ok"]);
    rec.clear();

    assert!(parsed_evens(&rec, "x,3").is_err());
    assert_eq!(rec.one_flush(), ["parsed_evens.calls:1|c|#outcome:error"]);
}

// `unsafe fn` is in `tests/ui/pass/unsafe_fn.rs`: the workspace forbids
// `unsafe_code`, which no allow in this crate can lift.

/// Attributes, docs and visibility are kept: `non_snake_case` is allowed
/// here only because the attribute below ours survives.
#[collect_metrics(client = rec.client())]
#[allow(non_snake_case)]
#[must_use]
pub(crate) fn Shouty(rec: &Recorder) -> u8 {
    incr("shouty", ());
    1
}

/// An inner attribute stays at the top of the body: without it, clippy
/// would refuse the `let` and return below.
#[collect_metrics(client = rec.client())]
fn inner_attribute(rec: &Recorder) -> u8 {
    #![allow(clippy::let_and_return)]
    incr("inner_attribute", ());
    let x = 1;
    x
}

#[test]
fn attributes_docs_and_visibility_are_kept() {
    let rec = Recorder::new();
    assert_eq!(Shouty(&rec), 1);
    assert_eq!(rec.one_flush(), ["shouty:1|c"]);
    rec.clear();
    assert_eq!(inner_attribute(&rec), 1);
    assert_eq!(rec.one_flush(), ["inner_attribute:1|c"]);
}

struct Store {
    rec: Recorder,
    items: Vec<String>,
}

impl Store {
    #[collect_metrics(client = self.rec.client(), outcome)]
    async fn find(&self, wanted: &str) -> Option<&String> {
        incr("store.find", ());
        tokio::task::yield_now().await;
        self.items.iter().find(|item| item.as_str() == wanted)
    }

    #[collect_metrics(client = self.rec.client(), outcome)]
    async fn push(&mut self, item: &str) -> Result<&mut String, String> {
        if item.is_empty() {
            return Err("empty".into());
        }
        tokio::task::yield_now().await;
        incr("store.push", ());
        self.items.push(item.to_owned());
        Ok(self.items.last_mut().expect("just pushed"))
    }
}

#[collect_metrics(client = rec.client(), outcome)]
async fn total_len(rec: &Recorder, words: &[&str], extra: impl Into<usize>) -> usize {
    let mut total = extra.into();
    for word in words {
        tokio::task::yield_now().await;
        incr("words", ());
        total += word.len();
    }
    total
}

#[tokio::test]
async fn async_functions_methods_and_borrowed_arguments() {
    let rec = Recorder::new();
    let mut store = Store {
        rec: rec.clone(),
        items: vec!["a".into()],
    };
    assert_eq!(store.find("a").await.map(String::as_str), Some("a"));
    assert_eq!(rec.one_flush(), ["store.find:1|c|#outcome:ok"]);
    rec.clear();

    store.push("b").await.unwrap().push('!');
    assert_eq!(store.items, ["a", "b!"]);
    assert_eq!(rec.one_flush(), ["store.push:1|c|#outcome:ok"]);
    rec.clear();

    // Nothing recorded, nothing flushed: an empty collector sends nothing.
    assert!(store.push("").await.is_err());
    assert_eq!(rec.flush_count(), 0);

    let words = vec!["ab", "cde"];
    assert_eq!(total_len(&rec, &words, 1u8).await, 6);
    assert_eq!(rec.one_flush(), ["words:2|c|#outcome:ok"]);
}

// Ours outside `#[tokio::main]`: ours wraps the async fn, tokio then makes
// it a blocking fn.
#[collect_metrics(client = rec.client(), outcome, tags("order:ours_first"))]
#[tokio::main(flavor = "current_thread")]
async fn ours_then_tokio_main(rec: &Recorder) -> Result<u8, String> {
    tokio::task::yield_now().await;
    incr("main.runs", ());
    Ok(2)
}

// `#[tokio::main]` outside ours: tokio makes the fn blocking, ours wraps that.
#[tokio::main]
#[collect_metrics(client = rec.client(), outcome, tags("order:tokio_first"))]
async fn tokio_main_then_ours(rec: &Recorder) -> Result<u8, String> {
    tokio::task::yield_now().await;
    incr("main.runs", ());
    Err("failed".into())
}

#[test]
fn functions_that_also_carry_tokio_main() {
    let rec = Recorder::new();
    assert_eq!(ours_then_tokio_main(&rec), Ok(2));
    assert_eq!(
        rec.one_flush(),
        ["main.runs:1|c|#order:ours_first,outcome:ok"]
    );
    rec.clear();
    assert_eq!(tokio_main_then_ours(&rec), Err("failed".into()));
    assert_eq!(
        rec.one_flush(),
        ["main.runs:1|c|#order:tokio_first,outcome:error"]
    );
}

// The harness runs these two on threads of its own, and the test below runs
// them again on its thread: the client is the calling thread's recorder.
#[collect_metrics(client = thread_recorder().client(), tags("order:ours_first"))]
#[tokio::test]
async fn ours_then_tokio_test() {
    tokio::task::yield_now().await;
    incr("test.runs", ());
}

#[tokio::test]
#[collect_metrics(client = thread_recorder().client(), tags("order:tokio_first"))]
async fn tokio_test_then_ours() {
    tokio::task::yield_now().await;
    incr("test.runs", ());
}

#[test]
fn functions_that_also_carry_tokio_test() {
    let rec = thread_recorder();
    ours_then_tokio_test();
    assert_eq!(rec.one_flush(), ["test.runs:1|c|#order:ours_first"]);
    rec.clear();
    tokio_test_then_ours();
    assert_eq!(rec.one_flush(), ["test.runs:1|c|#order:tokio_first"]);
}
