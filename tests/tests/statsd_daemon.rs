//! Against a real StatsD daemon: the reference Etsy `statsd` server (npm
//! package `statsd@0.9.0`, which the test installs under the cargo target
//! directory the first time it runs; see `statsd_install`), started on free loopback ports with a config file written here, fed a
//! workload of `#[collect_metrics]` calls through a cadence UDP client, then read back
//! through its management interface.
//!
//! What the daemon does with what we send (read from its `stats.js` and
//! checked by the assertions below):
//! - It understands DogStatsD tags: `name:1|c|#k:v,flag` is stored under the
//!   key `name;k=v;flag` (the first `:` of a tag becomes `=`), then the key is
//!   cleaned: spaces become `_`, `/` becomes `-`, and every character outside
//!   `[A-Za-z0-9_.;=-]` is removed. Keys are built in the order tags are sent,
//!   so our sorted tags give one key per series.
//! - Types it does not know, `h` and `d`, are counted as counters (summed);
//!   `ms` values are kept one per line in `timers`; a gauge keeps the last
//!   value (a value starting with `+` or `-` would be a delta, so the workload
//!   sends none).
//! - A line it cannot parse is counted in `bad_lines_seen`.
//! - It knows neither service checks nor events. A line is cut at its first
//!   `|#` (the tags), the part before it at `:`; `_sc|name|0` has no `:`, so
//!   its value is taken as `1` with no type, and `_e{9,6}:cron done|4 rows`
//!   has a title where the value should be: each is one bad line (counted in
//!   `metrics_received` and `bad_lines_seen`) and is stored under no key.
//!   That holds while no `:` comes before the tags (no `d:`, `h:`, `k:`,
//!   `p:`, `s:` or `t:` field, which the workload does not send) and an
//!   event's title is not a number.
//!
//! So: every series must arrive under exactly its key with exactly its value,
//! hostile names and tags must land under the keys our sanitizing predicts
//! (never a bad line, never an extra key), `metrics_received` must equal
//! the number of series flushed (one line per series per call) plus the
//! checks and events, and the bad lines must be exactly those checks and
//! events: no metric line is ever bad.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cadence::BufferedUdpMetricSink;
use collector_runtime::Client;
use collector_runtime::{checks_events::Event, collect_metrics};

mod statsd_install;
use statsd_install::{node, statsd_script, NEED_NODE};

/// A running `statsd` process, killed on drop.
struct Daemon {
    child: Child,
    udp_port: u16,
    mgmt_port: u16,
    dir: PathBuf,
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free UDP port")
        .port()
}

fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free TCP port")
        .port()
}

impl Daemon {
    fn start() -> Daemon {
        let script = statsd_script();
        let node = node();

        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "collector-statsd-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("a config directory");
        let (udp_port, mgmt_port) = (free_udp_port(), free_tcp_port());
        // Flushes (which reset counters and timers) never happen during the
        // test; no backend is loaded.
        let config = format!(
            r#"{{
  "address": "127.0.0.1", "port": {udp_port},
  "mgmt_address": "127.0.0.1", "mgmt_port": {mgmt_port},
  "flushInterval": 3600000, "backends": [],
  "automaticConfigReload": false, "deleteIdleStats": false
}}"#
        );
        let config_path = dir.join("config.js");
        std::fs::write(&config_path, config).expect("write the config");
        let child = Command::new(&node)
            .arg(&script)
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `node` ({e}): {NEED_NODE}"));
        let mut daemon = Daemon {
            child,
            udp_port,
            mgmt_port,
            dir,
        };
        daemon.wait_until_up();
        daemon
    }

    fn wait_until_up(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("statsd exited at start ({status}); its stderr is above");
            }
            if TcpStream::connect(("127.0.0.1", self.mgmt_port)).is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "statsd did not start in 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        // The UDP server binds in the same tick as the management server,
        // but wait for a probe to be counted all the same.
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.counters().get("statsd.metrics_received") != Some(&1.0) {
            assert!(Instant::now() < deadline, "statsd never counted a probe");
            if self.counters().get("statsd.metrics_received") == Some(&0.0) {
                probe
                    .send_to(b"harness.probe:1|c", ("127.0.0.1", self.udp_port))
                    .unwrap();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends one management command and returns the answer up to `END`.
    fn command(&self, command: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.mgmt_port)).expect("mgmt port");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(command.as_bytes()).unwrap();
        stream.write_all(b"\n").unwrap();
        let mut answer = String::new();
        let mut buf = [0u8; 65_536];
        while !answer.contains("END\n") {
            let n = stream
                .read(&mut buf)
                .unwrap_or_else(|e| panic!("reading `{command}`: {e}; got {answer:?}"));
            assert!(n > 0, "statsd closed the connection: {answer:?}");
            answer.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        let _ = stream.write_all(b"quit\n");
        answer
    }

    fn counters(&self) -> BTreeMap<String, f64> {
        inspect_object(&self.command("counters"))
            .into_iter()
            .map(|(k, v)| (k, single(&v)))
            .collect()
    }

    fn gauges(&self) -> BTreeMap<String, f64> {
        inspect_object(&self.command("gauges"))
            .into_iter()
            .map(|(k, v)| (k, single(&v)))
            .collect()
    }

    fn timers(&self) -> BTreeMap<String, Vec<f64>> {
        inspect_object(&self.command("timers"))
    }

    /// `messages.bad_lines_seen` and the like, from `stats`.
    fn stat(&self, name: &str) -> f64 {
        let answer = self.command("stats");
        answer
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
            .unwrap_or_else(|| panic!("no {name} in {answer}"))
            .trim()
            .parse()
            .expect("a number")
    }

    /// Waits until the daemon has read `lines` metric lines in all.
    fn wait_for_lines(&self, lines: usize) {
        self.wait_until(|daemon| daemon.counters()["statsd.metrics_received"] >= lines as f64);
    }

    /// Waits until `done` says so, or 20 s have passed.
    fn wait_until(&self, done: impl Fn(&Daemon) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if done(self) || Instant::now() > deadline {
                // A little longer, in case more than expected arrives.
                std::thread::sleep(Duration::from_millis(200));
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn single(values: &[f64]) -> f64 {
    assert_eq!(values.len(), 1, "{values:?}");
    values[0]
}

/// Parses node's `util.inspect` of an object whose keys are metric keys and
/// whose values are numbers or arrays of numbers.
fn inspect_object(answer: &str) -> BTreeMap<String, Vec<f64>> {
    let body = answer.split("END").next().unwrap_or_default().trim();
    let body = body
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .unwrap_or_else(|| panic!("not an object: {answer:?}"));
    let mut out = BTreeMap::new();
    let mut rest = body.trim_start();
    while !rest.is_empty() {
        let (key, after) = if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted.find('\'').expect("closing quote");
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = rest.find(':').expect("a key");
            (&rest[..end], &rest[end..])
        };
        let after = after
            .trim_start()
            .strip_prefix(':')
            .expect("':'")
            .trim_start();
        let (values, after) = if let Some(list) = after.strip_prefix('[') {
            let end = list.find(']').expect("closing bracket");
            (&list[..end], &list[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        let values: Vec<f64> = values
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("value {v:?} in {answer}"))
            })
            .collect();
        out.insert(key.trim().to_owned(), values);
        rest = after.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

static CLIENT: OnceLock<Client> = OnceLock::new();

/// The client the annotated workload sends through.
fn daemon_client() -> Client {
    CLIENT.get().expect("the daemon's client is set").clone()
}

fn aim_client_at(daemon: &Daemon) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sink = BufferedUdpMetricSink::from(("127.0.0.1", daemon.udp_port), socket).unwrap();
    // This daemon reads one value per line: packed samples off, as a user
    // of it sets them.
    let _ = CLIENT.set(Client::new(sink).multi_value(false));
}

/// One checkout: what a request handler records. Each call is one
/// collector, flushed through the daemon's client when the call returns;
/// `timing` adds `shop.checkout.duration`.
#[collect_metrics(name = "shop.checkout", client = daemon_client(), tags("service:shop"), timing)]
fn checkout(verb: &str, items: u32) {
    collector_runtime::incr("query", [("database", "master"), ("verb", verb)]);
    collector_runtime::incr("query", [("verb", verb), ("database", "master")]);
    collector_runtime::histogram("cart.items", items, ());
    collector_runtime::distribution("cart.value", items * 10, ["currency:eur"]);
    collector_runtime::timing("db.wait", Duration::from_millis(u64::from(items)), ());
    collector_runtime::gauge("pool.idle", items, ());
}

/// Series per `checkout` call: query, cart.items, cart.value, db.wait,
/// pool.idle and the call's duration.
const CHECKOUT_SERIES: usize = 6;

/// A tag expression fed with user input, evaluated when the call starts.
#[collect_metrics(client = daemon_client(), tags(user = user))]
fn login(user: &str) {
    collector_runtime::incr("login", ());
}

/// What a handler records when names and tags come from user input.
#[collect_metrics(client = daemon_client())]
fn hostile() {
    collector_runtime::incr("evil|name\nx:1|c", ());
    collector_runtime::incr("files", [("path", "/a;b=c")]);
    collector_runtime::incr("visits", [("city", "Zürich")]);
    collector_runtime::incr("orders", ["canary", "a#b:c"]);
    collector_runtime::count("café.orders", 2, ());
    collector_runtime::gauge("temp\r\n:9|g", 21, ());
}

const HOSTILE_SERIES: usize = 1 + 6;

#[derive(Debug)]
struct Locked;

impl std::fmt::Display for Locked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("table is locked")
    }
}

/// A cron run: one metric, one event and, when it ends, one service check.
#[collect_metrics(name = "shop.cron", client = daemon_client(), tags("service:shop"), outcome, service_check)]
fn cron(fail: bool) -> Result<(), Locked> {
    collector_runtime::count("cron.rows", 4, ());
    collector_runtime::event(Event::new("cron done", "4 rows"));
    if fail {
        return Err(Locked);
    }
    Ok(())
}

/// Lines per `cron` call: the metric, the event, the check.
const CRON_SERIES: usize = 1;
const CRON_NOTICES: usize = 2;

#[test]
fn the_reference_statsd_daemon_receives_every_series_exactly() {
    let daemon = Daemon::start();
    aim_client_at(&daemon);

    for (verb, items) in [("select", 1), ("insert", 3), ("select", 5)] {
        checkout(verb, items);
    }
    login("bob|c\n#evil:1,x y");
    hostile();
    cron(false).unwrap();
    cron(true).unwrap_err();
    collector_runtime::wait_for_delivery();

    let notices = 2 * CRON_NOTICES;
    let sent = 3 * CHECKOUT_SERIES + HOSTILE_SERIES + 2 * CRON_SERIES + notices;
    // The probe, then at most one line per series per call (the calls of
    // one interval share a counter's or a gauge's line), and the checks and
    // events. Every sample has arrived once the timers hold the calls'.
    daemon.wait_until(|daemon| {
        daemon
            .timers()
            .get("db.wait;service=shop")
            .is_some_and(|waits| waits.len() == 3)
            && daemon.stat("messages.bad_lines_seen") >= notices as f64
    });

    let counters = daemon.counters();
    let own: BTreeMap<&str, f64> = counters
        .iter()
        .filter(|(k, _)| !k.starts_with("statsd."))
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    let expected_counters: BTreeMap<&str, f64> = [
        ("harness.probe", 1.0),
        // Two records per call, three calls: 2 + 2 for select, 2 for insert.
        ("query;database=master;service=shop;verb=select", 4.0),
        ("query;database=master;service=shop;verb=insert", 2.0),
        // `h` and `d` are summed as counters by this daemon: 1 + 3 + 5.
        ("cart.items;service=shop", 9.0),
        ("cart.value;currency=eur;service=shop", 90.0),
        // Hostile input, made harmless by our sanitizing, then reshaped by
        // the daemon's own key rules (`:` dropped, `/` to `-`, non-ASCII
        // dropped).
        ("login;user=bob_c__evil1_x_y", 1.0),
        ("evil_name_x_1_c", 1.0),
        ("files;path=-a_b_c", 1.0),
        ("visits;city=Zrich", 1.0),
        ("orders;a_b=c;canary", 1.0),
        ("caf.orders", 2.0),
        ("cron.rows;outcome=ok;service=shop", 4.0),
        ("cron.rows;outcome=error;service=shop", 4.0),
    ]
    .into_iter()
    .collect();
    assert_eq!(own, expected_counters, "counters");

    let gauges = daemon.gauges();
    let expected_gauges: BTreeMap<String, f64> = [
        ("pool.idle;service=shop".to_owned(), 5.0),
        ("temp___9_g".to_owned(), 21.0),
    ]
    .into_iter()
    .collect();
    let own_gauges: BTreeMap<String, f64> = gauges
        .into_iter()
        .filter(|(k, _)| !k.starts_with("statsd."))
        .collect();
    assert_eq!(own_gauges, expected_gauges, "gauges");

    // One timer value per call: the per-call total, not one per record.
    let mut timers = daemon.timers();
    let durations = timers
        .remove("shop.checkout.duration;service=shop")
        .expect("the attribute's timing");
    assert_eq!(durations.len(), 3, "one duration per call: {durations:?}");
    assert!(durations.iter().all(|ms| *ms >= 0.0), "{durations:?}");
    let expected_timers: BTreeMap<String, Vec<f64>> =
        [("db.wait;service=shop".to_owned(), vec![1.0, 3.0, 5.0])]
            .into_iter()
            .collect();
    assert_eq!(timers, expected_timers, "timers");

    // The checks and events, and nothing else: no metric line is bad.
    let bad = notices as f64;
    assert_eq!(daemon.stat("messages.bad_lines_seen"), bad, "bad lines");
    assert_eq!(counters["statsd.bad_lines_seen"], bad);
    assert!(
        counters["statsd.metrics_received"] <= (1 + sent) as f64,
        "at most one line per series per call, and the checks and events"
    );
}

#[test]
fn the_inspect_parser_reads_node_output() {
    let answer =
        "{\n  'statsd.bad_lines_seen': 0,\n  plain: 2.5,\n  'a;b=c': [ 1, 3,\n    5 ]\n}\nEND\n\n";
    let parsed = inspect_object(answer);
    assert_eq!(parsed["statsd.bad_lines_seen"], [0.0]);
    assert_eq!(parsed["plain"], [2.5]);
    assert_eq!(parsed["a;b=c"], [1.0, 3.0, 5.0]);
    assert!(inspect_object("{}\nEND\n\n").is_empty());
}

/// The control: the same hostile tag sent raw through cadence, which does
/// not clean tags, does break the line, and the daemon's counters show it.
/// So the zero above is a measurement, not a blind spot.
#[test]
fn a_raw_hostile_tag_is_what_bad_lines_seen_catches() {
    use cadence::prelude::*;

    let daemon = Daemon::start();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sink = cadence::UdpMetricSink::from(("127.0.0.1", daemon.udp_port), socket).unwrap();
    let raw = cadence::StatsdClient::from_sink("", sink);
    raw.incr_with_tags("login")
        .with_tag("user", "bob|c\n#evil:1,x y")
        .send();
    daemon.wait_for_lines(3);

    assert_eq!(daemon.stat("messages.bad_lines_seen"), 1.0);
    let counters = daemon.counters();
    assert_eq!(counters.get("login;user=bobc"), Some(&1.0), "{counters:?}");
}
