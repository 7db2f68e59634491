use collector_runtime::collect_metrics;

struct Opaque;

#[collect_metrics(tags(thing = Opaque))]
fn job() {}

fn main() {
    job();
}
