//! Single-expression bodies, and the shapes of round 3 of the attribute's
//! probe, compile under `#![deny(warnings)]` as the plain functions do
//! (compiled as edition 2021 here and as edition 2024 by the
//! edition-2024 member): no `unused_braces` on `-> impl Trait`, a future
//! behind an alias measured as that future, `#[track_caller]` kept on a
//! returned future.
#![deny(warnings)]

use std::fmt::Display;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use collector_runtime::collect_metrics;

struct Numbers {
    v: Vec<u32>,
}

impl Numbers {
    #[collect_metrics]
    pub fn iter(&self) -> impl Iterator<Item = &u32> + '_ { self.v.iter() }

    #[collect_metrics(outcome, timing)]
    pub fn first(&self) -> Option<&u32> { self.v.first() }
}

#[collect_metrics]
fn one() -> impl Display { 1 }

#[collect_metrics(outcome, service_check)]
fn length(x: &str) -> impl Display + use<> { x.len() }

#[collect_metrics(timing)]
fn same() -> impl Fn(&str) -> &str { |s| s }

#[collect_metrics(outcome)]
async fn one_async() -> impl Display { 1 }

#[collect_metrics(outcome, service_check)]
async fn checked_async() -> Result<u8, String> { Ok(1) }

#[allow(dead_code)]
#[collect_metrics(outcome)]
fn unfinished() -> u32 { unimplemented!() }

#[allow(dead_code)]
#[collect_metrics(service_check)]
fn broken() -> Result<u32, String> { panic!() }

#[allow(dead_code)]
#[collect_metrics(outcome, service_check)]
fn leaves() -> u32 { std::process::exit(1) }

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[collect_metrics(outcome, timing, service_check)]
fn aliased(n: &u8) -> BoxFut<'_, Result<u8, String>> { Box::pin(async move { Err(n.to_string()) }) }

#[track_caller]
#[collect_metrics(outcome)]
fn opaque_here() -> impl Future<Output = u32> { std::future::ready(Location::caller().line()) }

#[track_caller]
#[collect_metrics(outcome)]
fn boxed_here() -> Pin<Box<dyn Future<Output = u32>>> { Box::pin(std::future::ready(Location::caller().line())) }

fn ready<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("pending"),
    }
}

fn main() {
    collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    let numbers = Numbers { v: vec![1, 2] };
    assert_eq!(numbers.iter().count(), 2);
    assert_eq!(numbers.first(), Some(&1));
    assert_eq!(one().to_string(), "1");
    assert_eq!(length("abc").to_string(), "3");
    assert_eq!(same()("x"), "x");
    assert_eq!(ready(one_async()).to_string(), "1");
    assert_eq!(ready(checked_async()), Ok(1));
    assert_eq!(ready(aliased(&7)), Err("7".to_owned()));
    let (line, reported) = (line!(), ready(opaque_here()));
    assert_eq!(reported, line);
    let (line, reported) = (line!(), ready(boxed_here()));
    assert_eq!(reported, line);
}
