use collector_runtime::collect_metrics;

#[collect_metrics(outcome("error"))]
fn job() -> Result<(), ()> {
    Ok(())
}

fn main() {
    let _ = job();
}
