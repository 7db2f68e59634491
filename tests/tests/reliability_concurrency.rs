//! Concurrency: 8 threads sharing one collector while it is flushed again
//! and again, and 10,000 annotated async calls on a multi-threaded tokio
//! runtime, give exact totals per series and per call.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use cadence::SpyMetricSink;
use collector_runtime::collect_metrics;
use collector_runtime::Client;
use collector_runtime::Collector;
use collector_tests::{parse_datagram, Line};

const THREADS: u64 = 8;
const ROUNDS: u64 = 20_000;

fn drain(datagrams: impl Iterator<Item = Vec<u8>>) -> Vec<Line> {
    datagrams
        .flat_map(|d| parse_datagram(&d).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// Sums every line of every flush by series.
fn totals(lines: &[Line]) -> BTreeMap<(String, String, Vec<String>), f64> {
    let mut out = BTreeMap::new();
    for line in lines {
        *out.entry(line.series()).or_default() += line.values.iter().sum::<f64>();
    }
    out
}

fn key(kind: &str, name: &str, tags: &[&str]) -> (String, String, Vec<String>) {
    let tags = tags.iter().map(|t| t.to_string()).collect();
    (kind.to_owned(), name.to_owned(), tags)
}

#[test]
fn eight_threads_share_one_collector_while_it_is_flushed() {
    let (received, sink) = SpyMetricSink::new();
    let collector = Collector::builder().client(Client::new(sink)).build();
    let done = AtomicBool::new(false);
    let mut flushes = 0u64;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let collector = &collector;
                scope.spawn(move || {
                    // Half the threads record through the free functions with
                    // the collector entered, half through a clone.
                    let own = collector.clone();
                    let _current = (thread % 2 == 0).then(|| collector.enter());
                    let id = thread.to_string();
                    for round in 0..ROUNDS {
                        if thread % 2 == 0 {
                            collector_runtime::incr("shared", ["kind:unit"]);
                            collector_runtime::count("per.thread", 2, [("thread", &id)]);
                            collector_runtime::histogram("rows", (round % 10) as f64, ());
                        } else {
                            own.incr("shared", ["kind:unit"]);
                            own.count("per.thread", 2, [("thread", &id)]);
                            own.histogram("rows", (round % 10) as f64, ());
                        }
                    }
                })
            })
            .collect();
        let flusher = scope.spawn(|| {
            let mut n = 0;
            while !done.load(Ordering::Relaxed) {
                collector.flush();
                n += 1;
                std::thread::yield_now();
            }
            n
        });
        for worker in workers {
            worker.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        flushes = flusher.join().unwrap();
    });
    collector.flush();
    collector_runtime::wait_for_delivery();
    let got = totals(&drain(received.try_iter()));
    let rows_per_thread: u64 = (0..ROUNDS).map(|r| r % 10).sum();
    assert_eq!(
        got[&key("c", "shared", &["kind:unit"])],
        (THREADS * ROUNDS) as f64
    );
    assert_eq!(
        got[&key("h", "rows", &[])],
        (THREADS * rows_per_thread) as f64
    );
    for thread in 0..THREADS {
        let tag = format!("thread:{thread}");
        let per = got[&key("c", "per.thread", &[tag.as_str()])];
        assert_eq!(per, (2 * ROUNDS) as f64, "{tag}");
    }
    assert_eq!(got.len(), 2 + THREADS as usize, "{got:?}");
    println!("{flushes} flushes raced the 8 writers");
}

/// An annotated async call: `steps` awaits, each of which may resume on
/// another worker thread, each recording into the call's own collector.
#[collect_metrics(name = "call", tags(call = id), client = &client, outcome)]
async fn call(client: Client, id: u64) -> u64 {
    let steps = id % 5 + 1;
    for _ in 0..steps {
        collector_runtime::incr("call.steps", ());
        tokio::task::yield_now().await;
        collector_runtime::histogram("call.bytes", id as f64, ());
    }
    steps
}

#[test]
fn ten_thousand_async_calls_on_a_multi_threaded_runtime() {
    const CALLS: u64 = 10_000;
    let (received, sink) = SpyMetricSink::new();
    let client = Client::new(sink);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let steps: u64 = runtime.block_on(async {
        let tasks: Vec<_> = (0..CALLS)
            .map(|id| tokio::spawn(call(client.clone(), id)))
            .collect();
        let mut steps = 0;
        for task in tasks {
            steps += task.await.unwrap();
        }
        steps
    });
    drop(runtime);
    assert_eq!(steps, (0..CALLS).map(|id| id % 5 + 1).sum::<u64>());

    collector_runtime::wait_for_delivery();
    let lines = drain(received.try_iter());
    // Two series per call, each sent once (a repeat would be a second flush).
    assert_eq!(lines.len(), 2 * CALLS as usize);
    let mut seen = BTreeMap::new();
    for line in &lines {
        let call_tag = line
            .tags
            .iter()
            .find_map(|t| t.strip_prefix("call:"))
            .unwrap_or_else(|| panic!("no call tag: {line:?}"));
        let id: u64 = call_tag.parse().unwrap();
        assert!(line.tags.contains(&"outcome:ok".to_owned()), "{line:?}");
        let steps = (id % 5 + 1) as f64;
        let want = match (line.kind.as_str(), line.name.as_str()) {
            ("c", "call.steps") => steps,
            ("h", "call.bytes") => steps * id as f64,
            _ => panic!("unexpected line {line:?}"),
        };
        assert_eq!(line.value, want, "{line:?}");
        *seen.entry((id, line.name.clone())).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 2 * CALLS as usize);
    assert!(seen.values().all(|&n| n == 1));
}
