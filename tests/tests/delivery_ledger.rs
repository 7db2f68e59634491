//! Every line is sent, counted as dropped, or reported as pending, and no
//! report is false: real child processes (`src/bin/ledger_cases.rs`)
//! against receivers this test binds (a Unix datagram socket, a loopback
//! UDP socket), each read on a thread of the test's and parsed with the
//! test crate's own parser. Every call sends one line with a `call:` tag no
//! other call shares, so what arrived is counted call by call.
//!
//! Figures are asserted as counts, never as times.

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use collector_tests::parse_all;

const CASES: &str = env!("CARGO_BIN_EXE_ledger_cases");

/// How many times each case runs on each transport.
const RUNS: usize = 3;

/// A socket of the test's, read on a thread until stopped.
struct Receiver {
    url: String,
    stop: Arc<AtomicBool>,
    reader: JoinHandle<Vec<Vec<u8>>>,
    _dir: Option<TempDir>,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

trait Socket: Send + 'static {
    fn recv_one(&self, buf: &mut [u8]) -> std::io::Result<usize>;
}

impl Socket for UdpSocket {
    fn recv_one(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.recv(buf)
    }
}

impl Socket for UnixDatagram {
    fn recv_one(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.recv(buf)
    }
}

/// Reads `socket` (with a short read timeout set) until `stop`, pausing
/// `pause` after each datagram, then takes what is left without pausing.
fn read_until_stopped(
    socket: impl Socket,
    stop: Arc<AtomicBool>,
    pause: Duration,
) -> JoinHandle<Vec<Vec<u8>>> {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 65_536];
        let mut quiet_reads = 0;
        loop {
            match socket.recv_one(&mut buf) {
                Ok(n) => {
                    out.push(buf[..n].to_vec());
                    quiet_reads = 0;
                    if !stop.load(Ordering::Relaxed) && !pause.is_zero() {
                        std::thread::sleep(pause);
                    }
                }
                Err(_) if stop.load(Ordering::Relaxed) => {
                    quiet_reads += 1;
                    if quiet_reads >= 3 {
                        return out;
                    }
                }
                Err(_) => {}
            }
        }
    })
}

impl Receiver {
    fn unix(pause: Duration) -> Receiver {
        use std::sync::atomic::AtomicUsize;
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "collector-ledger-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dsd.socket");
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        Receiver {
            url: format!("unix://{}", path.display()),
            reader: read_until_stopped(socket, Arc::clone(&stop), pause),
            stop,
            _dir: Some(TempDir(dir)),
        }
    }

    fn udp() -> Receiver {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        // A large buffer, as an agent under load has: loss at a full
        // receive buffer is the kernel's, which no sender can see.
        let _ = socket2::SockRef::from(&socket).set_recv_buffer_size(4 << 20);
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let url = format!("udp://{}", socket.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        Receiver {
            url,
            reader: read_until_stopped(socket, Arc::clone(&stop), Duration::ZERO),
            stop,
            _dir: None,
        }
    }

    fn both() -> [Receiver; 2] {
        [Receiver::unix(Duration::ZERO), Receiver::udp()]
    }

    /// Runs the case, then every line that arrived, by its `call:` tag.
    fn run(self, args: &[&str], timeout_ms: u64) -> (Output, BTreeMap<String, usize>) {
        let mut command = Command::new(CASES);
        for (var, _) in std::env::vars_os() {
            if var.to_string_lossy().starts_with("DD_") {
                command.env_remove(var);
            }
        }
        let output = command
            .args(args)
            .env("DD_DOGSTATSD_URL", &self.url)
            .env("LEDGER_TIMEOUT_MS", timeout_ms.to_string())
            .output()
            .expect("run the child");
        self.stop.store(true, Ordering::Relaxed);
        let datagrams = self.reader.join().unwrap();
        let mut calls = BTreeMap::new();
        for line in parse_all(&datagrams) {
            if line.name.starts_with("collector.") {
                continue;
            }
            let call = line
                .tags
                .iter()
                .find_map(|tag| tag.strip_prefix("call:"))
                .unwrap_or_else(|| panic!("a line without its call: {line:?}"));
            *calls.entry(format!("{}@{call}", line.name)).or_insert(0) += 1;
        }
        (output, calls)
    }
}

/// The `key=value` figures after `label:` on the child's standard output.
fn figures(stdout: &str, label: &str) -> BTreeMap<String, u64> {
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label} in {stdout}"));
    line.split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.parse().unwrap()))
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The collector-runtime lines of a child's standard error.
fn reports(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.starts_with("collector-runtime:"))
        .collect()
}

/// `(lines, in_flight)` of the end-of-process report, if there was one.
fn end_report(stderr: &str) -> Option<(u64, u64)> {
    let line = stderr
        .lines()
        .find_map(|line| line.strip_prefix("collector-runtime: the process ended with "))?;
    let number = |text: &str| -> u64 { text.split_whitespace().next().unwrap().parse().unwrap() };
    let lines = number(line);
    let in_flight = line.split_once('(').map_or(0, |(_, rest)| number(rest));
    Some((lines, in_flight))
}

#[test]
fn a_slow_reader_then_exit_every_line_is_sent_dropped_or_reported_and_no_report_is_false() {
    let (threads, calls) = (4, 25_000);
    let recorded = (threads * calls) as u64;
    for run in 0..RUNS {
        // An agent reading one datagram every 5 ms: slower than the calls.
        let receiver = Receiver::unix(Duration::from_millis(5));
        let args = ["slow_exit", &threads.to_string(), &calls.to_string()];
        let (output, arrived) = receiver.run(&args, 300);
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        assert!(output.status.success(), "{stderr}");
        assert!(arrived.values().all(|&n| n == 1), "a line arrived twice");
        let received = arrived.len() as u64;
        let flushed = figures(&stdout, "flush: ");
        let dropped = flushed["dropped"];
        // At `flush()`: what it calls sent arrived, the rest is pending
        // or dropped, in flight included.
        assert!(flushed["sent"] <= received, "{stdout}");
        assert_eq!(
            flushed["sent"] + dropped + flushed["pending"],
            recorded,
            "{stdout}"
        );
        // At the end: said once, with the true count; of the lines it
        // names, only those inside the write under way may have arrived.
        let (pending, in_flight) = end_report(&stderr).unwrap_or((0, 0));
        let unreported = reports(&stderr)
            .into_iter()
            .filter(|line| !line.contains("the process ended with"))
            .count();
        assert_eq!(unreported, 0, "{stderr}");
        assert!(
            received + dropped + pending >= recorded
                && received + dropped + pending <= recorded + in_flight,
            "run {run}: received {received} + dropped {dropped} + pending {pending} \
             (in flight {in_flight}) against {recorded} recorded\n{stdout}{stderr}"
        );
        println!(
            "run {run}: recorded {recorded}, received {received}, dropped {dropped}, \
             reported pending at exit {pending} (in flight {in_flight}); at flush(): {flushed:?}"
        );
    }
}

#[test]
fn threads_that_all_deliver_are_never_reported_lost() {
    let (threads, calls) = (4, 5_000);
    for run in 0..RUNS {
        for receiver in Receiver::both() {
            let url = receiver.url.clone();
            let args = ["slow_exit", &threads.to_string(), &calls.to_string()];
            let (output, arrived) = receiver.run(&args, 1000);
            let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
            assert!(output.status.success(), "{stderr}");
            let flushed = figures(&stdout, "flush: ");
            assert_eq!(arrived.len(), threads * calls, "{url} run {run}: {stdout}");
            assert!(arrived.values().all(|&n| n == 1));
            assert_eq!(flushed["pending"] + flushed["dropped"], 0, "{stdout}");
            assert_eq!(flushed["sent"], (threads * calls) as u64, "{stdout}");
            assert!(reports(&stderr).is_empty(), "{url}: {stderr}");
        }
    }
}

#[test]
fn forked_children_with_a_busy_parent_thread_never_hang_and_deliver_their_own_lines() {
    let (children, calls) = (25, 100);
    for run in 0..RUNS {
        for receiver in Receiver::both() {
            let url = receiver.url.clone();
            let args = ["fork", &children.to_string(), &calls.to_string()];
            let (output, arrived) = receiver.run(&args, 1000);
            let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
            assert!(output.status.success(), "{stderr}");
            let seen = figures(&stdout, "");
            assert_eq!((seen["hung"], seen["failed"]), (0, 0), "{url}: {stdout}");
            // Each child's lines arrived, once; none of the parent's was
            // sent twice (a child never re-sends what it inherited).
            for k in 0..children {
                for i in 0..calls {
                    let key = format!("ledger.call@child{k}_{i}");
                    assert_eq!(arrived.get(&key), Some(&1), "{url} run {run}: {key}");
                }
            }
            assert!(arrived.values().all(|&n| n == 1), "{url}: a line twice");
            let busy = arrived.keys().filter(|k| k.contains("@busy_")).count() as u64;
            assert_eq!(busy, seen["busy_calls"], "{url}: the parent's busy calls");
            // Nobody blamed the agent: no child waited for the parent's
            // lines nor counted them.
            assert!(reports(&stderr).is_empty(), "{url}: {stderr}");
            println!("{url} run {run}: {} lines, busy {busy}", arrived.len());
        }
    }
}

#[test]
fn a_thread_named_main_does_not_make_the_process_end_early() {
    let calls = 20_000;
    for run in 0..RUNS {
        let receiver = Receiver::udp();
        let url = receiver.url.clone();
        let (output, arrived) = receiver.run(&["named_main", &calls.to_string()], 1000);
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        assert!(output.status.success(), "{stderr}");
        assert_eq!(arrived.len(), calls + 1, "{url} run {run}");
        let flushed = figures(&stdout, "flush: ");
        assert_eq!(flushed["sent"], calls as u64 + 1, "{stdout}");
        assert!(reports(&stderr).is_empty(), "{stderr}");
        // Taken for the end of the process, every call waited for its own
        // line and sent a payload of its own (20,001); packed, the lines
        // fit in a few hundred.
        let payloads = count_payloads(&stdout);
        assert!(payloads < 2_000, "{payloads} payloads for {calls} calls");
    }
}

/// The payloads the child's report says it sent.
fn count_payloads(stdout: &str) -> u64 {
    figures(stdout, "payloads: ")["sent"]
}

#[test]
fn a_hung_sink_costs_one_timeout_in_all_and_its_lines_are_counted() {
    let threads = 5;
    for run in 0..RUNS {
        let receiver = Receiver::udp(); // unused: the sink is the user's
        let (output, arrived) = receiver.run(&["hung", &threads.to_string()], 300);
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        assert!(output.status.success(), "{stderr}");
        assert!(arrived.is_empty());
        let flushed = figures(&stdout, "flush: ");
        // Five thread ends and a flush waited: one ran out of time, the
        // others saw the sink had finished nothing since.
        assert_eq!(flushed["timeouts"], 1, "run {run}: {stdout}");
        // All 50 lines pending, the hung write's among them.
        assert_eq!(flushed["pending"], 50, "{stdout}");
        assert!(flushed["in_flight"] >= 10, "{stdout}");
        assert_eq!(flushed["sent"] + flushed["dropped"], 0, "{stdout}");
        // Said once at the end, with the true count.
        let said = reports(&stderr);
        assert_eq!(said.len(), 1, "{stderr}");
        let (pending, in_flight) = end_report(&stderr).expect("the end report");
        assert_eq!(pending, 50, "{stderr}");
        assert_eq!(in_flight, flushed["in_flight"], "{stderr}");
    }
}

#[test]
fn a_line_longer_than_a_payload_is_refused_alone_and_the_lines_beside_it_arrive() {
    let calls = 20;
    for run in 0..RUNS {
        for receiver in Receiver::both() {
            let url = receiver.url.clone();
            let (output, arrived) = receiver.run(&["big_tag", &calls.to_string()], 1000);
            let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
            assert!(output.status.success(), "{stderr}");
            for i in 0..calls {
                for name in ["ledger.before", "ledger.after"] {
                    let key = format!("{name}@big_{i}");
                    assert_eq!(arrived.get(&key), Some(&1), "{url} run {run}: {key}");
                }
            }
            assert_eq!(arrived.len(), 2 * calls, "{url}: {arrived:?}");
            let flushed = figures(&stdout, "flush: ");
            assert_eq!(flushed["dropped"], calls as u64, "{stdout}");
            assert_eq!(flushed["pending"], 0, "{stdout}");
            // Reported once, readable: the name is cut, not quoted whole.
            let said = reports(&stderr);
            assert_eq!(said.len(), 1, "{stderr}");
            assert!(
                said[0].contains("refused, longer than a payload"),
                "{stderr}"
            );
            assert!(said[0].len() < 1_000, "{} bytes", said[0].len());
        }
    }
}
