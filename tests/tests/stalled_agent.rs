//! An agent that stops reading its Unix socket never hangs the application:
//! a real Unix datagram socket, bound and never read (a paused or stuck
//! agent), under 10,000 annotated calls. Every call returns, the process
//! ends by itself with its normal status, memory stays bounded, and what
//! could not be sent is dropped, counted and reported. When the agent reads
//! again, sending resumes by itself and the count of what was dropped
//! reaches it.

use std::collections::HashMap;
use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use collector_runtime::{collect_metrics, config::Target, Client, ClientConfig};
use collector_tests::{parse_all, UnixReceiver};

const STALL: &str = env!("CARGO_BIN_EXE_stall_calls");

/// The `key=value` figures the child printed.
fn figures(stdout: &str) -> HashMap<String, u64> {
    stdout
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.parse().expect("a number")))
        .collect()
}

/// Runs the child in `mode` against a socket nobody reads, and checks what
/// a user would: it ends normally, its memory stayed bounded, and the
/// drops were counted and reported.
fn stalled(mode: &str) {
    let receiver = UnixReceiver::bind(); // never read
    let mut command = Command::new(STALL);
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("DD_") {
            command.env_remove(var);
        }
    }
    let output = command
        .args([mode, "10000"])
        .env(
            "DD_DOGSTATSD_URL",
            format!("unix://{}", receiver.path().display()),
        )
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{}\n{stdout}\n{stderr}",
        output.status
    );
    let seen = figures(&stdout);
    assert_eq!(seen["calls"], 10_000, "{stdout}");
    // Some lines made it into the socket's queue before it filled; the
    // rest were dropped, each counted, none waiting at the end.
    assert!(seen["lines_dropped"] > 0, "{stdout}");
    assert_eq!(seen["lines_pending"], 0, "{stdout}");
    assert!(
        seen["lines_dropped"] + seen["lines_sent"] >= 100_000,
        "{stdout}"
    );
    assert!(seen["errors_seen"] > 0, "{stdout}");
    // A generous bound: the outbox holds at most 4 MiB of lines.
    assert!(seen["peak_rss_kib"] < 64 * 1024, "{stdout}");
    // Reported once, saying what happened to the lines.
    let reports: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("collector-runtime:"))
        .collect();
    assert!(!reports.is_empty(), "{stderr}");
    for report in &reports {
        assert!(report.contains("dropped"), "{report}");
        assert!(!report.contains("next flush"), "{report}");
    }
    let sends = reports.iter().filter(|r| r.contains("not sent")).count();
    assert!(sends <= 1, "{stderr}");
}

#[test]
fn ten_thousand_calls_against_an_agent_that_never_reads_all_return_and_the_process_ends() {
    stalled("async");
}

#[test]
fn a_synchronous_client_against_an_agent_that_never_reads_behaves_the_same() {
    stalled("sync");
}

#[collect_metrics(name = "resume", tags(call = id), client = client)]
fn call(client: &Client, id: u64) {
    for s in 0..10 {
        collector_runtime::count(&format!("resume.s{s}"), id + s, ());
    }
}

#[test]
fn when_the_agent_reads_again_sending_resumes_and_the_drop_count_arrives() {
    let dir = std::env::temp_dir().join(format!("collector-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dsd.socket");
    let agent = UnixDatagram::bind(&path).unwrap();
    let client = ClientConfig::new(Target::Unix(path)).build().unwrap();

    // The agent does not read: the socket's queue fills, the rest drops.
    let before = collector_runtime::wait_for_delivery();
    for id in 0..5_000 {
        call(&client, id);
    }
    let stalled = collector_runtime::wait_for_delivery();
    let dropped = stalled.lines_dropped - before.lines_dropped;
    assert!(dropped > 0, "{stalled:?}");
    assert_eq!(stalled.lines_pending, 0);

    // It reads again: everything it had queued, then what comes.
    agent
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let (drained, drained_rx) = mpsc::channel();
    let reader = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut datagrams = Vec::new();
            let mut buf = vec![0u8; 65_536];
            let mut told = false;
            loop {
                match agent.recv(&mut buf) {
                    Ok(n) => datagrams.push(buf[..n].to_vec()),
                    Err(_) if done.load(Ordering::Acquire) => break,
                    Err(_) if !told => {
                        told = true;
                        drained.send(()).unwrap();
                    }
                    Err(_) => {}
                }
            }
            datagrams
        })
    };
    drained_rx.recv_timeout(Duration::from_secs(60)).unwrap();
    for id in 5_000..10_000 {
        call(&client, id);
    }
    let resumed = collector_runtime::wait_for_delivery();
    assert_eq!(resumed.lines_pending, 0);
    done.store(true, Ordering::Release);
    let lines = parse_all(&reader.join().unwrap());
    let _ = std::fs::remove_dir_all(&dir);

    // Every line recorded after the agent read again arrived.
    let mut after: HashMap<u64, u16> = HashMap::new();
    let mut counted = 0.0;
    for line in &lines {
        if line.name == collector_runtime::telemetry::LINES_DROPPED_METRIC {
            counted += line.value;
            continue;
        }
        let id: u64 = line.tags[0].strip_prefix("call:").unwrap().parse().unwrap();
        let s: u64 = line.name.strip_prefix("resume.s").unwrap().parse().unwrap();
        assert_eq!(line.value, (id + s) as f64, "{line:?}");
        if id >= 5_000 {
            *after.entry(id).or_default() |= 1 << s;
        }
    }
    assert_eq!(after.len(), 5_000);
    assert!(after.values().all(|seen| *seen == (1 << 10) - 1));
    // And the count of what was dropped while it did not read.
    assert_eq!(
        resumed.lines_dropped, stalled.lines_dropped,
        "no drops after"
    );
    assert_eq!(counted, dropped as f64);
}
