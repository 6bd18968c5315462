//! Checks that put an error on the user's own token when something that
//! crosses into the server's task is not `Send`.
//!
//! ```text
//! input:  impl Counter { #[cast] fn push(&mut self, item: Rc<u8>) .. }
//! output: fn __checks() {
//!             __gs::__private::crosses_to_server::<Counter>();   // spanned on `Counter`
//!             __gs::__private::crosses_to_server::<Rc<u8>>();    // spanned on `Rc<u8>`
//!         }
//! ```
//!
//! Each check names the type as the user wrote it, once, spanned on its
//! first occurrence; the trait it asks for explains, in its
//! `on_unimplemented`, why and what to do.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use super::Expander;

impl Expander<'_, '_> {
    pub(crate) fn checks(&self) -> TokenStream {
        if !self.plan.checks {
            return TokenStream::new();
        }
        let gs = &self.gs;
        let server = self.server;
        // Each type with the `#[cfg]`s of the handler it comes from.
        let mut types: Vec<(&Type, Vec<&syn::Attribute>)> = vec![(&server.item.self_ty, vec![])];
        for handler in &server.handlers {
            let cfgs: Vec<_> = handler.cfgs().collect();
            let reply_to = handler.reply_to.map(|(at, _)| at);
            for (index, arg) in handler.sig.args.iter().enumerate() {
                if Some(index) != reply_to {
                    types.push((arg.ty, cfgs.clone()));
                }
            }
            types.extend(handler.reply_type().map(|ty| (ty, cfgs.clone())));
        }
        let mut types_of_callbacks: Vec<&Type> = Vec::new();
        if let Some(init) = &server.callbacks.init {
            types_of_callbacks.extend(init.sig.args.iter().map(|a| a.ty));
        }
        if let Some(info) = &server.options.info {
            types_of_callbacks.push(info);
        } else if let Some(callback) = &server.callbacks.handle_info
            && let Some(arg) = callback.sig.args.first()
            && let Some(Some(info)) = crate::parse::generic_arg(arg.ty, "Info")
        {
            types_of_callbacks.push(info);
        }
        types_of_callbacks.extend(server.continue_type());
        types.extend(types_of_callbacks.into_iter().map(|ty| (ty, vec![])));
        let mut seen = Vec::new();
        let checks = types.into_iter().filter_map(|(ty, cfgs)| {
            let text = ty.to_token_stream().to_string();
            if cfgs.is_empty() && seen.contains(&text) {
                return None;
            }
            seen.push(text);
            let outside = self.outside(ty);
            Some(quote_spanned!(ty.span()=> #(#cfgs)* #gs::__private::crosses_to_server::<#outside>();))
        });
        let (impl_generics, _, where_clause) = server.item.generics.split_for_impl();
        quote! {
            /// What crosses into the server's task is `Send`: an error lands
            /// on the type that is not.
            fn __checks #impl_generics () #where_clause {
                #(#checks)*
            }
        }
    }
}
