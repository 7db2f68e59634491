//! A pool of async background jobs, one collector per job: each job is an
//! annotated `async fn`, so each run records into a collector of its own
//! (current around every poll, whichever worker thread polls it) and flushes
//! once when the job ends, tagged with how it ended.
//!
//! With a `DD_*` variable set, metrics go to that agent. Without one, the
//! example listens on a loopback UDP port of its own and prints every
//! datagram it receives.
//!
//! ```text
//! cargo run --example background_jobs
//! ```

mod local_agent;

use std::time::Duration;

use collector_runtime::collect_metrics;
use local_agent::LocalAgent;

/// One job: sends an email. `outcome` tags every series of the run with
/// `outcome:ok` or `outcome:error`; `timing` sends `jobs.email.duration`;
/// `priority` is read once, when the job starts.
#[collect_metrics(name = "jobs.email", tags(queue = "mail", priority = priority), timing, outcome)]
async fn send_email(id: u32, priority: &'static str) -> Result<(), String> {
    collector_runtime::incr("email.rendered", ());
    // Awaiting lets the job move to another worker thread; what it records
    // afterwards still goes to this run's collector.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let roundtrips = if id % 3 == 0 { 2 } else { 1 };
    collector_runtime::histogram("email.smtp_roundtrips", roundtrips, ());
    if id % 4 == 0 {
        collector_runtime::incr("email.rejected", [("reason", "mailbox_full")]);
        return Err(format!("job {id}: mailbox full"));
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    // No agent? Be our own: a loopback socket that receives what is sent.
    let agent = LocalAgent::start()?;

    // Eight jobs at once on the pool; each is its own task.
    let mut jobs = tokio::task::JoinSet::new();
    for id in 1..=8 {
        let priority = if id <= 2 { "high" } else { "normal" };
        jobs.spawn(send_email(id, priority));
    }
    let (mut ok, mut failed) = (0, 0);
    while let Some(result) = jobs.join_next().await {
        match result.map_err(std::io::Error::other)? {
            Ok(()) => ok += 1,
            Err(_) => failed += 1,
        }
    }
    println!("{ok} jobs succeeded, {failed} failed");

    agent.print_received()?;
    Ok(())
}
