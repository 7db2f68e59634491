//! Where the attributes of a parameter go when it is moved into the body.
//!
//! The rebinding `let` is the parameter inside the call, so whatever decides
//! whether the parameter exists goes with it: `#[cfg(...)]`, and a
//! `#[cfg_attr(...)]` that expands to one, is put on both, and a parameter
//! that the configuration removes takes its rebinding with it.
//!
//! The lints about a binding (`unused_variables`, `unused_mut`,
//! `non_snake_case`, ...) fire on the rebinding, where the user's pattern
//! now is; a lint about the parameter's type still fires on the parameter.
//! `allow`, `warn`, `deny` and `forbid` are therefore put on both, and apply
//! to each part as they did to the whole. An `#[expect(...)]` must be met
//! exactly once, by what the plain parameter would have triggered: it goes
//! on the rebinding, and the parameter has an `#[allow(...)]` of the same
//! lints instead, so that it neither fires them (the binding's lints, which
//! the `let` fires too) nor goes unfulfilled itself.
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
    let path = meta.path();
    let is_list = matches!(meta, Meta::List(_));
    // A malformed lint attribute (`#[allow]`) is left to the compiler,
    // once, on the parameter.
    let is_lint = is_list && LINT_LEVELS.iter().any(|level| path.is_ident(level));
    if path.is_ident("cfg") || is_lint {
        return (Some(meta.clone()), Some(meta.clone()));
    }
    if is_list && path.is_ident("expect") {
        let Meta::List(list) = meta else {
            unreachable!("checked to be a list")
        };
        let span = syn::spanned::Spanned::span(path);
        let allow = Meta::List(syn::MetaList {
            path: syn::Ident::new("allow", span).into(),
            ..list.clone()
        });
        return (Some(allow), Some(meta.clone()));
    }
    if path.is_ident("cfg_attr") {
        if let Some((predicate, inner)) = cfg_attr(meta) {
            let (mut param, mut rebinding) = (Vec::new(), Vec::new());
            for meta in &inner {
                let (p, r) = split(meta);
                param.extend(p);
                rebinding.extend(r);
            }
            let rebuild = |inner: Vec<Meta>| {
                (!inner.is_empty()).then(|| {
                    let Meta::List(list) = meta else {
                        unreachable!("cfg_attr is a list")
                    };
                    Meta::List(syn::MetaList {
                        tokens: quote!(#predicate, #(#inner),*),
                        ..list.clone()
                    })
                })
            };
            // An empty `cfg_attr(p,)` stays as written, for the compiler to
            // judge.
            if param.is_empty() && rebinding.is_empty() {
                return (Some(meta.clone()), None);
            }
            return (rebuild(param), rebuild(rebinding));
        }
    }
    (Some(meta.clone()), None)
}

/// The predicate and the attributes of `cfg_attr(predicate, attr, ...)`;
/// `None` when it is malformed, so that it stays on the parameter, where
/// the compiler reports it as it would on the plain function.
fn cfg_attr(meta: &Meta) -> Option<(Meta, Punctuated<Meta, Token![,]>)> {
    let Meta::List(list) = meta else {
        return None;
    };
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
    fn a_malformed_lint_attribute_stays_on_the_parameter() {
        for attrs in [quote!(#[allow]), quote!(#[expect = "unused"])] {
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
