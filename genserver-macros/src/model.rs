//! A typed model of a `#[gen_server]` impl block. It borrows from syn's
//! tree, so every part keeps its tokens for error spans and expansion.

use syn::{Attribute, Ident, ImplItemFn, Type, Visibility};

use crate::attr::Options;

/// The whole server, as parsed from one impl block.
pub(crate) struct Server<'a> {
    pub(crate) options: Options,
    pub(crate) item: &'a syn::ItemImpl,
    /// The state type's last path segment, e.g. `Counter` (for generated names).
    pub(crate) name: Ident,
    pub(crate) handlers: Vec<Handler<'a>>,
    pub(crate) init: Option<Callback<'a>>,
    pub(crate) handle_info: Option<Callback<'a>>,
    pub(crate) handle_continue: Option<Callback<'a>>,
    pub(crate) terminate: Option<Callback<'a>>,
    /// Methods that are neither handlers nor callbacks.
    pub(crate) helpers: Vec<&'a ImplItemFn>,
    /// Handlers and callbacks whose signature was rejected.
    pub(crate) broken: Vec<&'a ImplItemFn>,
}

impl Server<'_> {
    /// `true` if the method named `name` was rejected.
    pub(crate) fn is_broken(&self, name: &str) -> bool {
        self.broken.iter().any(|f| f.sig.ident == name)
    }

    /// `true` if the impl block defines a method named `name`.
    pub(crate) fn defines(&self, name: &str) -> bool {
        self.item
            .items
            .iter()
            .any(|item| matches!(item, syn::ImplItem::Fn(f) if f.sig.ident == name))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Call,
    Cast,
}

/// A `#[call]` or `#[cast]` method.
pub(crate) struct Handler<'a> {
    pub(crate) kind: Kind,
    pub(crate) f: &'a ImplItemFn,
    pub(crate) sig: Sig<'a>,
    /// For a deferred call: where its `ReplyTo<T>` sits among the arguments, and `T`.
    pub(crate) reply_to: Option<(usize, Type)>,
}

impl Handler<'_> {
    pub(crate) fn ident(&self) -> &Ident {
        &self.f.sig.ident
    }

    pub(crate) fn vis(&self) -> &Visibility {
        &self.f.vis
    }

    /// Doc comments and `#[cfg]`s, carried to every generated item of this handler.
    pub(crate) fn forwarded_attrs(&self) -> impl Iterator<Item = &Attribute> {
        self.f.attrs.iter().filter(|a| is_doc(a) || is_cfg(a))
    }

    pub(crate) fn cfgs(&self) -> impl Iterator<Item = &Attribute> {
        self.f.attrs.iter().filter(|a| is_cfg(a))
    }
}

/// `init`, `handle_info`, `handle_continue` or `terminate`.
pub(crate) struct Callback<'a> {
    pub(crate) f: &'a ImplItemFn,
    pub(crate) sig: Sig<'a>,
}

/// What a handler's signature says, once checked.
pub(crate) struct Sig<'a> {
    pub(crate) is_async: bool,
    /// Arguments between the receiver and `ctx`, in order.
    pub(crate) args: Vec<Arg<'a>>,
    pub(crate) takes_ctx: bool,
    /// The return type, `None` for `()`.
    pub(crate) output: Option<&'a Type>,
}

pub(crate) struct Arg<'a> {
    /// The argument's name when it is a plain binding, else `arg{index}`.
    pub(crate) name: Ident,
    pub(crate) ty: &'a Type,
}

pub(crate) fn is_doc(attr: &Attribute) -> bool {
    attr.path().is_ident("doc")
}

pub(crate) fn is_cfg(attr: &Attribute) -> bool {
    attr.path().is_ident("cfg")
}
