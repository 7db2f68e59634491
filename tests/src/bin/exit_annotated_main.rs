//! An annotated `fn main`, run by `tests/exit_delivery.rs` with
//! `DD_DOGSTATSD_URL` aimed at the test's receiver: the first argument says
//! whether it returns `Ok`, returns `Err` (a non-zero exit status) or
//! panics. Every run records the same 60 series.

use collector_runtime::collect_metrics;

#[collect_metrics(name = "cron.main", tags("job:nightly"), timing, outcome)]
fn main() -> Result<(), String> {
    for i in 0..60 {
        collector_runtime::count(&format!("cron.rows.table_{i:02}"), i + 1, ());
    }
    match std::env::args().nth(1).as_deref() {
        Some("err") => Err("the table is locked".to_owned()),
        Some("panic") => panic!("the job panicked"),
        _ => Ok(()),
    }
}
