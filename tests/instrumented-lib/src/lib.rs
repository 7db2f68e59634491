//! A library instrumented with the `metrics` facade and nothing else, as
//! many crates are: it knows nothing of collectors. The tests of
//! `collector-tests` call it inside and outside annotated calls.

/// Imports one batch of rows into `table`: counts the rows, records the
/// batch's size in bytes, sets the last batch's row count as a gauge, and
/// tracks the batches in flight with a gauge incremented and decremented.
///
/// ```
/// // With no recorder installed, `metrics` drops every record.
/// instrumented_lib::import_batch("orders", &[10, 20]);
/// ```
pub fn import_batch(table: &str, rows: &[u64]) {
    let table = table.to_owned();
    metrics::gauge!("lib.in_flight").increment(1.0);
    metrics::counter!("lib.rows", "table" => table.clone()).increment(rows.len() as u64);
    metrics::histogram!("lib.bytes", "table" => table).record(rows.iter().sum::<u64>() as f64);
    metrics::gauge!("lib.last_rows").set(rows.len() as f64);
    metrics::gauge!("lib.in_flight").decrement(1.0);
}
