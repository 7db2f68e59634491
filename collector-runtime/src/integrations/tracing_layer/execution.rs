//! What a chosen span carries in its extensions: its collector, built with
//! the span's tags as base tags, and what its close sends. A span inside one
//! carries only the way to it.

use std::sync::Arc;
use std::time::Instant;

use tracing::span::Id;

use crate::integrations::tracing_layer::config::Config;
use crate::integrations::tracing_layer::select::FieldRule;
use crate::integrations::tracing_layer::span_tags::SpanTags;
use crate::scope::collector::Collector;
use crate::scope::context;
use crate::scope::shared::Shared;
use crate::store::KeyBase;

/// A chosen span: one execution.
pub(super) struct Execution {
    /// The collector records go to from now on.
    pub(super) current: Collector,
    /// Collectors of this span whose tags were changed by `Span::record`:
    /// what was recorded before the change keeps the tags it had, and goes
    /// out with the span's close, not before.
    retired: Vec<Collector>,
    pub(super) tags: SpanTags,
    pub(super) rule: FieldRule,
    /// When the span was created, and the name its duration is sent as,
    /// when the layer sends durations.
    timing: Option<(Instant, String)>,
}

/// A span that is not chosen, inside one that is: the execution it belongs
/// to, current when it is entered where nothing else is (a task spawned with
/// a child span of its own).
pub(super) struct Inherited(pub(super) Id);

impl Execution {
    pub(super) fn new(config: &Config, span_name: &str, rule: FieldRule, tags: SpanTags) -> Self {
        Execution {
            current: collector(config, &tags),
            retired: Vec::new(),
            tags,
            rule,
            timing: config
                .timing
                .then(|| (Instant::now(), format!("{span_name}.duration"))),
        }
    }

    /// After the tags changed: records from now on go to a collector with
    /// the new tags; returns the old and the new one, for the threads that
    /// have the span entered.
    pub(super) fn retag(&mut self, config: &Config) -> (Collector, Collector) {
        let new = collector(config, &self.tags);
        let old = std::mem::replace(&mut self.current, new.clone());
        self.retired.push(old.clone());
        (old, new)
    }

    /// The span closed: its duration is recorded, and its collectors are
    /// let go of; each one's last handle sends it, once (at once, unless
    /// work handed a handle to it still holds one), with the tags of the
    /// collectors current where it closed (an enclosing span's, an
    /// annotated call's), as a nested annotated call's lines carry them.
    pub(super) fn close(self) {
        if let Some((started, name)) = &self.timing {
            self.current.timing(name, started.elapsed(), ());
        }
        let Execution {
            current, retired, ..
        } = self;
        // A span closes once nothing has it entered, so no frame of its own
        // is current; its retired collectors' frames were handed over.
        let enclosing = context::enclosing(&[Arc::as_ptr(current.arc()) as usize]);
        for collector in std::iter::once(&current).chain(&retired) {
            collector.shared().set_enclosing(enclosing.clone());
        }
        drop(retired);
        drop(current);
    }
}

/// A collector for one span: its tags as base tags, the layer's client. It
/// belongs to the span, as an annotated call's belongs to the call: a
/// handle's `flush()` sends nothing, the last handle's drop sends it all.
///
/// Its key base is put together here, as `CollectorBuilder` puts one
/// together (the base tags, then the client's; the global client's tags
/// apply when there is no client of its own), in one allocation: a span is
/// created per request, and the tags are clean already.
fn collector(config: &Config, tags: &SpanTags) -> Collector {
    let client = config.client.clone();
    let client_tags = client
        .as_ref()
        .map_or(&[][..], |client| client.default_tags());
    let base_len = tags.len();
    let key_base = KeyBase {
        tags: (base_len + client_tags.len() > 0).then(|| {
            tags.texts()
                .chain(client_tags.iter())
                .cloned()
                .collect::<Arc<[String]>>()
        }),
        global: client.is_none(),
    };
    let shared = Shared::new(key_base, base_len, client, None, config.max_series, true);
    Collector::from_shared(Arc::new(shared))
}
