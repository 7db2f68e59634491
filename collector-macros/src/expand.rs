//! Code generation: the function keeps its attributes, visibility and
//! signature (an `async fn` stays one, so `#[tokio::main]` and
//! `#[tokio::test]` work on either side of ours); only the body is wrapped.
//!
//! ```text
//! let __scope = CallScope::builder("name").tag(..).start(); // one collector per call
//! sync:  let __enter = __scope.enter(); BODY                // current for the body
//! async: poll the body inside `__scope.poll_in`             // current around every poll
//! ```
//!
//! Dropping `__scope` flushes, so every way out of the call (return, `?`,
//! panic, a dropped future) flushes exactly once, in the runtime, not here.
//! The internal names use `Span::mixed_site()`, so they neither see nor
//! shadow the user's variables.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Block, Ident, ItemFn, ReturnType, Type};

use crate::validate::{Options, Tag};

/// The function, with its body wrapped.
pub(crate) fn function(func: ItemFn, options: &Options) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = func;
    // `#![...]` at the top of the body stays at the top of the new body.
    let (outer, inner): (Vec<_>, Vec<_>) = attrs
        .into_iter()
        .partition(|attr| matches!(attr.style, syn::AttrStyle::Outer));
    let krate = match &options.krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::collector_runtime),
    };
    let start = start(&krate, options);
    let returns = Returns::of(&sig.output);
    let body = if sig.asyncness.is_some() {
        async_body(&krate, start, &block, &returns, options.outcome)
    } else {
        sync_body(&krate, start, &block, &returns, options.outcome)
    };
    quote! {
        #(#outer)*
        #vis #sig {
            #(#inner)*
            #body
        }
    }
}

/// An identifier of ours, invisible to the user's code and the other way round.
fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// `let __scope = CallScope::builder(name)...start();`: the options become
/// builder calls. Expressions keep their own spans, so a type error in a tag
/// or client expression points at it.
fn start(krate: &TokenStream, options: &Options) -> TokenStream {
    let scope = local("__scope");
    let name = &options.name;
    let mut calls = TokenStream::new();
    if options.timing {
        calls.extend(quote!(.timing()));
    }
    if options.outcome {
        calls.extend(quote!(.outcome()));
    }
    for tag in &options.tags {
        calls.extend(match tag {
            Tag::Literal(tag) => quote!(.tag(#tag)),
            Tag::Pair(key, value) => quote!(.tag_pair(#key, #value)),
            Tag::Display(key, value) => {
                quote_spanned!(value.span()=> .tag_display(#key, &(#value)))
            }
        });
    }
    if let Some(client) = &options.client {
        calls.extend(quote_spanned!(client.span()=> .client(#client)));
    }
    quote! {
        let #scope = #krate::__private::CallScope::builder(#name) #calls .start();
    }
}

/// What the function returns, which decides how much of it the expansion can
/// name.
enum Returns {
    /// `()`: never an error, nothing to name.
    Unit,
    /// `!`: the call never ends normally; `!` cannot be written in a `let`.
    Never,
    /// `impl Trait`: cannot be named and is never a `Result`.
    Opaque,
    /// Anything else, with each nested `impl Trait` written as `_` so that
    /// it can annotate a closure or a `let` (e.g. `Result<_, E>` keeps `?`
    /// working).
    Typed(Box<Type>),
}

impl Returns {
    fn of(output: &ReturnType) -> Returns {
        let ReturnType::Type(_, ty) = output else {
            return Returns::Unit;
        };
        let mut bare: &Type = ty;
        while let Type::Paren(syn::TypeParen { elem, .. })
        | Type::Group(syn::TypeGroup { elem, .. }) = bare
        {
            bare = elem;
        }
        match bare {
            Type::Tuple(tuple) if tuple.elems.is_empty() => Returns::Unit,
            Type::Never(_) => Returns::Never,
            Type::ImplTrait(_) => Returns::Opaque,
            _ => {
                let mut ty = (**ty).clone();
                InferOpaque.visit_type_mut(&mut ty);
                Returns::Typed(Box::new(ty))
            }
        }
    }
}

/// Replaces `impl Trait` with `_`.
struct InferOpaque;

impl VisitMut for InferOpaque {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(opaque) = ty {
            *ty = Type::Infer(syn::TypeInfer {
                underscore_token: syn::Token![_](opaque.span()),
            });
        } else {
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
}

/// `__scope.set_error(...)` when the returned value is an `Err`, by the
/// runtime's autoref probe (any other type is never an error).
fn probe(krate: &TokenStream, ret: &Ident) -> TokenStream {
    let scope = local("__scope");
    quote! {
        {
            use #krate::__private::{ErrProbe as _, OkProbe as _};
            #scope.set_error((&&#ret).__collector_is_err());
        }
    }
}

/// A sync body runs with the collector entered. With `outcome`, the body
/// runs in a closure so that `return` and `?` hand their value to the probe;
/// the closure is passed to an `FnOnce` helper so that it may move out of
/// its captures and return borrows of `&mut self`. Without `outcome` (or when
/// the value cannot be an `Err`), the body is kept as it is: the drop of the
/// scope tells a return from a panic.
fn sync_body(
    krate: &TokenStream,
    start: TokenStream,
    block: &Block,
    returns: &Returns,
    outcome: bool,
) -> TokenStream {
    let (scope, enter, ret) = (local("__scope"), local("__enter"), local("__ret"));
    let head = quote! {
        #start
        let #enter = #scope.enter();
    };
    match returns {
        Returns::Typed(ty) if outcome => {
            let call_once = local("__collector_call_once");
            let probe = probe(krate, &ret);
            quote! {
                #head
                #[inline(always)]
                fn #call_once<R, F: ::core::ops::FnOnce() -> R>(f: F) -> R {
                    f()
                }
                let #ret = #call_once(move || -> #ty #block);
                #probe
                #scope.complete();
                #ret
            }
        }
        // The statements, not the block: a block as the tail would be
        // `unused_braces`. Ours are declared first, so the user's locals
        // still drop first, with the collector current.
        _ => {
            let stmts = &block.stmts;
            quote! {
                #head
                #(#stmts)*
            }
        }
    }
}

/// An async body becomes an inner future, polled inside `__scope.poll_in`
/// so the collector is current around every poll, on whichever thread runs
/// it. `complete()` is reached only if the inner future finishes: a future
/// dropped before that is `cancelled`.
fn async_body(
    krate: &TokenStream,
    start: TokenStream,
    block: &Block,
    returns: &Returns,
    outcome: bool,
) -> TokenStream {
    let (scope, fut, ret, cx) = (
        local("__scope"),
        local("__fut"),
        local("__ret"),
        local("__cx"),
    );
    let fake = local("__fake");
    // An async block has no return type to write; a `return` that is never
    // taken gives it one, so `?` in the body knows what to convert into.
    // The `allow`s cover this statement only, never the user's body. For
    // `-> !`, which a `let` cannot name, the inner future yields
    // `Infallible`, matched away after the `await`.
    let edge_ty = match returns {
        Returns::Typed(ty) => Some(quote!(#ty)),
        Returns::Never => Some(quote!(::core::convert::Infallible)),
        Returns::Unit | Returns::Opaque => None,
    };
    let edge = edge_ty.map(|ty| {
        quote! {
            #[allow(
                unknown_lints,
                unreachable_code,
                clippy::diverging_sub_expression,
                clippy::empty_loop,
                clippy::let_unit_value,
                clippy::let_with_type_underscore,
                clippy::needless_return,
                clippy::unreachable
            )]
            if false {
                let #fake: #ty = loop {};
                return #fake;
            }
        }
    });
    let poll = quote! {
        #krate::__private::poll_fn(|#cx| #scope.poll_in(#fut.as_mut(), #cx)).await
    };
    let stmts = &block.stmts;
    let head = quote! {
        #start
        let mut #fut = #krate::__private::pin!(async move { #edge #(#stmts)* });
    };
    match returns {
        Returns::Unit => quote! {
            #head
            #poll;
            #scope.complete();
        },
        Returns::Never => quote! {
            #head
            let #ret = #poll;
            match #ret {}
        },
        Returns::Opaque | Returns::Typed(_) => {
            let probe = match returns {
                Returns::Typed(_) if outcome => probe(krate, &ret),
                _ => TokenStream::new(),
            };
            quote! {
                #head
                let #ret = #poll;
                #probe
                #scope.complete();
                #ret
            }
        }
    }
}
