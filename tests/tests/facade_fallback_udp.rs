//! The `metrics` facade over real UDP sockets: a library that knows only
//! `metrics` (`instrumented-lib`), called three times inside an annotated
//! call, is sent as one line per series with the call's base tags; called
//! outside any call, it goes to the fallback recorder,
//! `metrics-exporter-dogstatsd`, which sends on its own interval. Both
//! receivers are read with the independent parser.
//!
//! The recorder is installed per test with `metrics::with_local_recorder`,
//! so the tests of this binary run in parallel without sharing it.

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use collector_runtime::{collect_metrics, metrics::MetricsRecorder};
use collector_tests::{by_series, series, Line, SeriesId, UdpReceiver};
use metrics_exporter_dogstatsd::DogStatsDBuilder;

/// The exporter's flush interval.
const INTERVAL: Duration = Duration::from_millis(50);

/// A loopback socket the exporter sends to. The exporter sends its gauges
/// again at every interval, so it is read for a fixed window rather than
/// until quiet.
struct ExporterAgent(UdpSocket);

impl ExporterAgent {
    fn bind() -> ExporterAgent {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind loopback UDP");
        socket
            .set_read_timeout(Some(Duration::from_millis(10)))
            .expect("read timeout");
        ExporterAgent(socket)
    }

    /// Every line received during `window` (several intervals), parsed.
    fn lines_for(&self, window: Duration) -> Vec<Line> {
        let deadline = Instant::now() + window;
        let mut buf = vec![0u8; 65_536];
        let mut lines = Vec::new();
        while Instant::now() < deadline {
            if let Ok(n) = self.0.recv(&mut buf) {
                lines.extend(unpacked(std::str::from_utf8(&buf[..n]).expect("UTF-8")));
            }
        }
        lines
    }
}

/// Parses a datagram of the exporter, which packs several values of one
/// series in one line (`name:v1:v2|h`, DogStatsD protocol 1.1): each value
/// becomes a line of its own for the independent parser.
fn unpacked(datagram: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    for line in datagram.split('\n').filter(|line| !line.is_empty()) {
        let (head, rest) = line.split_once('|').expect("a type field");
        let mut parts = head.split(':');
        let name = parts.next().expect("a name");
        for value in parts {
            let one = format!("{name}:{value}|{rest}");
            lines.push(collector_tests::parse_line(&one).unwrap_or_else(|e| panic!("{e}")));
        }
    }
    lines
}

/// `MetricsRecorder` falling back on a DogStatsD exporter aimed at
/// `exporter`, histograms sent as histograms.
fn recorder_over(exporter: &ExporterAgent) -> MetricsRecorder {
    let addr = exporter.0.local_addr().expect("local addr");
    let fallback = DogStatsDBuilder::default()
        .with_remote_address(addr.to_string())
        .expect("exporter address")
        .with_telemetry(false)
        .with_flush_interval(INTERVAL)
        .send_histograms_as_distributions(false)
        .build()
        .expect("build the exporter");
    MetricsRecorder::with_fallback(fallback)
}

/// Three batches into two tables, through the library only.
fn three_batches() {
    instrumented_lib::import_batch("orders", &[10, 20]);
    instrumented_lib::import_batch("orders", &[30]);
    instrumented_lib::import_batch("users", &[1, 2, 3]);
}

#[collect_metrics(name = "import", tags("job:import"), client = agent.client())]
fn import(agent: &UdpReceiver) {
    three_batches();
}

/// Lines the exporter sent, folded by series the way an agent reads them
/// over one interval: counters and histograms summed, gauges last.
fn folded(lines: &[Line]) -> BTreeMap<SeriesId, f64> {
    let mut out = BTreeMap::new();
    for line in lines {
        let held = out.entry(line.series()).or_insert(0.0);
        *held = if line.kind == "g" {
            line.value
        } else {
            *held + line.value
        };
    }
    out
}

#[test]
fn inside_an_annotated_call_the_library_is_sent_once_per_series_with_the_calls_tags() {
    let agent = UdpReceiver::bind();
    let exporter = ExporterAgent::bind();
    let recorder = recorder_over(&exporter);

    metrics::with_local_recorder(&recorder, || import(&agent));

    let lines = agent.lines();
    let sent = by_series(&lines).expect("one line per series");
    let expected = BTreeMap::from([
        (
            series("c", "lib.rows", &["job:import", "table:orders"]),
            3.0,
        ),
        (series("c", "lib.rows", &["job:import", "table:users"]), 3.0),
        (
            series("h", "lib.bytes", &["job:import", "table:orders"]),
            60.0,
        ),
        (
            series("h", "lib.bytes", &["job:import", "table:users"]),
            6.0,
        ),
        (series("g", "lib.last_rows", &["job:import"]), 3.0),
        // Incremented and decremented in each batch: back to 0.
        (series("g", "lib.in_flight", &["job:import"]), 0.0),
    ]);
    assert_eq!(sent, expected);
    // Nothing went to the fallback: its interval passes with nothing sent.
    let stray = exporter.lines_for(INTERVAL * 6);
    assert!(stray.is_empty(), "the fallback received {stray:?}");
}

#[test]
fn outside_any_call_the_library_goes_to_the_fallback_recorder() {
    let agent = UdpReceiver::bind();
    let exporter = ExporterAgent::bind();
    let recorder = recorder_over(&exporter);

    metrics::with_local_recorder(&recorder, three_batches);

    let lines = exporter.lines_for(INTERVAL * 8);
    let expected = BTreeMap::from([
        (series("c", "lib.rows", &["table:orders"]), 3.0),
        (series("c", "lib.rows", &["table:users"]), 3.0),
        // The exporter sends each histogram value; summed here.
        (series("h", "lib.bytes", &["table:orders"]), 60.0),
        (series("h", "lib.bytes", &["table:users"]), 6.0),
        (series("g", "lib.last_rows", &[]), 3.0),
        (series("g", "lib.in_flight", &[]), 0.0),
    ]);
    assert_eq!(folded(&lines), expected);
    // The annotated call's client is not involved.
    assert!(agent
        .datagrams_within(Duration::from_millis(100), Duration::from_millis(50))
        .is_empty());
}

#[test]
fn a_handle_cached_outside_records_into_the_call_it_is_used_in() {
    let agent = UdpReceiver::bind();
    let exporter = ExporterAgent::bind();
    let recorder = recorder_over(&exporter);

    #[collect_metrics(name = "job", tags("job:cached"), client = agent.client())]
    fn job(agent: &UdpReceiver, rows: &metrics::Counter) {
        rows.increment(2);
        rows.increment(3);
    }

    // Registered with no call current (as a library caching it in a struct
    // at start-up would), then used in a call, then outside one.
    let rows = metrics::with_local_recorder(
        &recorder,
        || metrics::counter!("lib.cached", "table" => "orders"),
    );
    job(&agent, &rows);
    rows.increment(7);

    let sent = by_series(&agent.lines()).expect("one line per series");
    assert_eq!(
        sent,
        BTreeMap::from([(
            series("c", "lib.cached", &["job:cached", "table:orders"]),
            5.0
        )])
    );
    let lines = exporter.lines_for(INTERVAL * 8);
    assert_eq!(
        folded(&lines),
        BTreeMap::from([(series("c", "lib.cached", &["table:orders"]), 7.0)])
    );
}
