//! Every decision about what to write when the input is wrong, in one place.
//!
//! ```text
//! input:  an impl block with errors the macro found
//! output: the user's block as written (markers consumed, a duplicate
//!         callback left out) + compile_error!s + whatever of the server
//!         the valid part describes, so `Counter::start`, `Server<Counter>`
//!         and `Context<Self>` still resolve and the only errors are ours
//! ```

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Ident, Type};

use crate::ctxt::Ctxt;
use crate::model::{Callback, Server};
use crate::parse;

/// What to write beside the user's impl block.
#[derive(Clone, Copy)]
pub(crate) struct Plan {
    /// `Counter::start` and `Counter::child_spec`.
    pub(crate) start: bool,
    /// An empty `__handle_info`, because the user's is missing or broken
    /// (and reported).
    pub(crate) handle_info_stub: bool,
    /// The checks that put `Send` errors on the user's types; left out
    /// beside our own errors, which come first.
    pub(crate) checks: bool,
    /// The generated impls' `Send` bounds on the user's impl block too:
    /// methods that take `Context<Self>` (or name `Server<Self>`) need
    /// `Self: GenServer` as the generated impls do, so a type that is not
    /// `Send` is one error, not one per method.
    pub(crate) user_impl_bounds: bool,
    /// The wire form and `impl RemoteServer` (`#[gen_server(remote)]`);
    /// left out beside an error.
    pub(crate) remote: bool,
}

impl Plan {
    /// `None` when nothing can be written: the state type cannot be named
    /// (not a path) or has lifetimes (reported).
    pub(crate) fn new(server: &Server<'_>, has_errors: bool) -> Option<Plan> {
        let nameable = matches!(&*server.item.self_ty, Type::Path(p) if p.qself.is_none());
        let lifetimes = server.item.generics.lifetimes().next().is_some();
        if has_errors && (!nameable || lifetimes) {
            return None;
        }
        Some(Plan {
            // A user's own `start` or `child_spec` is reported; a second
            // one would only add noise. So would a `start` whose `init`
            // was rejected.
            start: !server.defines("start")
                && !server.defines("child_spec")
                && !server.broken_callbacks.contains(&Callback::Init),
            handle_info_stub: server.callbacks.handle_info.is_none(),
            checks: !has_errors,
            user_impl_bounds: !has_errors && names_the_runtime(server.item),
            remote: !has_errors && server.options.remote.is_some(),
        })
    }
}

/// `true` if a method signature in the block names `Context`, `Server` or
/// `Start` (types that need the state to be a `GenServer`).
fn names_the_runtime(item: &syn::ItemImpl) -> bool {
    item.items.iter().any(|impl_item| {
        let syn::ImplItem::Fn(f) = impl_item else {
            return false;
        };
        f.sig
            .to_token_stream()
            .into_iter()
            .any(|tree| mentions(&tree))
    })
}

fn mentions(tree: &proc_macro2::TokenTree) -> bool {
    match tree {
        proc_macro2::TokenTree::Ident(ident) => {
            ident == "Context" || ident == "Server" || ident == "Start"
        }
        proc_macro2::TokenTree::Group(group) => group.stream().into_iter().any(|t| mentions(&t)),
        _ => false,
    }
}

/// The argument `#[gen_server]` gives a marker it has read, so the marker
/// macro passes the method through untouched. Keeping the attribute (rather
/// than deleting it) resolves the user's `use ..::call` import.
const CONSUMED: &str = "__consumed_by_gen_server";

pub(crate) fn is_consumed(args: &TokenStream) -> bool {
    args.to_string() == CONSUMED
}

/// The user's impl block as they wrote it, its markers marked as read.
pub(crate) fn user_impl(item: &syn::ItemImpl) -> syn::ItemImpl {
    let consumed = Ident::new(CONSUMED, Span::call_site());
    let mut item = item.clone();
    // A callback defined twice is reported once, by us: the second
    // definition is left out so rustc does not report it again.
    let mut seen = Vec::new();
    item.items.retain(|impl_item| match impl_item {
        syn::ImplItem::Fn(f) if Callback::from_name(&f.sig.ident.to_string()).is_some() => {
            let fresh = !seen.contains(&f.sig.ident);
            seen.push(f.sig.ident.clone());
            fresh
        }
        _ => true,
    });
    for impl_item in &mut item.items {
        if let syn::ImplItem::Fn(f) = impl_item {
            own_context(f);
            for attr in &mut f.attrs {
                if parse::marker(attr).is_some() {
                    let path = attr.path().clone();
                    attr.meta = syn::parse_quote!(#path(#consumed));
                }
            }
        }
    }
    item
}

/// `ctx: &mut Context<Other>` is reported (parse); written back as
/// `Context<Self>`, so rustc does not add its own error on `Other`.
fn own_context(f: &mut syn::ImplItemFn) {
    for input in &mut f.sig.inputs {
        let syn::FnArg::Typed(arg) = input else {
            continue;
        };
        let Type::Reference(reference) = &mut *arg.ty else {
            continue;
        };
        let Type::Path(path) = &mut *reference.elem else {
            continue;
        };
        let Some(last) = path.path.segments.last_mut() else {
            continue;
        };
        if last.ident != "Context" {
            continue;
        }
        if let syn::PathArguments::AngleBracketed(args) = &mut last.arguments
            && let Some(syn::GenericArgument::Type(inner)) = args.args.first_mut()
            && !crate::parse::is_context_of_self(inner, None)
        {
            *inner = syn::parse_quote_spanned!(inner.span()=> Self);
        }
    }
}

/// `#[gen_server]` on something other than an impl block: the item is
/// written back as it was, beside the error.
pub(crate) fn wrong_item(item: &syn::Item, cx: &mut Ctxt) {
    let (at, what): (&dyn ToTokens, &str) = match item {
        syn::Item::Struct(s) => (&s.ident, "a struct"),
        syn::Item::Enum(e) => (&e.ident, "an enum"),
        syn::Item::Fn(f) => (&f.sig.ident, "a function"),
        syn::Item::Trait(t) => (&t.ident, "a trait"),
        syn::Item::Mod(m) => (&m.ident, "a module"),
        other => (other, "this item"),
    };
    cx.error(
        at,
        format_args!(
            "#[gen_server] goes on the impl block of the state, not on {what}: \
             write `#[gen_server] impl State {{ .. }}` with the handlers inside"
        ),
    );
}
