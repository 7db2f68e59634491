//! A fast keyed hash over text *as it will be sent*, i.e. after the
//! sanitizing rules.
//!
//! Series are looked up on every record, so the hash must be cheap for the
//! short ASCII strings metric names and tags are made of (a few word loads)
//! and must not allocate. It is keyed with a per-process random seed so that
//! tag values taken from user input cannot be chosen to collide.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::ops::{BitOr, Shl};
use std::sync::atomic::{AtomicU64, Ordering};

const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;
const FINISH: u64 = 0xD6E8_FEB8_6659_FD93;

/// Multiplies into 128 bits and folds the halves: one multiply mixes all bits.
#[inline]
pub(crate) fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// The process's random hash key: read on every record, so a plain atomic
/// load once set (zero means "not drawn yet"; the key is odd, never zero).
#[inline]
pub(crate) fn seed() -> u64 {
    static SEED: AtomicU64 = AtomicU64::new(0);
    match SEED.load(Ordering::Relaxed) {
        0 => draw_seed(&SEED),
        seed => seed,
    }
}

#[cold]
fn draw_seed(slot: &AtomicU64) -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x5EED);
    let drawn = hasher.finish() | 1;
    // The first key drawn wins, so every thread hashes alike.
    match slot.compare_exchange(0, drawn, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => drawn,
        Err(first) => first,
    }
}

const SECOND: u64 = 0xA076_1D64_78BD_642F;

#[inline(always)]
fn read8(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

#[inline(always)]
fn read4(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u64::from(u32::from_le_bytes(word))
}

#[inline(always)]
fn read2(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 2];
    word.copy_from_slice(&bytes[at..at + 2]);
    u64::from(u16::from_le_bytes(word))
}

/// Up to 7 bytes as the low bytes of a word (little-endian, zero above),
/// never a byte loop: two overlapping loads of 4 bytes (4 to 7) or of 2
/// (2 and 3), one byte, or none. Short tests rather than a jump table.
#[inline(always)]
fn read_short(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    if len >= 4 {
        read4(bytes, 0) | read4(bytes, len - 4) << (8 * (len - 4))
    } else if len >= 2 {
        read2(bytes, 0) | read2(bytes, len - 2) << (8 * (len - 2))
    } else if len == 1 {
        u64::from(bytes[0])
    } else {
        0
    }
}

/// A keyed hash of a byte stream fed in pieces: the stream is cut into
/// 8-byte words wherever the pieces' boundaries fall, so `"db:main"` fed
/// whole and `"db"`, `":"`, `"main"` fed one after the other hash alike.
/// That is what lets a `(key, value)` pair be hashed as its text `key:value`
/// without being joined. One multiply per 8 bytes, and one to finish; the
/// running state carries the key, so input chosen without it cannot aim at
/// a collision.
pub(crate) struct WordHash {
    key: u64,
    state: u64,
    /// Bytes waiting for their word to fill, in its low `filled` bytes.
    pending: u64,
    filled: usize,
    len: usize,
}

impl WordHash {
    #[inline(always)]
    pub(crate) fn new(key: u64) -> WordHash {
        WordHash {
            key,
            state: key,
            pending: 0,
            filled: 0,
            len: 0,
        }
    }

    #[inline(always)]
    fn absorb(&mut self, word: u64) {
        self.state = fold(word ^ self.state ^ SECOND, self.key ^ MULTIPLIER);
    }

    /// Feeds the next piece of the stream.
    #[inline(always)]
    pub(crate) fn write(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len();
        if self.filled > 0 {
            let room = 8 - self.filled;
            if bytes.len() < room {
                self.pending |= read_short(bytes) << (8 * self.filled);
                self.filled += bytes.len();
                return;
            }
            let (head, rest) = bytes.split_at(room);
            let word = self.pending | read_short(head) << (8 * self.filled);
            self.absorb(word);
            bytes = rest;
        }
        while bytes.len() >= 8 {
            self.absorb(read8(bytes, 0));
            bytes = &bytes[8..];
        }
        self.pending = read_short(bytes);
        self.filled = bytes.len();
    }

    /// Feeds one byte.
    #[inline(always)]
    pub(crate) fn write_byte(&mut self, byte: u8) {
        self.write(std::slice::from_ref(&byte));
    }

    #[inline(always)]
    pub(crate) fn finish(self) -> u64 {
        fold(
            self.pending ^ self.state ^ FINISH,
            (self.len as u64) ^ self.key ^ MULTIPLIER,
        )
    }
}

/// The keyed hash of `bytes` in one piece.
#[inline(always)]
pub(crate) fn hash_bytes(key: u64, bytes: &[u8]) -> u64 {
    let mut hash = WordHash::new(key);
    hash.write(bytes);
    hash.finish()
}

/// Up to 16 bytes as the low bytes of a 128-bit word.
#[inline(always)]
fn read_short16(bytes: &[u8]) -> u128 {
    let len = bytes.len();
    if len >= 8 {
        u128::from(read8(bytes, 0)) | u128::from(read8(bytes, len - 8)) << (8 * (len - 8))
    } else {
        u128::from(read_short(bytes))
    }
}

/// A word a short text is read into: `u64` for up to 8 bytes, `u128` for
/// up to 16.
trait Word: Copy + From<u8> + Shl<usize, Output = Self> + BitOr<Output = Self> {
    /// Up to the word's size in bytes, as its low bytes (zero above).
    fn read(bytes: &[u8]) -> Self;
}

impl Word for u64 {
    #[inline(always)]
    fn read(bytes: &[u8]) -> u64 {
        read_short(bytes)
    }
}

impl Word for u128 {
    #[inline(always)]
    fn read(bytes: &[u8]) -> u128 {
        read_short16(bytes)
    }
}

/// A `(key, value)` pair's text `key:value`, no longer than `W`, as one
/// word (little-endian, zero above), put together in registers.
#[inline(always)]
fn pair_text<W: Word>(key: &[u8], value: &[u8]) -> W {
    // The text fits the word, so no shift reaches its width.
    let text = W::read(key) | W::from(b':') << (8 * key.len());
    match value.len() {
        0 => text,
        _ => text | W::read(value) << (8 * (key.len() + 1)),
    }
}

/// The text `key:value` as one word, when it is at most 8 bytes.
#[inline(always)]
pub(crate) fn short_pair_word(key: &[u8], value: &[u8]) -> Option<u64> {
    (key.len() + 1 + value.len() <= 8).then(|| pair_text(key, value))
}

/// The hash of a text of `len` bytes, at most 8, given as one word.
#[inline(always)]
pub(crate) fn hash_word(seed: u64, word: u64, len: usize) -> u64 {
    let mut hash = WordHash::new(seed);
    hash.len = len;
    if len < 8 {
        hash.pending = word;
    } else {
        hash.absorb(word);
    }
    hash.finish()
}

/// Up to 8 bytes as one word.
#[inline(always)]
pub(crate) fn read_word(bytes: &[u8]) -> u64 {
    match bytes.len() {
        8 => read8(bytes, 0),
        _ => read_short(bytes),
    }
}

/// The hash of a `(key, value)` tag pair: the hash of its text `key:value`.
/// Pairs up to 16 bytes, the common case, are put together in registers as
/// the words the stream would cut, with no copy to memory.
#[inline(always)]
pub(crate) fn pair_hash(seed: u64, key: &[u8], value: &[u8]) -> u64 {
    let total = key.len() + 1 + value.len();
    if total <= 8 {
        return hash_word(seed, pair_text(key, value), total);
    }
    let mut hash = WordHash::new(seed);
    if total <= 16 {
        let text = pair_text::<u128>(key, value);
        hash.len = total;
        hash.absorb(text as u64);
        let high = (text >> 64) as u64;
        if total == 16 {
            hash.absorb(high);
        } else {
            hash.pending = high;
        }
    } else {
        hash.write(key);
        hash.write_byte(b':');
        hash.write(value);
    }
    hash.finish()
}

/// Whether `text` is the pair's text `key:value`, compared as one 128-bit
/// word up to 16 bytes.
#[inline(always)]
pub(crate) fn pair_eq(text: &[u8], key: &[u8], value: &[u8]) -> bool {
    let total = key.len() + 1 + value.len();
    if text.len() != total {
        return false;
    }
    if total <= 16 {
        read_short16(text) == pair_text::<u128>(key, value)
    } else {
        let (stored_key, rest) = text.split_at(key.len());
        stored_key == key && rest[0] == b':' && &rest[1..] == value
    }
}

/// Whether two byte strings are equal, with the same overlapping loads as
/// [`hash_bytes`] for short ones instead of a call to `memcmp`.
#[inline(always)]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    if len > 16 {
        return a == b;
    }
    if len >= 8 {
        read8(a, 0) == read8(b, 0) && read8(a, len - 8) == read8(b, len - 8)
    } else {
        read_short(a) == read_short(b)
    }
}

/// A series' hash: its name's (keyed by the metric type) and the sum of its
/// distinct tags' hashes, so the tags' order does not count.
#[inline]
pub(crate) fn key_hash(name: u64, tag_sum: u64) -> u64 {
    fold(name ^ tag_sum.rotate_left(29), FINISH ^ MULTIPLIER)
}

/// The key a name of metric type `kind` (its discriminant) is hashed with.
#[inline]
pub(crate) fn name_key(seed: u64, kind: u64) -> u64 {
    seed ^ (kind + 1).wrapping_mul(MULTIPLIER)
}

/// A `Hasher` that passes a `u64` through and folds bytes in: the facade's
/// handle cache hashes `metrics` keys with it.
#[cfg(feature = "metrics")]
#[derive(Default)]
pub(crate) struct PassThrough(u64);

#[cfg(feature = "metrics")]
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

    #[test]
    fn every_length_class_hashes_its_whole_content() {
        // Short, word-sized and strided inputs: changing any one byte, or
        // the length, changes the hash.
        for len in 0..70usize {
            let base: Vec<u8> = (0..len as u8).map(|b| b'a' + b % 26).collect();
            let hash = hash_bytes(7, &base);
            for at in 0..len {
                let mut other = base.clone();
                other[at] ^= 0x20;
                assert_ne!(hash, hash_bytes(7, &other), "len {len}, byte {at}");
            }
            let mut longer = base.clone();
            longer.push(0);
            assert_ne!(hash, hash_bytes(7, &longer), "len {len}");
        }
    }

    #[test]
    fn length_and_content_both_count() {
        assert_ne!(hash_bytes(7, b"a"), hash_bytes(7, b"a\0"));
        assert_ne!(hash_bytes(7, b"ab"), hash_bytes(7, b"ba"));
        assert_ne!(hash_bytes(7, b""), hash_bytes(7, b"\0"));
    }

    #[test]
    fn short_equality_compares_every_byte() {
        for len in 0..40usize {
            let base: Vec<u8> = (0..len as u8).collect();
            assert!(bytes_eq(&base, &base.clone()));
            for at in 0..len {
                let mut other = base.clone();
                other[at] ^= 1;
                assert!(!bytes_eq(&base, &other), "len {len}, byte {at}");
            }
            assert!(!bytes_eq(&base, &base[..len.saturating_sub(1)]) || len == 0);
        }
    }

    #[test]
    fn a_stream_hashes_alike_however_it_is_cut() {
        let text: Vec<u8> = (0..40u8).map(|b| b'a' + b % 26).collect();
        for len in 0..text.len() {
            let whole = hash_bytes(7, &text[..len]);
            for cut in 0..=len {
                for second in cut..=len {
                    let mut pieces = WordHash::new(7);
                    pieces.write(&text[..cut]);
                    pieces.write(&text[cut..second]);
                    pieces.write(&text[second..len]);
                    assert_eq!(pieces.finish(), whole, "len {len}, cuts {cut} {second}");
                }
            }
        }
    }

    /// Every `(key, value)` split of every length through the three word
    /// classes (one word, two, the stream), with bytes that differ from each
    /// other, and the text it makes.
    fn every_pair(mut check: impl FnMut(&[u8], &[u8], &[u8])) {
        let bytes: Vec<u8> = (b'a'..=b'z').chain(b'0'..=b'9').collect();
        for key_len in 0..=17 {
            for value_len in 0..=17 {
                let key = &bytes[..key_len];
                let value = &bytes[key_len..key_len + value_len];
                check(key, value, &[key, b":", value].concat());
            }
        }
    }

    #[test]
    fn a_pair_hashes_as_its_text() {
        every_pair(|key, value, text| {
            assert_eq!(pair_hash(7, key, value), hash_bytes(7, text), "{text:?}");
        });
    }

    #[test]
    fn a_pair_equals_its_text_and_nothing_else() {
        every_pair(|key, value, text| {
            assert!(pair_eq(text, key, value));
            for at in 0..text.len() {
                let mut other = text.to_vec();
                other[at] ^= 1;
                assert!(!pair_eq(&other, key, value), "{at} in {text:?}");
            }
            assert!(!pair_eq(&text[..text.len() - 1], key, value));
        });
    }

    #[test]
    fn the_key_changes_the_hash() {
        assert_ne!(hash_bytes(7, b"db:main"), hash_bytes(8, b"db:main"));
        assert_ne!(name_key(7, 0), name_key(7, 1));
    }
}
