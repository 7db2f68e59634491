//! What expansion needs to know about, and change in, the function's
//! parameters and body: the parameters moved into the call, the `return`s
//! whose value decides the outcome, and whether an async body can suspend.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, FnArg, Ident, Item, Pat, Signature, Type};

/// An identifier of the expansion's own: the `mixed_site` span keeps it
/// apart from the user's variables, and the `__collect_metrics_` prefix from
/// the user's items (a `let` can resolve to a constant or a unit struct,
/// whatever its span).
pub(crate) fn local(name: &str) -> Ident {
    Ident::new(&format!("__collect_metrics_{name}"), Span::mixed_site())
}

/// The parameters, as the call takes them over.
pub(crate) struct Params {
    /// `let x = x;` for each parameter that owns a value, so that it drops
    /// at the end of the body, inside the call, instead of after the flush.
    pub(crate) rebind: TokenStream,
    /// The method takes `self` by value, which cannot be rebound.
    pub(crate) self_by_value: bool,
}

/// Finds the parameters to move into the body and takes their `mut` off
/// the signature (the rebinding carries it instead). A parameter that the
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
                for (mutability, ident) in bindings.0 {
                    if mentioned.contains(&ident.to_string()) {
                        // Put back: the option may have moved it already.
                        restore_mut(&mut typed.pat, &ident, mutability);
                        continue;
                    }
                    rebind.extend(quote!(let #mutability #ident = #ident;));
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

/// Rewrites each `return value` of the body itself (not of its closures,
/// async blocks or items) into one that tells `__collect_metrics_body`
/// whether the value is an `Err`, then returns it.
pub(crate) struct ProbeReturns<'a> {
    pub(crate) krate: &'a TokenStream,
    pub(crate) ty: &'a Type,
}

impl VisitMut for ProbeReturns<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) => {}
            Expr::Return(ret) => {
                visit_mut::visit_expr_return_mut(self, ret);
                if let Some(value) = ret.expr.take() {
                    let probed = probe_value(self.krate, self.ty, &value);
                    ret.expr = Some(Box::new(Expr::Verbatim(probed)));
                }
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _: &mut Item) {}
}

/// `{ let v: T = value; body.ended(is_err(&v)); v }`.
fn probe_value(krate: &TokenStream, ty: &Type, value: &Expr) -> TokenStream {
    let (body, v) = (local("body"), local("value"));
    quote! {
        {
            let #v: #ty = #value;
            {
                use #krate::__private::{ErrProbe as _, OkProbe as _};
                #body.ended((&&#v).__collector_is_err());
            }
            #v
        }
    }
}

/// Macros that expand to expressions which never suspend, so a body that
/// uses only these (and no `.await`) runs to its end in one poll.
const NEVER_SUSPEND: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "cfg",
    "column",
    "concat",
    "dbg",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "env",
    "eprint",
    "eprintln",
    "file",
    "format",
    "format_args",
    "include_bytes",
    "include_str",
    "line",
    "matches",
    "module_path",
    "option_env",
    "panic",
    "print",
    "println",
    "stringify",
    "todo",
    "unimplemented",
    "unreachable",
    "vec",
    "write",
    "writeln",
];

/// Whether an async body may suspend: it holds `await` anywhere, or a
/// macro that could expand to an `.await` (`join!`, `select!`).
pub(crate) fn can_suspend(block: &syn::Block) -> bool {
    let mut block = block.clone();
    let mut macros = Macros(false);
    macros.visit_block_mut(&mut block);
    macros.0 || has_await(block.to_token_stream())
}

struct Macros(bool);

impl VisitMut for Macros {
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        let known = mac
            .path
            .segments
            .last()
            .is_some_and(|last| NEVER_SUSPEND.iter().any(|name| last.ident == name));
        if !known || has_macro_call(mac.tokens.clone()) {
            self.0 = true;
        }
    }
}

fn has_await(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == "await",
        TokenTree::Group(group) => has_await(group.stream()),
        _ => false,
    })
}

/// `name!` inside a macro's arguments, which the syntax tree leaves as
/// tokens.
fn has_macro_call(tokens: TokenStream) -> bool {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    tokens.iter().enumerate().any(|(i, token)| match token {
        TokenTree::Group(group) => has_macro_call(group.stream()),
        TokenTree::Punct(bang) if bang.as_char() == '!' => {
            let after_ident = i > 0 && matches!(tokens[i - 1], TokenTree::Ident(_));
            let not_ne =
                !matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '=');
            after_ident && not_ne
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suspends(body: &str) -> bool {
        can_suspend(&syn::parse_str(body).unwrap())
    }

    #[test]
    fn only_await_or_an_unknown_macro_can_suspend() {
        assert!(!suspends("{ let x = 1; println!(\"{x}\"); x }"));
        assert!(!suspends("{ assert!(a != b); vec![1] }"));
        assert!(suspends("{ f().await }"));
        assert!(suspends("{ println!(\"{}\", f().await) }"));
        assert!(suspends("{ tokio::join!(a(), b()) }"));
        assert!(suspends("{ println!(\"{:?}\", tokio::join!(a(), b())) }"));
    }

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
