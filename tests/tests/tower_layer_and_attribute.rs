//! The layer and the attribute together, as a new user combines them: the
//! request layer on the router (method, route, status, the request's
//! duration) and `#[collect_metrics]` on the handler (its own duration and
//! outcome). A real axum server on a loopback port, a real HTTP request,
//! the lines read from a real UDP socket: the handler's series carry the
//! request's `method` and `route`, and `status` stays the layer's own (it
//! is known only when the response is).

use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use collector_runtime::collect_metrics;
use collector_tests::{parse_all, Line, UdpReceiver};

mod axum_common;
use axum_common::{request, request_layer, serve};

#[collect_metrics(name = "handler.get_user", timing, outcome)]
async fn get_user(Path(id): Path<u32>) -> Result<String, String> {
    collector_runtime::histogram("db.queries", 2, &[("table", "orders")]);
    tokio::task::yield_now().await;
    collector_runtime::incr("users.lookup", ());
    Ok(format!("user {id}"))
}

fn tags(line: &Line) -> Vec<&str> {
    let mut tags: Vec<&str> = line.tags.iter().map(String::as_str).collect();
    tags.sort_unstable();
    tags
}

#[test]
fn an_annotated_handler_under_the_layer_carries_the_requests_method_and_route() {
    // The handler sends through the global client, as it does with no
    // `client = ...`; the layer through its own. Both go to this socket.
    let receiver = UdpReceiver::bind();
    collector_runtime::set_global_client(receiver.client());
    let app = Router::new()
        .route("/users/{id}", get(get_user))
        .layer(request_layer(receiver.client()).timing());
    let (server, runtime) = serve(app);
    assert_eq!(request(server, "GET", "/users/7", ""), 200);
    drop(runtime);
    collector_runtime::wait_for_delivery();

    let datagrams = receiver.datagrams_within(Duration::from_secs(10), Duration::from_millis(300));
    let mut lines = parse_all(&datagrams);
    lines.sort_by(|a, b| a.name.cmp(&b.name));
    let seen: Vec<(&str, &str, Vec<&str>)> = lines
        .iter()
        .map(|line| (line.name.as_str(), line.kind.as_str(), tags(line)))
        .collect();
    let handler = ["method:GET", "outcome:ok", "route:/users/_id_"];
    assert_eq!(
        seen,
        [
            (
                "db.queries",
                "h",
                vec![
                    "method:GET",
                    "outcome:ok",
                    "route:/users/_id_",
                    "table:orders"
                ]
            ),
            ("handler.get_user.duration", "ms", handler.to_vec()),
            (
                "http.request.duration",
                "ms",
                vec!["method:GET", "route:/users/_id_", "status:200"]
            ),
            ("users.lookup", "c", handler.to_vec()),
        ]
    );
    let db = lines.iter().find(|line| line.name == "db.queries").unwrap();
    assert_eq!(db.value, 2.0);
}
