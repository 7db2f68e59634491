//! A fast keyed hash over text *as it will be sent*, i.e. after the
//! sanitizing rules.
//!
//! Series are looked up on every record, so the hash must be cheap for the
//! short ASCII strings metric names and tags are made of (a few word loads)
//! and must not allocate. It is keyed with a per-process random seed so that
//! tag values taken from user input cannot be chosen to collide.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

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

/// Hashes a short byte string the way the record path needs it: a few loads
/// and two multiplies for the 1 to 16 bytes names and tags mostly are
/// (overlapping reads of the first and last words, as wyhash does), and a
/// 16-byte stride beyond. Both operands of every multiply carry the key, so
/// no input chosen without it can zero a product.
#[inline(always)]
pub(crate) fn hash_bytes(key: u64, bytes: &[u8]) -> u64 {
    let len = bytes.len();
    let mut state = key;
    let (first, last) = if len <= 16 {
        if len >= 8 {
            (read8(bytes, 0), read8(bytes, len - 8))
        } else if len >= 4 {
            (read4(bytes, 0), read4(bytes, len - 4))
        } else if len > 0 {
            let spread = u64::from(bytes[0]) << 16
                | u64::from(bytes[len >> 1]) << 8
                | u64::from(bytes[len - 1]);
            (spread, 0)
        } else {
            (0, 0)
        }
    } else {
        let mut at = 0;
        while len - at > 16 {
            state = fold(
                read8(bytes, at) ^ state ^ SECOND,
                read8(bytes, at + 8) ^ state,
            );
            at += 16;
        }
        (read8(bytes, len - 16), read8(bytes, len - 8))
    };
    let mixed = fold(first ^ key ^ SECOND, last ^ state ^ MULTIPLIER);
    fold(mixed ^ len as u64 ^ key, FINISH)
}

/// A short byte string (up to 8 bytes) as one word, read with overlapping
/// loads as [`hash_bytes`] does; longer ones are hashed.
#[inline(always)]
fn piece(key: u64, bytes: &[u8]) -> u64 {
    let len = bytes.len();
    if len > 16 {
        hash_bytes(key, bytes)
    } else if len > 8 {
        fold(read8(bytes, 0) ^ key, read8(bytes, len - 8) ^ SECOND)
    } else if len >= 4 {
        read4(bytes, 0) | read4(bytes, len - 4) << (8 * (len - 4))
    } else if len > 0 {
        u64::from(bytes[0])
            | u64::from(bytes[len >> 1]) << (8 * (len >> 1))
            | u64::from(bytes[len - 1]) << (8 * (len - 1))
    } else {
        0
    }
}

/// The hash of one tag, `key:value` or a bare value, defined on its two
/// parts (split at the first `:`) so that a `(key, value)` pair hashes as
/// the text `key:value` does without being joined. A pair whose key holds a
/// `:` hashes differently from its text; it then simply finds no series by
/// its hash and takes the sanitizing path, which hashes the text.
#[inline(always)]
pub(crate) fn tag_hash(seed: u64, key: &[u8], value: Option<&[u8]>) -> u64 {
    let value_len = value.map_or(0, |v| v.len() as u64 + 1);
    let lens = (key.len() as u64) << 32 | value_len;
    let first = piece(seed, key) ^ seed ^ SECOND;
    let second = piece(seed ^ MULTIPLIER, value.unwrap_or_default()) ^ lens ^ FINISH;
    fold(first, second.wrapping_mul(MULTIPLIER) ^ seed)
}

/// [`tag_hash`] of a tag's whole text.
#[inline(always)]
pub(crate) fn whole_tag_hash(seed: u64, text: &[u8]) -> u64 {
    match text.iter().position(|&b| b == b':') {
        Some(colon) => tag_hash(seed, &text[..colon], Some(&text[colon + 1..])),
        None => tag_hash(seed, text, None),
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
    } else if len >= 4 {
        read4(a, 0) == read4(b, 0) && read4(a, len - 4) == read4(b, len - 4)
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
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
    fn a_pair_hashes_as_its_text_and_every_part_counts() {
        let texts = [
            "",
            ":",
            "a",
            "a:",
            ":a",
            "ab:c",
            "a:bc",
            "db:main",
            "region:eu-west-1",
            "customer_identifier:0123456789abcdef",
            "k:v:w",
            "a\0:b",
            "a:b\0",
        ];
        let mut seen = std::collections::HashSet::new();
        for text in texts {
            let hash = whole_tag_hash(7, text.as_bytes());
            assert!(seen.insert(hash), "{text:?} collides");
            if let Some((key, value)) = text.split_once(':') {
                let pair = tag_hash(7, key.as_bytes(), Some(value.as_bytes()));
                assert_eq!(pair, hash, "{text:?}");
            }
        }
        // Every byte of either part counts.
        for len in 0..40usize {
            let base: Vec<u8> = (0..len as u8).map(|b| b'a' + b % 26).collect();
            for at in 0..len {
                let mut other = base.clone();
                other[at] ^= 0x20;
                assert_ne!(
                    tag_hash(7, &base, Some(b"v")),
                    tag_hash(7, &other, Some(b"v"))
                );
                assert_ne!(
                    tag_hash(7, b"k", Some(&base)),
                    tag_hash(7, b"k", Some(&other))
                );
            }
        }
    }

    #[test]
    fn the_key_changes_the_hash() {
        assert_ne!(hash_bytes(7, b"db:main"), hash_bytes(8, b"db:main"));
        assert_ne!(name_key(7, 0), name_key(7, 1));
    }
}
