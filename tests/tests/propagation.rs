//! Propagation: an annotated call's collector follows the work it hands
//! out (tasks with `in_current_collector`, `spawn_blocking` and scoped
//! threads entering `Collector::current()`), and the call flushes once,
//! when it has ended and the last handle it handed out is gone, with
//! what that work recorded, also after the call returned.

#![deny(warnings)]

mod attribute_common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use attribute_common::Recorder;
use collector_runtime::{collect_metrics, incr, Client, Collector, WithCollector};
use collector_tests::{parse_line, series, Line, SeriesId};
use tokio::sync::oneshot;

fn multi_thread(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

/// The lines of one flush, by series; a series sent twice fails.
fn by_series(lines: &[Line]) -> BTreeMap<SeriesId, f64> {
    collector_tests::by_series(lines).unwrap_or_else(|e| panic!("{e}: {lines:?}"))
}

#[collect_metrics(name = "fan_out", client = rec.client(), outcome)]
async fn fan_out(rec: Recorder) {
    let mut tasks = Vec::new();
    for _ in 0..50 {
        tasks.push(tokio::spawn(async { incr("x", ()) }.in_current_collector()));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let collector = Collector::current().expect("the call's collector");
    tokio::task::spawn_blocking(move || {
        let _current = collector.enter();
        incr("blocking", ());
    })
    .await
    .unwrap();
}

#[test]
fn fifty_tasks_and_a_blocking_task_send_two_lines_in_the_calls_one_flush() {
    let rec = Recorder::new();
    multi_thread(4).block_on(fan_out(rec.clone()));
    let flushes = rec.flushes();
    assert_eq!(flushes.len(), 1, "one flush: {flushes:?}");
    let expected: BTreeMap<_, _> = [
        (series("c", "x", &["outcome:ok"]), 50.0),
        (series("c", "blocking", &["outcome:ok"]), 1.0),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_series(&flushes[0]), expected);
    assert_eq!(flushes[0].len(), 2, "{flushes:?}");
}

#[collect_metrics(name = "batch", client = rec.client(), tags("batch:nightly"))]
fn scoped_threads(rec: Recorder) {
    let collector = Collector::current().expect("the call's collector");
    std::thread::scope(|scope| {
        for _ in 0..8 {
            let collector = collector.clone();
            scope.spawn(move || {
                let _current = collector.enter();
                incr("chunk.done", ());
            });
        }
    });
}

#[test]
fn eight_scoped_threads_send_one_line_of_eight() {
    let rec = Recorder::new();
    scoped_threads(rec.clone());
    let flushes = rec.flushes();
    assert_eq!(flushes.len(), 1, "{flushes:?}");
    let sent: Vec<String> = flushes[0].iter().map(|l| format!("{l:?}")).collect();
    assert_eq!(flushes[0].len(), 1, "{sent:?}");
    assert_eq!(
        flushes[0][0].series(),
        series("c", "chunk.done", &["batch:nightly"])
    );
    assert_eq!(flushes[0][0].value, 8.0);
}

/// A task a call spawned and returned, still running.
struct StillRunning(tokio::task::JoinHandle<()>);

/// Returns while the task it spawned still runs; the task records once
/// before the call returns, once when `go` fires, and once as it drops.
#[collect_metrics(name = "parent", client = rec.client(), timing, outcome)]
async fn parent(rec: Recorder, go: oneshot::Receiver<()>) -> StillRunning {
    incr("parent.work", ());
    let (started, running) = oneshot::channel();
    let task = tokio::spawn(
        async move {
            struct RecordsOnDrop;
            impl Drop for RecordsOnDrop {
                fn drop(&mut self) {
                    incr("task.dropped", ());
                }
            }
            let _on_drop = RecordsOnDrop;
            incr("task.early", ());
            let _ = started.send(());
            if go.await.is_ok() {
                incr("task.late", ());
            }
        }
        .in_current_collector(),
    );
    running.await.unwrap();
    StillRunning(task)
}

/// The lines of the one flush of a `parent` call, by series.
fn parent_lines(rec: &Recorder) -> BTreeMap<SeriesId, f64> {
    let flushes = rec.flushes();
    assert_eq!(flushes.len(), 1, "one flush: {flushes:?}");
    let mut sent = by_series(&flushes[0]);
    let duration = series("ms", "parent.duration", &["outcome:ok"]);
    let ms = sent.remove(&duration).expect("the call's duration");
    assert!(ms >= 0.0);
    sent
}

#[test]
fn a_task_that_outlives_its_call_flushes_the_call_when_it_finishes() {
    let runtime = multi_thread(2);
    let rec = Recorder::new();
    let (go, wait) = oneshot::channel();
    let StillRunning(task) = runtime.block_on(parent(rec.clone(), wait));
    // The call has returned; its task still holds the collector.
    assert_eq!(rec.flush_count(), 0, "flushed before the task let go");
    go.send(()).unwrap();
    runtime.block_on(task).unwrap();
    let expected: BTreeMap<_, _> = [
        (series("c", "parent.work", &["outcome:ok"]), 1.0),
        (series("c", "task.early", &["outcome:ok"]), 1.0),
        (series("c", "task.late", &["outcome:ok"]), 1.0),
        (series("c", "task.dropped", &["outcome:ok"]), 1.0),
    ]
    .into_iter()
    .collect();
    assert_eq!(parent_lines(&rec), expected);
}

#[test]
fn a_task_that_outlives_its_call_flushes_the_call_when_it_is_aborted() {
    let runtime = multi_thread(2);
    let rec = Recorder::new();
    let (go, wait) = oneshot::channel();
    let StillRunning(task) = runtime.block_on(parent(rec.clone(), wait));
    assert_eq!(rec.flush_count(), 0, "flushed before the task let go");
    task.abort();
    let ended = runtime.block_on(task);
    assert!(ended.unwrap_err().is_cancelled());
    drop(go);
    // Dropped by the abort, with the collector current: its drop's record
    // is the call's, and the call flushed once, without `task.late`.
    let expected: BTreeMap<_, _> = [
        (series("c", "parent.work", &["outcome:ok"]), 1.0),
        (series("c", "task.early", &["outcome:ok"]), 1.0),
        (series("c", "task.dropped", &["outcome:ok"]), 1.0),
    ]
    .into_iter()
    .collect();
    assert_eq!(parent_lines(&rec), expected);
}

/// Counts every line and every flush it receives, in fixed memory: the
/// per-call totals are indexed by the call's tag.
struct CountingSink {
    per_call: Arc<Vec<AtomicU64>>,
    lines: Arc<AtomicUsize>,
    flushes: Arc<AtomicUsize>,
}

impl cadence::MetricSink for CountingSink {
    fn emit(&self, payload: &str) -> std::io::Result<usize> {
        for text in payload.split('\n') {
            let line = parse_line(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!((line.name.as_str(), line.kind.as_str()), ("x", "c"));
            let call: usize = line
                .tags
                .iter()
                .find_map(|t| t.strip_prefix("call:"))
                .expect("a call tag")
                .parse()
                .unwrap();
            self.per_call[call].fetch_add(line.value as u64, Ordering::Relaxed);
            self.lines.fetch_add(1, Ordering::Relaxed);
        }
        Ok(payload.len())
    }

    fn flush(&self) -> std::io::Result<()> {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[collect_metrics(name = "load", client = &*client, tags(call = id))]
async fn ten_tasks(client: Arc<Client>, id: usize) {
    let mut tasks = Vec::with_capacity(10);
    for _ in 0..10 {
        let work = async {
            tokio::task::yield_now().await;
            incr("x", ());
        };
        tasks.push(tokio::spawn(work.in_current_collector()));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

/// Resident memory, in bytes, from `/proc/self/statm`.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn ten_thousand_calls_of_ten_tasks_each_flush_once_with_exact_totals_in_flat_memory() {
    // As many as measured: the client's aggregator holds each interval's
    // contexts (here one per call), so its tables reach their size during
    // a run as long as the measured one.
    const WARM_UP: usize = 10_000;
    const CALLS: usize = 10_000;
    let per_call: Arc<Vec<AtomicU64>> =
        Arc::new((0..WARM_UP + CALLS).map(|_| AtomicU64::new(0)).collect());
    let lines = Arc::new(AtomicUsize::new(0));
    let flushes = Arc::new(AtomicUsize::new(0));
    let client = Arc::new(Client::new(CountingSink {
        per_call: Arc::clone(&per_call),
        lines: Arc::clone(&lines),
        flushes: Arc::clone(&flushes),
    }));
    let runtime = multi_thread(4);
    let run = |ids: std::ops::Range<usize>| {
        runtime.block_on(async {
            // 100 calls at a time, so that calls and tasks interleave on
            // every worker.
            let ids: Vec<usize> = ids.collect();
            for wave in ids.chunks(100) {
                let calls: Vec<_> = wave
                    .iter()
                    .map(|&id| tokio::spawn(ten_tasks(Arc::clone(&client), id)))
                    .collect();
                for call in calls {
                    call.await.unwrap();
                }
            }
        })
    };
    run(0..WARM_UP);
    let before = rss();
    run(WARM_UP..WARM_UP + CALLS);
    let after = rss();
    collector_runtime::wait_for_delivery();

    // One line per call, from the call's one flush: the calls share the
    // client's payloads, so the sink is flushed once per run of payloads.
    let sink_flushes = flushes.load(Ordering::Relaxed);
    assert!(
        (1..=WARM_UP + CALLS).contains(&sink_flushes),
        "{sink_flushes}"
    );
    assert_eq!(lines.load(Ordering::Relaxed), WARM_UP + CALLS);
    for (id, total) in per_call.iter().enumerate() {
        assert_eq!(total.load(Ordering::Relaxed), 10, "call {id}");
    }
    // A collector, a store or a task kept per call would grow with the
    // calls; allocator noise stays within a few megabytes.
    let grown = after.saturating_sub(before);
    assert!(
        grown < 2 << 20,
        "resident memory grew by {grown} bytes over {CALLS} calls ({before} -> {after})"
    );
}

/// Stands in for one sub-query of the guide's per-request fan-out.
async fn query(_index: &str, _text: &str) -> Result<usize, String> {
    tokio::task::yield_now().await;
    Ok(2)
}

/// The guide's per-request fan-out (patterns), with a client of the test's.
#[collect_metrics(name = "search", client = rec.client(), tags("api:v1"), outcome)]
async fn search(rec: Recorder, text: String) -> Result<usize, String> {
    let mut parts = Vec::new();
    for index in ["users", "orders", "products"] {
        let text = text.clone();
        parts.push(tokio::spawn(
            async move {
                incr("search.subquery", &[("index", index)]);
                let rows = query(index, &text).await?;
                collector_runtime::histogram("search.rows", rows as f64, ());
                Ok::<_, String>(rows)
            }
            .in_current_collector(),
        ));
    }
    let mut rows = 0;
    for part in parts {
        rows += part.await.map_err(|e| e.to_string())??;
    }
    Ok(rows)
}

/// The first `text` block after `heading` in the guide's patterns chapter,
/// one line each.
fn guide_block(heading: &str) -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../collector-runtime/docs/patterns.md"
    );
    let readme = std::fs::read_to_string(path).unwrap();
    let after = readme.split_once(heading).expect("the heading").1;
    let block = after.split_once("```text\n").expect("a text block").1;
    let block = block.split_once("```").expect("the block ends").0;
    block.lines().map(str::to_owned).collect()
}

#[test]
fn the_guides_per_request_fan_out_sends_the_lines_it_shows() {
    let rec = Recorder::new();
    let rows = multi_thread(2).block_on(search(rec.clone(), "shoes".into()));
    assert_eq!(rows, Ok(6));
    let flushes = rec.flushes();
    assert_eq!(flushes.len(), 1, "{flushes:?}");
    let shown: Vec<Line> = guide_block("Per request, with parallel sub-queries")
        .iter()
        .map(|l| parse_line(l).unwrap())
        .collect();
    assert_eq!(by_series(&flushes[0]), by_series(&shown));
}
