//! Pieces the benches share: a loopback UDP receiver drained on a background
//! thread (so no sink ever blocks or fails for want of a reader), and the
//! clients aimed at it; and, in the submodules, the functions, collectors
//! and spans that both harnesses (criterion's and callgrind's) measure.
#![allow(dead_code)] // each bench uses its own part of this module

pub(crate) mod calls;
pub(crate) mod series;
pub(crate) mod spans;

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cadence::{BufferedUdpMetricSink, QueuingMetricSink, StatsdClient, UdpMetricSink};

/// The payload size the runtime uses for UDP (`UDP_PAYLOAD`).
pub(crate) const PAYLOAD: usize = collector_runtime::config::UDP_PAYLOAD;

/// A loopback UDP socket whose datagrams are read, counted and thrown away
/// by a background thread.
pub(crate) struct Drain {
    addr: SocketAddr,
    /// The reading thread's id, to leave out of the process's CPU time:
    /// it stands for the agent.
    reader_tid: Arc<std::sync::OnceLock<String>>,
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
        let reader_tid = Arc::new(std::sync::OnceLock::new());
        let thread = {
            let (datagrams, bytes, stop) = (datagrams.clone(), bytes.clone(), stop.clone());
            let tid = Arc::clone(&reader_tid);
            std::thread::spawn(move || {
                let own = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
                let own = own
                    .file_name()
                    .expect("a task id")
                    .to_string_lossy()
                    .into_owned();
                tid.set(own).expect("set once");
                let mut buf = vec![0u8; 65_536];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(n) = socket.recv(&mut buf) {
                        datagrams.fetch_add(1, Ordering::Relaxed);
                        bytes.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
            })
        };
        while reader_tid.get().is_none() {
            std::thread::yield_now();
        }
        Drain {
            addr,
            reader_tid,
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

    /// cadence's best asynchronous set-up: a `QueuingMetricSink` (a thread
    /// of its own) over the buffered sink.
    pub(crate) fn queuing_buffered_client(&self) -> StatsdClient {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind sender");
        let sink = BufferedUdpMetricSink::with_capacity(self.addr, socket, PAYLOAD).expect("sink");
        StatsdClient::from_sink("", QueuingMetricSink::from(sink))
    }

    /// Ours, with the default transport: the client `ClientConfig` builds
    /// for `udp://` (a non-blocking socket, 1432-byte payloads, the outbox
    /// and its sender thread).
    pub(crate) fn collector_client(&self) -> collector_runtime::Client {
        collector_runtime::ClientConfig::new(collector_runtime::config::Target::Udp {
            host: self.addr.ip().to_string(),
            port: self.addr.port(),
        })
        .build()
        .expect("a UDP client")
    }

    /// CPU time of every thread of this process but the reader's, in
    /// nanoseconds, from each task's `/proc/self/task/<id>/schedstat`.
    pub(crate) fn process_cpu_but_reader(&self) -> Duration {
        let reader = self.reader_tid.get().map(String::as_str);
        let mut total = 0u64;
        for task in std::fs::read_dir("/proc/self/task")
            .expect("/proc/self/task")
            .flatten()
        {
            if Some(task.file_name().to_string_lossy().as_ref()) == reader {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else {
                continue; // a thread that ended meanwhile
            };
            total += stat
                .split_whitespace()
                .next()
                .and_then(|ns| ns.parse::<u64>().ok())
                .unwrap_or(0);
        }
        Duration::from_nanos(total)
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

/// What the outbox did during a row: a figure that dropped lines would
/// flatter ours, so each row of ours says how many it sent and dropped.
pub(crate) fn report_outbox(row: &str, before: collector_runtime::telemetry::DeliveryReport) {
    let after = collector_runtime::wait_for_delivery();
    eprintln!(
        "{row}: outbox sent {} lines in {} payloads, dropped {}",
        after.lines_sent - before.lines_sent,
        after.payloads_sent - before.payloads_sent,
        after.lines_dropped - before.lines_dropped,
    );
}
