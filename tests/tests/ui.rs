//! Compile-time checks of `#[collect_metrics]`: every misuse is an error at
//! the offending token, with a message that says what to write instead
//! (`ui/fail/*.rs`, expected output beside each in `.stderr`), and shapes
//! that need no test harness of their own compile and run (`ui/pass/*.rs`).
//!
//! After a deliberate change of a message: `TRYBUILD=overwrite cargo test -p
//! collector-tests --test ui`, then read every changed `.stderr`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
