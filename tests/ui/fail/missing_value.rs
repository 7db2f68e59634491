use collector_runtime::collect_metrics;

#[collect_metrics(name, client, crate)]
fn no_values() {}

#[collect_metrics(tags = "env:prod")]
fn tags_not_a_list() {}

#[collect_metrics(crate = "collector_runtime")]
fn crate_not_a_path() {}

fn main() {
    no_values();
    tags_not_a_list();
    crate_not_a_path();
}
