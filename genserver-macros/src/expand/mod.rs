//! Phase three: writing the code, once the model is known (and, on error,
//! what of it is sound enough to write: see `fallback`).
//!
//! For `impl Counter { .. }` the expansion is, in order:
//!
//! ```text
//! impl Counter { .. }                 // the user's block, markers consumed
//! pub struct CounterClient { .. }     // client.rs: the API `Server<Counter>` derefs to
//! const _: () = {
//!     use ::genserver_core as __gs;   // the one path to the runtime
//!     pub struct __CounterMessage ..  // message.rs: the private message type
//!     impl CounterClient { .. }       // client.rs: one method per handler
//!     impl Counter { start, child_spec }         // start.rs
//!     impl __gs::GenServer for Counter { .. }    // server_impl.rs
//!     fn __checks() { .. }            // checks.rs: errors on the user's tokens
//!     enum __CounterWire ..           // remote.rs, for `remote` only: the
//!     impl __gs::RemoteServer ..      //   wire form, for other nodes
//!     impl CounterMock { .. }         // mock.rs, with `testing` only: the
//! };                                  //   mock (`CounterMock`, `CounterCast` outside)
//! ```

mod checks;
mod client;
mod fallback;
mod message;
mod mock;
mod remote;
mod server_impl;
mod start;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::visit_mut::VisitMut;
use syn::{Ident, Type};

use crate::attr;
use crate::ctxt::Ctxt;
use crate::model::Server;
use crate::{parse, validate};

pub(crate) use fallback::Plan;

/// Whether to write a typed mock beside the client (genserver-core's
/// `testing` feature, which turns on this crate's).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mocks {
    Write,
    Skip,
}

impl Mocks {
    /// As this crate was built: with the `testing` feature, mocks.
    pub(crate) fn as_built() -> Self {
        if cfg!(feature = "testing") {
            Mocks::Write
        } else {
            Mocks::Skip
        }
    }
}

pub(crate) fn gen_server(args: TokenStream, input: TokenStream) -> TokenStream {
    gen_server_with(args, input, Mocks::as_built())
}

pub(crate) fn gen_server_with(args: TokenStream, input: TokenStream, mocks: Mocks) -> TokenStream {
    let mut cx = Ctxt::default();
    let options = attr::parse_options(args, &mut cx);
    let item = match syn::parse2::<syn::Item>(input.clone()) {
        Ok(syn::Item::Impl(item)) => item,
        Ok(other) => {
            fallback::wrong_item(&other, &mut cx);
            let errors = cx.into_compile_errors();
            return quote!(#input #errors);
        }
        Err(error) => {
            cx.push(error);
            let errors = cx.into_compile_errors();
            return quote!(#input #errors);
        }
    };
    if let Some((path, _)) = &item.trait_ {
        cx.error(
            path,
            "#[gen_server] goes on the inherent impl block of the state, like `impl Counter { .. }`, not on a trait impl",
        );
        let user_impl = fallback::user_impl(&item);
        let errors = cx.into_compile_errors();
        return quote!(#user_impl #errors);
    }
    let server = parse::parse(options, &item, &mut cx);
    validate::validate(&server, &mut cx);
    let mut user_impl = fallback::user_impl(&item);
    let plan = Plan::new(&server, cx.has_errors(), mocks);
    let errors = cx.into_compile_errors();
    let generated = plan.map(|plan| {
        let expander = Expander::new(&server, plan);
        if plan.user_impl_bounds {
            let predicates = expander.crossing_predicates();
            user_impl
                .generics
                .make_where_clause()
                .predicates
                .extend(predicates);
        }
        expander.expand()
    });
    quote! {
        #user_impl
        #errors
        #generated
    }
}

/// `#[call]` or `#[cast]` outside a `#[gen_server]` impl block.
pub(crate) fn stray_marker(name: &str, args: TokenStream, input: TokenStream) -> TokenStream {
    if fallback::is_consumed(&args) {
        return input;
    }
    let message = format!(
        "#[{name}] marks a handler inside an impl block with #[gen_server]; put #[gen_server] on the impl block, above this method's"
    );
    let error = syn::Error::new(Span::call_site(), message).to_compile_error();
    quote!(#error #input)
}

/// Names and paths shared by every generator.
pub(crate) struct Expander<'s, 'a> {
    pub(crate) server: &'s Server<'a>,
    pub(crate) plan: Plan,
    /// `__gs`: the crate, aliased once inside `const _`.
    pub(crate) gs: Ident,
    pub(crate) client: Ident,
    pub(crate) message: Ident,
    pub(crate) request: Ident,
}

impl<'s, 'a> Expander<'s, 'a> {
    fn new(server: &'s Server<'a>, plan: Plan) -> Self {
        let name = &server.name;
        Expander {
            server,
            plan,
            gs: Ident::new("__gs", Span::call_site()),
            client: format_ident!("{}Client", name),
            message: format_ident!("__{}Message", name),
            request: format_ident!("__{}Request", name),
        }
    }

    fn expand(&self) -> TokenStream {
        let krate = &self.server.options.krate;
        let gs = &self.gs;
        let allows = lint_allows();
        let client_struct = self.client_struct();
        let messages = self.messages();
        let client_impl = self.client_impl();
        let start = self.start();
        let gen_server = self.gen_server_impl();
        let checks = self.checks();
        let remote = self.remote();
        let mock_items = self.mock_items();
        let mock_impls = self.mock_impls();
        quote! {
            #client_struct
            #mock_items

            #allows
            const _: () = {
                use #krate as #gs;

                #messages
                #client_impl
                #start
                #gen_server
                #checks
                #remote
                #mock_impls
            };
        }
    }

    /// A type as written in a handler, with `Self` spelled out, for items
    /// outside the impl block.
    pub(crate) fn outside(&self, ty: &Type) -> Type {
        let mut ty = ty.clone();
        ReplaceSelf(&self.server.item.self_ty).visit_type_mut(&mut ty);
        ty
    }

    /// A method's generics, with `Self` spelled out (see `outside`).
    pub(crate) fn outside_generics(&self, generics: &syn::Generics) -> syn::Generics {
        let mut generics = generics.clone();
        ReplaceSelf(&self.server.item.self_ty).visit_generics_mut(&mut generics);
        generics
    }
}

/// The lints generated code allows, each for a reason; on the `const _`
/// that holds it, and on the client struct beside it.
pub(crate) fn lint_allows() -> TokenStream {
    quote! {
        #[allow(
            deprecated,
            reason = "the dispatch calls every handler, deprecated or not",
        )]
        #[allow(
            unreachable_pub,
            reason = "the client and message types are public as the `GenServer` impl names them, whatever the state's visibility",
        )]
        #[allow(
            unused_must_use,
            reason = "a handler's `#[must_use]` speaks to its callers; the dispatch has nothing to use from a cast",
        )]
        #[allow(
            clippy::too_many_arguments,
            reason = "a client method takes the arguments its handler takes",
        )]
    }
}

/// `#[doc]` attributes, one per line, so `cargo expand` shows `///` comments.
pub(crate) fn docs(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| format!(" {line}"));
    quote!(#(#[doc = #lines])*)
}

/// A local of generated code, hygienic so it never meets a user's name.
pub(crate) fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// A path as a person writes it, for docs: `::genserver_core`.
pub(crate) fn path_text(path: &impl ToTokens) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// Replaces `Self` in a type with the state type, for generated items that
/// live outside the impl block.
struct ReplaceSelf<'a>(&'a Type);

impl VisitMut for ReplaceSelf<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::Path(path) = ty {
            if path.qself.is_none() && path.path.is_ident("Self") {
                *ty = self.0.clone();
                return;
            }
            if path.qself.is_none()
                && path.path.segments.len() > 1
                && path.path.segments[0].ident == "Self"
                && path.path.segments[0].arguments.is_empty()
            {
                // `Self::Assoc` becomes `<State>::Assoc`.
                let rest: Vec<_> = path.path.segments.iter().skip(1).cloned().collect();
                let state = self.0;
                *ty = syn::parse_quote!(<#state>::#(#rest)::*);
                return;
            }
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }
}
