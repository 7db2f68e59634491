use collector_runtime::collect_metrics;

#[collect_metrics(outcome)]
fn parse(text: &str) -> u32 {
    let n: u32 = text.parse().ok()?;
    n
}

fn main() {
    parse("1");
}
