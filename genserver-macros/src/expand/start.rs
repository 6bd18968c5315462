//! `Counter::start` and `Counter::child_spec`, on the state type itself.
//!
//! ```text
//! input:  fn init(initial: i64) -> Result<Self, String>
//! output: impl Counter {
//!             pub fn start(initial: i64) -> Start<Counter> { Start::__new(initial) }
//!             pub fn child_spec(initial: i64) -> ChildSpec
//!             where for<'__c> i64: Clone + Sync
//!             { child_spec::<Self>(initial) }
//!         }
//! ```
//!
//! Without `init`, both take the state itself.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Expander, docs, local, path_text};

impl Expander<'_, '_> {
    pub(crate) fn start(&self) -> TokenStream {
        if !self.plan.start {
            return TokenStream::new();
        }
        if self.plan.init_stub {
            return self.start_stubs();
        }
        let gs = &self.gs;
        let krate = path_text(&self.server.options.krate);
        let self_ty = &self.server.item.self_ty;
        let name = &self.server.name;
        let (impl_generics, _, _) = self.server.item.generics.split_for_impl();
        let where_clause = self.where_clause();
        let (params, args, args_ty, doc) = match &self.server.callbacks.init {
            Some(init) => {
                let names: Vec<_> = init.sig.args.iter().map(|a| &a.name).collect();
                let types: Vec<_> = init.sig.args.iter().map(|a| self.outside(a.ty)).collect();
                let (args, args_ty) = match (names.as_slice(), types.as_slice()) {
                    ([one], [ty]) => (quote!(#one), quote!(#ty)),
                    (many, types) => (quote!((#(#many),*)), quote!((#(#types),*))),
                };
                (
                    quote!(#(#names: #types),*),
                    args,
                    args_ty,
                    format!(
                        "Starts a `{name}` server: runs `init` in the new server and resolves\nonce it has returned, with the server or the reason it did not start.\nSet a name or an init timeout on the returned [`Start`]({krate}::Start) before awaiting it.",
                    ),
                )
            }
            None => {
                let state = local("state");
                (
                    quote!(#state: #self_ty),
                    quote!(#state),
                    quote!(Self),
                    format!(
                        "Starts a `{name}` server with `state` as its state (it has no `init`),\nresolving once it runs. Set a name on the returned [`Start`]({krate}::Start) before awaiting it.",
                    ),
                )
            }
        };
        let doc = docs(&doc);
        let spec_doc = docs(&format!(
            "A child spec for a supervisor: starts a `{name}` with these arguments, and\nagain with clones of them on every restart. Its id is `{name}`; change it\nwith `.with_id(..)`, and the restart and shutdown with `.with_restart(..)`, `.with_shutdown(..)`."
        ));
        quote! {
            #[automatically_derived]
            impl #impl_generics #self_ty #where_clause {
                #doc
                pub fn start(#params) -> #gs::Start<Self> {
                    #gs::Start::__new(#args)
                }

                #spec_doc
                pub fn child_spec(#params) -> #gs::ChildSpec
                where
                    // Higher-ranked, so the bound is checked where `child_spec`
                    // is called rather than here: a server whose arguments do
                    // not clone can still `start`, it just has no child spec.
                    for<'__c> #args_ty: ::core::clone::Clone + ::core::marker::Sync,
                {
                    #gs::__private::child_spec::<Self>(#args)
                }
            }
        }
    }
}
