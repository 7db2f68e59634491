//! Code generation: the function keeps its attributes, visibility and
//! signature (an `async fn` stays one, so `#[tokio::main]` and
//! `#[tokio::test]` work on either side of ours); only the body is wrapped,
//! and the user's own block is kept whole, braces and spans included, so the
//! user's edition decides how its temporaries drop.
//!
//! ```text
//! let scope = CallScope::builder().tag(..).start(); // one collector per call
//! in place:  let body = scope.body(); return { let x = x; BODY };   // sync, or async that cannot suspend
//! async:     scope.run(pin!(Some(async move { let x = x; BODY }))).await  // current around every poll
//! -> impl Future:  CallFuture::new(scope, { BODY }, is_err)          // the call lasts until the future ends
//! ```
//!
//! The parameters are moved into the body (`let x = x;`, or `let (a, b) =
//! (a, b);` for what a pattern binds, with the parameter's `#[cfg]` and lint
//! attributes: `params`), so they drop inside the call, before the flush.
//! Dropping the scope flushes, so every way out of the call flushes exactly
//! once, in the runtime, not here. No closure stands between the caller and
//! an in-place body, so `#[track_caller]` and `return`/`?` keep their
//! meaning; with `outcome`, the body's own `return`s are rewritten to tell
//! the runtime whether their value is an `Err`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Block, GenericArgument, ItemFn, PathArguments, ReturnType, Type, TypeParamBound};

use crate::body::{self, local, ProbeReturns};
use crate::params::{self, Params};
use crate::validate::{Options, Tag};

/// The function, with its body wrapped.
pub(crate) fn function(func: ItemFn, options: &Options) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        mut sig,
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
    let params = params::params(&mut sig, &options.mentioned());
    let returns = Returns::of(&sig.output, sig.asyncness.is_none());
    let cx = Context {
        krate: &krate,
        options,
        params: &params,
        returns: &returns,
    };
    let start = start(&krate, options);
    let braces = block.brace_token;
    let wrapped = if let Returns::Future { .. } = returns {
        cx.returned_future(block)
    } else if sig.asyncness.is_some() && (params.self_by_value || body::can_suspend(&block)) {
        cx.suspending(block)
    } else {
        cx.in_place(block.as_ref().clone())
    };
    // The function's braces are the user's: its span (for lints and
    // diagnostics) stays the user's code.
    let mut out = quote!(#(#outer)* #vis #sig);
    braces.surround(&mut out, |out| {
        out.extend(quote! {
            #(#inner)*
            #start
            #wrapped
        });
    });
    out
}

/// `let scope = CallScope::builder()...start();`: the options become
/// builder calls. Expressions keep their own spans, so a type error in a tag
/// or client expression points at it.
fn start(krate: &TokenStream, options: &Options) -> TokenStream {
    let scope = local("scope");
    let name = &options.name;
    let mut calls = TokenStream::new();
    if options.timing {
        calls.extend(quote!(.timing(::core::concat!(#name, ".duration"))));
    }
    if !options.inherit_tags {
        calls.extend(quote!(.inherit_tags(false)));
    }
    if options.outcome {
        calls.extend(quote!(.outcome()));
    }
    if let Some(check) = &options.service_check {
        calls.extend(quote!(.service_check(#check)));
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
        let #scope = #krate::__private::CallScope::builder() #calls .start();
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
    /// A non-async function returning `impl Future<Output = T>` or
    /// `Pin<Box<dyn Future<Output = T> + ...>>`: the call is the future's.
    Future { boxed: Option<Box<Type>> },
    /// Anything else, with each nested `impl Trait` written as `_` so that
    /// it can annotate a `let` (e.g. `Result<_, E>` keeps `?` working).
    Typed(Box<Type>),
}

impl Returns {
    fn of(output: &ReturnType, sync: bool) -> Returns {
        let ReturnType::Type(_, ty) = output else {
            return Returns::Unit;
        };
        let bare = bare(ty);
        if sync {
            if let Some(boxed) = future_shape(bare) {
                return Returns::Future {
                    boxed: boxed.then(|| ty.clone()),
                };
            }
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

fn bare(mut ty: &Type) -> &Type {
    while let Type::Paren(syn::TypeParen { elem, .. }) | Type::Group(syn::TypeGroup { elem, .. }) =
        ty
    {
        ty = elem;
    }
    ty
}

/// `Some(false)` for `impl Future<Output = T> + ...`, `Some(true)` for
/// `Pin<Box<dyn Future<Output = T> + ...>>`.
fn future_shape(ty: &Type) -> Option<bool> {
    let is_future = |bounds: &syn::punctuated::Punctuated<TypeParamBound, _>| {
        bounds.iter().any(|bound| match bound {
            TypeParamBound::Trait(bound) => bound
                .path
                .segments
                .last()
                .is_some_and(|last| last.ident == "Future"),
            _ => false,
        })
    };
    match ty {
        Type::ImplTrait(opaque) if is_future(&opaque.bounds) => Some(false),
        Type::Path(path) => {
            let pin = single_arg(path, "Pin")?;
            let Type::Path(boxed) = bare(pin) else {
                return None;
            };
            match bare(single_arg(boxed, "Box")?) {
                Type::TraitObject(object) if is_future(&object.bounds) => Some(true),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `T` in `...::Name<T>`.
fn single_arg<'a>(path: &'a syn::TypePath, name: &str) -> Option<&'a Type> {
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(ty) if args.args.len() == 1 => Some(ty),
        _ => None,
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

/// What every body shape needs.
struct Context<'a> {
    krate: &'a TokenStream,
    options: &'a Options,
    params: &'a Params,
    returns: &'a Returns,
}

impl Context<'_> {
    /// The user's block, braces and all, with the parameters moved in first
    /// (and, for a closure or async block, `self` captured whole).
    fn prelude(&self, block: &Block, capture_self: bool, extra: TokenStream) -> TokenStream {
        let rebind = &self.params.rebind;
        let keep_self = (capture_self && self.params.self_by_value).then(|| {
            quote! {
                #[allow(clippy::let_underscore_untyped, clippy::no_effect_underscore_binding)]
                let _ = &self;
            }
        });
        let stmts = &block.stmts;
        let mut out = TokenStream::new();
        block.brace_token.surround(&mut out, |out| {
            out.extend(quote! {
                #extra
                #keep_self
                #rebind
                #(#stmts)*
            });
        });
        out
    }

    /// A sync body, or an async one that cannot suspend, runs where it is,
    /// with the collector current until it ends. The block is a match arm
    /// (or, with `outcome`, a `let` initializer): its temporaries then drop
    /// before ours in any edition, and a body that diverges leaves no
    /// unreachable code of ours behind it. `-> impl Trait` keeps the block
    /// as the function's tail, where a closure still learns its signature
    /// from the return type.
    fn in_place(&self, mut block: Block) -> TokenStream {
        let krate = self.krate;
        let (scope, body, kind, value) =
            (local("scope"), local("body"), local("kind"), local("value"));
        let head = quote!(let #body = #scope.body(););
        let probe_text = body::probe_text(krate, self.options, &body, &value);
        match self.returns {
            Returns::Typed(ty) if self.options.tracks() => {
                let check = self.options.service_check.is_some();
                ProbeReturns { krate, ty, check }.visit_block_mut(&mut block);
                let block = self.prelude(&block, false, TokenStream::new());
                quote! {
                    #head
                    let #kind = #krate::__private::ReturnKind::new();
                    #[allow(
                        unknown_lints,
                        unreachable_code,
                        clippy::diverging_sub_expression,
                        clippy::needless_return
                    )]
                    if false {
                        return #kind.never();
                    }
                    {
                        use #krate::__private::{OtherKind as _, ResultKind as _};
                        #body.returns_result((&&#kind).__collector_returns_result());
                    }
                    let #value: #ty = #block;
                    #[allow(unknown_lints, unreachable_code, clippy::needless_return)]
                    return {
                        {
                            #probe_text
                            use #krate::__private::{ErrProbe as _, OkProbe as _};
                            #body.ended((&&#value).__collector_is_err());
                        }
                        #value
                    };
                }
            }
            Returns::Opaque => {
                let block = self.prelude(&block, false, TokenStream::new());
                quote! {
                    #head
                    #block
                }
            }
            _ => {
                let block = self.prelude(&block, false, TokenStream::new());
                quote! {
                    #head
                    match () {
                        () => #block
                    }
                }
            }
        }
    }

    /// An async body that may suspend becomes an inner future, polled by
    /// `scope.run` with the collector current around every poll, on
    /// whichever thread runs it, and dropped with the collector current if
    /// the call is cancelled.
    fn suspending(&self, block: Box<Block>) -> TokenStream {
        let krate = self.krate;
        let (scope, fut, value, fake) =
            (local("scope"), local("fut"), local("value"), local("fake"));
        // An async block has no return type to write; a `return` that is
        // never taken gives it one, so `?` in the body knows what to convert
        // into. The `allow`s cover this statement only, never the user's
        // body. For `-> !`, which a `let` cannot name, the inner future
        // yields `Infallible`, matched away after the `await`.
        let edge_ty = match self.returns {
            Returns::Typed(ty) => Some(quote!(#ty)),
            Returns::Never => Some(quote!(::core::convert::Infallible)),
            _ => None,
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
        let inner = self.prelude(&block, true, edge.unwrap_or_default());
        let head = quote! {
            let mut #fut = #krate::__private::pin!(::core::option::Option::Some(async move #inner));
        };
        let run = quote!(#scope.run(#fut.as_mut()).await);
        match self.returns {
            Returns::Unit => quote! {
                #head
                #run;
            },
            Returns::Never => quote! {
                #head
                let #value = #run;
                match #value {}
            },
            _ => {
                let text = self.options.service_check.as_ref().map(|_| {
                    quote! {
                        {
                            use #krate::__private::{ErrText as _, NoText as _};
                            #scope.set_error_text((&&#value).__collector_err_text());
                        }
                    }
                });
                let probe = match self.returns {
                    Returns::Typed(_) if self.options.tracks() => quote! {
                        {
                            use #krate::__private::{ErrProbe as _, OkProbe as _};
                            #scope.set_error((&&#value).__collector_is_err());
                        }
                    },
                    _ => TokenStream::new(),
                };
                let text = match self.returns {
                    Returns::Typed(_) => text,
                    _ => None,
                };
                quote! {
                    #head
                    let #value = #run;
                    #probe
                    #text
                    #value
                }
            }
        }
    }

    /// A non-async function returning a future: the body builds the future
    /// with the collector current (in a closure, so that an early `return`
    /// is wrapped too), and the call then lasts until that future completes.
    fn returned_future(&self, block: Box<Block>) -> TokenStream {
        let krate = self.krate;
        let (scope, fut, output) = (local("scope"), local("fut"), local("output"));
        let Returns::Future { boxed } = self.returns else {
            unreachable!("only for futures")
        };
        let inner = self.prelude(&block, true, TokenStream::new());
        let is_error = if self.options.tracks() {
            quote! {
                |#output| {
                    use #krate::__private::{ErrProbe as _, OkProbe as _};
                    (&#output).__collector_is_err()
                }
            }
        } else {
            quote!(|_| false)
        };
        // A boxed future is built as the declared type, so that every
        // branch of the body coerces to the same `dyn Future`.
        let error_text = self.options.service_check.as_ref().map(|_| {
            quote! {
                .error_text(|#output| {
                    use #krate::__private::{ErrText as _, NoText as _};
                    (&#output).__collector_err_text()
                })
            }
        });
        let annotated = boxed.as_ref().map(|ty| quote!(-> #ty));
        let build = quote! {
            let #fut = #scope
                .body()
                .constructed(#krate::__private::call_once(move || #annotated #inner));
        };
        if boxed.is_some() {
            quote! {
                #build
                ::std::boxed::Box::pin(
                    #krate::__private::CallFuture::boxed(#scope, #fut, #is_error) #error_text
                )
            }
        } else {
            quote! {
                #build
                #krate::__private::CallFuture::new(#scope, #fut, #is_error) #error_text
            }
        }
    }
}
