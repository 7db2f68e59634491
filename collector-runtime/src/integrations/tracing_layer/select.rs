//! Which spans are executions. The user says so where the span is written,
//! with a field that reads naturally inside `#[instrument(...)]`
//! (`fields(collect_metrics)`), or where the layer is built, with a filter
//! on the span's metadata (its name, its target). Everything else is left
//! as it is.

use std::sync::Arc;

use tracing::span::Attributes;

use crate::integrations::tracing_layer::config::Config;
use crate::integrations::tracing_layer::field_value::{each_field, FieldValue};

/// The field that makes a span an execution: `#[instrument(fields(collect_metrics))]`,
/// or `info_span!("job", collect_metrics = true)`.
///
/// Its value, read when the span is created, says more:
///
/// | value | the span |
/// |---|---|
/// | none (`fields(collect_metrics)`), `true`, or any number | is an execution; its tags are the fields the layer says (all, by default) |
/// | a string, `"route, method"` | is an execution; its tags are the fields named, separated by commas or spaces (`""`: none) |
/// | `false` | is not an execution, even if the layer's filter chooses it |
///
/// The field itself is never a tag.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// assert_eq!(collector_runtime::tracing::SELECT_FIELD, "collect_metrics");
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub const SELECT_FIELD: &str = "collect_metrics";

/// Which of a span's fields are its tags.
#[derive(Clone)]
pub(super) enum FieldRule {
    /// Every field (but the selection marker).
    All,
    /// The fields named (shared: the layer's list is every span's).
    Only(Arc<[String]>),
}

impl FieldRule {
    pub(super) fn allows(&self, field: &str) -> bool {
        field != SELECT_FIELD
            && match self {
                FieldRule::All => true,
                FieldRule::Only(names) => names.iter().any(|name| name == field),
            }
    }
}

/// Whether a new span is an execution, and if so which fields are its tags.
pub(super) fn choose(config: &Config, attrs: &Attributes<'_>) -> Option<FieldRule> {
    let layer_rule = || match &config.tag_fields {
        Some(names) => FieldRule::Only(Arc::clone(names)),
        None => FieldRule::All,
    };
    let metadata = attrs.metadata();
    if metadata.fields().field(SELECT_FIELD).is_none() {
        let chosen = config
            .select
            .as_ref()
            .is_some_and(|select| select(metadata));
        return chosen.then(layer_rule);
    }
    // Declared: its value, if it has one, refines the choice.
    let mut verdict = Some(None);
    attrs.record(&mut each_field(|field: &tracing::field::Field, value| {
        if field.name() != SELECT_FIELD {
            return;
        }
        verdict = match value {
            FieldValue::Bool(false) => None,
            FieldValue::Str(names) => Some(Some(FieldRule::Only(
                names
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|name| !name.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ))),
            _ => Some(None),
        };
    }));
    verdict.map(|rule| rule.unwrap_or_else(layer_rule))
}
