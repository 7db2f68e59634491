//! The user's lints still see the function: clippy lints that fire on the
//! plain function fire on the annotated one. Checked by `cargo clippy`, for
//! which an `expect` that is not met is an error (plain `rustc` leaves
//! clippy's expectations alone).
//!
//! Not kept, and documented in the README: `needless_pass_by_value` and
//! `boxed_local` (the expansion moves owned parameters into the body, so
//! that they drop inside the call), and `unnecessary_wraps` with `outcome`
//! (the returned value goes through the outcome probe).

#![deny(warnings)]
#![warn(
    clippy::unnecessary_wraps,
    clippy::unused_async,
    clippy::double_must_use
)]

use collector_runtime::collect_metrics;

#[collect_metrics(timing)]
#[expect(clippy::unnecessary_wraps)]
fn wraps(n: u8) -> Result<u8, String> {
    Ok(n)
}

#[collect_metrics(outcome)]
#[expect(clippy::unused_async)]
async fn never_awaits(n: u8) -> u8 {
    n
}

#[collect_metrics(outcome)]
#[must_use]
#[expect(clippy::double_must_use)]
fn must_use_twice() -> Result<u8, String> {
    Err("x".into())
}

#[collect_metrics(outcome)]
#[expect(clippy::double_must_use)]
#[must_use]
async fn must_use_twice_async() -> Result<u8, String> {
    tokio::task::yield_now().await;
    Err("x".into())
}

#[tokio::test]
async fn annotated_functions_run() {
    collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    assert_eq!(wraps(1), Ok(1));
    assert_eq!(never_awaits(2).await, 2);
    assert!(must_use_twice().is_err());
    assert!(must_use_twice_async().await.is_err());
}
