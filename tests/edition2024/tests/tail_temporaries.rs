//! Under edition 2024, a tail expression's temporaries drop at the end of
//! the body: inside the call, so what they record is the call's.

use cadence::SpyMetricSink;
use collector_edition2024::{
    len, len_all, len_async, len_async_at_once, len_later, push, set_client,
};
use collector_runtime::Client;

/// A client, and what reads every line it sent so far, sorted.
fn spy() -> (impl Fn() -> Vec<String>, Client) {
    let (received, sink) = SpyMetricSink::new();
    let lines = move || {
        collector_runtime::wait_for_delivery();
        let mut lines: Vec<String> = received
            .try_iter()
            .flat_map(|datagram| {
                let text = String::from_utf8(datagram).unwrap();
                text.lines().map(str::to_owned).collect::<Vec<_>>()
            })
            .collect();
        lines.sort();
        lines
    };
    (lines, Client::new(sink))
}

#[test]
fn sync_tail_temporaries_record_into_the_call() {
    let (lines, client) = spy();
    set_client(client);
    assert_eq!(len(), 1);
    assert_eq!(len_all(), Ok(2));
    let sent = lines();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[0].starts_with("len.all.duration:"), "{sent:?}");
    assert!(sent[0].ends_with("|ms|#k:v,outcome:ok"), "{sent:?}");
    assert_eq!(sent[1], "tail.temporary:1|c|#k:v,outcome:ok");
    push();
    assert!(lines().is_empty());
}

#[test]
fn async_tail_temporaries_record_into_the_call() {
    let (lines, client) = spy();
    set_client(client);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(runtime.block_on(len_async()), Ok(3));
    let sent = lines();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[0].starts_with("len_async.duration:"), "{sent:?}");
    assert_eq!(sent[1], "tail.temporary:1|c|#outcome:ok");
    assert_eq!(runtime.block_on(len_async_at_once()), Ok(4));
    assert_eq!(lines(), ["tail.temporary:1|c|#outcome:ok"]);
    runtime.block_on(collector_edition2024::push_async());
    assert_eq!(runtime.block_on(len_later()), Ok(1));
    assert!(lines().is_empty());
}
