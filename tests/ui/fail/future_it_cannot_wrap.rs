use std::future::{ready, Ready};

use collector_runtime::collect_metrics;

// A named future type cannot be rebuilt around the call: the attribute
// refuses it, rather than end the call before the future runs.
#[collect_metrics(outcome)]
fn answer() -> Ready<u32> {
    ready(42)
}

fn main() {
    let _ = answer();
}
