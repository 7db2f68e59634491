//! Observing what your code sends, in tests: [`capture`] runs a closure,
//! [`capture_async`] a future, and both return the lines that every flush
//! during it would have sent (annotated calls, collectors, and the free
//! functions' no-collector path), instead of sending them, together with
//! what the closure or future returned: `let (value, lines) =
//! capture(|| import(..));`.
//!
//! - **Exact.** Lines are written by the same writer, with the same client
//!   settings (prefix, tags, origin fields), as the flush would have sent.
//!   A collector with a client of its own is captured too: the point is
//!   observing, and its sink receives nothing.
//! - **Scoped.** A capture is active on the thread running the closure, or
//!   around every poll of the future on whichever thread polls it; captures
//!   nest (the innermost receives). Tests running in parallel threads of one
//!   process each see their own lines, and nothing reaches the global client
//!   while a capture is active. A thread spawned inside the closure is not
//!   captured: it sends as usual.
//! - **Always available**, without a feature: it has no dependency, and a
//!   flush pays for it with one thread-local read, only when it has
//!   something to send. Putting it behind a feature would make every user
//!   write a `[dev-dependencies]` entry to test their own instrumentation.
//!
//! ```
//! # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
//! use collector_runtime::{collect_metrics, histogram, testing};
//!
//! #[collect_metrics(name = "orders.import", tags("source:csv"))]
//! fn import(rows: &[&str]) {
//!     for _ in rows {
//!         histogram("orders.rows", 1, &[("table", "orders")]);
//!     }
//! }
//!
//! let ((), lines) = testing::capture(|| import(&["a", "b", "c"]));
//! assert!(lines.iter().any(|l| l.name() == "orders.rows" && l.value() == 3.0));
//! assert_eq!(lines, ["orders.rows:3|h|#source:csv,table:orders"]);
//! ```

mod future;
mod line;
mod scope;

pub use future::CaptureFuture;
pub use line::Line;

use scope::{Active, Lines};

/// Runs `f` and returns what it returned, with every line flushed on this
/// thread while it ran, which are not sent.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// use collector_runtime::testing;
///
/// let (missed, lines) = testing::capture(|| {
///     // No collector is current: sent at once, so captured at once.
///     collector_runtime::incr("cache.miss", &["region:eu"]);
///     collector_runtime::incr("cache.miss", &["region:eu"]);
///     2usize
/// });
/// assert_eq!(missed, 2);
/// assert_eq!(lines, ["cache.miss:1|c|#region:eu", "cache.miss:1|c|#region:eu"]);
/// ```
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<Line>) {
    let lines = Lines::default();
    let value = {
        let _active = Active::push(&lines);
        f()
    };
    (value, take(&lines))
}

/// A future that runs `fut` with a capture active around every poll (and
/// around its drop, should it be dropped unfinished), and resolves to
/// `fut`'s output with every line flushed meanwhile, which are not sent. It follows `fut` across the
/// threads of a work-stealing executor, like `#[collect_metrics]` does.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// use collector_runtime::{collect_metrics, incr, testing};
///
/// #[collect_metrics(name = "checkout")]
/// async fn checkout(items: u32) -> u32 {
///     for _ in 0..items {
///         incr("checkout.items", ());
///         tokio::task::yield_now().await;
///     }
///     items
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let (items, lines) = testing::capture_async(checkout(2)).await;
/// assert_eq!(items, 2);
/// assert_eq!(lines, ["checkout.items:2|c"]);
/// # });
/// ```
pub fn capture_async<F: std::future::Future>(fut: F) -> CaptureFuture<F> {
    CaptureFuture::new(fut, Lines::default())
}

/// Every line captured so far, taken out.
fn take(lines: &Lines) -> Vec<Line> {
    std::mem::take(&mut *lines.lock().unwrap_or_else(|e| e.into_inner()))
}
