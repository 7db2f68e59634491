use collector_runtime::collect_metrics;

#[collect_metrics(service_check = "jobs:cleanup")]
fn colon() {}

#[collect_metrics(service_check = "")]
fn empty() {}

const NAME: &str = "jobs.cleanup";

#[collect_metrics(service_check = NAME)]
fn not_a_literal() {}

#[collect_metrics(service_check("jobs.cleanup"))]
fn parenthesized() {}

#[collect_metrics(service_check, service_check = "again")]
fn twice() {}

#[collect_metrics(name = "a b", service_check)]
fn named_badly() {}

fn main() {
    colon();
    empty();
    not_a_literal();
    parenthesized();
    twice();
    named_badly();
}
