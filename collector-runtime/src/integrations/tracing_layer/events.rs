//! Events that record: a field named `counter.<name>`, `histogram.<name>`,
//! `gauge.<name>`, `distribution.<name>` or `timing.<name>` (the prefixes of
//! tracing-opentelemetry's metrics layer, plus this crate's kinds) records
//! its value as that metric, into the current collector, as the free
//! functions do.
//!
//! The event's other fields are not tags unless the layer names them
//! ([`event_tags`](crate::tracing::SpanCollectorLayer::event_tags)): an event
//! carries its message, ids, error texts and whatever else a log line
//! wants, and every distinct value of a tag is one more series for the
//! agent to keep. A span's tags are chosen once, where the span is; an
//! event's fields are chosen per log line, so they are opted into.

use std::sync::Arc;
use std::time::Duration;

use tracing::field::Field;
use tracing::{Event, Metadata};

use crate::errors::error::Error;

use crate::errors::handler::report;
use crate::integrations::tracing_layer::config::Config;
use crate::integrations::tracing_layer::duration_text::parse_duration;
use crate::integrations::tracing_layer::field_value::{each_field, FieldValue};
use crate::integrations::tracing_layer::tag_text::tag_text;
use crate::scope::collector::Collector;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Counter,
    Histogram,
    Gauge,
    Distribution,
    Timing,
}

/// The metric a field names: its kind and the name after the prefix.
fn metric_of(field: &str) -> Option<(Kind, &str)> {
    let (prefix, name) = field.split_once('.')?;
    let kind = match prefix {
        "counter" => Kind::Counter,
        "histogram" => Kind::Histogram,
        "gauge" => Kind::Gauge,
        "distribution" => Kind::Distribution,
        "timing" => Kind::Timing,
        _ => return None,
    };
    Some((kind, name))
}

/// Whether events of this callsite can record: read from the field names
/// alone, so a plain log line costs a scan of its few names and no more.
pub(super) fn may_record(metadata: &Metadata<'_>) -> bool {
    metadata
        .fields()
        .iter()
        .any(|f| metric_of(f.name()).is_some())
}

/// A value an event records, as the metric's kind takes it.
enum Sample {
    Count(i64),
    Value(f64),
    Elapsed(Duration),
}

/// Records what `event`'s metric fields say, with the fields the layer
/// names as tags.
pub(super) fn record_event(event: &Event<'_>, config: &Config) {
    let mut records: Vec<(Kind, &'static str, Sample)> = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    event.record(&mut each_field(|field: &Field, value: FieldValue<'_>| {
        let name: &'static str = field.name();
        if let Some((kind, metric)) = metric_of(name) {
            if let Some(sample) = sample(kind, metric, value) {
                records.push((kind, metric, sample));
            }
        } else if config.event_tags.iter().any(|tag| tag == name) {
            tags.push(tag_text(name, value, config.max_tag_len));
        }
    }));
    if records.is_empty() {
        return;
    }
    match &config.client {
        // Outside any execution, a layer with a client of its own sends
        // through it, at once: the free functions' path, on that client.
        Some(client) if !crate::scope::context::has_current() => {
            let once = Collector::builder()
                .shared_client(Arc::clone(client))
                .max_series(config.max_series)
                .build();
            for (kind, name, sample) in &records {
                into_collector(&once, *kind, name, sample, &tags);
            }
            once.flush();
        }
        _ => {
            for (kind, name, sample) in &records {
                into_current(*kind, name, sample, &tags);
            }
        }
    }
}

/// The sample a field's value makes for `kind`; `None` for a value that is
/// not a number (or, for a timing, not a duration), which records nothing.
fn sample(kind: Kind, name: &str, value: FieldValue<'_>) -> Option<Sample> {
    let number = match value {
        FieldValue::I64(v) => Number::Int(i128::from(v)),
        FieldValue::U64(v) => Number::Int(i128::from(v)),
        FieldValue::I128(v) => Number::Int(v),
        // Above i128::MAX: saturates as the counter does anyway.
        FieldValue::U128(v) => Number::Int(i128::try_from(v).unwrap_or(i128::MAX)),
        FieldValue::F64(v) => Number::Float(v),
        FieldValue::Str(text) if kind == Kind::Timing => {
            return parse_duration(text).map(Sample::Elapsed)
        }
        FieldValue::Debug(value) if kind == Kind::Timing => {
            return parse_duration(&format!("{value:?}")).map(Sample::Elapsed)
        }
        _ => return None,
    };
    Some(match (kind, number) {
        (Kind::Counter, Number::Int(n)) => {
            Sample::Count(crate::input::value::Integer::saturating_i64(n))
        }
        (Kind::Counter, Number::Float(v)) if v.is_finite() => {
            // A counter is an integer on the wire: the nearest one.
            Sample::Count(v.round() as i64)
        }
        (Kind::Timing, number) => {
            // A plain number is milliseconds, the unit timers are sent in.
            let millis = number.to_f64();
            match Duration::try_from_secs_f64(millis / 1000.0) {
                Ok(elapsed) => Sample::Elapsed(elapsed),
                Err(_) => return refuse(name, millis),
            }
        }
        (Kind::Counter, Number::Float(v)) => return refuse(name, v),
        (_, number) => Sample::Value(number.to_f64()),
    })
}

fn refuse(name: &str, value: f64) -> Option<Sample> {
    report(
        None,
        Error::NonFiniteValue {
            name: name.to_owned(),
            value,
        },
    );
    None
}

enum Number {
    Int(i128),
    Float(f64),
}

impl Number {
    fn to_f64(&self) -> f64 {
        match self {
            Number::Int(n) => crate::input::value::Value::to_f64(*n),
            Number::Float(v) => *v,
        }
    }
}

fn into_current(kind: Kind, name: &str, sample: &Sample, tags: &[String]) {
    match (kind, sample) {
        (Kind::Counter, Sample::Count(n)) => crate::count(name, *n, tags),
        (Kind::Histogram, Sample::Value(v)) => crate::histogram(name, *v, tags),
        (Kind::Gauge, Sample::Value(v)) => crate::gauge(name, *v, tags),
        (Kind::Distribution, Sample::Value(v)) => crate::distribution(name, *v, tags),
        (Kind::Timing, Sample::Elapsed(elapsed)) => crate::timing(name, *elapsed, tags),
        _ => {}
    }
}

fn into_collector(collector: &Collector, kind: Kind, name: &str, sample: &Sample, tags: &[String]) {
    match (kind, sample) {
        (Kind::Counter, Sample::Count(n)) => collector.count(name, *n, tags),
        (Kind::Histogram, Sample::Value(v)) => collector.histogram(name, *v, tags),
        (Kind::Gauge, Sample::Value(v)) => collector.gauge(name, *v, tags),
        (Kind::Distribution, Sample::Value(v)) => collector.distribution(name, *v, tags),
        (Kind::Timing, Sample::Elapsed(elapsed)) => collector.timing(name, *elapsed, tags),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_names_its_metric_by_its_prefix() {
        assert_eq!(metric_of("counter.rows"), Some((Kind::Counter, "rows")));
        assert_eq!(
            metric_of("timing.db.query"),
            Some((Kind::Timing, "db.query"))
        );
        assert_eq!(metric_of("gauge."), Some((Kind::Gauge, "")));
        assert_eq!(metric_of("rows"), None);
        assert_eq!(metric_of("monotonic_counter.rows"), None);
        assert_eq!(metric_of("message"), None);
    }

    #[test]
    fn values_are_taken_as_the_kind_takes_them() {
        let count = |v| match sample(Kind::Counter, "c", v) {
            Some(Sample::Count(n)) => Some(n),
            _ => None,
        };
        assert_eq!(count(FieldValue::U64(u64::MAX)), Some(i64::MAX));
        assert_eq!(count(FieldValue::I128(i128::MIN)), Some(i64::MIN));
        assert_eq!(count(FieldValue::F64(2.6)), Some(3));
        assert_eq!(count(FieldValue::Str("3")), None);
        assert_eq!(count(FieldValue::Bool(true)), None);
        let elapsed = |v| match sample(Kind::Timing, "t", v) {
            Some(Sample::Elapsed(d)) => Some(d),
            _ => None,
        };
        assert_eq!(
            elapsed(FieldValue::U64(12)),
            Some(Duration::from_millis(12))
        );
        assert_eq!(
            elapsed(FieldValue::F64(0.5)),
            Some(Duration::from_micros(500))
        );
        let measured = Duration::from_nanos(1_234_567);
        assert_eq!(elapsed(FieldValue::Debug(&measured)), Some(measured));
        assert_eq!(elapsed(FieldValue::Str("2s")), Some(Duration::from_secs(2)));
        assert_eq!(elapsed(FieldValue::Str("soon")), None);
    }
}
