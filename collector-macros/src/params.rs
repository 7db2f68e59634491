//! The parameters, as the call takes them over: those that own a value are
//! moved into the body, so that they drop inside the call, before the flush.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{FnArg, Pat, Signature, Type};

use crate::body::local;
use crate::param_attrs;

/// The parameters, as the call takes them over.
pub(crate) struct Params {
    /// A `let` for each parameter that owns a value, so that it drops at the
    /// end of the body, inside the call, instead of after the flush.
    pub(crate) rebind: TokenStream,
    /// The method takes `self` by value, which cannot be rebound.
    pub(crate) self_by_value: bool,
}

/// Finds the parameters to move into the body, and moves them.
///
/// `x: T` becomes `let x = x;` at the top of the body, with the `mut` of
/// `mut x: T` moved from the signature to the `let` (the parameter itself is
/// only ever moved out of). A parameter that destructures, `(a, mut b): T`,
/// is given a name of the expansion's own in the signature and is matched
/// against its own pattern in the body, `let (a, mut b) = arg;`: the pattern
/// is then the user's, whole, so its binding modes and the edition's rules
/// for them (`mut` under an implicit borrow) are decided as in the plain
/// function, and so are their errors. The rebinding carries its parameter's
/// `#[cfg]`, so that it goes when the parameter does, and its lint
/// attributes, which apply to the binding there (`param_attrs` says how).
///
/// A parameter of reference type drops nothing and is not rebound, nor is
/// one whose pattern moves nothing out of the argument (`_`, `ref x`). A
/// parameter that the options use (`client = client`, `tags(user = id)`)
/// stays where it is, whole: the option, evaluated when the call starts,
/// may have moved it.
pub(crate) fn params(sig: &mut Signature, mentioned: &[String]) -> Params {
    let mut rebind = TokenStream::new();
    let mut self_by_value = false;
    for (index, input) in sig.inputs.iter_mut().enumerate() {
        let typed = match input {
            FnArg::Receiver(receiver) => {
                self_by_value = !is_reference(&receiver.ty);
                continue;
            }
            FnArg::Typed(typed) => typed,
        };
        if !moves_in(typed, mentioned) {
            continue;
        }
        let attrs = param_attrs::sort(&typed.attrs);
        typed.attrs = attrs.param;
        let on_let = &attrs.rebinding;
        match &mut *typed.pat {
            Pat::Ident(ident) if ident.subpat.is_none() => {
                // At the top of a parameter the default binding mode is
                // always "move", so `mut` means the same on the `let`.
                let mutability = ident.mutability.take();
                let name = &ident.ident;
                rebind.extend(quote!(#(#on_let)* let #mutability #name = #name;));
            }
            pat => {
                // Located at the type: an error about the pattern then
                // points at the pattern, and at the type it is matched
                // against, as on the plain function.
                let mut arg = local(&format!("arg{index}"));
                arg.set_span(arg.span().located_at(typed.ty.span()));
                let named = Pat::Ident(syn::PatIdent {
                    attrs: Vec::new(),
                    by_ref: None,
                    mutability: None,
                    ident: arg.clone(),
                    subpat: None,
                });
                let pat = std::mem::replace(pat, named);
                rebind.extend(quote!(#(#on_let)* let #pat = #arg;));
            }
        }
    }
    Params {
        rebind,
        self_by_value,
    }
}

/// Whether moving the parameter into the body moves anything: it is not a
/// reference, its pattern binds something by value, and no option uses it.
fn moves_in(typed: &syn::PatType, mentioned: &[String]) -> bool {
    if is_reference(&typed.ty) {
        return false;
    }
    let mut bindings = Bindings::default();
    bindings.visit_pat_mut(&mut typed.pat.as_ref().clone());
    bindings.by_value && !bindings.names.iter().any(|name| mentioned.contains(name))
}

fn is_reference(ty: &Type) -> bool {
    match ty {
        Type::Reference(_) => true,
        Type::Paren(inner) => is_reference(&inner.elem),
        Type::Group(inner) => is_reference(&inner.elem),
        _ => false,
    }
}

/// The names a pattern binds, and whether any is bound by value. (A unit
/// struct or a constant in a pattern reads as a binding too: it is then
/// rebound for nothing, which changes nothing.)
#[derive(Default)]
struct Bindings {
    names: Vec<String>,
    by_value: bool,
}

impl VisitMut for Bindings {
    fn visit_pat_ident_mut(&mut self, pat: &mut syn::PatIdent) {
        self.names.push(pat.ident.to_string());
        self.by_value |= pat.by_ref.is_none();
        visit_mut::visit_pat_ident_mut(self, pat);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    #[test]
    fn owned_parameters_are_rebound() {
        let mut sig: Signature = syn::parse_quote! {
            fn f(&self, a: String, mut b: Vec<u8>, c: &str, (d, mut e): (u8, u8), _: u8, f: impl Into<u8>)
        };
        let taken = params(&mut sig, &[]);
        assert!(!taken.self_by_value);
        assert_eq!(
            taken.rebind.to_string(),
            quote!(let a = a; let mut b = b; let (d, mut e) = __collect_metrics_arg4; let f = f;)
                .to_string()
        );
        assert_eq!(
            sig.to_token_stream().to_string(),
            quote!(fn f(&self, a: String, b: Vec<u8>, c: &str, __collect_metrics_arg4: (u8, u8), _: u8, f: impl Into<u8>))
                .to_string()
        );
        let mut by_value: Signature = syn::parse_quote!(fn g(mut self: Box<Self>));
        assert!(params(&mut by_value, &[]).self_by_value);
    }

    #[test]
    fn what_moves_nothing_or_an_option_uses_is_left_alone() {
        let unchanged = quote! {
            fn f((mut a, b): &(u8, u8), ref c: String, _: String, (d, ref e): (u8, String), client: Client)
        };
        let mut sig: Signature = syn::parse2(unchanged.clone()).unwrap();
        let taken = params(&mut sig, &["d".to_owned(), "client".to_owned()]);
        assert!(taken.rebind.is_empty());
        assert_eq!(sig.to_token_stream().to_string(), unchanged.to_string());
    }

    #[test]
    fn a_rebinding_has_its_parameters_cfg_and_lints() {
        let mut sig: Signature = syn::parse_quote! {
            fn f(#[cfg(unix)] a: String, #[expect(unused)] #[other] (b, c): (u8, u8))
        };
        let taken = params(&mut sig, &[]);
        assert_eq!(
            taken.rebind.to_string(),
            quote!(#[cfg(unix)] let a = a; #[expect(unused)] let (b, c) = __collect_metrics_arg1;)
                .to_string()
        );
        assert_eq!(
            sig.to_token_stream().to_string(),
            quote!(fn f(#[cfg(unix)] a: String, #[allow(unused)] #[other] __collect_metrics_arg1: (u8, u8)))
                .to_string()
        );
    }
}
