//! A `metrics` key's labels read as this crate's tags, in place: each label
//! is a (key, value) pair, under the same sanitising rules as any tag.

use metrics::Label;

use crate::input::tags::{TagRef, Tags};

/// The labels of one `metrics` key, as [`Tags`].
pub(crate) struct Labels<'a>(pub(crate) &'a [Label]);

impl Tags for Labels<'_> {
    #[inline]
    fn tag_count(&self) -> usize {
        self.0.len()
    }

    #[inline]
    fn tag_at(&self, index: usize) -> TagRef<'_> {
        let label = &self.0[index];
        TagRef::Pair(label.key(), label.value())
    }
}
