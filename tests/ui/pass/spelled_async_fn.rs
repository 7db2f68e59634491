//! An `async fn` written out, `fn ... -> impl Future<Output = T> { async {
//! ... } }`, compiles annotated under `#![deny(warnings)]` as it does plain
//! (compiled as edition 2021 here and as edition 2024 by the edition-2024
//! member): a `mut` parameter the block changes, `self` by value, `?` in
//! the block, a block that borrows, and a `move` block with an option that
//! names a parameter.
#![deny(warnings)]

use std::future::Future;
use std::task::{Context, Poll, Waker};

use collector_runtime::collect_metrics;

struct Job(u32);

impl Job {
    #[collect_metrics(outcome, timing)]
    fn run(self) -> impl Future<Output = u32> {
        async move { self.0 }
    }

    #[collect_metrics]
    fn peek(&self) -> impl Future<Output = u32> + '_ {
        async { self.0 }
    }
}

#[collect_metrics(outcome, service_check)]
fn parse(text: &str) -> impl Future<Output = Result<u32, std::num::ParseIntError>> + '_ {
    async move {
        let n: u32 = text.parse()?;
        Ok(n)
    }
}

#[collect_metrics(tags(attempt = attempt))]
fn bump(mut attempt: u32) -> impl Future<Output = u32> {
    async move {
        attempt += 1;
        attempt
    }
}

#[collect_metrics(timing)]
fn borrowed(v: &[u8]) -> impl Future<Output = usize> + '_ {
    async { v.len() }
}

fn ready<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("pending"),
    }
}

fn main() {
    collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    assert_eq!(ready(Job(3).run()), 3);
    assert_eq!(ready(Job(4).peek()), 4);
    assert_eq!(ready(parse("12")), Ok(12));
    assert!(ready(parse("x")).is_err());
    assert_eq!(ready(bump(1)), 2);
    assert_eq!(ready(borrowed(&[1, 2, 3])), 3);
}
