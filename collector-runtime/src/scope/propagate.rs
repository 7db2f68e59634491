//! A collector made current around every poll of a future: how an
//! execution's collector follows the tasks it hands work to, on any
//! executor, as tracing's `Instrument` does for spans.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::scope::collector::Collector;
use crate::scope::instrumented::{drop_inside, poll_inside};

/// Runs a future with a collector current around every poll of it.
///
/// Implemented for every [`Future`]. A task spawned from inside an
/// execution has no current collector of its own (it runs elsewhere, later,
/// on whatever thread the executor picks): wrap it so that what it records
/// joins the execution's series. No executor is needed by this crate; the
/// wrapper works with `tokio::spawn`, a `JoinSet`, `futures::join_all` or
/// any other.
///
/// ```
/// use cadence::SpyMetricSink;
/// use collector_runtime::{collect_metrics, incr, Client, WithCollector};
///
/// // One request, three sub-queries run as tasks: every line is the
/// // request's, sent in its one flush.
/// #[collect_metrics(name = "request", client = client)]
/// async fn handle(client: Client) {
///     let mut queries = Vec::new();
///     for service in ["users", "orders", "stock"] {
///         let query = async move { incr("subquery", &[("service", service)]) };
///         queries.push(tokio::spawn(query.in_current_collector()));
///     }
///     for query in queries {
///         query.await.unwrap();
///     }
/// }
///
/// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
/// # async fn main() {
/// let (received, sink) = SpyMetricSink::new();
/// handle(Client::new(sink)).await;
/// collector_runtime::wait_for_delivery();
/// let datagram = String::from_utf8(received.try_recv().unwrap()).unwrap();
/// let mut lines: Vec<&str> = datagram.lines().collect();
/// lines.sort(); // the tasks ran in any order
/// assert_eq!(
///     lines,
///     [
///         "subquery:1|c|#service:orders",
///         "subquery:1|c|#service:stock",
///         "subquery:1|c|#service:users",
///     ]
/// );
/// # }
/// ```
pub trait WithCollector: Future + Sized {
    /// This future, with `collector` current around every poll of it, and
    /// while it is dropped.
    ///
    /// The future holds a handle to the collector until it completes or is
    /// dropped: an annotated call's collector is flushed once the call has
    /// ended and such futures are done (see [`Collector::current`]).
    ///
    /// ```
    /// use cadence::SpyMetricSink;
    /// use collector_runtime::{incr, Client, Collector, WithCollector};
    ///
    /// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
    /// # async fn main() {
    /// let (received, sink) = SpyMetricSink::new();
    /// let job = Collector::builder().client(Client::new(sink)).build();
    /// let mut tasks = Vec::new();
    /// for _ in 0..4 {
    ///     let work = async { incr("chunks.done", ()) };
    ///     tasks.push(tokio::spawn(work.with_collector(job.clone())));
    /// }
    /// for task in tasks {
    ///     task.await.unwrap();
    /// }
    /// job.flush();
    /// collector_runtime::wait_for_delivery();
    /// let datagram = String::from_utf8(received.try_recv().unwrap()).unwrap();
    /// assert_eq!(datagram, "chunks.done:4|c");
    /// # }
    /// ```
    fn with_collector(self, collector: Collector) -> WithCollectorFuture<Self> {
        WithCollectorFuture {
            fut: Some(self),
            collector: Some(collector),
        }
    }

    /// This future, with the collector current here and now
    /// ([`Collector::current`]) current around every poll of it. With none
    /// current, the future is polled as it is: what it records goes to
    /// whatever is current where it runs, usually nothing, which sends
    /// straight through the global client.
    ///
    /// ```
    /// use cadence::SpyMetricSink;
    /// use collector_runtime::{incr, Client, Collector, WithCollector};
    ///
    /// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
    /// # async fn main() {
    /// let (received, sink) = SpyMetricSink::new();
    /// let request = Collector::builder().client(Client::new(sink)).build();
    /// let task = {
    ///     let _current = request.enter();
    ///     tokio::spawn(async { incr("cache.refresh", ()) }.in_current_collector())
    /// };
    /// task.await.unwrap();
    /// request.flush();
    /// collector_runtime::wait_for_delivery();
    /// let datagram = String::from_utf8(received.try_recv().unwrap()).unwrap();
    /// assert_eq!(datagram, "cache.refresh:1|c");
    /// # }
    /// ```
    fn in_current_collector(self) -> WithCollectorFuture<Self> {
        WithCollectorFuture {
            fut: Some(self),
            collector: Collector::current(),
        }
    }
}

impl<F: Future> WithCollector for F {}

pin_project! {
    /// A future with a collector current around every poll of it: made by
    /// [`WithCollector::with_collector`] and
    /// [`WithCollector::in_current_collector`].
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::{Collector, WithCollector, collector::WithCollectorFuture};
    ///
    /// let fut: WithCollectorFuture<_> = async { 1 }.with_collector(Collector::new());
    /// # let _ = fut;
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct WithCollectorFuture<F> {
        // `None` once it has completed.
        #[pin]
        fut: Option<F>,
        // Let go of once the future completes: an execution waiting for its
        // handles to flush does not wait for the executor to drop this.
        collector: Option<Collector>,
    }

    impl<F> PinnedDrop for WithCollectorFuture<F> {
        // A future dropped before it completed (an aborted task) drops its
        // locals with the collector current, as it was polled.
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let collector = this.collector.as_ref();
            drop_inside(this.fut, || collector.map(Collector::enter));
        }
    }
}

impl<F> fmt::Debug for WithCollectorFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithCollectorFuture")
            .field("collector", &self.collector)
            .field("completed", &self.fut.is_none())
            .finish()
    }
}

impl<F: Future> Future for WithCollectorFuture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let collector = this.collector.as_ref();
        let what = "a WithCollectorFuture";
        let poll = poll_inside(this.fut, cx, || collector.map(Collector::enter), what);
        if poll.is_ready() {
            *this.collector = None;
        }
        poll
    }
}
