//! The line on the wire, written by this crate: every metric type's exact
//! bytes through a real loopback UDP socket, timers in milliseconds with
//! microsecond precision (free function and `#[collect_metrics(timing)]`),
//! one tag rule for every source, and the origin fields present exactly when
//! the environment asks for them.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use cadence::UdpMetricSink;
use collector_runtime::{collect_metrics, Client, Collector};
use collector_tests::{is_child, parse_datagram, run_child, Line, UdpReceiver};

/// A client sending one datagram per hand-over to `receiver`.
fn udp_client(receiver: &UdpReceiver) -> Client {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    Client::new(UdpMetricSink::from(receiver.addr(), socket).unwrap())
}

/// Every datagram that arrives within a short quiet period, as text.
fn received(receiver: &UdpReceiver) -> Vec<String> {
    receiver
        .datagrams(Duration::from_millis(200))
        .into_iter()
        .map(|d| String::from_utf8(d).unwrap())
        .collect()
}

#[test]
fn every_metric_type_has_its_exact_bytes_on_the_wire() {
    let receiver = UdpReceiver::bind();
    let client = udp_client(&receiver).prefix("app").tag(("team", "core"));
    let collector = Collector::builder().client(client).tag("job:x").build();
    collector.count("rows", 250, &[("table", "users")]);
    collector.count("rows", -50, &["table:users"]);
    collector.histogram("query.size", 2.5, ());
    collector.histogram("query.size", 1, ());
    collector.distribution("payload", 0.1, &["codec:gzip"]);
    collector.distribution("payload", 0.2, &["codec:gzip"]);
    collector.timing("db.wait", Duration::from_micros(1_200), ());
    collector.timing("db.wait", Duration::from_micros(1_500), ());
    collector.gauge("depth", 3, ());
    collector.gauge("depth", -7.25, ());
    collector.histogram("huge", 1.5e300, ());
    let report = collector.flush();
    assert_eq!((report.series_sent, report.errors), (6, 0));
    assert_eq!(
        received(&receiver),
        ["app.rows:200|c|#job:x,table:users,team:core\n\
          app.query.size:3.5|h|#job:x,team:core\n\
          app.payload:0.30000000000000004|d|#codec:gzip,job:x,team:core\n\
          app.db.wait:2.7|ms|#job:x,team:core\n\
          app.depth:-7.25|g|#job:x,team:core\n\
          app.huge:1.5e300|h|#job:x,team:core"]
    );
}

#[test]
fn timers_are_milliseconds_with_microsecond_precision() {
    let receiver = UdpReceiver::bind();
    let collector = Collector::builder().client(udp_client(&receiver)).build();
    {
        let _current = collector.enter();
        collector_runtime::timing("fast", Duration::from_micros(384), ());
        collector_runtime::timing("handler", Duration::from_micros(2_700), ());
        collector_runtime::timing("job", Duration::from_millis(1_500), ());
        collector_runtime::timing("rounded", Duration::from_nanos(2_699_501), ());
    }
    collector.flush();
    assert_eq!(
        received(&receiver),
        ["fast:0.384|ms\nhandler:2.7|ms\njob:1500|ms\nrounded:2.7|ms"]
    );
}

/// Busy-waits `at_least`, so the call lasts that long on any machine.
fn spin(at_least: Duration) {
    let started = Instant::now();
    while started.elapsed() < at_least {
        std::hint::spin_loop();
    }
}

#[collect_metrics(name = "fast.call", timing, client = client)]
fn fast_call(client: &Client) {
    spin(Duration::from_micros(384));
}

#[collect_metrics(name = "slower.call", timing, client = client)]
fn slower_call(client: &Client) {
    spin(Duration::from_micros(2_700));
}

/// The duration line's value as sent, checked to be milliseconds with at
/// most three decimals.
fn duration_text(lines: &[String], name: &str) -> f64 {
    let line = lines
        .iter()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} in {lines:?}"));
    let text = line[name.len() + 1..].split('|').next().unwrap();
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
    assert!(decimals <= 3, "{line}: more than microsecond precision");
    assert!(line.ends_with("|ms"), "{line}");
    text.parse().unwrap()
}

#[test]
fn the_attributes_timing_keeps_the_sub_millisecond_part() {
    let receiver = UdpReceiver::bind();
    let client = udp_client(&receiver);
    fast_call(&client);
    slower_call(&client);
    let lines: Vec<String> = received(&receiver)
        .iter()
        .flat_map(|d| d.lines().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    // Whole milliseconds would send 0 and 2.
    let fast = duration_text(&lines, "fast.call.duration");
    assert!((0.384..1000.0).contains(&fast), "{lines:?}");
    let slower = duration_text(&lines, "slower.call.duration");
    assert!((2.7..1000.0).contains(&slower), "{lines:?}");
}

#[collect_metrics(name = "merge", tags("env:prod", region = "eu"), outcome, client = client)]
fn tagged_call(client: &Client) -> Result<(), ()> {
    collector_runtime::incr("merge.rows", &["zone:b", "env:prod", "region:eu", "zone:b"]);
    collector_runtime::incr("merge.rows", &[("region", "eu"), ("zone", "b")]);
    Ok(())
}

#[test]
fn tags_from_every_source_are_merged_once_and_sorted() {
    let receiver = UdpReceiver::bind();
    let client = udp_client(&receiver).tags(&["team:core", "env:prod", "outcome:ok"]);
    tagged_call(&client).unwrap();
    let datagrams = received(&receiver);
    assert_eq!(
        datagrams,
        ["merge.rows:2|c|#env:prod,outcome:ok,region:eu,team:core,zone:b"]
    );
}

/// What the child records through the default client, then flushes.
fn one_record() {
    let collector = Collector::new();
    collector.incr("origin.probe", &["k:v"]);
    let report = collector.flush();
    assert_eq!((report.series_sent, report.errors), (1, 0));
}

/// The one line a child sent through the client the environment built.
fn child_line(test: &str, env: &[(&str, &str)]) -> Line {
    let receiver = UdpReceiver::bind();
    let url = format!("udp://{}", receiver.addr());
    let mut env = env.to_vec();
    env.push(("DD_DOGSTATSD_URL", &url));
    run_child(test, &env);
    let datagrams = receiver.datagrams(Duration::from_millis(300));
    assert_eq!(datagrams.len(), 1, "{datagrams:?}");
    let mut lines = parse_datagram(&datagrams[0]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines.remove(0)
}

/// The container ID, when this machine's cgroup names one, has an ID's shape
/// (hexadecimal, a UUID, `in-<inode>`): never anything that could break the
/// line.
fn check_container(line: &Line) {
    if let Some(id) = &line.container {
        let shape_ok = id
            .strip_prefix("in-")
            .is_some_and(|inode| inode.bytes().all(|b| b.is_ascii_digit()))
            || id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b'-' || b == b'_');
        assert!(shape_ok && !id.is_empty(), "container ID {id:?}");
    }
}

#[test]
fn origin_fields_are_sent_exactly_when_configured() {
    if is_child() {
        return one_record();
    }
    let name = "origin_fields_are_sent_exactly_when_configured";
    let plain = child_line(name, &[]);
    check_container(&plain);
    assert_eq!((plain.external, plain.cardinality), (None, None));

    let configured = child_line(
        name,
        &[
            ("DD_EXTERNAL_ENV", "it-false,cn-app,pu-2f1e|#evil:1"),
            ("DD_CARDINALITY", "High"),
        ],
    );
    check_container(&configured);
    assert_eq!(configured.container, plain.container);
    assert_eq!(
        configured.external.as_deref(),
        Some("it-false,cn-app,pu-2f1e#evil:1")
    );
    assert_eq!(configured.cardinality.as_deref(), Some("high"));
    assert_eq!(configured.tags, ["k:v"]);

    // Turning detection off drops the container ID and the external data,
    // as the official clients do, and keeps the cardinality.
    let off = child_line(
        name,
        &[
            ("DD_ORIGIN_DETECTION_ENABLED", "false"),
            ("DD_EXTERNAL_ENV", "it-false,cn-app,pu-2f1e"),
            ("DD_CARDINALITY", "low"),
        ],
    );
    assert_eq!(off.container, None);
    assert_eq!(off.external, None);
    assert_eq!(off.cardinality.as_deref(), Some("low"));
}

/// The child builds its own client and makes it the global one, with
/// `DD_ENV` set in its environment.
fn user_client_with_dd_env() {
    let addr = std::env::var("WIRE_LINE_RECEIVER").unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sink = UdpMetricSink::from(addr.as_str(), socket).unwrap();
    collector_runtime::set_global_client(Client::new(sink).tag("env:prod"));
    one_record();
}

#[test]
fn a_client_set_by_the_user_replaces_the_dd_variables() {
    if is_child() {
        return user_client_with_dd_env();
    }
    let receiver = UdpReceiver::bind();
    let addr = receiver.addr().to_string();
    run_child(
        "a_client_set_by_the_user_replaces_the_dd_variables",
        &[
            ("WIRE_LINE_RECEIVER", addr.as_str()),
            ("DD_ENV", "staging"),
            ("DD_SERVICE", "billing"),
            ("DD_EXTERNAL_ENV", "it-false"),
        ],
    );
    let datagrams = received(&receiver);
    assert_eq!(datagrams, ["origin.probe:1|c|#env:prod,k:v"]);
}

/// The child records through the client the environment built.
#[test]
fn the_environments_client_carries_the_dd_tags_merged_with_the_rest() {
    if is_child() {
        let collector = Collector::builder().tag("env:e2e").tag("job:x").build();
        collector.incr("origin.probe", &["a:1", "service:api"]);
        collector.flush();
        return;
    }
    let line = child_line(
        "the_environments_client_carries_the_dd_tags_merged_with_the_rest",
        &[
            ("DD_ENV", "e2e"),
            ("DD_SERVICE", "api"),
            ("DD_VERSION", "1.0"),
        ],
    );
    assert_eq!(
        line.tags,
        ["a:1", "env:e2e", "job:x", "service:api", "version:1.0"]
    );
}
