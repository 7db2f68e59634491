//! The guide's "Testing your instrumentation" chapter (collector_runtime::guide::testing), compiled and run
//! here as the tests a user would write (on the function's result and on
//! its lines, timings matched by name); the last test checks that the
//! guide shows this file's code, character for character.

use collector_runtime::{collect_metrics, histogram, incr, testing, timing};

#[collect_metrics(name = "orders.import", tags("source:csv"), timing, outcome)]
fn import(rows: &[&str]) -> Result<usize, String> {
    let started = std::time::Instant::now();
    for _row in rows {
        histogram("orders.rows", 1, &[("table", "orders")]);
    }
    timing("orders.parse", started.elapsed(), ());
    if rows.is_empty() {
        incr("orders.empty", ());
        return Err("nothing to import".to_owned());
    }
    Ok(rows.len())
}

#[test]
fn import_returns_its_count_and_records_its_rows_once_per_call() {
    let (imported, lines) = testing::capture(|| import(&["a", "b", "c"]));
    assert_eq!(imported, Ok(3));
    // Exact text where the value is known...
    assert!(lines
        .iter()
        .any(|l| l == "orders.rows:3|h|#outcome:ok,source:csv,table:orders"));
    // ...and a timing by its name, kind and tags: its value is measured.
    let duration = lines
        .iter()
        .find(|l| l.name() == "orders.import.duration")
        .expect("the call is timed");
    assert_eq!(duration.kind(), "ms");
    assert!(duration.has_tag("outcome:ok") && duration.value() >= 0.0);
    let names: Vec<&str> = lines.iter().map(|l| l.name()).collect();
    assert_eq!(
        names,
        ["orders.rows", "orders.parse", "orders.import.duration"]
    );
}

#[test]
fn an_empty_import_is_an_error_and_says_so() {
    let (imported, lines) = testing::capture(|| import(&[]));
    assert!(imported.is_err());
    assert!(lines.iter().all(|l| l.has_tag("outcome:error")));
    assert!(lines
        .iter()
        .any(|l| l == "orders.empty:1|c|#outcome:error,source:csv"));
}

// README example ends here.

#[test]
fn the_guide_shows_this_example() {
    let readme = include_str!("../../collector-runtime/docs/testing.md");
    let section = readme
        .split("# Testing your instrumentation")
        .nth(1)
        .expect("the guide has a \"Testing your instrumentation\" chapter");
    let block = section
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has a rust block");
    let this = include_str!("readme_testing.rs");
    let start = this.find("use collector_runtime").unwrap();
    let end = this.find("// README example ends here.").unwrap();
    assert_eq!(
        block.trim_end(),
        this[start..end].trim_end(),
        "the guide's example (left) is not this test's code (right)"
    );
}
