use collector_runtime::collect_metrics;

#[collect_metrics(tags("env prod", "", "ok:fine", "route:/a,b", region = "eu|west"))]
fn job() {}

fn main() {
    job();
}
