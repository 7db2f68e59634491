//! Nothing handed to the outbox is lost when the process ends: real child
//! binaries (`src/bin/exit_*.rs`), as users write a cron job, each run many
//! times against a real UDP receiver and a real Unix datagram socket, with
//! no call to `flush` in them. Every value each run recorded must arrive,
//! once, with the call's `outcome` and `timing` (read as the agent reads
//! them: a counter context's lines summed, each packed value a sample), and
//! the process must end with the status it would have had without metrics.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use collector_tests::{parse_all, Line, UdpReceiver, UnixReceiver};

/// How many times each case runs, on each transport.
const RUNS: usize = 5;

/// A sample as compared: name, type, sorted tags, and the value (timers'
/// values vary: only their presence is compared).
fn key(name: &str, kind: &str, tags: &[String], value: f64) -> String {
    let mut tags = tags.to_vec();
    tags.sort();
    let value = if kind == "ms" {
        assert!(value >= 0.0, "{name}: {value}");
        "<ms>".to_owned()
    } else {
        value.to_string()
    };
    format!("{name}:{value}|{kind}|#{}", tags.join(","))
}

/// What the agent makes of the lines: each counter context's sum once, and
/// every other value (several on a packed line) as a sample, counted.
fn count(lines: &[Line]) -> BTreeMap<String, usize> {
    let mut sums: BTreeMap<(String, Vec<String>), f64> = BTreeMap::new();
    let mut counts = BTreeMap::new();
    for line in lines {
        if line.kind == "c" {
            *sums
                .entry((line.name.clone(), line.tags.clone()))
                .or_default() += line.values.iter().sum::<f64>();
            continue;
        }
        for value in &line.values {
            *counts
                .entry(key(&line.name, &line.kind, &line.tags, *value))
                .or_default() += 1;
        }
    }
    for ((name, tags), sum) in sums {
        *counts.entry(key(&name, "c", &tags, sum)).or_default() += 1;
    }
    counts
}

/// The lines of one run of a job of 60 series named `job`, ended `outcome`.
fn cron_lines(job: &str, outcome: &str) -> BTreeMap<String, usize> {
    let mut want: BTreeMap<String, usize> = (0..60)
        .map(|i| {
            let line = format!(
                "cron.rows.table_{i:02}:{}|c|#job:nightly,outcome:{outcome}",
                i + 1
            );
            (line, 1)
        })
        .collect();
    want.insert(
        format!("{job}.duration:<ms>|ms|#job:nightly,outcome:{outcome}"),
        1,
    );
    want
}

/// The lines of `exit_tokio`: four tasks of 15 series each (each
/// counter summed over the tasks), and their durations.
fn tokio_lines() -> BTreeMap<String, usize> {
    let mut want = BTreeMap::new();
    for i in 0..15 {
        let sum: usize = (0..4).map(|id| id * 100 + i).sum();
        want.insert(format!("cron.rows.table_{i:02}:{sum}|c|#outcome:ok"), 1);
    }
    want.insert("cron.task.duration:<ms>|ms|#outcome:ok".to_owned(), 4);
    want
}

/// Where the child sends: a receiver of the test's own.
enum Receiver {
    Udp(UdpReceiver),
    Unix(UnixReceiver),
}

impl Receiver {
    fn url(&self) -> String {
        match self {
            Receiver::Udp(r) => format!("udp://{}", r.addr()),
            Receiver::Unix(r) => format!("unix://{}", r.path().display()),
        }
    }

    /// What has arrived: the child has ended, so it is all in the socket.
    fn lines(&self) -> Vec<Line> {
        let (first, quiet) = (Duration::from_secs(5), Duration::from_millis(200));
        let datagrams = match self {
            Receiver::Udp(r) => r.datagrams_within(first, quiet),
            Receiver::Unix(r) => r.datagrams_within(first, quiet),
        };
        parse_all(&datagrams)
    }
}

/// How the default handler words a flush on an execution's handle.
const FLUSH_DEFERRED: &str = "flush() sent nothing: this collector is an execution's";

/// Runs `exe mode` against a fresh receiver of each kind, `RUNS` times,
/// and checks the exit status and every line; returns the last run's
/// standard output.
fn check(exe: &str, mode: &str, status: i32, want: &BTreeMap<String, usize>) -> String {
    let mut stdout = String::new();
    for transport in ["udp", "unix"] {
        for run in 0..RUNS {
            let receiver = match transport {
                "udp" => Receiver::Udp(UdpReceiver::bind()),
                _ => Receiver::Unix(UnixReceiver::bind()),
            };
            let mut command = Command::new(exe);
            command.arg(mode);
            for (var, _) in std::env::vars_os() {
                if var.to_string_lossy().starts_with("DD_") {
                    command.env_remove(var);
                }
            }
            let output = command
                .env("DD_DOGSTATSD_URL", receiver.url())
                .output()
                .expect("run the child binary");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(status),
                "{exe} {mode} over {transport}, run {run}: {stderr}"
            );
            // The one error a mode may report: a flush on the call's
            // handle, which sends nothing and says so.
            let errors: Vec<&str> = stderr
                .lines()
                .filter(|line| line.contains("collector-runtime:"))
                .filter(|line| !line.contains(FLUSH_DEFERRED) || mode != "current_flush_then_exit")
                .collect();
            assert!(
                errors.is_empty(),
                "{exe} {mode} over {transport} reported an error: {stderr}"
            );
            if mode == "current_flush_then_exit" {
                assert!(stderr.contains(FLUSH_DEFERRED), "{stderr}");
            }
            let got = count(&receiver.lines());
            assert_eq!(&got, want, "{exe} {mode} over {transport}, run {run}");
            stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        }
    }
    stdout
}

const CRON: &str = env!("CARGO_BIN_EXE_exit_cron");
const ANNOTATED_MAIN: &str = env!("CARGO_BIN_EXE_exit_annotated_main");
const TOKIO: &str = env!("CARGO_BIN_EXE_exit_tokio");

#[test]
fn main_returning_right_after_an_annotated_call_delivers_every_line() {
    check(CRON, "return", 0, &cron_lines("cron.job", "ok"));
}

#[test]
fn process_exit_right_after_an_annotated_call_delivers_every_line() {
    check(CRON, "process_exit", 0, &cron_lines("cron.job", "ok"));
}

#[test]
fn a_call_on_a_thread_that_ends_before_main_returns_delivers_every_line() {
    check(CRON, "thread_exit", 0, &cron_lines("cron.job", "ok"));
}

#[test]
fn collector_runtime_exit_inside_an_annotated_call_sends_it_with_outcome_and_timing() {
    check(CRON, "exit_inside", 0, &cron_lines("cron.job", "ok"));
    check(
        CRON,
        "exit_inside_failing",
        2,
        &cron_lines("cron.job", "error"),
    );
}

#[test]
fn the_current_calls_flush_reports_what_it_sent_and_exit_sends_the_rest_once() {
    let stdout = check(
        CRON,
        "current_flush_then_exit",
        0,
        &cron_lines("cron.job", "ok"),
    );
    assert_eq!(stdout.trim(), "series_sent=0");
}

#[test]
fn an_annotated_main_returning_ok_delivers_every_line() {
    check(ANNOTATED_MAIN, "ok", 0, &cron_lines("cron.main", "ok"));
}

#[test]
fn an_annotated_main_returning_err_delivers_every_line_and_fails() {
    check(ANNOTATED_MAIN, "err", 1, &cron_lines("cron.main", "error"));
}

#[test]
fn an_annotated_main_that_panics_delivers_every_line_and_fails() {
    check(
        ANNOTATED_MAIN,
        "panic",
        101,
        &cron_lines("cron.main", "panic"),
    );
}

#[test]
fn tokio_main_with_the_work_on_worker_threads_delivers_every_line() {
    check(TOKIO, "", 0, &tokio_lines());
}
