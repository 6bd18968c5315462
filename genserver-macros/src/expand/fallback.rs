//! Every decision about what to write when the input is wrong, in one place.
//!
//! ```text
//! input:  an impl block with errors the macro found
//! output: the user's block as written (markers consumed, a duplicate
//!         callback left out) + compile_error!s + the whole server as far
//!         as it can be read, so `Counter::start`, `Counter::child_spec`,
//!         every client method, `Server<Counter>` and `Context<Self>` still
//!         resolve and the only errors are ours, one per mistake:
//!
//!   fn init(start: u64) -> Self           (rejected: not a `Result`)
//!   -> pub fn start(start: u64) -> Start<Self> { unreachable!() }
//!      pub fn child_spec(start: u64) -> ChildSpec { unreachable!() }
//!
//!   #[cast] fn push(&mut self, line: &str)  (rejected: a borrow)
//!   -> fn push(&self, line: &str) { unreachable!() }, `try_push`, `push_wait`
//!
//!   #[call] fn evens(&self) -> impl Iterator<Item = u32>  (rejected)
//!   -> async fn evens(&self) -> Result<impl Iterator<Item = u32>, CallError>
//!      { Ok(<Numbers>::evens(unreachable!())) }  // the handler's own type
//! ```
//!
//! The stubs' bodies never run: the build fails on the error beside them.
//! A rejected `handle_info` or `handle_continue` still gives the server its
//! info or continue type when that type can be written (`parse.rs`), and a
//! rejected `init` its error type (`rejected_init_error`).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::{Expander, local};
use crate::ctxt::Ctxt;
use crate::model::{Callback, Kind, RejectedHandler, Server};
use crate::{parse, types};

/// What to write beside the user's impl block.
#[derive(Clone, Copy)]
pub(crate) struct Plan {
    /// `Counter::start` and `Counter::child_spec`.
    pub(crate) start: bool,
    /// `init` was rejected: `start` and `child_spec` take its arguments as
    /// written, and their bodies never run.
    pub(crate) init_stub: bool,
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
    /// The wire form and `impl RemoteServer` (`#[gen_server(remote)]`),
    /// of the handlers that were not rejected; left out for a generic
    /// state, which cannot be remote (reported).
    pub(crate) remote: bool,
    /// The typed mock (`CounterMock`, `CounterCast`): with genserver-core's
    /// `testing` feature; beside an error too, so a test that uses it sees
    /// the one error (a rejected call keeps a stub `on_..`).
    pub(crate) mock: bool,
}

impl Plan {
    /// `None` when nothing can be written: the state type cannot be named
    /// (not a path) or has lifetimes (reported).
    pub(crate) fn new(server: &Server<'_>, has_errors: bool, mocks: super::Mocks) -> Option<Plan> {
        let nameable = matches!(&*server.item.self_ty, Type::Path(p) if p.qself.is_none());
        let lifetimes = server.item.generics.lifetimes().next().is_some();
        if has_errors && (!nameable || lifetimes) {
            return None;
        }
        Some(Plan {
            // A user's own `start` or `child_spec` is reported; a second
            // one would only add noise.
            start: !server.defines("start") && !server.defines("child_spec"),
            init_stub: server.is_rejected(Callback::Init),
            handle_info_stub: server.callbacks.handle_info.is_none(),
            checks: !has_errors,
            user_impl_bounds: !has_errors && names_the_runtime(server.item),
            remote: server.options.remote.is_some() && server.item.generics.params.is_empty(),
            mock: mocks == super::Mocks::Write,
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

/// The body of a stub beside an error: it uses its parameters (no
/// `unused` warning next to the error) and never runs.
pub(crate) fn stub_body(names: &[&Ident]) -> TokenStream {
    let uses = (!names.is_empty()).then(|| quote!(let _ = (#(#names,)*);));
    quote!({ #uses ::core::unreachable!() })
}

/// The error type of a rejected `init`, when its `Result<_, E>` names one
/// that can be written: the user's `StartError<E>` then still matches.
pub(crate) fn rejected_init_error<'a>(server: &Server<'a>) -> Option<&'a Type> {
    let output = server.rejected(Callback::Init)?.sig.output?;
    super::server_impl::init_error(output).filter(|error| types::can_travel(error))
}

impl Expander<'_, '_> {
    /// `start` and `child_spec` beside a rejected `init`: its arguments as
    /// written (less a receiver and `ctx`), with its generics.
    pub(crate) fn start_stubs(&self) -> TokenStream {
        let Some(init) = self.server.rejected(Callback::Init) else {
            return TokenStream::new();
        };
        let gs = &self.gs;
        let self_ty = &self.server.item.self_ty;
        let (impl_generics, _, _) = self.server.item.generics.split_for_impl();
        let where_clause = self.where_clause();
        let generics = self.outside_generics(&init.f.sig.generics);
        let (generics, _, init_where) = generics.split_for_impl();
        let names: Vec<&Ident> = init.sig.args.iter().map(|arg| &arg.name).collect();
        let types = init.sig.args.iter().map(|arg| self.outside(arg.ty));
        let params = quote!(#(#names: #types),*);
        let body = stub_body(&names);
        quote! {
            #[automatically_derived]
            impl #impl_generics #self_ty #where_clause {
                pub fn start #generics(#params) -> #gs::Start<Self> #init_where #body

                pub fn child_spec #generics(#params) -> #gs::ChildSpec #init_where #body
            }
        }
    }

    /// The client methods of the rejected handlers (see the module docs),
    /// but for the names in `taken`.
    pub(crate) fn rejected_client_methods(&self, taken: &[String]) -> Vec<TokenStream> {
        self.server
            .rejected_handlers
            .iter()
            .map(|rejected| self.rejected_client_method(rejected, taken))
            .collect()
    }

    fn rejected_client_method(
        &self,
        rejected: &RejectedHandler<'_>,
        taken: &[String],
    ) -> TokenStream {
        let gs = &self.gs;
        let attrs: Vec<_> = rejected.client_attrs().collect();
        let vis = &rejected.client_vis;
        let ident = rejected.ident();
        let generics = self.outside_generics(&rejected.f.sig.generics);
        let (generics, _, where_clause) = generics.split_for_impl();
        let names: Vec<&Ident> = rejected.args.iter().map(|arg| &arg.name).collect();
        let types = rejected.args.iter().map(|arg| self.outside(arg.ty));
        let params = quote!(#(#names: #types),*);
        let body = stub_body(&names);
        let span = rejected.f.sig.span();
        match rejected.kind {
            Kind::Call => {
                let (reply, body, allow) = match rejected.reply {
                    Some(reply) if has_impl_trait(reply) => (
                        self.outside(reply).into_token_stream(),
                        self.own_reply(rejected, &names),
                        Some(quote! {
                            #[allow(unreachable_code, reason = "beside an error: the build fails, this never runs")]
                        }),
                    ),
                    Some(reply) => (self.outside(reply).into_token_stream(), body, None),
                    None => (quote!(()), body, None),
                };
                quote_spanned! {span=>
                    #(#attrs)*
                    #allow
                    #vis async fn #ident #generics(&self, #params) -> #gs::__private::Result<#reply, #gs::CallError> #where_clause #body
                }
            }
            Kind::Cast => {
                let name = syn::ext::IdentExt::unraw(ident).to_string();
                let variants = [format!("try_{name}"), format!("{name}_wait")];
                let [try_cast, wait_cast] = variants.map(|variant| {
                    (!taken.contains(&variant))
                        .then(|| format_ident!("{}", variant, span = ident.span()))
                });
                let try_cast = try_cast.map(|try_ident| quote_spanned! {span=>
                    #(#attrs)*
                    #vis fn #try_ident #generics(&self, #params) -> #gs::__private::Result<(), #gs::MailboxFull> #where_clause #body
                });
                let wait_cast = wait_cast.map(|wait_ident| quote_spanned! {span=>
                    #(#attrs)*
                    #vis async fn #wait_ident #generics(&self, #params) -> #gs::__private::Result<(), #gs::MailboxFull> #where_clause #body
                });
                quote_spanned! {span=>
                    #(#attrs)*
                    #vis fn #ident #generics(&self, #params) #where_clause #body
                    #try_cast
                    #wait_cast
                }
            }
        }
    }

    /// A reply that names `impl Trait` is the handler's own return type:
    /// the stub returns what the handler would, called on values that
    /// never exist (the build fails before).
    fn own_reply(&self, rejected: &RejectedHandler<'_>, names: &[&Ident]) -> TokenStream {
        let gs = &self.gs;
        let self_ty = &self.server.item.self_ty;
        let ident = rejected.ident();
        let never = quote!(::core::unreachable!());
        let mut names = names.iter();
        let args = rejected.f.sig.inputs.iter().map(|input| match input {
            syn::FnArg::Typed(arg)
                if parse::is_context(&arg.ty)
                    || parse::generic_arg(&arg.ty, "ReplyTo").is_some() =>
            {
                never.clone()
            }
            syn::FnArg::Typed(_) => match names.next() {
                Some(name) => name.to_token_stream(),
                None => never.clone(),
            },
            syn::FnArg::Receiver(_) => never.clone(),
        });
        let reply = local("reply");
        let call = quote!(<#self_ty>::#ident(#(#args),*));
        let call = match rejected.f.sig.asyncness {
            Some(_) => quote!(#call.await),
            None => call,
        };
        quote!({
            let #reply = #call;
            #gs::__private::Ok(#reply)
        })
    }
}

pub(crate) fn has_impl_trait(ty: &Type) -> bool {
    ty.to_token_stream()
        .into_iter()
        .any(|tree| mentions_impl(&tree))
}

fn mentions_impl(tree: &proc_macro2::TokenTree) -> bool {
    match tree {
        proc_macro2::TokenTree::Ident(ident) => ident == "impl",
        proc_macro2::TokenTree::Group(group) => {
            group.stream().into_iter().any(|t| mentions_impl(&t))
        }
        _ => false,
    }
}
