//! One event line, fields in the order of Datadog's datagram format:
//! `_e{<title len>,<text len>}:<title>|<text>|d:<ts>|h:<host>|k:<key>|p:<priority>|s:<source>|t:<alert>|#<tags>`,
//! then the client's origin fields. The lengths are the UTF-8 byte lengths
//! of the title and text as sent (line breaks escaped), which is how the
//! agent finds where each ends: a `|` inside them is text.

use crate::errors::error::Error;
use crate::input::event::{AlertType, Event, Priority};
use crate::input::sanitize::Rule;
use crate::line::number::write_i64;
use crate::line::text::Escape;
use crate::line::writer::LineWriter;

/// Appends the line of `event` (no line break), at most `limit` bytes long
/// when its text (and then its title) can be cut to fit; the cut, if any,
/// is returned to be reported.
pub(crate) fn write<'a>(
    out: &mut String,
    writer: &mut LineWriter<'a>,
    event: &'a Event,
    limit: usize,
) -> Option<Error> {
    let mut rest = String::new();
    fields(&mut rest, event);
    writer.write_tags(&mut rest, event.tags.iter().map(String::as_str));
    rest.push_str(writer.origin());

    let escape = Escape::Delimited;
    let (title_len, text_len) = (escape.len(&event.title), escape.len(&event.text));
    let title_text = (&event.title, &event.text);
    // What fits beside a header of `header` bytes: the title first.
    let fit = |header: usize| {
        let fixed = header + 1 + rest.len();
        let title = escape.fit(title_text.0, limit.saturating_sub(fixed));
        let text = escape.fit(title_text.1, limit.saturating_sub(fixed + title));
        (title, text)
    };
    // The header with the full lengths is the longest it can be, so what
    // fits beside it fits; a cut shortens the header, and one more pass
    // gives that room back, unless the lengths it allows are longer again.
    let (mut title_sent, mut text_sent) = fit(header_len(title_len, text_len));
    if (title_sent, text_sent) != (title_len, text_len) {
        let (title, text) = fit(header_len(title_sent, text_sent));
        if header_len(title, text) + 1 + rest.len() + title + text <= limit {
            (title_sent, text_sent) = (title, text);
        }
    }
    let mut title = String::with_capacity(title_sent);
    escape.push(&mut title, &event.title, title_sent);
    let mut text = String::with_capacity(text_sent);
    escape.push(&mut text, &event.text, text_sent);

    out.push_str("_e{");
    write_i64(out, title_sent as i64);
    out.push(',');
    write_i64(out, text_sent as i64);
    out.push_str("}:");
    out.push_str(&title);
    out.push('|');
    out.push_str(&text);
    out.push_str(&rest);

    let cut = |what, len, sent| Error::Cut {
        what,
        name: event.title.clone(),
        len,
        sent,
    };
    if title_sent < title_len {
        Some(cut("event title", title_len, title_sent))
    } else if text_sent < text_len {
        Some(cut("event text", text_len, text_sent))
    } else {
        None
    }
}

/// `_e{` + the two lengths + `,` + `}:`.
fn header_len(title: usize, text: usize) -> usize {
    let digits = |n: usize| n.checked_ilog10().unwrap_or(0) as usize + 1;
    3 + digits(title) + 1 + digits(text) + 2
}

/// The optional fields, each cleaned by the tag rule where it is text.
fn fields(out: &mut String, event: &Event) {
    if let Some(at) = event.timestamp {
        out.push_str("|d:");
        write_i64(out, i64::try_from(at).unwrap_or(i64::MAX));
    }
    let text_fields = [("|h:", &event.hostname), ("|k:", &event.aggregation_key)];
    for (prefix, value) in text_fields {
        if let Some(value) = value {
            out.push_str(prefix);
            Rule::Tag.push_clean(value, out);
        }
    }
    if let Some(priority) = event.priority {
        out.push_str(match priority {
            Priority::Normal => "|p:normal",
            Priority::Low => "|p:low",
        });
    }
    if let Some(source) = &event.source_type {
        out.push_str("|s:");
        Rule::Tag.push_clean(source, out);
    }
    if let Some(alert) = event.alert_type {
        out.push_str(match alert {
            AlertType::Error => "|t:error",
            AlertType::Warning => "|t:warning",
            AlertType::Info => "|t:info",
            AlertType::Success => "|t:success",
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::client::Client;

    fn line(event: &Event, limit: usize) -> (String, Option<Error>) {
        let client = Client::new(cadence::NopMetricSink);
        let base = ["job:x".to_owned()];
        let mut writer = LineWriter::new(&client, &[&base], &[]);
        let mut out = String::new();
        let cut = write(&mut out, &mut writer, event, limit);
        (out, cut)
    }

    #[test]
    fn lengths_are_the_bytes_sent() {
        let event = Event::new("ça|va", "a\nb");
        let (sent, cut) = line(&event, 1431);
        assert_eq!(sent, "_e{6,4}:ça|va|a\\nb|#job:x");
        assert!(cut.is_none());
    }

    #[test]
    fn header_lengths_count_digits() {
        assert_eq!(header_len(0, 0), "_e{0,0}:".len());
        assert_eq!(header_len(10, 9), "_e{10,9}:".len());
        assert_eq!(header_len(100, 1000), "_e{100,1000}:".len());
    }

    #[test]
    fn a_long_text_is_cut_to_the_limit_then_the_title() {
        let event = Event::new("t", "x".repeat(10_000));
        let (sent, cut) = line(&event, 100);
        assert_eq!(sent.len(), 100);
        assert!(matches!(
            cut,
            Some(Error::Cut {
                what: "event text",
                len: 10_000,
                ..
            })
        ));
        let event = Event::new("y".repeat(500), "x");
        let (sent, cut) = line(&event, 100);
        assert!(sent.len() <= 100, "{}", sent.len());
        assert!(sent.contains("}:yyy") && sent.ends_with("|#job:x"));
        assert!(matches!(
            cut,
            Some(Error::Cut {
                what: "event title",
                ..
            })
        ));
    }
}
