//! The message type: what a client sends, built only by the client methods.
//!
//! ```text
//! input:  #[call] fn increment(&mut self, by: i64) -> i64
//!         #[cast] fn reset(&mut self)
//! output: pub struct __CounterMessage(__CounterRequest);
//!         enum __CounterRequest {
//!             Increment(i64, ReplyTo<i64>),
//!             Reset(CastToken),
//!         }
//! ```
//!
//! The struct is public (the `GenServer` impl names it) but its one field
//! is private and it lives inside `const _`: nobody outside can build one.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Expander, docs};
use crate::model::Kind;

impl Expander<'_, '_> {
    pub(crate) fn messages(&self) -> TokenStream {
        let gs = &self.gs;
        let (message, request) = (&self.message, &self.request);
        let generics = &self.server.item.generics;
        let params = &generics.params;
        let (_, ty_generics, where_clause) = generics.split_for_impl();
        let variants =
            self.server.handlers.iter().map(|handler| {
                let variant = &handler.variant;
                let attrs = handler.variant_attrs();
                let args = handler.sig.args.iter().enumerate().map(|(index, arg)| {
                    match handler.reply_to {
                        Some((at, reply)) if at == index => {
                            let reply = self.outside(reply);
                            quote!(#gs::ReplyTo<#reply>)
                        }
                        _ => {
                            let ty = self.outside(arg.ty);
                            quote!(#ty)
                        }
                    }
                });
                let last = match (handler.kind, &handler.reply_to) {
                    (Kind::Call, None) => {
                        let reply = self.reply_type(handler);
                        Some(quote!(#gs::ReplyTo<#reply>))
                    }
                    (Kind::Call, Some(_)) => None,
                    (Kind::Cast, _) => Some(quote!(#gs::__private::CastToken)),
                };
                quote! {
                    #(#attrs)*
                    #variant(#(#args,)* #last)
                }
            });
        // A generic state's parameters must appear in the enum: in a
        // variant that cannot be built.
        let phantom = (!params.is_empty()).then(|| {
            let self_ty = &self.server.item.self_ty;
            quote! {
                __Phantom(#gs::__private::Infallible, #gs::__private::PhantomData<fn() -> #self_ty>),
            }
        });
        let message_doc = docs(&format!(
            "A message to a `{}` server. Only the client API builds one: its\none field is private, and its type cannot be named.",
            self.server.name
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
}
