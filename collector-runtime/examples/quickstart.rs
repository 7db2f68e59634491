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

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use cadence::{BufferedUdpMetricSink, StatsdClient};
use collector_runtime::Collector;

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
    let agent_configured = ["DD_DOGSTATSD_URL", "DD_AGENT_HOST", "DD_DOGSTATSD_PORT"]
        .iter()
        .any(|var| std::env::var_os(var).is_some());

    // No agent? Be our own: a loopback socket that receives what is sent.
    let listener = if agent_configured {
        None
    } else {
        let listener = UdpSocket::bind("127.0.0.1:0")?;
        let sink =
            BufferedUdpMetricSink::from(listener.local_addr()?, UdpSocket::bind("127.0.0.1:0")?)
                .map_err(std::io::Error::other)?;
        collector_runtime::set_global_client(StatsdClient::from_sink("", sink));
        Some(listener)
    };

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

    if let Some(listener) = listener {
        listener.set_read_timeout(Some(Duration::from_millis(300)))?;
        let mut buf = [0u8; 65_536];
        while let Ok(n) = listener.recv(&mut buf) {
            println!("received datagram:");
            for line in String::from_utf8_lossy(&buf[..n]).lines() {
                println!("  {line}");
            }
        }
    } else {
        println!("sent to the agent configured by DD_* variables");
    }
    Ok(())
}
