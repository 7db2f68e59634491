use collector_runtime::collect_metrics;

#[collect_metrics(name = "")]
fn job() {}

fn main() {
    job();
}
