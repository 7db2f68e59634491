//! The tags a line carries beside its series' own, kept by an aggregator
//! for each distinct set: what, with the series, makes a context.
//!
//! A flush's line writer resolves them (the client's, the collector's and
//! the call's base tags, sorted; the enclosing collectors' tags, sorted);
//! two flushes whose resolved tags are equal write one series' line alike,
//! so they share a context. They are compared as text, never by hash alone.

use crate::errors::handler::ErrorHandler;
use crate::input::hash::{fold, hash_bytes};

/// A hash of resolved tags: the base tags, then a mark, then the enclosing
/// collectors' tags. Equal tags give equal hashes in every table of the
/// process (the seed is the process's).
pub(crate) fn hash_context_tags(seed: u64, base: &[&str], inherited: &[&str]) -> u64 {
    let mut hash = seed;
    for tag in base {
        hash = hash_bytes(hash, tag.as_bytes());
    }
    hash = fold(hash ^ 0xA5A5_A5A5, seed | 1);
    for tag in inherited {
        hash = hash_bytes(hash, tag.as_bytes());
    }
    hash
}

/// One set of resolved tags, owned by a table.
pub(crate) struct ContextTags {
    pub(crate) base: Vec<String>,
    pub(crate) inherited: Vec<String>,
    pub(crate) hash: u64,
    /// The table's previous set with the same hash, if any.
    pub(crate) next: Option<u32>,
    /// Where a failure to send its lines is reported: the error handler of
    /// the collector whose flush brought the set first (none: the global
    /// one).
    pub(crate) on_error: Option<ErrorHandler>,
}

impl ContextTags {
    pub(crate) fn new(
        base: &[&str],
        inherited: &[&str],
        hash: u64,
        on_error: Option<&ErrorHandler>,
    ) -> ContextTags {
        ContextTags {
            base: base.iter().map(|tag| (*tag).to_owned()).collect(),
            inherited: inherited.iter().map(|tag| (*tag).to_owned()).collect(),
            hash,
            next: None,
            on_error: on_error.cloned(),
        }
    }

    /// Whether these are exactly `base` and `inherited`.
    pub(crate) fn is(&self, base: &[&str], inherited: &[&str]) -> bool {
        fn same(held: &[String], other: &[&str]) -> bool {
            held.len() == other.len() && held.iter().zip(other).all(|(a, b)| a == b)
        }
        same(&self.base, base) && same(&self.inherited, inherited)
    }

    /// The tags as the line writer takes them.
    pub(crate) fn as_strs(&self) -> (Vec<&str>, Vec<&str>) {
        (
            self.base.iter().map(String::as_str).collect(),
            self.inherited.iter().map(String::as_str).collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_a_tag_sits_counts_and_equal_sets_compare_equal() {
        let base_only = hash_context_tags(7, &["a:1", "b:2"], &[]);
        let split = hash_context_tags(7, &["a:1"], &["b:2"]);
        assert_ne!(base_only, split);
        assert_eq!(base_only, hash_context_tags(7, &["a:1", "b:2"], &[]));
        let held = ContextTags::new(&["a:1", "b:2"], &[], base_only, None);
        assert!(held.is(&["a:1", "b:2"], &[]));
        assert!(!held.is(&["a:1"], &["b:2"]));
        assert!(!held.is(&["a:1", "b:3"], &[]));
    }
}
