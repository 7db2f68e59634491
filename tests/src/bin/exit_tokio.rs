//! `#[tokio::main]` with the annotated work on the runtime's worker threads
//! and nothing of this crate's on the main thread: `main` returns as soon
//! as the tasks have. Run by `tests/exit_delivery.rs` with
//! `DD_DOGSTATSD_URL` aimed at the test's receiver.

use collector_runtime::collect_metrics;

#[collect_metrics(name = "cron.task", timing, outcome)]
async fn task(id: usize) {
    for i in 0..15 {
        collector_runtime::count(&format!("cron.rows.table_{i:02}"), id * 100 + i, ());
        tokio::task::yield_now().await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let tasks: Vec<_> = (0..4).map(|id| tokio::spawn(task(id))).collect();
    for task in tasks {
        task.await.unwrap();
    }
}
