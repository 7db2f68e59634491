//! One batch job fanned out to worker threads: the job is an annotated
//! call, it hands its collector (`Collector::current()`) to scoped threads,
//! each thread enters it, and the totals are exact however the work was
//! spread. The call's one flush sends one metric per series for the whole
//! batch.
//!
//! With a `DD_*` variable set, metrics go to that agent. Without one, the
//! example listens on a loopback UDP port of its own and prints every
//! datagram it receives.
//!
//! ```text
//! cargo run --example worker_threads
//! ```

mod local_agent;

use collector_runtime::{collect_metrics, Collector};
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

/// One nightly batch: one collector for the call, flushed when it returns.
#[collect_metrics(name = "images.batch", tags(batch = "nightly"))]
fn resize_batch(images: &[u32]) {
    // The call's collector, to hand to the workers. A `Collector` is a
    // cheap handle: clones share the same series.
    let batch = Collector::current().expect("inside an annotated call");
    std::thread::scope(|scope| {
        for chunk in images.chunks(images.len().div_ceil(THREADS)) {
            let batch = batch.clone();
            scope.spawn(move || {
                // Entering is per thread: the free functions on this thread
                // now record into the call's collector, into a frame of this
                // thread's own, without a lock; the frame joins the call's
                // series when the guard drops, so no update is lost.
                let _current = batch.enter();
                for &id in chunk {
                    resize(id);
                }
            });
        }
    });
    println!(
        "{} images on {THREADS} threads: {} series",
        images.len(),
        batch.len()
    );
}

fn main() -> std::io::Result<()> {
    // No agent? Be our own: a loopback socket that receives what is sent.
    let agent = LocalAgent::start()?;

    let images: Vec<u32> = (1..=1_000).collect();
    resize_batch(&images); // one flush, when the call returns

    agent.print_received()?;
    Ok(())
}
