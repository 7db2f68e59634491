//! Every example of `collector-runtime` is built and run as a user would
//! (`cargo run --example NAME`), with no agent configured, so it receives
//! its own datagrams and prints them; the printed lines are parsed with the
//! independent parser and checked.

use std::collections::BTreeMap;
use std::process::Command;

use collector_tests::{parse_line, series, Line};

/// Runs one example with every `DD_*` variable removed; returns its output.
fn run_example(name: &str, features: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args([
            "run",
            "--quiet",
            "-p",
            "collector-runtime",
            "--example",
            name,
        ]);
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("DD_") {
            command.env_remove(var);
        }
    }
    command.envs(env.iter().copied());
    let output = command.output().expect("run cargo");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "example {name} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The metric lines the example printed under `received datagram:`, and
/// how many datagrams there were.
fn received(stdout: &str) -> (usize, Vec<Line>) {
    let datagrams = stdout
        .lines()
        .filter(|l| *l == "received datagram:")
        .count();
    let lines = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .map(|l| parse_line(l).unwrap_or_else(|e| panic!("{e}\n{stdout}")))
        .collect();
    (datagrams, lines)
}

type Series = BTreeMap<(String, String, Vec<String>), f64>;

/// The lines' series; the values of timers (`ms`), which depend on the
/// machine, are left out (set to -1) after checking they are not negative.
fn series_of(lines: &[Line]) -> Series {
    let mut out = Series::new();
    for line in lines {
        let value = if line.kind == "ms" {
            assert!(line.value >= 0.0, "{line:?}");
            -1.0
        } else {
            line.value
        };
        assert!(
            out.insert(line.series(), value).is_none(),
            "series sent twice: {line:?}"
        );
    }
    out
}

/// The first `text` block after `marker` in `file` (from the workspace's
/// root: the README, or a chapter of the guide under
/// `collector-runtime/docs/`): the output it shows for an example.
fn doc_output_after(file: &str, marker: &str) -> String {
    let path = format!("{}/../{file}", env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let section = readme
        .split_once(marker)
        .unwrap_or_else(|| panic!("{file} has {marker:?}"))
        .1;
    let block = section
        .split_once("```text\n")
        .unwrap_or_else(|| panic!("a text block after {marker:?}"))
        .1;
    block
        .split_once("```")
        .expect("the block ends")
        .0
        .to_owned()
}

/// The README's quickstart output: the first `text` block after the
/// heading "Set up and run".
fn readme_quickstart_output() -> String {
    doc_output_after("README.md", "## Set up and run")
}

/// The output's lines, each metric line checked by the independent parser,
/// with the value of every timer (`|ms`) line replaced by `<ms>`: durations
/// depend on the machine, and so may their format (whole or fractional
/// milliseconds). Everything else stays as printed.
fn comparable(output: &str) -> Vec<String> {
    output
        .lines()
        .map(|line| {
            let Some(metric) = line.strip_prefix("  ") else {
                return line.to_owned();
            };
            let parsed = parse_line(metric).unwrap_or_else(|e| panic!("{e}\n{output}"));
            if parsed.kind != "ms" {
                return line.to_owned();
            }
            assert!(parsed.value >= 0.0, "{line}");
            let (name, rest) = metric.split_once(':').expect("parsed: has ':'");
            let (_value, tail) = rest.split_once('|').expect("parsed: has '|'");
            format!("  {name}:<ms>|{tail}")
        })
        .collect()
}

#[test]
fn quickstart() {
    let stdout = run_example("quickstart", &[], &[]);

    // What the README shows is what it prints, durations aside.
    assert_eq!(
        comparable(&readme_quickstart_output()),
        comparable(&stdout),
        "the README's quickstart output (left) is not what the example prints (right)"
    );

    // Two runs of the annotated entry point, two flushes: every series once
    // per run, tagged with how the run ended, and the run's duration.
    let (datagrams, lines) = received(&stdout);
    // The two runs' flushes share the client's outbox: their lines, a few
    // hundred bytes, arrive in one datagram.
    assert_eq!(datagrams, 1, "both runs in one datagram:\n{stdout}");
    let runs: Vec<&[Line]> = lines
        .split_inclusive(|l| l.name == "jobs.cleanup.duration")
        .collect();
    assert_eq!(runs.len(), 2, "each run ends with its duration:\n{stdout}");
    for (run, outcome) in runs.iter().zip(["outcome:ok", "outcome:error"]) {
        let sent = series_of(run);
        assert!(
            sent.contains_key(&series(
                "ms",
                "jobs.cleanup.duration",
                &["job:cleanup", outcome]
            )),
            "{outcome}:\n{stdout}"
        );
        for line in run.iter() {
            assert!(line.tags.iter().any(|t| t == outcome), "{line:?}");
            assert!(line.tags.iter().any(|t| t == "job:cleanup"), "{line:?}");
        }
    }
    // Run 1 cleans both tables; run 2 stops at the locked one, and what it
    // recorded before the error is sent.
    let deleted = |run: &[Line], table: &str| {
        run.iter()
            .find(|l| {
                l.name == "cleanup.deleted" && l.tags.iter().any(|t| *t == format!("table:{table}"))
            })
            .map(|l| (l.kind.clone(), l.value))
    };
    assert_eq!(deleted(runs[0], "sessions"), Some(("c".into(), 3.0)));
    assert_eq!(deleted(runs[0], "audit_log"), Some(("c".into(), 1.0)));
    assert_eq!(deleted(runs[1], "sessions"), Some(("c".into(), 3.0)));
    assert_eq!(deleted(runs[1], "orders"), None);
}

#[test]
fn worker_threads() {
    let stdout = run_example("worker_threads", &[], &[]);
    // The guide (patterns) shows what it prints; only the order of the lines varies
    // (which worker records a series first).
    let sorted = |output: &str| {
        let mut lines = comparable(output);
        lines.sort();
        lines
    };
    assert_eq!(
        sorted(&doc_output_after(
            "collector-runtime/docs/patterns.md",
            "(the `worker_threads` example)"
        )),
        sorted(&stdout),
        "the guide's worker_threads output (left) is not what the example prints (right)"
    );
    assert!(
        stdout.contains("1000 images on 4 threads: 5 series"),
        "{stdout}"
    );
    let (datagrams, lines) = received(&stdout);
    assert_eq!(datagrams, 1, "one flush, one datagram:\n{stdout}");
    let batch = "batch:nightly";
    let expected: Series = [
        (
            series("c", "images.resized", &[batch, "format:jpeg"]),
            667.0,
        ),
        (series("c", "images.resized", &[batch, "format:png"]), 333.0),
        // 1000 + 10 * id, summed over the ids of each format.
        (
            series("h", "images.bytes", &[batch, "format:jpeg"]),
            4_003_670.0,
        ),
        (
            series("h", "images.bytes", &[batch, "format:png"]),
            2_001_330.0,
        ),
        (series("c", "images.thumbnail_cache_miss", &[batch]), 100.0),
    ]
    .into_iter()
    .collect();
    assert_eq!(series_of(&lines), expected, "{stdout}");
}

#[test]
fn web_request() {
    let stdout = run_example("web_request", &["tower"], &[]);

    // What the guide (per request) shows is what it prints, durations aside,
    // where the lines fall into datagrams (that follows the flush interval)
    // and their order (the client's aggregator writes the contexts of the
    // runtime's worker threads in the order it meets them).
    let without_datagram_breaks = |output: &str| -> Vec<String> {
        let mut lines: Vec<String> = comparable(output)
            .into_iter()
            .filter(|line| line != "received datagram:")
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(
        without_datagram_breaks(&doc_output_after(
            "collector-runtime/docs/per_request.md",
            "**The layer and the attribute together.**"
        )),
        without_datagram_breaks(&stdout),
        "the guide's web_request output (left) is not what the example prints (right)"
    );

    let (datagrams, lines) = received(&stdout);
    // The requests' flushes share the client's outbox: never more
    // datagrams than flushes, and fewer when they come within the flush
    // interval of each other.
    assert!(
        (1..=5).contains(&datagrams),
        "{datagrams} datagrams:\n{stdout}"
    );
    // The annotated handler's series: its own flush, with the request's
    // method and route, and its outcome; the status is the layer's.
    let found = ["method:GET", "outcome:ok", "route:/users/_id_"];
    let missing = ["method:GET", "outcome:error", "route:/users/_id_"];
    let with = |base: &[&'static str], tag: &'static str| {
        let mut tags = base.to_vec();
        tags.push(tag);
        tags
    };
    let expected: Series = [
        (series("h", "db.queries", &with(&found, "table:users")), 1.0),
        (
            series("h", "db.queries", &with(&found, "table:orders")),
            2.0,
        ),
        (
            series("c", "users.lookup", &with(&found, "result:found")),
            1.0,
        ),
        (series("ms", "handler.get_user.duration", &found), -1.0),
        (
            series(
                "ms",
                "http.request.duration",
                &["method:GET", "route:/users/_id_", "status:200"],
            ),
            -1.0,
        ),
        (
            series("h", "db.queries", &with(&missing, "table:users")),
            1.0,
        ),
        (
            series("c", "users.lookup", &with(&missing, "result:missing")),
            1.0,
        ),
        (series("ms", "handler.get_user.duration", &missing), -1.0),
        (
            series(
                "ms",
                "http.request.duration",
                &["method:GET", "route:/users/_id_", "status:404"],
            ),
            -1.0,
        ),
        (
            series(
                "ms",
                "http.request.duration",
                &["method:GET", "route:/health", "status:200"],
            ),
            -1.0,
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(series_of(&lines), expected, "{stdout}");
}

/// With an agent configured, an example sends there and prints nothing
/// received: the same code path as production.
#[test]
fn an_example_sends_to_the_configured_agent() {
    let agent = collector_tests::UdpReceiver::bind();
    let url = format!("udp://{}", agent.addr());
    let stdout = run_example("worker_threads", &[], &[("DD_DOGSTATSD_URL", &url)]);
    assert!(
        stdout.contains("sent to the agent configured by DD_* variables"),
        "{stdout}"
    );
    assert_eq!(received(&stdout).0, 0, "{stdout}");
    let lines = agent.lines();
    assert_eq!(lines.len(), 5, "{lines:?}");
}

#[test]
fn background_jobs() {
    let stdout = run_example("background_jobs", &[], &[]);
    assert!(stdout.contains("6 jobs succeeded, 2 failed"), "{stdout}");
    let (datagrams, lines) = received(&stdout);
    assert!(datagrams >= 1, "{stdout}");
    // Eight runs share one client, whose aggregator merges their series:
    // each series is summed over the runs, with its number of samples (one
    // per run that recorded it) where it is not a counter.
    let mut got: BTreeMap<_, (f64, usize)> = BTreeMap::new();
    for line in &lines {
        let entry = got.entry(line.series()).or_default();
        if line.kind != "ms" {
            entry.0 += line.values.iter().sum::<f64>();
        }
        // One sample per run that recorded it; a counter's lines are
        // summed across runs, however many carried it.
        if line.kind != "c" {
            entry.1 += line.values.len();
        }
    }
    let tags =
        |outcome: &'static str, priority: &'static str| vec![outcome, priority, "queue:mail"];
    let (ok_high, ok_normal, error_normal) = (
        tags("outcome:ok", "priority:high"),
        tags("outcome:ok", "priority:normal"),
        tags("outcome:error", "priority:normal"),
    );
    let mut rejected = error_normal.clone();
    rejected.push("reason:mailbox_full");
    let expected: BTreeMap<_, (f64, usize)> = [
        // Jobs 1 and 2 are high priority; 4 and 8 fail; 3 and 6 take two
        // SMTP round trips.
        (series("c", "email.rendered", &ok_high), (2.0, 0)),
        (series("c", "email.rendered", &ok_normal), (4.0, 0)),
        (series("c", "email.rendered", &error_normal), (2.0, 0)),
        (series("h", "email.smtp_roundtrips", &ok_high), (2.0, 2)),
        (series("h", "email.smtp_roundtrips", &ok_normal), (6.0, 4)),
        (
            series("h", "email.smtp_roundtrips", &error_normal),
            (2.0, 2),
        ),
        (series("c", "email.rejected", &rejected), (2.0, 0)),
        (series("ms", "jobs.email.duration", &ok_high), (0.0, 2)),
        (series("ms", "jobs.email.duration", &ok_normal), (0.0, 4)),
        (series("ms", "jobs.email.duration", &error_normal), (0.0, 2)),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, expected, "{stdout}");
}

#[test]
fn tracing_service() {
    let stdout = run_example("tracing_service", &["tracing"], &[]);
    // The guide (per span) shows one order's flush: each of its lines is printed,
    // durations aside.
    let printed = comparable(&stdout);
    for line in comparable(&doc_output_after(
        "collector-runtime/docs/per_span.md",
        "`cargo run --example tracing_service",
    )) {
        assert!(
            printed.contains(&line),
            "the guide's {line:?} is not printed:\n{stdout}"
        );
    }
    assert!(stdout.contains("3 orders placed, 1 rejected"), "{stdout}");
    let (datagrams, lines) = received(&stdout);
    assert!(datagrams >= 1, "{stdout}");
    // Four spans, four flushes, merged by the client's aggregator: each
    // series is summed over the orders, with its number of samples (one
    // per order that recorded it) where it is not a counter. The order id
    // is a span field but not a tag.
    let mut got: BTreeMap<_, (f64, usize)> = BTreeMap::new();
    for line in &lines {
        assert!(
            !line.tags.iter().any(|t| t.starts_with("order:")),
            "{line:?}"
        );
        let entry = got.entry(line.series()).or_default();
        if line.kind != "ms" {
            entry.0 += line.values.iter().sum::<f64>();
        }
        // One sample per run that recorded it; a counter's lines are
        // summed across runs, however many carried it.
        if line.kind != "c" {
            entry.1 += line.values.len();
        }
    }
    let (gold, standard) = (["tier:gold"], ["tier:standard"]);
    let customers = |tier: &'static str| ["table:customers", tier];
    let expected: BTreeMap<_, (f64, usize)> = [
        // Orders 1 (gold, 3 items), 2 and 3 (standard, 1 and 2 items) are
        // placed; order 4 (gold, no items) is rejected.
        (series("h", "db.queries", &customers("tier:gold")), (2.0, 2)),
        (
            series("h", "db.queries", &customers("tier:standard")),
            (2.0, 2),
        ),
        (series("c", "stock.reserved", &gold), (3.0, 0)),
        (series("c", "stock.reserved", &standard), (3.0, 0)),
        (series("c", "orders.items", &gold), (3.0, 0)),
        (series("c", "orders.items", &standard), (3.0, 0)),
        (series("h", "orders.value", &gold), (75.0, 1)),
        (series("h", "orders.value", &standard), (75.0, 2)),
        (series("c", "orders.rejected", &gold), (1.0, 0)),
        (series("ms", "process_order.duration", &gold), (0.0, 2)),
        (series("ms", "process_order.duration", &standard), (0.0, 2)),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, expected, "{stdout}");
}
