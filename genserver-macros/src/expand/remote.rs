//! `#[gen_server(remote)]`: the wire form of the server's requests, for
//! other nodes, and `impl RemoteServer`. Written only for servers that opt
//! in, so only they carry serde bounds.
//!
//! ```text
//! input:  #[gen_server(remote)]
//!         #[call] fn increment(&mut self, by: i64) -> i64
//!         #[cast] fn reset(&mut self)
//! output: #[derive(Serialize, Deserialize)]
//!         pub enum __CounterWire { Increment(i64), Reset }
//!         impl RemoteServer for Counter {
//!             type Request = __CounterWire;
//!             const SCHEMA: u64 = 0x..;    // of "call increment(i64) -> i64; cast reset()"
//!             fn __to_wire(message) -> (Request, Option<PendingReply>) {
//!                 Increment(by, reply) => (__CounterWire::Increment(by), reply_with(reply)),
//!                 Reset(_) => (__CounterWire::Reset, None),
//!             }
//!             fn __serve(handle, request) -> Option<ServedCall> {
//!                 Increment(by) => serve_call(handle.queue_call(|reply| ..Increment(by, reply))),
//!                 Reset => { handle.cast(|token| ..Reset(token)); None }
//!             }
//!         }
//!         fn __wire_checks() { crosses_wire::<i64>(); .. }  // spanned on each type
//! ```
//!
//! The serde bounds are higher-ranked (`for<'__c> T: CrossesWire`), as the
//! `Send` bounds are (see `checks.rs`): a type that cannot cross makes the
//! impls not apply, and the one error is `__wire_checks`', on its token.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use super::client::fields;
use super::{Expander, docs, local};
use crate::model::{Handler, Kind};

impl Expander<'_, '_> {
    pub(crate) fn remote(&self) -> TokenStream {
        if !self.plan.remote {
            return TokenStream::new();
        }
        let gs = &self.gs;
        let wire = self.wire();
        let self_ty = &self.server.item.self_ty;
        let (message, request) = (&self.message, &self.request);
        let wire_ty = self.wire_ident();
        let bounds = self.wire_bounds();
        let where_clause = self.where_clause();
        let schema = schema(self);
        let schema = syn::LitInt::new(&format!("0x{schema:016x}"), proc_macro2::Span::call_site());
        let (msg, req) = (local("message"), local("request"));
        let handle = local("handle");
        let to_wire = self.server.handlers.iter().map(|handler| {
            let variant = &handler.variant;
            let cfgs = handler.cfgs();
            let names = fields(handler);
            let sent = wire_fields(handler);
            let sent = wire_value(&wire_ty, variant, &sent);
            match (handler.kind, &handler.reply_to) {
                (Kind::Call, None) => {
                    let reply = local("reply");
                    quote! {
                        #(#cfgs)*
                        #request::#variant(#(#names,)* #reply) => (#sent, #gs::__private::reply_with::<C, _>(#reply)),
                    }
                }
                (Kind::Call, Some(_)) => {
                    let reply = local("reply");
                    quote! {
                        #(#cfgs)*
                        #request::#variant(#(#names),*) => (#sent, #gs::__private::reply_with::<C, _>(#reply)),
                    }
                }
                (Kind::Cast, _) => quote! {
                    #(#cfgs)*
                    #request::#variant(#(#names,)* _) => (#sent, ::core::option::Option::None),
                },
            }
        });
        let serve = self.server.handlers.iter().map(|handler| {
            let variant = &handler.variant;
            let cfgs = handler.cfgs();
            let names = fields(handler);
            let received = wire_value(&wire_ty, variant, &wire_fields(handler));
            match (handler.kind, &handler.reply_to) {
                (Kind::Call, reply_to) => {
                    let reply = local("reply");
                    let last = reply_to.is_none().then(|| quote!(#reply));
                    quote! {
                        #(#cfgs)*
                        #received => #gs::__private::serve_call::<C, _>(
                            #handle.queue_call(|#reply| #message(#request::#variant(#(#names,)* #last))),
                        ),
                    }
                }
                (Kind::Cast, _) => {
                    let token = local("token");
                    quote! {
                        #(#cfgs)*
                        #received => {
                            #handle.cast(|#token| #message(#request::#variant(#(#names,)* #token)));
                            ::core::option::Option::None
                        }
                    }
                }
            }
        });
        let checks = self.wire_checks();
        let predicates = bounds.iter();
        quote! {
            #wire

            #[automatically_derived]
            impl #gs::RemoteServer for #self_ty #where_clause #(#predicates,)* {
                type Request = #wire_ty;

                const SCHEMA: u64 = #schema;

                fn __to_wire<C: #gs::Codec>(#msg: Self::Message) -> (Self::Request, ::core::option::Option<#gs::__private::PendingReply>) {
                    let #message(#req) = #msg;
                    match #req {
                        #(#to_wire)*
                    }
                }

                fn __serve<C: #gs::Codec>(#handle: &#gs::__private::Handle<Self>, #req: Self::Request) -> ::core::option::Option<#gs::__private::ServedCall> {
                    match #req {
                        #(#serve)*
                    }
                }
            }

            #checks
        }
    }

    fn wire_ident(&self) -> syn::Ident {
        format_ident!("__{}Wire", self.server.name)
    }

    /// The wire enum: one variant per handler, its arguments less `ReplyTo`.
    fn wire(&self) -> TokenStream {
        let wire = self.wire_ident();
        let variants = self.server.handlers.iter().map(|handler| {
            let variant = &handler.variant;
            let cfgs = handler.cfgs();
            let types: Vec<Type> = wire_types(handler)
                .into_iter()
                .map(|ty| self.outside(ty))
                .collect();
            if types.is_empty() {
                quote!(#(#cfgs)* #variant)
            } else {
                quote!(#(#cfgs)* #variant(#(#types),*))
            }
        });
        let bounds: Vec<String> = self
            .wire_bounds()
            .iter()
            .map(|p| p.to_token_stream().to_string())
            .collect();
        let bound = bounds.join(", ");
        let doc = docs(&format!(
            "The wire form of a request to a `{}` server from another node: one\nvariant per handler, its arguments without the `ReplyTo`.",
            self.server.name
        ));
        quote! {
            #doc
            #[derive(__gs::__private::serde::Serialize, __gs::__private::serde::Deserialize)]
            #[serde(crate = "__gs::__private::serde", bound = #bound)]
            pub enum #wire {
                #(#variants,)*
            }
        }
    }

    /// Every type that crosses the wire, once: arguments and replies.
    fn wire_crossing(&self) -> Vec<(&Type, Vec<&syn::Attribute>)> {
        let mut types = Vec::new();
        let mut seen = Vec::new();
        for handler in &self.server.handlers {
            let cfgs: Vec<_> = handler.cfgs().collect();
            let replies = match handler.kind {
                Kind::Call => handler.reply_type(),
                Kind::Cast => None,
            };
            for ty in wire_types(handler).into_iter().chain(replies) {
                let text = ty.to_token_stream().to_string();
                if !cfgs.is_empty() || !seen.contains(&text) {
                    seen.push(text);
                    types.push((ty, cfgs.clone()));
                }
            }
        }
        types
    }

    /// `for<'__c> T: CrossesWire` for every type that crosses the wire.
    fn wire_bounds(&self) -> Vec<syn::WherePredicate> {
        self.wire_crossing()
            .into_iter()
            .filter(|(_, cfgs)| cfgs.is_empty())
            .map(|(ty, _)| {
                let ty = self.outside(ty);
                syn::parse_quote!(for<'__c> #ty: __gs::__private::CrossesWire)
            })
            .collect()
    }

    fn wire_checks(&self) -> TokenStream {
        if !self.plan.checks {
            return TokenStream::new();
        }
        let gs = &self.gs;
        let checks = self.wire_crossing().into_iter().map(|(ty, cfgs)| {
            let outside = self.outside(ty);
            quote_spanned!(ty.span()=> #(#cfgs)* #gs::__private::crosses_wire::<#outside>();)
        });
        quote! {
            /// What crosses the wire is `Serialize + DeserializeOwned`: an
            /// error lands on the type that is not (see `__checks`).
            fn __wire_checks() {
                #(#checks)*
            }
        }
    }
}

/// A handler's arguments that cross the wire: all but the `ReplyTo`.
fn wire_types<'a>(handler: &Handler<'a>) -> Vec<&'a Type> {
    handler
        .sig
        .args
        .iter()
        .enumerate()
        .filter(|(index, _)| !matches!(handler.reply_to, Some((at, _)) if at == *index))
        .map(|(_, arg)| arg.ty)
        .collect()
}

/// The locals that carry them, in order.
fn wire_fields(handler: &Handler<'_>) -> Vec<syn::Ident> {
    handler
        .sig
        .args
        .iter()
        .enumerate()
        .filter(|(index, _)| !matches!(handler.reply_to, Some((at, _)) if at == *index))
        .map(|(_, arg)| arg.name.clone())
        .collect()
}

/// `Wire::Variant(a, b)`, or `Wire::Variant` without arguments.
fn wire_value(wire: &syn::Ident, variant: &syn::Ident, fields: &[syn::Ident]) -> TokenStream {
    if fields.is_empty() {
        quote!(#wire::#variant)
    } else {
        quote!(#wire::#variant(#(#fields),*))
    }
}

/// The schema fingerprint: FNV-1a (64 bits) of the server's name and each
/// handler's kind, name, argument and reply types, as written. Stable
/// across builds and compiler versions, unlike `DefaultHasher`.
fn schema(expander: &Expander<'_, '_>) -> u64 {
    let mut text = expander.server.name.to_string();
    for handler in &expander.server.handlers {
        let args: Vec<String> = wire_types(handler)
            .into_iter()
            .map(|ty| expander.outside(ty).to_token_stream().to_string())
            .collect();
        let reply = match (handler.kind, handler.reply_type()) {
            (Kind::Call, Some(ty)) => expander.outside(ty).to_token_stream().to_string(),
            _ => "()".to_owned(),
        };
        text.push_str(&format!(
            "; {} {}({}) -> {}",
            handler.kind.name(),
            syn::ext::IdentExt::unraw(handler.ident()),
            args.join(", "),
            reply
        ));
    }
    fnv1a(text.as_bytes())
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
