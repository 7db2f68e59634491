//! A cron binary as users write it, run by `tests/exit_delivery.rs` with
//! `DD_DOGSTATSD_URL` aimed at the test's receiver. The first argument says
//! how the process ends:
//!
//! - `return`: `main` returns right after the annotated job returned;
//! - `process_exit`: `std::process::exit(0)` right after the job returned;
//! - `exit_inside`: `collector_runtime::exit(0)` from inside the job;
//! - `exit_inside_failing`: `collector_runtime::exit(2)` from inside it;
//! - `current_flush_then_exit`: inside the job, `Collector::current()`'s
//!   flush (an annotated call's collector is the call's to flush: it sends
//!   nothing, and says so: an empty report, and `Error::FlushDeferred` to
//!   the error handler), then `collector_runtime::exit(0)`;
//! - `thread_exit`: the job runs on a thread of its own, which ends before
//!   `main` returns without touching the collector.
//!
//! Every mode records the same 60 series (more than one UDP payload).

use collector_runtime::collect_metrics;

/// How many series a run records.
const SERIES: usize = 60;

#[collect_metrics(name = "cron.job", tags("job:nightly"), timing, outcome)]
fn job(mode: &str) {
    for i in 0..SERIES {
        collector_runtime::count(&format!("cron.rows.table_{i:02}"), i + 1, ());
    }
    match mode {
        "current_flush_then_exit" => {
            let current = collector_runtime::Collector::current().expect("the call's collector");
            let report = current.flush();
            println!("series_sent={}", report.series_sent);
            collector_runtime::exit(0)
        }
        "exit_inside" => collector_runtime::exit(0),
        "exit_inside_failing" => collector_runtime::exit(2),
        _ => {}
    }
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "thread_exit" => std::thread::spawn(move || job(&mode)).join().unwrap(),
        "process_exit" => {
            job(&mode);
            std::process::exit(0);
        }
        _ => job(&mode),
    }
}
