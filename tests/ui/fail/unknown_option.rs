use collector_runtime::collect_metrics;

#[collect_metrics(timeing)]
fn typo() {}

#[collect_metrics(sample_rate = 0.5)]
fn not_an_option() {}

fn main() {
    typo();
    not_an_option();
}
