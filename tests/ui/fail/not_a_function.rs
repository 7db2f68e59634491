use collector_runtime::collect_metrics;

#[collect_metrics]
struct Job {
    id: u32,
}

fn main() {
    let _ = Job { id: 1 }.id;
}
