// A borrow error about the returned value points at the user's code, where
// the value is returned: the tail, a `return`, a returned future.
use std::future::Future;
use std::pin::Pin;

use collector_runtime::collect_metrics;

#[collect_metrics(outcome)]
fn tail<'a>() -> &'a str {
    let s = String::from("x");
    &s
}

#[collect_metrics(outcome)]
fn early<'a>(early: bool) -> Result<&'a str, String> {
    let s = String::from("x");
    if early {
        return Ok(&s);
    }
    Err(String::new())
}

#[collect_metrics(outcome)]
fn later<'a>() -> Pin<Box<dyn Future<Output = usize> + 'a>> {
    let s = String::from("x");
    Box::pin(async { s.len() })
}

fn main() {}
