//! `#[collect_metrics]` in an edition-2024 crate, on the shapes whose tail
//! expressions borrow a local: plain, they compile only under edition 2024's
//! rule that a block's tail temporaries drop before its locals. The
//! attribute keeps the user's block, so the rule still applies.
//!
//! That these compile is the first test; `tests/tail_temporaries.rs` checks
//! that what the temporaries record goes into the call.

use std::cell::RefCell;
use std::future::Future;

use collector_runtime::collect_metrics;

/// A value whose drop records into the current collector.
pub struct Recording(pub &'static str);

impl Drop for Recording {
    fn drop(&mut self) {
        collector_runtime::incr(self.0, ());
    }
}

/// A cell whose borrow records, when it ends, into the current collector.
pub struct Cell(RefCell<Vec<u8>>);

impl Cell {
    /// A cell holding `values`.
    pub fn new(values: &[u8]) -> Cell {
        Cell(RefCell::new(values.to_vec()))
    }

    /// A borrow that records `tail.temporary` when dropped.
    pub fn borrow(&self) -> (std::cell::Ref<'_, Vec<u8>>, Recording) {
        (self.0.borrow(), Recording("tail.temporary"))
    }
}

/// A sync tail expression that borrows a local.
#[collect_metrics]
pub fn len() -> usize {
    let c = RefCell::new(vec![1]);
    c.borrow().len()
}

/// The same with every option.
#[collect_metrics(name = "len.all", tags("k:v"), timing, outcome, client = client())]
pub fn len_all() -> Result<usize, String> {
    let c = Cell::new(&[1, 2]);
    Ok(c.borrow().0.len())
}

/// A unit function with `outcome`, whose tail borrows a local.
#[collect_metrics(outcome, client = client())]
pub fn push() {
    let c = RefCell::new(vec![1]);
    c.borrow_mut().push(2)
}

/// An async function that suspends, with a tail temporary.
#[collect_metrics(timing, outcome, client = client())]
pub async fn len_async() -> Result<usize, String> {
    let c = Cell::new(&[1, 2, 3]);
    std::future::ready(()).await;
    Ok(c.borrow().0.len())
}

/// An async function that cannot suspend, with a tail temporary.
#[collect_metrics(outcome, client = client())]
pub async fn len_async_at_once() -> Result<usize, String> {
    let c = Cell::new(&[1, 2, 3, 4]);
    Ok(c.borrow().0.len())
}

/// A unit async function with `outcome`.
#[collect_metrics(outcome, client = client())]
pub async fn push_async() {
    let c = RefCell::new(vec![1]);
    std::future::ready(()).await;
    c.borrow_mut().push(2)
}

/// A function returning a future, whose body's tail borrows a local.
#[collect_metrics(outcome, client = client())]
pub fn len_later() -> impl Future<Output = Result<usize, String>> {
    let c = RefCell::new(vec![1]);
    let n = c.borrow().len();
    async move { Ok(n) }
}

thread_local! {
    static CLIENT: RefCell<Option<collector_runtime::Client>> = const { RefCell::new(None) };
}

/// The client the annotated functions here send through: this thread's
/// own, set by [`set_client`] (a client that sends nothing until then).
pub fn client() -> collector_runtime::Client {
    CLIENT.with(|client| {
        client
            .borrow()
            .clone()
            .unwrap_or_else(|| collector_runtime::Client::new(cadence::NopMetricSink))
    })
}

/// Sets the client of this thread's calls.
pub fn set_client(client: collector_runtime::Client) {
    CLIENT.with(|slot| *slot.borrow_mut() = Some(client));
}
