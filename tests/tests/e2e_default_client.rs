//! End to end through the real default client: the global client is built
//! from `DD_*` variables, once per process, so each scenario runs in a child
//! process (this same binary, one test, a chosen environment) while the
//! parent holds a real socket, reads every datagram and checks it with the
//! independent parser of `collector_tests`. The workload records through a
//! `Collector`, through `#[collect_metrics]` calls and outside any collector.

use std::collections::BTreeMap;
use std::time::Duration;

use collector_runtime::collect_metrics;
use collector_runtime::{config::UDP_PAYLOAD, config::UNIX_PAYLOAD, Collector};
use collector_tests::{
    by_series, is_child, parse_all, run_child, series, UdpReceiver, UnixReceiver,
};

type Series = BTreeMap<(String, String, Vec<String>), f64>;

const SERVICE_ENV: [(&str, &str); 3] = [
    ("DD_ENV", "e2e"),
    ("DD_SERVICE", "checkout api"),
    ("DD_VERSION", "1.2.3"),
];

/// A job run through the attribute: one collector per call, sent through
/// the default client.
#[collect_metrics(tags("kind:annotated"), outcome)]
fn annotated_job(items: i64) -> Result<i64, String> {
    collector_runtime::count("e2e.items", items, ());
    if items > 2 {
        return Err(format!("{items} items is too many"));
    }
    Ok(items)
}

/// What the child records: every metric type, repeated records, tags in
/// several forms and orders, a hostile tag, and one record made outside any
/// collector.
fn workload() {
    let job = Collector::builder().tag("job:e2e").build();
    {
        let _current = job.enter();
        for verb in ["select", "select", "update"] {
            collector_runtime::incr("query", [("verb", verb), ("database", "master")]);
        }
        collector_runtime::incr("query", ["database:master", "verb:select"]);
        collector_runtime::count("rows", 250, ["table:sessions"]);
        collector_runtime::count("rows", -50, vec!["table:sessions".to_owned()]);
        collector_runtime::histogram("query.size", 2.5, ());
        collector_runtime::histogram("query.size", 1, ());
        collector_runtime::distribution("payload.bytes", 512, [("codec", "gzip")]);
        collector_runtime::timing("db.wait", Duration::from_millis(12), ());
        collector_runtime::timing("db.wait", Duration::from_millis(30), ());
        collector_runtime::gauge("queue.depth", 3, ());
        collector_runtime::gauge("queue.depth", 7, ());
        collector_runtime::incr("login", [("user", "bob|c\n#evil:1,x y")]);
        collector_runtime::incr("bad|name\nx:1|c", ());
    }
    let report = job.flush();
    assert_eq!((report.series_sent, report.errors), (9, 0), "{report:?}");
    assert_eq!(annotated_job(1), Ok(1));
    assert!(annotated_job(5).is_err());
    // With no collector current, a record is sent at once, unaggregated.
    collector_runtime::incr("outside", ["where:nowhere"]);
}

fn expected_workload() -> Series {
    let env = ["env:e2e", "service:checkout_api", "version:1.2.3"];
    let with = |tags: &[&'static str], job: bool| {
        let mut all: Vec<&'static str> = tags.to_vec();
        all.extend(env);
        if job {
            all.push("job:e2e");
        }
        all
    };
    [
        (
            series(
                "c",
                "query",
                &with(&["database:master", "verb:select"], true),
            ),
            3.0,
        ),
        (
            series(
                "c",
                "query",
                &with(&["database:master", "verb:update"], true),
            ),
            1.0,
        ),
        (series("c", "rows", &with(&["table:sessions"], true)), 200.0),
        (series("h", "query.size", &with(&[], true)), 3.5),
        (
            series("d", "payload.bytes", &with(&["codec:gzip"], true)),
            512.0,
        ),
        (series("ms", "db.wait", &with(&[], true)), 42.0),
        (series("g", "queue.depth", &with(&[], true)), 7.0),
        (
            series("c", "login", &with(&["user:bob_c__evil:1_x_y"], true)),
            1.0,
        ),
        (series("c", "bad_name_x_1_c", &with(&[], true)), 1.0),
        (
            series(
                "c",
                "e2e.items",
                &with(&["kind:annotated", "outcome:ok"], false),
            ),
            1.0,
        ),
        (
            series(
                "c",
                "e2e.items",
                &with(&["kind:annotated", "outcome:error"], false),
            ),
            5.0,
        ),
        (
            series("c", "outside", &with(&["where:nowhere"], false)),
            1.0,
        ),
    ]
    .into_iter()
    .collect()
}

fn check_datagrams(datagrams: &[Vec<u8>], payload: usize) -> Series {
    assert!(!datagrams.is_empty(), "nothing arrived");
    for datagram in datagrams {
        assert!(
            datagram.len() <= payload,
            "a datagram of {} bytes exceeds the {payload}-byte payload",
            datagram.len()
        );
    }
    by_series(&parse_all(datagrams)).unwrap_or_else(|e| panic!("{e}"))
}

/// The flushes of the run (the collector's, each annotated call's, the
/// record outside a collector) share payloads: the workload's bytes fit in
/// one, and arrive in one.
fn assert_fewest_datagrams(datagrams: &[Vec<u8>], payload: usize) {
    let bytes: usize = datagrams.iter().map(Vec::len).sum();
    assert!(
        bytes < payload,
        "the workload outgrew one payload: {bytes} bytes"
    );
    assert_eq!(datagrams.len(), 1, "{datagrams:?}");
}

#[test]
fn udp_default_client_sends_every_series_once() {
    if is_child() {
        return workload();
    }
    let receiver = UdpReceiver::bind();
    let url = format!("udp://{}", receiver.addr());
    let mut env = vec![("DD_DOGSTATSD_URL", url.as_str())];
    env.extend(SERVICE_ENV);
    run_child("udp_default_client_sends_every_series_once", &env);
    let datagrams = receiver.datagrams(Duration::from_millis(300));
    assert_eq!(
        check_datagrams(&datagrams, UDP_PAYLOAD),
        expected_workload()
    );
    assert_fewest_datagrams(&datagrams, UDP_PAYLOAD);
}

#[test]
fn agent_host_and_port_variables_reach_the_same_socket() {
    if is_child() {
        return workload();
    }
    let receiver = UdpReceiver::bind();
    let port = receiver.addr().port().to_string();
    let mut env = vec![
        ("DD_AGENT_HOST", "127.0.0.1"),
        ("DD_DOGSTATSD_PORT", port.as_str()),
    ];
    env.extend(SERVICE_ENV);
    run_child("agent_host_and_port_variables_reach_the_same_socket", &env);
    let datagrams = receiver.datagrams(Duration::from_millis(300));
    assert_eq!(
        check_datagrams(&datagrams, UDP_PAYLOAD),
        expected_workload()
    );
}

#[test]
fn unix_socket_default_client_sends_every_series_once() {
    if is_child() {
        return workload();
    }
    let receiver = UnixReceiver::bind();
    let url = format!("unix://{}", receiver.path().display());
    let mut env = vec![("DD_DOGSTATSD_URL", url.as_str())];
    env.extend(SERVICE_ENV);
    run_child("unix_socket_default_client_sends_every_series_once", &env);
    let datagrams = receiver.datagrams(Duration::from_millis(300));
    assert_eq!(
        check_datagrams(&datagrams, UNIX_PAYLOAD),
        expected_workload()
    );
    assert_fewest_datagrams(&datagrams, UNIX_PAYLOAD);
}

const MANY: usize = 10_000;

/// Ten thousand series in one collector (its default bound), one flush.
fn many_series() {
    let collector = Collector::new();
    let kinds = ["c", "h", "g", "ms"];
    for i in 0..MANY {
        let shard = format!("shard:{}", i % 97);
        let id = format!("id:{i}");
        let name = format!("e2e.{}.metric", kinds[i % 4]);
        let tags = [shard.as_str(), id.as_str()];
        match i % 4 {
            0 => collector.count(&name, i as i64, tags),
            1 => collector.histogram(&name, i as f64 / 4.0, tags),
            2 => collector.gauge(&name, i as f64, tags),
            _ => collector.timing(&name, Duration::from_millis(i as u64), tags),
        }
    }
    let report = collector.flush();
    assert_eq!(
        (report.series_sent, report.records_dropped, report.errors),
        (MANY, 0, 0)
    );
}

fn expected_many() -> Series {
    let kinds = ["c", "h", "g", "ms"];
    (0..MANY)
        .map(|i| {
            let shard = format!("shard:{}", i % 97);
            let id = format!("id:{i}");
            let name = format!("e2e.{}.metric", kinds[i % 4]);
            let value = if i % 4 == 1 { i as f64 / 4.0 } else { i as f64 };
            (series(kinds[i % 4], &name, &[&shard, &id]), value)
        })
        .collect()
}

/// Every series arrives, no datagram is over the payload, and the datagrams
/// are packed: no datagram could have taken the next one's first line, so
/// their number is the fewest a line-preserving packing can reach.
fn check_many(datagrams: &[Vec<u8>], payload: usize) {
    let got = check_datagrams(datagrams, payload);
    let expected = expected_many();
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !got.contains_key(*k))
        .take(5)
        .collect();
    assert_eq!(got.len(), MANY, "series missing, e.g. {missing:?}");
    assert_eq!(got, expected);

    for pair in datagrams.windows(2) {
        let first_line = pair[1].split(|&b| b == b'\n').next().unwrap_or_default();
        assert!(
            pair[0].len() + 1 + first_line.len() > payload,
            "a datagram of {} bytes was sent with room for the next line ({} bytes)",
            pair[0].len(),
            first_line.len()
        );
    }
    let bytes: usize = datagrams.iter().map(Vec::len).sum::<usize>() + datagrams.len() - 1;
    let minimum = bytes.div_ceil(payload);
    println!(
        "{MANY} series: {} datagrams, {bytes} bytes, at least {minimum} needed",
        datagrams.len()
    );
    // Lines are never split, so a datagram wastes less than one line; with
    // lines of about 40 bytes that is a few percent at most.
    let longest = datagrams
        .iter()
        .flat_map(|d| d.split(|&b| b == b'\n'))
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    let bound = bytes.div_ceil(payload - longest) + 1;
    assert!(
        datagrams.len() <= bound,
        "{} datagrams for {bytes} bytes; a packed stream needs at most {bound}",
        datagrams.len()
    );
}

#[test]
fn ten_thousand_series_in_one_flush_over_udp() {
    if is_child() {
        return many_series();
    }
    // The kernel's default receive buffer (208 KiB) drops part of a
    // 390 KB burst; a DogStatsD server is given a bigger one.
    let receiver = UdpReceiver::bind_with_buffer(2 << 20);
    let url = format!("udp://{}", receiver.addr());
    let reader = std::thread::spawn(move || {
        receiver.datagrams_within(Duration::from_secs(60), Duration::from_millis(500))
    });
    run_child(
        "ten_thousand_series_in_one_flush_over_udp",
        &[("DD_DOGSTATSD_URL", url.as_str())],
    );
    check_many(&reader.join().unwrap(), UDP_PAYLOAD);
}

#[test]
fn ten_thousand_series_in_one_flush_over_a_unix_socket() {
    if is_child() {
        return many_series();
    }
    let receiver = UnixReceiver::bind();
    let url = format!("unix://{}", receiver.path().display());
    let reader = std::thread::spawn(move || {
        receiver.datagrams_within(Duration::from_secs(60), Duration::from_millis(500))
    });
    run_child(
        "ten_thousand_series_in_one_flush_over_a_unix_socket",
        &[("DD_DOGSTATSD_URL", url.as_str())],
    );
    check_many(&reader.join().unwrap(), UNIX_PAYLOAD);
}
