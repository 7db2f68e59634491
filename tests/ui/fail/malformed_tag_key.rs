use collector_macros::collect_metrics;

#[collect_metrics(tags("http:method" = "GET", "user id" = user))]
fn handler(user: u32) {
    let _ = user;
}

fn main() {
    handler(1);
}
