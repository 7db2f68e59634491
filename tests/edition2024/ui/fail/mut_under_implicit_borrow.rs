//! Edition 2024 refuses `mut` under an implicit borrow; the annotated
//! function is refused with the plain function's error, at the same token.

use collector_runtime::collect_metrics;

#[collect_metrics]
pub fn ergo((mut a, b): &(u32, u32)) -> u32 {
    a += 1;
    a + b
}

#[collect_metrics]
pub fn owned((name, (mut a, b)): (String, &(u32, u32))) -> usize {
    a += 1;
    name.len() + (a + b) as usize
}

fn main() {}
