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
//! -> impl Future:  let v = { BODY }; drop(body); CallFuture::new(scope, v, is_err)  // lasts until the future ends
//! -> Alias:  if let Some(wrap) = (&&&kind).__collector_future() { return wrap(scope, v, ..) }  // a boxed dyn future
//! ```
//!
//! The parameters are moved into the body (`let x = x;`, or `let (a, b) =
//! (a, b);` for what a pattern binds, with the parameter's `#[cfg]` and lint
//! attributes: `params`), so they drop inside the call, before the flush.
//! Dropping the scope flushes, so every way out of the call flushes exactly
//! once, in the runtime, not here. No closure stands between the caller and
//! an in-place body, so `#[track_caller]` and `return`/`?` keep their
//! meaning, also for a body that returns a future; each `return` the body
//! itself writes is rewritten to pass its value through the same exit as the
//! tail (the outcome probe, the future's wrapper), and with `service_check`
//! each `expr?` through the probe that reads the converted error's text.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{
    Block, Expr, GenericArgument, GenericParam, Ident, ItemFn, Lifetime, PathArguments, ReturnType,
    Type, TypeParamBound,
};

use crate::body::{self, local, Exits};
use crate::params::{self, Params};
use crate::validate::{Options, Tag};

mod spelled_async;

use spelled_async::SpelledAsync;

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
    let spelled = SpelledAsync::of(&sig, &block, options);
    // A spelled-out async fn's block captures what it names, as it does
    // plain: nothing is moved in, and the signature keeps its `mut`s.
    let params = match spelled {
        Some(_) => Params {
            rebind: TokenStream::new(),
            self_by_value: false,
        },
        None => params::params(&mut sig, &options.mentioned()),
    };
    let lifetimes = sig
        .generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Lifetime(def) => Some(def.lifetime.ident.to_string()),
            _ => None,
        })
        .collect();
    let returns = match &spelled {
        Some(spelled) => Returns::of(spelled.output(), false, &ElideLifetimes(lifetimes)),
        None => Returns::of(
            &sig.output,
            sig.asyncness.is_none(),
            &ElideLifetimes(lifetimes),
        ),
    };
    let cx = Context {
        krate: &krate,
        options,
        params: &params,
        returns: &returns,
    };
    let start = start(&krate, options);
    let braces = block.brace_token;
    let wrapped = if let Some(spelled) = spelled {
        // The collector starts in the block, when it is first polled.
        spelled.expand(&cx, start)
    } else if sig.asyncness.is_some() && (params.self_by_value || body::can_suspend(&block)) {
        let wrapped = cx.suspending(block, quote!(move));
        quote!(#start #wrapped)
    } else {
        let wrapped = cx.in_place(block.as_ref().clone());
        quote!(#start #wrapped)
    };
    // The function's braces are the user's: its span (for lints and
    // diagnostics) stays the user's code.
    let mut out = quote!(#(#outer)* #vis #sig);
    braces.surround(&mut out, |out| {
        out.extend(quote! {
            #(#inner)*
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
    /// `may_be_future`: a sync function's path the macro cannot read (an
    /// alias, a named type), which the type system tells apart.
    Typed { ty: Box<Type>, may_be_future: bool },
}

impl Returns {
    fn of(output: &ReturnType, sync: bool, elide: &ElideLifetimes) -> Returns {
        let ReturnType::Type(_, ty) = output else {
            return Returns::Unit;
        };
        let bare = bare(ty);
        if sync {
            if let Some(boxed) = future_shape(bare) {
                return Returns::Future {
                    boxed: boxed.then(|| Box::new(elide.written(ty))),
                };
            }
        }
        match bare {
            Type::Tuple(tuple) if tuple.elems.is_empty() => Returns::Unit,
            Type::Never(_) => Returns::Never,
            Type::ImplTrait(_) => Returns::Opaque,
            _ => {
                let mut written = elide.written(ty);
                InferOpaque.visit_type_mut(&mut written);
                Returns::Typed {
                    ty: Box::new(written),
                    may_be_future: sync && may_be_future(bare),
                }
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

/// A path that may name a future: anything but the standard types that
/// are not one. Only these go through the future probe.
fn may_be_future(ty: &Type) -> bool {
    const NOT_FUTURES: &[&str] = &[
        "Result", "Option", "String", "Vec", "bool", "char", "str", "u8", "u16", "u32", "u64",
        "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32", "f64",
    ];
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|last| !NOT_FUTURES.iter().any(|name| last.ident == name)),
        _ => false,
    }
}

/// The function's own lifetimes, written `'_` where the expansion names the
/// return type inside the body: inferred there as they would be, and not a
/// use of the lifetime that would hide clippy's `needless_lifetimes`.
struct ElideLifetimes(Vec<String>);

impl ElideLifetimes {
    fn written(&self, ty: &Type) -> Type {
        let mut ty = ty.clone();
        let mut elide = ElideIn(&self.0);
        elide.visit_type_mut(&mut ty);
        ty
    }
}

struct ElideIn<'a>(&'a [String]);

impl VisitMut for ElideIn<'_> {
    fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
        if self.0.iter().any(|name| lifetime.ident == name) {
            *lifetime = Lifetime::new("'_", lifetime.span());
        }
    }

    // `for<'b>` binds its own lifetimes, which stay named.
    fn visit_bound_lifetimes_mut(&mut self, _: &mut syn::BoundLifetimes) {}
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
    /// with the collector current until it ends: no closure stands between
    /// the caller and the body, so `#[track_caller]`, `return` and `?` keep
    /// their meaning. The block is a match arm (or a `let` initializer's
    /// match arm): its temporaries then drop before ours in any edition, a
    /// single-expression body leaves no braces for `unused_braces` to see,
    /// and a body that diverges is no sub-expression of ours for clippy's
    /// `diverging_sub_expression`. `-> impl Trait` keeps the body's
    /// statements as the function's own, where a closure still learns its
    /// signature from the return type.
    fn in_place(&self, block: Block) -> TokenStream {
        let head = {
            let (scope, body) = (local("scope"), local("body"));
            quote!(let #body = #scope.body();)
        };
        match self.returns {
            Returns::Opaque => {
                let rebind = &self.params.rebind;
                let stmts = &block.stmts;
                quote! {
                    #head
                    #rebind
                    #(#stmts)*
                }
            }
            Returns::Future { boxed } => self.returned_future(block, boxed.as_deref()),
            Returns::Typed { ty, may_be_future } if self.options.tracks() || *may_be_future => {
                self.typed(block, ty, *may_be_future)
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

    /// A body whose value the expansion reads: each exit it sees (the tail,
    /// each `return`) passes its value through `exit`, and `?` through the
    /// error-text probe when there is a service check.
    fn exits(
        &self,
        mut block: Block,
        exit: &dyn Fn(&Expr) -> TokenStream,
        head: TokenStream,
    ) -> TokenStream {
        let (krate, kind, body, value) = (self.krate, local("kind"), local("body"), local("value"));
        let try_text = |operand: &Expr| {
            quote_spanned! {operand.span()=>
                (&&&#krate::__private::TryExit::new(#operand, &#kind)).__collector_try(&#body)
            }
        };
        let probes_try =
            self.options.service_check.is_some() && matches!(self.returns, Returns::Typed { .. });
        Exits {
            exit,
            try_text: probes_try.then_some(&try_text as &dyn Fn(&Expr) -> TokenStream),
        }
        .visit_block_mut(&mut block);
        let try_traits = probes_try.then(|| {
            quote! {
                #[allow(unused_imports)]
                use #krate::__private::{ConvertShown as _, Unchanged as _};
            }
        });
        let ty = match self.returns {
            Returns::Typed { ty, .. } => Some(quote!(: #ty)),
            Returns::Future { boxed: Some(ty) } => Some(quote!(: #ty)),
            _ => None,
        };
        // The tail leaves through the last exit, which is located at the
        // tail (or the closing brace), so that an error about the returned
        // value (a reference to a local) points at the user's code.
        let at_tail = match block.stmts.last() {
            Some(syn::Stmt::Expr(tail, None)) => tail.span(),
            _ => block.brace_token.span.close(),
        };
        let block = self.prelude(&block, false, TokenStream::new());
        let mut returned = value.clone();
        returned.set_span(value.span().located_at(at_tail));
        let last = exit(&syn::parse_quote!(#returned));
        let ret = quote_spanned!(value.span().located_at(at_tail)=> return);
        quote! {
            #try_traits
            #head
            let #value #ty = match () {
                () => #block
            };
            #[allow(unknown_lints, unreachable_code, clippy::needless_return)]
            #ret #last;
        }
    }

    /// A typed return: the outcome probes (`Err` or not, and its text) read
    /// the value at each exit, and a sync function whose type may be a
    /// future asks the type system whether it is one, to wrap it.
    fn typed(&self, block: Block, ty: &Type, may_be_future: bool) -> TokenStream {
        let krate = self.krate;
        let (scope, body, kind, value, wrap) = (
            local("scope"),
            local("body"),
            local("kind"),
            local("value"),
            local("wrap"),
        );
        let text = self
            .options
            .service_check
            .as_ref()
            .map(|_| body::err_text(krate, &body, &value));
        let (is_error, error_text) = self.output_probes();
        let tracks = self.options.tracks();
        let exit = |returned: &Expr| {
            let wrapped = may_be_future.then(|| {
                quote! {
                    if let ::core::option::Option::Some(#wrap) = #wrap {
                        let #value = #body.constructed(#value);
                        ::core::mem::drop(#body);
                        return #wrap(#scope, #value, #is_error, #error_text);
                    }
                }
            });
            let ended = tracks.then(|| {
                quote! {
                    {
                        #text
                        use #krate::__private::{ErrProbe as _, OkProbe as _};
                        #body.ended((&&#value).__collector_is_err());
                    }
                }
            });
            // The value leaves located where the user returned it, so that
            // a borrow error about it points there.
            let mut leaving = value.clone();
            leaving.set_span(value.span().located_at(returned.span()));
            quote_spanned! {returned.span()=>
                {
                    let #value: #ty = #returned;
                    #wrapped
                    #ended
                    #leaving
                }
            }
        };
        // The type system's answer, asked once: spanned at the return type,
        // where a future it cannot wrap is refused.
        let probe = may_be_future.then(|| {
            let method = Ident::new("__collector_future", ty.span());
            quote_spanned! {ty.span()=>
                let #wrap = {
                    #[allow(unused_imports)]
                    use #krate::__private::{
                        BoxedDynFuture as _, NotAFuture as _, UnwrappableFuture as _,
                    };
                    (&&&#kind).#method()
                };
            }
        });
        let head = quote! {
            let #body = #scope.body();
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
            #probe
        };
        self.exits(block, &exit, head)
    }

    /// How a future's output tells an error and its text, as the closures
    /// the call's future reads it with.
    fn output_probes(&self) -> (TokenStream, TokenStream) {
        let krate = self.krate;
        let output = local("output");
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
        let error_text = if self.options.service_check.is_some() {
            quote! {
                |#output| {
                    use #krate::__private::{ErrText as _, NoText as _};
                    (&#output).__collector_err_text()
                }
            }
        } else {
            quote!(|_| ::core::option::Option::None)
        };
        (is_error, error_text)
    }

    /// An async block has no return type to write; a `return` that is never
    /// taken gives it one, so that `?` in the body knows what to convert
    /// into and the outcome probes what they read. The `allow`s cover this
    /// statement only, never the user's body. For `-> !`, which a `let`
    /// cannot name, the block yields `Infallible`, matched away after the
    /// `await`.
    fn async_output(&self) -> Option<TokenStream> {
        let fake = local("fake");
        let ty = match self.returns {
            Returns::Typed { ty, .. } => quote!(#ty),
            Returns::Never => quote!(::core::convert::Infallible),
            _ => return None,
        };
        Some(quote! {
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
        })
    }

    /// An async body that may suspend becomes an inner future, polled by
    /// `scope.run` with the collector current around every poll, on
    /// whichever thread runs it, and dropped with the collector current if
    /// the call is cancelled. `capture` is `move` for an `async fn`, whose
    /// future owns the parameters, and a spelled-out one's own.
    fn suspending(&self, block: Box<Block>, capture: TokenStream) -> TokenStream {
        let krate = self.krate;
        let (scope, fut, value) = (local("scope"), local("fut"), local("value"));
        let inner = self.prelude(&block, true, self.async_output().unwrap_or_default());
        let head = quote! {
            let mut #fut = #krate::__private::pin!(::core::option::Option::Some(async #capture #inner));
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
                    Returns::Typed { .. } if self.options.tracks() => quote! {
                        {
                            use #krate::__private::{ErrProbe as _, OkProbe as _};
                            #scope.set_error((&&#value).__collector_is_err());
                        }
                    },
                    _ => TokenStream::new(),
                };
                let text = match self.returns {
                    Returns::Typed { .. } => text,
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

    /// A non-async function returning a future, in place: the body builds
    /// the future with the collector current, and each exit hands the scope
    /// to the call's future, which lasts until that future completes. A
    /// boxed future is built as the declared type, so that every exit
    /// coerces to the same `dyn Future`.
    fn returned_future(&self, block: Block, boxed: Option<&Type>) -> TokenStream {
        let krate = self.krate;
        let (scope, body, value) = (local("scope"), local("body"), local("value"));
        let (is_error, error_text) = self.output_probes();
        let ty = boxed.map(|ty| quote!(: #ty));
        let exit = |returned: &Expr| {
            let call = if boxed.is_some() {
                quote! {
                    ::std::boxed::Box::pin(
                        #krate::__private::CallFuture::boxed(#scope, #value, #is_error)
                            .error_text(#error_text)
                    )
                }
            } else {
                quote! {
                    #krate::__private::CallFuture::new(#scope, #value, #is_error)
                        .error_text(#error_text)
                }
            };
            // The call's future leaves located where the user returned it,
            // so that a borrow error about it points there.
            let leaving = quote_spanned!(value.span().located_at(returned.span())=> { #call });
            quote_spanned! {returned.span()=>
                {
                    let #value #ty = #returned;
                    let #value = #body.constructed(#value);
                    ::core::mem::drop(#body);
                    #leaving
                }
            }
        };
        let head = quote!(let #body = #scope.body(););
        self.exits(block, &exit, head)
    }
}
