//! A parameter that destructures binds as it does on the plain function,
//! under edition 2024's rules: an implicit borrow binds by reference, and
//! `mut` binds by value where the pattern matches the reference itself.
#![deny(warnings)]

use std::future::Future;

use collector_runtime::collect_metrics;

/// Matched against a reference type, which drops nothing: as written.
#[collect_metrics]
fn explicit(&(mut a, b): &(u32, u32)) -> u32 {
    a += 1;
    a + b
}

/// Inside an owned parameter, which is moved into the call: `a` and `b`
/// are `&u32`, borrowed implicitly.
#[collect_metrics(outcome)]
fn implicit((name, (a, b)): (String, &(u32, u32))) -> Result<u32, String> {
    Ok(name.len() as u32 + a + b)
}

#[collect_metrics(outcome)]
fn owned((mut name, &(mut a, b)): (String, &(u32, u32))) -> Result<usize, String> {
    a += 1;
    name.push('!');
    Ok(name.len() + (a + b) as usize)
}

/// A reference the signature does not show.
type Pair<'a> = &'a (u32, u32);

#[collect_metrics]
fn alias(&(mut a, b): Pair<'_>) -> u32 {
    a += 1;
    a + b
}

#[collect_metrics(outcome)]
async fn suspending((name, &(mut a, b)): (String, Pair<'_>)) -> Result<u32, String> {
    std::future::ready(()).await;
    a += 1;
    Ok(name.len() as u32 + a + b)
}

#[collect_metrics]
async fn at_once((a, b): Pair<'_>) -> u32 {
    a + b
}

#[collect_metrics(outcome)]
fn later(&(mut a, b): Pair<'_>) -> impl Future<Output = Result<u32, String>> {
    a += 1;
    let sum = a + b;
    async move { Ok(sum) }
}

/// An or-pattern binds each name once; a single binding, with `mut`.
#[collect_metrics]
fn either((Ok(mut n) | Err(mut n)): Result<u32, u32>) -> u32 {
    n += 1;
    n
}

struct Name(String);

#[collect_metrics]
fn newtype(Name(mut name): Name) -> usize {
    name.push('!');
    name.len()
}

fn main() {
    collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let pair = (1, 2);
    assert_eq!(explicit(&pair), 4);
    assert_eq!(implicit(("ab".into(), &pair)), Ok(5));
    assert_eq!(owned(("ab".into(), &pair)), Ok(7));
    assert_eq!(alias(&pair), 4);
    assert_eq!(runtime.block_on(suspending(("ab".into(), &pair))), Ok(6));
    assert_eq!(runtime.block_on(at_once(&pair)), 3);
    assert_eq!(runtime.block_on(later(&pair)), Ok(4));
    assert_eq!(either(Ok(1)), 2);
    assert_eq!(either(Err(2)), 3);
    assert_eq!(newtype(Name("ab".into())), 3);
    assert_eq!(pair, (1, 2));
}
