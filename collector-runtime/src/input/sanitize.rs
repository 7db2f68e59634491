//! The character rules that keep caller input from breaking a datagram.
//!
//! They follow the official Datadog clients: in a tag, every character that
//! is not a letter, a digit (Unicode ones included), `_`, `-`, `:`, `/` or `.`
//! becomes `_`. A name follows the same rule without `:`, since `:` ends the
//! name in `name:value|type`. So `|`, `,`, `#`, `@`, spaces and line breaks
//! never reach the wire, and input can never add a metric or a tag. A tag
//! with an empty key (`:v`, or the pair `("", "v")`) has its leading `:`
//! replaced by `_` too: `#:v` would be a tag with no name.

use std::borrow::Cow;

use crate::input::tags::TagRef;

/// Which rule a piece of text is cleaned by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    Tag,
    Name,
}

/// Which bytes are kept as they are: ASCII ones only (a byte of a
/// multi-byte character is never clean on its own), all 256 entries so that
/// a lookup by byte needs no bounds check.
const fn ascii_table(colon: bool) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || c == b'_'
            || c == b'-'
            || c == b'/'
            || c == b'.'
            || (colon && c == b':');
        b += 1;
    }
    table
}

static TAG_ASCII: [bool; 256] = ascii_table(true);
static NAME_ASCII: [bool; 256] = ascii_table(false);

impl Rule {
    fn ascii(self) -> &'static [bool; 256] {
        match self {
            Rule::Tag => &TAG_ASCII,
            Rule::Name => &NAME_ASCII,
        }
    }

    /// Whether `c` is kept as it is.
    pub(crate) fn allows(self, c: char) -> bool {
        match u8::try_from(c) {
            Ok(b) if b < 128 => self.ascii()[b as usize],
            _ => c.is_alphanumeric(),
        }
    }

    /// Whether `s` is kept byte for byte: the common case, checked without
    /// decoding characters.
    #[inline]
    pub(crate) fn is_clean(self, s: &str) -> bool {
        let table = self.ascii();
        s.bytes().all(|b| table[usize::from(b)])
    }

    /// The character `c` becomes.
    #[inline]
    pub(crate) fn map(self, c: char) -> char {
        if self.allows(c) {
            c
        } else {
            '_'
        }
    }

    pub(crate) fn push_clean(self, s: &str, out: &mut String) {
        if self.is_clean(s) {
            out.push_str(s);
        } else {
            out.extend(s.chars().map(|c| self.map(c)));
        }
    }

    pub(crate) fn clean(self, s: &str) -> Cow<'_, str> {
        if self.is_clean(s) {
            Cow::Borrowed(s)
        } else {
            Cow::Owned(s.chars().map(|c| self.map(c)).collect())
        }
    }
}

/// A tag as it is sent: every character other than a letter, a digit, `_`,
/// `-`, `:`, `/` or `.` replaced by `_`, and a leading `:` (an empty key)
/// replaced by `_` too.
///
/// ```
/// use collector_runtime::tags::sanitize_tag;
///
/// assert_eq!(sanitize_tag("a:b|c"), "a:b_c");
/// assert_eq!(sanitize_tag("x,y:z"), "x_y:z");
/// assert_eq!(sanitize_tag("k:v|#evil:1"), "k:v__evil:1");
/// assert_eq!(sanitize_tag("city:Zürich"), "city:Zürich");
/// assert_eq!(sanitize_tag(":v"), "_v");
/// ```
pub fn sanitize_tag(tag: &str) -> Cow<'_, str> {
    with_a_key(Rule::Tag.clean(tag))
}

/// Whether `tag` (clean by [`Rule::Tag`]) has a key: a tag starting with
/// `:` has none.
#[inline]
pub(crate) fn has_key(tag: &str) -> bool {
    !tag.starts_with(':')
}

/// `tag`, cleaned by [`Rule::Tag`], with a leading `:` (an empty key)
/// replaced by `_`.
pub(crate) fn with_a_key(tag: Cow<'_, str>) -> Cow<'_, str> {
    if has_key(&tag) {
        return tag;
    }
    let mut owned = tag.into_owned();
    owned.replace_range(..1, "_");
    Cow::Owned(owned)
}

/// A metric name as it is sent: the tag rule, with `:` replaced too.
///
/// ```
/// use collector_runtime::tags::sanitize_name;
///
/// assert_eq!(sanitize_name("db.query"), "db.query");
/// assert_eq!(sanitize_name("a:1|c\nb"), "a_1_c_b");
/// ```
pub fn sanitize_name(name: &str) -> Cow<'_, str> {
    Rule::Name.clean(name)
}

/// Whether a name can be sent: it must keep at least one letter or digit.
pub(crate) fn is_usable_name(name: &str) -> bool {
    name.chars().any(char::is_alphanumeric)
}

/// A tag as sent, or `None` for an empty one.
pub(crate) fn clean_tag(tag: TagRef<'_>) -> Option<String> {
    let mut text = String::new();
    let (joint, [first, second]) = tag.parts();
    Rule::Tag.push_clean(first, &mut text);
    text.push_str(joint);
    Rule::Tag.push_clean(second, &mut text);
    (!text.is_empty()).then(|| with_a_key(Cow::Owned(text)).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_line_breaks_become_underscores() {
        assert_eq!(sanitize_tag("n:l\ninj:1|c"), "n:l_inj:1_c");
        assert_eq!(sanitize_tag("a b@c#d,e"), "a_b_c_d_e");
        assert_eq!(sanitize_name("x:y|z@w#\r\n"), "x_y_z_w___");
    }

    #[test]
    fn unicode_letters_and_digits_are_kept_and_others_replaced() {
        assert_eq!(sanitize_tag("名前:値٣"), "名前:値٣");
        assert_eq!(sanitize_tag("emoji:🙂"), "emoji:_");
        assert!(matches!(sanitize_tag("plain:tag"), Cow::Borrowed(_)));
        assert_eq!(sanitize_tag("::v"), "_:v");
        assert_eq!(clean_tag(TagRef::Pair("", "v")).as_deref(), Some("_v"));
        assert_eq!(clean_tag(TagRef::Pair("k", ":v")).as_deref(), Some("k::v"));
    }

    #[test]
    fn usable_names_need_a_letter_or_digit() {
        assert!(is_usable_name("a"));
        assert!(is_usable_name("é"));
        assert!(!is_usable_name(""));
        assert!(!is_usable_name("._-"));
    }
}
