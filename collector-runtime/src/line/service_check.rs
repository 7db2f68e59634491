//! One service check line, fields in the order of Datadog's datagram
//! format: `_sc|<name>|<status>|d:<ts>|h:<host>|#<tags>|m:<message>`. The
//! message is the last field (the format says so: it is the one field
//! whose text is free), so the client's origin fields go before it.

use crate::errors::error::Error;
use crate::input::check::ServiceCheck;
use crate::input::sanitize::Rule;
use crate::line::number::write_i64;
use crate::line::text::Escape;
use crate::line::writer::LineWriter;

/// Appends the line of `check` (no line break), at most `limit` bytes long
/// when its message can be cut to fit; the cut, if any, is returned to be
/// reported.
pub(crate) fn write<'a>(
    out: &mut String,
    writer: &mut LineWriter<'a>,
    check: &'a ServiceCheck,
    limit: usize,
) -> Option<Error> {
    let start = out.len();
    out.push_str("_sc|");
    Rule::Name.push_clean(&check.name, out);
    out.push('|');
    out.push(char::from(b'0' + check.status as u8));
    if let Some(at) = check.timestamp {
        out.push_str("|d:");
        write_i64(out, i64::try_from(at).unwrap_or(i64::MAX));
    }
    if let Some(host) = &check.hostname {
        out.push_str("|h:");
        Rule::Tag.push_clean(host, out);
    }
    writer.write_tags(out, check.tags.iter().map(String::as_str));
    out.push_str(writer.origin());
    let message = check.message.as_deref()?;
    out.push_str("|m:");
    let budget = limit.saturating_sub(out.len() - start);
    let len = Escape::Field.len(message);
    let sent = Escape::Field.push(out, message, budget);
    (sent < len).then(|| Error::Cut {
        what: "service check message",
        name: check.name.clone(),
        len,
        sent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::check::Status;
    use crate::send::client::Client;
    use std::time::{Duration, UNIX_EPOCH};

    fn line(check: &ServiceCheck, base: &[String], limit: usize) -> (String, Option<Error>) {
        let client = Client::new(cadence::NopMetricSink).tags(&["env:test"]);
        let mut writer = LineWriter::new(&client, &[base], &[]);
        let mut out = String::new();
        let cut = write(&mut out, &mut writer, check, limit);
        (out, cut)
    }

    #[test]
    fn every_field_in_the_formats_order() {
        let check = ServiceCheck::new("jobs.cleanup", Status::Unknown)
            .tags(&["z:1", "a:2"])
            .message("it|broke\nhere")
            .hostname("web 1")
            .timestamp(UNIX_EPOCH + Duration::from_secs(42));
        let (sent, cut) = line(&check, &["job:x".to_owned()], 1431);
        assert_eq!(
            sent,
            "_sc|jobs.cleanup|3|d:42|h:web_1|#a:2,env:test,job:x,z:1|m:it\u{a6}broke\\nhere"
        );
        assert!(cut.is_none());
    }

    #[test]
    fn a_long_message_is_cut_to_the_limit_and_reported() {
        let check = ServiceCheck::new("c", Status::Critical).message("é".repeat(100));
        let (sent, cut) = line(&check, &[], 50);
        assert!(sent.len() <= 50 && sent.len() >= 49, "{sent}");
        assert!(sent.starts_with("_sc|c|2|#env:test|m:é"));
        match cut {
            Some(Error::Cut { len, sent, .. }) => assert_eq!((len, sent), (200, 30)),
            other => panic!("{other:?}"),
        }
    }
}
