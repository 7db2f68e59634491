use collector_runtime::collect_metrics;

trait Job {
    #[collect_metrics]
    fn run(&self);
}

fn main() {}
