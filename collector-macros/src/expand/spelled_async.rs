//! `fn f() -> impl Future<Output = T> { async move { ... } }` is an
//! `async fn` written out (clippy's `manual_async_fn` says so): it is
//! measured as the `async fn` it spells. The collector starts inside the
//! block, at the first poll, and the function's body stays the lone `async`
//! block that clippy reads, so the lint fires on the annotated function as
//! it does on the plain one.
//!
//! ```text
//! fn f(x: X) -> impl Future<Output = T> {
//!     async move { let scope = ...start(); <the body, as an async fn's> }
//! }
//! ```
//!
//! The parameters are not moved into the block: the block captures what it
//! captured (a block that is not `move` borrows, one that is `move` takes
//! what it names), and what it leaves drops when the function returns, as
//! it does plain. A block that is not `move`, with an option that names a
//! variable (`tags(user = id)`, `client = rec.client()`), keeps the
//! function's own measurement from the call: evaluated in the block, the
//! option would borrow the variable into a future that outlives it.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Block, Expr, ExprAsync, ReturnType, Signature, Stmt, Type, TypeParamBound};

use super::{bare, Context};
use crate::body;
use crate::validate::Options;

/// The body's lone `async` block, and the `T` of `impl Future<Output = T>`.
pub(super) struct SpelledAsync {
    block: ExprAsync,
    output: ReturnType,
}

impl SpelledAsync {
    /// The function's body as the `async fn` it spells, if it is one.
    pub(super) fn of(sig: &Signature, block: &Block, options: &Options) -> Option<SpelledAsync> {
        if sig.asyncness.is_some() {
            return None;
        }
        let ReturnType::Type(arrow, ty) = &sig.output else {
            return None;
        };
        let output = future_output(bare(ty))?;
        let [Stmt::Expr(Expr::Async(lone), None)] = block.stmts.as_slice() else {
            return None;
        };
        if !lone.attrs.is_empty() || (lone.capture.is_none() && !options.mentioned().is_empty()) {
            return None;
        }
        Some(SpelledAsync {
            block: lone.clone(),
            output: ReturnType::Type(*arrow, Box::new(output.clone())),
        })
    }

    /// The output type, as an `async fn` would declare it.
    pub(super) fn output(&self) -> &ReturnType {
        &self.output
    }

    /// `async [move] { start; BODY-as-an-async-fn's }`, with the block's own
    /// tokens and braces.
    pub(super) fn expand(self, cx: &Context<'_>, start: TokenStream) -> TokenStream {
        let ExprAsync {
            async_token,
            capture,
            block,
            ..
        } = self.block;
        let braces = block.brace_token;
        let wrapped = if body::can_suspend(&block) {
            cx.suspending(Box::new(block), quote!(#capture))
        } else {
            cx.in_place(block)
        };
        let output = cx.async_output();
        let mut out = quote!(#async_token #capture);
        braces.surround(&mut out, |out| {
            out.extend(quote! {
                #output
                #start
                #wrapped
            });
        });
        out
    }
}

/// `T` in `impl Future<Output = T> + ...`.
fn future_output(ty: &Type) -> Option<&Type> {
    let Type::ImplTrait(opaque) = ty else {
        return None;
    };
    opaque.bounds.iter().find_map(|bound| {
        let TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let last = bound.path.segments.last()?;
        if last.ident != "Future" {
            return None;
        }
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
            _ => None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled(item: &str, options: &str) -> bool {
        let func: syn::ItemFn = syn::parse_str(item).unwrap();
        let args: crate::args::Args = syn::parse_str(options).unwrap();
        let options = crate::validate::options(args, Some(&func.sig.ident)).unwrap();
        SpelledAsync::of(&func.sig, &func.block, &options).is_some()
    }

    #[test]
    fn only_a_lone_async_block_returned_as_impl_future_is_an_async_fn() {
        let lone = "fn f(x: u8) -> impl Future<Output = u8> { async move { x } }";
        assert!(spelled(lone, ""));
        assert!(spelled(lone, "tags(x = x)"));
        assert!(spelled(
            "fn f() -> impl Future<Output = u8> { async { 1 } }",
            "outcome"
        ));
        // A statement before the block, a boxed future, an async fn.
        assert!(!spelled(
            "fn f() -> impl Future<Output = u8> { let a = 1; async move { a } }",
            ""
        ));
        assert!(!spelled(
            "fn f() -> Pin<Box<dyn Future<Output = u8>>> { Box::pin(async { 1 }) }",
            ""
        ));
        assert!(!spelled("async fn f() -> u8 { 1 }", ""));
        // A borrowing block whose option names a variable.
        assert!(!spelled(
            "fn f(x: &u8) -> impl Future<Output = u8> + '_ { async { *x } }",
            "tags(x = x)"
        ));
    }
}
