//! Where the attributes of a parameter go when it is moved into the body.
//!
//! The rebinding `let` holds the parameter's bindings inside the call, so
//! whatever decides whether the parameter exists goes with it:
//! `#[cfg(...)]`, and a `#[cfg_attr(...)]` that expands to one, is put on
//! both, and a parameter that the configuration removes takes its rebinding
//! with it.
//!
//! The lints about what the body does with a binding (`unused_variables`,
//! `unused_mut`) fire on the rebinding, which the body uses; the lints about
//! the parameter itself (its type, its pattern's form) still fire on the
//! parameter, and `non_snake_case` fires on both, at the same name.
//! `allow`, `warn`, `deny` and `forbid` are therefore put on both, and apply
//! to each part as they did to the whole. An `#[expect(...)]` must be met,
//! or reported unmet, once, as on the plain parameter: it goes on the
//! rebinding, where the body's use is judged, and the parameter has an
//! `#[allow(...)]` of the same lints in its place, so that a lint that fires
//! on both is silent on the parameter, and no expectation is left on a
//! parameter that its rebinding uses. (A lint that fires only on the
//! parameter, such as `unused_parens` on `a: (String)`, is then allowed
//! there and the expectation reported unmet: such an `expect` belongs on
//! the function.)
//!
//! Anything else stays on the parameter only, where the compiler, or a
//! macro applied after this one, reads it as it would on the plain function.

use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token};

/// A parameter's attributes, sorted.
pub(crate) struct Sorted {
    /// For the parameter, in their order.
    pub(crate) param: Vec<Attribute>,
    /// For its rebinding, in their order.
    pub(crate) rebinding: Vec<Attribute>,
}

/// Sorts `attrs`; a `cfg_attr` that holds attributes of both kinds is split
/// in two, one for each side, under the same predicate.
pub(crate) fn sort(attrs: &[Attribute]) -> Sorted {
    let mut sorted = Sorted {
        param: Vec::new(),
        rebinding: Vec::new(),
    };
    for attr in attrs {
        let (param, rebinding) = split(&attr.meta);
        let with = |meta| Attribute {
            meta,
            ..attr.clone()
        };
        sorted.param.extend(param.map(with));
        sorted.rebinding.extend(rebinding.map(with));
    }
    sorted
}

/// The lint levels that apply as they are on both sides; `expect` is the
/// one that does not.
const LINT_LEVELS: &[&str] = &["allow", "warn", "deny", "forbid"];

/// The part of an attribute's content for the parameter and the part for
/// the rebinding.
fn split(meta: &Meta) -> (Option<Meta>, Option<Meta>) {
    // Not a list (a malformed `#[cfg]` or `#[allow]` among them): for the
    // compiler to judge, once, on the parameter.
    let Meta::List(list) = meta else {
        return (Some(meta.clone()), None);
    };
    let path = &list.path;
    if path.is_ident("cfg") || LINT_LEVELS.iter().any(|level| path.is_ident(level)) {
        return (Some(meta.clone()), Some(meta.clone()));
    }
    if path.is_ident("expect") {
        let allow = syn::Ident::new("allow", syn::spanned::Spanned::span(path));
        let allow = Meta::List(syn::MetaList {
            path: allow.into(),
            ..list.clone()
        });
        return (Some(allow), Some(meta.clone()));
    }
    if path.is_ident("cfg_attr") {
        if let Some((predicate, inner)) = cfg_attr(list) {
            let (mut param, mut rebinding) = (Vec::new(), Vec::new());
            for meta in &inner {
                let (p, r) = split(meta);
                param.extend(p);
                rebinding.extend(r);
            }
            // An empty `cfg_attr(p,)` stays as written, for the compiler to
            // judge.
            if param.is_empty() && rebinding.is_empty() {
                return (Some(meta.clone()), None);
            }
            let rebuild = |inner: Vec<Meta>| {
                (!inner.is_empty()).then(|| {
                    Meta::List(syn::MetaList {
                        tokens: quote!(#predicate, #(#inner),*),
                        ..list.clone()
                    })
                })
            };
            return (rebuild(param), rebuild(rebinding));
        }
    }
    (Some(meta.clone()), None)
}

/// The predicate and the attributes of `cfg_attr(predicate, attr, ...)`;
/// `None` when it is malformed, so that it stays on the parameter, where
/// the compiler reports it as it would on the plain function.
fn cfg_attr(list: &syn::MetaList) -> Option<(Meta, Punctuated<Meta, Token![,]>)> {
    list.parse_args_with(|input: syn::parse::ParseStream<'_>| {
        let predicate: Meta = input.parse()?;
        input.parse::<Token![,]>()?;
        let inner = Punctuated::<Meta, Token![,]>::parse_terminated(input)?;
        Ok((predicate, inner))
    })
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(attrs: proc_macro2::TokenStream) -> (String, String) {
        let syn::FnArg::Typed(param) = syn::parse_quote!(#attrs a: u8) else {
            unreachable!("a typed parameter")
        };
        let sorted = sort(&param.attrs);
        let param = &sorted.param;
        let rebinding = &sorted.rebinding;
        (
            quote!(#(#param)*).to_string(),
            quote!(#(#rebinding)*).to_string(),
        )
    }

    #[test]
    fn cfg_goes_on_both_sides() {
        let (param, rebinding) = sorted(quote!(#[cfg(feature = "x")] #[other]));
        assert_eq!(param, quote!(#[cfg(feature = "x")] #[other]).to_string());
        assert_eq!(rebinding, quote!(#[cfg(feature = "x")]).to_string());
    }

    #[test]
    fn cfg_attr_is_split_under_its_predicate() {
        let (param, rebinding) =
            sorted(quote!(#[cfg_attr(unix, other, cfg(any()), cfg_attr(all(), cfg(x), more))]));
        assert_eq!(
            param,
            quote!(#[cfg_attr(unix, other, cfg(any()), cfg_attr(all(), cfg(x), more))]).to_string()
        );
        assert_eq!(
            rebinding,
            quote!(#[cfg_attr(unix, cfg(any()), cfg_attr(all(), cfg(x)))]).to_string()
        );
    }

    #[test]
    fn lint_levels_go_on_both_sides_and_expect_on_the_rebinding() {
        let (param, rebinding) = sorted(quote! {
            #[allow(unused)] #[warn(unused_mut)] #[deny(non_snake_case)] #[forbid(clippy::x)]
            #[expect(unused_variables, reason = "r")]
        });
        assert_eq!(
            param,
            quote! {
                #[allow(unused)] #[warn(unused_mut)] #[deny(non_snake_case)] #[forbid(clippy::x)]
                #[allow(unused_variables, reason = "r")]
            }
            .to_string()
        );
        assert_eq!(
            rebinding,
            quote! {
                #[allow(unused)] #[warn(unused_mut)] #[deny(non_snake_case)] #[forbid(clippy::x)]
                #[expect(unused_variables, reason = "r")]
            }
            .to_string()
        );
    }

    #[test]
    fn a_cfg_attr_lint_is_split_as_the_lint_is() {
        let (param, rebinding) =
            sorted(quote!(#[cfg_attr(unix, expect(unused), allow(dead_code), other)]));
        assert_eq!(
            param,
            quote!(#[cfg_attr(unix, allow(unused), allow(dead_code), other)]).to_string()
        );
        assert_eq!(
            rebinding,
            quote!(#[cfg_attr(unix, expect(unused), allow(dead_code))]).to_string()
        );
    }

    #[test]
    fn a_malformed_lint_or_cfg_stays_on_the_parameter() {
        for attrs in [
            quote!(#[allow]),
            quote!(#[expect = "unused"]),
            quote!(#[cfg]),
        ] {
            let (param, rebinding) = sorted(attrs.clone());
            assert_eq!(param, attrs.to_string());
            assert_eq!(rebinding, "");
        }
    }

    #[test]
    fn a_malformed_cfg_attr_stays_on_the_parameter() {
        for attrs in [
            quote!(#[cfg_attr(unix)]),
            quote!(#[cfg_attr(unix,)]),
            quote!(#[cfg_attr]),
        ] {
            let (param, rebinding) = sorted(attrs.clone());
            assert_eq!(param, attrs.to_string());
            assert_eq!(rebinding, "");
        }
    }
}
