//! Checks on the annotated item and the options, turning the parsed shape
//! into what expansion needs.
//!
//! Every problem is an error spanned at the token to change, with a message
//! that says what to write instead; all of them are reported together, so
//! one build shows every mistake.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::{Expr, Ident, Item, ItemFn, LitStr, Path};

use crate::args::{Arg, ArgValue, Args, TagEntry, TagKey};
use crate::rules::{self, Problem};

/// The options, checked.
pub(crate) struct Options {
    /// The metric prefix, from `name` or else the function's name.
    pub(crate) name: LitStr,
    pub(crate) tags: Vec<Tag>,
    pub(crate) timing: bool,
    pub(crate) outcome: bool,
    /// The name of the service check sent when the call ends, from
    /// `service_check = "..."` or else the metric prefix.
    pub(crate) service_check: Option<LitStr>,
    pub(crate) client: Option<Expr>,
    /// `inherit_tags = false`: the call's lines leave out the enclosing
    /// collectors' tags.
    pub(crate) inherit_tags: bool,
    /// The path to `collector_runtime`; `None` for the default.
    pub(crate) krate: Option<Path>,
}

impl Options {
    /// Whether the expansion must tell how the call ended: for the outcome
    /// tag or the service check.
    pub(crate) fn tracks(&self) -> bool {
        self.outcome || self.service_check.is_some()
    }

    /// The identifiers the option expressions use (`tags(user = id)`,
    /// `client = rec.client()`), which may be parameters.
    pub(crate) fn mentioned(&self) -> Vec<String> {
        fn idents(tokens: TokenStream, out: &mut Vec<String>) {
            for token in tokens {
                match token {
                    proc_macro2::TokenTree::Ident(ident) => out.push(ident.to_string()),
                    proc_macro2::TokenTree::Group(group) => idents(group.stream(), out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        for tag in &self.tags {
            if let Tag::Display(_, value) = tag {
                idents(value.to_token_stream(), &mut out);
            }
        }
        if let Some(client) = &self.client {
            idents(client.to_token_stream(), &mut out);
        }
        out
    }
}

/// A checked tag.
pub(crate) enum Tag {
    /// A whole `key:value` tag, known at compile time.
    Literal(LitStr),
    /// A key and a value, both known at compile time.
    Pair(LitStr, LitStr),
    /// A key and an expression evaluated when the call starts.
    Display(LitStr, Expr),
}

/// The options the attribute knows, as they are written.
const OPTIONS: &str = "`name = \"...\"`, `tags(...)`, `timing`, `outcome`, `service_check`, \
     `client = ...`, `inherit_tags = false` and `crate = ...`";

/// Collects errors so that all of them are reported.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn at(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }
}

/// The item must be a function with a body that runs at run time.
pub(crate) fn function(item: Item) -> syn::Result<ItemFn> {
    let func = match item {
        Item::Fn(func) => func,
        Item::Verbatim(tokens) if is_bodiless_fn(&tokens) => {
            return Err(syn::Error::new_spanned(
                tokens,
                "#[collect_metrics] needs the function's body: put it on the function that \
                 has one (in a trait, on the method of each `impl`)",
            ))
        }
        other => {
            return Err(syn::Error::new_spanned(
                item_keyword(&other),
                "#[collect_metrics] goes on a function: `fn`, `async fn` or a method with a \
                 body",
            ))
        }
    };
    if let Some(constness) = &func.sig.constness {
        return Err(syn::Error::new_spanned(
            constness,
            "#[collect_metrics] cannot go on a `const fn`: a call evaluated at compile time \
             has no collector; remove `const`, or the attribute",
        ));
    }
    Ok(func)
}

/// What the attribute gives back when put on what is not an item (a
/// closure, a statement, which rustc refuses first): its one message, at the
/// first token, and the code as written only when it is a `let`, so that
/// its name still resolves and nothing else fails after the message.
pub(crate) fn not_an_item(tokens: TokenStream) -> TokenStream {
    let first = tokens.clone().into_iter().next();
    let message = "#[collect_metrics] goes on a function: `fn`, `async fn` or a method with a \
                   body, not on a closure or a statement; move the code into a function and put \
                   the attribute there";
    let error = match &first {
        Some(token) => syn::Error::new_spanned(token, message),
        None => syn::Error::new(Span::call_site(), message),
    }
    .to_compile_error();
    let is_let = matches!(&first, Some(proc_macro2::TokenTree::Ident(i)) if i == "let");
    if is_let {
        quote!(#error; #tokens)
    } else {
        error
    }
}

/// A method declaration without a body (`fn f(&self);`) reaches an attribute
/// as tokens that syn leaves unparsed.
fn is_bodiless_fn(tokens: &TokenStream) -> bool {
    tokens
        .clone()
        .into_iter()
        .any(|token| matches!(&token, proc_macro2::TokenTree::Ident(i) if i == "fn"))
}

/// The keyword that says what the item is, to point the error at.
fn item_keyword(item: &Item) -> TokenStream {
    match item {
        Item::Const(i) => i.const_token.to_token_stream(),
        Item::Enum(i) => i.enum_token.to_token_stream(),
        Item::ExternCrate(i) => i.extern_token.to_token_stream(),
        Item::ForeignMod(i) => i.abi.to_token_stream(),
        Item::Impl(i) => i.impl_token.to_token_stream(),
        Item::Macro(i) => i.mac.path.to_token_stream(),
        Item::Mod(i) => i.mod_token.to_token_stream(),
        Item::Static(i) => i.static_token.to_token_stream(),
        Item::Struct(i) => i.struct_token.to_token_stream(),
        Item::Trait(i) => i.trait_token.to_token_stream(),
        Item::TraitAlias(i) => i.trait_token.to_token_stream(),
        Item::Type(i) => i.type_token.to_token_stream(),
        Item::Union(i) => i.union_token.to_token_stream(),
        Item::Use(i) => i.use_token.to_token_stream(),
        other => other.to_token_stream(),
    }
}

/// Checks the options against each other and against the rules for names
/// and tags.
/// `function` is the name of the annotated function, the default `name`;
/// `None` when the item was refused (the options are still checked).
pub(crate) fn options(args: Args, function: Option<&Ident>) -> syn::Result<Options> {
    let mut errors = Errors::default();
    let mut seen: Vec<String> = Vec::new();
    let mut name = None;
    let mut tags = Vec::new();
    let (mut timing, mut outcome) = (false, false);
    // `Some(None)`: the flag, named after `name`.
    let mut service_check: Option<Option<LitStr>> = None;
    let mut client = None;
    let mut inherit_tags = true;
    let mut krate = None;

    for Arg { key, value } in args.options {
        let option = key.unraw().to_string();
        let known = matches!(
            option.as_str(),
            "name"
                | "tags"
                | "timing"
                | "outcome"
                | "service_check"
                | "client"
                | "crate"
                | "inherit_tags"
        );
        if !known {
            errors.at(&key, unknown(&option));
            continue;
        }
        if seen.contains(&option) {
            errors.at(
                &key,
                format_args!(
                    "`{option}` is given twice: keep one{}",
                    if option == "tags" {
                        " `tags(...)` and put every tag in it"
                    } else {
                        ""
                    }
                ),
            );
            continue;
        }
        seen.push(option.clone());
        match (option.as_str(), value) {
            ("timing" | "outcome", ArgValue::Flag) => {
                *(if option == "timing" {
                    &mut timing
                } else {
                    &mut outcome
                }) = true;
            }
            ("timing" | "outcome", ArgValue::Assign(eq, expr)) => errors.at(
                quote!(#eq #expr),
                format_args!(
                    "`{option}` is a flag and takes no value: write `{option}` to turn it on, \
                     or leave it out"
                ),
            ),
            ("timing" | "outcome", ArgValue::Tags(paren, _) | ArgValue::Parens(paren)) => errors
                .push(syn::Error::new(
                    paren.span.join(),
                    format_args!(
                        "`{option}` is a flag and takes no value: write `{option}` to turn it \
                         on, or leave it out"
                    ),
                )),
            ("service_check", ArgValue::Flag) => service_check = Some(None),
            ("service_check", ArgValue::Assign(_, expr)) => {
                match check_name(&expr, "service_check", "service check") {
                    Ok(lit) => service_check = Some(Some(lit)),
                    Err(error) => errors.push(error),
                }
            }
            ("service_check", ArgValue::Tags(paren, _) | ArgValue::Parens(paren)) => {
                errors.push(syn::Error::new(
                    paren.span.join(),
                    "write `service_check` for a check named like the call's metrics, or \
                     `service_check = \"jobs.cleanup\"`",
                ))
            }
            ("name", ArgValue::Assign(_, expr)) => match check_name(&expr, "name", "metric") {
                Ok(lit) => name = Some(lit),
                Err(error) => errors.push(error),
            },
            ("name", _) => errors.at(
                &key,
                "`name` needs a value: write `name = \"jobs.cleanup\"`, or leave it out to use \
                 the function's name",
            ),
            ("tags", ArgValue::Tags(_, entries)) => {
                for entry in entries {
                    match check_tag(entry) {
                        Ok(tag) => tags.push(tag),
                        Err(error) => errors.push(error),
                    }
                }
            }
            ("tags", _) => errors.at(
                &key,
                "write the tags as a list: `tags(\"env:prod\", region = \"eu\", user = user_id)`",
            ),
            ("client", ArgValue::Assign(_, expr)) => client = Some(expr),
            ("client", _) => errors.at(
                &key,
                "`client` needs a value: write `client = expr`, with anything that converts \
                 into `collector_runtime::Client`",
            ),
            ("inherit_tags", ArgValue::Assign(_, expr)) => match check_bool(&expr) {
                Some(value) => inherit_tags = value,
                None => errors.at(
                    expr,
                    "`inherit_tags` takes `true` or `false`: write `inherit_tags = false` for \
                     lines without the enclosing collectors' tags",
                ),
            },
            ("inherit_tags", _) => errors.at(
                &key,
                "`inherit_tags` needs a value: write `inherit_tags = false` for lines without \
                 the enclosing collectors' tags (they are inherited by default)",
            ),
            ("crate", ArgValue::Assign(_, Expr::Path(path)))
                if path.attrs.is_empty() && path.qself.is_none() =>
            {
                krate = Some(path.path)
            }
            ("crate", ArgValue::Assign(_, expr)) => errors.at(
                expr,
                "`crate` takes a path to collector_runtime, e.g. `crate = my_metrics::runtime`",
            ),
            (_, _) => errors.at(
                &key,
                "`crate` takes a path to collector_runtime: write `crate = my_metrics::runtime`",
            ),
        }
    }

    if krate.is_none() {
        if let Some(renamed) = renamed_in_manifest() {
            errors.push(syn::Error::new(
                Span::call_site(),
                format_args!(
                    "this crate depends on collector-runtime under the name `{renamed}`: write \
                     `#[collect_metrics(crate = {renamed})]`"
                ),
            ));
        }
    }

    let name = name.unwrap_or_else(|| match function {
        Some(ident) => LitStr::new(&ident.unraw().to_string(), ident.span()),
        None => LitStr::new("", Span::call_site()),
    });
    let service_check = service_check.map(|named| named.unwrap_or_else(|| name.clone()));
    errors.finish(Options {
        name,
        tags,
        timing,
        outcome,
        service_check,
        client,
        inherit_tags,
        krate,
    })
}

/// The value of a `true` or `false` literal.
fn check_bool(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::Lit(lit) if lit.attrs.is_empty() => match &lit.lit {
            syn::Lit::Bool(value) => Some(value.value),
            _ => None,
        },
        _ => None,
    }
}

/// The name collector-runtime has in the Cargo.toml of the crate being
/// built, when it is renamed there (`rt = { package = "collector-runtime" }`)
/// and not also a dependency under its own name: the default path
/// `::collector_runtime` would then fail with nothing but "unresolved".
fn renamed_in_manifest() -> Option<String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let manifest = std::fs::read_to_string(std::path::Path::new(&dir).join("Cargo.toml")).ok()?;
    renamed_dependency(&manifest)
}

/// The key of a dependency renamed from `collector-runtime`, read from the
/// text of a manifest: `key = { package = "collector-runtime", ... }` or a
/// `[dependencies.key]` table with `package = "collector-runtime"`.
fn renamed_dependency(manifest: &str) -> Option<String> {
    const PACKAGE: &str = "\"collector-runtime\"";
    let mut table: Option<String> = None;
    let mut renamed = None;
    for line in manifest.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_end_matches(']').trim();
            table = header
                .rsplit_once("dependencies.")
                .map(|(_, key)| key.trim_matches('"').to_owned());
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim().trim_matches('"'), value.trim());
        if key == "collector-runtime" || key == "collector_runtime" {
            return None;
        }
        let names_package = |text: &str| {
            text.split(',').any(|part| {
                part.split_once('=').is_some_and(|(k, v)| {
                    k.trim().trim_start_matches('{').trim() == "package"
                        && v.trim().trim_end_matches('}').trim() == PACKAGE
                })
            })
        };
        if key == "package" && value == PACKAGE {
            if let Some(table) = &table {
                if table == "collector-runtime" || table == "collector_runtime" {
                    return None;
                }
                renamed = Some(table.replace('-', "_"));
            }
        } else if value.starts_with('{') && names_package(value) {
            renamed = Some(key.replace('-', "_"));
        }
    }
    renamed
}

/// The error for an option the attribute does not know, with the nearest
/// known one when it looks like a typo.
fn unknown(option: &str) -> String {
    let known = [
        "name",
        "tags",
        "timing",
        "outcome",
        "service_check",
        "client",
        "inherit_tags",
        "crate",
    ];
    let nearest = known
        .into_iter()
        .map(|known| (edit_distance(option, known), known))
        .min()
        .filter(|&(distance, _)| distance <= 2);
    match nearest {
        Some((_, known)) => {
            format!("unknown option `{option}`: did you mean `{known}`? The options are {OPTIONS}")
        }
        None => format!("unknown option `{option}`: the options are {OPTIONS}"),
    }
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// `name` (and `service_check = "..."`) must be a string literal that the
/// runtime would send unchanged; `option` is the option's name, `what` what
/// it names.
fn check_name(expr: &Expr, option: &str, what: &str) -> syn::Result<LitStr> {
    let lit = match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => lit,
        other => {
            return Err(syn::Error::new_spanned(
                other,
                format_args!(
                    "`{option}` takes a string literal, checked at compile time: write \
                     `{option} = \"jobs.cleanup\"`"
                ),
            ))
        }
    };
    let text = lit.value();
    let message = match rules::check_name(&text) {
        Ok(()) => return Ok(lit.clone()),
        Err(Problem::Empty) if option == "name" => "`name` is empty: write a metric name such as \
             `name = \"jobs.cleanup\"`, or leave `name` out to use the function's name"
            .to_owned(),
        Err(Problem::Empty) => format!(
            "`{option}` is empty: write a {what} name such as `{option} = \"jobs.cleanup\"`, \
             or write `{option}` alone to use the call's name"
        ),
        Err(Problem::Char(c)) => format!(
            "{c:?} cannot be in a {what} name (letters, digits, `_`, `-`, `/` and `.` can): \
             write `{option} = {:?}`",
            rules::cleaned(&text, rules::name_char)
        ),
        Err(Problem::NoAlphanumeric) => format!(
            "{what} name {text:?} has no letter or digit: write a name such as \
             `{option} = \"jobs.cleanup\"`"
        ),
    };
    Err(syn::Error::new_spanned(lit, message))
}

/// A literal tag, key or value must be sent unchanged by the runtime.
fn check_tag(entry: TagEntry) -> syn::Result<Tag> {
    match entry {
        TagEntry::Literal(lit) => {
            check_tag_text(&lit, &lit.value())?;
            Ok(Tag::Literal(lit))
        }
        TagEntry::Pair { key, value } => {
            let key = check_key(&key);
            let text = value.value();
            let value = check_tag_text(&value, &text).map(|()| value);
            match (key, value) {
                (Ok(key), Ok(value)) => Ok(Tag::Pair(key, value)),
                (Err(mut a), Err(b)) => {
                    a.combine(b);
                    Err(a)
                }
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        }
        TagEntry::Display { key, value } => Ok(Tag::Display(check_key(&key)?, value)),
    }
}

/// A tag key follows the name rule: no `:`, which would end the key.
fn check_key(key: &TagKey) -> syn::Result<LitStr> {
    let text = key.text();
    let message = match rules::check_name(&text) {
        Ok(()) => return Ok(LitStr::new(&text, span_of(key))),
        Err(Problem::Empty) => "empty tag key: write `key = value`".to_owned(),
        Err(Problem::Char(':')) => format!(
            "a tag key cannot hold `:`, which ends the key: write the key as {:?}",
            rules::cleaned(&text, rules::name_char)
        ),
        Err(Problem::Char(c)) => format!(
            "{c:?} cannot be in a tag key (letters, digits, `_`, `-`, `/` and `.` can): \
             write {:?}",
            rules::cleaned(&text, rules::name_char)
        ),
        Err(Problem::NoAlphanumeric) => {
            format!("tag key {text:?} has no letter or digit: write a key such as \"region\"")
        }
    };
    Err(syn::Error::new_spanned(key, message))
}

fn span_of(key: &TagKey) -> Span {
    match key {
        TagKey::Ident(ident) => ident.span(),
        TagKey::Lit(lit) => lit.span(),
    }
}

fn check_tag_text(lit: &LitStr, text: &str) -> syn::Result<()> {
    let message = match rules::check_tag(text) {
        Ok(()) => return Ok(()),
        Err(Problem::Char(c)) => format!(
            "{c:?} cannot be in a tag (letters, digits, `_`, `-`, `:`, `/` and `.` can): \
             write {:?}",
            rules::cleaned(text, rules::tag_char)
        ),
        // `check_tag` asks for no letter or digit: only emptiness is left.
        Err(Problem::Empty | Problem::NoAlphanumeric) => {
            "empty tag: write it as \"key:value\" (or \"value\"), or remove it".to_owned()
        }
    };
    Err(syn::Error::new_spanned(lit, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renamed_runtime_is_found_in_the_manifest() {
        let inline = "[dependencies]\nserde = \"1\"\nrt = { package = \"collector-runtime\", version = \"0.1\" }\n";
        assert_eq!(renamed_dependency(inline).as_deref(), Some("rt"));
        let table = "[dependencies.my-rt]\npackage = \"collector-runtime\"\nversion = \"0.1\"\n";
        assert_eq!(renamed_dependency(table).as_deref(), Some("my_rt"));
        let plain = "[dependencies]\ncollector-runtime = \"0.1\"\n";
        assert_eq!(renamed_dependency(plain), None);
        let both = format!("{inline}collector-runtime = {{ version = \"0.1\" }}\n");
        assert_eq!(renamed_dependency(&both), None);
    }

    #[test]
    fn typos_get_a_suggestion() {
        assert_eq!(edit_distance("timeing", "timing"), 1);
        assert_eq!(edit_distance("tag", "tags"), 1);
        assert!(unknown("timeing").contains("did you mean `timing`"));
        assert!(!unknown("sample_rate").contains("did you mean"));
    }
}
