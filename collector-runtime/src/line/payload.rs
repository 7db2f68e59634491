//! Packing lines into payloads and handing each payload to the sink.
//!
//! Lines are written straight into one buffer, joined by `\n`; when the next
//! line would make it longer than the client's payload, what came before is
//! handed to the sink whole. A line is never split, and a line longer than a
//! payload is handed over alone. Every failure (an error or a panic of the
//! sink) is contained, counted and reported with the lines it cost.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{report, Error, ErrorHandler};
use crate::send::client::Client;

/// Lines of one flush on their way to one client.
pub(crate) struct Payload<'c> {
    client: &'c Client,
    /// The most bytes of lines handed over at once: one less than the
    /// client's payload, leaving room for the newline a buffered cadence
    /// sink puts after what it is given.
    limit: usize,
    buf: String,
    /// Whole lines in `buf`.
    lines: usize,
    /// Of those, the lines counted in `sent` (series, not the dropped count).
    counted: usize,
    on_error: Option<&'c ErrorHandler>,
    /// Lines the sink took without error.
    pub(crate) sent: usize,
    /// Failed hand-overs and sink flushes, each reported.
    pub(crate) errors: usize,
}

impl<'c> Payload<'c> {
    pub(crate) fn new(client: &'c Client, on_error: Option<&'c ErrorHandler>) -> Self {
        let limit = client.max_payload().saturating_sub(1).max(1);
        let mut buf = SPARE_BUFFER
            .try_with(|spare| spare.take())
            .unwrap_or_default();
        buf.clear();
        buf.reserve(limit.min(65_536) + 256);
        Payload {
            client,
            limit,
            buf,
            lines: 0,
            counted: 0,
            on_error,
            sent: 0,
            errors: 0,
        }
    }

    /// Writes one line with `write`, then hands over what is full. `counts`
    /// says whether the line is one of the series counted in `sent`.
    #[inline]
    pub(crate) fn line(&mut self, counts: bool, write: impl FnOnce(&mut String)) {
        let counts = usize::from(counts);
        let start = if self.buf.is_empty() {
            0
        } else {
            self.buf.push('\n');
            self.buf.len()
        };
        write(&mut self.buf);
        if self.buf.len() <= self.limit {
            self.lines += 1;
            self.counted += counts;
            return;
        }
        if self.lines > 0 {
            // The new line does not fit: send the lines before it.
            self.hand_over(start - 1, self.lines, self.counted);
            self.buf.drain(..start);
        }
        self.lines = 1;
        self.counted = counts;
        if self.buf.len() > self.limit {
            // Longer than a payload on its own: sent alone.
            self.hand_over(self.buf.len(), 1, counts);
            self.buf.clear();
            self.lines = 0;
            self.counted = 0;
        }
    }

    /// Hands `buf[..end]`, holding `lines` lines (`counted` of them series),
    /// to the sink.
    fn hand_over(&mut self, end: usize, lines: usize, counted: usize) {
        let payload = &self.buf[..end];
        let client = self.client;
        match catch_unwind(AssertUnwindSafe(|| client.emit(payload))) {
            Ok(Ok(_)) => self.sent += counted,
            Ok(Err(source)) => {
                self.errors += 1;
                let error = Error::Send {
                    name: first_name(payload).to_owned(),
                    lines,
                    source: source.into(),
                };
                report(self.on_error, error);
            }
            Err(_) => {
                self.errors += 1;
                let name = Some(first_name(payload).to_owned());
                report(self.on_error, Error::SinkPanicked { name });
            }
        }
    }

    /// Hands over the last lines, then flushes the sink, so that a buffered
    /// sink puts every byte on the wire before this returns.
    pub(crate) fn finish(mut self) -> (usize, usize) {
        if self.lines > 0 {
            self.hand_over(self.buf.len(), self.lines, self.counted);
        }
        let client = self.client;
        match catch_unwind(AssertUnwindSafe(|| client.flush_sink())) {
            Ok(Ok(())) => {}
            Ok(Err(source)) => {
                self.errors += 1;
                report(self.on_error, Error::Flush(source.into()));
            }
            Err(_) => {
                self.errors += 1;
                report(self.on_error, Error::SinkPanicked { name: None });
            }
        }
        let buf = std::mem::take(&mut self.buf);
        if buf.capacity() <= MAX_SPARE_BUFFER {
            let _ = SPARE_BUFFER.try_with(|spare| spare.set(buf));
        }
        (self.sent, self.errors)
    }
}

/// A payload buffer larger than this is freed after its flush rather than
/// kept for the thread's next one.
const MAX_SPARE_BUFFER: usize = 64 * 1024;

thread_local! {
    /// The last flush's buffer on this thread, so that a flush per call
    /// (an annotated function) does not allocate one every time.
    static SPARE_BUFFER: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
}

/// The metric name of a payload's first line, for error reports.
fn first_name(payload: &str) -> &str {
    payload.split([':', '\n']).next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cadence::SpyMetricSink;

    fn pack(payload: usize, lines: &[&str]) -> Vec<String> {
        let (received, sink) = SpyMetricSink::new();
        let client = Client::new(sink).payload_size(payload);
        let mut packer = Payload::new(&client, None);
        for line in lines {
            packer.line(true, |out| out.push_str(line));
        }
        assert_eq!(packer.finish(), (lines.len(), 0));
        received
            .try_iter()
            .map(|d| String::from_utf8(d).unwrap())
            .collect()
    }

    #[test]
    fn whole_lines_are_packed_up_to_the_payload() {
        // 11 bytes of payload: 10 of lines and the sink's newline.
        let sent = pack(11, &["a:1|c", "b:2|c", "c:3|c", "dddd:4|c"]);
        assert_eq!(sent, ["a:1|c", "b:2|c", "c:3|c", "dddd:4|c"]);
        let sent = pack(12, &["a:1|c", "b:2|c", "c:3|c", "dddd:4|c"]);
        assert_eq!(sent, ["a:1|c\nb:2|c", "c:3|c", "dddd:4|c"]);
        let sent = pack(1432, &["a:1|c", "b:2|c", "c:3|c"]);
        assert_eq!(sent, ["a:1|c\nb:2|c\nc:3|c"]);
    }

    #[test]
    fn a_line_longer_than_a_payload_goes_alone_and_in_order() {
        let long = "x".repeat(30);
        let sent = pack(12, &["a:1|c", &long, "b:2|c"]);
        assert_eq!(sent, ["a:1|c", long.as_str(), "b:2|c"]);
        let sent = pack(12, &[&long]);
        assert_eq!(sent, [long.as_str()]);
    }

    #[test]
    fn a_payload_of_one_hands_every_line_over_alone() {
        let sent = pack(1, &["a:1|c", "b:2|c"]);
        assert_eq!(sent, ["a:1|c", "b:2|c"]);
    }

    #[test]
    fn the_first_name_is_what_comes_before_the_value() {
        assert_eq!(first_name("app.q:1|c\nr:2|c"), "app.q");
        assert_eq!(first_name(""), "");
    }
}
