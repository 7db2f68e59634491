//! The README's "Testing your instrumentation" example, compiled and run
//! here as the test a user would write; the last test checks that the
//! README shows this file's code, character for character.

use collector_runtime::{collect_metrics, histogram, testing};

#[collect_metrics(name = "orders.import", tags("source:csv"))]
fn import(rows: &[&str]) {
    for _row in rows {
        histogram("orders.rows", 1, &[("table", "orders")]);
    }
}

#[test]
fn import_records_its_rows_once_per_call() {
    let ((), lines) = testing::capture(|| import(&["a", "b", "c"]));
    assert!(lines
        .iter()
        .any(|l| l.name() == "orders.rows" && l.value() == 3.0));
    assert_eq!(lines, ["orders.rows:3|h|#source:csv,table:orders"]);
}

// README example ends here.

#[test]
fn the_readme_shows_this_example() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Testing your instrumentation")
        .nth(1)
        .expect("the README has a \"Testing your instrumentation\" section");
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
        "the README's example (left) is not this test's code (right)"
    );
}
