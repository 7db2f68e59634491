//! Per-request metrics for an axum service: `CollectorLayer` gives every
//! request its own collector, tagged with the method, the route template and
//! the status, and flushes it once when the response is ready. The user
//! handler is annotated too, for its own duration and outcome: its series
//! are its own flush, and carry the request's method and route (the status
//! is the layer's: it is known only once the handler has returned).
//!
//! The example serves on a loopback port, sends itself a few requests, and
//! stops. With a `DD_*` variable set, metrics go to that agent. Without one,
//! it listens on a loopback UDP port of its own and prints every datagram it
//! receives.
//!
//! ```text
//! cargo run --example web_request --features tower
//! ```

mod local_agent;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use axum::extract::{MatchedPath, Path};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use collector_runtime::{collect_metrics, tower::CollectorLayer};
use local_agent::LocalAgent;

/// Stands in for a database call: what it records goes to the collector of
/// the request being served, whichever thread polls it.
async fn query(table: &str) {
    tokio::time::sleep(Duration::from_millis(2)).await;
    collector_runtime::histogram("db.queries", 1, [("table", table)]);
}

#[collect_metrics(name = "handler.get_user", timing, outcome)]
async fn get_user(Path(id): Path<u32>) -> Result<String, StatusCode> {
    query("users").await;
    if id == 0 {
        collector_runtime::incr("users.lookup", [("result", "missing")]);
        return Err(StatusCode::NOT_FOUND);
    }
    query("orders").await;
    query("orders").await;
    collector_runtime::incr("users.lookup", [("result", "found")]);
    Ok(format!("user {id}"))
}

async fn health() -> &'static str {
    "ok"
}

/// A minimal HTTP/1.1 client, so the example needs no client library.
fn get_path(server: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(server)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response.lines().next().unwrap_or_default().to_owned())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // No agent? Be our own: a loopback socket that receives what is sent.
    let agent = LocalAgent::start()?;

    // `Router::layer` runs the layer after routing, so the route template
    // is in the request's extensions. The raw path is never used as a tag:
    // one series per user id would be unbounded.
    let app = Router::new()
        .route("/users/{id}", get(get_user))
        .route("/health", get(health))
        .layer(
            CollectorLayer::new()
                .method()
                .route_with(|extensions, _uri| {
                    extensions
                        .get::<MatchedPath>()
                        .map(|path| path.as_str().to_owned())
                })
                .status()
                .timing(),
        );

    let server = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = server.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        axum::serve(server, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });

    for path in ["/users/7", "/users/0", "/health"] {
        let status = tokio::task::spawn_blocking(move || get_path(address, path))
            .await
            .map_err(std::io::Error::other)??;
        println!("GET {path} -> {status}");
    }
    let _ = stop.send(());
    serving.await.map_err(std::io::Error::other)??;

    agent.print_received()?;
    Ok(())
}
