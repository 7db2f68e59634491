// `unreachable_code` reads the annotated body as the plain one: both of its
// labels point at the user's code.
#![deny(unreachable_code)]

use collector_runtime::collect_metrics;

#[collect_metrics(outcome, service_check)]
fn after_return() -> Result<u32, String> {
    return Ok(1);
    Ok(2)
}

#[collect_metrics(outcome, service_check)]
fn after_a_diverging_try() -> Result<u32, String> {
    let e: Result<std::convert::Infallible, String> = Err("x".into());
    match e? {}
    Ok(1)
}

#[collect_metrics(outcome)]
fn return_in_return() -> Result<u32, String> {
    return Err(return Ok(1));
}

#[collect_metrics(outcome, service_check)]
async fn async_after_return() -> Result<u32, String> {
    std::future::ready(()).await;
    return Ok(1);
    Ok(2)
}

fn main() {}
