//! tracing hands a field's value to one of several typed callbacks; the
//! layer's readers (the selection marker, span tags, event records) each
//! want the value whole, in one place, so this folds the callbacks into one.

use std::fmt;

use tracing::field::{Field, Visit};

/// One field's value, as tracing recorded it.
#[derive(Clone, Copy)]
pub(super) enum FieldValue<'a> {
    Bool(bool),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Str(&'a str),
    Debug(&'a dyn fmt::Debug),
    Error(&'a (dyn std::error::Error + 'static)),
}

/// A [`Visit`] that calls its function with every field and its value.
pub(super) struct EachField<F>(F);

/// A visitor calling `f`: the bound here lets a closure's signature be
/// inferred for every lifetime of the value.
pub(super) fn each_field<F: FnMut(&Field, FieldValue<'_>)>(f: F) -> EachField<F> {
    EachField(f)
}

impl<F: FnMut(&Field, FieldValue<'_>)> Visit for EachField<F> {
    fn record_bool(&mut self, field: &Field, value: bool) {
        (self.0)(field, FieldValue::Bool(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        (self.0)(field, FieldValue::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        (self.0)(field, FieldValue::U64(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        (self.0)(field, FieldValue::I128(value));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        (self.0)(field, FieldValue::U128(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        (self.0)(field, FieldValue::F64(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        (self.0)(field, FieldValue::Str(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        (self.0)(field, FieldValue::Error(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        (self.0)(field, FieldValue::Debug(value));
    }
}
