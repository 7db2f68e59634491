//! A parameter that a `#[cfg]` removes is not rebound either: each shape of
//! body compiles, without a warning, as the plain function does, in edition
//! 2021 and 2024 (the edition-2024 member compiles this file too).
#![deny(warnings)]

use std::future::Future;

use collector_runtime::collect_metrics;

#[collect_metrics]
fn sync(#[cfg(any())] a: String, b: u32) -> u32 {
    b
}

#[collect_metrics(outcome)]
fn sync_outcome(#[cfg(any())] mut a: String, b: u32) -> Result<u32, String> {
    Ok(b)
}

#[collect_metrics]
async fn suspending(#[cfg(any())] a: String, b: u32) -> u32 {
    std::future::ready(()).await;
    b
}

#[collect_metrics]
async fn at_once(b: u32, #[cfg(any())] a: String) -> u32 {
    b
}

#[collect_metrics(outcome)]
fn later(#[cfg(any())] a: String, b: u32) -> impl Future<Output = Result<u32, String>> {
    async move { Ok(b) }
}

/// Every binding of a removed pattern goes with it.
#[collect_metrics]
fn pattern(#[cfg(any())] (a, mut c): (String, u32), b: u32) -> u32 {
    b
}

/// `cfg_attr` that expands to a `cfg`.
#[collect_metrics]
fn cfg_attr(#[cfg_attr(all(), cfg(any()))] a: String, b: u32) -> u32 {
    b
}

/// A parameter that its `#[cfg]` keeps is still moved in, and used.
#[collect_metrics]
fn kept(#[cfg(all())] a: String, #[cfg_attr(any(), cfg(any()))] mut c: String) -> usize {
    c.push_str(&a);
    c.len()
}

struct Job;

impl Job {
    #[collect_metrics(outcome)]
    fn method(&self, #[cfg(any())] a: String, b: u32) -> Result<u32, String> {
        Ok(b)
    }
}

fn main() {
    collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(sync(1), 1);
    assert_eq!(sync_outcome(2), Ok(2));
    assert_eq!(runtime.block_on(suspending(3)), 3);
    assert_eq!(runtime.block_on(at_once(4)), 4);
    assert_eq!(runtime.block_on(later(5)), Ok(5));
    assert_eq!(pattern(6), 6);
    assert_eq!(cfg_attr(7), 7);
    assert_eq!(kept("ab".into(), "c".into()), 3);
    assert_eq!(Job.method(8), Ok(8));
}
