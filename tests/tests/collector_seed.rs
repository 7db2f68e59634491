//! Every numbered case of the seed library's test suite
//! (`shared/seed/BEHAVIOUR.md`), for counters and for histograms, asserted on
//! what a real loopback UDP socket receives.

use std::collections::BTreeMap;

use collector_runtime::Collector;
use collector_tests::UdpReceiver;

#[derive(Clone, Copy, Debug)]
enum Type {
    Counter,
    Histogram,
}

impl Type {
    fn wire(self) -> &'static str {
        match self {
            Type::Counter => "c",
            Type::Histogram => "h",
        }
    }

    fn record(self, collector: &Collector, name: &str, value: i64, tags: &[&str]) {
        match self {
            Type::Counter => collector.count(name, value, tags),
            Type::Histogram => collector.histogram(name, value as f64, tags),
        }
    }
}

type Series = BTreeMap<(String, String, Vec<String>), f64>;

/// Runs `work` on a collector with `base` tags, flushes it to a real UDP
/// socket, and returns the series received. Checks on the way that every
/// line's tags are sorted and that no series arrives twice.
fn sent(base: &[&str], work: impl FnOnce(&Collector)) -> Series {
    let receiver = UdpReceiver::bind();
    let collector = Collector::builder()
        .client(receiver.client())
        .tags(base)
        .build();
    work(&collector);
    let report = collector.flush();
    assert_eq!(report.errors, 0);
    let lines = receiver.lines();
    assert_eq!(report.series_sent, lines.len());
    for line in &lines {
        let mut sorted = line.tags.clone();
        sorted.sort();
        assert_eq!(line.tags, sorted, "tags are sent sorted");
    }
    collector_tests::by_series(&lines).unwrap()
}

fn expect(kind: Type, series: &[(&str, &[&str], f64)]) -> Series {
    series
        .iter()
        .map(|(name, tags, value)| {
            let mut tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
            tags.sort();
            ((kind.wire().to_owned(), name.to_string(), tags), *value)
        })
        .collect()
}

const BOTH: [Type; 2] = [Type::Counter, Type::Histogram];

#[test]
fn case_01_a_new_collector_is_empty_and_keeps_its_base_tags() {
    let plain = Collector::new();
    assert!(plain.is_empty());
    assert!(plain.base_tags().is_empty());
    let tagged = Collector::builder().tags(&["env:test", "app:web"]).build();
    assert!(tagged.is_empty());
    assert_eq!(tagged.base_tags(), ["env:test", "app:web"]);
}

#[test]
fn case_02_one_record_without_tags() {
    for t in BOTH {
        let got = sent(&[], |c| t.record(c, "query", 1, &[]));
        assert_eq!(got, expect(t, &[("query", &[], 1.0)]), "{t:?}");
    }
}

#[test]
fn case_03_one_record_with_one_tag() {
    for t in BOTH {
        let got = sent(&[], |c| t.record(c, "query", 1, &["db:main"]));
        assert_eq!(got, expect(t, &[("query", &["db:main"], 1.0)]), "{t:?}");
    }
}

#[test]
fn case_04_base_tags_are_merged_and_sorted() {
    for t in BOTH {
        let got = sent(&["zone:b", "env:test"], |c| {
            t.record(c, "query", 1, &["verb:insert", "database:master"])
        });
        let tags: &[&str] = &["database:master", "env:test", "verb:insert", "zone:b"];
        assert_eq!(got, expect(t, &[("query", tags, 1.0)]), "{t:?}");
    }
}

#[test]
fn case_05_a_given_value_is_used_instead_of_one() {
    for t in BOTH {
        let got = sent(&[], |c| t.record(c, "query", 5, &[]));
        assert_eq!(got, expect(t, &[("query", &[], 5.0)]), "{t:?}");
    }
}

#[test]
fn case_06_the_same_series_three_times_sends_one_total() {
    for t in BOTH {
        let got = sent(&[], |c| {
            for _ in 0..3 {
                t.record(c, "query", 1, &["db:main"]);
            }
        });
        assert_eq!(got, expect(t, &[("query", &["db:main"], 3.0)]), "{t:?}");
    }
}

fn one_key_three_values(times: usize) {
    for t in BOTH {
        let got = sent(&[], |c| {
            for _ in 0..times {
                for v in ["db:a", "db:b", "db:c"] {
                    t.record(c, "query", 1, &[v]);
                }
            }
        });
        let n = times as f64;
        let want = expect(
            t,
            &[
                ("query", &["db:a"], n),
                ("query", &["db:b"], n),
                ("query", &["db:c"], n),
            ],
        );
        assert_eq!(got, want, "{t:?}");
    }
}

#[test]
fn case_07_one_key_three_values_once_each() {
    one_key_three_values(1);
}

#[test]
fn case_08_one_key_three_values_twice_each() {
    one_key_three_values(2);
}

fn three_keys(times: usize) {
    for t in BOTH {
        let got = sent(&[], |c| {
            for _ in 0..times {
                for tag in ["db:a", "verb:get", "zone:x"] {
                    t.record(c, "query", 1, &[tag]);
                }
            }
        });
        let n = times as f64;
        let want = expect(
            t,
            &[
                ("query", &["db:a"], n),
                ("query", &["verb:get"], n),
                ("query", &["zone:x"], n),
            ],
        );
        assert_eq!(got, want, "{t:?}");
    }
}

#[test]
fn case_09_three_keys_once_each() {
    three_keys(1);
}

#[test]
fn case_10_three_keys_twice_each() {
    three_keys(2);
}

fn three_by_three(times: usize) {
    for t in BOTH {
        let got = sent(&[], |c| {
            for _ in 0..times {
                for key in ["db", "verb", "zone"] {
                    for value in ["1", "2", "3"] {
                        let tag = format!("{key}:{value}");
                        t.record(c, "query", 1, &[tag.as_str()]);
                    }
                }
            }
        });
        assert_eq!(got.len(), 9, "{t:?}");
        assert!(got.values().all(|v| *v == times as f64), "{t:?}: {got:?}");
        for key in ["db", "verb", "zone"] {
            for value in ["1", "2", "3"] {
                let series = (
                    t.wire().to_owned(),
                    "query".to_owned(),
                    vec![format!("{key}:{value}")],
                );
                assert!(got.contains_key(&series), "{t:?}: {series:?}");
            }
        }
    }
}

#[test]
fn case_11_three_keys_by_three_values_once_each() {
    three_by_three(1);
}

#[test]
fn case_12_three_keys_by_three_values_twice_each() {
    three_by_three(2);
}

#[test]
fn case_13_a_subset_of_tags_is_another_series() {
    for t in BOTH {
        let got = sent(&[], |c| {
            t.record(c, "query", 1, &["a"]);
            for _ in 0..2 {
                t.record(c, "query", 1, &["a", "b"]);
            }
            for _ in 0..3 {
                t.record(c, "query", 1, &["a", "b", "c"]);
            }
        });
        let want = expect(
            t,
            &[
                ("query", &["a"], 1.0),
                ("query", &["a", "b"], 2.0),
                ("query", &["a", "b", "c"], 3.0),
            ],
        );
        assert_eq!(got, want, "{t:?}");
    }
}

#[test]
fn case_14_counters_and_histograms_keep_their_own_series() {
    let got = sent(&[], |c| {
        for tags in [&["db:a"][..], &["db:a"], &["db:b"]] {
            c.incr("query", tags);
            c.histogram("query", 2, tags);
        }
        c.incr("query", ());
    });
    let mut want = expect(
        Type::Counter,
        &[
            ("query", &["db:a"], 2.0),
            ("query", &["db:b"], 1.0),
            ("query", &[], 1.0),
        ],
    );
    want.extend(expect(
        Type::Histogram,
        &[("query", &["db:a"], 4.0), ("query", &["db:b"], 2.0)],
    ));
    assert_eq!(got, want);
}

#[test]
fn the_seed_readme_example_sends_what_the_reference_stack_sends() {
    let receiver = UdpReceiver::bind();
    let collector = Collector::builder()
        .client(receiver.client())
        .tag("env:test")
        .build();
    collector.histogram("query", 1, &["database:master", "verb:insert"]);
    collector.histogram("query", 1, &["database:master", "verb:update"]);
    collector.histogram("query", 1, &["database:master", "verb:update"]);
    collector.count("query.count", 1, &["database:replica", "verb:select"]);
    collector.count("query.count", 2, &["database:replica", "verb:select"]);
    collector.flush();
    let text: Vec<String> = receiver
        .datagrams(std::time::Duration::from_millis(200))
        .into_iter()
        .map(|d| String::from_utf8(d).unwrap())
        .collect();
    assert_eq!(
        text.concat().trim_end(),
        "query:1|h|#database:master,env:test,verb:insert\n\
         query:2|h|#database:master,env:test,verb:update\n\
         query.count:3|c|#database:replica,env:test,verb:select"
    );
}
