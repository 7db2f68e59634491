//! The parameters, as the call takes them over: those that own a value are
//! moved into the body, so that they drop inside the call, before the flush.

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::{self, VisitMut};
use syn::{FnArg, Pat, Signature, Type};

use crate::param_attrs;

/// The parameters, as the call takes them over.
pub(crate) struct Params {
    /// A `let` for each parameter that owns a value, so that what it binds
    /// drops at the end of the body, inside the call, instead of after the
    /// flush.
    pub(crate) rebind: TokenStream,
    /// The method takes `self` by value, which cannot be rebound.
    pub(crate) self_by_value: bool,
}

/// Finds the parameters to move into the body, and moves them.
///
/// `x: T` becomes `let x = x;` at the top of the body, with the `mut` of
/// `mut x: T` moved from the signature to the `let` (the parameter itself is
/// only ever moved out of; at the top of a parameter the default binding
/// mode is always "move", so `mut` means the same on the `let`).
///
/// A parameter that destructures keeps its pattern in the signature, whole:
/// its binding modes and the edition's rules for them (`mut` under an
/// implicit borrow), its refutability and its errors are then the plain
/// function's. What it binds by value is moved in by one `let` of plain
/// names, `let (a, mut b) = (a, b);`, which binds each by move, with the
/// type the pattern gave it. A `mut` binding is borrowed mutably once on
/// the way, so that `unused_mut` is judged on the rebinding, where the
/// body's mutations are, and not on the parameter, which is only moved out
/// of.
///
/// The rebinding carries its parameter's `#[cfg]`, so that it goes when the
/// parameter does, and its lint attributes, which apply to the binding there
/// (`param_attrs` says how). A parameter of reference type drops nothing
/// and is not rebound, nor is one whose pattern moves nothing out of the
/// argument (`_`, `ref x`). A parameter that the options use (`client =
/// client`, `tags(user = id)`) stays where it is, whole: the option,
/// evaluated when the call starts, may have moved it.
pub(crate) fn params(sig: &mut Signature, mentioned: &[String]) -> Params {
    let mut rebind = TokenStream::new();
    let mut self_by_value = false;
    for input in &mut sig.inputs {
        let typed = match input {
            FnArg::Receiver(receiver) => {
                self_by_value = !is_reference(&receiver.ty);
                continue;
            }
            FnArg::Typed(typed) => typed,
        };
        let bindings = Bindings::of(&typed.pat);
        let moved: Vec<&Binding> = bindings.iter().filter(|b| b.by_value).collect();
        let uses_option = bindings
            .iter()
            .any(|b| mentioned.contains(&b.ident.to_string()));
        if is_reference(&typed.ty) || moved.is_empty() || uses_option {
            continue;
        }
        let attrs = param_attrs::sort(&typed.attrs);
        typed.attrs = attrs.param;
        let on_let = &attrs.rebinding;
        if let Pat::Ident(ident) = &mut *typed.pat {
            if ident.subpat.is_none() {
                let mutability = ident.mutability.take();
                let name = &ident.ident;
                rebind.extend(quote!(#(#on_let)* let #mutability #name = #name;));
                continue;
            }
        }
        let names: Vec<TokenStream> = moved
            .iter()
            .map(|b| {
                let (mutability, ident) = (&b.mutability, &b.ident);
                quote!(#mutability #ident)
            })
            .collect();
        let values: Vec<TokenStream> = moved
            .iter()
            .map(|b| {
                let ident = &b.ident;
                match b.mutability {
                    Some(_) => quote!({ let _ = &mut #ident; #ident }),
                    None => quote!(#ident),
                }
            })
            .collect();
        rebind.extend(match (&names[..], &values[..]) {
            // Not `let (a) = (a);`, which `unused_parens` would flag.
            ([name], [value]) => quote!(#(#on_let)* let #name = #value;),
            _ => quote!(#(#on_let)* let (#(#names),*) = (#(#values),*);),
        });
    }
    Params {
        rebind,
        self_by_value,
    }
}

fn is_reference(ty: &Type) -> bool {
    match ty {
        Type::Reference(_) => true,
        Type::Paren(inner) => is_reference(&inner.elem),
        Type::Group(inner) => is_reference(&inner.elem),
        _ => false,
    }
}

/// A name that a parameter's pattern binds. (A unit struct or a constant in
/// a pattern reads as one too: it is then rebound to itself, `let (a, Unit)
/// = (a, Unit);`, which changes nothing.)
struct Binding {
    ident: syn::Ident,
    mutability: Option<syn::Token![mut]>,
    by_value: bool,
}

/// Collects the [`Binding`]s of a pattern.
struct Bindings(Vec<Binding>);

impl Bindings {
    /// Each name once, in the pattern's order: the alternatives of an
    /// or-pattern bind the same names, the same way.
    fn of(pat: &Pat) -> Vec<Binding> {
        let mut bindings = Bindings(Vec::new());
        bindings.visit_pat_mut(&mut pat.clone());
        bindings.0
    }
}

impl VisitMut for Bindings {
    fn visit_pat_ident_mut(&mut self, pat: &mut syn::PatIdent) {
        if !self.0.iter().any(|b| b.ident == pat.ident) {
            self.0.push(Binding {
                ident: pat.ident.clone(),
                mutability: pat.mutability,
                by_value: pat.by_ref.is_none(),
            });
        }
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
            quote! {
                let a = a;
                let mut b = b;
                let (d, mut e) = (d, { let _ = &mut e; e });
                let f = f;
            }
            .to_string()
        );
        assert_eq!(
            sig.to_token_stream().to_string(),
            quote!(fn f(&self, a: String, b: Vec<u8>, c: &str, (d, mut e): (u8, u8), _: u8, f: impl Into<u8>))
                .to_string()
        );
        let mut by_value: Signature = syn::parse_quote!(fn g(mut self: Box<Self>));
        assert!(params(&mut by_value, &[]).self_by_value);
    }

    #[test]
    fn a_pattern_is_rebound_by_the_names_it_binds_by_value() {
        let unchanged = quote! {
            fn f(Wrapper(mut a): Wrapper, (Ok(b) | Err(b)): Result<u8, u8>, (c, ref d, _): (u8, u8, u8))
        };
        let mut sig: Signature = syn::parse2(unchanged.clone()).unwrap();
        let taken = params(&mut sig, &[]);
        assert_eq!(
            taken.rebind.to_string(),
            quote!(let mut a = { let _ = &mut a; a }; let b = b; let c = c;).to_string()
        );
        assert_eq!(sig.to_token_stream().to_string(), unchanged.to_string());
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
            quote!(#[cfg(unix)] let a = a; #[expect(unused)] let (b, c) = (b, c);).to_string()
        );
        assert_eq!(
            sig.to_token_stream().to_string(),
            quote!(fn f(#[cfg(unix)] a: String, #[allow(unused)] #[other] (b, c): (u8, u8)))
                .to_string()
        );
    }
}
