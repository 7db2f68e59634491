//! An `#[expect]` on a parameter that the body does use is unfulfilled, as
//! on the plain function: reported once, at the same token.
#![deny(warnings)]

use collector_runtime::collect_metrics;

#[collect_metrics]
pub fn used(#[expect(unused_variables)] a: String) -> usize {
    a.len()
}

#[collect_metrics]
pub fn used_in_pattern(#[cfg_attr(all(), expect(unused))] (a, b): (String, u32)) -> usize {
    a.len() + b as usize
}

#[collect_metrics]
pub fn mutated(#[expect(unused_mut)] mut a: String) -> usize {
    a.push('!');
    a.len()
}

fn main() {}
