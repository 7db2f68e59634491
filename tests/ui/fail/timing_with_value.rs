use collector_runtime::collect_metrics;

#[collect_metrics(timing = true)]
fn job() {}

fn main() {
    job();
}
