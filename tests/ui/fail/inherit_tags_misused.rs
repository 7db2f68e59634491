use collector_runtime::collect_metrics;

#[collect_metrics(inherit_tags)]
fn flag() {}

#[collect_metrics(inherit_tags = "no")]
fn text() {}

#[collect_metrics(inherit_tags = !true)]
fn expression() {}

#[collect_metrics(inherit_tag = false)]
fn misspelt() {}

fn main() {
    flag();
    text();
    expression();
    misspelt();
}
