//! Clippy reads the annotated function as it reads the plain one: each
//! shape is written twice, plain and annotated, with the same `#[expect]`
//! (a lint the expansion hides leaves an expectation unmet, an error under
//! `cargo clippy -- -D warnings`) and under `#![deny(warnings)]` with the
//! lints warned on (a lint the expansion adds fails the build). Checked by
//! CI's `cargo clippy --workspace --all-targets`; plain `rustc` leaves
//! clippy's lints and expectations alone, so `cargo test` only runs them.

#![deny(warnings)]
#![warn(clippy::diverging_sub_expression, clippy::needless_lifetimes)]

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;

use collector_runtime::collect_metrics;

/// The shape of `futures::future::BoxFuture`.
type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

fn plain_unfinished() -> u32 {
    unimplemented!()
}

#[collect_metrics(outcome)]
fn unfinished() -> u32 {
    unimplemented!()
}

fn plain_broken() -> Result<u32, String> {
    panic!("broken")
}

#[collect_metrics(service_check)]
fn broken() -> Result<u32, String> {
    panic!("broken")
}

#[expect(clippy::needless_lifetimes)]
fn plain_first_word<'a>(text: &'a str) -> &'a str {
    text.split(' ').next().unwrap_or_default()
}

#[collect_metrics(outcome)]
#[expect(clippy::needless_lifetimes)]
fn first_word<'a>(text: &'a str) -> &'a str {
    text.split(' ').next().unwrap_or_default()
}

#[expect(clippy::needless_lifetimes)]
fn plain_checked_word<'a>(text: &'a str) -> Result<&'a str, String> {
    text.split(' ').next().ok_or_else(String::new)
}

#[collect_metrics(outcome, service_check)]
#[expect(clippy::needless_lifetimes)]
fn checked_word<'a>(text: &'a str) -> Result<&'a str, String> {
    text.split(' ').next().ok_or_else(String::new)
}

fn plain_shown() -> impl Display {
    1
}

#[collect_metrics(outcome)]
fn shown() -> impl Display {
    1
}

fn plain_aliased(n: &u8) -> BoxFut<'_, u8> {
    Box::pin(async move { *n })
}

#[collect_metrics(outcome, timing)]
fn aliased(n: &u8) -> BoxFut<'_, u8> {
    Box::pin(async move { *n })
}

// An async fn written out: `manual_async_fn` fires on both forms.

#[expect(clippy::manual_async_fn)]
fn plain_spelled(n: u8) -> impl Future<Output = u8> {
    async move { n + 1 }
}

#[collect_metrics(outcome, timing)]
#[expect(clippy::manual_async_fn)]
fn spelled(n: u8) -> impl Future<Output = u8> {
    async move { n + 1 }
}

#[expect(clippy::manual_async_fn)]
fn plain_spelled_waiting(text: &str) -> impl Future<Output = Result<usize, String>> + '_ {
    async move {
        tokio::task::yield_now().await;
        let n: usize = text.parse().map_err(|_| text.to_owned())?;
        Ok(n)
    }
}

#[collect_metrics(outcome, service_check, tags(kind = "parse"))]
#[expect(clippy::manual_async_fn)]
fn spelled_waiting(text: &str) -> impl Future<Output = Result<usize, String>> + '_ {
    async move {
        tokio::task::yield_now().await;
        let n: usize = text.parse().map_err(|_| text.to_owned())?;
        Ok(n)
    }
}

#[expect(clippy::manual_async_fn)]
fn plain_spelled_borrowing(v: &[u8]) -> impl Future<Output = usize> + '_ {
    async { v.len() }
}

#[collect_metrics(timing)]
#[expect(clippy::manual_async_fn)]
fn spelled_borrowing(v: &[u8]) -> impl Future<Output = usize> + '_ {
    async { v.len() }
}

#[tokio::test]
async fn both_forms_run_alike() {
    collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    for (plain, annotated) in [
        (plain_unfinished as fn() -> u32, unfinished as fn() -> u32),
        (|| plain_broken().unwrap(), || broken().unwrap()),
    ] {
        assert!(std::panic::catch_unwind(plain).is_err());
        assert!(std::panic::catch_unwind(annotated).is_err());
    }
    assert_eq!(plain_first_word("a b"), first_word("a b"));
    assert_eq!(plain_checked_word("a b"), checked_word("a b"));
    assert_eq!(plain_shown().to_string(), shown().to_string());
    assert_eq!(plain_aliased(&3).await, aliased(&3).await);
    assert_eq!(plain_spelled(1).await, spelled(1).await);
    for text in ["12", "x"] {
        assert_eq!(
            plain_spelled_waiting(text).await,
            spelled_waiting(text).await
        );
    }
    assert_eq!(
        plain_spelled_borrowing(&[1, 2]).await,
        spelled_borrowing(&[1, 2]).await
    );
}
