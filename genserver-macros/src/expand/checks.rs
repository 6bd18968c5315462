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

/// Types known to be `Send`: no check, no bound, so the expansion and the
/// docs list only the types that could fail. A user type of the same name
/// that is not `Send` loses only the short error: the `GenServer` impl
/// still requires it.
const ALWAYS_SEND: [&str; 31] = [
    "bool",
    "char",
    "str",
    "String",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f32",
    "f64",
    "Duration",
    "Instant",
    "SystemTime",
    // genserver's own, asserted `Send` in its tests.
    "ServerId",
    "AnyServer",
    "ChildSpec",
    "ChildInfo",
    "ChildCount",
    "ExitReason",
    "MonitorRef",
    "TimerRef",
    "CallError",
    "StartError",
];

/// Containers that are `Send` when what they hold is.
const SEND_CONTAINERS: [&str; 10] = [
    "Vec", "VecDeque", "Option", "Result", "Box", "HashMap", "HashSet", "BTreeMap", "BTreeSet",
    "ReplyTo",
];

/// The types inside `ty` that decide whether it is `Send`: `Result<Option<A>, B>`
/// is `A` and `B`, a tuple its elements; any other type itself.
fn leaves(ty: &Type) -> Vec<&Type> {
    match ty {
        Type::Tuple(tuple) if !tuple.elems.is_empty() => {
            tuple.elems.iter().flat_map(leaves).collect()
        }
        Type::Array(array) => leaves(&array.elem),
        Type::Paren(paren) => leaves(&paren.elem),
        Type::Group(group) => leaves(&group.elem),
        Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return vec![ty];
            };
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return vec![ty];
            };
            let types: Vec<&Type> = args
                .args
                .iter()
                .filter_map(|arg| match arg {
                    syn::GenericArgument::Type(ty) => Some(ty),
                    _ => None,
                })
                .collect();
            if SEND_CONTAINERS.contains(&last.ident.to_string().as_str())
                && types.len() == args.args.len()
            {
                types.into_iter().flat_map(leaves).collect()
            } else {
                vec![ty]
            }
        }
        _ => vec![ty],
    }
}

fn always_send(ty: &Type) -> bool {
    match ty {
        Type::Tuple(tuple) => tuple.elems.iter().all(always_send),
        Type::Array(array) => always_send(&array.elem),
        Type::Slice(slice) => always_send(&slice.elem),
        Type::Reference(reference) => {
            reference.mutability.is_none() && always_send(&reference.elem)
        }
        Type::Paren(paren) => always_send(&paren.elem),
        Type::Group(group) => always_send(&group.elem),
        Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return false;
            };
            let name = last.ident.to_string();
            match &last.arguments {
                syn::PathArguments::None => ALWAYS_SEND.contains(&name.as_str()),
                syn::PathArguments::AngleBracketed(args) => {
                    (SEND_CONTAINERS.contains(&name.as_str()) || name == "Arc")
                        && args.args.iter().all(|arg| match arg {
                            syn::GenericArgument::Type(ty) => always_send(ty),
                            _ => false,
                        })
                }
                syn::PathArguments::Parenthesized(_) => false,
            }
        }
        _ => false,
    }
}

impl<'s> Expander<'s, '_> {
    /// What crosses into the server's task, each type once, with the
    /// `#[cfg]`s of the handler it comes from: the state, every handler's
    /// arguments and reply, `init`'s arguments, the info and continue types.
    fn crossing_types(&self) -> Vec<(&'s Type, Vec<&'s syn::Attribute>)> {
        let server: &'s crate::model::Server<'_> = self.server;
        let mut types: Vec<(&'s Type, Vec<&'s syn::Attribute>)> =
            vec![(&server.item.self_ty, vec![])];
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
        if let Some(init) = &server.callbacks.init {
            types.extend(init.sig.args.iter().map(|a| (a.ty, vec![])));
        }
        types.extend(server.info.as_ref().map(|ty| (ty, vec![])));
        types.extend(server.continue_ty.map(|ty| (ty, vec![])));
        let mut types: Vec<(&'s Type, Vec<&'s syn::Attribute>)> = types
            .into_iter()
            .flat_map(|(ty, cfgs)| leaves(ty).into_iter().map(move |leaf| (leaf, cfgs.clone())))
            .collect();
        let mut seen = Vec::new();
        types.retain(|(ty, cfgs)| {
            if always_send(ty) {
                return false;
            }
            let text = ty.to_token_stream().to_string();
            if cfgs.is_empty() && seen.contains(&text) {
                return false;
            }
            seen.push(text);
            true
        });
        types
    }

    /// The impl's where clause, plus `T: Send` for every type that crosses
    /// into the server's task. Every generated impl carries it: when a
    /// type is not `Send`, the impls do not apply rather than fail, and the
    /// one error is the check on the user's token (`__checks`). The bounds
    /// are higher-ranked so that rustc checks them where they are used
    /// rather than reject a false one here.
    pub(crate) fn where_clause(&self) -> TokenStream {
        let predicates = self
            .server
            .item
            .generics
            .where_clause
            .iter()
            .flat_map(|w| w.predicates.iter());
        let crossing = self.crossing_predicates();
        quote!(where #(#predicates,)* #(#crossing,)*)
    }

    /// `for<'__c> T: Send` for every crossing type (see `where_clause`).
    pub(crate) fn crossing_predicates(&self) -> Vec<syn::WherePredicate> {
        self.crossing_types()
            .into_iter()
            .filter(|(_, cfgs)| cfgs.is_empty())
            .map(|(ty, _)| {
                let ty = self.outside(ty);
                syn::parse_quote!(for<'__c> #ty: ::core::marker::Send)
            })
            .collect()
    }

    pub(crate) fn checks(&self) -> TokenStream {
        if !self.plan.checks {
            return TokenStream::new();
        }
        let gs = &self.gs;
        let checks = self.crossing_types().into_iter().map(|(ty, cfgs)| {
            let outside = self.outside(ty);
            quote_spanned!(ty.span()=> #(#cfgs)* #gs::__private::crosses_to_server::<#outside>();)
        });
        let (impl_generics, _, where_clause) = self.server.item.generics.split_for_impl();
        quote! {
            /// What crosses into the server's task is `Send`: an error lands
            /// on the type that is not. The impls above carry the same bounds,
            /// higher-ranked (`for<'__c>`) so that rustc checks them where
            /// they are used rather than reject them here: they do not apply
            /// instead of failing, and this is the one error.
            fn __checks #impl_generics () #where_clause {
                #(#checks)*
            }
        }
    }
}
