//! The model for service checks and events, beside the series one in
//! [`crate::oracle`]: run them through the real runtime, parse every
//! datagram with the independent parser ([`crate::notices`]) and compare
//! each line with what the documented rules predict.
//!
//! The rules, from the documentation: tags, hostnames, aggregation keys and
//! source types follow the tag rule, a check's name the name rule (one with
//! no letter or digit is refused, and so is an empty title); a title, a
//! text and a message arrive as given, line breaks included, except that a
//! check's message has each `|` as `¦`, and that what does not fit in one
//! payload is cut at a character boundary (and reported). Every line is
//! whole in one datagram of at most 1432 bytes.

use collector_runtime::{
    checks_events::Event, checks_events::ServiceCheck, checks_events::Status, tags::TagRef,
};

use crate::notices::{parse_datagram_any, Sent};
use crate::oracle::{clean_chars, clean_name, TagIn};

/// A service check or an event as a caller builds it.
#[derive(Clone, Debug)]
pub enum NoticeIn {
    /// A service check.
    Check {
        /// Its name.
        name: String,
        /// `0..=3`, taken modulo 4.
        status: u8,
        /// Its own tags.
        tags: Vec<TagIn>,
        /// `m:`.
        message: Option<String>,
        /// `h:`.
        hostname: Option<String>,
    },
    /// An event.
    Event {
        /// Its title.
        title: String,
        /// Its text.
        text: String,
        /// Its own tags.
        tags: Vec<TagIn>,
        /// `h:`.
        hostname: Option<String>,
        /// `k:`.
        aggregation_key: Option<String>,
        /// `s:`.
        source_type: Option<String>,
    },
}

const STATUSES: [Status; 4] = [
    Status::Ok,
    Status::Warning,
    Status::Critical,
    Status::Unknown,
];

/// The expected tag list: the notice's own and the base tags, cleaned,
/// sorted, once each.
fn expected_tags(base: &[TagIn], own: &[TagIn]) -> Vec<String> {
    let mut tags: Vec<String> = base.iter().chain(own).filter_map(TagIn::sent).collect();
    tags.retain(|t| !t.is_empty());
    tags.sort();
    tags.dedup();
    tags
}

/// Whether `sent` is `given` as the rules predict: equal, or (when cut)
/// a prefix of it at a character boundary.
fn same_or_cut(given: &str, sent: &str, cuts: &mut usize) -> bool {
    if given == sent {
        return true;
    }
    *cuts += 1;
    // A cut between the two characters of a written `\n` leaves its `\`.
    given.starts_with(sent)
        || sent
            .strip_suffix('\\')
            .is_some_and(|s| given.starts_with(s))
}

/// Records `notices` into a collector with `base` tags whose client sends
/// 1432-byte payloads, flushes, and checks every line read back.
pub fn check_notices(base: &[TagIn], notices: &[NoticeIn]) -> Result<(), String> {
    let (collector, received, errors) = crate::oracle::checking_collector(base);
    let mut kept = Vec::new();
    for notice in notices {
        match notice {
            NoticeIn::Check {
                name,
                status,
                tags,
                message,
                hostname,
            } => {
                let tags: Vec<TagRef<'_>> = tags.iter().map(TagIn::as_ref).collect();
                let mut check =
                    ServiceCheck::new(name, STATUSES[usize::from(*status % 4)]).tags(&tags);
                if let Some(message) = message {
                    check = check.message(message.as_str());
                }
                if let Some(host) = hostname {
                    check = check.hostname(host);
                }
                collector.service_check(check);
                if clean_name(name).chars().any(char::is_alphanumeric) {
                    kept.push(notice);
                }
            }
            NoticeIn::Event {
                title,
                text,
                tags,
                hostname,
                aggregation_key,
                source_type,
            } => {
                let tags: Vec<TagRef<'_>> = tags.iter().map(TagIn::as_ref).collect();
                let mut event = Event::new(title.as_str(), text.as_str()).tags(&tags);
                if let Some(host) = hostname {
                    event = event.hostname(host);
                }
                if let Some(key) = aggregation_key {
                    event = event.aggregation_key(key);
                }
                if let Some(source) = source_type {
                    event = event.source_type(source);
                }
                collector.event(event);
                if !title.is_empty() {
                    kept.push(notice);
                }
            }
        }
    }
    collector.flush();
    drop(collector);
    collector_runtime::wait_for_delivery();

    let mut got = Vec::new();
    for datagram in received() {
        if datagram.len() > 1432 {
            let head = String::from_utf8_lossy(&datagram[..200]);
            return Err(format!("a datagram of {} bytes: {head}", datagram.len()));
        }
        got.extend(parse_datagram_any(&datagram)?);
    }
    if got.len() != kept.len() {
        return Err(format!(
            "{} lines for {} notices kept: {got:?}",
            got.len(),
            kept.len()
        ));
    }
    let mut cuts = 0;
    for (sent, given) in got.iter().zip(&kept) {
        let fine = match (sent, given) {
            (
                Sent::Check(c),
                NoticeIn::Check {
                    name,
                    status,
                    tags,
                    message,
                    hostname,
                },
            ) => {
                c.name == clean_name(name)
                    && c.status == status % 4
                    && c.tags == expected_tags(base, tags)
                    && c.hostname == hostname.as_deref().map(clean_chars)
                    && match (message, &c.message) {
                        (Some(given), Some(sent)) => {
                            let given = without_controls(given)
                                .replace('|', "\u{a6}")
                                .replace("\\n", "\n");
                            same_or_cut(&given, sent, &mut cuts)
                        }
                        (None, None) => true,
                        _ => false,
                    }
            }
            (
                Sent::Event(e),
                NoticeIn::Event {
                    title,
                    text,
                    tags,
                    hostname,
                    aggregation_key,
                    source_type,
                },
            ) => {
                // A written `\n` reads back as a line break: the agent's
                // rule, which the model follows.
                let (title, text) = (
                    without_controls(title).replace("\\n", "\n"),
                    without_controls(text).replace("\\n", "\n"),
                );
                same_or_cut(&title, &e.title, &mut cuts)
                    && (e.title.len() < title.len() || same_or_cut(&text, &e.text, &mut cuts))
                    && e.tags == expected_tags(base, tags)
                    && e.hostname == hostname.as_deref().map(clean_chars)
                    && e.aggregation_key == aggregation_key.as_deref().map(clean_chars)
                    && e.source_type == source_type.as_deref().map(clean_chars)
            }
            _ => false,
        };
        if !fine {
            return Err(format!("sent {sent:?} for {given:?}"));
        }
    }
    let reported = errors.lock().unwrap().len();
    let refused = notices.len() - kept.len();
    if reported < refused + cuts.min(1) {
        return Err(format!(
            "{reported} errors reported for {refused} refused and {cuts} cut"
        ));
    }
    Ok(())
}

/// A text as the agent reads it back: every control character but a line
/// break arrives as a space (the documented rule for checks' and events'
/// texts).
fn without_controls(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}
