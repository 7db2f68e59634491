//! A parameter that destructures binds as it does on the plain function: in
//! edition 2021, `mut` under an implicit borrow binds by value (`a: u32`
//! below, not `&u32`), and the rest of the pattern by reference.
#![deny(warnings)]

use std::future::Future;

use collector_runtime::collect_metrics;

/// Matched against a reference type, which drops nothing: as written.
#[collect_metrics]
fn ergo((mut a, b): &(u32, u32)) -> u32 {
    a += 1;
    a + b
}

/// The same pattern inside an owned parameter, which is moved into the call.
#[collect_metrics(outcome)]
fn owned((name, (mut a, b)): (String, &(u32, u32))) -> Result<u32, String> {
    a += 1;
    Ok(name.len() as u32 + a + b)
}

/// A reference the signature does not show.
type Pair<'a> = &'a (u32, u32);

#[collect_metrics]
fn alias((mut a, b): Pair<'_>) -> u32 {
    a += 1;
    a + b
}

struct Wrapper<'a> {
    pair: Pair<'a>,
    name: String,
}

#[collect_metrics(timing)]
fn structure(
    Wrapper {
        pair: (mut a, b),
        mut name,
    }: Wrapper<'_>,
) -> usize {
    a += 1;
    name.push('!');
    name.len() + (a + b) as usize
}

#[collect_metrics(outcome)]
async fn suspending((name, (mut a, b)): (String, &(u32, u32))) -> Result<u32, String> {
    std::future::ready(()).await;
    a += 1;
    Ok(name.len() as u32 + a + b)
}

#[collect_metrics]
async fn at_once((mut a, b): Pair<'_>) -> u32 {
    a += 1;
    a + b
}

#[collect_metrics(outcome)]
fn later((mut a, b): Pair<'_>) -> impl Future<Output = Result<u32, String>> {
    a += 1;
    let sum = a + b;
    async move { Ok(sum) }
}

/// A pattern that moves an owned value out, with `mut`, and binds a
/// reference explicitly.
#[collect_metrics]
fn moved((mut name, ref count): (String, u32)) -> usize {
    name.push('!');
    name.len() + *count as usize
}

struct Job(u32);

impl Job {
    #[collect_metrics(outcome)]
    fn method(&self, (mut a, b): Pair<'_>) -> Result<u32, String> {
        a += self.0;
        Ok(a + b)
    }
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
    assert_eq!(ergo(&pair), 4);
    assert_eq!(owned(("ab".into(), &pair)), Ok(6));
    assert_eq!(alias(&pair), 4);
    let wrapper = Wrapper {
        pair: &pair,
        name: "ab".into(),
    };
    assert_eq!(structure(wrapper), 7);
    assert_eq!(runtime.block_on(suspending(("ab".into(), &pair))), Ok(6));
    assert_eq!(runtime.block_on(at_once(&pair)), 4);
    assert_eq!(runtime.block_on(later(&pair)), Ok(4));
    assert_eq!(moved(("ab".into(), 2)), 5);
    assert_eq!(Job(2).method(&pair), Ok(5));
    assert_eq!(either(Ok(1)), 2);
    assert_eq!(either(Err(2)), 3);
    assert_eq!(newtype(Name("ab".into())), 3);
    assert_eq!(pair, (1, 2));
}
