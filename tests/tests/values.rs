//! Numbers as users hold them: every primitive integer and float reaches the
//! wire as the number it is, through the free functions and the collector's
//! methods alike, read back over a real socket by the independent parser.

use std::collections::BTreeMap;

use collector_runtime::Collector;
use collector_tests::{by_series, parse_all, series, SeriesId, UdpReceiver};

/// The lines one flush sent, as text (a hand-over may hold several lines,
/// and a buffered sink ends each with a newline).
fn flushed(
    receiver: &UdpReceiver,
    collector: &Collector,
) -> (Vec<String>, BTreeMap<SeriesId, f64>) {
    let report = collector.flush();
    assert_eq!(report.errors, 0, "{report:?}");
    let datagrams = receiver.datagrams(std::time::Duration::from_millis(200));
    let text: Vec<String> = datagrams
        .iter()
        .flat_map(|d| {
            String::from_utf8(d.clone())
                .unwrap()
                .split('\n')
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let by = by_series(&parse_all(&datagrams)).unwrap_or_else(|e| panic!("{e}"));
    (text, by)
}

#[test]
fn counts_of_every_integer_type_are_sent_exactly_or_saturated() {
    let receiver = UdpReceiver::bind();
    let collector = Collector::builder().client(receiver.client()).build();
    let rows: Vec<u8> = vec![1, 2, 3];
    {
        let _current = collector.enter();
        collector_runtime::count("usize", rows.len(), ());
        collector_runtime::count("u64", 40u64, ());
        collector_runtime::count("i32", -7i32, ());
        collector_runtime::count("i64.min", i64::MIN, ());
        // Outside the counter's range: saturated to i64::MAX, not wrapped.
        collector_runtime::count("u64.max", u64::MAX, ());
        collector_runtime::count("i128.min", i128::MIN, ());
    }
    collector.count("method.u16", 9u16, ());
    collector.count("method.isize", -2isize, ());

    let (mut lines, _) = flushed(&receiver, &collector);
    lines.sort();
    assert_eq!(
        lines,
        [
            "i128.min:-9223372036854775808|c",
            "i32:-7|c",
            "i64.min:-9223372036854775808|c",
            "method.isize:-2|c",
            "method.u16:9|c",
            "u64.max:9223372036854775807|c",
            "u64:40|c",
            "usize:3|c",
        ]
    );
}

#[test]
fn values_of_every_integer_and_float_type_are_sent_as_numbers() {
    let receiver = UdpReceiver::bind();
    let collector = Collector::builder().client(receiver.client()).build();
    let bytes: u64 = 2048;
    let rows: usize = 17;
    {
        let _current = collector.enter();
        collector_runtime::histogram("rows", rows, ());
        collector_runtime::histogram("rows", 3u8, ());
        collector_runtime::gauge("bytes", bytes, ());
        collector_runtime::distribution("ratio", 0.1f32, ());
        collector_runtime::gauge("temperature", -3.5f32, ());
        collector_runtime::histogram("small", i32::MIN, ());
        // Above 2^53, the nearest f64, as documented.
        collector_runtime::gauge("huge", u64::MAX, ());
    }
    // -2^63 is an f64 exactly; its shortest text has zeros for low digits.
    collector.histogram("method.i64", i64::MIN, ());
    collector.distribution("method.f32", 2.7f32, ());
    collector.gauge("method.u128", u128::from(u32::MAX), ());

    let (mut lines, by) = flushed(&receiver, &collector);
    lines.sort();
    assert_eq!(
        lines,
        [
            "bytes:2048|g",
            "huge:18446744073709552000|g",
            "method.f32:2.7|d",
            "method.i64:-9223372036854776000|h",
            "method.u128:4294967295|g",
            "ratio:0.1|d",
            "rows:20|h",
            "small:-2147483648|h",
            "temperature:-3.5|g",
        ]
    );
    assert_eq!(by[&series("g", "huge", &[])], 1.8446744073709552e19);
}

#[test]
fn no_tags_in_every_accepted_spelling_name_one_series() {
    let receiver = UdpReceiver::bind();
    let collector = Collector::builder().client(receiver.client()).build();
    const NO_TAGS: [&str; 0] = [];
    {
        let _current = collector.enter();
        collector_runtime::incr("empty", ());
        collector_runtime::incr("empty", &[] as &[&str]);
        collector_runtime::incr("empty", NO_TAGS);
        collector_runtime::incr("empty", &NO_TAGS);
        collector_runtime::incr("empty", Vec::<String>::new());
        collector_runtime::incr("empty", [("k", "v"); 0]);
    }
    let (lines, _) = flushed(&receiver, &collector);
    assert_eq!(lines, ["empty:6|c"]);
}

#[test]
fn a_timing_the_wire_cannot_carry_is_refused_with_an_error_and_the_rest_is_sent() {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    let receiver = UdpReceiver::bind();
    let refused = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&refused);
    let collector = Collector::builder()
        .client(receiver.client())
        .error_handler(move |error| {
            if let collector_runtime::Error::DurationOutOfRange { name, .. } = error {
                seen.lock().unwrap().push(name.clone());
            }
        })
        .build();
    // u64::MAX nanoseconds (about 584 years) and more are refused; just
    // under it is sent, and two of those adding up past it are refused at
    // the flush, like finite values adding up to an infinity.
    let under = Duration::from_nanos(u64::MAX - 1_000);
    {
        let _current = collector.enter();
        collector_runtime::timing("most", Duration::from_nanos(u64::MAX), ());
        collector_runtime::timing("beyond", Duration::MAX, ());
        collector_runtime::timing("under", under, ());
        collector_runtime::timing("twice", under, ());
        collector_runtime::timing("twice", under, ());
        collector_runtime::timing("fine", Duration::from_micros(384), ());
    }
    let report = collector.flush();
    assert_eq!(report.errors, 1, "the sum refused at the flush: {report:?}");
    collector_runtime::wait_for_delivery();
    let datagrams = receiver.datagrams(std::time::Duration::from_millis(200));
    let mut lines: Vec<String> = datagrams
        .iter()
        .flat_map(|d| {
            String::from_utf8(d.clone())
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    lines.sort();
    // 18446744073709550615 ns, in milliseconds rounded to the microsecond.
    assert_eq!(lines, ["fine:0.384|ms", "under:18446744073709.551|ms"]);
    let mut refused = refused.lock().unwrap().clone();
    refused.sort();
    assert_eq!(refused, ["beyond", "most", "twice"]);
}
