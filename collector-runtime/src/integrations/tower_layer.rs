//! Per-request collection for tower services (axum, tonic, hyper): every
//! request is an execution with its own collector, current around the inner
//! service's `call` and every poll of its response future, and ended when
//! the response is ready or the future is dropped. It ends as every
//! execution does (the attribute's calls, the tracing layer's spans): its
//! last handle flushes it, once, so that a task the handler spawned and
//! handed the collector to sends its lines with the request's.
//!
//! Enabled by the `tower` feature.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Extensions, Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::errors::error::Error;
use crate::input::sanitize::sanitize_tag;
use crate::input::tags::{AsTag, Tags};
use crate::scope::collector::{Collector, CollectorBuilder};
use crate::scope::ending::Ended;
use crate::scope::instrumented::{drop_inside, poll_inside};
use crate::scope::outcome::Outcome;
use crate::scope::panic_text;
use crate::send::client::Client;

type RouteFn = dyn Fn(&Extensions, &http::Uri) -> Option<String> + Send + Sync;

/// The name a request's duration is sent under unless told otherwise:
/// `http.request.duration`.
const DEFAULT_NAME: &str = "http.request";

#[derive(Clone)]
struct Config {
    /// Every request's collector starts from this: tags, client, bound,
    /// error handler, inherited tags, and what its end adds.
    builder: CollectorBuilder,
    method: bool,
    status: bool,
    route: Option<Arc<RouteFn>>,
}

/// A [`tower_layer::Layer`] that makes every request an execution with its
/// own [`Collector`].
///
/// Whatever the handler records through the free functions
/// ([`crate::incr`] and friends) during the request goes to that request's
/// collector. The request ends when the response is ready (or when the
/// response future is dropped: a client that hangs up still gets its
/// request counted, `cancelled`); its lines are then sent once, by the last
/// handle to its collector, as an annotated call's are. Work the handler
/// hands the collector to ([`Collector::current`],
/// [`WithCollector::in_current_collector`](crate::WithCollector)) and that
/// outlives the response is waited for: its lines go out in the same flush,
/// with the request's tags (`status` included), and no series twice.
///
/// Tags added to every series of the request:
///
/// - [`method`](CollectorLayer::method): `method:GET`;
/// - [`route_with`](CollectorLayer::route_with): the route template, e.g.
///   axum's `MatchedPath`, read from the request's extensions. There is no
///   default: the raw path (`/users/1234`) would make one series per user;
/// - [`status`](CollectorLayer::status): `status:200`, when the inner service
///   returns a response (not when it fails or is dropped first);
/// - [`tag`](CollectorLayer::tag), [`tags`](CollectorLayer::tags): fixed
///   ones, and those of the collectors the request runs inside, unless
///   [`inherit_tags(false)`](CollectorLayer::inherit_tags).
///
/// How it ends, with the options of the attribute and of
/// [`CollectorBuilder`]: [`timing`](CollectorLayer::timing),
/// [`outcome`](CollectorLayer::outcome) and
/// [`service_check`](CollectorLayer::service_check). A request ends `ok`
/// with a response below 500; `error` when the inner service returns an
/// `Err` (its `Display` is the check's message) or a response of 500 or
/// more (`500 Internal Server Error`); `panic` when a poll of the inner
/// future panicked; `cancelled` when the response future was dropped first.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// use axum::{extract::MatchedPath, routing::get, Router};
/// use cadence::SpyMetricSink;
/// use collector_runtime::{Client, tower::CollectorLayer};
/// use tower::ServiceExt;
///
/// async fn get_user() -> &'static str {
///     collector_runtime::incr("db.query", &[("table", "users")]);
///     collector_runtime::incr("db.query", &[("table", "users")]);
///     "ada"
/// }
///
/// let (received, sink) = SpyMetricSink::new();
/// let app = Router::new().route("/users/{id}", get(get_user)).layer(
///     CollectorLayer::new()
///         .client(Client::new(sink))
///         .method()
///         .route_with(|extensions, _uri| {
///             extensions.get::<MatchedPath>().map(|path| path.as_str().to_owned())
///         })
///         .status()
///         .outcome(),
/// );
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let request = http::Request::get("/users/1234").body(axum::body::Body::empty()).unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// # });
/// collector_runtime::wait_for_delivery();
/// let sent: Vec<String> = received.try_iter().map(|d| String::from_utf8(d).unwrap()).collect();
/// assert_eq!(
///     sent,
///     ["db.query:2|c|#method:GET,outcome:ok,route:/users/_id_,status:200,table:users"]
/// );
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
#[derive(Clone)]
pub struct CollectorLayer {
    config: Arc<Config>,
}

impl fmt::Debug for CollectorLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CollectorLayer")
            .field("tags", &self.config.builder.base_tags)
            .field("method", &self.config.method)
            .field("route", &self.config.route.is_some())
            .field("status", &self.config.status)
            .finish_non_exhaustive()
    }
}

impl Default for CollectorLayer {
    fn default() -> Self {
        CollectorLayer::new()
    }
}

impl CollectorLayer {
    /// A layer that adds no tags of its own, ends requests with nothing
    /// added, and sends through the global client.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tower::CollectorLayer::new();
    /// # let _ = layer;
    /// ```
    pub fn new() -> CollectorLayer {
        CollectorLayer {
            config: Arc::new(Config {
                builder: Collector::builder().name(DEFAULT_NAME).execution(),
                method: false,
                status: false,
                route: None,
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(Arc::make_mut(&mut self.config));
        self
    }

    fn build(self, f: impl FnOnce(CollectorBuilder) -> CollectorBuilder) -> Self {
        self.edit(|config| config.builder = f(config.builder.clone()))
    }

    /// Adds `method:<HTTP method>` to every series of a request.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tower::CollectorLayer::new().method();
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn method(self) -> Self {
        self.edit(|config| config.method = true)
    }

    /// Adds `status:<code>` to every series of a request that got a response.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tower::CollectorLayer::new().status();
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn status(self) -> Self {
        self.edit(|config| config.status = true)
    }

    /// Adds `route:<template>` to every series of a request, with the
    /// template `route` finds in the request (`None`: no route tag). With
    /// axum, apply the layer with `Router::layer` and read
    /// `axum::extract::MatchedPath` from the extensions; with tonic, whose
    /// paths name a method (`/pkg.Service/Method`), the path itself is fine.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// // tonic: the path is the gRPC method, a bounded set.
    /// let layer = collector_runtime::tower::CollectorLayer::new()
    ///     .route_with(|_extensions, uri| Some(uri.path().to_owned()));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn route_with(
        self,
        route: impl Fn(&Extensions, &http::Uri) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.edit(|config| config.route = Some(Arc::new(route)))
    }

    /// The requests' name, as the attribute's `name` (default
    /// `http.request`): the duration is sent as `<name>.duration`.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// // Durations sent as `api.request.duration`.
    /// let layer = collector_runtime::tower::CollectorLayer::new().name("api.request").timing();
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn name(self, name: impl Into<Cow<'static, str>>) -> Self {
        self.build(|builder| builder.name(name))
    }

    /// Sends each request's duration, in milliseconds, as a timer named
    /// `<name>.duration` (`http.request.duration` by default), as the
    /// attribute's `timing` does.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tower::CollectorLayer::new().timing();
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn timing(self) -> Self {
        self.build(CollectorBuilder::timing)
    }

    /// Adds `outcome:ok|error|panic|cancelled` to every series of a
    /// request, as the attribute's `outcome` does (see [`CollectorLayer`]
    /// for what each means for a request).
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tower::CollectorLayer::new().outcome();
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn outcome(self) -> Self {
        self.build(CollectorBuilder::outcome)
    }

    /// Sends one service check named `name` when each request ends, as the
    /// attribute's `service_check` does: `OK` when it ended `ok`, `CRITICAL`
    /// with how it ended otherwise.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tower::CollectorLayer::new().service_check("api.health");
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn service_check(self, name: impl Into<Cow<'static, str>>) -> Self {
        self.build(|builder| builder.service_check(name))
    }

    /// Adds a tag to every series of every request.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tower::CollectorLayer::new().tag(("api", "public"));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn tag(self, tag: impl AsTag) -> Self {
        let (joint, [key, value]) = tag.as_tag().parts();
        let tag = sanitize_tag(&format!("{key}{joint}{value}")).into_owned();
        self.build(|builder| builder.tag(tag.as_str()))
    }

    /// Adds tags to every series of every request.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tower::CollectorLayer::new().tags(&["api:public", "team:core"]);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn tags(self, tags: impl Tags) -> Self {
        self.build(|builder| builder.tags(tags))
    }

    /// Whether the requests' lines carry the base tags of the collectors
    /// current where the request starts (default `true`), as the
    /// attribute's `inherit_tags` does.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tower::CollectorLayer::new().inherit_tags(false);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn inherit_tags(self, inherit: bool) -> Self {
        self.build(|builder| builder.inherit_tags(inherit))
    }

    /// Sends the requests' errors to `handler` instead of the global one.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tower::CollectorLayer::new()
    ///     .error_handler(|err| eprintln!("request metrics: {err}"));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn error_handler(self, handler: impl Fn(&Error) + Send + Sync + 'static) -> Self {
        self.build(|builder| builder.error_handler(handler))
    }

    /// Sends through `client` instead of the global client.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let client = collector_runtime::Client::new(cadence::NopMetricSink);
    /// let layer = collector_runtime::tower::CollectorLayer::new().client(client);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn client(self, client: impl Into<Client>) -> Self {
        let client = Arc::new(client.into());
        self.build(|builder| builder.shared_client(client))
    }

    /// Bounds the series one request's collector holds (see
    /// [`CollectorBuilder::max_series`]).
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tower::CollectorLayer::new().max_series(100);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn max_series(self, max_series: usize) -> Self {
        self.build(|builder| builder.max_series(max_series))
    }
}

impl Config {
    fn collector_for<B>(&self, request: &Request<B>) -> Collector {
        let mut builder = self.builder.clone();
        if self.method {
            builder = builder.tag(("method", request.method().as_str()));
        }
        if let Some(route) = &self.route {
            if let Some(route) = route(request.extensions(), request.uri()) {
                builder = builder.tag(("route", route.as_str()));
            }
        }
        builder.build()
    }

    /// How a request that got `output` ended.
    fn ended<B, E: fmt::Display>(&self, output: &Result<Response<B>, E>) -> Ended {
        match output {
            Ok(response) => {
                let status = response.status();
                let failed = status.is_server_error();
                Ended {
                    outcome: if failed { Outcome::Error } else { Outcome::Ok },
                    text: failed.then(|| status.to_string()),
                    tag: self.status.then(|| format!("status:{}", status.as_u16())),
                }
            }
            Err(error) => Ended {
                outcome: Outcome::Error,
                text: Some(error.to_string()),
                tag: None,
            },
        }
    }
}

impl<S> Layer<S> for CollectorLayer {
    type Service = CollectorService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CollectorService {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// The service [`CollectorLayer`] wraps around an inner service.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// use collector_runtime::tower::{CollectorLayer, CollectorService};
/// use tower::{service_fn, Layer};
///
/// let inner = service_fn(|_req: http::Request<()>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(()))
/// });
/// let service: CollectorService<_> = CollectorLayer::new().method().layer(inner);
/// # let _ = service;
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
#[derive(Clone)]
pub struct CollectorService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S: fmt::Debug> fmt::Debug for CollectorService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CollectorService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CollectorService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: fmt::Display,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let collector = self.config.collector_for(&request);
        let inner = {
            let _current = collector.enter();
            self.inner.call(request)
        };
        ResponseFuture {
            inner: Some(inner),
            collector: Some(collector),
            polling: false,
            config: Arc::clone(&self.config),
        }
    }
}

pin_project! {
    /// The response future of [`CollectorService`]: polls the inner future
    /// with the request's collector current, and ends the request once.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::tower::{CollectorLayer, ResponseFuture};
    /// use tower::{service_fn, Layer, Service};
    ///
    /// let inner = service_fn(|_req: http::Request<()>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(()))
    /// });
    /// let mut service = CollectorLayer::new().layer(inner);
    /// let future: ResponseFuture<_> = service.call(http::Request::new(()));
    /// # drop(future);
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: Option<F>,
        // The request's own handle, until it ends.
        collector: Option<Collector>,
        // Set around a poll of the inner future: still set when the future
        // is dropped, that poll panicked.
        polling: bool,
        config: Arc<Config>,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(collector) = this.collector.take() {
                // What the inner future records while it is dropped (a
                // guard in the handler, say) still belongs to the request.
                drop_inside(this.inner, || collector.enter());
                let ended = if *this.polling {
                    Ended { text: panic_text::take(), ..Ended::with(Outcome::Panic) }
                } else {
                    Ended::with(Outcome::Cancelled)
                };
                collector.end_as(ended);
            }
        }
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("done", &self.collector.is_none())
            .finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: fmt::Display,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(collector) = this.collector.as_ref() else {
            panic!("ResponseFuture polled after it completed");
        };
        *this.polling = true;
        panic_text::forget();
        let polled = poll_inside(this.inner, cx, || collector.enter(), "ResponseFuture");
        *this.polling = false;
        let output = std::task::ready!(polled);
        if let Some(collector) = this.collector.take() {
            collector.end_as(this.config.ended(&output));
        }
        Poll::Ready(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cadence::SpyMetricSink;
    use std::convert::Infallible;
    use std::future::{poll_fn, ready, Ready};

    struct NoWake;

    impl std::task::Wake for NoWake {
        fn wake(self: Arc<Self>) {}
    }

    struct Echo;

    impl Service<Request<()>> for Echo {
        type Response = Response<()>;
        type Error = Infallible;
        type Future = Ready<Result<Response<()>, Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: Request<()>) -> Self::Future {
            crate::incr("called", ());
            let status = match request.uri().path() {
                "/missing" => 404,
                "/broken" => 500,
                _ => 200,
            };
            ready(Ok(Response::builder().status(status).body(()).unwrap()))
        }
    }

    fn sent(datagrams: impl Iterator<Item = Vec<u8>>) -> Vec<String> {
        datagrams
            .flat_map(|d| {
                let text = String::from_utf8(d).unwrap();
                text.lines().map(str::to_owned).collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn each_request_is_flushed_once_with_its_tags() {
        let (received, sink) = SpyMetricSink::new();
        let layer = CollectorLayer::new()
            .client(Client::new(sink))
            .method()
            .status()
            .tag("api:v1");
        let mut service = layer.layer(Echo);
        for path in ["/", "/missing"] {
            let request = Request::post(path).body(()).unwrap();
            let mut future = service.call(request);
            let waker = std::task::Waker::from(Arc::new(NoWake));
            let polled = Pin::new(&mut future).poll(&mut Context::from_waker(&waker));
            assert!(polled.is_ready());
        }
        crate::wait_for_delivery();
        assert_eq!(
            sent(received.try_iter()),
            [
                "called:1|c|#api:v1,method:POST,status:200",
                "called:1|c|#api:v1,method:POST,status:404"
            ]
        );
    }

    #[test]
    fn a_server_error_ends_the_request_in_error_and_a_client_error_does_not() {
        let (received, sink) = SpyMetricSink::new();
        let layer = CollectorLayer::new()
            .client(Client::new(sink))
            .status()
            .outcome()
            .service_check("api");
        let mut service = layer.layer(Echo);
        for path in ["/missing", "/broken"] {
            let mut future = service.call(Request::get(path).body(()).unwrap());
            let waker = std::task::Waker::from(Arc::new(NoWake));
            let polled = Pin::new(&mut future).poll(&mut Context::from_waker(&waker));
            assert!(polled.is_ready());
        }
        // Dropped before it was polled: the client hung up.
        drop(service.call(Request::get("/").body(()).unwrap()));
        crate::wait_for_delivery();
        // The checks go out at each request's flush, the series with the
        // client's aggregated lines after them.
        assert_eq!(
            sent(received.try_iter()),
            [
                "_sc|api|0|#outcome:ok,status:404",
                "_sc|api|2|#outcome:error,status:500|m:500 Internal Server Error",
                "_sc|api|2|#outcome:cancelled|m:cancelled",
                "called:1|c|#outcome:ok,status:404",
                "called:1|c|#outcome:error,status:500",
                "called:1|c|#outcome:cancelled",
            ]
        );
    }

    #[test]
    fn a_dropped_request_is_flushed_without_status() {
        let (received, sink) = SpyMetricSink::new();
        let layer = CollectorLayer::new().client(Client::new(sink)).status();
        let mut service = layer.layer(never_completes());
        let future = service.call(Request::get("/").body(()).unwrap());
        drop(future);
        crate::wait_for_delivery();
        assert_eq!(sent(received.try_iter()), ["started:1|c", "dropped:1|c"]);
    }

    /// A service whose future never completes and records when dropped.
    fn never_completes() -> impl Service<
        Request<()>,
        Response = Response<()>,
        Error = Infallible,
        Future = impl Future<Output = Result<Response<()>, Infallible>>,
    > {
        struct Never;
        impl Service<Request<()>> for Never {
            type Response = Response<()>;
            type Error = Infallible;
            type Future = Pin<Box<dyn Future<Output = Result<Response<()>, Infallible>>>>;
            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
                Poll::Ready(Ok(()))
            }
            fn call(&mut self, _: Request<()>) -> Self::Future {
                crate::incr("started", ());
                struct OnDrop;
                impl Drop for OnDrop {
                    fn drop(&mut self) {
                        crate::incr("dropped", ());
                    }
                }
                let guard = OnDrop;
                Box::pin(async move {
                    let _guard = guard;
                    poll_fn(|_| Poll::<()>::Pending).await;
                    Ok(Response::new(()))
                })
            }
        }
        Never
    }
}
