//! What a chosen span carries in its extensions: its collector, built with
//! the span's tags as base tags, and what its close sends. A span inside one
//! carries only the way to it.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use tracing::span::Id;

use crate::integrations::tracing_layer::config::Config;
use crate::integrations::tracing_layer::select::FieldRule;
use crate::integrations::tracing_layer::span_tags::SpanTags;
use crate::scope::collector::Collector;
use crate::scope::context;
use crate::scope::ending::{Ended, Plan};
use crate::scope::outcome::Outcome;
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
    /// What the span's end adds: its duration (from its creation), its
    /// outcome, its service check (named after the span).
    plan: Plan,
    /// The text of the first error event inside the span (what
    /// `#[instrument(err)]` emits): the span ends `error`.
    pub(super) error: Option<String>,
    /// A panic unwound through the span while it was entered.
    pub(super) panicked: bool,
}

/// A span that is not chosen, inside one that is: the execution it belongs
/// to, current when it is entered where nothing else is (a task spawned with
/// a child span of its own).
pub(super) struct Inherited(pub(super) Id);

impl Execution {
    pub(super) fn new(
        config: &Config,
        span_name: &'static str,
        rule: FieldRule,
        tags: SpanTags,
    ) -> Self {
        let plan = Plan {
            timing: config
                .timing
                .then(|| (Cow::Owned(format!("{span_name}.duration")), Instant::now())),
            outcome: config.outcome,
            check: config.check.then_some(Cow::Borrowed(span_name)),
            inherit: config.inherit,
        };
        Execution {
            current: collector(config, &tags),
            retired: Vec::new(),
            tags,
            rule,
            plan,
            error: None,
            panicked: false,
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

    /// How the span ended, as far as the layer can tell: `panic` when a
    /// panic unwound through it, `error` after an error event inside it,
    /// else `ok` (a span whose future was dropped before it completed
    /// cannot be told from one that completed: tracing closes both alike).
    fn ended(&mut self) -> Ended {
        let outcome = if self.panicked {
            Outcome::Panic
        } else if self.error.is_some() {
            Outcome::Error
        } else {
            Outcome::Ok
        };
        Ended {
            outcome,
            text: self.error.take(),
            tag: None,
        }
    }

    /// The span closed: it ends as every execution does, and its
    /// collectors are let go of; each one's last handle sends it, once (at
    /// once, unless work handed a handle to it still holds one), with the
    /// tags of the collectors current where it closed (an enclosing span's,
    /// an annotated call's), as a nested annotated call's lines carry them.
    /// Its duration and check go with its current collector; the ones
    /// retired by `Span::record` carry its outcome.
    pub(super) fn close(mut self) {
        let ended = self.ended();
        let Execution {
            current,
            retired,
            plan,
            ..
        } = self;
        // A span closes once nothing has it entered, so no frame of its own
        // is current; its retired collectors' frames were handed over.
        let enclosing = context::enclosing(&[Arc::as_ptr(current.arc()) as usize]);
        for collector in &retired {
            collector.shared().end(ended.clone(), enclosing.clone());
        }
        current.shared().end_as_planned(&plan, ended, enclosing);
        drop(retired);
        drop(current);
    }
}

/// A collector for one span: the layer's tags then the span's as base tags,
/// the layer's client and error handler. It belongs to the span, as an
/// annotated call's belongs to the call: a handle's `flush()` sends nothing,
/// the last handle's drop sends it all, with the span's outcome.
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
    let base_len = config.tags.len() + tags.len();
    let key_base = KeyBase {
        tags: (base_len + client_tags.len() > 0).then(|| {
            config
                .tags
                .iter()
                .chain(tags.texts())
                .chain(client_tags.iter())
                .cloned()
                .collect::<Arc<[String]>>()
        }),
        global: client.is_none(),
    };
    // Each collector's own end adds the outcome only: the span's duration
    // and check are added once, by the span's close.
    let plan = Plan {
        outcome: config.outcome,
        inherit: config.inherit,
        ..Plan::default()
    };
    let on_error = config.on_error.clone();
    let shared = Shared::new(
        key_base,
        base_len,
        client,
        on_error,
        config.max_series,
        Some(Box::new(plan)),
    );
    Collector::from_shared(Arc::new(shared))
}
