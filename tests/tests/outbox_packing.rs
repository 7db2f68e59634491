//! The outbox shares payloads across calls: datagrams follow the bytes, not
//! the number of calls. Real sockets, real threads, the default transport
//! (`ClientConfig::build`), and the independent parser.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use collector_runtime::{
    collect_metrics, config::Target, config::UDP_PAYLOAD, config::UNIX_PAYLOAD, Client,
    ClientConfig,
};
use collector_tests::{parse_all, UdpReceiver, UnixReceiver};

/// `collector_runtime::wait_for_delivery` reports on every outbox of the process: the
/// tests take turns, so that one's figures are not another's.
fn turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// The default client aimed at `receiver`'s loopback port.
fn udp_client(receiver: &UdpReceiver) -> Client {
    let addr = receiver.addr();
    client_for(Target::Udp {
        host: addr.ip().to_string(),
        port: addr.port(),
    })
}

fn client_for(target: Target) -> Client {
    ClientConfig::new(target).build().unwrap()
}

#[collect_metrics(name = "pack", tags(call = id), client = client)]
fn call(client: &Client, id: u64) {
    for s in 0..10 {
        collector_runtime::count(&format!("pack.s{s}"), id + s, ());
    }
}

/// Runs `calls` calls on each of `threads` threads, ids unique.
fn run(client: &Client, threads: u64, calls: u64) {
    std::thread::scope(|scope| {
        for t in 0..threads {
            scope.spawn(move || {
                for i in 0..calls {
                    call(client, t * calls + i);
                }
            });
        }
    });
}

/// Checks every datagram is at most `payload` bytes of whole lines, and that
/// each call's 10 lines arrived exactly once with their values.
fn check_every_line(datagrams: &[Vec<u8>], payload: usize, calls: u64) {
    for datagram in datagrams {
        assert!(datagram.len() < payload, "{} bytes", datagram.len());
    }
    let mut seen: HashMap<u64, u16> = HashMap::new();
    for line in parse_all(datagrams) {
        let id: u64 = line.tags[0].strip_prefix("call:").unwrap().parse().unwrap();
        let s: u64 = line.name.strip_prefix("pack.s").unwrap().parse().unwrap();
        assert_eq!(line.value, (id + s) as f64, "{line:?}");
        let bits = seen.entry(id).or_default();
        assert_eq!(*bits & (1 << s), 0, "{line:?} twice");
        *bits |= 1 << s;
    }
    assert_eq!(seen.len() as u64, calls);
    assert!(seen.values().all(|bits| *bits == (1 << 10) - 1));
}

/// The fewest datagrams of at most `payload - 1` bytes of lines that
/// `datagrams`' bytes (with the newline each line but the last takes)
/// fit in.
fn fewest(datagrams: &[Vec<u8>], payload: usize) -> usize {
    let bytes: usize = datagrams.iter().map(Vec::len).sum::<usize>() + datagrams.len() - 1;
    bytes.div_ceil(payload - 1)
}

#[test]
fn four_threads_of_a_thousand_calls_over_udp_arrive_in_full_payloads() {
    let _turn = turn();
    // A receiver sized as an agent's (`dogstatsd_so_rcvbuf`): the point is
    // the packing, not the kernel's drops.
    let receiver = UdpReceiver::bind_with_buffer(4 << 20);
    let client = udp_client(&receiver);
    run(&client, 4, 1_000);
    let delivered = collector_runtime::wait_for_delivery();
    assert_eq!(delivered.lines_pending, 0);
    let datagrams = receiver.datagrams(Duration::from_millis(300));
    check_every_line(&datagrams, UDP_PAYLOAD, 4_000);
    let fewest = fewest(&datagrams, UDP_PAYLOAD);
    println!(
        "4 x 1,000 calls: {} datagrams, {fewest} at the fewest",
        datagrams.len()
    );
    assert!(
        datagrams.len() * 10 <= fewest * 11,
        "{} datagrams where {fewest} would do",
        datagrams.len()
    );
}

#[test]
fn eight_threads_of_ten_thousand_calls_over_a_unix_socket_lose_nothing() {
    let _turn = turn();
    let receiver = UnixReceiver::bind();
    let client = client_for(Target::Unix(receiver.path()));
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut all = Vec::new();
            while !done.load(Ordering::Acquire) {
                all.extend(
                    receiver
                        .datagrams_within(Duration::from_millis(100), Duration::from_millis(100)),
                );
            }
            all.extend(receiver.datagrams(Duration::from_millis(300)));
            all
        })
    };
    run(&client, 8, 10_000);
    let delivered = collector_runtime::wait_for_delivery();
    done.store(true, Ordering::Release);
    let datagrams = reader.join().unwrap();
    assert_eq!(delivered.lines_pending, 0);
    check_every_line(&datagrams, UNIX_PAYLOAD, 80_000);
    let fewest = fewest(&datagrams, UNIX_PAYLOAD);
    println!(
        "8 x 10,000 calls: {} datagrams, {fewest} at the fewest",
        datagrams.len()
    );
    assert!(datagrams.len() * 10 <= fewest * 11);
}

#[test]
fn a_lone_call_is_sent_after_the_flush_interval_with_no_other_call() {
    let _turn = turn();
    let receiver = UdpReceiver::bind();
    let client = udp_client(&receiver);
    call(&client, 7);
    // No flush, no other call: the sender sends the partly filled payload
    // once it has waited the interval (waited for here with a generous
    // deadline, nothing timed).
    let datagrams = receiver.datagrams_within(Duration::from_secs(30), Duration::from_millis(200));
    check_every_line(&datagrams, UDP_PAYLOAD, 1);
    assert_eq!(datagrams.len(), 1);
}

#[test]
fn telemetry_sends_what_the_sender_did_with_the_clients_tags_only() {
    let _turn = turn();
    let receiver = UdpReceiver::bind();
    let client = udp_client(&receiver)
        .tag("env:test")
        .telemetry(Duration::from_millis(50));
    // Calls until the counters come: the first flush after an interval
    // carries them (waited for with a generous deadline, nothing timed).
    let mut lines = Vec::new();
    for id in 0..3_000 {
        call(&client, id);
        collector_runtime::wait_for_delivery();
        lines.extend(parse_all(&receiver.datagrams_within(
            Duration::from_millis(20),
            Duration::from_millis(20),
        )));
        if lines
            .iter()
            .any(|l| l.name.starts_with("collector.client."))
        {
            break;
        }
    }
    let value = |name: &str| {
        let line = lines
            .iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("no {name} in {lines:?}"));
        assert_eq!(line.tags, ["env:test"], "{line:?}");
        assert_eq!(line.kind, "c");
        line.value
    };
    let payloads = value("collector.client.payloads_sent");
    let lines_sent = value("collector.client.lines_sent");
    assert!(payloads >= 1.0);
    assert!(lines_sent >= 10.0 * payloads.min(1.0));
    assert!(value("collector.client.bytes_sent") >= lines_sent);
    assert_eq!(value("collector.client.payloads_dropped"), 0.0);
    // Every context line carries at least one execution's value.
    assert!(
        value("collector.client.aggregated_samples")
            >= value("collector.client.aggregated_contexts")
    );
}
