//! Shapes compiled by trybuild as edition 2024 (the edition of this crate),
//! with every warning denied.

#[test]
fn ui() {
    trybuild::TestCases::new().pass("ui/pass/*.rs");
}
