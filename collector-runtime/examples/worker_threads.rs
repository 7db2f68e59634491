//! One collector shared by worker threads: a batch of images is split over
//! scoped threads, each thread enters the batch's collector, and the totals
//! are exact however the work was spread. One flush at the end sends one
//! metric per series for the whole batch.
//!
//! With a `DD_*` variable set, metrics go to that agent. Without one, the
//! example listens on a loopback UDP port of its own and prints every
//! datagram it receives.
//!
//! ```text
//! cargo run --example worker_threads
//! ```

use std::net::UdpSocket;
use std::time::Duration;

use cadence::{BufferedUdpMetricSink, StatsdClient};
use collector_runtime::Collector;

const THREADS: usize = 4;

/// Stands in for resizing one image: records through the free functions,
/// into whichever collector is current on this thread.
fn resize(id: u32) {
    let format = if id % 3 == 0 { "png" } else { "jpeg" };
    let bytes = 1_000 + id * 10;
    collector_runtime::incr("images.resized", [("format", format)]);
    collector_runtime::histogram("images.bytes", bytes, [("format", format)]);
    if id % 10 == 0 {
        collector_runtime::incr("images.thumbnail_cache_miss", ());
    }
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

    let images: Vec<u32> = (1..=1_000).collect();
    // A `Collector` is a cheap handle: clones share the same series, behind
    // a lock, so no update is lost.
    let batch = Collector::builder().tag(("batch", "nightly")).build();
    std::thread::scope(|scope| {
        for chunk in images.chunks(images.len().div_ceil(THREADS)) {
            let batch = batch.clone();
            scope.spawn(move || {
                // Entering is per thread: the free functions on this thread
                // now record into the batch's collector.
                let _current = batch.enter();
                for &id in chunk {
                    resize(id);
                }
            });
        }
    });
    let report = batch.flush();
    println!(
        "{} images on {THREADS} threads: flushed {} series ({} errors)",
        images.len(),
        report.series_sent,
        report.errors
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
