//! The base tags of the collectors an execution runs inside, which its lines
//! carry too: a handler's series sliced by the request's route, a nested
//! job's by the cron run's job tag.
//!
//! Held as shared slices of the enclosing collectors' own tag lists (an
//! `Arc` clone each, no string copied), innermost first, so that a nearer
//! collector's tag wins over a farther one's with the same key. An
//! execution with nothing around it holds an empty list, which allocates
//! nothing.

use std::sync::Arc;

/// The base tags of the enclosing collectors, innermost first.
#[derive(Clone, Default)]
pub(crate) struct Enclosing {
    /// Each set: a collector's key base and how many of its first tags are
    /// its base tags (the rest are its client's, which are not inherited).
    sets: Vec<(Arc<[String]>, usize)>,
}

impl Enclosing {
    /// No enclosing collector.
    pub(crate) const NONE: Enclosing = Enclosing { sets: Vec::new() };

    /// Adds the first `len` tags of `tags`, as farther out than those added
    /// before.
    pub(crate) fn push(&mut self, tags: &Arc<[String]>, len: usize) {
        if len > 0 {
            self.sets.push((Arc::clone(tags), len.min(tags.len())));
        }
    }

    /// Adds every set of `other`, as farther out than those added before.
    pub(crate) fn extend(&mut self, other: &Enclosing) {
        self.sets.extend(other.sets.iter().cloned());
    }

    /// Whether no tag is inherited.
    pub(crate) fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    /// Every inherited tag, innermost first (repeats possible).
    pub(crate) fn tags(&self) -> impl Iterator<Item = &str> {
        self.sets
            .iter()
            .flat_map(|(tags, len)| tags[..*len].iter().map(String::as_str))
    }
}

/// The key of a tag: the text before its first `:`, or the whole tag when it
/// has none. Two tags with one key clash: the execution's own wins.
#[inline]
pub(crate) fn tag_key(tag: &str) -> &str {
    tag.split_once(':').map_or(tag, |(key, _)| key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_base_tags_are_kept_innermost_first() {
        let inner: Arc<[String]> = Arc::from(vec!["route:/a".to_owned(), "env:ci".to_owned()]);
        let outer: Arc<[String]> = Arc::from(vec!["job:nightly".to_owned()]);
        let mut enclosing = Enclosing::default();
        enclosing.push(&inner, 1);
        enclosing.push(&outer, 1);
        enclosing.push(&outer, 0);
        assert_eq!(
            enclosing.tags().collect::<Vec<_>>(),
            ["route:/a", "job:nightly"]
        );
    }

    #[test]
    fn a_key_is_what_comes_before_the_first_colon() {
        assert_eq!(tag_key("route:/users/:id"), "route");
        assert_eq!(tag_key("urgent"), "urgent");
        assert_eq!(tag_key(":x"), "");
    }
}
