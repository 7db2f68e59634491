use collector_runtime::collect_metrics;

#[collect_metrics("jobs.run")]
fn name_without_key() {}

#[collect_metrics(tags(42))]
fn tag_not_a_string() {}

fn main() {
    name_without_key();
    tag_not_a_string();
}
