//! The `#[collect_metrics]` attribute of
//! [collector-runtime](https://docs.rs/collector-runtime): per-execution
//! DogStatsD metrics.
//!
//! Do not depend on this crate directly: the code the attribute generates
//! calls into `collector-runtime`, which re-exports the attribute. Depend on
//! `collector-runtime` and write `use collector_runtime::collect_metrics;`.
//! What the attribute does, its options, its guarantees and its limits are
//! documented on [`macro@collect_metrics`]; the functions that record, and
//! what is sent, in `collector-runtime`'s guide.
//!
//! The macro works in three steps, one module each: `args` parses the
//! options for their shape, `validate` checks them and the function (every
//! misuse is a compile error at the offending token, with what to write
//! instead; the character rules are in `rules`), and `expand` wraps the
//! body so each call has its own collector, flushed once when the call ends
//! (`params` moves the parameters into the body, `body` reads and rewrites
//! what the body holds).
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod args;
mod body;
mod expand;
mod param_attrs;
mod params;
mod rules;
mod validate;

// The whole contract: options, guarantees, limits. Its examples are
// compiled and run as doctests of collector-runtime, which this crate
// cannot depend on (collector-runtime/src/lib.rs includes the same file
// under `cfg(doctest)`), so they are left out of this crate's doctests.
#[cfg_attr(not(doctest), doc = include_str!("../docs/collect_metrics.md"))]
#[proc_macro_attribute]
pub fn collect_metrics(args: TokenStream, item: TokenStream) -> TokenStream {
    let original = proc_macro2::TokenStream::from(item.clone());
    if syn::parse::<syn::Item>(item.clone()).is_err() {
        return validate::not_an_item(original).into();
    }
    match run(args, item) {
        Ok(expanded) => expanded.into(),
        // The item is kept as it was, so one mistake in the attribute does
        // not also make every caller fail to find the function.
        Err(error) => {
            let mut out = error.to_compile_error();
            out.extend(original);
            out.into()
        }
    }
}

fn run(args: TokenStream, item: TokenStream) -> syn::Result<proc_macro2::TokenStream> {
    let func = syn::parse::<syn::Item>(item).and_then(validate::function);
    // The options are checked even when the item is refused, so that one
    // build shows every mistake.
    let ident = func.as_ref().ok().map(|func| &func.sig.ident);
    let options = syn::parse::<args::Args>(args).and_then(|args| validate::options(args, ident));
    match (func, options) {
        (Ok(func), Ok(options)) => Ok(expand::function(func, &options)),
        (Err(mut first), Err(second)) => {
            first.combine(second);
            Err(first)
        }
        (Err(error), _) | (_, Err(error)) => Err(error),
    }
}
