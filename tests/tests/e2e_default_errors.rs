//! What a user sees with no error handler set, through the real default
//! client built from `DD_*` variables: each scenario runs in a child
//! process (this same binary, one test, a chosen environment), and the
//! parent reads the child's stderr, which the test harness leaves to the
//! code under test.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use collector_runtime::Collector;
use collector_tests::{is_child, parse_datagram, run_child_with_stderr};

/// Flushes one counter through the global client and returns the report's
/// error count.
fn flush_one(name: &str) -> usize {
    let collector = Collector::new();
    collector.incr(name, ());
    collector.flush().errors
}

#[test]
fn a_malformed_url_is_written_to_stderr_once_and_names_the_value() {
    if is_child() {
        assert_eq!(flush_one("first"), 1);
        assert_eq!(flush_one("second"), 1);
        // Outside any collector: the same kind of error, counted silently.
        collector_runtime::incr("outside", ());
        assert_eq!(collector_runtime::error::errors_seen(), 3);
        return;
    }
    let (_, stderr) = run_child_with_stderr(
        "a_malformed_url_is_written_to_stderr_once_and_names_the_value",
        &[("DD_DOGSTATSD_URL", "localhost:8125")],
    );
    assert_eq!(
        stderr,
        "collector-runtime: no metrics client: DD_DOGSTATSD_URL=\"localhost:8125\" is not \
         usable: it has no scheme; write udp://localhost:8125 (or unix:///path/to/dsd.socket \
         for a Unix socket); no metrics are sent until it is fixed \
         (collector_runtime::ClientConfig::from_env() checks it at start-up). Only the first \
         error of each kind is written here; call collector_runtime::error::set_error_handler to \
         handle every error yourself.\n"
    );
}

#[test]
fn a_handler_set_by_the_user_silences_stderr() {
    if is_child() {
        collector_runtime::error::set_error_handler(std::sync::Arc::new(|_| {}));
        assert_eq!(flush_one("first"), 1);
        return;
    }
    let (_, stderr) = run_child_with_stderr(
        "a_handler_set_by_the_user_silences_stderr",
        &[("DD_DOGSTATSD_URL", "http://agent:8125")],
    );
    assert_eq!(stderr, "");
}

/// The socket path the child's global client was configured with.
fn socket_path() -> std::path::PathBuf {
    let url = std::env::var("DD_DOGSTATSD_URL").unwrap();
    url.strip_prefix("unix://").unwrap().into()
}

#[test]
fn a_unix_socket_that_appears_after_start_receives_the_later_flushes() {
    if is_child() {
        // The agent is not there yet: the client is built all the same (each
        // send looks the path up), and the payloads fail, dropped and
        // counted; only the first failure is reported, with the path.
        for name in ["before", "still.before"] {
            assert_eq!(flush_one(name), 0, "handed to the outbox");
            let delivery = collector_runtime::wait_for_delivery();
            assert_eq!(delivery.lines_pending, 0, "{delivery:?}");
        }
        assert_eq!(collector_runtime::wait_for_delivery().lines_dropped, 2);
        let agent = UnixDatagram::bind(socket_path()).unwrap();
        agent
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        assert_eq!(flush_one("after"), 0);
        collector_runtime::wait_for_delivery();
        let mut lines = Vec::new();
        let mut buf = vec![0; 65_536];
        while let Ok(n) = agent.recv(&mut buf) {
            lines.extend(parse_datagram(&buf[..n]).unwrap_or_else(|e| panic!("{e}")));
        }
        // What was dropped is not sent late: its count is, with the next
        // flush once the socket is there.
        let sent: Vec<(&str, f64)> = lines.iter().map(|l| (l.name.as_str(), l.value)).collect();
        assert_eq!(sent, [("after", 1.0), ("collector.lines_dropped", 2.0)]);
        return;
    }
    let dir = std::env::temp_dir().join(format!("collector-late-socket-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("unix://{}", dir.join("dsd.socket").display());
    let (_, stderr) = run_child_with_stderr(
        "a_unix_socket_that_appears_after_start_receives_the_later_flushes",
        &[("DD_DOGSTATSD_URL", &url)],
    );
    let _ = std::fs::remove_dir_all(&dir);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with(&format!(
            "collector-runtime: metric \"before\" not sent: sending to {url}: "
        )),
        "{stderr}"
    );
    assert!(
        lines[0].contains("those lines are dropped, and so are the next payloads that fail"),
        "{stderr}"
    );
}
