use collector_runtime::collect_metrics;

#[collect_metrics(tags("http:method" = "GET", "user id" = user))]
fn handler(user: u32) {
    let _ = user;
}

fn main() {
    handler(1);
}
