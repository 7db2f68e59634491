//! The plain alternative to the layer: an axum handler annotated with
//! `#[collect_metrics]`, served by a real axum server on a loopback port and
//! hit by real HTTP requests. Each call of the handler is one collector, one
//! flush, one datagram; the client comes from the application's state.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use collector_runtime::collect_metrics;
use collector_runtime::Client;
use collector_tests::{parse_datagram, series, UdpReceiver};

mod axum_common;
use axum_common::{request, serve};

#[derive(Clone)]
struct AppState {
    metrics: Client,
}

async fn hop() {
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// Every series of a call carries `api:v1`, the cart's size class (an
/// expression read when the call starts) and the outcome; the call's
/// duration is sent as `checkout.duration`.
#[collect_metrics(
    name = "checkout",
    client = state.metrics.clone(),
    tags("api:v1", size = if cart < 100 { "small" } else { "large" }),
    timing,
    outcome
)]
async fn checkout(
    State(state): State<AppState>,
    Path(cart): Path<u32>,
) -> Result<String, StatusCode> {
    collector_runtime::incr("cart.loaded", [("cart", cart.to_string().as_str())]);
    hop().await;
    collector_runtime::histogram("db.queries", 2, ());
    hop().await;
    if cart % 2 == 1 {
        collector_runtime::incr("payment.declined", ());
        return Err(StatusCode::PAYMENT_REQUIRED);
    }
    collector_runtime::histogram("db.queries", 1, ());
    Ok(format!("cart {cart} paid"))
}

#[test]
fn an_annotated_axum_handler_flushes_once_per_request() {
    let receiver = UdpReceiver::bind_with_buffer(1 << 20);
    let state = AppState {
        metrics: receiver.client(),
    };
    let app = Router::new()
        .route("/checkout/{cart}", get(checkout))
        .with_state(state);
    let (server, runtime) = serve(app);

    let carts: Vec<u32> = (1..=6).chain([100, 101, 250]).collect();
    std::thread::scope(|scope| {
        for &cart in &carts {
            scope.spawn(move || {
                let status = request(server, "GET", &format!("/checkout/{cart}"), "");
                assert_eq!(status, if cart % 2 == 1 { 402 } else { 200 });
            });
        }
    });

    // The client is one UDP client shared by all requests, whose aggregator
    // merges their series: each series is summed over the requests, with
    // its number of samples (one per request) where it is not a counter.
    let datagrams = receiver.datagrams_within(Duration::from_secs(10), Duration::from_millis(300));
    let mut got: BTreeMap<_, (f64, usize)> = BTreeMap::new();
    for datagram in &datagrams {
        for line in parse_datagram(datagram).unwrap_or_else(|e| panic!("{e}")) {
            let value = if line.kind == "ms" {
                0.0
            } else {
                line.values.iter().sum()
            };
            let entry = got.entry(line.series()).or_default();
            entry.0 += value;
            if line.kind != "c" {
                entry.1 += line.values.len();
            }
        }
    }

    let mut expected: BTreeMap<_, (f64, usize)> = BTreeMap::new();
    for &cart in &carts {
        let outcome = if cart % 2 == 1 {
            "outcome:error"
        } else {
            "outcome:ok"
        };
        let size = if cart < 100 {
            "size:small"
        } else {
            "size:large"
        };
        let cart_tag = format!("cart:{cart}");
        let tags = ["api:v1", outcome, size];
        let mut add = |kind: &str, name: &str, tags: &[&str], value: f64| {
            let entry = expected.entry(series(kind, name, tags)).or_default();
            entry.0 += value;
            if kind != "c" {
                entry.1 += 1;
            }
        };
        add(
            "c",
            "cart.loaded",
            &["api:v1", &cart_tag, outcome, size],
            1.0,
        );
        add("ms", "checkout.duration", &tags, 0.0);
        if cart % 2 == 1 {
            add("h", "db.queries", &tags, 2.0);
            add("c", "payment.declined", &tags, 1.0);
        } else {
            add("h", "db.queries", &tags, 3.0);
        }
    }
    assert_eq!(got, expected);
    drop(runtime);
}
