//! The bytes aggregation across executions puts on the wire: calls within
//! one flush interval send one line per counter context, and a packed
//! histogram sample costs its digits and a `:`. Real UDP socket, the
//! default transport, the independent parser.
//!
//! One test in this binary: a test thread of another test ending while
//! this one runs would drain the client's aggregator (a thread that ends
//! waits for every outbox), splitting its one interval in two.

use std::time::Duration;

use collector_runtime::{
    collect_metrics, config::Target, config::UDP_PAYLOAD, Client, ClientConfig,
};
use collector_tests::{parse_all, Line, UdpReceiver};

fn client_for(receiver: &UdpReceiver, multi_value: bool) -> Client {
    ClientConfig::new(Target::Udp {
        host: receiver.addr().ip().to_string(),
        port: receiver.addr().port(),
    })
    .tags(["env:test"])
    // One interval longer than the test: the flush at the end sends it.
    .flush_interval(Duration::from_secs(600))
    .multi_value(multi_value)
    .build()
    .unwrap()
}

#[collect_metrics(name = "bytes", client = client)]
fn ten_counters(client: &Client, id: u64) {
    for s in 0..10 {
        collector_runtime::count(&format!("bytes.s{s}"), id % 3 + 1, ());
    }
}

fn calls_within_one_interval_send_one_line_per_counter_context() {
    let receiver = UdpReceiver::bind();
    let client = client_for(&receiver, true);
    for id in 0..10_000 {
        ten_counters(&client, id);
    }
    collector_runtime::wait_for_delivery();
    let lines = parse_all(&receiver.datagrams(Duration::from_millis(300)));
    assert_eq!(lines.len(), 10, "{lines:?}");
    let sum: u64 = (0..10_000).map(|id| id % 3 + 1).sum();
    for line in &lines {
        assert_eq!(
            (line.kind.as_str(), line.values.as_slice()),
            ("c", &[sum as f64][..])
        );
    }
}

#[collect_metrics(name = "digits", client = client)]
fn one_sample(client: &Client, id: u64) {
    collector_runtime::histogram("h", id % 10, ());
}

fn a_packed_sample_costs_its_digits_and_a_colon_and_lines_split_only_at_the_payload() {
    let receiver = UdpReceiver::bind();
    let client = client_for(&receiver, true);
    const SAMPLES: u64 = 3_000;
    for id in 0..SAMPLES {
        one_sample(&client, id);
    }
    collector_runtime::wait_for_delivery();
    let datagrams = receiver.datagrams(Duration::from_millis(300));
    let lines: Vec<&str> = datagrams
        .iter()
        .flat_map(|d| std::str::from_utf8(d).unwrap().split('\n'))
        .collect();
    let suffix = "|h|#env:test";
    let mut values = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let packed = line
            .strip_prefix("h")
            .and_then(|rest| rest.strip_suffix(suffix))
            .unwrap_or_else(|| panic!("{line}"));
        // `:d` per sample: one digit and one colon.
        assert_eq!(packed.len() % 2, 0, "{line}");
        values.extend(packed.split(':').skip(1).map(|v| v.parse::<u64>().unwrap()));
        // A line ends short of a payload only when it is the last.
        if at + 1 < lines.len() {
            assert!(line.len() + 2 > UDP_PAYLOAD - 1, "{} bytes", line.len());
        }
    }
    values.sort_unstable();
    let mut want: Vec<u64> = (0..SAMPLES).map(|id| id % 10).collect();
    want.sort_unstable();
    assert_eq!(values, want);
    let bytes: usize = lines.iter().map(|line| line.len()).sum();
    assert_eq!(
        bytes,
        lines.len() * (1 + suffix.len()) + 2 * SAMPLES as usize
    );
}

fn without_packing_each_sample_is_a_line_and_counters_still_merge() {
    let receiver = UdpReceiver::bind();
    let client = client_for(&receiver, false);
    for id in 0..500 {
        one_sample(&client, id);
        ten_counters(&client, id);
    }
    collector_runtime::wait_for_delivery();
    let lines = parse_all(&receiver.datagrams(Duration::from_millis(300)));
    let histograms: Vec<&Line> = lines.iter().filter(|l| l.kind == "h").collect();
    assert_eq!(histograms.len(), 500);
    assert!(histograms.iter().all(|l| l.values.len() == 1));
    assert_eq!(lines.iter().filter(|l| l.kind == "c").count(), 10);
}

#[test]
fn one_line_per_context_per_interval_and_a_sample_costs_its_digits() {
    calls_within_one_interval_send_one_line_per_counter_context();
    a_packed_sample_costs_its_digits_and_a_colon_and_lines_split_only_at_the_payload();
    without_packing_each_sample_is_a_line_and_counters_still_merge();
}
