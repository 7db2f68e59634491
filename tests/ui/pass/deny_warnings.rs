//! Shapes whose expansion must compile without a warning, including ones no
//! test calls: functions that never return, and `Self`-returning methods.
#![deny(warnings)]
// Edition 2024's drop-order migration lint: the expansion's own locals must
// never show up in it.
#![warn(tail_expr_drop_order)]

use std::fmt::Display;

use collector_runtime::collect_metrics;

struct Config {
    name: String,
}

impl Config {
    #[collect_metrics(outcome, timing)]
    fn new(name: &str) -> Self {
        Config { name: name.into() }
    }

    #[collect_metrics(outcome)]
    fn try_new(name: &str) -> Result<Self, String> {
        if name.is_empty() {
            return Err("empty".into());
        }
        Ok(Self::new(name))
    }

    #[collect_metrics(outcome)]
    async fn renamed(mut self, name: String) -> Self {
        self.name = name;
        self
    }

    #[collect_metrics(outcome)]
    async fn shown(&self) -> impl Display + '_ {
        &self.name
    }

    #[collect_metrics(outcome)]
    async fn checked(&self) -> Result<impl Display + '_, String> {
        let first = self.name.chars().next().ok_or("empty")?;
        Ok(first)
    }
}

#[allow(dead_code)]
#[collect_metrics(outcome, timing)]
fn forever() -> ! {
    loop {
        std::thread::park();
    }
}

#[allow(dead_code)]
#[collect_metrics(outcome, timing)]
async fn serve() -> ! {
    loop {
        tokio::task::yield_now().await;
    }
}

#[allow(dead_code)]
#[collect_metrics(outcome)]
fn unfinished() -> u32 {
    todo!()
}

#[allow(dead_code)]
#[collect_metrics(outcome)]
async fn unfinished_async() -> Result<u32, String> {
    todo!()
}

#[collect_metrics(outcome)]
fn unit_explicit() -> () {}

#[collect_metrics(outcome, tags(n = n))]
fn closure_return(n: u32) -> Box<dyn Fn(u32) -> u32> {
    Box::new(move |x| x + n)
}

static ITEMS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

/// A tail temporary with a significant drop: plain, the migration lint has
/// nothing to say; annotated, it must have nothing to say either.
#[collect_metrics(outcome, timing)]
fn locked_len() -> usize {
    ITEMS.lock().unwrap().len()
}

#[collect_metrics(outcome)]
async fn locked_len_async() -> Result<usize, String> {
    tokio::task::yield_now().await;
    Ok(ITEMS.lock().unwrap().len())
}

fn main() {
    collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let config = Config::try_new("a").unwrap();
    let config = runtime.block_on(config.renamed("b".into()));
    assert_eq!(runtime.block_on(config.shown()).to_string(), "b");
    assert_eq!(runtime.block_on(config.checked()).unwrap().to_string(), "b");
    unit_explicit();
    assert_eq!(locked_len(), 0);
    assert_eq!(runtime.block_on(locked_len_async()), Ok(0));
    assert_eq!(closure_return(1)(2), 3);
}
