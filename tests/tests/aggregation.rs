//! Aggregation across executions, end to end: calls that end within one
//! flush interval share one line per context, and the agent still sees each
//! execution exactly. Real threads, the default transport
//! (`ClientConfig::build`) over a loopback UDP socket and a Unix datagram
//! socket, and the independent parser, which reads a packed line the way
//! the agent does: several values on a line are several samples.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use collector_runtime::{collect_metrics, config::Target, Client, ClientConfig};
use collector_tests::{parse_all, Line, UdpReceiver, UnixReceiver};

/// `collector_runtime::wait_for_delivery` waits for every client of the process: the
/// tests take turns, so that one's receiver does not wait on another's.
fn turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

fn client_for(target: Target, flush_interval: Duration, multi_value: bool) -> Client {
    ClientConfig::new(target)
        .tags(["env:test"])
        .flush_interval(flush_interval)
        .multi_value(multi_value)
        .build()
        .unwrap()
}

fn udp_target(receiver: &UdpReceiver) -> Target {
    Target::Udp {
        host: receiver.addr().ip().to_string(),
        port: receiver.addr().port(),
    }
}

const THREADS: u64 = 4;
const CALLS: u64 = 5_000;

/// What one call records, from its id alone, so that the test knows what
/// every execution sent.
struct Call {
    id: u64,
}

impl Call {
    fn failed(&self) -> bool {
        self.id % 4 == 3
    }
    fn outcome(&self) -> &'static str {
        if self.failed() {
            "outcome:error"
        } else {
            "outcome:ok"
        }
    }
    fn shard(&self) -> &'static str {
        ["a", "b", "c"][(self.id % 3) as usize]
    }
    fn items(&self) -> u64 {
        1 + self.id % 3 + (self.id / 3) % 2
    }
    fn sizes(&self) -> [f64; 2] {
        [(self.id % 7) as f64 + 0.5, (self.id % 5) as f64 * 0.25]
    }
    fn step(&self) -> Duration {
        Duration::from_micros(self.id % 97 + 1)
    }
}

#[collect_metrics(name = "agg", outcome, timing, client = client)]
fn job(client: &Client, id: u64) -> Result<(), String> {
    let call = Call { id };
    for _ in 0..call.items() {
        collector_runtime::incr("agg.items", &[("shard", call.shard())]);
    }
    for size in call.sizes() {
        collector_runtime::histogram("agg.size", size, ());
    }
    collector_runtime::timing("agg.step", call.step(), ());
    if call.failed() {
        Err("failed".to_owned())
    } else {
        Ok(())
    }
}

/// Runs the calls on their threads, then waits until they are on the wire.
fn run_calls(client: &Client) {
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            scope.spawn(move || {
                for i in 0..CALLS {
                    let _ = job(client, t * CALLS + i);
                }
            });
        }
    });
    let report = collector_runtime::wait_for_delivery();
    assert_eq!(report.lines_pending, 0, "{report:?}");
}

/// A context: type, name and sorted tags.
type Context = (String, String, Vec<String>);

fn context(kind: &str, name: &str, tags: &[&str]) -> Context {
    let mut tags: Vec<String> = tags.iter().map(|t| (*t).to_owned()).collect();
    tags.sort();
    (kind.to_owned(), name.to_owned(), tags)
}

/// Every sample per context, as the agent collects them (counters summed
/// in the caller), rounded to microunits so that sums compare exactly.
fn samples(lines: &[Line]) -> BTreeMap<Context, Vec<i64>> {
    let mut out: BTreeMap<Context, Vec<i64>> = BTreeMap::new();
    for line in lines {
        let held = out.entry(line.series()).or_default();
        held.extend(line.values.iter().map(|v| (v * 1e6).round() as i64));
    }
    for held in out.values_mut() {
        held.sort_unstable();
    }
    out
}

fn micro(v: f64) -> i64 {
    (v * 1e6).round() as i64
}

/// What the agent must have seen for every call.
fn expected() -> BTreeMap<Context, Vec<i64>> {
    let mut counts: BTreeMap<Context, i64> = BTreeMap::new();
    let mut out: BTreeMap<Context, Vec<i64>> = BTreeMap::new();
    for id in 0..THREADS * CALLS {
        let call = Call { id };
        let outcome = call.outcome();
        let shard = format!("shard:{}", call.shard());
        *counts
            .entry(context("c", "agg.items", &["env:test", outcome, &shard]))
            .or_default() += call.items() as i64;
        let [a, b] = call.sizes();
        out.entry(context("h", "agg.size", &["env:test", outcome]))
            .or_default()
            .push(micro(a + b));
        out.entry(context("ms", "agg.step", &["env:test", outcome]))
            .or_default()
            .push(micro(call.step().as_secs_f64() * 1000.0));
    }
    for (context, sum) in counts {
        out.insert(context, vec![micro(sum as f64)]);
    }
    for held in out.values_mut() {
        held.sort_unstable();
    }
    out
}

/// Checks what arrived against every call: counters sum exactly, each
/// histogram context holds exactly the multiset of per-call totals, and the
/// call's duration has one sample per call.
fn check(lines: &[Line]) {
    let mut got = samples(lines);
    let durations = ["outcome:ok", "outcome:error"].map(|outcome| {
        got.remove(&context("ms", "agg.duration", &["env:test", outcome]))
            .map_or(0, |samples| samples.len() as u64)
    });
    let failed = (0..THREADS * CALLS).filter(|id| id % 4 == 3).count() as u64;
    assert_eq!(durations, [THREADS * CALLS - failed, failed]);
    // Counters: one line per context per interval, summed here as the agent
    // sums them.
    for (context, held) in got.iter_mut() {
        if context.0 == "c" {
            *held = vec![held.iter().sum()];
        }
    }
    let want = expected();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (context, held) in &want {
        assert_eq!(&got[context], held, "{context:?}");
    }
}

#[test]
fn every_execution_is_exact_at_the_receiver_over_udp() {
    let _turn = turn();
    let receiver = UdpReceiver::bind_with_buffer(4 << 20);
    let client = client_for(udp_target(&receiver), Duration::from_millis(100), true);
    run_calls(&client);
    let datagrams = receiver.datagrams(Duration::from_millis(300));
    let lines = parse_all(&datagrams);
    check(&lines);
    // 20,000 calls, 10 contexts: the lines follow the intervals and the
    // samples' bytes, not the calls.
    assert!(lines.len() < 2_000, "{} lines", lines.len());
}

#[test]
fn every_execution_is_exact_at_the_receiver_over_a_unix_socket() {
    let _turn = turn();
    let receiver = UnixReceiver::bind();
    let client = client_for(
        Target::Unix(receiver.path()),
        Duration::from_millis(100),
        true,
    );
    // A Unix socket queues a few datagrams only: the agent reads while the
    // calls run, as a real one does.
    let datagrams = std::thread::scope(|scope| {
        let reader = scope
            .spawn(|| receiver.datagrams_within(Duration::from_secs(30), Duration::from_secs(1)));
        run_calls(&client);
        reader.join().unwrap()
    });
    check(&parse_all(&datagrams));
}

#[collect_metrics(name = "burst", client = client)]
fn one_histogram(client: &Client, id: u64) {
    collector_runtime::histogram("burst.size", id % 1000, ());
}

#[test]
fn an_interval_larger_than_the_outbox_bound_is_sent_whole() {
    let _turn = turn();
    let (received, sink) = cadence::SpyMetricSink::new();
    // 64 KiB of room in the outbox; the interval's packed samples take
    // about 200 KiB: the drain waits for the sender to make room rather
    // than have its lines refused.
    let client = Client::new(sink)
        .max_queued_bytes(64 * 1024)
        .flush_interval(Duration::from_secs(600));
    const CALLS: u64 = 50_000;
    let before = collector_runtime::wait_for_delivery();
    for id in 0..CALLS {
        one_histogram(&client, id);
    }
    let after = collector_runtime::wait_for_delivery();
    assert_eq!(after.lines_dropped, before.lines_dropped, "{after:?}");
    let datagrams: Vec<Vec<u8>> = received.try_iter().collect();
    let mut values: Vec<u64> = parse_all(&datagrams)
        .iter()
        .filter(|line| line.name == "burst.size")
        .flat_map(|line| line.values.iter().map(|v| *v as u64))
        .collect();
    values.sort_unstable();
    let mut want: Vec<u64> = (0..CALLS).map(|id| id % 1000).collect();
    want.sort_unstable();
    assert_eq!(values, want);
}
