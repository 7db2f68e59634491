//! The attribute's arguments, parsed for their shape only.
//!
//! Parsing is permissive on purpose: every `key`, `key = value` and
//! `key(...)` is accepted here, with its tokens and spans, so that
//! [`crate::validate`] can report every misuse at once, each at its own
//! token, instead of stopping at the first unexpected word.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{token, Expr, Ident, Lit, LitStr, Token};

/// Everything between the attribute's parentheses.
pub(crate) struct Args {
    pub(crate) options: Vec<Arg>,
}

/// One comma-separated option.
pub(crate) struct Arg {
    /// The option's name; keywords such as `crate` are accepted.
    pub(crate) key: Ident,
    pub(crate) value: ArgValue,
}

/// What follows an option's name.
pub(crate) enum ArgValue {
    /// Nothing: `timing`.
    Flag,
    /// `= expr`: `name = "..."`, `client = expr`, `crate = path`.
    Assign(Token![=], Expr),
    /// `tags(...)`, parsed into its entries.
    Tags(token::Paren, Vec<TagEntry>),
    /// `(...)` after any other option: its contents are skipped, and the
    /// parentheses kept to point the refusal at.
    Parens(token::Paren),
}

/// One entry of `tags(...)`.
pub(crate) enum TagEntry {
    /// `"key:value"`: a whole tag.
    Literal(LitStr),
    /// `key = "value"` (or another literal): known at compile time.
    Pair { key: TagKey, value: LitStr },
    /// `key = expr`: formatted with `Display` when the call starts.
    Display { key: TagKey, value: Expr },
}

/// A tag key: an identifier, or a string literal for keys such as
/// `"http.method"` that are not identifiers.
pub(crate) enum TagKey {
    Ident(Ident),
    Lit(LitStr),
}

impl TagKey {
    /// The key as sent.
    pub(crate) fn text(&self) -> String {
        match self {
            TagKey::Ident(ident) => ident.unraw().to_string(),
            TagKey::Lit(lit) => lit.value(),
        }
    }
}

impl quote::ToTokens for TagKey {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            TagKey::Ident(ident) => ident.to_tokens(tokens),
            TagKey::Lit(lit) => lit.to_tokens(tokens),
        }
    }
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let options = Punctuated::<Arg, Token![,]>::parse_terminated(input)?;
        Ok(Args {
            options: options.into_iter().collect(),
        })
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if !input.peek(Ident::peek_any) {
            return Err(input.error(
                "expected an option: `name = \"...\"`, `tags(...)`, `timing`, `outcome`, \
                 `service_check`, `client = ...`, `inherit_tags = false` or `crate = ...`",
            ));
        }
        let key = Ident::parse_any(input)?;
        let value = if input.peek(Token![=]) {
            ArgValue::Assign(input.parse()?, input.parse()?)
        } else if input.peek(token::Paren) {
            let content;
            let paren = syn::parenthesized!(content in input);
            if key == "tags" {
                let entries = Punctuated::<TagEntry, Token![,]>::parse_terminated(&content)?;
                ArgValue::Tags(paren, entries.into_iter().collect())
            } else {
                content.parse::<TokenStream>()?;
                ArgValue::Parens(paren)
            }
        } else {
            ArgValue::Flag
        };
        Ok(Arg { key, value })
    }
}

impl Parse for TagEntry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            if !input.peek(Token![=]) {
                return Ok(TagEntry::Literal(lit));
            }
            TagKey::Lit(lit)
        } else if input.peek(Ident::peek_any) {
            TagKey::Ident(Ident::parse_any(input)?)
        } else {
            return Err(input.error(
                "expected a tag: `\"key:value\"`, `key = \"value\"` or `key = expression`",
            ));
        };
        let eq: Token![=] = input.parse()?;
        if input.is_empty() || input.peek(Token![,]) {
            return Err(syn::Error::new(
                eq.span,
                format_args!(
                    "the tag `{} =` has no value: write `{0} = \"value\"` or `{0} = expression`, \
                     or remove it",
                    key.text()
                ),
            ));
        }
        let value: Expr = input.parse()?;
        Ok(match literal_text(&value) {
            Some(text) => TagEntry::Pair {
                key,
                value: LitStr::new(&text, syn::spanned::Spanned::span(&value)),
            },
            None => TagEntry::Display { key, value },
        })
    }
}

/// The text of a literal value known at compile time (`"eu"`, `3`, `true`,
/// `'x'`), so that it is checked and sent without formatting at run time.
fn literal_text(value: &Expr) -> Option<String> {
    let Expr::Lit(lit) = value else { return None };
    if !lit.attrs.is_empty() {
        return None;
    }
    Some(match &lit.lit {
        Lit::Str(s) => s.value(),
        Lit::Int(i) if i.suffix().is_empty() => i.base10_digits().to_owned(),
        Lit::Bool(b) => b.value.to_string(),
        Lit::Char(c) => c.value().to_string(),
        _ => return None,
    })
}
