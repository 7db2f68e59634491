//! Shared parts of the cross-crate tests: a DogStatsD datagram parser written
//! from the protocol, independently of the crates under test, and real
//! receivers (a loopback UDP socket, a Unix datagram socket).

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// One metric line, as a DogStatsD server reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// The metric name.
    pub name: String,
    /// The first value, parsed as a number.
    pub value: f64,
    /// Every value of the line: DogStatsD 1.1 packs several samples of one
    /// context as `name:v1:v2:v3|h`, and a server takes each as a sample.
    pub values: Vec<f64>,
    /// The type: `c`, `h`, `d`, `ms`, `g`, `s`.
    pub kind: String,
    /// The tags, in the order sent.
    pub tags: Vec<String>,
    /// The container ID field (`|c:`), if sent.
    pub container: Option<String>,
    /// The external data field (`|e:`), if sent.
    pub external: Option<String>,
    /// The cardinality field (`|card:`), if sent.
    pub cardinality: Option<String>,
}

impl Line {
    /// The series identity: type, name and tags as a sorted set.
    pub fn series(&self) -> SeriesId {
        let mut tags = self.tags.clone();
        tags.sort();
        tags.dedup();
        (self.kind.clone(), self.name.clone(), tags)
    }
}

/// Parses one
/// `name:value|type[|@rate][|#tag,tag][|T<ts>][|c:container][|e:external][|card:cardinality]`
/// line, in the field order of Datadog's datagram format.
pub fn parse_line(line: &str) -> Result<Line, String> {
    let bad = |why: &str| Err(format!("{why}: {line:?}"));
    if line.contains('\n') || line.contains('\r') {
        return bad("line break inside a line");
    }
    let (name, rest) = match line.split_once(':') {
        Some(parts) => parts,
        None => return bad("no ':' after the name"),
    };
    if name.is_empty() || name.contains('|') || name.contains('#') || name.contains(',') {
        return bad("bad name");
    }
    let mut fields = rest.split('|');
    let mut values = Vec::new();
    for value in fields.next().unwrap_or_default().split(':') {
        match value.parse::<f64>() {
            Ok(v) if v.is_finite() => values.push(v),
            _ => return bad("value is not a number"),
        }
    }
    let value = values[0];
    let kind = fields.next().unwrap_or_default().to_owned();
    if !["c", "h", "d", "ms", "g", "s"].contains(&kind.as_str()) {
        return bad("unknown type");
    }
    let mut tags = Vec::new();
    let (mut container, mut external, mut cardinality) = (None, None, None);
    // Each field's rank in the format: a field may not come before one it
    // follows, nor twice.
    let mut last_rank = 0;
    for field in fields {
        let rank = match field {
            f if f.starts_with('@') => 1,
            f if f.starts_with('#') => 2,
            f if f.starts_with('T') => 3,
            f if f.starts_with("c:") => 4,
            f if f.starts_with("e:") => 5,
            f if f.starts_with("card:") => 6,
            _ => return bad("unknown field"),
        };
        if rank <= last_rank {
            return bad("fields out of order or repeated");
        }
        last_rank = rank;
        match rank {
            2 => {
                for tag in field[1..].split(',') {
                    if tag.is_empty() {
                        return bad("empty tag");
                    }
                    tags.push(tag.to_owned());
                }
            }
            4 => container = Some(field[2..].to_owned()),
            5 => external = Some(field[2..].to_owned()),
            6 => {
                let value = &field[5..];
                if !["none", "low", "orchestrator", "high"].contains(&value) {
                    return bad("unknown cardinality");
                }
                cardinality = Some(value.to_owned());
            }
            _ => {}
        }
    }
    if values.len() > 1 && !["h", "d", "ms"].contains(&kind.as_str()) {
        return bad("several values on a line of a type that takes one");
    }
    Ok(Line {
        name: name.to_owned(),
        value,
        values,
        kind,
        tags,
        container,
        external,
        cardinality,
    })
}

/// Parses every line of a datagram (lines are separated by `\n`).
pub fn parse_datagram(datagram: &[u8]) -> Result<Vec<Line>, String> {
    let text = std::str::from_utf8(datagram).map_err(|e| format!("not UTF-8: {e}"))?;
    text.split('\n')
        .filter(|line| !line.is_empty())
        .map(parse_line)
        .collect()
}

/// A series' identity: type, name, sorted tags.
pub type SeriesId = (String, String, Vec<String>);

/// Lines keyed by series; a series seen twice is an error (one metric per
/// series per flush is the contract).
pub fn by_series(lines: &[Line]) -> Result<BTreeMap<SeriesId, f64>, String> {
    let mut out = BTreeMap::new();
    for line in lines {
        if out.insert(line.series(), line.value).is_some() {
            return Err(format!("series sent twice: {:?}", line.series()));
        }
    }
    Ok(out)
}

/// A real UDP socket on loopback that a client can send to.
pub struct UdpReceiver {
    socket: UdpSocket,
}

impl UdpReceiver {
    /// Binds a free loopback port.
    pub fn bind() -> UdpReceiver {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind loopback UDP");
        UdpReceiver { socket }
    }

    /// The address to send to.
    pub fn addr(&self) -> SocketAddr {
        self.socket.local_addr().expect("local addr")
    }

    /// A buffered cadence client (1432-byte payloads) aimed at this socket.
    pub fn client(&self) -> collector_runtime::Client {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind sender");
        let sink =
            cadence::BufferedUdpMetricSink::with_capacity(self.addr(), socket, 1432).expect("sink");
        collector_runtime::Client::new(sink)
    }

    /// Every datagram that arrives until none has for `quiet`.
    pub fn datagrams(&self, quiet: Duration) -> Vec<Vec<u8>> {
        self.datagrams_within(quiet, quiet)
    }

    /// Every line received until quiet, parsed; panics on a malformed one.
    pub fn lines(&self) -> Vec<Line> {
        self.datagrams(Duration::from_millis(200))
            .iter()
            .flat_map(|d| parse_datagram(d).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_dogstatsd_forms() {
        let line = parse_line("query:1.0|h|#database:master,env:test").unwrap();
        assert_eq!(line.name, "query");
        assert_eq!(line.value, 1.0);
        assert_eq!(line.kind, "h");
        assert_eq!(line.tags, ["database:master", "env:test"]);
        assert_eq!(
            parse_line("a.b:3|c|@0.5").unwrap().tags,
            Vec::<String>::new()
        );
        assert_eq!(parse_line("t:12|ms").unwrap().kind, "ms");
        let packed = parse_line("t:12:0.5:3|ms|#a:b").unwrap();
        assert_eq!(packed.values, [12.0, 0.5, 3.0]);
        assert_eq!(packed.tags, ["a:b"]);
    }

    #[test]
    fn refuses_what_a_server_would_refuse() {
        for bad in [
            "novalue",
            ":1|c",
            "a:x|c",
            "a:1|zz",
            "a:1|c|#",
            "a:1|c|#a,,b",
            "a:1|c|junk",
            "a:1:2|c",
            "a:1::2|h",
            "a:1:|h",
            "a:inf|h",
        ] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }
}

/// The variable that marks a test process started by [`run_child`].
pub const CHILD_MARKER: &str = "COLLECTOR_TESTS_CHILD";

/// Whether this process is a child started by [`run_child`]: the test then
/// runs its child half (with the environment the parent chose) and returns.
pub fn is_child() -> bool {
    std::env::var_os(CHILD_MARKER).is_some()
}

/// Re-runs the current test binary for the one test `test` (its full name,
/// as `--exact` wants it), with every `DD_*` variable removed and then `env`
/// set, so that the global client is built from exactly that environment.
/// Returns the child's standard output; panics with its output if it failed.
pub fn run_child(test: &str, env: &[(&str, &str)]) -> String {
    run_child_with_stderr(test, env).0
}

/// [`run_child`], returning the child's standard output and standard error.
/// The test harness writes only to standard output, so standard error
/// holds exactly what the code under test wrote there.
pub fn run_child_with_stderr(test: &str, env: &[(&str, &str)]) -> (String, String) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = std::process::Command::new(exe);
    command.args(["--exact", test, "--nocapture", "--test-threads", "1"]);
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("DD_") {
            command.env_remove(var);
        }
    }
    command.env(CHILD_MARKER, "1");
    command.envs(env.iter().copied());
    let output = command.output().expect("start the child test process");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "child test {test} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status,
    );
    assert!(
        stdout.contains("1 passed"),
        "child test {test} did not run:\n{stdout}"
    );
    (stdout, stderr)
}

/// A Unix datagram socket in a fresh temporary directory, removed on drop.
pub struct UnixReceiver {
    socket: std::os::unix::net::UnixDatagram,
    dir: std::path::PathBuf,
}

impl UnixReceiver {
    /// Binds `dsd.socket` in a new directory under the system's temp dir.
    pub fn bind() -> UnixReceiver {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "collector-tests-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a socket directory");
        let socket =
            std::os::unix::net::UnixDatagram::bind(dir.join("dsd.socket")).expect("bind socket");
        UnixReceiver { socket, dir }
    }

    /// The socket's path.
    pub fn path(&self) -> std::path::PathBuf {
        self.dir.join("dsd.socket")
    }

    /// Every datagram that arrives until none has for `quiet`.
    pub fn datagrams(&self, quiet: Duration) -> Vec<Vec<u8>> {
        self.datagrams_within(quiet, quiet)
    }
}

impl Drop for UnixReceiver {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every line of `datagrams`, parsed; panics on a malformed one.
pub fn parse_all(datagrams: &[Vec<u8>]) -> Vec<Line> {
    datagrams
        .iter()
        .flat_map(|d| parse_datagram(d).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// A series key for comparisons: `(type, name, sorted tags)`.
pub fn series(kind: &str, name: &str, tags: &[&str]) -> (String, String, Vec<String>) {
    let mut tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
    tags.sort();
    (kind.to_owned(), name.to_owned(), tags)
}

/// A datagram socket the receivers read from: UDP or Unix.
trait DatagramSocket {
    fn set_timeout(&self, timeout: Duration);
    fn recv(&self, buf: &mut [u8]) -> std::io::Result<usize>;
}

impl DatagramSocket for UdpSocket {
    fn set_timeout(&self, timeout: Duration) {
        self.set_read_timeout(Some(timeout)).expect("read timeout");
    }
    fn recv(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        UdpSocket::recv(self, buf)
    }
}

impl DatagramSocket for std::os::unix::net::UnixDatagram {
    fn set_timeout(&self, timeout: Duration) {
        self.set_read_timeout(Some(timeout)).expect("read timeout");
    }
    fn recv(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        std::os::unix::net::UnixDatagram::recv(self, buf)
    }
}

/// Reads datagrams from `socket`: waits up to `first` for the first one,
/// then takes every one that follows until none has come for `quiet`.
fn collect_datagrams(
    socket: &impl DatagramSocket,
    first: Duration,
    quiet: Duration,
) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65_536];
    socket.set_timeout(first);
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        match socket.recv(&mut buf) {
            Ok(n) => out.push(buf[..n].to_vec()),
            Err(_) => break,
        }
        if out.len() == 1 {
            socket.set_timeout(quiet);
        }
    }
    out
}

impl UdpReceiver {
    /// Waits up to `first` for a datagram, then takes every one that
    /// follows until none has come for `quiet`.
    pub fn datagrams_within(&self, first: Duration, quiet: Duration) -> Vec<Vec<u8>> {
        collect_datagrams(&self.socket, first, quiet)
    }
}

impl UnixReceiver {
    /// Waits up to `first` for a datagram, then takes every one that
    /// follows until none has come for `quiet`.
    pub fn datagrams_within(&self, first: Duration, quiet: Duration) -> Vec<Vec<u8>> {
        collect_datagrams(&self.socket, first, quiet)
    }
}

impl UdpReceiver {
    /// Binds a free loopback port with a receive buffer of at least `bytes`,
    /// as a DogStatsD server under load is configured (the Datadog Agent's
    /// `dogstatsd_so_rcvbuf`): a flush of thousands of series arrives as one
    /// burst, and the kernel drops what does not fit in the buffer.
    pub fn bind_with_buffer(bytes: usize) -> UdpReceiver {
        let receiver = UdpReceiver::bind();
        let socket = socket2::SockRef::from(&receiver.socket);
        socket.set_recv_buffer_size(bytes).expect("SO_RCVBUF");
        let granted = socket.recv_buffer_size().expect("SO_RCVBUF");
        assert!(
            granted >= bytes,
            "the receive buffer is {granted} bytes, {bytes} wanted: raise net.core.rmem_max"
        );
        receiver
    }
}

pub mod delivery;
pub mod notices;
pub mod oracle;
pub mod oracle_notices;

pub use notices::{parse_any, parse_datagram_any, Sent};

/// A cadence sink whose writes and flushes all fail, as a closed socket's
/// do: cadence's own trait, implemented the way a broken transport behaves.
pub struct FailingSink;

impl cadence::MetricSink for FailingSink {
    fn emit(&self, _metric: &str) -> std::io::Result<usize> {
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "agent gone",
        ))
    }
    fn flush(&self) -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::BrokenPipe,
            "flush failed",
        ))
    }
}

/// The README's `rust` blocks, compiled by `cargo test --workspace` as
/// doctests of this crate, which has every feature of the runtime and the
/// examples' dependencies (axum, tokio).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
