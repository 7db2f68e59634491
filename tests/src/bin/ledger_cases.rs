//! The delivery ledger's cases, run by `tests/delivery_ledger.rs` with
//! `DD_DOGSTATSD_URL` aimed at the test's receiver. Every call records one
//! line with a tag no other call shares (`call:...`), so one call is one
//! line however lines are packed or aggregated. The first argument is the
//! case:
//!
//! - `slow_exit THREADS CALLS`: threads of annotated calls, joined; `main`
//!   calls `flush()`, prints its report, and returns;
//! - `fork CHILDREN CALLS`: a thread makes calls without pause while `main`
//!   forks children, each making CALLS calls and returning from `main`;
//!   the parent waits for each (a bounded wait, then a kill) and prints
//!   how many hung or failed;
//! - `named_main CALLS`: a thread the program names "main" makes a call and
//!   ends, then `main` makes CALLS calls;
//! - `hung THREADS`: a sink that never returns; threads of one call of 10
//!   lines each, joined in turn, then `flush()`;
//! - `big_tag CALLS`: calls of two ordinary lines and one with a 100 KB tag.
//!
//! The flush timeout comes from `LEDGER_TIMEOUT_MS`. Reports are printed as
//! `key=value` pairs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use collector_runtime::{collect_metrics, telemetry::DeliveryReport, Client, ClientConfig};

#[collect_metrics(name = "ledger", tags(call = id))]
fn call(id: &str) {
    collector_runtime::incr("ledger.call", ());
}

#[collect_metrics(name = "ledger", tags(call = id))]
fn call_of_ten(id: &str) {
    for s in 0..10 {
        collector_runtime::incr(&format!("ledger.s{s}"), ());
    }
}

#[collect_metrics(name = "ledger", tags(call = id))]
fn call_with_big_tag(id: &str, big: &str) {
    collector_runtime::incr("ledger.before", ());
    collector_runtime::incr("ledger.big", &[("huge", big)]);
    collector_runtime::incr("ledger.after", ());
}

fn timeout() -> Duration {
    let ms = std::env::var("LEDGER_TIMEOUT_MS").ok();
    Duration::from_millis(ms.and_then(|ms| ms.parse().ok()).unwrap_or(1000))
}

/// The global client from the environment, with the case's timeout.
fn client_from_env() {
    let client = ClientConfig::from_env()
        .expect("DD_DOGSTATSD_URL")
        .build()
        .expect("a client")
        .flush_timeout(timeout());
    collector_runtime::set_global_client(client);
}

fn print(label: &str, report: &DeliveryReport) {
    println!(
        "{label}: sent={} dropped={} pending={} in_flight={} timeouts={}",
        report.lines_sent,
        report.lines_dropped,
        report.lines_pending,
        report.lines_in_flight,
        report.timeouts
    );
    println!("payloads: sent={}", report.payloads_sent);
}

fn slow_exit(threads: usize, calls: usize) {
    client_from_env();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..calls {
                    call(&format!("{t}_{i}"));
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    print("flush", &collector_runtime::wait_for_delivery());
}

/// Forks; the child runs `child` and returns `true` (the caller returns
/// from `main`), the parent gets `false` and the child's pid.
fn fork() -> (bool, i32) {
    // SAFETY: the test needs a real `fork` after the sender thread started;
    // the child only uses what `fork` leaves usable (this thread, the
    // runtime's fork-aware state, the allocator) and returns from `main`.
    #[allow(unsafe_code)]
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    (pid == 0, pid)
}

/// Waits for `pid` up to `limit`, then kills it: `Some(status)`, or `None`
/// for a child that hung.
fn wait_bounded(pid: i32, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: `waitpid` on a child of ours with a valid out-pointer.
        #[allow(unsafe_code)]
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            return Some(status);
        }
        if start.elapsed() > limit {
            // SAFETY: `kill` and `waitpid` on a child of ours that hung.
            #[allow(unsafe_code)]
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Forks the children; in a child, returns once its calls are made.
fn fork_case(children: usize, calls: usize) {
    client_from_env();
    call("parent_first");
    let stop = Arc::new(AtomicBool::new(false));
    let busy = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut made = 0;
            while !stop.load(Ordering::Relaxed) {
                call(&format!("busy_{made}"));
                made += 1;
            }
            made
        })
    };
    let (mut hung, mut failed) = (0, 0);
    for k in 0..children {
        std::thread::sleep(Duration::from_millis(2));
        let (in_child, pid) = fork();
        if in_child {
            for i in 0..calls {
                call(&format!("child{k}_{i}"));
            }
            return;
        }
        match wait_bounded(pid, Duration::from_secs(20)) {
            None => hung += 1,
            Some(status) if status != 0 => failed += 1,
            Some(_) => {}
        }
    }
    stop.store(true, Ordering::Relaxed);
    let busy_calls = busy.join().unwrap();
    println!("hung={hung} failed={failed} busy_calls={busy_calls}");
}

fn named_main(calls: usize) {
    client_from_env();
    std::thread::Builder::new()
        .name("main".to_owned())
        .spawn(|| call("named_main"))
        .unwrap()
        .join()
        .unwrap();
    for i in 0..calls {
        call(&format!("after_{i}"));
    }
    print("flush", &collector_runtime::wait_for_delivery());
}

/// A user's sink whose writes never return.
struct HangingSink;

impl cadence::MetricSink for HangingSink {
    fn emit(&self, _: &str) -> std::io::Result<usize> {
        loop {
            std::thread::park();
        }
    }
}

fn hung(threads: usize) {
    collector_runtime::set_global_client(Client::new(HangingSink).flush_timeout(timeout()));
    for t in 0..threads {
        std::thread::spawn(move || call_of_ten(&format!("hung_{t}")))
            .join()
            .unwrap();
    }
    print("flush", &collector_runtime::wait_for_delivery());
}

fn big_tag(calls: usize) {
    client_from_env();
    let big = "t".repeat(100_000);
    for i in 0..calls {
        call_with_big_tag(&format!("big_{i}"), &big);
    }
    print("flush", &collector_runtime::wait_for_delivery());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |at: usize| -> usize { args.get(at).and_then(|n| n.parse().ok()).unwrap_or(1) };
    match args.first().map(String::as_str) {
        Some("slow_exit") => slow_exit(number(1), number(2)),
        // A child, as the parent, returns from `main` here: its end waits
        // for its own lines.
        Some("fork") => fork_case(number(1), number(2)),
        Some("named_main") => named_main(number(1)),
        Some("hung") => hung(number(1)),
        Some("big_tag") => big_tag(number(1)),
        other => panic!("unknown case {other:?}"),
    }
}
