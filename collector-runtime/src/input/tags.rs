//! The shapes in which callers hand over tags.
//!
//! Users already hold tags as DogStatsD strings (`&["db:main"]`), as key and
//! value pairs (`&[("db", "main")]`) or as owned strings (`Vec<String>`); all
//! of them are read in place, so recording into an existing series copies and
//! allocates nothing (for text already in its sent form; see
//! [`sanitize_tag`](crate::tags::sanitize_tag)).

use std::borrow::Cow;

/// One tag, borrowed from the caller.
///
/// ```
/// use collector_runtime::{tags::AsTag, tags::TagRef};
///
/// assert_eq!("db:main".as_tag(), TagRef::Whole("db:main"));
/// assert_eq!(("db", "main").as_tag(), TagRef::Pair("db", "main"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagRef<'a> {
    /// A tag in DogStatsD form, `key:value` or a bare value.
    Whole(&'a str),
    /// A key and a value, sent as `key:value`.
    Pair(&'a str, &'a str),
}

impl<'a> TagRef<'a> {
    /// The tag's text pieces: one for a whole tag, key then value for a pair
    /// (the `:` between them is implied).
    pub(crate) fn parts(self) -> (&'static str, [&'a str; 2]) {
        match self {
            TagRef::Whole(tag) => ("", [tag, ""]),
            TagRef::Pair(key, value) => (":", [key, value]),
        }
    }
}

/// Anything that is one tag.
///
/// ```
/// use collector_runtime::{tags::AsTag, tags::TagRef};
///
/// let owned = String::from("region:eu");
/// assert_eq!(owned.as_tag(), TagRef::Whole("region:eu"));
/// ```
pub trait AsTag {
    /// Borrows the tag.
    fn as_tag(&self) -> TagRef<'_>;
}

impl AsTag for TagRef<'_> {
    fn as_tag(&self) -> TagRef<'_> {
        *self
    }
}

impl AsTag for str {
    fn as_tag(&self) -> TagRef<'_> {
        TagRef::Whole(self)
    }
}

impl AsTag for String {
    fn as_tag(&self) -> TagRef<'_> {
        TagRef::Whole(self)
    }
}

impl AsTag for Cow<'_, str> {
    fn as_tag(&self) -> TagRef<'_> {
        TagRef::Whole(self)
    }
}

impl AsTag for Box<str> {
    fn as_tag(&self) -> TagRef<'_> {
        TagRef::Whole(self)
    }
}

impl<T: AsTag + ?Sized> AsTag for &T {
    fn as_tag(&self) -> TagRef<'_> {
        (**self).as_tag()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> AsTag for (K, V) {
    fn as_tag(&self) -> TagRef<'_> {
        TagRef::Pair(self.0.as_ref(), self.1.as_ref())
    }
}

/// A set of tags for one record. Order and repeats do not matter: the same
/// tags in any order, or with a tag given twice, name the same series.
///
/// `()` means no tags.
///
/// ```
/// use collector_runtime::tags::Tags;
///
/// assert_eq!(().tag_count(), 0);
/// assert_eq!((&["a:1", "b:2"]).tag_count(), 2);
/// assert_eq!(vec![("a", "1")].tag_count(), 1);
/// ```
///
/// An empty literal, `&[]` or `[]`, is not enough on its own: arrays of
/// strings and of pairs are both accepted, and an empty one does not say
/// which it is, so the compiler asks for a type ("type annotations
/// needed"). Write `()`, or an empty array whose type is known:
///
/// ```compile_fail
/// collector_runtime::incr("jobs.done", &[]); // type annotations needed
/// ```
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// const NO_TAGS: [&str; 0] = [];
/// collector_runtime::incr("jobs.done", ());
/// collector_runtime::incr("jobs.done", NO_TAGS);
/// collector_runtime::incr("jobs.done", &[] as &[&str]);
/// ```
pub trait Tags {
    /// How many tags there are.
    fn tag_count(&self) -> usize;
    /// The tag at `index`, which is below [`Tags::tag_count`].
    fn tag_at(&self, index: usize) -> TagRef<'_>;
}

impl Tags for () {
    fn tag_count(&self) -> usize {
        0
    }
    fn tag_at(&self, index: usize) -> TagRef<'_> {
        unreachable!("no tag at {index} in an empty tag set")
    }
}

impl<T: AsTag> Tags for [T] {
    #[inline]
    fn tag_count(&self) -> usize {
        self.len()
    }
    #[inline]
    fn tag_at(&self, index: usize) -> TagRef<'_> {
        self[index].as_tag()
    }
}

impl<T: AsTag, const N: usize> Tags for [T; N] {
    #[inline]
    fn tag_count(&self) -> usize {
        N
    }
    #[inline]
    fn tag_at(&self, index: usize) -> TagRef<'_> {
        self[index].as_tag()
    }
}

impl<T: AsTag> Tags for Vec<T> {
    #[inline]
    fn tag_count(&self) -> usize {
        self.len()
    }
    #[inline]
    fn tag_at(&self, index: usize) -> TagRef<'_> {
        self[index].as_tag()
    }
}

impl<X: Tags + ?Sized> Tags for &X {
    #[inline]
    fn tag_count(&self) -> usize {
        (**self).tag_count()
    }
    #[inline]
    fn tag_at(&self, index: usize) -> TagRef<'_> {
        (**self).tag_at(index)
    }
}
