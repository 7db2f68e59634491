//! `CollectorLayer` in front of a real axum server on a loopback port, hit by
//! real HTTP requests over TCP: every request gets its own collector,
//! flushed once (one line per series) to a real UDP socket, tagged with the
//! route template, method and status, even when handlers hop threads between polls and when the client
//! hangs up before the response.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use collector_runtime::tower::CollectorLayer;
use collector_tests::{parse_datagram, series, UdpReceiver};

mod axum_common;
use axum_common::{request, request_layer, serve};

/// Yields to the executor so the rest of the handler may run on another
/// worker thread.
async fn hop() {
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(1)).await;
}

async fn get_item(Path(id): Path<u32>) -> Result<String, StatusCode> {
    collector_runtime::incr("handled", [("req", id.to_string().as_str())]);
    hop().await;
    collector_runtime::histogram("db.queries", 1, [("table", "items")]);
    hop().await;
    collector_runtime::histogram("db.queries", 1, [("table", "items")]);
    if id % 5 == 0 {
        return Err(StatusCode::NOT_FOUND);
    }
    Ok(format!("item {id}"))
}

async fn create_item(body: String) -> StatusCode {
    let id = body.trim().to_owned();
    collector_runtime::incr("handled", [("req", id.as_str())]);
    hop().await;
    collector_runtime::count("items.created", 2, ());
    StatusCode::CREATED
}

async fn slow(Path(id): Path<u32>) -> &'static str {
    collector_runtime::incr("handled", [("req", id.to_string().as_str())]);
    collector_runtime::incr("slow.started", ());
    tokio::time::sleep(Duration::from_secs(30)).await;
    collector_runtime::incr("slow.finished", ());
    "done"
}

fn app(receiver: &UdpReceiver) -> Router {
    Router::new()
        .route("/items/{id}", get(get_item))
        .route("/items", post(create_item))
        .route("/slow/{id}", get(slow))
        .layer(request_layer(receiver.client()).tag("service:shop"))
}

type Totals = BTreeMap<(String, String, Vec<String>), (f64, usize)>;

/// Every value received, summed per series, with the number of samples
/// where the series is not a counter. All requests share one client, whose
/// aggregator merges their series: a counter's lines are summed however
/// many carried it, and each request's histogram total is one sample.
fn totals(receiver: &UdpReceiver) -> Totals {
    let mut out = Totals::new();
    for datagram in receiver.datagrams_within(Duration::from_secs(10), Duration::from_millis(300)) {
        for line in parse_datagram(&datagram).unwrap_or_else(|e| panic!("{e}")) {
            let entry = out.entry(line.series()).or_default();
            entry.0 += line.values.iter().sum::<f64>();
            if line.kind != "c" {
                entry.1 += line.values.len();
            }
        }
    }
    out
}

fn add(totals: &mut Totals, kind: &str, name: &str, tags: &[&str], value: f64) {
    let entry = totals.entry(series(kind, name, tags)).or_default();
    entry.0 += value;
    if kind != "c" {
        entry.1 += 1;
    }
}

#[test]
fn every_request_is_flushed_once_with_method_route_and_status() {
    let receiver = UdpReceiver::bind_with_buffer(1 << 20);
    let (server, runtime) = serve(app(&receiver));

    // Forty requests from eight client threads at once.
    std::thread::scope(|scope| {
        for worker in 0..8u32 {
            scope.spawn(move || {
                for n in 0..5 {
                    let id = worker * 5 + n + 1;
                    if id % 4 == 0 {
                        assert_eq!(request(server, "POST", "/items", &format!("{id}")), 201);
                    } else {
                        let status = request(server, "GET", &format!("/items/{id}"), "");
                        assert_eq!(status, if id % 5 == 0 { 404 } else { 200 });
                    }
                }
            });
        }
    });

    let mut expected = Totals::new();
    for id in 1..=40u32 {
        let req = format!("req:{id}");
        if id % 4 == 0 {
            let tags = ["method:POST", "route:/items", "service:shop", "status:201"];
            let with_req: Vec<&str> = tags.iter().copied().chain([req.as_str()]).collect();
            add(&mut expected, "c", "handled", &with_req, 1.0);
            add(&mut expected, "c", "items.created", &tags, 2.0);
        } else {
            let status = if id % 5 == 0 {
                "status:404"
            } else {
                "status:200"
            };
            // `{` and `}` are not tag characters: the template's braces
            // become `_`.
            let tags = ["method:GET", "route:/items/_id_", "service:shop", status];
            let with_req: Vec<&str> = tags.iter().copied().chain([req.as_str()]).collect();
            let with_table: Vec<&str> = tags.iter().copied().chain(["table:items"]).collect();
            add(&mut expected, "c", "handled", &with_req, 1.0);
            add(&mut expected, "h", "db.queries", &with_table, 2.0);
        }
    }
    assert_eq!(totals(&receiver), expected);
    drop(runtime);
}

#[test]
fn a_request_whose_client_hangs_up_is_flushed_without_status() {
    let receiver = UdpReceiver::bind_with_buffer(1 << 20);
    let (server, runtime) = serve(app(&receiver));

    let mut stream = TcpStream::connect(server).unwrap();
    write!(
        stream,
        "GET /slow/7 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    // Let the handler start, then hang up: hyper drops the response future.
    std::thread::sleep(Duration::from_millis(300));
    drop(stream);

    let tags = ["method:GET", "route:/slow/_id_", "service:shop"];
    let with_req: Vec<&str> = tags.iter().copied().chain(["req:7"]).collect();
    let mut expected = Totals::new();
    add(&mut expected, "c", "handled", &with_req, 1.0);
    add(&mut expected, "c", "slow.started", &tags, 1.0);
    assert_eq!(
        totals(&receiver),
        expected,
        "the dropped request was flushed"
    );
    drop(runtime);
}

#[test]
fn without_a_route_extractor_no_route_tag_is_sent() {
    let receiver = UdpReceiver::bind_with_buffer(1 << 20);
    let app = Router::new()
        .route("/items/{id}", get(get_item))
        .layer(CollectorLayer::new().client(receiver.client()));
    let (server, runtime) = serve(app);
    assert_eq!(request(server, "GET", "/items/3", ""), 200);
    let mut expected = Totals::new();
    add(&mut expected, "c", "handled", &["req:3"], 1.0);
    add(&mut expected, "h", "db.queries", &["table:items"], 2.0);
    assert_eq!(totals(&receiver), expected);
    drop(runtime);
}
