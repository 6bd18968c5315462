//! `impl GenServer for Counter`: the runtime's entry points, each calling
//! the user's method of the same name.
//!
//! ```text
//! input:  fn init(initial: i64) -> Result<Self, String>
//!         #[call] async fn increment(&mut self, by: i64) -> i64
//!         fn handle_info(&mut self, msg: Info<()>)
//! output: impl GenServer for Counter {
//!             type Args = i64;
//!             type InitError = String;
//!             ..
//!             fn __init(initial: i64, ctx: &mut Context<Self>) -> impl Future<..> {
//!                 async move { InitReturn::into_result(Self::init(initial)) }
//!             }
//!             fn __dispatch(&mut self, message: Self::Message, ctx: &mut Context<Self>) -> impl Future<..> {
//!                 let __CounterMessage(request) = message;
//!                 async move {
//!                     match request {
//!                         __CounterRequest::Increment(by, reply) => {
//!                             let span = call_span("increment");
//!                             reply.reply(handler_future(Self::increment(self, by)).in_span(span).await);
//!                         }
//!                     }
//!                 }
//!             }
//!             fn __handle_info(..) -> impl Future<..> { async move { Self::handle_info(self, info) } }
//!         }
//! ```
//!
//! `__handle_continue` and `__terminate` are written only when the user
//! wrote `handle_continue` and `terminate`: the trait's defaults do nothing.
//! An `async` callback's future goes through `handler_future`, spanned on
//! the method's name, so a future that is not `Send` is reported there.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::Ident;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::client::fields;
use super::{Expander, fallback, local};
use crate::model::{CallbackFn, Kind, Sig};

impl Expander<'_, '_> {
    pub(crate) fn gen_server_impl(&self) -> TokenStream {
        let gs = &self.gs;
        let self_ty = &self.server.item.self_ty;
        let (impl_generics, ty_generics, _) = self.server.item.generics.split_for_impl();
        let where_clause = self.where_clause();
        let (client, message) = (&self.client, &self.message);
        let name = self.server.name.to_string();
        let info = self.server.info_tokens();
        let cont = match self.server.continue_ty {
            Some(ty) => ty.to_token_stream(),
            None => quote!(#gs::__private::NoHandleContinue),
        };
        let (init_types, init) = self.init();
        let dispatch = self.dispatch();
        let message_name = self.message_name();
        let describe = self.describe();
        let mailbox = self.server.options.mailbox.as_ref().map(|mailbox| {
            quote! {
                fn __default_mailbox() -> #gs::Mailbox {
                    #mailbox
                }
            }
        });
        let handle_info = self.handle_info();
        let handle_continue = self.handle_continue();
        let terminate = self.terminate();
        let format_status = self.format_status();
        quote! {
            #[automatically_derived]
            impl #impl_generics #gs::GenServer for #self_ty #where_clause {
                #init_types
                type Info = #info;
                type Continue = #cont;
                type Client = #client #ty_generics;
                type Message = #message #ty_generics;

                const NAME: &'static str = #name;

                #init
                #mailbox
                #message_name
                #describe
                #dispatch
                #handle_info
                #handle_continue
                #terminate
                #format_status
            }
        }
    }

    /// `ctx` when the user's method takes it, else `_`.
    fn ctx_param(&self, used: bool) -> TokenStream {
        let gs = &self.gs;
        let name = if used {
            local("ctx").into_token_stream()
        } else {
            quote!(_)
        };
        quote!(#name: &mut #gs::Context<Self>)
    }

    /// `Self::name(self, args.., ctx)`, spanned on the user's method so
    /// type errors land there; an async one's future checked `Send` there.
    fn call_user(
        &self,
        f: &syn::ImplItemFn,
        receiver: bool,
        args: &[TokenStream],
        sig: &Sig<'_>,
    ) -> TokenStream {
        let gs = &self.gs;
        let ident = &f.sig.ident;
        let ctx = sig.takes_ctx.then(|| local("ctx"));
        let receiver = receiver.then(|| quote!(self,));
        let call = quote_spanned!(f.sig.span()=> Self::#ident(#receiver #(#args,)* #ctx));
        if sig.is_async {
            quote_spanned!(ident.span()=> #gs::__private::handler_future(#call))
        } else {
            call
        }
    }

    /// `type Args`, `type InitError`, and `fn __init`.
    fn init(&self) -> (TokenStream, TokenStream) {
        let gs = &self.gs;
        let future = quote! {
            impl #gs::__private::Future<
                Output = #gs::__private::Result<::core::option::Option<Self>, Self::InitError>,
            >
        };
        let Some(CallbackFn { f, sig }) = &self.server.callbacks.init else {
            let state = local("state");
            let error = match fallback::rejected_init_error(self.server) {
                Some(error) => error.to_token_stream(),
                None => quote!(#gs::__private::Infallible),
            };
            let types = quote! {
                type Args = Self;
                type InitError = #error;
            };
            let init = quote! {
                fn __init(#state: Self, _: &mut #gs::Context<Self>) -> #future {
                    ::core::future::ready(#gs::__private::Ok(::core::option::Option::Some(#state)))
                }

                fn __state_without_init(#state: Self) -> #gs::__private::Result<Self, Self> {
                    #gs::__private::Ok(#state)
                }
            };
            return (types, init);
        };
        // Parse keeps no `init` without a return type; nothing to write if it did.
        let Some(output) = sig.output else {
            return (TokenStream::new(), TokenStream::new());
        };
        let names: Vec<TokenStream> = sig.args.iter().map(|a| a.name.to_token_stream()).collect();
        let types = sig.args.iter().map(|a| a.ty);
        let (args_ty, args) = match names.as_slice() {
            [] => (quote!(()), quote!(_)),
            [one] => (quote!(#(#types)*), quote!(#one)),
            many => (quote!((#(#types),*)), quote!((#(#many),*))),
        };
        // `Result<_, E>` written out: `E` is the error, and the conversion
        // names it. Under an alias (`io::Result<Self>`), the projection.
        let (error, into_result) = match init_error(output) {
            Some(error) => (
                error.to_token_stream(),
                quote_spanned!(output.span()=> #gs::__private::InitResult::<Self, #error>::into_result),
            ),
            None => (
                quote_spanned!(output.span()=> <#output as #gs::__private::InitReturn<Self>>::Error),
                quote_spanned!(output.span()=> #gs::__private::InitReturn::<Self>::into_result),
            ),
        };
        let ctx = self.ctx_param(sig.takes_ctx);
        let call = self.call_user(f, false, &names, sig);
        let call = if sig.is_async {
            quote!(#call.await)
        } else {
            call
        };
        // `result` is located on the return type, so a wrong one is reported there.
        let result = Ident::new("result", Span::mixed_site().located_at(output.span()));
        let types = quote! {
            type Args = #args_ty;
            type InitError = #error;
        };
        let init = quote! {
            fn __init(#args: Self::Args, #ctx) -> #future {
                async move {
                    let #result = #call;
                    #into_result(#result)
                }
            }
        };
        (types, init)
    }

    fn dispatch(&self) -> TokenStream {
        let gs = &self.gs;
        let (message, request) = (&self.message, &self.request);
        let (msg, req) = (local("message"), local("request"));
        // The context is named when a handler takes it, or a call's reply
        // may be traced.
        let uses_ctx = self
            .server
            .handlers
            .iter()
            .any(|h| h.sig.takes_ctx || (h.kind == Kind::Call && h.reply_to.is_none()));
        let ctx = self.ctx_param(uses_ctx);
        let arms = self.server.handlers.iter().map(|handler| {
            let variant = &handler.variant;
            let cfgs = handler.cfgs();
            let names = fields(handler);
            // `r#type` is named `type` in traces.
            let span_name = handler.ident().unraw().to_string();
            let span_fn = match handler.kind {
                Kind::Call => quote!(call_span),
                Kind::Cast => quote!(cast_span),
            };
            let call = self.call_user(handler.f, true, &names, &handler.sig);
            let (open, run) = if handler.sig.is_async {
                let span = local("span");
                (
                    quote!(let #span = #gs::__private::#span_fn(#span_name);),
                    quote!(#call.in_span(#span).await),
                )
            } else {
                let span = local("_span");
                (
                    quote!(let #span = #gs::__private::#span_fn(#span_name).entered();),
                    call,
                )
            };
            match (handler.kind, &handler.reply_to) {
                (Kind::Call, None) => {
                    let (reply, value, ctx) = (local("reply"), local("value"), local("ctx"));
                    quote! {
                        #(#cfgs)*
                        #request::#variant(#(#names,)* #reply) => {
                            #open
                            let #value = #run;
                            if #ctx.__tracing() {
                                use #gs::__private::{DescribeDebug as _, DescribeNothing as _};
                                #ctx.__trace_reply((&&#gs::__private::Describe(&#value)).describe());
                            }
                            #reply.reply(#value);
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
            fn __dispatch(&mut self, #msg: Self::Message, #ctx) -> impl #gs::__private::Future<Output = ()> {
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

    /// `fn __describe_message`: `increment(by: 5)` for a trace, each
    /// argument by its `Debug` (autoref: `_` for one without), and
    /// `fn __describe_info`: the info's `Debug`. Not written for a server
    /// without handlers (the trait's default).
    fn describe(&self) -> TokenStream {
        let gs = &self.gs;
        let info = local("info");
        let describe_info = quote! {
            fn __describe_info(#info: &#gs::Info<Self::Info>) -> ::std::option::Option<::std::string::String> {
                use #gs::__private::{DescribeDebug as _, DescribeNothing as _};
                (&&#gs::__private::Describe(#info)).describe()
            }
        };
        if self.server.handlers.is_empty() {
            return describe_info;
        }
        let (message, request) = (&self.message, &self.request);
        let msg = local("message");
        let arms = self.server.handlers.iter().map(|handler| {
            let variant = &handler.variant;
            let cfgs = handler.cfgs();
            let name = handler.ident().unraw().to_string();
            let mut patterns = Vec::new();
            let mut shown = Vec::new();
            let mut labels = Vec::new();
            for (index, arg) in handler.sig.args.iter().enumerate() {
                if matches!(handler.reply_to, Some((at, _)) if at == index) {
                    patterns.push(quote!(_));
                    continue;
                }
                let local_name = &arg.name;
                patterns.push(local_name.to_token_stream());
                labels.push(format!("{}: {{}}", local_name.unraw()));
                shown.push(quote! {
                    (&&#gs::__private::Describe(#local_name))
                        .describe()
                        .unwrap_or_else(|| ::std::string::String::from("_"))
                });
            }
            let format = format!("{name}({})", labels.join(", "));
            quote! {
                #(#cfgs)*
                #request::#variant(#(#patterns,)* ..) => ::std::format!(#format, #(#shown),*),
            }
        });
        let phantom = (!self.server.item.generics.params.is_empty())
            .then(|| quote!(#request::__Phantom(..) => ::std::string::String::new(),));
        quote! {
            fn __describe_message(#msg: &Self::Message) -> ::std::option::Option<::std::string::String> {
                use #gs::__private::{DescribeDebug as _, DescribeNothing as _};
                let #message(request) = #msg;
                ::std::option::Option::Some(match request {
                    #(#arms)*
                    #phantom
                })
            }
            #describe_info
        }
    }

    /// `fn __message_name`: the handler a message is for, named in crash
    /// reports. Not written for a server without handlers.
    fn message_name(&self) -> TokenStream {
        if self.server.handlers.is_empty() {
            return TokenStream::new();
        }
        let (message, request) = (&self.message, &self.request);
        let msg = local("message");
        let arms = self.server.handlers.iter().map(|handler| {
            let variant = &handler.variant;
            let cfgs = handler.cfgs();
            let name = handler.ident().unraw().to_string();
            quote! {
                #(#cfgs)*
                #request::#variant(..) => &#name,
            }
        });
        let phantom = (!self.server.item.generics.params.is_empty())
            .then(|| quote!(#request::__Phantom(..) => &"",));
        quote! {
            fn __message_name(#msg: &Self::Message) -> &'static &'static str {
                let #message(request) = #msg;
                match request {
                    #(#arms)*
                    #phantom
                }
            }
        }
    }

    fn handle_info(&self) -> TokenStream {
        let gs = &self.gs;
        let info = local("info");
        let callback = match &self.server.callbacks.handle_info {
            Some(callback) if !self.plan.handle_info_stub => callback,
            _ => {
                // Only beside the error that asks for one.
                return quote! {
                    fn __handle_info(&mut self, _: #gs::Info<Self::Info>, _: &mut #gs::Context<Self>) -> impl #gs::__private::Future<Output = ()> {
                        async {}
                    }
                };
            }
        };
        // Located on the user's `Info<M>`, so a type mismatch points there.
        let arg = Ident::new(
            "info",
            Span::mixed_site().located_at(callback.sig.args[0].ty.span()),
        );
        let body = self.callback_body(callback, &[arg.to_token_stream()]);
        let ctx = self.ctx_param(callback.sig.takes_ctx);
        quote! {
            fn __handle_info(&mut self, #info: #gs::Info<Self::Info>, #ctx) -> impl #gs::__private::Future<Output = ()> {
                #body
            }
        }
    }

    /// An async callback's checked future as is; a sync one in `async move`,
    /// so it runs when the runtime polls it, inside the runtime's span.
    fn callback_body(&self, callback: &CallbackFn<'_>, args: &[TokenStream]) -> TokenStream {
        let call = self.call_user(callback.f, true, args, &callback.sig);
        if callback.sig.is_async {
            call
        } else {
            quote!(async move { #call })
        }
    }

    fn handle_continue(&self) -> TokenStream {
        let gs = &self.gs;
        let Some(callback) = &self.server.callbacks.handle_continue else {
            return TokenStream::new();
        };
        let arg = local("arg");
        let body = self.callback_body(callback, &[arg.to_token_stream()]);
        let ctx = self.ctx_param(callback.sig.takes_ctx);
        quote! {
            fn __handle_continue(&mut self, #arg: Self::Continue, #ctx) -> impl #gs::__private::Future<Output = ()> {
                #body
            }
        }
    }

    fn terminate(&self) -> TokenStream {
        let gs = &self.gs;
        let Some(callback) = &self.server.callbacks.terminate else {
            return TokenStream::new();
        };
        let reason = local("reason");
        let body = self.callback_body(callback, &[reason.to_token_stream()]);
        let ctx = self.ctx_param(callback.sig.takes_ctx);
        quote! {
            fn __terminate(&mut self, #reason: &#gs::ExitReason, #ctx) -> impl #gs::__private::Future<Output = ()> {
                #body
            }
        }
    }
}

impl Expander<'_, '_> {
    /// `__format_status`: the user's `format_status` shown with `Display`;
    /// without one, the state's `Debug` when it has one (chosen by autoref:
    /// the `&&Describe` method applies only to `Debug` states), else none.
    fn format_status(&self) -> TokenStream {
        let gs = &self.gs;
        let body = match &self.server.callbacks.format_status {
            Some(callback) => {
                let call = self.call_user(callback.f, true, &[], &callback.sig);
                // Spanned on the return type: a type that is not `Display`
                // is reported there.
                let span = callback
                    .sig
                    .output
                    .map_or_else(Span::call_site, Spanned::span);
                let shown = quote_spanned!(span=> #gs::checks::status_text(#call));
                quote!(::std::option::Option::Some(#shown))
            }
            None => quote! {
                use #gs::__private::{DescribeDebug as _, DescribeNothing as _};
                (&&#gs::__private::Describe(self)).describe()
            },
        };
        quote! {
            fn __format_status(&self) -> ::std::option::Option<::std::string::String> {
                #body
            }
        }
    }
}

/// The `E` of `init`'s `Result<_, E>` when written out, so the impl and its
/// docs say `type InitError = E` rather than a projection.
pub(crate) fn init_error(output: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = output else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let types: Vec<&syn::Type> = args
        .args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect();
    match types.as_slice() {
        [_, error] => Some(error),
        _ => None,
    }
}
