//! Free text (a check's message, an event's title and text) made safe for
//! one line: a line break is written as the two characters `\n`, as the
//! agent reads it back, any other control character as a space, and a check's message writes `|`, which would end
//! its field, as `¦`. Text that does not fit is cut at a character
//! boundary, never inside a character or an escape.

/// How a piece of free text is written.
#[derive(Clone, Copy)]
pub(crate) enum Escape {
    /// An event's title or text: the `_e{..}` lengths delimit it, so `|`
    /// stays as it is.
    Delimited,
    /// A service check's message, the last field of its line, which ends at
    /// the next `|`.
    Field,
}

impl Escape {
    /// What `c` is written as, when not itself.
    fn replacement(self, c: char) -> Option<&'static str> {
        match (self, c) {
            (_, '\n') => Some("\\n"),
            (Escape::Field, '|') => Some("\u{a6}"),
            // Any other control character (a NUL, a tab, a carriage
            // return, an escape sequence's ESC) becomes a space: an agent
            // or a log viewer may stop at it or act on it.
            (_, c) if c.is_control() => Some(" "),
            _ => None,
        }
    }

    /// The bytes `text` takes as written.
    pub(crate) fn len(self, text: &str) -> usize {
        text.chars()
            .map(|c| self.replacement(c).map_or(c.len_utf8(), str::len))
            .sum()
    }

    /// How many bytes of `text`, as written, fit in `budget`, cut at a
    /// character (never inside one or inside an escape).
    pub(crate) fn fit(self, text: &str, budget: usize) -> usize {
        let mut used = 0;
        for c in text.chars() {
            let len = self.replacement(c).map_or(c.len_utf8(), str::len);
            if used + len > budget {
                break;
            }
            used += len;
        }
        used
    }

    /// Appends as much of `text`, as written, as fits in `budget` bytes;
    /// returns how many bytes it appended.
    pub(crate) fn push(self, out: &mut String, text: &str, budget: usize) -> usize {
        let start = out.len();
        for c in text.chars() {
            let (piece, len) = match self.replacement(c) {
                Some(piece) => (piece, piece.len()),
                None => ("", c.len_utf8()),
            };
            if out.len() - start + len > budget {
                break;
            }
            if piece.is_empty() {
                out.push(c);
            } else {
                out.push_str(piece);
            }
        }
        out.len() - start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(escape: Escape, text: &str, budget: usize) -> String {
        let mut out = String::new();
        let n = escape.push(&mut out, text, budget);
        assert_eq!(n, out.len());
        out
    }

    #[test]
    fn other_control_characters_become_spaces() {
        for escape in [Escape::Delimited, Escape::Field] {
            let text = "a\0b\tc\r\nd\u{1b}[31m";
            assert_eq!(written(escape, text, 100), "a b c \\nd [31m");
            assert_eq!(escape.len(text), 14);
        }
    }

    #[test]
    fn line_breaks_become_backslash_n_and_a_fields_bar_a_broken_bar() {
        assert_eq!(written(Escape::Delimited, "a\nb|c", 99), "a\\nb|c");
        assert_eq!(written(Escape::Field, "a\nb|c", 99), "a\\nb\u{a6}c");
        assert_eq!(Escape::Delimited.len("a\nb|c"), 6);
        assert_eq!(Escape::Field.len("a\nb|c"), 7);
        assert_eq!(Escape::Field.fit("a\nb|c", 4), 4);
        assert_eq!(Escape::Field.fit("a\nb|c", 5), 4);
    }

    #[test]
    fn a_cut_never_splits_a_character_or_an_escape() {
        assert_eq!(written(Escape::Delimited, "ab\ncd", 3), "ab");
        assert_eq!(written(Escape::Delimited, "ab\ncd", 4), "ab\\n");
        // "é" is two bytes: one byte of room is no room for it.
        assert_eq!(written(Escape::Delimited, "aéb", 2), "a");
        assert_eq!(written(Escape::Delimited, "aéb", 3), "aé");
        assert_eq!(written(Escape::Field, "|", 1), "");
    }
}
