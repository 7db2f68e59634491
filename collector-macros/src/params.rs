//! The parameters, as the call takes them over: those that own a value are
//! moved into the body, so that they drop inside the call, before the flush.

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::{self, VisitMut};
use syn::{FnArg, Ident, Pat, Signature, Type};

use crate::param_attrs;

/// The parameters, as the call takes them over.
pub(crate) struct Params {
    /// `#[cfg(..)] let x = x;` for each parameter that owns a value, so that it drops
    /// at the end of the body, inside the call, instead of after the flush.
    pub(crate) rebind: TokenStream,
    /// The method takes `self` by value, which cannot be rebound.
    pub(crate) self_by_value: bool,
}

/// Finds the parameters to move into the body and takes their `mut` off
/// the signature (the rebinding carries it instead). A rebinding carries
/// its parameter's `#[cfg]`, so that it goes when the parameter does. A parameter that the
/// options use (`client = client`, `tags(user = id)`) stays where it is:
/// the option, evaluated when the call starts, may have moved it.
pub(crate) fn params(sig: &mut Signature, mentioned: &[String]) -> Params {
    let mut rebind = TokenStream::new();
    let mut self_by_value = false;
    for input in &mut sig.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                self_by_value = !is_reference(&receiver.ty);
            }
            FnArg::Typed(typed) => {
                if let Pat::Ident(ident) = &*typed.pat {
                    if ident.subpat.is_none() && is_reference(&typed.ty) {
                        // A reference drops nothing.
                        continue;
                    }
                }
                let mut bindings = Bindings(Vec::new());
                bindings.visit_pat_mut(&mut typed.pat);
                let attrs = param_attrs::sort(&typed.attrs);
                let cfg = &attrs.rebinding;
                for (mutability, ident) in bindings.0 {
                    if mentioned.contains(&ident.to_string()) {
                        // Put back: the option may have moved it already.
                        restore_mut(&mut typed.pat, &ident, mutability);
                        continue;
                    }
                    rebind.extend(quote!(#(#cfg)* let #mutability #ident = #ident;));
                }
            }
        }
    }
    Params {
        rebind,
        self_by_value,
    }
}

fn restore_mut(pat: &mut Pat, ident: &Ident, mutability: Option<syn::Token![mut]>) {
    struct Restore<'a>(&'a Ident, Option<syn::Token![mut]>);
    impl VisitMut for Restore<'_> {
        fn visit_pat_ident_mut(&mut self, pat: &mut syn::PatIdent) {
            if pat.ident == *self.0 && pat.by_ref.is_none() {
                pat.mutability = self.1.take();
            }
            visit_mut::visit_pat_ident_mut(self, pat);
        }
    }
    Restore(ident, mutability).visit_pat_mut(pat);
}

fn is_reference(ty: &Type) -> bool {
    match ty {
        Type::Reference(_) => true,
        Type::Paren(inner) => is_reference(&inner.elem),
        Type::Group(inner) => is_reference(&inner.elem),
        _ => false,
    }
}

/// The by-value bindings of a parameter's pattern, each with the `mut` it
/// had (now taken off the pattern).
struct Bindings(Vec<(Option<syn::Token![mut]>, Ident)>);

impl VisitMut for Bindings {
    fn visit_pat_ident_mut(&mut self, pat: &mut syn::PatIdent) {
        if pat.by_ref.is_none() {
            self.0.push((pat.mutability.take(), pat.ident.clone()));
        }
        visit_mut::visit_pat_ident_mut(self, pat);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    #[test]
    fn owned_parameters_are_rebound_and_lose_their_mut() {
        let mut sig: Signature = syn::parse_quote! {
            fn f(&self, a: String, mut b: Vec<u8>, c: &str, (d, mut e): (u8, u8), _: u8, f: impl Into<u8>)
        };
        let taken = params(&mut sig, &[]);
        assert!(!taken.self_by_value);
        assert_eq!(
            taken.rebind.to_string(),
            quote!(let a = a; let mut b = b; let d = d; let mut e = e; let f = f;).to_string()
        );
        assert_eq!(
            sig.to_token_stream().to_string(),
            quote!(fn f(&self, a: String, b: Vec<u8>, c: &str, (d, e): (u8, u8), _: u8, f: impl Into<u8>))
                .to_string()
        );
        let mut by_value: Signature = syn::parse_quote!(fn g(mut self: Box<Self>));
        assert!(params(&mut by_value, &[]).self_by_value);
    }
}
