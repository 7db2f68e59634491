//! Per-request metrics for an axum service: `CollectorLayer` gives every
//! request its own collector, tagged with the method, the route template and
//! the status, and flushes it once when the response is ready.
//!
//! The example serves on a loopback port, sends itself a few requests, and
//! stops. With a `DD_*` variable set, metrics go to that agent. Without one,
//! it listens on a loopback UDP port of its own and prints every datagram it
//! receives.
//!
//! ```text
//! cargo run --example web_request --features tower
//! ```

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use axum::extract::{MatchedPath, Path};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use cadence::{BufferedUdpMetricSink, StatsdClient};
use collector_runtime::CollectorLayer;

/// Stands in for a database call: what it records goes to the collector of
/// the request being served, whichever thread polls it.
async fn query(table: &str) {
    tokio::time::sleep(Duration::from_millis(2)).await;
    collector_runtime::histogram("db.queries", 1, [("table", table)]);
}

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
    let agent_configured = ["DD_DOGSTATSD_URL", "DD_AGENT_HOST", "DD_DOGSTATSD_PORT"]
        .iter()
        .any(|var| std::env::var_os(var).is_some());

    // No agent? Be our own: a loopback socket that receives what is sent.
    let listener = if agent_configured {
        None
    } else {
        let listener = UdpSocket::bind("127.0.0.1:0")?;
        let sink =
            BufferedUdpMetricSink::from(listener.local_addr()?, UdpSocket::bind("127.0.0.1:0")?)
                .map_err(std::io::Error::other)?;
        collector_runtime::set_global_client(StatsdClient::from_sink("", sink));
        Some(listener)
    };

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
                .timing("http.request.duration"),
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

    if let Some(listener) = listener {
        listener.set_read_timeout(Some(Duration::from_millis(300)))?;
        let mut buf = [0u8; 65_536];
        while let Ok(n) = listener.recv(&mut buf) {
            println!("received datagram:");
            for line in String::from_utf8_lossy(&buf[..n]).lines() {
                println!("  {line}");
            }
        }
    } else {
        println!("sent to the agent configured by DD_* variables");
    }
    Ok(())
}
