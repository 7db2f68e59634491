//! The options of `#[collect_metrics]`: `name`, `tags`, `timing`, `outcome`,
//! `client` and `crate`; nested calls; and hygiene.

#![deny(warnings)]

mod attribute_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use attribute_common::{without_value, Recorder};
use collector_runtime::collect_metrics;
use collector_runtime::incr;

#[collect_metrics(client = rec.client(), timing)]
fn nap(rec: &Recorder, millis: u64) {
    std::thread::sleep(Duration::from_millis(millis));
}

#[collect_metrics(name = "jobs.cleanup", client = rec.client(), timing, outcome)]
fn cleanup(rec: &Recorder) -> Result<(), String> {
    incr("jobs.cleanup.removed", ());
    std::thread::sleep(Duration::from_millis(5));
    Err("disk full".into())
}

#[test]
fn timing_sends_a_plausible_duration_under_the_name() {
    let rec = Recorder::new();
    let started = std::time::Instant::now();
    nap(&rec, 25);
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    let lines = rec.one_flush_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(without_value(&lines[0]), "nap.duration|ms|#");
    assert!(
        lines[0].value >= 25.0 && lines[0].value <= elapsed + 1.0,
        "{} ms sent for a call of {elapsed} ms",
        lines[0].value
    );
}

#[test]
fn name_sets_the_prefix_and_outcome_tags_the_duration_too() {
    let rec = Recorder::new();
    assert!(cleanup(&rec).is_err());
    let lines = rec.one_flush_lines();
    let mut shapes: Vec<String> = lines.iter().map(without_value).collect();
    shapes.sort();
    assert_eq!(
        shapes,
        [
            "jobs.cleanup.duration|ms|#outcome:error",
            "jobs.cleanup.removed|c|#outcome:error"
        ]
    );
    let duration = lines.iter().find(|l| l.kind == "ms").unwrap();
    assert!(duration.value >= 5.0, "{duration:?}");
}

#[collect_metrics(client = rec.client(), timing)]
fn r#match(rec: &Recorder) {}

#[test]
fn the_default_name_is_the_function_name_without_r_hash() {
    let rec = Recorder::new();
    r#match(&rec);
    let lines = rec.one_flush_lines();
    assert_eq!(without_value(&lines[0]), "match.duration|ms|#");
}

static EVALUATED: AtomicUsize = AtomicUsize::new(0);

fn user_id(id: u32) -> u32 {
    EVALUATED.fetch_add(1, Ordering::SeqCst);
    id
}

#[collect_metrics(
    client = rec.client(),
    tags(
        "team:core",
        region = "eu",
        "http.method" = "GET",
        shard = 3,
        canary = false,
        user = user_id(id),
        r#type = kind,
    )
)]
fn tagged(rec: &Recorder, id: u32, kind: &str) {
    for _ in 0..3 {
        incr("tagged.records", ());
    }
    incr("tagged.other", [("extra", "x")]);
}

#[test]
fn tags_of_every_form_go_on_every_series_and_expressions_run_once() {
    let rec = Recorder::new();
    let before = EVALUATED.load(Ordering::SeqCst);
    tagged(&rec, 42, "batch");
    assert_eq!(EVALUATED.load(Ordering::SeqCst) - before, 1);
    assert_eq!(
        rec.one_flush(),
        [
            "tagged.other:1|c|#canary:false,extra:x,http.method:GET,region:eu,shard:3,\
             team:core,type:batch,user:42",
            "tagged.records:3|c|#canary:false,http.method:GET,region:eu,shard:3,team:core,\
             type:batch,user:42",
        ]
    );
}

#[test]
fn expression_tags_cannot_inject_anything() {
    let rec = Recorder::new();
    tagged(&rec, 7, "a b|c:1\n#x,y");
    let lines = rec.one_flush_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        assert!(
            line.tags.contains(&"type:a_b_c:1__x_y".to_owned()),
            "{line:?}"
        );
    }
}

#[collect_metrics(client = client)]
fn shared_client(client: &collector_runtime::Client) {
    incr("shared", ());
}

#[test]
fn client_takes_anything_that_converts_into_an_arc() {
    let rec = Recorder::new();
    let client = Arc::new(rec.client());
    shared_client(&client);
    shared_client(&client);
    let flushes = rec.flushes();
    assert_eq!(flushes.len(), 2);
    for lines in flushes {
        assert_eq!(lines.len(), 1);
        assert_eq!(without_value(&lines[0]), "shared|c|#");
        assert_eq!(lines[0].value, 1.0);
    }
}

mod renamed {
    //! A renamed dependency, and a local item named like the crate, which
    //! the default path (`::collector_runtime`) does not pick up.
    use super::Recorder;
    use ::collector_runtime as metrics_rt;
    use ::collector_runtime::collect_metrics;

    #[allow(dead_code)]
    mod collector_runtime {}

    #[collect_metrics(crate = metrics_rt, client = rec.client(), tags("via:rename"))]
    pub(super) fn through_rename(rec: &Recorder) {
        metrics_rt::incr("renamed", ());
    }

    #[collect_metrics(client = rec.client(), tags("via:default"))]
    pub(super) fn through_default(rec: &Recorder) {
        metrics_rt::incr("renamed", ());
    }
}

#[test]
fn crate_points_at_a_renamed_runtime() {
    let rec = Recorder::new();
    renamed::through_rename(&rec);
    assert_eq!(rec.one_flush(), ["renamed:1|c|#via:rename"]);
    rec.clear();
    renamed::through_default(&rec);
    assert_eq!(rec.one_flush(), ["renamed:1|c|#via:default"]);
}

#[collect_metrics(tags("via:global"))]
fn through_the_global_client() {
    incr("global", ());
}

#[test]
fn without_client_the_global_client_is_used() {
    // The only test of this binary that sends through the global client.
    let rec = Recorder::new();
    collector_runtime::set_global_client(rec.client());
    through_the_global_client();
    assert_eq!(rec.one_flush(), ["global:1|c|#via:global"]);
}

#[collect_metrics(name = "inner", client = rec.client(), outcome, tags("level:inner"))]
fn inner(rec: &Recorder, fail: bool) -> Result<(), ()> {
    incr("step", ());
    if fail {
        Err(())
    } else {
        Ok(())
    }
}

#[collect_metrics(name = "outer", client = rec.client(), outcome, tags("level:outer"))]
fn outer(rec: &Recorder) -> Result<(), ()> {
    incr("step", ());
    inner(rec, false)?;
    incr("step", ());
    let _ = inner(rec, true);
    incr("step", ());
    Ok(())
}

/// Each flush's lines as (line without its value, value).
fn flush_shapes(rec: &Recorder) -> Vec<Vec<(String, f64)>> {
    rec.flushes()
        .iter()
        .map(|lines| lines.iter().map(|l| (without_value(l), l.value)).collect())
        .collect()
}

#[test]
fn nested_calls_each_keep_and_flush_their_own_series() {
    let rec = Recorder::new();
    outer(&rec).unwrap();
    let shapes = flush_shapes(&rec);
    assert_eq!(
        shapes,
        [
            vec![("step|c|#level:inner,outcome:ok".to_owned(), 1.0)],
            vec![("step|c|#level:inner,outcome:error".to_owned(), 1.0)],
            vec![("step|c|#level:outer,outcome:ok".to_owned(), 3.0)],
        ]
    );
}

#[collect_metrics(client = rec.client(), tags("level:inner"))]
async fn inner_async(rec: &Recorder) {
    tokio::task::yield_now().await;
    incr("step", ());
}

#[collect_metrics(client = rec.client(), tags("level:outer"))]
async fn outer_async(rec: &Recorder) {
    incr("step", ());
    inner_async(rec).await;
    tokio::task::yield_now().await;
    incr("step", ());
    inner_async(rec).await;
    incr("step", ());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_async_calls_each_keep_and_flush_their_own_series() {
    let rec = Recorder::new();
    tokio::spawn({
        let rec = rec.clone();
        async move { outer_async(&rec).await }
    })
    .await
    .unwrap();
    let shapes = flush_shapes(&rec);
    assert_eq!(
        shapes,
        [
            vec![("step|c|#level:inner".to_owned(), 1.0)],
            vec![("step|c|#level:inner".to_owned(), 1.0)],
            vec![("step|c|#level:outer".to_owned(), 3.0)],
        ]
    );
}

/// Named like the expansion's own variables: they still work, and ours
/// still work.
#[allow(clippy::too_many_arguments)]
#[collect_metrics(client = rec.client(), outcome, timing)]
fn hygiene(
    rec: &Recorder,
    __scope: u8,
    __enter: u8,
    __ret: u8,
    __fut: u8,
    __cx: u8,
    __fake: u8,
) -> Result<u8, ()> {
    let __collector_call_once = |x: u8| x;
    incr("hygiene", ());
    Ok(__collector_call_once(
        __scope + __enter + __ret + __fut + __cx + __fake,
    ))
}

#[allow(clippy::too_many_arguments)]
#[collect_metrics(client = rec.client(), outcome, timing)]
async fn hygiene_async(
    rec: &Recorder,
    __scope: u8,
    __enter: u8,
    __ret: u8,
    __fut: u8,
    __cx: u8,
    __fake: u8,
) -> Result<u8, ()> {
    tokio::task::yield_now().await;
    incr("hygiene", ());
    Ok(__scope + __enter + __ret + __fut + __cx + __fake)
}

#[tokio::test]
async fn user_variables_named_like_the_internals_still_work() {
    let rec = Recorder::new();
    assert_eq!(hygiene(&rec, 1, 2, 3, 4, 5, 6), Ok(21));
    let mut shapes: Vec<String> = rec.one_flush_lines().iter().map(without_value).collect();
    shapes.sort();
    assert_eq!(
        shapes,
        ["hygiene.duration|ms|#outcome:ok", "hygiene|c|#outcome:ok"]
    );
    rec.clear();
    assert_eq!(hygiene_async(&rec, 1, 2, 3, 4, 5, 6).await, Ok(21));
    let mut shapes: Vec<String> = rec.one_flush_lines().iter().map(without_value).collect();
    shapes.sort();
    assert_eq!(
        shapes,
        [
            "hygiene_async.duration|ms|#outcome:ok",
            "hygiene|c|#outcome:ok"
        ]
    );
}
