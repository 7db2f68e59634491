//! Service checks and events as a DogStatsD server reads them, written from
//! Datadog's datagram format, independently of the crate under test:
//!
//! - `_sc|<name>|<status>|d:<ts>|h:<host>|#<tags>|m:<message>`, the
//!   message last (the origin fields `c:`, `e:`, `card:` go before it);
//! - `_e{<title len>,<text len>}:<title>|<text>|d:..|h:..|k:..|p:..|s:..|t:..|#<tags>`,
//!   the lengths in UTF-8 bytes; a `\n` written in the title or text is a
//!   line break (the agent's rule).

use crate::{parse_line, Line};

/// A service check, as read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Check {
    /// The check's name.
    pub name: String,
    /// `0` OK, `1` WARNING, `2` CRITICAL, `3` UNKNOWN.
    pub status: u8,
    /// `d:`, seconds since the Unix epoch.
    pub timestamp: Option<u64>,
    /// `h:`.
    pub hostname: Option<String>,
    /// `#`, in the order sent.
    pub tags: Vec<String>,
    /// `m:`, with `\\n` read as a line break.
    pub message: Option<String>,
    /// `c:`, the container ID.
    pub container: Option<String>,
}

/// An event, as read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event {
    /// The title, `\\n` read as a line break.
    pub title: String,
    /// The text, `\\n` read as a line break.
    pub text: String,
    /// `d:`.
    pub timestamp: Option<u64>,
    /// `h:`.
    pub hostname: Option<String>,
    /// `k:`.
    pub aggregation_key: Option<String>,
    /// `p:`: `normal` or `low`.
    pub priority: Option<String>,
    /// `s:`.
    pub source_type: Option<String>,
    /// `t:`: `error`, `warning`, `info` or `success`.
    pub alert_type: Option<String>,
    /// `#`, in the order sent.
    pub tags: Vec<String>,
    /// `c:`, the container ID.
    pub container: Option<String>,
}

/// Any line of a DogStatsD datagram.
#[derive(Clone, Debug, PartialEq)]
pub enum Sent {
    /// `name:value|type...`.
    Metric(Line),
    /// `_sc|...`.
    Check(Check),
    /// `_e{..}:...`.
    Event(Event),
}

/// Parses a metric, service check or event line.
pub fn parse_any(line: &str) -> Result<Sent, String> {
    if line.starts_with("_sc|") {
        parse_check(line).map(Sent::Check)
    } else if line.starts_with("_e{") {
        parse_event(line).map(Sent::Event)
    } else {
        parse_line(line).map(Sent::Metric)
    }
}

/// Parses every line of a datagram, of any kind.
pub fn parse_datagram_any(datagram: &[u8]) -> Result<Vec<Sent>, String> {
    let text = std::str::from_utf8(datagram).map_err(|e| format!("not UTF-8: {e}"))?;
    text.split('\n')
        .filter(|line| !line.is_empty())
        .map(parse_any)
        .collect()
}

fn tag_list(field: &str, line: &str) -> Result<Vec<String>, String> {
    field
        .split(',')
        .map(|tag| {
            if tag.is_empty() || tag.contains(['|', '#', ' ']) {
                Err(format!("bad tag {tag:?}: {line:?}"))
            } else {
                Ok(tag.to_owned())
            }
        })
        .collect()
}

/// Parses `_sc|name|status|...`.
pub fn parse_check(line: &str) -> Result<Check, String> {
    let bad = |why: &str| Err(format!("{why}: {line:?}"));
    if line.contains('\n') {
        return bad("line break inside a line");
    }
    let mut fields = line["_sc|".len()..].split('|');
    let name = fields.next().unwrap_or_default();
    if name.is_empty() {
        return bad("no name");
    }
    let status = match fields.next() {
        Some(s @ ("0" | "1" | "2" | "3")) => s.parse().unwrap(),
        _ => return bad("status is not 0..3"),
    };
    let mut check = Check {
        name: name.to_owned(),
        status,
        ..Check::default()
    };
    let mut last_rank = 0;
    for field in fields {
        if check.message.is_some() {
            return bad("a field after the message, which must be last");
        }
        let rank = match field {
            f if f.starts_with("d:") => 1,
            f if f.starts_with("h:") => 2,
            f if f.starts_with('#') => 3,
            f if f.starts_with("c:") => 4,
            f if f.starts_with("e:") || f.starts_with("card:") => 5,
            f if f.starts_with("m:") => 6,
            _ => return bad("unknown field"),
        };
        if rank <= last_rank {
            return bad("fields out of order or repeated");
        }
        last_rank = rank;
        match rank {
            1 => match field[2..].parse() {
                Ok(ts) => check.timestamp = Some(ts),
                Err(_) => return bad("timestamp is not a number"),
            },
            2 => check.hostname = Some(field[2..].to_owned()),
            3 => check.tags = tag_list(&field[1..], line)?,
            4 => check.container = Some(field[2..].to_owned()),
            6 => check.message = Some(field[2..].replace("\\n", "\n")),
            _ => {}
        }
    }
    Ok(check)
}

/// Parses `_e{title len,text len}:title|text|...`, cutting the title and
/// the text by their byte lengths.
pub fn parse_event(line: &str) -> Result<Event, String> {
    let bad = |why: &str| Err(format!("{why}: {line:?}"));
    if line.contains('\n') {
        return bad("line break inside a line");
    }
    let Some((lengths, rest)) = line["_e{".len()..].split_once("}:") else {
        return bad("no `}:` after the lengths");
    };
    let Some((title_len, text_len)) = lengths.split_once(',') else {
        return bad("no `,` between the lengths");
    };
    let (Ok(title_len), Ok(text_len)) = (title_len.parse::<usize>(), text_len.parse::<usize>())
    else {
        return bad("a length is not a number");
    };
    let (Some(title), Some(after)) = (rest.get(..title_len), rest.get(title_len..)) else {
        return bad("the title length does not fall on a character of the line");
    };
    if title.is_empty() {
        return bad("empty title");
    }
    let Some(after) = after.strip_prefix('|') else {
        return bad("the title is not followed by `|`");
    };
    let (Some(text), Some(rest)) = (after.get(..text_len), after.get(text_len..)) else {
        return bad("the text length does not fall on a character of the line");
    };
    let mut event = Event {
        title: title.replace("\\n", "\n"),
        text: text.replace("\\n", "\n"),
        ..Event::default()
    };
    if rest.is_empty() {
        return Ok(event);
    }
    let Some(rest) = rest.strip_prefix('|') else {
        return bad("the text is not followed by `|` or the end of the line");
    };
    let mut last_rank = 0;
    for field in rest.split('|') {
        let rank = match field {
            f if f.starts_with("d:") => 1,
            f if f.starts_with("h:") => 2,
            f if f.starts_with("k:") => 3,
            f if f.starts_with("p:") => 4,
            f if f.starts_with("s:") => 5,
            f if f.starts_with("t:") => 6,
            f if f.starts_with('#') => 7,
            f if f.starts_with("c:") => 8,
            f if f.starts_with("e:") || f.starts_with("card:") => 9,
            _ => return bad("unknown field"),
        };
        if rank <= last_rank {
            return bad("fields out of order or repeated");
        }
        last_rank = rank;
        let value = || field[2..].to_owned();
        match rank {
            1 => match field[2..].parse() {
                Ok(ts) => event.timestamp = Some(ts),
                Err(_) => return bad("timestamp is not a number"),
            },
            2 => event.hostname = Some(value()),
            3 => event.aggregation_key = Some(value()),
            4 if ["normal", "low"].contains(&&field[2..]) => event.priority = Some(value()),
            5 => event.source_type = Some(value()),
            6 if ["error", "warning", "info", "success"].contains(&&field[2..]) => {
                event.alert_type = Some(value())
            }
            4 | 6 => return bad("unknown priority or alert type"),
            7 => event.tags = tag_list(&field[1..], line)?,
            8 => event.container = Some(value()),
            _ => {}
        }
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_field_of_a_check() {
        let check = parse_check("_sc|a.b|2|d:7|h:web|#x:1,y|c:abc|m:it broke\\nthere").unwrap();
        assert_eq!(check.name, "a.b");
        assert_eq!(check.status, 2);
        assert_eq!(check.timestamp, Some(7));
        assert_eq!(check.hostname.as_deref(), Some("web"));
        assert_eq!(check.tags, ["x:1", "y"]);
        assert_eq!(check.container.as_deref(), Some("abc"));
        assert_eq!(check.message.as_deref(), Some("it broke\nthere"));
    }

    #[test]
    fn reads_an_event_by_its_byte_lengths() {
        let event = parse_event("_e{4,6}:a|é|b|c\\nd|d:1|p:low|t:error|#k:v").unwrap();
        assert_eq!(
            (event.title.as_str(), event.text.as_str()),
            ("a|é", "b|c\nd")
        );
        assert_eq!(event.priority.as_deref(), Some("low"));
        assert_eq!(event.tags, ["k:v"]);
    }

    #[test]
    fn refuses_what_a_server_would_refuse() {
        for bad in [
            "_sc|a|4",
            "_sc||0",
            "_sc|a|0|m:x|#t",
            "_sc|a|0|#t|d:1",
            "_e{2,1}:a|b",
            "_e{1,5}:a|b",
            "_e{1,1}:a|b|#",
            "_e{1,1}:a|b|z:1",
            "_e{0,1}:|b",
            "_e{1,0}:é|",
        ] {
            assert!(parse_any(bad).is_err(), "{bad}");
        }
    }
}
