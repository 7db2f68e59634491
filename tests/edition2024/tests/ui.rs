//! Shapes compiled by trybuild as edition 2024 (the edition of this crate):
//! those in `ui/pass` compile and run with every warning denied, those in
//! `ui/fail` are refused with the error the plain function gets (expected
//! output beside each in `.stderr`). The edition-2021 member's parameter
//! cases that mean the same in both editions are compiled here too, from
//! where they are.
//!
//! After a deliberate change: `TRYBUILD=overwrite cargo test -p
//! collector-edition2024 --test ui`, then read every changed `.stderr`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.pass("../ui/pass/parameter_cfg.rs");
    cases.pass("../ui/pass/parameter_lints.rs");
    cases.pass("../ui/pass/single_expression_bodies.rs");
    cases.pass("../ui/pass/spelled_async_fn.rs");
    cases.compile_fail("ui/fail/*.rs");
}
