use collector_macros::collect_metrics;

trait Job {
    #[collect_metrics]
    fn run(&self);
}

fn main() {}
