//! Property tests: arbitrary names, tags and values go in; every flushed
//! datagram parses back, line for line, to exactly the series the
//! independent model (`collector_tests::oracle`) expects under the
//! documented sanitizing rules, and every refusal reaches the handler.
//!
//! Case counts are moderate (256 to 512 per property) so the suite stays
//! within a few seconds on two cores.

use cadence::SpyMetricSink;
use collector_runtime::collect_metrics;
use collector_runtime::tags::{sanitize_name, sanitize_tag};
use collector_runtime::Client;
use collector_tests::oracle::{check, clean_chars, clean_name, clean_tag, Record, TagIn, Value};
use collector_tests::parse_datagram;
use proptest::prelude::*;

/// Characters that matter to DogStatsD or to sanitizing, and Unicode letters,
/// digits and non-alphanumerics, so that distinct inputs often clean to the
/// same text and must fold into one series.
const HOSTILE: &[char] = &[
    'a', 'b', 'Z', '0', '9', ':', '|', ',', '#', '@', ' ', '\n', '\r', '\t', '\0', '_', '-', '/',
    '.', 'é', 'ß', '名', '٣', '🙂', '\u{200b}', '\u{7f}', '=', '"',
];

/// A string of hostile characters, any Unicode (controls included), or a
/// long one.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(prop::sample::select(HOSTILE), 0..8)
            .prop_map(String::from_iter),
        2 => prop::collection::vec(any::<char>(), 0..12).prop_map(String::from_iter),
        1 => Just(String::new()),
        1 => (prop::sample::select(HOSTILE), 500..3000usize)
            .prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
    ]
}

fn tag() -> impl Strategy<Value = TagIn> {
    prop_oneof![
        3 => text().prop_map(TagIn::Whole),
        1 => (text(), text()).prop_map(|(k, v)| TagIn::Pair(k, v)),
    ]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => -1e6..1e6f64,
        1 => prop::sample::select(vec![
            f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f64::MAX, f64::MIN,
            f64::MIN_POSITIVE, -f64::MIN_POSITIVE, 5e-324, 0.0, -0.0, 1e300, -1e300,
        ]),
        1 => any::<f64>(),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Count),
        (-1000..1000i64).prop_map(Value::Count),
        float().prop_map(Value::Histogram),
        float().prop_map(Value::Distribution),
        float().prop_map(Value::Gauge),
        any::<u32>().prop_map(Value::TimingMicros),
    ]
}

/// Records drawn from small pools of names and tags, so that series repeat
/// and fold, in any order and with repeats.
fn records() -> impl Strategy<Value = (Vec<TagIn>, Vec<Record>)> {
    (
        prop::collection::vec(text(), 1..4),
        prop::collection::vec(tag(), 1..8),
        prop::collection::vec(tag(), 0..3),
    )
        .prop_flat_map(|(names, tags, base)| {
            let record = (
                prop::sample::select(names),
                prop::collection::vec(prop::sample::select(tags), 0..6),
                value(),
                any::<bool>(),
            )
                .prop_map(|(name, tags, value, free_fn)| Record {
                    name,
                    tags,
                    value,
                    free_fn,
                });
            (Just(base), prop::collection::vec(record, 1..40))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The runtime's public sanitizers agree with the documented rule.
    #[test]
    fn sanitizers_follow_the_documented_rule(s in text()) {
        let tag = sanitize_tag(&s);
        let name = sanitize_name(&s);
        prop_assert_eq!(tag.as_ref(), clean_tag(&s));
        prop_assert_eq!(name.as_ref(), clean_name(&s));
        prop_assert_eq!(tag.chars().count(), s.chars().count());
        for forbidden in ['|', ',', '#', '@', ' ', '\n', '\r'] {
            prop_assert!(!tag.contains(forbidden) && !name.contains(forbidden));
        }
        prop_assert!(!name.contains(':'));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    /// Whatever is recorded, the flush sends exactly the model's lines: no
    /// extra line, no extra tag, every value finite, every refusal reported.
    #[test]
    fn every_datagram_parses_back_to_the_recorded_series((base, records) in records()) {
        if let Err(why) = check(&base, &records) {
            prop_assert!(false, "{}\nbase: {:?}\nrecords: {:?}", why, base, records);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A tag value built from user input cannot start a metric or a tag:
    /// each record stays one line with exactly its own tags.
    #[test]
    fn injected_separators_never_add_a_line_or_a_tag(
        user in prop::collection::vec(prop::sample::select(HOSTILE), 0..64)
            .prop_map(String::from_iter),
        n in 1..4usize,
    ) {
        let records: Vec<Record> = (0..n)
            .map(|i| Record {
                name: format!("req{i}"),
                tags: vec![
                    TagIn::Pair("user".into(), user.clone()),
                    TagIn::Whole(format!("raw:{user}")),
                ],
                value: Value::Count(1),
                free_fn: i % 2 == 0,
            })
            .collect();
        let observed = check(&[], &records).map_err(TestCaseError::fail)?;
        prop_assert_eq!(observed.lines, n);
        prop_assert_eq!(observed.errors, 0);
    }
}

/// A handler whose call tag comes from user input, formatted by the
/// attribute when the call starts.
#[collect_metrics(name = "handler", tags(user = user), client = client, outcome)]
fn handler(client: &Client, user: &str, fail: bool) -> Result<u8, String> {
    collector_runtime::incr("handler.hits", ());
    if fail {
        Err(user.to_owned())
    } else {
        Ok(1)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A user-controlled value in an attribute's `tags(key = expr)` stays
    /// one sanitized tag beside the outcome: one line, two tags.
    #[test]
    fn an_attribute_tag_from_user_input_stays_one_tag(user in text(), fail in any::<bool>()) {
        let (received, sink) = SpyMetricSink::new();
        let client = Client::new(sink);
        let result = handler(&client, &user, fail);
        prop_assert_eq!(result.is_err(), fail);
        collector_runtime::wait_for_delivery();
        let lines: Vec<_> = received
            .try_iter()
            .map(|d| parse_datagram(&d).map_err(TestCaseError::fail))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        let lines: Vec<_> = lines
            .into_iter()
            .filter(|line| line.name != "collector.lines_dropped")
            .collect();
        let outcome = if fail { "outcome:error" } else { "outcome:ok" };
        let want = [outcome.to_owned(), format!("user:{}", clean_chars(&user))];
        // A tag too long for a payload: the line is refused alone, counted.
        let written = "handler.hits:1|c|#".len() + want[0].len() + 1 + want[1].len();
        if written > 1432 - 1 {
            prop_assert!(lines.is_empty(), "{:?}", lines);
            return Ok(());
        }
        prop_assert_eq!(lines.len(), 1, "{:?}", lines);
        prop_assert_eq!(&lines[0].name, "handler.hits");
        prop_assert_eq!(&lines[0].tags[..], &want[..]);
    }
}
