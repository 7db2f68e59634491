use collector_runtime::{collect_metrics, testing};

#[collect_metrics(name = "jobs.nightly", service_check)]
fn nightly() -> Result<(), String> {
    Err("no rows".to_owned())
}

#[collect_metrics(service_check = "jobs.other")]
fn other() {}

fn main() {
    let ((), lines) = testing::capture(|| {
        let _ = nightly();
        other();
    });
    assert_eq!(lines, ["_sc|jobs.nightly|2|m:no rows", "_sc|jobs.other|0"]);
}
