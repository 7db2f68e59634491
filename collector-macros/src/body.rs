//! What expansion needs to know about, and change in, the function's body:
//! the `return`s whose value decides the outcome, and whether an async body
//! can suspend.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Item};

/// An identifier of the expansion's own: the `mixed_site` span keeps it
/// apart from the user's variables, and the `__collect_metrics_` prefix from
/// the user's items (a `let` can resolve to a constant or a unit struct,
/// whatever its span).
pub(crate) fn local(name: &str) -> Ident {
    Ident::new(&format!("__collect_metrics_{name}"), Span::mixed_site())
}

/// Rewrites how the body itself (not its closures, async blocks or items)
/// leaves: each `return value` into `return` of what `exit` makes of the
/// value, and, with `try_text`, each `expr?` into `probe?`, so that the
/// expansion sees the value of every exit it can.
pub(crate) struct Exits<'a> {
    pub(crate) exit: &'a dyn Fn(&Expr) -> TokenStream,
    pub(crate) try_text: Option<&'a dyn Fn(&Expr) -> TokenStream>,
}

impl VisitMut for Exits<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) | Expr::TryBlock(_) => {}
            Expr::Return(ret) => {
                visit_mut::visit_expr_return_mut(self, ret);
                if let Some(value) = ret.expr.take() {
                    ret.expr = Some(Box::new(Expr::Verbatim((self.exit)(&value))));
                }
            }
            Expr::Try(tried) if self.try_text.is_some() => {
                visit_mut::visit_expr_try_mut(self, tried);
                if let Some(probe) = self.try_text {
                    let operand = probe(&tried.expr);
                    *tried.expr = Expr::Verbatim(operand);
                }
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _: &mut Item) {}
}

/// With `service_check`, tells the body the `Err`'s `Display`, if the
/// value is an `Err` whose type has one (read by autoref).
pub(crate) fn err_text(krate: &TokenStream, body: &Ident, value: &Ident) -> TokenStream {
    quote! {
        {
            use #krate::__private::{ErrText as _, NoText as _};
            #body.error_text((&&#value).__collector_err_text());
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
}
