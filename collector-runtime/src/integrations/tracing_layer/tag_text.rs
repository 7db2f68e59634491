//! A field made into one tag, `key:value`: cleaned by the project's tag rule
//! as it is written and cut at a bound, so that a hostile or huge value
//! (a 10 KB string, one with `|`, `,` or a line break) can neither break a
//! line nor make one unbounded. Values formatted with `Debug` are written
//! through the bound too: a huge struct is never formatted into memory whole.

use std::fmt::{self, Write};

use crate::input::sanitize::Rule;
use crate::integrations::tracing_layer::field_value::FieldValue;

/// Text that keeps at most `cap` bytes of what is written to it, whole
/// characters only; what comes past the bound is dropped, not refused (a
/// `Debug` impl that unwraps its writes never panics here).
struct Bounded {
    text: String,
    cap: usize,
    /// Whether characters are cleaned by the tag rule as they come.
    clean: bool,
}

impl Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // The common case, a clean piece that fits: copied whole.
        if self.text.len() + s.len() <= self.cap && (!self.clean || Rule::Tag.is_clean(s)) {
            self.text.push_str(s);
            return Ok(());
        }
        for c in s.chars() {
            let c = if self.clean { Rule::Tag.map(c) } else { c };
            if self.text.len() + c.len_utf8() > self.cap {
                self.cap = self.text.len();
                break;
            }
            self.text.push(c);
        }
        Ok(())
    }
}

/// `key:value` for one field, cleaned and at most `max_len` bytes long.
pub(super) fn tag_text(key: &str, value: FieldValue<'_>, max_len: usize) -> String {
    // Room for the value without growing: its length for text, the
    // longest number otherwise, never more than the bound.
    let value_len = match value {
        FieldValue::Str(text) => text.len(),
        _ => 40,
    };
    let mut out = Bounded {
        text: String::with_capacity((key.len() + 1 + value_len).min(max_len)),
        cap: max_len,
        clean: true,
    };
    let _ = out.write_str(key);
    let _ = out.write_char(':');
    match value {
        FieldValue::Bool(v) => write_value(&mut out, v),
        FieldValue::I64(v) => write_value(&mut out, v),
        FieldValue::U64(v) => write_value(&mut out, v),
        FieldValue::I128(v) => write_value(&mut out, v),
        FieldValue::U128(v) => write_value(&mut out, v),
        FieldValue::F64(v) => write_value(&mut out, v),
        FieldValue::Str(v) => {
            let _ = out.write_str(v);
        }
        FieldValue::Error(v) => write_value(&mut out, v),
        FieldValue::Debug(v) => {
            // A `String` argument of `#[instrument]` comes as `Debug`, in
            // quotes: the tag is its text, as for a `&str` one. Formatted
            // raw first (two bytes more, for the quotes), then cleaned.
            let mut raw = Bounded {
                text: String::new(),
                cap: max_len.saturating_sub(out.text.len()).saturating_add(2),
                clean: false,
            };
            let _ = write!(raw, "{v:?}");
            let text = raw
                .text
                .strip_prefix('"')
                .map_or(raw.text.as_str(), |unquoted| {
                    unquoted.strip_suffix('"').unwrap_or(unquoted)
                });
            let _ = out.write_str(text);
        }
    }
    out.text
}

fn write_value(out: &mut Bounded, value: impl fmt::Display) {
    let _ = write!(out, "{value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_line_breaks_become_underscores() {
        let tag = tag_text("route", FieldValue::Str("/a|b,c\nd:1|c"), 200);
        assert_eq!(tag, "route:/a_b_c_d:1_c");
    }

    #[test]
    fn a_long_value_is_cut_at_the_bound_on_a_character() {
        let long = "é".repeat(10_000);
        let tag = tag_text("k", FieldValue::Str(&long), 200);
        assert!(tag.len() <= 200, "{}", tag.len());
        assert!(tag.len() >= 199);
        assert!(tag.starts_with("k:é"));
        let key = "x".repeat(300);
        assert_eq!(tag_text(&key, FieldValue::U64(1), 10), "xxxxxxxxxx");
    }

    #[test]
    fn a_debug_string_loses_its_quotes_and_a_struct_is_cleaned() {
        let name = String::from("ada");
        assert_eq!(tag_text("user", FieldValue::Debug(&name), 200), "user:ada");
        let pair = (1, "x");
        assert_eq!(tag_text("p", FieldValue::Debug(&pair), 200), "p:_1___x__");
        let huge = vec![7u8; 100_000];
        assert_eq!(tag_text("v", FieldValue::Debug(&huge), 8), "v:_7__7_");
    }

    #[test]
    fn numbers_and_booleans_are_written_as_they_print() {
        assert_eq!(tag_text("n", FieldValue::I64(-3), 200), "n:-3");
        assert_eq!(tag_text("f", FieldValue::F64(0.5), 200), "f:0.5");
        assert_eq!(tag_text("b", FieldValue::Bool(true), 200), "b:true");
        assert_eq!(
            tag_text("big", FieldValue::U128(u128::MAX), 200),
            format!("big:{}", u128::MAX)
        );
    }
}
