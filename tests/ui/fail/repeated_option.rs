use collector_runtime::collect_metrics;

#[collect_metrics(timing, outcome, timing)]
fn twice() {}

#[collect_metrics(tags("a:b"), name = "jobs.run", tags("c:d"))]
fn two_tag_lists() {}

fn main() {
    twice();
    two_tag_lists();
}
