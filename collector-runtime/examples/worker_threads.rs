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

mod local_agent;

use collector_runtime::Collector;
use local_agent::LocalAgent;

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
    // No agent? Be our own: a loopback socket that receives what is sent.
    let agent = LocalAgent::start()?;

    let images: Vec<u32> = (1..=1_000).collect();
    // A `Collector` is a cheap handle: clones share the same series. Each
    // entered thread records into a frame of its own, without a lock, and
    // the frame joins the batch when its guard drops: no update is lost.
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

    agent.print_received()?;
    Ok(())
}
