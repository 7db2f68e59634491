//! Pieces the benches share: a loopback UDP receiver drained on a background
//! thread (so no sink ever blocks or fails for want of a reader), and the
//! clients aimed at it.
#![allow(dead_code)] // each bench uses its own part of this module

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cadence::{BufferedUdpMetricSink, StatsdClient, UdpMetricSink};

/// The payload size the runtime uses for UDP (`UDP_PAYLOAD`).
pub(crate) const PAYLOAD: usize = collector_runtime::UDP_PAYLOAD;

/// A loopback UDP socket whose datagrams are read, counted and thrown away
/// by a background thread.
pub(crate) struct Drain {
    addr: SocketAddr,
    datagrams: Arc<AtomicU64>,
    bytes: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drain {
    pub(crate) fn start() -> Drain {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind loopback UDP");
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .expect("read timeout");
        let addr = socket.local_addr().expect("local addr");
        let datagrams = Arc::new(AtomicU64::new(0));
        let bytes = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (datagrams, bytes, stop) = (datagrams.clone(), bytes.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 65_536];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(n) = socket.recv(&mut buf) {
                        datagrams.fetch_add(1, Ordering::Relaxed);
                        bytes.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
            })
        };
        Drain {
            addr,
            datagrams,
            bytes,
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Datagrams and bytes received so far.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.datagrams.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        )
    }

    /// Waits until the counts stop moving for `quiet`, then returns them.
    pub(crate) fn settle(&self, quiet: Duration) -> (u64, u64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = self.counts();
        loop {
            std::thread::sleep(quiet);
            let now = self.counts();
            if now == last || Instant::now() > deadline {
                return now;
            }
            last = now;
        }
    }

    /// A cadence client with the runtime's own sink set-up: buffered, one
    /// datagram per `PAYLOAD` bytes.
    pub(crate) fn buffered_client(&self) -> StatsdClient {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind sender");
        let sink = BufferedUdpMetricSink::with_capacity(self.addr, socket, PAYLOAD).expect("sink");
        StatsdClient::from_sink("", sink)
    }

    /// Ours, on the same sink as [`Drain::buffered_client`]: a buffered
    /// cadence sink, one datagram per `PAYLOAD` bytes.
    pub(crate) fn collector_client(&self) -> collector_runtime::Client {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind sender");
        let sink = BufferedUdpMetricSink::with_capacity(self.addr, socket, PAYLOAD).expect("sink");
        collector_runtime::Client::new(sink).payload_size(PAYLOAD)
    }

    /// A cadence client that sends one datagram per metric.
    pub(crate) fn unbuffered_client(&self) -> StatsdClient {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind sender");
        let sink = UdpMetricSink::from(self.addr, socket).expect("sink");
        StatsdClient::from_sink("", sink)
    }
}

impl Drop for Drain {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `n` tags `k0:v0`, `k1:v1`, ... as `'static` strings.
pub(crate) fn tags(n: usize) -> Vec<&'static str> {
    (0..n)
        .map(|i| &*Box::leak(format!("k{i}:v{i}").into_boxed_str()))
        .collect()
}
