//! An order service described with `tracing` alone: `#[instrument]`ed
//! handlers, no `#[collect_metrics]`. `SpanCollectorLayer` makes each
//! order's span an execution: its collector is current whenever the span
//! is entered (across `.await`s and worker threads, and in the child task
//! spawned with `.in_current_span()`), the span's `tier` field tags every
//! series, events with `counter.*` and `histogram.*` fields record, and the
//! span's close sends everything once, with the span's duration.
//!
//! With a `DD_*` variable set, metrics go to that agent. Without one, the
//! example listens on a loopback UDP port of its own and prints every
//! datagram it receives.
//!
//! ```text
//! cargo run --example tracing_service --features tracing
//! ```

mod local_agent;

use std::time::Duration;

use collector_runtime::tracing::SpanCollectorLayer;
use local_agent::LocalAgent;
use tracing::Instrument;
use tracing_subscriber::prelude::*;

struct Order {
    id: u32,
    tier: &'static str,
    items: u32,
}

/// One order, one execution. `collect_metrics = "tier"` chooses the span and
/// names its tags: the order id stays a span field, for traces and logs,
/// but is not a tag (one series per order would be unbounded).
#[tracing::instrument(skip_all, fields(collect_metrics = "tier", tier = order.tier, order = order.id))]
async fn process_order(order: Order) -> Result<(), String> {
    load_customer(order.id).await;
    if order.items == 0 {
        tracing::warn!(counter.orders.rejected = 1, "order {} is empty", order.id);
        return Err(format!("order {} is empty", order.id));
    }
    // A child task, carried into the span (and so into its collector).
    let reserve = tokio::spawn(reserve_stock(order.items).in_current_span());
    reserve.await.map_err(|e| e.to_string())?;
    tracing::info!(
        counter.orders.items = order.items,
        histogram.orders.value = order.items * 25,
        "order {} placed",
        order.id
    );
    Ok(())
}

/// A span that is not chosen: it changes nothing, so what it records goes
/// to the order's collector.
#[tracing::instrument]
async fn load_customer(order: u32) {
    tokio::time::sleep(Duration::from_millis(2)).await;
    collector_runtime::histogram("db.queries", 1, [("table", "customers")]);
}

async fn reserve_stock(items: u32) {
    for _ in 0..items {
        tokio::time::sleep(Duration::from_millis(1)).await;
        collector_runtime::incr("stock.reserved", ());
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    // No agent? Be our own: a loopback socket that receives what is sent.
    let agent = LocalAgent::start()?;

    tracing_subscriber::registry()
        .with(SpanCollectorLayer::new().timing())
        .init();

    // The service: orders arrive on a queue; each is handled by a task.
    let (queue, mut incoming) = tokio::sync::mpsc::channel::<Order>(16);
    let service = tokio::spawn(async move {
        let mut handlers = tokio::task::JoinSet::new();
        while let Some(order) = incoming.recv().await {
            handlers.spawn(process_order(order));
        }
        let (mut placed, mut rejected) = (0, 0);
        while let Some(done) = handlers.join_next().await {
            match done.map_err(std::io::Error::other)? {
                Ok(()) => placed += 1,
                Err(_) => rejected += 1,
            }
        }
        Ok::<_, std::io::Error>((placed, rejected))
    });
    for (id, tier, items) in [
        (1, "gold", 3),
        (2, "standard", 1),
        (3, "standard", 2),
        (4, "gold", 0),
    ] {
        let order = Order { id, tier, items };
        queue.send(order).await.map_err(std::io::Error::other)?;
    }
    drop(queue);
    let (placed, rejected) = service.await.map_err(std::io::Error::other)??;
    println!("{placed} orders placed, {rejected} rejected");

    agent.print_received()?;
    Ok(())
}
