use collector_runtime::collect_metrics;

fn main() {
    let double = #[collect_metrics] |x: u32| x * 2;
    let _ = double(2);
}
