//! Lines on their way to a sink: one flush's lines as a [`Batch`], and the
//! one packing rule ([`Filling::take`]) that puts them into payloads.
//!
//! A flush writes its lines into a batch (no lock held: writing is most of
//! a flush's time), then the batch is packed into the payload being filled,
//! shared by every flush of one client: a line is never split, a payload
//! never grows past its limit, and a line longer than a payload is refused
//! alone (no datagram could carry it: sent, it would fail, and on some
//! sinks take the lines beside it along).

use std::ops::Range;

/// One flush's lines, joined by `\n`, with where each ends.
#[derive(Default)]
pub(crate) struct Batch {
    text: String,
    /// The end of each line in `text`.
    ends: Vec<usize>,
    /// Of the lines, those that are series (not this crate's own counters).
    pub(crate) series: usize,
}

impl Batch {
    /// The batch this thread last used, emptied: a flush per call (an
    /// annotated function) then allocates nothing once warm.
    pub(crate) fn take_spare() -> Batch {
        let mut batch = SPARE_BATCH
            .try_with(|spare| spare.take())
            .unwrap_or_default();
        batch.text.clear();
        batch.ends.clear();
        batch.series = 0;
        batch
    }

    /// Gives the batch back for this thread's next flush, unless it grew
    /// large.
    pub(crate) fn give_back(self) {
        if self.text.capacity() <= MAX_SPARE_BATCH {
            let _ = SPARE_BATCH.try_with(|spare| spare.set(self));
        }
    }

    /// Writes one line with `write`; `series` says whether it is one of the
    /// series a flush reports as sent.
    #[inline]
    pub(crate) fn line(&mut self, series: bool, write: impl FnOnce(&mut String)) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        write(&mut self.text);
        self.ends.push(self.text.len());
        self.series += usize::from(series);
    }

    /// How many lines it holds.
    pub(crate) fn lines(&self) -> usize {
        self.ends.len()
    }

    /// How many bytes its lines take.
    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// How many of its lines are longer than `limit` bytes.
    pub(crate) fn too_long(&self, limit: usize) -> usize {
        self.ranges()
            .filter(|range| too_long(range.len(), limit))
            .count()
    }

    /// The first line longer than `limit` bytes: its name, cut to a
    /// readable length, and its length.
    pub(crate) fn first_too_long(&self, limit: usize) -> Option<(String, usize)> {
        let range = self.ranges().find(|range| too_long(range.len(), limit))?;
        let line = &self.text[range];
        Some((first_name(line).to_owned(), line.len()))
    }

    /// Each line's byte range in `text`.
    fn ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().map(|end| end + 1));
        starts.zip(self.ends.iter().copied()).map(|(s, e)| s..e)
    }
}

/// Whether a line of `len` bytes is refused by payloads of `limit` bytes of
/// lines. A limit of one byte is the documented way to hand every line over
/// alone, so it refuses none.
fn too_long(len: usize, limit: usize) -> bool {
    len > limit && limit > 1
}

/// A batch larger than this is freed after its flush rather than kept for
/// the thread's next one.
const MAX_SPARE_BATCH: usize = 64 * 1024;

thread_local! {
    static SPARE_BATCH: std::cell::Cell<Batch> = std::cell::Cell::new(Batch::default());
}

/// A payload: whole lines joined by `\n`.
#[derive(Default)]
pub(crate) struct Packed {
    pub(crate) text: String,
    pub(crate) lines: usize,
}

/// The payload being filled.
pub(crate) struct Filling {
    pub(crate) payload: Packed,
    /// The most bytes of lines in one payload: one less than the client's
    /// payload, leaving room for the newline a buffered cadence sink puts
    /// after what it is given.
    limit: usize,
}

impl Filling {
    /// An empty payload for a client whose payloads hold `payload_size`
    /// bytes.
    pub(crate) fn new(payload_size: usize) -> Filling {
        Filling {
            payload: Packed::default(),
            limit: Filling::limit_for(payload_size),
        }
    }

    /// The most bytes of lines in one payload of `payload_size` bytes.
    pub(crate) fn limit_for(payload_size: usize) -> usize {
        payload_size.saturating_sub(1).max(1)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.payload.lines == 0
    }

    /// Packs `batch`'s lines, in order, after what is being filled: each
    /// payload that the next line would overflow goes to `full`, whole. A
    /// line longer than a payload is left out (the caller counts it, see
    /// [`Batch::too_long`]).
    #[inline]
    pub(crate) fn take(&mut self, batch: &Batch, full: &mut impl FnMut(Packed)) {
        let joint = usize::from(!self.is_empty());
        if self.payload.text.len() + joint + batch.text.len() <= self.limit {
            // The common case: the whole batch fits.
            if joint == 1 {
                self.payload.text.push('\n');
            }
            self.payload.text.push_str(&batch.text);
            self.payload.lines += batch.lines();
            return;
        }
        for range in batch.ranges() {
            self.push_line(&batch.text[range], full);
        }
    }

    fn push_line(&mut self, line: &str, full: &mut impl FnMut(Packed)) {
        if too_long(line.len(), self.limit) {
            return;
        }
        let joint = usize::from(!self.is_empty());
        if self.payload.text.len() + joint + line.len() > self.limit && !self.is_empty() {
            full(self.seal());
        }
        if !self.is_empty() {
            self.payload.text.push('\n');
        }
        self.payload.text.push_str(line);
        self.payload.lines += 1;
        if self.payload.text.len() > self.limit {
            // A client of one-byte payloads: every line goes alone.
            full(self.seal());
        }
    }

    /// What was filled, leaving it empty.
    pub(crate) fn seal(&mut self) -> Packed {
        let capacity = self.limit.min(65_536) + 1;
        std::mem::replace(
            &mut self.payload,
            Packed {
                text: String::with_capacity(capacity),
                lines: 0,
            },
        )
    }
}

/// The most characters of a name an error report quotes.
const READABLE_NAME: usize = 100;

/// The metric name of a payload's first line, for error reports, cut to
/// [`READABLE_NAME`] characters (a 100 KB name makes no readable message).
pub(crate) fn first_name(payload: &str) -> &str {
    let name = payload.split([':', '\n', '|']).next().unwrap_or_default();
    match name.char_indices().nth(READABLE_NAME) {
        Some((cut, _)) => &name[..cut],
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The payloads `lines`, written as one batch per group, make.
    fn pack(payload: usize, groups: &[&[&str]]) -> Vec<String> {
        let mut sent = Vec::new();
        let mut filling = Filling::new(payload);
        for group in groups {
            let mut batch = Batch::default();
            for line in *group {
                batch.line(true, |out| out.push_str(line));
            }
            filling.take(&batch, &mut |packed: Packed| {
                assert_eq!(packed.lines, packed.text.split('\n').count());
                sent.push(packed.text);
            });
        }
        if !filling.is_empty() {
            sent.push(filling.seal().text);
        }
        sent
    }

    #[test]
    fn whole_lines_are_packed_up_to_the_payload() {
        // 11 bytes of payload: 10 of lines and the sink's newline.
        let lines = ["a:1|c", "b:2|c", "c:3|c", "dddd:4|c"];
        assert_eq!(pack(11, &[&lines]), lines);
        let sent = pack(12, &[&lines]);
        assert_eq!(sent, ["a:1|c\nb:2|c", "c:3|c", "dddd:4|c"]);
        let sent = pack(1432, &[&["a:1|c", "b:2|c", "c:3|c"]]);
        assert_eq!(sent, ["a:1|c\nb:2|c\nc:3|c"]);
    }

    #[test]
    fn batches_of_several_flushes_share_payloads_in_order() {
        let sent = pack(1432, &[&["a:1|c"], &["b:2|c", "c:3|c"], &["d:4|c"]]);
        assert_eq!(sent, ["a:1|c\nb:2|c\nc:3|c\nd:4|c"]);
        // A batch that does not fit is packed line by line after the rest.
        let sent = pack(18, &[&["a:1|c", "b:2|c"], &["c:3|c", "d:4|c"]]);
        assert_eq!(sent, ["a:1|c\nb:2|c\nc:3|c", "d:4|c"]);
    }

    #[test]
    fn a_line_longer_than_a_payload_is_left_out_alone() {
        let long = "x".repeat(30);
        let sent = pack(12, &[&["a:1|c", &long, "b:2|c"]]);
        assert_eq!(sent, ["a:1|c\nb:2|c"]);
        assert!(pack(12, &[&[&long]]).is_empty());
        let sent = pack(12, &[&["a:1|c"], &[&long], &["b:2|c"]]);
        assert_eq!(sent, ["a:1|c\nb:2|c"]);
        let mut batch = Batch::default();
        for line in ["a:1|c", &format!("{long}:1|c"), &long] {
            batch.line(true, |out| out.push_str(line));
        }
        assert_eq!(batch.too_long(11), 2);
        assert_eq!(batch.first_too_long(11), Some((long.clone(), 34)));
    }

    #[test]
    fn a_payload_of_one_hands_every_line_over_alone() {
        assert_eq!(pack(1, &[&["a:1|c", "b:2|c"]]), ["a:1|c", "b:2|c"]);
    }

    #[test]
    fn a_batch_knows_its_lines_and_series() {
        let mut batch = Batch::default();
        batch.line(true, |out| out.push_str("a:1|c"));
        batch.line(false, |out| out.push_str("collector.x:1|c"));
        assert_eq!((batch.lines(), batch.series, batch.len()), (2, 1, 21));
        let ranges: Vec<_> = batch.ranges().collect();
        assert_eq!(ranges, [0..5, 6..21]);
    }

    #[test]
    fn the_first_name_is_what_comes_before_the_value() {
        assert_eq!(first_name("app.q:1|c\nr:2|c"), "app.q");
        assert_eq!(first_name(""), "");
        let long = "n".repeat(100_000);
        assert_eq!(first_name(&format!("{long}:1|c")).len(), READABLE_NAME);
        assert_eq!(first_name("é".repeat(101).as_str()), "é".repeat(100));
    }
}
