//! A nightly clean-up job that records per-run metrics and flushes them once
//! per series when the run ends.
//!
//! With a `DD_*` variable set, metrics go to that agent. Without one, the
//! example listens on a loopback UDP port of its own and prints every
//! datagram it receives, so the output is visible with no agent installed.
//!
//! ```text
//! cargo run --example quickstart
//! ```

mod local_agent;

use std::time::{Duration, Instant};

use collector_runtime::Collector;
use local_agent::LocalAgent;

/// One run of the job: what it records, it records into the current
/// collector, through the free functions.
fn clean_up(table: &str, rows: &[u32]) {
    let started = Instant::now();
    for &age_days in rows {
        let verdict = if age_days > 30 { "deleted" } else { "kept" };
        collector_runtime::incr("cleanup.rows", &[("table", table), ("verdict", verdict)]);
    }
    // Stands in for the database round trip of one batch.
    std::thread::sleep(Duration::from_millis(3));
    collector_runtime::histogram("cleanup.batches", 1, &[("table", table)]);
    collector_runtime::timing("cleanup.scan", started.elapsed(), &[("table", table)]);
}

fn main() -> std::io::Result<()> {
    // No agent? Be our own: a loopback socket that receives what is sent.
    let agent = LocalAgent::start()?;

    // One collector per run of the job; base tags go on every series.
    let run = Collector::builder().tag(("job", "nightly-cleanup")).build();
    {
        let _current = run.enter();
        clean_up("sessions", &[3, 45, 60, 1, 90]);
        clean_up("sessions", &[31, 2]);
        clean_up("audit_log", &[400, 10]);
    }
    let report = run.flush();
    println!(
        "flushed {} series ({} errors)",
        report.series_sent, report.errors
    );

    agent.print_received()?;
    Ok(())
}
