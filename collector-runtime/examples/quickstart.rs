//! A nightly clean-up job, run by cron: the shape most jobs have.
//!
//! `#[collect_metrics]` on the job's entry point gives every run its own
//! collector. The helpers the run calls record through the free functions
//! (`collector_runtime::incr`, `histogram`, `timing`), which go to the
//! current run's collector, however deep the call. When the run ends, with
//! `Ok` or with an `Err` returned through `?`, every series is sent once,
//! tagged `outcome:ok` or `outcome:error`, and `timing` adds the run's
//! duration as `jobs.cleanup.duration`.
//!
//! With a `DD_*` variable set, metrics go to that agent. Without one, the
//! example listens on a loopback UDP port of its own and prints every
//! datagram it receives, so the output is visible with no agent installed.
//!
//! ```text
//! cargo run --example quickstart
//! ```

mod local_agent;

use std::fmt;
use std::time::{Duration, Instant};

use collector_runtime::collect_metrics;
use local_agent::LocalAgent;

/// What the database driver returns when a query fails.
#[derive(Debug)]
struct DbError(&'static str);

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for DbError {}

/// Stands in for the database: the age in days of each row of a table, or
/// an error for a table another job has locked.
fn expired_candidates(table: &str) -> Result<Vec<u32>, DbError> {
    std::thread::sleep(Duration::from_millis(2)); // the round trip
    match table {
        "sessions" => Ok(vec![3, 45, 60, 1, 90]),
        "audit_log" => Ok(vec![400, 10]),
        _ => Err(DbError("table is locked")),
    }
}

/// Cleans one table. It knows nothing of collectors: what it records goes
/// to the run that called it.
fn clean_table(table: &str) -> Result<u32, DbError> {
    let started = Instant::now();
    let rows = expired_candidates(table)?;
    collector_runtime::timing("cleanup.scan", started.elapsed(), &[("table", table)]);
    collector_runtime::histogram("cleanup.rows", rows.len() as f64, &[("table", table)]);

    let mut deleted = 0;
    for age_days in rows {
        if age_days > 30 {
            collector_runtime::incr("cleanup.deleted", &[("table", table)]);
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// The cron entry point: one run, one collector, one flush when it ends.
#[collect_metrics(name = "jobs.cleanup", tags("job:cleanup"), timing, outcome)]
fn nightly_cleanup(tables: &[&str]) -> Result<u32, DbError> {
    let mut deleted = 0;
    for table in tables {
        deleted += clean_table(table)?;
    }
    Ok(deleted)
}

fn main() -> std::io::Result<()> {
    // No agent? Be our own: a loopback socket that receives what is sent.
    let agent = LocalAgent::start()?;

    // Tonight's run cleans both tables.
    match nightly_cleanup(&["sessions", "audit_log"]) {
        Ok(deleted) => println!("run 1: deleted {deleted} rows"),
        Err(err) => println!("run 1 failed: {err}"),
    }
    // The next one finds `orders` locked: `?` ends the run with the error,
    // and what it recorded before is sent all the same.
    match nightly_cleanup(&["sessions", "orders"]) {
        Ok(deleted) => println!("run 2: deleted {deleted} rows"),
        Err(err) => println!("run 2 failed: {err}"),
    }

    agent.print_received()?;
    Ok(())
}
