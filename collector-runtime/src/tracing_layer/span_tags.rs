//! A chosen span's fields as the tags of its collector: which ones (the
//! span's rule), how many (the layer's bound, in the order they are
//! recorded), and how a field recorded later with `Span::record` changes
//! them.

use tracing::field::Field;
use tracing::span::{Attributes, Record};

use crate::tracing_layer::config::Config;
use crate::tracing_layer::field_value::each_field;
use crate::tracing_layer::select::FieldRule;
use crate::tracing_layer::tag_text::tag_text;

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
        value: crate::tracing_layer::field_value::FieldValue<'_>,
        rule: &FieldRule,
        config: &Config,
    ) -> bool {
        let name = field.name();
        if !rule.allows(name) {
            return false;
        }
        let text = tag_text(name, value, config.max_tag_len);
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
    pub(super) fn texts(&self) -> Vec<String> {
        self.tags.iter().map(|(_, text)| text.clone()).collect()
    }
}
