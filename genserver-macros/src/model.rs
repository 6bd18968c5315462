//! A typed model of a `#[gen_server]` impl block. It borrows from syn's
//! tree, so every part keeps its tokens for error spans and expansion, and
//! it carries everything expansion needs already resolved: the callbacks by
//! kind, each handler's variant and client visibility, the info, continue
//! and init error types.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Attribute, Ident, ImplItemFn, Type, Visibility};

use crate::attr::Options;

/// The whole server, as parsed from one impl block.
pub(crate) struct Server<'a> {
    pub(crate) options: Options,
    pub(crate) item: &'a syn::ItemImpl,
    /// The state type's last path segment, e.g. `Counter` (for generated names).
    pub(crate) name: Ident,
    pub(crate) handlers: Vec<Handler<'a>>,
    pub(crate) callbacks: Callbacks<'a>,
    /// Methods that are neither handlers nor callbacks.
    pub(crate) helpers: Vec<&'a ImplItemFn>,
    /// Handlers whose signature was rejected (and reported).
    pub(crate) rejected_handlers: Vec<RejectedHandler<'a>>,
    /// Callbacks whose signature was rejected (and reported).
    pub(crate) rejected_callbacks: Vec<RejectedCallback<'a>>,
    /// The server's own info message type: the `info = M` option, else the
    /// `M` of `handle_info`'s `Info<M>`; `None` means `()`.
    pub(crate) info: Option<Type>,
    /// The argument type of `handle_continue`, if there is one.
    pub(crate) continue_ty: Option<&'a Type>,
}

impl<'a> Server<'a> {
    /// `true` if the impl block defines a method named `name`.
    pub(crate) fn defines(&self, name: &str) -> bool {
        self.item
            .items
            .iter()
            .any(|item| matches!(item, syn::ImplItem::Fn(f) if f.sig.ident == name))
    }

    /// The callback as written, if its signature was rejected.
    pub(crate) fn rejected(&self, callback: Callback) -> Option<&RejectedCallback<'a>> {
        self.rejected_callbacks
            .iter()
            .find(|rejected| rejected.callback == callback)
    }

    pub(crate) fn is_rejected(&self, callback: Callback) -> bool {
        self.rejected(callback).is_some()
    }

    /// The info type as a type expression, `()` when there is none.
    pub(crate) fn info_tokens(&self) -> TokenStream {
        match &self.info {
            Some(info) => info.to_token_stream(),
            None => quote::quote!(()),
        }
    }
}

/// The lifecycle callbacks, recognised by name as in Elixir.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Callback {
    Init,
    HandleInfo,
    HandleContinue,
    Terminate,
    /// What inspection and crash reports show of the state.
    FormatStatus,
}

impl Callback {
    pub(crate) const ALL: [Callback; 5] = [
        Callback::Init,
        Callback::HandleInfo,
        Callback::HandleContinue,
        Callback::Terminate,
        Callback::FormatStatus,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Callback::Init => "init",
            Callback::HandleInfo => "handle_info",
            Callback::HandleContinue => "handle_continue",
            Callback::Terminate => "terminate",
            Callback::FormatStatus => "format_status",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Callback> {
        Callback::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The signature it must have, for error messages.
    pub(crate) fn shape(self) -> &'static str {
        match self {
            Callback::Init => {
                "`fn init(args..) -> Result<Self, E>` (or `Result<Option<Self>, E>`, `Ok(None)` to be ignored)"
            }
            Callback::HandleInfo => {
                "`fn handle_info(&mut self, msg: Info<M>, ctx: &mut Context<Self>)`"
            }
            Callback::HandleContinue => {
                "`fn handle_continue(&mut self, arg: A, ctx: &mut Context<Self>)`"
            }
            Callback::Terminate => "`fn terminate(&mut self, reason: &ExitReason)`",
            Callback::FormatStatus => "`fn format_status(&self) -> impl Display`",
        }
    }
}

/// The callbacks found, each at most once.
#[derive(Default)]
pub(crate) struct Callbacks<'a> {
    pub(crate) init: Option<CallbackFn<'a>>,
    pub(crate) handle_info: Option<CallbackFn<'a>>,
    pub(crate) handle_continue: Option<CallbackFn<'a>>,
    pub(crate) terminate: Option<CallbackFn<'a>>,
    pub(crate) format_status: Option<CallbackFn<'a>>,
}

impl<'a> Callbacks<'a> {
    pub(crate) fn slot(&mut self, callback: Callback) -> &mut Option<CallbackFn<'a>> {
        match callback {
            Callback::Init => &mut self.init,
            Callback::HandleInfo => &mut self.handle_info,
            Callback::HandleContinue => &mut self.handle_continue,
            Callback::Terminate => &mut self.terminate,
            Callback::FormatStatus => &mut self.format_status,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Call,
    Cast,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Call => "call",
            Kind::Cast => "cast",
        }
    }
}

/// A `#[call]` or `#[cast]` method.
pub(crate) struct Handler<'a> {
    pub(crate) kind: Kind,
    pub(crate) f: &'a ImplItemFn,
    pub(crate) sig: Sig<'a>,
    /// For a deferred call: where its `ReplyTo<T>` sits among the arguments, and `T`.
    pub(crate) reply_to: Option<(usize, &'a Type)>,
    /// The message variant, unique in the server: `increment` is `Increment`.
    pub(crate) variant: Ident,
    /// The client method's visibility: `#[call(pub)]`'s, else the handler's.
    pub(crate) client_vis: Visibility,
}

impl Handler<'_> {
    pub(crate) fn ident(&self) -> &Ident {
        &self.f.sig.ident
    }

    /// Doc comments and `#[cfg]`s, carried to the message variant.
    pub(crate) fn variant_attrs(&self) -> impl Iterator<Item = &Attribute> {
        self.f.attrs.iter().filter(|a| is_doc(a) || is_cfg(a))
    }

    /// Doc comments, `#[cfg]`, `#[deprecated]` and `#[allow]`, carried to
    /// the client method.
    pub(crate) fn client_attrs(&self) -> impl Iterator<Item = &Attribute> {
        self.f.attrs.iter().filter(|a| is_client_attr(a))
    }

    pub(crate) fn cfgs(&self) -> impl Iterator<Item = &Attribute> {
        self.f.attrs.iter().filter(|a| is_cfg(a))
    }

    /// What the caller receives: the `T` of `ReplyTo<T>`, the return type, or `()`.
    pub(crate) fn reply_type(&self) -> Option<&Type> {
        match self.reply_to {
            Some((_, ty)) => Some(ty),
            None => self.sig.output,
        }
    }
}

/// A `#[call]` or `#[cast]` whose signature was rejected: what its client
/// methods can still say, so that its callers type-check and the one error
/// is the handler's (see `expand/fallback.rs`).
pub(crate) struct RejectedHandler<'a> {
    pub(crate) kind: Kind,
    pub(crate) f: &'a ImplItemFn,
    pub(crate) client_vis: Visibility,
    /// The arguments as written, less `ctx` and any `ReplyTo`.
    pub(crate) args: Vec<Arg<'a>>,
    /// A call's reply: the `T` of its `ReplyTo<T>`, else its return type.
    pub(crate) reply: Option<&'a Type>,
}

impl<'a> RejectedHandler<'a> {
    pub(crate) fn new(kind: Kind, f: &'a ImplItemFn, client_vis: Visibility, sig: Sig<'a>) -> Self {
        let reply_to = |ty: &'a Type| crate::parse::generic_arg(ty, "ReplyTo");
        let reply = match kind {
            Kind::Call => sig
                .args
                .iter()
                .find_map(|arg| reply_to(arg.ty).flatten())
                .or(sig.output),
            Kind::Cast => None,
        };
        let args = sig
            .args
            .into_iter()
            .filter(|arg| reply_to(arg.ty).is_none())
            .collect();
        RejectedHandler {
            kind,
            f,
            client_vis,
            args,
            reply,
        }
    }

    pub(crate) fn ident(&self) -> &Ident {
        &self.f.sig.ident
    }

    /// As `Handler::client_attrs`.
    pub(crate) fn client_attrs(&self) -> impl Iterator<Item = &Attribute> {
        self.f.attrs.iter().filter(|a| is_client_attr(a))
    }
}

/// A lifecycle callback whose signature was rejected, as far as it reads.
pub(crate) struct RejectedCallback<'a> {
    pub(crate) callback: Callback,
    pub(crate) f: &'a ImplItemFn,
    pub(crate) sig: Sig<'a>,
}

/// A lifecycle callback as written.
pub(crate) struct CallbackFn<'a> {
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
    /// The name of the client method's parameter and of the local that
    /// carries it: the user's binding when the pattern is one, else a
    /// hygienic `argN` that cannot meet a user's name.
    pub(crate) name: Ident,
    pub(crate) ty: &'a Type,
}

fn is_client_attr(attr: &Attribute) -> bool {
    is_doc(attr)
        || is_cfg(attr)
        || attr.path().is_ident("deprecated")
        || attr.path().is_ident("allow")
}

pub(crate) fn is_doc(attr: &Attribute) -> bool {
    attr.path().is_ident("doc")
}

pub(crate) fn is_cfg(attr: &Attribute) -> bool {
    attr.path().is_ident("cfg")
}
