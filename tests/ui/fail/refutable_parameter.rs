//! A parameter's pattern is judged as a parameter, as on the plain
//! function: a refutable one is refused "in function argument".

use collector_runtime::collect_metrics;

#[collect_metrics]
pub fn first((Some(name), n): (Option<String>, u32)) -> usize {
    name.len() + n as usize
}

fn main() {}
