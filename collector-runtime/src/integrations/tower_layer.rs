//! Per-request collection for tower services (axum, tonic, hyper): every
//! request gets its own collector, current around the inner service's `call`
//! and every poll of its response future, and flushed once when the response
//! is ready or the future is dropped.
//!
//! Enabled by the `tower` feature.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Extensions, Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::input::sanitize::sanitize_tag;
use crate::input::tags::AsTag;
use crate::scope::collector::{Collector, CollectorBuilder};
use crate::send::client::Client;

type RouteFn = dyn Fn(&Extensions, &http::Uri) -> Option<String> + Send + Sync;

struct Config {
    tags: Vec<String>,
    client: Option<Arc<Client>>,
    max_series: Option<usize>,
    method: bool,
    status: bool,
    route: Option<Arc<RouteFn>>,
    timing: Option<Cow<'static, str>>,
}

/// A [`tower_layer::Layer`](https://docs.rs/tower-layer/0.3/tower_layer/trait.Layer.html) that gives every request its own [`Collector`].
///
/// Whatever the handler records through the free functions
/// ([`crate::incr`] and friends) during the request goes to that request's
/// collector, which is flushed once when the response is ready (or when the
/// response future is dropped: a client that hangs up still gets its request
/// counted). Optional tags, added to every series of the request:
///
/// - [`method`](CollectorLayer::method): `method:GET`;
/// - [`route_with`](CollectorLayer::route_with): the route template, e.g.
///   axum's `MatchedPath`, read from the request's extensions. There is no
///   default: the raw path (`/users/1234`) would make one series per user;
/// - [`status`](CollectorLayer::status): `status:200`, when the inner service
///   returns a response (not when it fails or is dropped first).
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
///         .status(),
/// );
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let request = http::Request::get("/users/1234").body(axum::body::Body::empty()).unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// # });
/// collector_runtime::wait_for_delivery();
/// let sent: Vec<String> = received.try_iter().map(|d| String::from_utf8(d).unwrap()).collect();
/// assert_eq!(sent, ["db.query:2|c|#method:GET,route:/users/_id_,status:200,table:users"]);
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
#[derive(Clone)]
pub struct CollectorLayer {
    config: Arc<Config>,
}

impl fmt::Debug for CollectorLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CollectorLayer")
            .field("tags", &self.config.tags)
            .field("method", &self.config.method)
            .field("route", &self.config.route.is_some())
            .field("status", &self.config.status)
            .field("timing", &self.config.timing)
            .finish_non_exhaustive()
    }
}

impl Default for CollectorLayer {
    fn default() -> Self {
        CollectorLayer::new()
    }
}

impl CollectorLayer {
    /// A layer that adds no tags of its own and sends through the global
    /// client.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tower::CollectorLayer::new();
    /// # let _ = layer;
    /// ```
    pub fn new() -> CollectorLayer {
        CollectorLayer {
            config: Arc::new(Config {
                tags: Vec::new(),
                client: None,
                max_series: None,
                method: false,
                status: false,
                route: None,
                timing: None,
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Config)) -> Self {
        match Arc::get_mut(&mut self.config) {
            Some(config) => f(config),
            None => {
                let old = &self.config;
                let mut config = Config {
                    tags: old.tags.clone(),
                    client: old.client.clone(),
                    max_series: old.max_series,
                    method: old.method,
                    status: old.status,
                    route: old.route.clone(),
                    timing: old.timing.clone(),
                };
                f(&mut config);
                self.config = Arc::new(config);
            }
        }
        self
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

    /// Sends each request's duration, in milliseconds, as a timer named
    /// `name`.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let layer = collector_runtime::tower::CollectorLayer::new().timing("http.request.duration");
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn timing(self, name: impl Into<Cow<'static, str>>) -> Self {
        let name = name.into();
        self.edit(|config| config.timing = Some(name))
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
        self.edit(|config| {
            if !config.tags.contains(&tag) {
                config.tags.push(tag);
            }
        })
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
        self.edit(|config| config.client = Some(client))
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
        self.edit(|config| config.max_series = Some(max_series))
    }
}

impl Config {
    fn collector_for<B>(&self, request: &Request<B>) -> Collector {
        let mut builder: CollectorBuilder = Collector::builder();
        if let Some(client) = &self.client {
            builder = builder.shared_client(Arc::clone(client));
        }
        if let Some(max_series) = self.max_series {
            builder = builder.max_series(max_series);
        }
        for tag in &self.tags {
            builder = builder.tag(tag.as_str());
        }
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
/// use collector_runtime::{tower::CollectorLayer, tower::CollectorService};
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
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let started = self.config.timing.is_some().then(Instant::now);
        let collector = self.config.collector_for(&request);
        let inner = {
            let _current = collector.enter();
            self.inner.call(request)
        };
        ResponseFuture {
            inner: Some(inner),
            scope: Some(RequestScope {
                collector,
                started,
                config: Arc::clone(&self.config),
            }),
        }
    }
}

/// One request's collector, until the request ends.
struct RequestScope {
    collector: Collector,
    started: Option<Instant>,
    config: Arc<Config>,
}

impl RequestScope {
    fn finish(self, status: Option<http::StatusCode>) {
        if let (Some(started), Some(name)) = (self.started, &self.config.timing) {
            self.collector.timing(name, started.elapsed(), ());
        }
        let status = status
            .filter(|_| self.config.status)
            .map(|code| format!("status:{}", code.as_u16()));
        self.collector.flush_with(status.as_deref().as_slice());
    }
}

pin_project! {
    /// The response future of [`CollectorService`]: polls the inner future
    /// with the request's collector current, and flushes it once.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// use collector_runtime::{tower::CollectorLayer, tower::ResponseFuture};
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
        scope: Option<RequestScope>,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if let Some(scope) = this.scope.take() {
                // What the inner future records while it is dropped (a
                // guard in the handler, say) still belongs to the request.
                {
                    let _current = scope.collector.enter();
                    this.inner.set(None);
                }
                scope.finish(None);
            }
        }
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("done", &self.scope.is_none())
            .finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(scope) = this.scope.as_ref() else {
            panic!("ResponseFuture polled after it completed");
        };
        let polled = {
            let _current = scope.collector.enter();
            match this.inner.as_mut().as_pin_mut() {
                Some(inner) => inner.poll(cx),
                None => panic!("ResponseFuture polled after it completed"),
            }
        };
        let output = match polled {
            Poll::Ready(output) => output,
            Poll::Pending => return Poll::Pending,
        };
        {
            let _current = scope.collector.enter();
            this.inner.set(None);
        }
        let status = output.as_ref().ok().map(Response::status);
        if let Some(scope) = this.scope.take() {
            scope.finish(status);
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
            let status = if request.uri().path() == "/missing" {
                404
            } else {
                200
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
