use collector_runtime::collect_metrics;

#[collect_metrics]
const fn answer() -> u32 {
    42
}

fn main() {
    let _ = answer();
}
