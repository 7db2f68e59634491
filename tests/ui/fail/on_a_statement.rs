use collector_runtime::collect_metrics;

fn main() {
    #[collect_metrics]
    let total = 1 + 2;
    let _ = total;
}
