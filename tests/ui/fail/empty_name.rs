use collector_macros::collect_metrics;

#[collect_metrics(name = "")]
fn job() {}

fn main() {
    job();
}
