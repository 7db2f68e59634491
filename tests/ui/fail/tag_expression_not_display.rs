use collector_macros::collect_metrics;

struct Opaque;

#[collect_metrics(tags(thing = Opaque))]
fn job() {}

fn main() {
    job();
}
