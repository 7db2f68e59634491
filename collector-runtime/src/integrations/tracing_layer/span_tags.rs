//! A chosen span's fields as the tags of its collector: which ones (the
//! span's rule), how many (the layer's bound, in the order they are
//! recorded), and how a field recorded later with `Span::record` changes
//! them.

use tracing::field::Field;
use tracing::span::{Attributes, Record};

use crate::integrations::tracing_layer::config::Config;
use crate::integrations::tracing_layer::field_value::each_field;
use crate::integrations::tracing_layer::select::FieldRule;
use crate::integrations::tracing_layer::tag_text::tag_text;

/// The texts of a span's tags.
pub(super) type Texts<'a> = std::iter::Map<
    std::slice::Iter<'a, (&'static str, String)>,
    fn(&'a (&'static str, String)) -> &'a String,
>;

/// One span's tags, each with the field it came from.
#[derive(Default)]
pub(super) struct SpanTags {
    tags: Vec<(&'static str, String)>,
}

impl SpanTags {
    /// The tags of the fields `attrs` has values for.
    pub(super) fn new(attrs: &Attributes<'_>, rule: &FieldRule, config: &Config) -> SpanTags {
        let mut tags = SpanTags::default();
        attrs.record(&mut each_field(|field: &Field, value| {
            tags.set(field, value, rule, config);
        }));
        tags
    }

    /// Takes the fields `record` sets; whether any tag changed.
    pub(super) fn update(
        &mut self,
        record: &Record<'_>,
        rule: &FieldRule,
        config: &Config,
    ) -> bool {
        let mut changed = false;
        record.record(&mut each_field(|field: &Field, value| {
            changed |= self.set(field, value, rule, config);
        }));
        changed
    }

    fn set(
        &mut self,
        field: &Field,
        value: crate::integrations::tracing_layer::field_value::FieldValue<'_>,
        rule: &FieldRule,
        config: &Config,
    ) -> bool {
        let name = field.name();
        if !rule.allows(name) {
            return false;
        }
        let text = tag_text(name, value, config.max_tag_len);
        if text.is_empty() {
            // A bound of 0 bytes: no room for any tag.
            return false;
        }
        let count = self.tags.len();
        match self.tags.iter_mut().find(|(held, _)| *held == name) {
            Some((_, held)) if *held == text => false,
            Some((_, held)) => {
                *held = text;
                true
            }
            None if count < config.max_tags => {
                self.tags.push((name, text));
                true
            }
            // Past the bound: left out, so that a span with many fields
            // cannot multiply its series without limit.
            None => false,
        }
    }

    /// The tags' texts, in the order their fields were first recorded.
    /// A concrete iterator, not `impl Iterator`: collected into an
    /// `Arc<[String]>`, it is known to have an exact length, so the slice is
    /// allocated once.
    pub(super) fn texts(&self) -> Texts<'_> {
        self.tags.iter().map(|(_, text)| text)
    }

    /// How many tags there are.
    pub(super) fn len(&self) -> usize {
        self.tags.len()
    }
}
