//! Load: 100,000 annotated calls, each flushing 10 series, to a real
//! loopback UDP receiver and to a real Unix datagram socket, each drained
//! on its own thread. Over the Unix socket (each write waits up to 100 ms
//! for room) nothing may be lost; over UDP (non-blocking, as the default
//! client sends) the loss rate is reported, with the sink's own counters.
//!
//! Every datagram that arrives must parse and hold whole lines, no fuller
//! than the payload; every line must carry its call's exact value, and no
//! line may arrive twice. The calls share payloads: the datagrams follow
//! the bytes, not the number of calls.
//!
//! The two runs take turns so that the loss figure is not the other run's
//! doing.

use std::collections::HashMap;
use std::io;
use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use cadence::{MetricSink, SinkStats, UdpMetricSink};
use collector_runtime::collect_metrics;
use collector_runtime::Client;
use collector_runtime::{
    config::Target, config::UDP_PAYLOAD, config::UNIX_PAYLOAD, error::errors_seen, ClientConfig,
};
use collector_tests::parse_datagram;

const CALLS: u64 = 100_000;
const SERIES: u64 = 10;
const NAMES: [&str; SERIES as usize] = [
    "load.s0", "load.s1", "load.s2", "load.s3", "load.s4", "load.s5", "load.s6", "load.s7",
    "load.s8", "load.s9",
];

static TURN: Mutex<()> = Mutex::new(());

/// One call: 10 series, tagged with the call's id by the attribute.
#[collect_metrics(name = "load", tags(call = id), client = client)]
fn call(client: &Client, id: u64) {
    for (s, name) in NAMES.iter().enumerate() {
        collector_runtime::count(name, (id % 1000) as i64 + s as i64, ());
    }
}

/// What the receiving thread saw.
#[derive(Debug, Default)]
struct Received {
    datagrams: u64,
    lines: u64,
    bytes: u64,
    /// The series seen of each call, one bit each.
    calls: HashMap<u64, u16>,
}

/// Checks one datagram: whole lines with their values, none seen before.
fn check_datagram(datagram: &[u8], into: &mut Received) {
    let lines = parse_datagram(datagram).unwrap_or_else(|e| panic!("{e}"));
    for line in &lines {
        let id: u64 = line.tags[0]
            .strip_prefix("call:")
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("no call tag: {line:?}"));
        assert_eq!(line.tags, [format!("call:{id}")], "{line:?}");
        assert_eq!(line.kind, "c");
        let s: u64 = line
            .name
            .strip_prefix("load.s")
            .unwrap_or_else(|| panic!("{line:?}"))
            .parse()
            .unwrap();
        assert_eq!(line.value, ((id % 1000) + s) as f64, "{line:?}");
        let seen = into.calls.entry(id).or_default();
        assert_eq!(*seen & (1 << s), 0, "{line:?} arrived twice");
        *seen |= 1 << s;
    }
    into.datagrams += 1;
    into.lines += lines.len() as u64;
    into.bytes += datagram.len() as u64;
}

/// The fewest datagrams `received`'s bytes fit in, given `payload`.
fn fewest(received: &Received, payload: usize) -> u64 {
    // Lines are joined by one byte each inside a datagram, and each
    // datagram holds at most `payload - 1` bytes of lines.
    received.bytes.div_ceil(payload as u64 - 1)
}

/// Receives on `recv` until `done` is set and the socket has been quiet for
/// the read timeout, keeping each datagram as it came: checked once it is
/// over, so that the reader is as quick as an agent's.
fn drain(
    recv: impl Fn(&mut [u8]) -> io::Result<usize> + Send + 'static,
    done: Arc<AtomicBool>,
) -> JoinHandle<Received> {
    std::thread::spawn(move || {
        let mut datagrams = Vec::new();
        let mut buf = vec![0u8; 65_536];
        loop {
            match recv(&mut buf) {
                Ok(n) => datagrams.push(buf[..n].to_vec()),
                Err(_) if done.load(Ordering::Acquire) => break,
                Err(_) => {}
            }
        }
        let mut received = Received::default();
        for datagram in &datagrams {
            check_datagram(datagram, &mut received);
        }
        received
    })
}

/// The kernel's count of UDP datagrams dropped for a full receive buffer
/// (system-wide), from `/proc/net/snmp`.
fn udp_rcvbuf_errors() -> Option<u64> {
    let snmp = std::fs::read_to_string("/proc/net/snmp").ok()?;
    let mut udp = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let (names, values) = (udp.next()?, udp.next()?);
    let at = names.split_whitespace().position(|n| n == "RcvbufErrors")?;
    values.split_whitespace().nth(at)?.parse().ok()
}

/// Forwards to a shared sink, so its counters stay readable once the client
/// owns the forwarder.
struct Shared(Arc<UdpMetricSink>);

impl MetricSink for Shared {
    fn emit(&self, metric: &str) -> io::Result<usize> {
        self.0.emit(metric)
    }
    fn flush(&self) -> io::Result<()> {
        self.0.flush()
    }
    fn stats(&self) -> SinkStats {
        self.0.stats()
    }
}

#[test]
fn a_hundred_thousand_calls_over_loopback_udp() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    receiver
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let addr = receiver.local_addr().unwrap();
    // The sink the default client builds (ClientConfig::build): a
    // non-blocking socket and 1432-byte payloads; shared to read its stats.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_nonblocking(true).unwrap();
    let sink = Arc::new(UdpMetricSink::from(addr, socket).unwrap());
    let client = Client::new(Shared(Arc::clone(&sink))).payload_size(UDP_PAYLOAD);

    let done = Arc::new(AtomicBool::new(false));
    let drained = drain(move |buf| receiver.recv(buf), Arc::clone(&done));
    let kernel_before = udp_rcvbuf_errors();
    let errors_before = errors_seen();
    let delivered_before = collector_runtime::wait_for_delivery();
    for id in 0..CALLS {
        call(&client, id);
    }
    let delivered = collector_runtime::wait_for_delivery();
    done.store(true, Ordering::Release);
    let received = drained.join().unwrap();
    let errors = errors_seen() - errors_before;
    let stats = sink.stats();
    let kernel = kernel_before.zip(udp_rcvbuf_errors()).map(|(a, b)| b - a);

    // Every payload the sender handed over is one datagram: sent or
    // refused by the socket; a refused one is an error counted.
    let payloads = delivered.payloads_sent - delivered_before.payloads_sent;
    assert_eq!(stats.packets_sent, payloads, "{stats:?}");
    assert_eq!(stats.packets_dropped, errors, "{stats:?}");
    assert_eq!(delivered.lines_pending, 0);
    assert!(received.datagrams <= stats.packets_sent);
    // The calls shared payloads: a datagram per ~5 calls, not one per call.
    assert!(received.datagrams < CALLS / 4, "{received:?}");
    let loss = 1.0 - received.lines as f64 / (CALLS * SERIES) as f64;
    println!(
        "UDP: {CALLS} calls, {} lines sent; {} datagrams / {} lines received; \
         loss {:.3}%; sink stats {stats:?}; errors reported {errors}; \
         kernel RcvbufErrors +{kernel:?} (system-wide)",
        CALLS * SERIES,
        received.datagrams,
        received.lines,
        loss * 100.0
    );
}

#[test]
fn a_hundred_thousand_calls_over_a_unix_socket_lose_nothing() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let path = std::env::temp_dir().join(format!("reliability-load-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let receiver = UnixDatagram::bind(&path).unwrap();
    receiver
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let config = ClientConfig::new(Target::Unix(path.clone()));
    let client = Arc::new(config.build().unwrap());

    let done = Arc::new(AtomicBool::new(false));
    let drained = drain(move |buf| receiver.recv(buf), Arc::clone(&done));
    let errors_before = errors_seen();
    for id in 0..CALLS {
        call(&client, id);
    }
    let delivered = collector_runtime::wait_for_delivery();
    done.store(true, Ordering::Release);
    let received = drained.join().unwrap();
    let errors = errors_seen() - errors_before;
    let _ = std::fs::remove_file(&path);
    println!(
        "Unix: {CALLS} calls; {} datagrams / {} lines received (fewest possible {}); \
         errors reported {errors}",
        received.datagrams,
        received.lines,
        fewest(&received, UNIX_PAYLOAD)
    );
    assert_eq!(errors, 0);
    assert_eq!(delivered.lines_pending, 0);
    assert_eq!(received.lines, CALLS * SERIES);
    assert_eq!(received.calls.len() as u64, CALLS);
    assert!(received
        .calls
        .values()
        .all(|seen| *seen == (1 << SERIES) - 1));
    // Full payloads: within 10% of the fewest the bytes fit in.
    let fewest = fewest(&received, UNIX_PAYLOAD);
    assert!(
        received.datagrams * 10 <= fewest * 11,
        "{received:?} against {fewest}"
    );
}
