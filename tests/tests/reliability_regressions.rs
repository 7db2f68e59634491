//! Bugs the reliability work found, each pinned by the input that showed it.

use std::sync::{Arc, Mutex};

use cadence::SpyMetricSink;
use collector_runtime::Client;
use collector_runtime::{Collector, Error};
use collector_tests::{by_series, parse_datagram, Line};

/// A collector on a spy sink whose errors are kept as text.
fn spied(base: &[&str]) -> (Collector, Arc<Mutex<Vec<String>>>, impl Fn() -> Vec<Line>) {
    let (received, sink) = SpyMetricSink::new();
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&errors);
    let collector = Collector::builder()
        .client(Client::new(sink))
        .tags(base)
        .error_handler(move |err: &Error| seen.lock().unwrap().push(err.to_string()))
        .build();
    let read = move || {
        collector_runtime::wait_for_delivery();
        received
            .try_iter()
            .flat_map(|d| parse_datagram(&d).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    };
    (collector, errors, read)
}

/// Two finite values whose sum overflows used to reach the wire as
/// `h:inf|h`, which an agent refuses; the series is now refused with
/// `NonFiniteValue` through the error handler.
#[test]
fn a_sum_that_overflows_to_infinity_is_refused_not_sent() {
    let (collector, errors, read) = spied(&[]);
    collector.histogram("h", f64::MAX, ());
    collector.histogram("h", f64::MAX, ());
    collector.distribution("d", f64::MIN, ());
    collector.distribution("d", f64::MIN, ());
    collector.histogram("fine", f64::MAX, ());
    let report = collector.flush();
    let lines = read();
    assert!(lines.iter().all(|l| l.value.is_finite()), "{lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!((report.series_sent, report.errors), (1, 2));
    let errors = errors.lock().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e.contains("inf")), "{errors:?}");
}

/// An empty tag used to be sent as an empty entry (`a:1|c|#` or `#,b`),
/// and `["", "b"]` and `["b"]` became two lines for one series. An empty tag
/// is now no tag, in a record and in the base tags.
#[test]
fn an_empty_tag_is_no_tag() {
    let (collector, _errors, read) = spied(&[""]);
    collector.incr("e", [""]);
    collector.incr("e", ["", "b"]);
    collector.incr("e", ["b"]);
    collector.incr("e", ());
    collector.flush();
    let got = by_series(&read()).unwrap();
    let series = |tags: &[&str]| {
        let tags = tags.iter().map(|t| t.to_string()).collect();
        ("c".to_owned(), "e".to_owned(), tags)
    };
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[&series(&[])], 2.0);
    assert_eq!(got[&series(&["b"])], 2.0);
    assert!(collector.base_tags().is_empty());
}

/// A record tag that is also a base tag used to make a second series, sent
/// as a second line with the same tags (a histogram then got two values
/// instead of one sum). It now names the same series as the record without
/// it, through the collector, an entered thread and an annotated call.
#[test]
fn a_record_tag_equal_to_a_base_tag_is_the_same_series() {
    let (collector, errors, read) = spied(&["env:test"]);
    collector.histogram("q", 1, &["env:test", "db:a"]);
    collector.histogram("q", 2, &["db:a"]);
    {
        let _current = collector.enter();
        collector_runtime::histogram("q", 4, &[("env", "test"), ("db", "a")]);
        collector_runtime::gauge("g", 1, &["env:test"]);
        collector_runtime::gauge("g", 3, ());
    }
    collector.flush();
    let lines = read();
    let got = by_series(&lines).unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let q = (
        "h".to_owned(),
        "q".to_owned(),
        vec!["db:a".to_owned(), "env:test".to_owned()],
    );
    assert_eq!(got[&q], 7.0);
    let g = ("g".to_owned(), "g".to_owned(), vec!["env:test".to_owned()]);
    assert_eq!(got[&g], 3.0);
    assert!(errors.lock().unwrap().is_empty());
}

#[collector_runtime::collect_metrics(tags("job:sync"), client = client)]
fn tagged_call(client: Client) {
    collector_runtime::incr("rows", &["job:sync"]);
    collector_runtime::incr("rows", ());
}

#[test]
fn an_annotated_calls_static_tag_recorded_again_is_the_same_series() {
    let (received, sink) = SpyMetricSink::new();
    tagged_call(Client::new(sink));
    collector_runtime::wait_for_delivery();
    let lines: Vec<Line> = received
        .try_iter()
        .flat_map(|d| parse_datagram(&d).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        (lines[0].value, lines[0].tags.clone()),
        (2.0, vec!["job:sync".to_owned()])
    );
}

/// A `Tags` of the caller's that answers differently each time it is asked
/// (interior mutability): clean text, then text that would break the line,
/// then text of another length. The record path asks more than once; what
/// it stores and sends must be what it checked, and no answer may make it
/// index out of bounds.
struct Fickle {
    asked: std::cell::Cell<usize>,
    answers: [&'static str; 3],
}

impl collector_runtime::tags::Tags for Fickle {
    fn tag_count(&self) -> usize {
        1
    }
    fn tag_at(&self, _index: usize) -> collector_runtime::tags::TagRef<'_> {
        let asked = self.asked.get();
        self.asked.set(asked + 1);
        collector_runtime::tags::TagRef::Whole(self.answers[asked % self.answers.len()])
    }
}

#[test]
fn tags_that_change_between_reads_never_break_a_line_or_panic() {
    // Text that would break the line; clean text of two lengths (a series
    // found by a first read, then compared with a longer second one).
    fickle_records([
        "k:v",
        "k:v|#evil:1\ninjected:1|c",
        "a_much_longer_clean:tag",
    ]);
    fickle_records(["k:v", "a_much_longer_clean:tag", "a_much_longer_clean:tag"]);
}

/// Records through a [`Fickle`] from every rotation of its answers, so that
/// each read of the record path sees each answer, and checks what is sent.
fn fickle_records(answers: [&'static str; 3]) {
    for start in 0..answers.len() {
        for records in 1..=6 {
            let (collector, errors, read) = spied(&["base:1"]);
            let fickle = Fickle {
                asked: std::cell::Cell::new(start),
                answers,
            };
            {
                let _current = collector.enter();
                for _ in 0..records {
                    collector_runtime::incr("fickle", &fickle);
                }
            }
            let report = collector.flush();
            assert_eq!(report.errors, 0, "{:?}", errors.lock().unwrap());
            // The independent parser refuses any line that is not one
            // well-formed metric; each line is `fickle` with clean tags.
            let lines = read();
            let total: f64 = lines.iter().map(|line| line.value).sum();
            assert_eq!(total, records as f64, "{lines:?}");
            for line in &lines {
                assert_eq!(line.name, "fickle");
                for tag in &line.tags {
                    assert!(
                        tag.chars()
                            .all(|c| c.is_alphanumeric() || "_-:/.".contains(c)),
                        "{tag:?} in {lines:?}"
                    );
                }
            }
        }
    }
}
