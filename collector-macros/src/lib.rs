//! The `#[collect_metrics]` attribute of
//! [collector-runtime](https://docs.rs/collector-runtime): per-execution
//! DogStatsD metrics.
//!
//! Do not depend on this crate directly: the code the attribute generates
//! calls into `collector-runtime`, which re-exports the attribute. Depend on
//! `collector-runtime` and write `use collector_runtime::collect_metrics;`.
//! What the attribute does and its options are documented on
//! [`macro@collect_metrics`]; the functions that record, and what is sent, in
//! `collector-runtime`.
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

/// Gives each call of the function its own collector: current for the body
/// (around every poll, for an `async fn`), and flushed exactly once when the
/// call ends, whether it returns, returns early, fails with `?`, panics or,
/// for an `async fn`, is dropped before it completes. A non-async function
/// returning `impl Future<Output = T>` or `Pin<Box<dyn Future<Output = T>>>`,
/// spelled out or behind an alias such as `futures::future::BoxFuture`, is
/// measured as the future it returns; any other future type is refused at
/// compile time, since the call would end before it runs.
///
/// The body is kept whole (the crate's edition, `#[track_caller]`, `return`
/// and `?` keep their meaning), and owned parameters are moved into it, so
/// that everything the call drops records into the call. The README's
/// attribute section lists what is guaranteed and the limits that remain.
///
/// Options, all optional:
///
/// - `name = "jobs.cleanup"`: the prefix of what the attribute itself sends
///   (`timing`); the function's name by default.
/// - `tags("env:prod", region = "eu", user = user_id)`: tags added to every
///   series of the call. A string literal is a whole tag, `key = "value"` a
///   literal pair, `key = expr` is formatted with `Display` once, when the
///   call starts. Literal tags and names are checked at compile time against
///   the rules the runtime sanitizes by.
/// - `timing`: sends the call's duration as `<name>.duration`, in
///   milliseconds with microsecond precision.
/// - `outcome`: adds `outcome:ok`, `outcome:error` (the function returned an
///   `Err`), `outcome:panic` (a panic left the body) or `outcome:cancelled`
///   (the call's future was dropped before it completed) to every series.
/// - `service_check` or `service_check = "jobs.cleanup"`: sends one
///   DogStatsD service check when the call ends, named after `name` unless
///   given, tagged like the call's series: `OK` when it ended `ok`,
///   `CRITICAL` when it ended `error`, `panic` or `cancelled`, with a
///   message that says how (the returned error's `Display` when its type
///   has one, whether the body returned it, ended with it or left by `?`;
///   the panic's message when it is a string; `cancelled`).
/// - `client = expr`: the `collector_runtime::Client` to send through (or a
///   `&Client`), instead of the global one.
/// - `crate = path`: where `collector_runtime` is, when it was renamed.
///
/// ```ignore
/// #[collect_metrics(name = "jobs.cleanup", tags("job:cleanup"), timing, outcome)]
/// fn cleanup(db: &Db) -> Result<usize, Error> {
///     let removed = db.remove_expired()?;
///     collector_runtime::count("jobs.cleanup.removed", removed as i64, ());
///     Ok(removed)
/// }
/// ```
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
