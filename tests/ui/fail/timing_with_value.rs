use collector_macros::collect_metrics;

#[collect_metrics(timing = true)]
fn job() {}

fn main() {
    job();
}
