//! Service checks and events on the wire: every field in exact bytes, read
//! back by the independent parser (`collector_tests::notices`), through a
//! real UDP socket; hostile text never breaks a datagram or another line;
//! a text longer than a payload is cut, reported, and still one line.

use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use collector_runtime::{
    checks_events::AlertType, checks_events::Event, checks_events::Priority,
    checks_events::ServiceCheck, checks_events::Status, testing, Client, Collector, Error,
};
use collector_tests::notices::{parse_check, parse_event};
use collector_tests::{parse_datagram_any, Sent, UdpReceiver};

fn at(secs: u64) -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Every datagram received for what `send` sends through a client aimed at
/// a socket of this test's own, each parsed whole.
fn over_udp(send: impl FnOnce(Client)) -> (Vec<Vec<u8>>, Vec<Sent>) {
    let receiver = UdpReceiver::bind();
    send(receiver.client());
    collector_runtime::wait_for_delivery();
    let datagrams = receiver.datagrams(Duration::from_millis(300));
    let sent = datagrams
        .iter()
        .flat_map(|d| parse_datagram_any(d).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    (datagrams, sent)
}

#[test]
fn every_field_of_a_check_and_an_event_is_sent_exactly() {
    let (datagrams, sent) = over_udp(|client| {
        let collector = Collector::builder()
            .client(client.tags(&["env:test"]))
            .tag("job:nightly")
            .build();
        collector.incr("rows", ());
        collector.service_check(
            ServiceCheck::new("jobs.nightly", Status::Warning)
                .tags(&[("db", "main")])
                .message("slow: 3 retries")
                .hostname("worker-1")
                .timestamp(at(1_700_000_000)),
        );
        collector.event(
            Event::new("nightly done", "4 rows\nall good")
                .tags(&["kind:report"])
                .timestamp(at(1_700_000_001))
                .hostname("worker-1")
                .aggregation_key("nightly")
                .priority(Priority::Low)
                .source_type("cron")
                .alert_type(AlertType::Success),
        );
        collector.flush();
    });
    let text = String::from_utf8(datagrams.concat()).unwrap();
    // The buffered UDP sink ends each datagram with a line break. Checks
    // and events pass through at the flush, in the order recorded; the
    // series goes out with the client's aggregated lines, which the sender
    // may drain before or after the notices are queued.
    let (notices, metrics): (Vec<&str>, Vec<&str>) = text
        .lines()
        .partition(|line| line.starts_with("_sc|") || line.starts_with("_e{"));
    assert_eq!(
        notices.join("\n"),
        "_sc|jobs.nightly|1|d:1700000000|h:worker-1|#db:main,env:test,job:nightly\
         |m:slow: 3 retries\n\
         _e{12,16}:nightly done|4 rows\\nall good|d:1700000001|h:worker-1|k:nightly|p:low\
         |s:cron|t:success|#env:test,job:nightly,kind:report"
    );
    assert_eq!(metrics, ["rows:1|c|#env:test,job:nightly"]);
    let mut notices = sent.iter().filter(|s| !matches!(s, Sent::Metric(_)));
    let Some(Sent::Check(check)) = notices.next() else {
        panic!("{sent:?}")
    };
    assert_eq!(
        (check.status, check.message.as_deref()),
        (1, Some("slow: 3 retries"))
    );
    let Some(Sent::Event(event)) = notices.next() else {
        panic!("{sent:?}")
    };
    assert_eq!(event.text, "4 rows\nall good");
    assert_eq!(event.alert_type.as_deref(), Some("success"));
}

#[test]
fn the_shortest_forms_and_every_status() {
    let ((), lines) = testing::capture(|| {
        for status in [
            Status::Ok,
            Status::Warning,
            Status::Critical,
            Status::Unknown,
        ] {
            collector_runtime::service_check(ServiceCheck::new("up", status));
        }
        collector_runtime::event(Event::new("t", ""));
        collector_runtime::event(Event::new("t", "x").priority(Priority::Normal));
        for alert in [AlertType::Error, AlertType::Warning, AlertType::Info] {
            collector_runtime::event(Event::new("t", "x").alert_type(alert));
        }
    });
    assert_eq!(
        lines,
        [
            "_sc|up|0",
            "_sc|up|1",
            "_sc|up|2",
            "_sc|up|3",
            "_e{1,0}:t|",
            "_e{1,1}:t|x|p:normal",
            "_e{1,1}:t|x|t:error",
            "_e{1,1}:t|x|t:warning",
            "_e{1,1}:t|x|t:info",
        ]
    );
    for line in &lines {
        collector_tests::parse_any(line.as_str()).unwrap();
    }
}

#[test]
fn checks_and_events_are_kept_in_order_and_never_aggregated() {
    let ((), lines) = testing::capture(|| {
        let collector = Collector::builder().tag("job:a").build();
        {
            let _current = collector.enter();
            collector_runtime::event(Event::new("retry", "1"));
            collector_runtime::service_check(ServiceCheck::new("a", Status::Ok));
        }
        collector.event(Event::new("retry", "1"));
        collector.flush();
        assert!(collector.is_empty());
        collector.flush();
    });
    assert_eq!(
        lines,
        [
            "_e{5,1}:retry|1|#job:a",
            "_sc|a|0|#job:a",
            "_e{5,1}:retry|1|#job:a"
        ]
    );
}

const HOSTILE: &[&str] = &[
    "a|b",
    "#x:1",
    "line\nbreak",
    "m:inner|#evil:tag\nfake:1|c",
    "\r\n|\n",
    "名前|値🙂",
    "\\n",
];

#[test]
fn hostile_text_never_breaks_a_datagram_or_another_line() {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&errors);
    let (datagrams, sent) = over_udp(|client| {
        let collector = Collector::builder()
            .client(client)
            .tag("base:1")
            .error_handler(move |e| seen.lock().unwrap().push(e.to_string()))
            .build();
        for text in HOSTILE {
            collector.incr("before", ());
            collector.service_check(
                ServiceCheck::new(text, Status::Critical)
                    .tags(&[*text, "k:v"])
                    .tags(&[(*text, *text)])
                    .hostname(text)
                    .message(*text),
            );
            collector.event(
                Event::new(*text, *text)
                    .tags(&[*text])
                    .hostname(text)
                    .aggregation_key(text)
                    .source_type(text),
            );
        }
        collector.flush();
    });
    for datagram in &datagrams {
        assert!(datagram.len() <= 1432, "{}", datagram.len());
    }
    let checks: Vec<_> = sent
        .iter()
        .filter(|s| matches!(s, Sent::Check(_)))
        .collect();
    let events: Vec<_> = sent
        .iter()
        .filter(|s| matches!(s, Sent::Event(_)))
        .collect();
    let metrics = sent.iter().filter(|s| matches!(s, Sent::Metric(_))).count();
    // The check named "\r\n|\n" has no letter or digit: refused, reported.
    let named = HOSTILE.len() - 1;
    assert_eq!(
        (checks.len(), events.len(), metrics),
        (named, HOSTILE.len(), 1)
    );
    for (text, sent) in HOSTILE.iter().zip(&events) {
        let Sent::Event(event) = sent else {
            unreachable!()
        };
        // What was sent is read back as the text given, every control
        // character but the line break as a space; only a written `\n`
        // cannot be told from an escaped line break.
        if !text.contains("\\n") {
            let given: String = text
                .chars()
                .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
                .collect();
            assert_eq!(event.title, given);
            assert_eq!(event.text, given);
        }
        assert!(event.tags.contains(&"base:1".to_owned()));
    }
    for sent in &checks {
        let Sent::Check(check) = sent else {
            unreachable!()
        };
        assert_eq!(check.status, 2);
        assert!(check.tags.contains(&"k:v".to_owned()), "{check:?}");
        assert!(!check.message.as_deref().unwrap().contains('|'));
    }
    // Names with no letter or digit are refused, and nothing else is.
    assert!(errors.lock().unwrap().iter().all(|e| e.contains("refused")));
}

#[test]
fn the_lengths_of_an_event_are_the_bytes_sent() {
    let ((), lines) = testing::capture(|| {
        collector_runtime::event(Event::new("ünïcødé ✓", "a\nb|c 🙂"));
    });
    let line = lines[0].as_str();
    assert_eq!(line, "_e{15,11}:ünïcødé ✓|a\\nb|c 🙂");
    let event = parse_event(line).unwrap();
    assert_eq!(
        (event.title.as_str(), event.text.as_str()),
        ("ünïcødé ✓", "a\nb|c 🙂")
    );
}

#[test]
fn a_text_longer_than_a_payload_is_cut_whole_into_one_datagram_and_reported() {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&errors);
    let long = "é".repeat(5_000) + "x"; // 10 KB of two-byte characters
    let (datagrams, sent) = over_udp(|client| {
        let collector = Collector::builder()
            .client(client)
            .error_handler(move |e| {
                if let Error::Cut {
                    what, len, sent, ..
                } = e
                {
                    seen.lock().unwrap().push((*what, *len, *sent));
                }
            })
            .build();
        collector.incr("before", ());
        collector.event(Event::new("big", long.as_str()));
        collector.service_check(ServiceCheck::new("big", Status::Critical).message(long.as_str()));
        collector.event(Event::new(long.as_str(), "x"));
        collector.incr("after", ());
        collector.flush();
    });
    assert_eq!(sent.len(), 5, "{sent:?}");
    for datagram in &datagrams {
        assert!(datagram.len() <= 1432, "{}", datagram.len());
    }
    // The checks and events in the order recorded; the series go out with
    // the client's aggregated lines, which the sender may drain before or
    // after the notices are queued.
    let (metrics, notices): (Vec<&Sent>, Vec<&Sent>) =
        sent.iter().partition(|s| matches!(s, Sent::Metric(_)));
    assert_eq!(metrics.len(), 2, "{sent:?}");
    let Sent::Event(event) = notices[0] else {
        panic!()
    };
    assert!(event.text.len() > 1300 && event.text.chars().all(|c| c == 'é'));
    let Sent::Check(check) = notices[1] else {
        panic!()
    };
    assert!(check.message.as_ref().unwrap().chars().all(|c| c == 'é'));
    let Sent::Event(titled) = notices[2] else {
        panic!()
    };
    assert!(titled.title.len() > 1300 && titled.title.chars().all(|c| c == 'é'));
    let cuts = errors.lock().unwrap().clone();
    let whats: Vec<_> = cuts.iter().map(|c| c.0).collect();
    assert_eq!(
        whats,
        ["event text", "service check message", "event title"]
    );
    assert!(cuts
        .iter()
        .all(|&(_, len, sent)| len == 10_001 && sent < 1432));
}

#[test]
fn a_check_and_an_event_still_go_out_when_the_collector_is_full() {
    let ((), lines) = testing::capture(|| {
        let collector = Collector::builder().max_series(2).build();
        for n in 0..5 {
            collector.incr("q", &[("n", n.to_string())]);
        }
        collector.service_check(ServiceCheck::new("full", Status::Ok));
        collector.event(Event::new("full", "still here"));
        let report = collector.flush();
        assert_eq!(report.records_dropped, 3);
    });
    assert_eq!(
        lines,
        [
            "q:1|c|#n:0",
            "q:1|c|#n:1",
            "_sc|full|0",
            "_e{4,10}:full|still here",
            "collector.records_dropped:3|c",
        ]
    );
}

#[test]
fn outside_any_collector_they_go_out_at_once() {
    let ((), lines) = testing::capture(|| {
        collector_runtime::service_check(ServiceCheck::new("lonely", Status::Ok).tags(&["a:1"]));
        collector_runtime::event(Event::new("lonely", ""));
    });
    assert_eq!(lines, ["_sc|lonely|0|#a:1", "_e{6,0}:lonely|"]);
    parse_check(lines[0].as_str()).unwrap();
}

#[test]
fn an_unusable_name_or_an_empty_title_is_refused_and_reported() {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&errors);
    let ((), lines) = testing::capture(|| {
        let collector = Collector::builder()
            .error_handler(move |e| seen.lock().unwrap().push(e.to_string()))
            .build();
        collector.service_check(ServiceCheck::new("|||", Status::Ok));
        collector.event(Event::new("", "text"));
        collector.flush();
    });
    assert!(lines.is_empty(), "{lines:?}");
    let errors = errors.lock().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[1].contains("title is empty"));
}

mod properties {
    use collector_tests::oracle::TagIn;
    use collector_tests::oracle_notices::{check_notices, NoticeIn};
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z|#:,\\n\\\\ é名🙂]{0,40}",
            Just("x|#y:1\nz:1|c".to_owned()),
            (0usize..3000).prop_map(|n| "é|\n".repeat(n)),
        ]
    }

    /// Names, tags and the short fields: hostile, but short. (Only free
    /// text is cut to fit a payload; a line whose tags alone outgrow one is
    /// sent alone, as a series line is.)
    fn short() -> impl Strategy<Value = String> {
        "[a-z|#:,\\n\\\\ é名🙂]{0,40}"
    }

    fn tag() -> impl Strategy<Value = TagIn> {
        prop_oneof![
            short().prop_map(TagIn::Whole),
            (short(), short()).prop_map(|(k, v)| TagIn::Pair(k, v)),
        ]
    }

    fn notice() -> impl Strategy<Value = NoticeIn> {
        let check = (short(), any::<u8>(), prop::collection::vec(tag(), 0..4)).prop_flat_map(
            |(name, status, tags)| {
                (prop::option::of(text()), prop::option::of(short())).prop_map(
                    move |(message, hostname)| NoticeIn::Check {
                        name: name.clone(),
                        status,
                        tags: tags.clone(),
                        message,
                        hostname,
                    },
                )
            },
        );
        let event = (text(), text(), prop::collection::vec(tag(), 0..4)).prop_flat_map(
            |(title, text_, tags)| {
                (
                    prop::option::of(short()),
                    prop::option::of(short()),
                    prop::option::of(short()),
                )
                    .prop_map(move |(hostname, aggregation_key, source_type)| {
                        NoticeIn::Event {
                            title: title.clone(),
                            text: text_.clone(),
                            tags: tags.clone(),
                            hostname,
                            aggregation_key,
                            source_type,
                        }
                    })
            },
        );
        prop_oneof![check, event]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_check_or_event_reads_back_as_the_rules_predict(
            base in prop::collection::vec(tag(), 0..3),
            notices in prop::collection::vec(notice(), 0..6),
        ) {
            if let Err(why) = check_notices(&base, &notices) {
                panic!("{why}");
            }
        }
    }
}
