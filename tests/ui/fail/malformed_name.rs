use collector_runtime::collect_metrics;

#[collect_metrics(name = "jobs:cleanup")]
fn colon() {}

#[collect_metrics(name = "...")]
fn punctuation() {}

const NAME: &str = "jobs.cleanup";

#[collect_metrics(name = NAME)]
fn not_a_literal() {}

fn main() {
    colon();
    punctuation();
    not_a_literal();
}
