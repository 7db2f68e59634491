//! How any execution ends: an annotated call, a request of the tower layer,
//! a span of the tracing layer, a collector built by hand and ended with
//! [`Collector::end`](crate::Collector::end). One [`Plan`] says what ending
//! adds (the duration, the outcome tag, the service check), [`Plan::close`]
//! turns it and how the execution ended into a [`Closing`], and a closing
//! is written into the store that holds the execution's series: the
//! collector's, flushed by its last handle, or the store of a call that
//! never built one, flushed at once ([`send_store`]).

use std::borrow::Cow;
use std::time::{Duration, Instant};

use crate::errors::handler::ErrorHandler;
use crate::input::check::{ServiceCheck, Status};
use crate::input::enclosing::Enclosing;
use crate::input::notice::Notice;
use crate::input::sample::{Kind, Sample};
use crate::scope::outcome::Outcome;
use crate::send::client::Client;
use crate::store::accepted::{refused, Rejected};
use crate::store::flush::{flush_series, Contents, LineTags};
use crate::store::Store;

/// A metric or check name: a literal for the attribute, owned for the
/// layers, which put it together at run time.
pub(crate) type Name = Cow<'static, str>;

/// A name a plan holds: a literal (`&'static str`, the attribute's, kept
/// `Copy` so that entering a call costs a move), or an owned [`Name`].
pub(crate) trait PlanName: Clone {
    fn name(&self) -> Name;
}

impl PlanName for &'static str {
    #[inline]
    fn name(&self) -> Name {
        Cow::Borrowed(self)
    }
}

impl PlanName for Name {
    fn name(&self) -> Name {
        self.clone()
    }
}

/// What ending an execution adds to its series.
#[derive(Clone, Copy, Default)]
pub(crate) struct Plan<N = Name> {
    /// The duration's metric name, and when the execution began.
    pub(crate) timing: Option<(N, Instant)>,
    /// Whether every series carries the outcome tag.
    pub(crate) outcome: bool,
    /// The name of the service check sent when it ends.
    pub(crate) check: Option<N>,
    /// Whether the lines carry the enclosing collectors' base tags.
    pub(crate) inherit: bool,
}

/// How an execution ended, as its end tells it.
#[derive(Clone)]
pub(crate) struct Ended {
    pub(crate) outcome: Outcome,
    /// How it failed, in words (the error's `Display`, the panic's
    /// message), for the check.
    pub(crate) text: Option<String>,
    /// A tag only the end knows (the tower layer's `status:200`), sanitized.
    pub(crate) tag: Option<String>,
}

impl Ended {
    /// An end with no words and no tag of its own.
    pub(crate) fn with(outcome: Outcome) -> Ended {
        Ended {
            outcome,
            text: None,
            tag: None,
        }
    }
}

/// What an execution's end writes into its series: the duration, the
/// check, and the tags every line then gets.
pub(crate) struct Closing {
    timing: Option<(Name, Duration)>,
    check: Option<Notice>,
    /// The outcome tag and the end's own tag, sent with every line.
    pub(crate) tags: Vec<Cow<'static, str>>,
}

impl Plan<&'static str> {
    /// The same plan, for a collector that keeps it.
    pub(crate) fn to_owned_names(self) -> Plan {
        Plan {
            timing: self
                .timing
                .map(|(name, started)| (Cow::Borrowed(name), started)),
            outcome: self.outcome,
            check: self.check.map(Cow::Borrowed),
            inherit: self.inherit,
        }
    }
}

impl<N: PlanName> Plan<N> {
    /// Whether ending adds anything but the last handle's flush.
    #[inline]
    pub(crate) fn adds(&self) -> bool {
        self.timing.is_some() || self.check.is_some()
    }

    /// Whether how the execution ends is wanted.
    #[inline]
    pub(crate) fn tracks(&self) -> bool {
        self.outcome || self.check.is_some()
    }

    /// What ending now, as `ended` says, adds.
    pub(crate) fn close(&self, ended: Ended) -> Closing {
        let timing = self
            .timing
            .as_ref()
            .map(|(name, started)| (name.name(), started.elapsed()));
        let check = self
            .check
            .as_ref()
            .map(|name| check(&name.name(), ended.outcome, ended.text));
        let mut tags = Vec::new();
        if self.outcome {
            tags.push(Cow::Borrowed(ended.outcome.tag()));
        }
        tags.extend(ended.tag.map(Cow::Owned));
        Closing {
            timing,
            check,
            tags,
        }
    }
}

/// The service check of an execution named `name` that ended with
/// `outcome`: `OK`, or `CRITICAL` with `text` or else how it ended.
pub(crate) fn check(name: &str, outcome: Outcome, text: Option<String>) -> Notice {
    let status = if outcome.is_ok() {
        Status::Ok
    } else {
        Status::Critical
    };
    let mut check = ServiceCheck::new(name, status);
    check.message = outcome
        .fallback_text()
        .map(|fallback| text.unwrap_or_else(|| fallback.to_owned()));
    Notice::Check(Box::new(check))
}

impl Closing {
    /// Writes the duration and the check into `store`: the check whatever
    /// the bound, so that an execution that filled its store still says how
    /// it ended. A refused duration comes back, to be reported once no lock
    /// is held.
    pub(crate) fn write(
        &mut self,
        store: &mut Store,
        on_error: &Option<ErrorHandler>,
    ) -> Option<Rejected> {
        store.notices.extend(self.check.take());
        let (name, elapsed) = self.timing.take()?;
        let kept = store.accept(Kind::Timing, &name, &(), Sample::elapsed(elapsed));
        refused(kept, &name, on_error).err()
    }

    /// The tags as the flush takes them.
    pub(crate) fn tag_texts(&self) -> Vec<&str> {
        self.tags.iter().map(|tag| &**tag).collect()
    }
}

/// Sends `store`, the series of an execution that built no collector, with
/// its closing written in, its base tags and the tags of the collectors
/// around it.
pub(crate) fn send_store(
    store: &mut Store,
    mut closing: Closing,
    (client, on_error): (Option<&std::sync::Arc<Client>>, &Option<ErrorHandler>),
    base_tags: &[String],
    enclosing: &Enclosing,
) {
    if let Some(rejected) = closing.write(store, on_error) {
        rejected.report();
    }
    let extra = closing.tag_texts();
    let tags = LineTags {
        base: base_tags,
        extra: &extra,
        enclosing,
    };
    let contents = Contents {
        series: &store.series,
        notices: &store.notices,
        dropped: store.dropped,
    };
    flush_series(client, &tags, on_error.as_ref(), &contents);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_has_its_status_and_message() {
        let check = |outcome, text: Option<&str>| match check("job", outcome, text.map(Into::into))
        {
            Notice::Check(check) => (check.status, check.message),
            Notice::Event(_) => unreachable!(),
        };
        assert_eq!(check(Outcome::Ok, Some("x")), (Status::Ok, None));
        let boom = Some("boom".to_owned());
        assert_eq!(
            check(Outcome::Error, Some("boom")),
            (Status::Critical, boom)
        );
        let default = Some("returned an error".to_owned());
        assert_eq!(check(Outcome::Error, None), (Status::Critical, default));
        let panicked = Some("panicked".to_owned());
        assert_eq!(check(Outcome::Panic, None), (Status::Critical, panicked));
        let cancelled = Some("cancelled".to_owned());
        assert_eq!(
            check(Outcome::Cancelled, None),
            (Status::Critical, cancelled)
        );
    }

    #[test]
    fn the_closing_tags_are_the_outcome_then_the_ends_own() {
        let plan: Plan = Plan {
            outcome: true,
            ..Plan::default()
        };
        let ended = Ended {
            outcome: Outcome::Error,
            text: None,
            tag: Some("status:500".to_owned()),
        };
        assert_eq!(
            plan.close(ended).tag_texts(),
            ["outcome:error", "status:500"]
        );
        let quiet = Plan::<Name>::default().close(Ended::with(Outcome::Panic));
        assert!(quiet.tag_texts().is_empty() && quiet.check.is_none());
    }
}
