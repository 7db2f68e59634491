use collector_runtime::collect_metrics;

#[collect_metrics(tags(k = ))]
fn job() {}

fn main() {
    job();
}
