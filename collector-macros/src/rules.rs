//! The character rules for literal tags and names, checked at compile time.
//!
//! They are the rules the runtime sanitizes by (`collector_runtime::
//! sanitize_tag`/`sanitize_name`), so a literal that passes here reaches the
//! wire byte for byte, and one that would be rewritten is refused while the
//! author can still fix it, instead of silently sent as something else.

/// Why a literal tag or name was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Nothing to send.
    Empty,
    /// The first character the runtime would turn into `_`.
    Char(char),
    /// Only punctuation: a name must have a letter or a digit.
    NoAlphanumeric,
}

/// Whether `c` may appear in a tag: letters and digits (Unicode ones
/// included), `_`, `-`, `:`, `/` and `.`, as the official Datadog clients keep.
pub(crate) fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '/' | '.')
}

/// Whether `c` may appear in a metric name: as in a tag, less `:`, which ends
/// the name in `name:value|type`.
pub(crate) fn name_char(c: char) -> bool {
    c != ':' && tag_char(c)
}

/// A literal tag is refused when empty or when a character would be rewritten.
pub(crate) fn check_tag(tag: &str) -> Result<(), Problem> {
    if tag.is_empty() {
        return Err(Problem::Empty);
    }
    match tag.chars().find(|&c| !tag_char(c)) {
        Some(c) => Err(Problem::Char(c)),
        None => Ok(()),
    }
}

/// A literal name is refused when empty, when a character would be
/// rewritten, or when it has no letter or digit (the runtime refuses those).
pub(crate) fn check_name(name: &str) -> Result<(), Problem> {
    if name.is_empty() {
        return Err(Problem::Empty);
    }
    if let Some(c) = name.chars().find(|&c| !name_char(c)) {
        return Err(Problem::Char(c));
    }
    if !name.chars().any(char::is_alphanumeric) {
        return Err(Problem::NoAlphanumeric);
    }
    Ok(())
}

/// What the runtime would make of `text`: each refused character becomes `_`.
/// Shown in error messages as the thing to write instead.
pub(crate) fn cleaned(text: &str, allowed: fn(char) -> bool) -> String {
    text.chars()
        .map(|c| if allowed(c) { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_the_datadog_rule() {
        assert_eq!(check_tag("env:prod"), Ok(()));
        assert_eq!(check_tag("path:/a/b.c-d_e"), Ok(()));
        assert_eq!(check_tag("ville:Zürich"), Ok(()));
        assert_eq!(check_tag("solo"), Ok(()));
        assert_eq!(check_tag(""), Err(Problem::Empty));
        assert_eq!(check_tag("a b"), Err(Problem::Char(' ')));
        assert_eq!(check_tag("a|b"), Err(Problem::Char('|')));
        assert_eq!(check_tag("a,b"), Err(Problem::Char(',')));
        assert_eq!(check_tag("a#b"), Err(Problem::Char('#')));
        assert_eq!(check_tag("a\nb"), Err(Problem::Char('\n')));
    }

    #[test]
    fn names_refuse_the_colon_and_need_a_letter_or_digit() {
        assert_eq!(check_name("jobs.cleanup"), Ok(()));
        assert_eq!(check_name("a-b/c_d"), Ok(()));
        assert_eq!(check_name(""), Err(Problem::Empty));
        assert_eq!(check_name("jobs:cleanup"), Err(Problem::Char(':')));
        assert_eq!(check_name("a b"), Err(Problem::Char(' ')));
        assert_eq!(check_name("._-"), Err(Problem::NoAlphanumeric));
    }

    #[test]
    fn cleaning_matches_the_runtime() {
        assert_eq!(cleaned("a b|c", tag_char), "a_b_c");
        assert_eq!(cleaned("jobs:cleanup", name_char), "jobs_cleanup");
    }
}
