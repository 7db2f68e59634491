//! What the axum tests share: a server on a loopback port, plain HTTP/1.1
//! requests over std sockets, and the request layer as the guide sets it up.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use axum::extract::MatchedPath;
use axum::Router;
use collector_runtime::tower::CollectorLayer;
use collector_runtime::Client;

/// Serves `app` on a free loopback port on a multi-thread runtime.
pub(crate) fn serve(app: Router) -> (SocketAddr, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(async move { axum::serve(listener, app).await });
    (address, runtime)
}

/// One HTTP/1.1 request over a fresh connection; returns the status code.
pub(crate) fn request(server: SocketAddr, method: &str, path: &str, body: &str) -> u16 {
    let mut stream = TcpStream::connect(server).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"))
}

/// The request layer on `client`, tagging each request's method, its
/// matched route (`/users/{id}`, sent as `/users/_id_`) and its status.
#[allow(dead_code)] // a binary whose handlers are annotated alone builds none
pub(crate) fn request_layer(client: Client) -> CollectorLayer {
    CollectorLayer::new()
        .client(client)
        .method()
        .route_with(|extensions, _uri| {
            extensions
                .get::<MatchedPath>()
                .map(|path| path.as_str().to_owned())
        })
        .status()
}
