//! Nested executions carry the base tags of the collectors they run inside,
//! as known when they end: each level of a call inside a call inside a
//! collector built by hand, async calls inside async calls, a collector
//! handed out and flushed later on another thread, the clash of keys (the
//! execution's own tag wins) and the opt-out. Read through a capture, and
//! once through a real UDP socket.

use std::time::Duration;

use collector_runtime::{collect_metrics, histogram, incr, testing, Client, Collector};
use collector_tests::{parse_all, UdpReceiver};

#[collect_metrics(name = "load", tags("step:load"))]
fn load(rows: usize) -> usize {
    histogram("load.rows", rows, &[("table", "orders")]);
    rows
}

#[collect_metrics(name = "import", tags("job:import"), outcome)]
fn import(batches: &[usize]) -> Result<usize, String> {
    incr("import.batches", ());
    Ok(batches.iter().map(|&rows| load(rows)).sum())
}

#[test]
fn each_level_carries_the_tags_of_every_collector_around_it() {
    let run = Collector::builder().tag("run:nightly").build();
    let (rows, lines) = testing::capture(|| {
        let rows = {
            let _current = run.enter();
            incr("run.started", ());
            import(&[2, 3])
        };
        run.flush();
        rows
    });
    assert_eq!(rows, Ok(5));
    assert_eq!(
        lines,
        [
            // The innermost calls, one flush each: their own, the import's
            // and the run's tags.
            "load.rows:2|h|#job:import,run:nightly,step:load,table:orders",
            "load.rows:3|h|#job:import,run:nightly,step:load,table:orders",
            // The middle one: its own and the run's (the outcome is its own).
            "import.batches:1|c|#job:import,outcome:ok,run:nightly",
            "run.started:1|c|#run:nightly",
        ]
    );
}

#[collect_metrics(name = "fetch", tags("part:fetch"))]
async fn fetch(n: u32) -> u32 {
    tokio::task::yield_now().await;
    incr("fetch.done", ());
    n
}

#[collect_metrics(name = "sync_all", tags("job:sync"))]
async fn sync_all() -> u32 {
    let mut total = 0;
    for n in [1, 2] {
        total += fetch(n).await;
    }
    total
}

#[test]
fn an_async_call_ending_inside_an_async_call_carries_its_tags() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let task = runtime.spawn(testing::capture_async(sync_all()));
    let (total, lines) = runtime.block_on(task).unwrap();
    assert_eq!(total, 3);
    assert_eq!(
        lines,
        [
            "fetch.done:1|c|#job:sync,part:fetch",
            "fetch.done:1|c|#job:sync,part:fetch"
        ]
    );
}

#[collect_metrics(name = "own", tags("job:own", "team:data"))]
fn own_job() {
    incr("own.work", &[("table", "inner")]);
}

#[test]
fn the_executions_own_tag_wins_a_clash_of_keys() {
    let outer = Collector::builder()
        .tags(&["job:outer", "table:outer", "region:eu"])
        .build();
    let ((), lines) = testing::capture(|| {
        let _current = outer.enter();
        own_job();
    });
    assert_eq!(
        lines,
        ["own.work:1|c|#job:own,region:eu,table:inner,team:data"]
    );
}

#[collect_metrics(name = "apart", tags("job:apart"), inherit_tags = false)]
fn apart() {
    incr("apart.work", ());
}

#[test]
fn inheritance_can_be_turned_off_for_a_call_or_a_collector() {
    let outer = Collector::builder().tag("route:/x").build();
    let ((), lines) = testing::capture(|| {
        let _current = outer.enter();
        apart();
        let by_hand = Collector::builder()
            .tag("part:b")
            .inherit_tags(false)
            .build();
        by_hand.incr("by_hand.work", ());
        by_hand.flush();
    });
    assert_eq!(
        lines,
        ["apart.work:1|c|#job:apart", "by_hand.work:1|c|#part:b"]
    );
}

#[collect_metrics(name = "spawner", tags("job:spawner"), client = client)]
fn spawner(client: Client) -> std::thread::JoinHandle<()> {
    let collector = Collector::current().expect("the call's collector");
    std::thread::spawn(move || {
        let _current = collector.enter();
        // Recorded after the call has returned, on another thread: the
        // call's flush waits for this handle.
        std::thread::sleep(Duration::from_millis(20));
        incr("late.work", ());
    })
}

#[test]
fn a_collector_handed_out_keeps_the_tags_known_when_its_call_ended() {
    let receiver = UdpReceiver::bind();
    let outer = Collector::builder()
        .client(receiver.client())
        .tag("route:/y")
        .build();
    let worker = {
        let _current = outer.enter();
        spawner(receiver.client())
    };
    // The call ended inside `outer`; its collector is flushed by the
    // worker's handle, on the worker's thread, outside any collector.
    worker.join().unwrap();
    collector_runtime::wait_for_delivery();
    let datagrams = receiver.datagrams_within(Duration::from_secs(10), Duration::from_millis(200));
    let lines = parse_all(&datagrams);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].name, "late.work");
    assert_eq!(lines[0].tags, ["job:spawner", "route:/y"]);
}

#[collect_metrics(name = "batch", tags("job:batch"), client = client.clone())]
fn batch(client: Client) {
    let collector = Collector::current().expect("the call's collector");
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let _current = collector.enter();
            // Built on a thread where only the call's collector is current:
            // it inherits the call's tags and those the call's collector
            // took along when handed out.
            let step = Collector::builder().client(client).tag("step:2").build();
            step.incr("batch.step", ());
            step.flush();
        });
    });
}

#[test]
fn work_on_another_thread_inherits_through_the_collector_handed_to_it() {
    let receiver = UdpReceiver::bind();
    let outer = Collector::builder().tag("route:/z").build();
    {
        let _current = outer.enter();
        batch(receiver.client());
    }
    collector_runtime::wait_for_delivery();
    let datagrams = receiver.datagrams_within(Duration::from_secs(10), Duration::from_millis(200));
    let lines = parse_all(&datagrams);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].name, "batch.step");
    assert_eq!(lines[0].tags, ["job:batch", "route:/z", "step:2"]);
}
