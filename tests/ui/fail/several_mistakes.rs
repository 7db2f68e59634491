use collector_runtime::collect_metrics;

// Every mistake is reported in one build, the item's and the options'.
#[collect_metrics(timeing, name = "", tags("a b"))]
const fn job() -> u32 {
    1
}

fn main() {
    let _ = job();
}
