//! With no active collector, the free functions send through the global
//! client, aggregated like the calls' lines: one line per context per flush
//! interval. One test per binary: the global client is process-wide.

use collector_runtime::Collector;
use collector_tests::UdpReceiver;

#[test]
fn records_outside_a_collector_reach_the_global_client_within_an_interval() {
    let receiver = UdpReceiver::bind();
    collector_runtime::set_global_client(receiver.client());

    collector_runtime::incr("outside", &["k:v"]);
    collector_runtime::incr("outside", &["k:v"]);
    collector_runtime::gauge("outside.gauge", 2.5, ());
    let lines = receiver.lines();
    let sent: Vec<(String, f64, String)> = lines
        .iter()
        .map(|l| (l.name.clone(), l.value, l.kind.clone()))
        .collect();
    assert_eq!(
        sent,
        [
            ("outside".to_owned(), 2.0, "c".to_owned()),
            ("outside.gauge".to_owned(), 2.5, "g".to_owned()),
        ]
    );
    assert_eq!(lines[0].tags, ["k:v"]);

    // A collector without a client of its own flushes through the global one.
    let collector = Collector::new();
    {
        let _current = collector.enter();
        collector_runtime::incr("inside", ());
        collector_runtime::incr("inside", ());
    }
    assert!(receiver
        .datagrams(std::time::Duration::from_millis(100))
        .is_empty());
    collector.flush();
    let lines = receiver.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!((lines[0].name.as_str(), lines[0].value), ("inside", 2.0));
}
