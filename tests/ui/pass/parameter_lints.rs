//! A parameter's lint attributes apply to its rebinding as they did to the
//! parameter: what they allow stays silent, and what they expect is met, as
//! on the plain function, in edition 2021 and 2024 (the edition-2024 member
//! compiles this file too).
#![deny(warnings)]

use std::future::Future;

use collector_runtime::collect_metrics;

#[collect_metrics]
fn allow_unused(#[allow(unused)] a: String, b: u32) -> u32 {
    b
}

#[collect_metrics]
fn allow_unused_variables(#[allow(unused_variables)] a: String, b: u32) -> u32 {
    b
}

#[collect_metrics]
fn allow_in_cfg_attr(#[cfg_attr(all(), allow(unused))] a: String, b: u32) -> u32 {
    b
}

#[collect_metrics]
fn expect_unused(#[expect(unused_variables)] a: String, b: u32) -> u32 {
    b
}

#[collect_metrics]
fn expect_with_reason(
    #[expect(unused_variables, reason = "part of the signature")] a: String,
    b: u32,
) -> u32 {
    b
}

#[collect_metrics]
fn expect_in_cfg_attr(#[cfg_attr(all(), expect(unused_variables))] a: String, b: u32) -> u32 {
    b
}

#[collect_metrics]
fn expect_unused_mut(#[expect(unused_mut)] mut a: String) -> usize {
    a.len()
}

#[collect_metrics]
fn expect_non_snake_case(#[expect(non_snake_case)] Name: String) -> usize {
    Name.len()
}

#[collect_metrics]
fn expect_in_pattern(#[expect(unused_variables)] (a, b): (String, u32)) -> u32 {
    b
}

#[collect_metrics]
fn allow_in_pattern(#[allow(non_snake_case, unused_mut)] (mut Name, b): (String, u32)) -> u32 {
    Name.len() as u32 + b
}

#[collect_metrics]
fn deny_and_forbid(
    #[deny(unused_variables)] a: String,
    #[forbid(unused_mut)] mut b: String,
) -> usize {
    b.push_str(&a);
    b.len()
}

#[collect_metrics(outcome)]
async fn suspending(#[expect(unused_variables)] a: String, b: u32) -> Result<u32, String> {
    std::future::ready(()).await;
    Ok(b)
}

#[collect_metrics]
async fn at_once(#[allow(unused)] a: String, #[expect(unused_variables)] c: String, b: u32) -> u32 {
    b
}

#[collect_metrics(outcome)]
fn later(
    #[expect(unused_variables)] a: String,
    b: u32,
) -> impl Future<Output = Result<u32, String>> {
    async move { Ok(b) }
}

struct Job;

impl Job {
    #[collect_metrics(outcome, timing)]
    fn method(&self, #[expect(unused_variables)] a: String, b: u32) -> Result<u32, String> {
        Ok(b)
    }
}

fn main() {
    collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let s = || String::from("ab");
    assert_eq!(allow_unused(s(), 1), 1);
    assert_eq!(allow_unused_variables(s(), 1), 1);
    assert_eq!(allow_in_cfg_attr(s(), 1), 1);
    assert_eq!(expect_unused(s(), 1), 1);
    assert_eq!(expect_with_reason(s(), 1), 1);
    assert_eq!(expect_in_cfg_attr(s(), 1), 1);
    assert_eq!(expect_unused_mut(s()), 2);
    assert_eq!(expect_non_snake_case(s()), 2);
    assert_eq!(expect_in_pattern((s(), 1)), 1);
    assert_eq!(allow_in_pattern((s(), 1)), 3);
    assert_eq!(deny_and_forbid(s(), s()), 4);
    assert_eq!(runtime.block_on(suspending(s(), 1)), Ok(1));
    assert_eq!(runtime.block_on(at_once(s(), s(), 1)), 1);
    assert_eq!(runtime.block_on(later(s(), 1)), Ok(1));
    assert_eq!(Job.method(s(), 1), Ok(1));
}
