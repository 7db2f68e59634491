//! The Unix datagram sink of clients built from the environment: cadence's
//! `UnixMetricSink`, with every write bounded.
//!
//! A Unix datagram socket whose reader stops reading blocks the writer for
//! good once its queue is full. Here a write waits at most
//! [`UNIX_WRITE_TIMEOUT`] (datadog-go's default) for the agent to make
//! room, which keeps a busy but reading agent lossless; once one has timed
//! out the agent counts as stalled, and writes stop waiting at all (a full
//! queue fails at once, the payload is dropped and counted) until one goes
//! through, which shows the agent reads again. So a stall of any length
//! costs the sender thread one timeout, not one per payload, and the
//! process's exit is never held up by it.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cadence::{MetricSink, UnixMetricSink};

/// How long a write to the agent's socket may wait for room.
pub(crate) const UNIX_WRITE_TIMEOUT: Duration = Duration::from_millis(500);

pub(crate) struct BoundedUnixSink {
    inner: UnixMetricSink,
    /// The same socket as `inner`'s, to switch between waiting and not.
    socket: UnixDatagram,
    stalled: AtomicBool,
}

impl BoundedUnixSink {
    pub(crate) fn new(path: &Path) -> io::Result<BoundedUnixSink> {
        let socket = UnixDatagram::unbound()?;
        socket.set_write_timeout(Some(UNIX_WRITE_TIMEOUT))?;
        let control = socket.try_clone()?;
        Ok(BoundedUnixSink {
            inner: UnixMetricSink::from(path, socket),
            socket: control,
            stalled: AtomicBool::new(false),
        })
    }
}

/// Whether `err` says the socket's queue stayed full.
fn is_full(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl MetricSink for BoundedUnixSink {
    fn emit(&self, payload: &str) -> io::Result<usize> {
        let result = self.inner.emit(payload);
        let stalled = self.stalled.load(Ordering::Relaxed);
        match &result {
            Ok(_) if stalled => {
                // The agent reads again: wait for room again.
                self.stalled.store(false, Ordering::Relaxed);
                self.socket.set_nonblocking(false)?;
            }
            Err(err) if !stalled && is_full(err) => {
                self.stalled.store(true, Ordering::Relaxed);
                self.socket.set_nonblocking(true)?;
            }
            _ => {}
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stalled_reader_costs_one_timeout_then_writes_fail_at_once_until_it_reads() {
        let dir = std::env::temp_dir().join(format!("collector-unix-sink-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dsd.socket");
        let reader = UnixDatagram::bind(&path).unwrap();
        let sink = BoundedUnixSink::new(&path).unwrap();
        let payload = "x".repeat(8000);
        // Fill the reader's queue: the first write that finds it full waits
        // out the timeout, and flips the sink to not waiting.
        let mut failed = 0;
        for _ in 0..10_000 {
            if sink.emit(&payload).is_err() {
                failed += 1;
                if failed == 3 {
                    break;
                }
            }
        }
        assert_eq!(failed, 3, "the queue never filled");
        assert!(sink.stalled.load(Ordering::Relaxed));
        // Stalled: a write fails without waiting (no timing asserted, only
        // that it fails as full).
        let err = sink.emit(&payload).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        // The reader drains: the next write goes through and ends the stall.
        reader.set_nonblocking(true).unwrap();
        let mut buf = vec![0; 9000];
        while reader.recv(&mut buf).is_ok() {}
        sink.emit("a:1|c").unwrap();
        assert!(!sink.stalled.load(Ordering::Relaxed));
        let n = reader.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"a:1|c");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
