//! Phase three: writing the code, once the model is known to be valid.
//!
//! For `impl Counter { .. }` the expansion is, in order:
//!
//! - the user's impl block, minus the `#[call]`/`#[cast]` markers;
//! - `pub struct CounterClient`, the client API that `Server<Counter>`
//!   dereferences to;
//! - a `const _: () = { .. };` scope holding what nobody names: the message
//!   type (`__CounterMessage`, a struct whose one field is the private
//!   `__CounterRequest` enum), the client methods, `Counter::start` and
//!   `impl GenServer for Counter`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Ident, Type};

use crate::attr;
use crate::ctxt::Ctxt;
use crate::model::{Callback, Handler, Kind, Server};
use crate::parse::{self, generic_arg};
use crate::validate;

pub(crate) fn gen_server(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let options = attr::parse_options(args, &mut cx);
    let item = match syn::parse2::<syn::Item>(input.clone()) {
        Ok(syn::Item::Impl(item)) => item,
        Ok(other) => {
            wrong_item(&other, &mut cx);
            let errors = cx.into_compile_errors();
            return quote!(#input #errors);
        }
        Err(error) => {
            cx.push(error);
            let errors = cx.into_compile_errors();
            return quote!(#input #errors);
        }
    };
    let user_impl = strip_markers(&item);
    if let Some((path, _)) = &item.trait_ {
        cx.error(
            path,
            "#[gen_server] goes on the inherent impl block of the state, like `impl Counter { .. }`, not on a trait impl",
        );
        let errors = cx.into_compile_errors();
        return quote!(#user_impl #errors);
    }
    let server = parse::parse(options, &item, &mut cx);
    validate::validate(&server, &mut cx);
    if cx.has_errors() {
        // Still implement what the valid part of the block describes, so the
        // user's own code (`Context<Self>`, `Server<T>`, `T::start`) type-checks
        // and the only errors are the ones above.
        let errors = cx.into_compile_errors();
        let fallback = fallback_possible(&server).then(|| Expander::new(&server).expand());
        return quote!(#user_impl #errors #fallback);
    }
    let generated = Expander::new(&server).expand();
    quote! {
        #user_impl
        #generated
    }
}

/// A fallback expansion needs a nameable state type without lifetimes.
fn fallback_possible(server: &Server<'_>) -> bool {
    server.item.generics.lifetimes().next().is_none()
        && matches!(&*server.item.self_ty, Type::Path(p) if p.qself.is_none())
}

/// The argument `#[gen_server]` gives a marker it has read, so the marker
/// macro passes the method through untouched. Keeping the attribute (rather
/// than deleting it) resolves the user's `use ..::call` import.
const CONSUMED: &str = "__consumed_by_gen_server";

/// `#[call]` or `#[cast]` outside a `#[gen_server]` impl block.
pub(crate) fn stray_marker(name: &str, args: TokenStream, input: TokenStream) -> TokenStream {
    if args.to_string() == CONSUMED {
        return input;
    }
    let message = format!(
        "#[{name}] marks a handler inside an impl block with #[gen_server]; put #[gen_server] on the impl block, above this method's"
    );
    let error = syn::Error::new(Span::call_site(), message).to_compile_error();
    quote!(#error #input)
}

fn wrong_item(item: &syn::Item, cx: &mut Ctxt) {
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

/// The user's impl block as they wrote it, its markers marked as read.
fn strip_markers(item: &syn::ItemImpl) -> syn::ItemImpl {
    let consumed = Ident::new(CONSUMED, Span::call_site());
    let mut item = item.clone();
    // A callback defined twice is reported once, by us: the second
    // definition is left out so rustc does not report it again.
    let mut seen = Vec::new();
    item.items.retain(|impl_item| match impl_item {
        syn::ImplItem::Fn(f) if parse::CALLBACKS.iter().any(|c| f.sig.ident == c) => {
            let fresh = !seen.contains(&f.sig.ident);
            seen.push(f.sig.ident.clone());
            fresh
        }
        _ => true,
    });
    for impl_item in &mut item.items {
        if let syn::ImplItem::Fn(f) = impl_item {
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

struct Expander<'s, 'a> {
    server: &'s Server<'a>,
    krate: &'s syn::Path,
    client: Ident,
    message: Ident,
    request: Ident,
}

/// `#[doc]` attributes, one per line, so `cargo expand` shows `///` comments.
fn docs(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| format!(" {line}"));
    quote!(#(#[doc = #lines])*)
}

/// A local of generated code, hygienic so it never meets a user's name.
fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

impl<'s, 'a> Expander<'s, 'a> {
    fn new(server: &'s Server<'a>) -> Self {
        let name = &server.name;
        Expander {
            server,
            krate: &server.options.krate,
            client: format_ident!("{}Client", name),
            message: format_ident!("__{}Message", name),
            request: format_ident!("__{}Request", name),
        }
    }

    fn expand(&self) -> TokenStream {
        let client_struct = self.client_struct();
        let messages = self.messages();
        let client_impl = self.client_impl();
        let start = self.start();
        let gen_server = self.gen_server_impl();
        quote! {
            #client_struct

            const _: () = {
                #messages
                #client_impl
                #start
                #gen_server
            };
        }
    }

    /// A type as written in a handler, with `Self` spelled out, for items
    /// outside the impl block.
    fn outside(&self, ty: &Type) -> Type {
        let mut ty = ty.clone();
        ReplaceSelf(&self.server.item.self_ty).visit_type_mut(&mut ty);
        ty
    }

    /// The impl's where clause plus `State: GenServer`, for the client
    /// struct's definition only: on an impl, that bound would shadow the
    /// `GenServer` impl itself and hide its associated types.
    fn client_where(&self) -> TokenStream {
        let krate = self.krate;
        let self_ty = &self.server.item.self_ty;
        let predicates = self
            .server
            .item
            .generics
            .where_clause
            .iter()
            .flat_map(|w| w.predicates.iter());
        quote!(where #(#predicates,)* #self_ty: #krate::GenServer)
    }

    fn client_struct(&self) -> TokenStream {
        let krate = self.krate;
        let client = &self.client;
        let self_ty = &self.server.item.self_ty;
        let params = &self.server.item.generics.params;
        let where_clause = self.client_where();
        let doc = docs(&format!(
            "The client API of `{0}`: its `#[call]` and `#[cast]` handlers as methods of\n`Server<{0}>`, which dereferences to this type.\n\nGenerated by `#[gen_server]`.",
            self.server.name
        ));
        quote! {
            #doc
            pub struct #client<#params> #where_clause {
                handle: #krate::__private::Handle<#self_ty>,
            }
        }
    }

    fn variant(handler: &Handler<'_>) -> Ident {
        let camel: String = handler
            .ident()
            .to_string()
            .split('_')
            .filter(|part| !part.is_empty())
            .map(|part| {
                let mut chars = part.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                    .unwrap_or_default()
            })
            .collect();
        Ident::new(&camel, handler.ident().span())
    }

    fn reply_type(&self, handler: &Handler<'_>) -> TokenStream {
        match (&handler.reply_to, handler.sig.output) {
            (Some((_, ty)), _) => self.outside(ty).into_token_stream(),
            (None, Some(ty)) => self.outside(ty).into_token_stream(),
            (None, None) => quote!(()),
        }
    }

    fn messages(&self) -> TokenStream {
        let krate = self.krate;
        let (message, request) = (&self.message, &self.request);
        let name = &self.server.name;
        let generics = &self.server.item.generics;
        let params = &generics.params;
        let (_, ty_generics, where_clause) = generics.split_for_impl();
        let variants = self.server.handlers.iter().map(|handler| {
            let variant = Self::variant(handler);
            let attrs = handler.forwarded_attrs();
            let args = handler.sig.args.iter().map(|arg| self.outside(arg.ty));
            let last = match (handler.kind, &handler.reply_to) {
                (Kind::Call, None) => {
                    let reply = self.reply_type(handler);
                    Some(quote!(#krate::ReplyTo<#reply>))
                }
                (Kind::Call, Some(_)) => None,
                (Kind::Cast, _) => Some(quote!(#krate::__private::CastToken)),
            };
            quote! {
                #(#attrs)*
                #variant(#(#args,)* #last)
            }
        });
        let phantom = (!params.is_empty()).then(|| {
            let self_ty = &self.server.item.self_ty;
            quote! {
                __Phantom(#krate::__private::Infallible, #krate::__private::PhantomData<fn() -> #self_ty>),
            }
        });
        let message_doc = docs(&format!(
            "A message to a `{name}` server. Only the client API builds one: its\none field is private, and its type cannot be named."
        ));
        quote! {
            #message_doc
            pub struct #message<#params>(#request #ty_generics) #where_clause;

            /// One variant per handler; calls carry their `ReplyTo`, casts a `CastToken`.
            enum #request<#params> #where_clause {
                #(#variants,)*
                #phantom
            }
        }
    }

    fn client_impl(&self) -> TokenStream {
        let krate = self.krate;
        let (client, message, request) = (&self.client, &self.message, &self.request);
        let self_ty = &self.server.item.self_ty;
        let client_name = client.to_string();
        let generics = &self.server.item.generics;
        let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
        let methods = self.server.handlers.iter().map(|handler| {
            let attrs = handler.forwarded_attrs();
            let vis = handler.vis();
            let ident = handler.ident();
            let variant = Self::variant(handler);
            let params = self.client_params(handler);
            let fields = Self::fields(handler);
            match handler.kind {
                Kind::Call => {
                    let reply = local("reply");
                    let reply_ty = self.reply_type(handler);
                    let last = handler.reply_to.is_none().then(|| quote!(#reply));
                    quote! {
                        #(#attrs)*
                        #vis async fn #ident(&self, #(#params),*) -> #krate::__private::Result<#reply_ty, #krate::CallError> {
                            self.handle
                                .call(|#reply| #message(#request::#variant(#(#fields,)* #last)))
                                .await
                        }
                    }
                }
                Kind::Cast => {
                    let token = local("token");
                    quote! {
                        #(#attrs)*
                        #vis fn #ident(&self, #(#params),*) {
                            self.handle
                                .cast(|#token| #message(#request::#variant(#(#fields,)* #token)))
                        }
                    }
                }
            }
        });
        quote! {
            impl #impl_generics #client #ty_generics #where_clause {
                #(#methods)*
            }

            impl #impl_generics ::core::clone::Clone for #client #ty_generics #where_clause {
                fn clone(&self) -> Self {
                    #client { handle: ::core::clone::Clone::clone(&self.handle) }
                }
            }

            impl #impl_generics ::core::fmt::Debug for #client #ty_generics #where_clause {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(#client_name)
                }
            }

            impl #impl_generics #krate::__private::ClientHandle<#self_ty> for #client #ty_generics #where_clause {
                fn __from_handle(handle: #krate::__private::Handle<#self_ty>) -> Self {
                    #client { handle }
                }

                fn __handle(&self) -> &#krate::__private::Handle<#self_ty> {
                    &self.handle
                }
            }
        }
    }

    /// The variant's fields as locals, in the handler's argument order: a
    /// deferred call's `ReplyTo` is the hygienic `reply`.
    fn fields(handler: &Handler<'_>) -> Vec<TokenStream> {
        handler
            .sig
            .args
            .iter()
            .enumerate()
            .map(|(index, arg)| match &handler.reply_to {
                Some((at, _)) if *at == index => local("reply").into_token_stream(),
                _ => arg.name.to_token_stream(),
            })
            .collect()
    }

    /// A client method's parameters: the handler's, less `ReplyTo` and `ctx`.
    fn client_params(&self, handler: &Handler<'_>) -> Vec<TokenStream> {
        handler
            .sig
            .args
            .iter()
            .enumerate()
            .filter(|(index, _)| !matches!(&handler.reply_to, Some((at, _)) if at == index))
            .map(|(_, arg)| {
                let name = &arg.name;
                let ty = self.outside(arg.ty);
                quote!(#name: #ty)
            })
            .collect()
    }

    fn start(&self) -> TokenStream {
        if self.server.defines("start")
            || self.server.defines("child_spec")
            || self.server.is_broken("init")
        {
            // Reported already; a second `start` would only add noise.
            return TokenStream::new();
        }
        let krate = self.krate;
        let self_ty = &self.server.item.self_ty;
        let name = &self.server.name;
        let (impl_generics, _, where_clause) = self.server.item.generics.split_for_impl();
        let (params, args, doc) = match &self.server.init {
            Some(init) => {
                let names: Vec<_> = init.sig.args.iter().map(|a| &a.name).collect();
                let types = init.sig.args.iter().map(|a| self.outside(a.ty));
                let args = match names.as_slice() {
                    [one] => quote!(#one),
                    many => quote!((#(#many),*)),
                };
                (
                    quote!(#(#names: #types),*),
                    args,
                    format!(
                        "Starts a `{name}` server: runs `init` in the new server and resolves\nonce it has returned, with the server or the reason it did not start.\nSet a name or an init timeout on the returned [`Start`]({}::Start) before awaiting it.",
                        krate.to_token_stream().to_string().replace(' ', "")
                    ),
                )
            }
            None => {
                let state = local("state");
                (
                    quote!(#state: #self_ty),
                    quote!(#state),
                    format!(
                        "Starts a `{name}` server with `state` as its state (it has no `init`),\nresolving once it runs. Set a name on the returned [`Start`]({}::Start) before awaiting it.",
                        krate.to_token_stream().to_string().replace(' ', "")
                    ),
                )
            }
        };
        let doc = docs(&doc);
        let spec_doc = docs(&format!(
            "A child spec for a supervisor: starts a `{name}` with these arguments, and\nagain with clones of them on every restart. Its id is `{name:?}`; change it\nwith `.id(..)`, and the restart and shutdown with `.restart(..)`, `.shutdown(..)`."
        ));
        let name_text = name.to_string();
        let spec_args = local("args");
        quote! {
            impl #impl_generics #self_ty #where_clause {
                #doc
                pub fn start(#params) -> #krate::__private::Start<#self_ty> {
                    #krate::__private::Start::__new(#args)
                }

                #spec_doc
                pub fn child_spec(#params) -> #krate::ChildSpec
                where
                    for<'__c> <#self_ty as #krate::GenServer>::Args: ::core::clone::Clone + ::core::marker::Sync,
                {
                    let #spec_args: <#self_ty as #krate::GenServer>::Args = #args;
                    #krate::ChildSpec::new(#name_text, move || {
                        #krate::__private::Start::<#self_ty>::__new(::core::clone::Clone::clone(&#spec_args))
                    })
                }
            }
        }
    }

    fn gen_server_impl(&self) -> TokenStream {
        let krate = self.krate;
        let private = quote!(#krate::__private);
        let self_ty = &self.server.item.self_ty;
        let (impl_generics, ty_generics, where_clause) = self.server.item.generics.split_for_impl();
        let (client, message) = (&self.client, &self.message);
        let name = self.server.name.to_string();
        let info = self.info_type();
        let cont = match &self.server.handle_continue {
            Some(callback) => callback.sig.args[0].ty.to_token_stream(),
            None => quote!(#private::NoHandleContinue),
        };
        let (init_types, init) = self.init();
        let dispatch = self.dispatch();
        let handle_info = self.handle_info();
        let handle_continue = self.handle_continue();
        let terminate = self.terminate();
        quote! {
            #[automatically_derived]
            impl #impl_generics #krate::GenServer for #self_ty #where_clause {
                #init_types
                type Info = #info;
                type Continue = #cont;
                type Client = #client #ty_generics;
                type Message = #message #ty_generics;

                const NAME: &'static str = #name;

                #init
                #dispatch
                #handle_info
                #handle_continue
                #terminate
            }
        }
    }

    /// The `info = M` option, else the `M` of `handle_info`'s `Info<M>`, else `()`.
    fn info_type(&self) -> TokenStream {
        if let Some(info) = &self.server.options.info {
            return info.to_token_stream();
        }
        self.server
            .handle_info
            .as_ref()
            .and_then(|callback| generic_arg(callback.sig.args[0].ty, "Info").flatten())
            .map(|ty| ty.to_token_stream())
            .unwrap_or_else(|| quote!(()))
    }

    fn ctx_param(&self, used: bool) -> Ident {
        local(if used { "ctx" } else { "_ctx" })
    }

    /// `Self::name(self, args.., ctx)`, awaited when async, spanned on the
    /// user's method so type errors land there.
    fn call_user(
        &self,
        f: &syn::ImplItemFn,
        receiver: bool,
        args: &[TokenStream],
        takes_ctx: bool,
        is_async: bool,
    ) -> TokenStream {
        let ident = &f.sig.ident;
        let ctx = takes_ctx.then(|| local("ctx"));
        let receiver = receiver.then(|| quote!(self,));
        let call = quote_spanned!(f.sig.span()=> Self::#ident(#receiver #(#args,)* #ctx));
        if is_async { quote!(#call.await) } else { call }
    }

    /// `type Args`, `type InitError`, and `fn __init`.
    fn init(&self) -> (TokenStream, TokenStream) {
        let krate = self.krate;
        let private = quote!(#krate::__private);
        let args = local("args");
        let Some(init) = &self.server.init else {
            let ctx = self.ctx_param(false);
            let types = quote! {
                type Args = Self;
                type InitError = #private::Infallible;
            };
            let init = quote! {
                fn __init<'a>(#args: Self, #ctx: &'a mut #krate::Context<Self>)
                    -> impl #private::Future<Output = #private::Result<::core::option::Option<Self>, #private::Infallible>> + #private::Send + 'a
                {
                    async move { #private::Ok(::core::option::Option::Some(#args)) }
                }
            };
            return (types, init);
        };
        let Callback { f, sig } = init;
        // Parse keeps no `init` without a return type; nothing to write if it did.
        let Some(output) = sig.output else {
            return (TokenStream::new(), TokenStream::new());
        };
        let names: Vec<TokenStream> = sig.args.iter().map(|a| a.name.to_token_stream()).collect();
        let types = sig.args.iter().map(|a| a.ty);
        let (args_ty, unpack) = match names.as_slice() {
            [] => (quote!(()), quote!(let () = #args;)),
            [one] => (quote!(#(#types)*), quote!(let #one = #args;)),
            many => (quote!((#(#types),*)), quote!(let (#(#many),*) = #args;)),
        };
        let ctx_name = self.ctx_param(sig.takes_ctx);
        let call = self.call_user(f, false, &names, sig.takes_ctx, sig.is_async);
        let ret = quote_spanned!(output.span()=> <#output as #private::InitReturn<Self>>);
        let types = quote! {
            type Args = #args_ty;
            type InitError = #ret::Error;
        };
        let init = quote! {
            fn __init<'a>(#args: Self::Args, #ctx_name: &'a mut #krate::Context<Self>)
                -> impl #private::Future<Output = #private::Result<::core::option::Option<Self>, Self::InitError>> + #private::Send + 'a
            {
                async move {
                    #unpack
                    #private::InitReturn::into_result(#call)
                }
            }
        };
        (types, init)
    }

    fn dispatch(&self) -> TokenStream {
        let krate = self.krate;
        let private = quote!(#krate::__private);
        let (message, request) = (&self.message, &self.request);
        let (msg, req) = (local("message"), local("request"));
        let uses_ctx = self.server.handlers.iter().any(|h| h.sig.takes_ctx);
        let ctx = self.ctx_param(uses_ctx);
        let arms = self.server.handlers.iter().map(|handler| {
            let variant = Self::variant(handler);
            let cfgs = handler.cfgs();
            let names = Self::fields(handler);
            let span_name = handler.ident().to_string();
            let span = local("span");
            let call = self.call_user(handler.f, true, &names, handler.sig.takes_ctx, false);
            let run = if handler.sig.is_async {
                quote!(#private::Instrument::instrument(#call, #span).await)
            } else {
                quote!(#span.in_scope(|| #call))
            };
            let open = quote!(let #span = #private::tracing::debug_span!(#span_name););
            match (handler.kind, &handler.reply_to) {
                (Kind::Call, None) => {
                    let reply = local("reply");
                    quote! {
                        #(#cfgs)*
                        #request::#variant(#(#names,)* #reply) => {
                            #open
                            #reply.reply(#run);
                        }
                    }
                }
                (Kind::Call, Some(_)) => quote! {
                    #(#cfgs)*
                    #request::#variant(#(#names),*) => {
                        #open
                        #run;
                    }
                },
                (Kind::Cast, _) => quote! {
                    #(#cfgs)*
                    #request::#variant(#(#names,)* _) => {
                        #open
                        #run;
                    }
                },
            }
        });
        let phantom = (!self.server.item.generics.params.is_empty()).then(|| {
            let never = local("never");
            quote!(#request::__Phantom(#never, _) => match #never {},)
        });
        quote! {
            fn __dispatch<'a>(&'a mut self, #msg: Self::Message, #ctx: &'a mut #krate::Context<Self>)
                -> impl #private::Future<Output = ()> + #private::Send + 'a
            {
                let #message(#req) = #msg;
                async move {
                    match #req {
                        #(#arms)*
                        #phantom
                    }
                }
            }
        }
    }

    fn handle_info(&self) -> TokenStream {
        let krate = self.krate;
        let private = quote!(#krate::__private);
        let info = local("info");
        let Some(Callback { f, sig }) = &self.server.handle_info else {
            // Only in a fallback expansion, next to the error that asks for one.
            return quote! {
                fn __handle_info<'a>(&'a mut self, _info: #krate::Info<Self::Info>, _ctx: &'a mut #krate::Context<Self>)
                    -> impl #private::Future<Output = ()> + #private::Send + 'a
                {
                    async move {}
                }
            };
        };
        let ctx = self.ctx_param(sig.takes_ctx);
        // Located on the user's `Info<M>`, so a type mismatch points there.
        let arg = Ident::new("info", Span::mixed_site().located_at(sig.args[0].ty.span()));
        let call = self.call_user(
            f,
            true,
            &[arg.to_token_stream()],
            sig.takes_ctx,
            sig.is_async,
        );
        quote! {
            fn __handle_info<'a>(&'a mut self, #info: #krate::Info<Self::Info>, #ctx: &'a mut #krate::Context<Self>)
                -> impl #private::Future<Output = ()> + #private::Send + 'a
            {
                async move { #call }
            }
        }
    }

    fn handle_continue(&self) -> TokenStream {
        let krate = self.krate;
        let private = quote!(#krate::__private);
        let arg = local("arg");
        let body = match &self.server.handle_continue {
            Some(Callback { f, sig }) => self.call_user(
                f,
                true,
                &[arg.to_token_stream()],
                sig.takes_ctx,
                sig.is_async,
            ),
            None => quote!(match #arg {}),
        };
        let uses_ctx = self
            .server
            .handle_continue
            .as_ref()
            .is_some_and(|c| c.sig.takes_ctx);
        let ctx = self.ctx_param(uses_ctx);
        quote! {
            fn __handle_continue<'a>(&'a mut self, #arg: Self::Continue, #ctx: &'a mut #krate::Context<Self>)
                -> impl #private::Future<Output = ()> + #private::Send + 'a
            {
                async move { #body }
            }
        }
    }

    fn terminate(&self) -> TokenStream {
        let krate = self.krate;
        let private = quote!(#krate::__private);
        let (reason, body, uses_ctx) = match &self.server.terminate {
            Some(Callback { f, sig }) => {
                let reason = local("reason");
                let call = self.call_user(
                    f,
                    true,
                    &[reason.to_token_stream()],
                    sig.takes_ctx,
                    sig.is_async,
                );
                (reason, call, sig.takes_ctx)
            }
            None => (local("_reason"), quote!(), false),
        };
        let ctx = self.ctx_param(uses_ctx);
        quote! {
            fn __terminate<'a>(&'a mut self, #reason: &'a #krate::ExitReason, #ctx: &'a mut #krate::Context<Self>)
                -> impl #private::Future<Output = ()> + #private::Send + 'a
            {
                async move { #body }
            }
        }
    }
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
