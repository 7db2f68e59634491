//! Tail expressions that borrow a local: edition 2024 drops their
//! temporaries first, and the attribute keeps that rule.
#![deny(warnings)]

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use collector_runtime::collect_metrics;

#[collect_metrics]
fn len() -> usize {
    let c = RefCell::new(vec![1]);
    c.borrow().len()
}

#[collect_metrics(outcome, timing, tags("k:v"))]
fn len_checked() -> Result<usize, String> {
    let c = RefCell::new(vec![1]);
    if c.borrow().is_empty() {
        return Err("empty".into());
    }
    Ok(c.borrow().len())
}

#[collect_metrics(outcome)]
fn push() {
    let c = RefCell::new(vec![1]);
    c.borrow_mut().push(2)
}

#[collect_metrics]
async fn len_async() -> usize {
    let c = RefCell::new(vec![1]);
    std::future::ready(()).await;
    c.borrow().len()
}

#[collect_metrics(outcome, timing)]
async fn len_async_checked() -> Result<usize, String> {
    let c = RefCell::new(vec![1]);
    std::future::ready(()).await;
    Ok(c.borrow().len())
}

#[collect_metrics(outcome)]
async fn push_async() {
    let c = RefCell::new(vec![1]);
    std::future::ready(()).await;
    c.borrow_mut().push(2)
}

#[collect_metrics(outcome)]
async fn len_at_once() -> Result<usize, String> {
    let c = RefCell::new(vec![1]);
    Ok(c.borrow().len())
}

#[collect_metrics(outcome, timing)]
fn len_later() -> impl Future<Output = Result<usize, String>> {
    let c = RefCell::new(vec![1]);
    let n = c.borrow().len();
    async move { Ok(n) }
}

#[collect_metrics(outcome)]
fn len_boxed() -> Pin<Box<dyn Future<Output = usize> + Send>> {
    let c = RefCell::new(vec![1]);
    let n = c.borrow().len();
    Box::pin(async move { n })
}

fn main() {
    collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(len(), 1);
    assert_eq!(len_checked(), Ok(1));
    push();
    assert_eq!(runtime.block_on(len_async()), 1);
    assert_eq!(runtime.block_on(len_async_checked()), Ok(1));
    runtime.block_on(push_async());
    assert_eq!(runtime.block_on(len_at_once()), Ok(1));
    assert_eq!(runtime.block_on(len_later()), Ok(1));
    assert_eq!(runtime.block_on(len_boxed()), 1);
}
