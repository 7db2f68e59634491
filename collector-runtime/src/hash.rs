//! A fast keyed hash over text *as it will be sent*, i.e. after the
//! sanitizing rules, computed without building the sanitized string.
//!
//! Series are looked up on every record, so the hash must be cheap for the
//! short ASCII strings metric names and tags are made of (a word at a time)
//! and must not allocate. It is keyed with a per-process random seed so that
//! tag values taken from user input cannot be chosen to collide.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

use crate::sanitize::Rule;

const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;
const FINISH: u64 = 0xD6E8_FEB8_6659_FD93;

/// Multiplies into 128 bits and folds the halves: one multiply mixes all bits.
#[inline]
pub(crate) fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// The process's random hash key.
#[inline]
pub(crate) fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x5EED);
        hasher.finish() | 1
    })
}

/// Streams bytes into 8-byte words.
pub(crate) struct TextHasher {
    acc: u64,
    pending: u64,
    pending_len: u32,
    len: u64,
}

impl TextHasher {
    #[inline]
    pub(crate) fn new(key: u64) -> Self {
        TextHasher {
            acc: key,
            pending: 0,
            pending_len: 0,
            len: 0,
        }
    }

    #[inline]
    fn mix(&mut self, word: u64) {
        self.acc = fold(self.acc ^ word, MULTIPLIER);
    }

    #[inline]
    pub(crate) fn write(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.pending_len > 0 {
            let take = bytes.len().min(8 - self.pending_len as usize);
            for &b in &bytes[..take] {
                self.pending |= u64::from(b) << (8 * self.pending_len);
                self.pending_len += 1;
            }
            bytes = &bytes[take..];
            if self.pending_len < 8 {
                return;
            }
            let word = self.pending;
            self.mix(word);
            self.pending = 0;
            self.pending_len = 0;
        }
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut buf = [0u8; 8];
            buf.copy_from_slice(word);
            self.mix(u64::from_le_bytes(buf));
        }
        for &b in words.remainder() {
            self.pending |= u64::from(b) << (8 * self.pending_len);
            self.pending_len += 1;
        }
    }

    /// Feeds `text` as `rule` will send it. `clean` says the text is kept byte
    /// for byte (see [`Rule::is_clean`]), which skips decoding.
    #[inline]
    pub(crate) fn write_text(&mut self, rule: Rule, text: &str, clean: bool) {
        if clean {
            self.write(text.as_bytes());
        } else {
            let mut buf = [0u8; 4];
            for c in text.chars() {
                self.write(rule.map(c).encode_utf8(&mut buf).as_bytes());
            }
        }
    }

    #[inline]
    pub(crate) fn finish(self) -> u64 {
        fold(self.acc ^ self.pending, FINISH ^ self.len.rotate_left(32))
    }
}

/// A `Hasher` for keys that are already hashes.
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = fold(self.0 ^ u64::from(b), MULTIPLIER);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_in_pieces(pieces: &[&str]) -> u64 {
        let mut hasher = TextHasher::new(7);
        for piece in pieces {
            hasher.write(piece.as_bytes());
        }
        hasher.finish()
    }

    #[test]
    fn how_text_is_split_does_not_change_the_hash() {
        let whole = hash_in_pieces(&["database:replica-01"]);
        assert_eq!(whole, hash_in_pieces(&["database", ":", "replica-01"]));
        assert_eq!(whole, hash_in_pieces(&["d", "atabase:repl", "", "ica-01"]));
    }

    #[test]
    fn sanitized_text_hashes_like_its_clean_form() {
        let mut dirty = TextHasher::new(7);
        dirty.write_text(Rule::Tag, "a:b|c", false);
        let mut clean = TextHasher::new(7);
        clean.write_text(Rule::Tag, "a:b_c", true);
        assert_eq!(dirty.finish(), clean.finish());
    }

    #[test]
    fn length_and_content_both_count() {
        assert_ne!(hash_in_pieces(&["a"]), hash_in_pieces(&["a\0"]));
        assert_ne!(hash_in_pieces(&["ab"]), hash_in_pieces(&["ba"]));
        assert_ne!(hash_in_pieces(&[""]), hash_in_pieces(&["\0"]));
    }
}
