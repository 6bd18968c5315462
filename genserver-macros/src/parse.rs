//! Phase one: from syn's tree to the model, checking each method on its own.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{FnArg, ImplItem, ImplItemFn, Pat, ReceiverKind, ReturnType, Type, Visibility};

use crate::attr::Options;
use crate::ctxt::Ctxt;
use crate::model::{
    Arg, Callback, CallbackFn, Callbacks, Handler, Kind, RejectedCallback, RejectedHandler, Server,
    Sig,
};
use crate::types::{self, type_text};

/// Which marker a method carries: `#[call]`, `#[cast]`, or none.
pub(crate) fn marker(attr: &syn::Attribute) -> Option<Kind> {
    let path = attr.path();
    let last = path.segments.last()?;
    if path.segments.len() > 2 {
        return None;
    }
    match last.ident.to_string().as_str() {
        "call" => Some(Kind::Call),
        "cast" => Some(Kind::Cast),
        _ => None,
    }
}

pub(crate) fn parse<'a>(options: Options, item: &'a syn::ItemImpl, cx: &mut Ctxt) -> Server<'a> {
    if let Some(lifetime) = item.generics.lifetimes().next() {
        cx.error(
            lifetime,
            "a server outlives every borrow: its state cannot have lifetime parameters; own the data (e.g. `String`, `Arc<T>`) instead",
        );
    }
    let name = state_name(&item.self_ty, cx);
    let mut server = Server {
        options,
        item,
        name,
        handlers: Vec::new(),
        callbacks: Callbacks::default(),
        helpers: Vec::new(),
        rejected_handlers: Vec::new(),
        rejected_callbacks: Vec::new(),
        info: None,
        continue_ty: None,
    };
    for impl_item in &item.items {
        let ImplItem::Fn(f) = impl_item else { continue };
        method(&mut server, f, cx);
    }
    name_variants(&mut server.handlers);
    resolve_types(&mut server);
    server
}

/// The info and continue types, from the options and the callbacks. A
/// rejected `handle_info` or `handle_continue` still gives its type when
/// it can travel (see `types::can_travel`), so the user's
/// `server.send(msg)` and `ctx.continue_with(arg)` are no second error.
fn resolve_types(server: &mut Server<'_>) {
    let from_handle_info = first_arg(server, Callback::HandleInfo)
        .and_then(|ty| generic_arg(ty, "Info").flatten())
        .cloned();
    server.info = server.options.info.clone().or(from_handle_info);
    server.continue_ty = first_arg(server, Callback::HandleContinue);
}

/// The type of a callback's first argument, from a rejected one too.
fn first_arg<'a>(server: &Server<'a>, callback: Callback) -> Option<&'a Type> {
    let valid = match callback {
        Callback::Init => server.callbacks.init.as_ref(),
        Callback::HandleInfo => server.callbacks.handle_info.as_ref(),
        Callback::HandleContinue => server.callbacks.handle_continue.as_ref(),
        Callback::Terminate => server.callbacks.terminate.as_ref(),
        Callback::FormatStatus => server.callbacks.format_status.as_ref(),
    };
    match valid {
        Some(valid) => valid.sig.args.first().map(|arg| arg.ty),
        None => server
            .rejected(callback)
            .and_then(|rejected| rejected.sig.args.first())
            .map(|arg| arg.ty)
            .filter(|ty| types::can_travel(ty)),
    }
}

/// Gives each handler a variant name of its own: `increment` is
/// `Increment`; `r#type` and `type_` are `Type` and `Type2`.
fn name_variants(handlers: &mut [Handler<'_>]) {
    let mut taken: Vec<String> = Vec::new();
    for handler in handlers {
        let camel = camel_case(&handler.ident().unraw().to_string());
        let base = if camel.is_empty() {
            "Handler".to_string()
        } else {
            camel
        };
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        handler.variant = syn::Ident::new(&name, handler.ident().span());
        taken.push(name);
    }
}

fn camel_case(snake: &str) -> String {
    snake
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn state_name(self_ty: &Type, cx: &mut Ctxt) -> syn::Ident {
    if let Type::Path(path) = self_ty
        && path.qself.is_none()
        && let Some(last) = path.path.segments.last()
    {
        return last.ident.clone();
    }
    cx.error(
        self_ty,
        "#[gen_server] goes on the impl block of a named state struct or enum, like `impl Counter { .. }`",
    );
    syn::Ident::new("State", Span::call_site())
}

fn method<'a>(server: &mut Server<'a>, f: &'a ImplItemFn, cx: &mut Ctxt) {
    let name = f.sig.ident.to_string();
    let marker = markers(f, cx);
    if let Some(callback) = Callback::from_name(&name) {
        if let Some(Marker { kind, attr, .. }) = marker {
            cx.error(
                attr,
                format_args!(
                    "`{name}` is a lifecycle callback, recognised by its name; remove #[{}]",
                    kind.name()
                ),
            );
        }
        let ours = server.callbacks.slot(callback).is_some() || server.is_rejected(callback);
        if ours {
            cx.error(
                &f.sig.ident,
                format_args!("`{name}` is defined twice; a server has one `{name}`"),
            );
            return;
        }
        let (sig, ok) = callback_sig(f, callback, server, cx);
        if ok {
            *server.callbacks.slot(callback) = Some(CallbackFn { f, sig });
        } else {
            server
                .rejected_callbacks
                .push(RejectedCallback { callback, f, sig });
        }
        return;
    }
    let Some(Marker { kind, vis, .. }) = marker else {
        server.helpers.push(f);
        return;
    };
    let (sig, reply_to, ok) = handler_sig(f, kind, server, cx);
    let client_vis = vis.unwrap_or_else(|| f.vis.clone());
    if ok {
        server.handlers.push(Handler {
            kind,
            f,
            sig,
            reply_to,
            variant: f.sig.ident.clone(),
            client_vis,
        });
    } else {
        server
            .rejected_handlers
            .push(RejectedHandler::new(kind, f, client_vis, sig));
    }
}

/// A `#[call]` or `#[cast]` as written on a method.
struct Marker<'a> {
    kind: Kind,
    attr: &'a syn::Attribute,
    /// `#[call(pub)]`: the client method's visibility, when not the handler's.
    vis: Option<Visibility>,
}

/// The method's `#[call]`/`#[cast]` marker, reporting a second one or bad arguments.
fn markers<'a>(f: &'a ImplItemFn, cx: &mut Ctxt) -> Option<Marker<'a>> {
    let mut found: Option<Marker<'a>> = None;
    for attr in &f.attrs {
        let Some(kind) = marker(attr) else { continue };
        let vis = match &attr.meta {
            syn::Meta::Path(_) => None,
            meta => match marker_visibility(meta) {
                Some(vis) => Some(vis),
                None => {
                    cx.error(
                        meta,
                        format_args!(
                            "#[{0}] takes only the client method's visibility, like `#[{0}(pub)]`; \
                             per-call timeouts are set by the caller with `server.with_timeout(..)`",
                            kind.name()
                        ),
                    );
                    None
                }
            },
        };
        match &found {
            None => found = Some(Marker { kind, attr, vis }),
            Some(first) if first.kind == kind => {
                cx.error(attr, format_args!("#[{}] is given twice", kind.name()));
            }
            Some(_) => cx.error(
                attr,
                "a handler is either #[call] (the caller waits for a reply) or #[cast] (fire-and-forget), not both",
            ),
        }
    }
    found
}

/// `pub` or `pub(..)` in `#[call(pub)]`; `None` for anything else.
fn marker_visibility(meta: &syn::Meta) -> Option<Visibility> {
    let syn::Meta::List(list) = meta else {
        return None;
    };
    match syn::parse2::<Visibility>(list.tokens.clone()) {
        Ok(Visibility::Inherited) | Err(_) => None,
        Ok(vis) => Some(vis),
    }
}

/// How a signature's receiver must look.
#[derive(Clone, Copy, PartialEq)]
enum Receiver {
    /// `&self` or `&mut self`.
    Borrowed,
    /// No `self`: `init`.
    None,
}

/// Checks what every handler and callback shares: no generics, no
/// `unsafe`/`const`/`extern`, the receiver, owned arguments, `ctx` last.
/// The signature as far as it can be read, and whether it passed: a
/// rejected one still tells the fallback what its callers pass.
fn common_sig<'a>(
    f: &'a ImplItemFn,
    what: &str,
    receiver: Receiver,
    owned_args: bool,
    server: &Server<'_>,
    cx: &mut Ctxt,
) -> (Sig<'a>, bool) {
    let sig = &f.sig;
    let before = cx.count();
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        cx.error(
            &sig.generics,
            format_args!(
                "{what} cannot be generic: its arguments travel in a message, which needs concrete types"
            ),
        );
    }
    if let Some(token) = &sig.constness {
        cx.error(token, format_args!("{what} cannot be `const`"));
    }
    if let syn::Safety::Unsafe(token) = &sig.safety {
        cx.error(token, format_args!("{what} cannot be `unsafe`"));
    }
    if let Some(abi) = &sig.abi {
        cx.error(abi, format_args!("{what} cannot be `extern`"));
    }
    if let Some(variadic) = &sig.variadic {
        cx.error(variadic, format_args!("{what} cannot be variadic"));
    }
    let mut inputs = sig.inputs.iter().peekable();
    match (inputs.peek(), receiver) {
        (Some(FnArg::Receiver(r)), Receiver::Borrowed) => {
            inputs.next();
            if !matches!(r.kind, ReceiverKind::Reference(..)) {
                cx.error(
                    r,
                    format_args!(
                        "{what} borrows the state: take `&self` or `&mut self`; the server keeps its state between messages"
                    ),
                );
            }
        }
        (Some(FnArg::Receiver(r)), Receiver::None) => {
            inputs.next();
            cx.error(
                r,
                format_args!("{what} builds the state, so it takes no `self`: `fn init(args..) -> Result<Self, E>`"),
            );
        }
        (_, Receiver::Borrowed) => cx.error(
            &sig.ident,
            format_args!(
                "{what} needs a receiver: take `&self` or `&mut self` as the first argument"
            ),
        ),
        (_, Receiver::None) => {}
    }
    let mut args = Vec::new();
    let mut takes_ctx = false;
    for (index, input) in inputs.enumerate() {
        let FnArg::Typed(arg) = input else { continue };
        if takes_ctx {
            cx.error(
                arg,
                "`ctx: &mut Context<Self>` must be the last argument; move this argument before it",
            );
            if context_ref(&arg.ty).is_none() {
                args.push(Arg {
                    name: arg_name(&arg.pat, index),
                    ty: &arg.ty,
                });
            }
            continue;
        }
        match context_ref(&arg.ty) {
            Some(true) => {
                takes_ctx = true;
                check_context_of_self(&arg.ty, server, cx);
                continue;
            }
            Some(false) => {
                cx.error(
                    &arg.ty,
                    "take the context mutably: `ctx: &mut Context<Self>`",
                );
                continue;
            }
            None => {}
        }
        if owned_args {
            check_owned(&arg.ty, cx);
        }
        args.push(Arg {
            name: arg_name(&arg.pat, index),
            ty: &arg.ty,
        });
    }
    dedupe_names(&mut args);
    let output = match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) if is_unit(ty) => None,
        ReturnType::Type(_, ty) => Some(&**ty),
    };
    let sig = Sig {
        is_async: sig.asyncness.is_some(),
        args,
        takes_ctx,
        output,
    };
    (sig, cx.count() == before)
}

/// `&Context<..>` or `&mut Context<..>`: the context, not an argument.
pub(crate) fn is_context(ty: &Type) -> bool {
    context_ref(ty).is_some()
}

/// `Some(true)` for `&mut Context<..>`, `Some(false)` for `&Context<..>`.
fn context_ref(ty: &Type) -> Option<bool> {
    let Type::Reference(reference) = ty else {
        return None;
    };
    (last_segment(&reference.elem)? == "Context").then_some(reference.mutability.is_some())
}

/// `ctx: &mut Context<Other>`: the context is this server's own.
fn check_context_of_self(ty: &Type, server: &Server<'_>, cx: &mut Ctxt) {
    let Type::Reference(reference) = ty else {
        return;
    };
    let Some(Some(inner)) = generic_arg(&reference.elem, "Context") else {
        return;
    };
    if !is_context_of_self(inner, Some(&server.name)) {
        cx.error(
            inner,
            format_args!(
                "a handler receives its own server's context: take `ctx: &mut Context<Self>`; \
                 to reach another server, keep its `Server<{}>` handle in the state",
                type_text(inner)
            ),
        );
    }
}

/// `Self`, or the state's own name when known: what `Context<_>` must hold.
pub(crate) fn is_context_of_self(inner: &Type, state: Option<&syn::Ident>) -> bool {
    match inner {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "Self" || state.is_some_and(|s| last.ident == *s)),
        _ => false,
    }
}

fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        Type::Group(group) => last_segment(&group.elem),
        Type::Paren(paren) => last_segment(&paren.elem),
        _ => None,
    }
}

/// The single generic argument of `Name<T>`, if `ty` is one.
pub(crate) fn generic_arg<'a>(ty: &'a Type, name: &str) -> Option<Option<&'a Type>> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    Some(match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(ty) => Some(ty),
            _ => None,
        }),
        _ => None,
    })
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

/// Arguments cross a channel: no borrows, no `impl Trait`.
fn check_owned(ty: &Type, cx: &mut Ctxt) {
    if matches!(ty, Type::ImplTrait(_)) {
        cx.error(
            ty,
            "an `impl Trait` argument cannot travel in a message: name a concrete type, or take a `Box<dyn Trait + Send>`",
        );
        return;
    }
    let Some(owned) = types::owned(ty) else {
        return;
    };
    let owned = type_text(&owned);
    let what = match ty {
        Type::Reference(r) if r.mutability.is_some() => "a `&mut` borrow".to_string(),
        Type::Reference(_) => "a `&` borrow".to_string(),
        _ => format!("`{}`, which holds a borrow", type_text(ty)),
    };
    cx.error(
        ty,
        format_args!(
            "arguments travel to the server in a message, so they must be owned: take `{owned}` instead of {what}"
        ),
    );
}

/// The user's binding (`_by` read as `by`), or a hygienic `argN` for a
/// pattern or `_`: it cannot meet a name the user wrote.
fn arg_name(pat: &Pat, index: usize) -> syn::Ident {
    if let Pat::Ident(p) = pat
        && p.subpat.is_none()
    {
        let name = p.ident.unraw().to_string();
        let trimmed = name.trim_start_matches('_');
        if trimmed.len() == name.len() {
            return p.ident.clone();
        }
        if let Ok(ident) = syn::parse_str::<syn::Ident>(trimmed) {
            return syn::Ident::new(&ident.to_string(), p.ident.span());
        }
    }
    syn::Ident::new(&format!("arg{index}"), Span::mixed_site())
}

/// `_x` read as `x` must not meet another argument `x`: keep the first
/// one's name as written then.
fn dedupe_names(args: &mut [Arg<'_>]) {
    for i in 1..args.len() {
        let (before, rest) = args.split_at_mut(i);
        let arg = &mut rest[0];
        if before.iter().any(|a| a.name == arg.name) {
            arg.name = syn::Ident::new(&format!("arg{i}"), Span::mixed_site());
        }
    }
}

fn handler_sig<'a>(
    f: &'a ImplItemFn,
    kind: Kind,
    server: &Server<'_>,
    cx: &mut Ctxt,
) -> (Sig<'a>, Option<(usize, &'a Type)>, bool) {
    let what = match kind {
        Kind::Call => "a #[call] handler",
        Kind::Cast => "a #[cast] handler",
    };
    let (sig, mut ok) = common_sig(f, what, Receiver::Borrowed, true, server, cx);
    let mut reply_to = None;
    for (index, input) in f.sig.inputs.iter().filter_map(typed).enumerate() {
        let Some(inner) = generic_arg(&input.ty, "ReplyTo") else {
            continue;
        };
        let Some(inner) = inner else {
            cx.error(&input.ty, "say what the caller receives: `ReplyTo<T>`");
            ok = false;
            continue;
        };
        if kind == Kind::Cast {
            cx.error(
                &input.ty,
                "no caller waits on a cast, so it has nothing to reply to: take `ReplyTo<T>` in a #[call]",
            );
            ok = false;
        } else if reply_to.is_some() {
            cx.error(
                &input.ty,
                "a call has one caller: take a single `ReplyTo<T>`",
            );
            ok = false;
        } else {
            reply_to = Some((index, inner));
        }
    }
    if let ReturnType::Type(_, ty) = &f.sig.output
        && !is_unit(ty)
    {
        if kind == Kind::Cast {
            cx.error(
                ty,
                "casts are fire-and-forget and cannot return a value; remove the return type, or make it a #[call]",
            );
            ok = false;
        } else if reply_to.is_some() {
            cx.error(
                ty,
                "a call that takes `ReplyTo<T>` answers through it, later: it returns `()`; remove the return type",
            );
            ok = false;
        } else if matches!(**ty, Type::ImplTrait(_)) {
            cx.error(
                ty,
                "a reply travels back in a message: name a concrete type instead of `impl Trait`",
            );
            ok = false;
        } else if let Some(owned) = types::owned(ty) {
            cx.error(
                ty,
                format_args!(
                    "calls return owned values: the reply travels back to the caller in a message, \
                     after the handler has returned; return `{}` instead of a borrow",
                    type_text(&owned)
                ),
            );
            ok = false;
        }
    }
    (sig, reply_to, ok)
}

fn typed(input: &FnArg) -> Option<&syn::PatType> {
    match input {
        FnArg::Typed(arg) if context_ref(&arg.ty).is_none() => Some(arg),
        _ => None,
    }
}

fn callback_sig<'a>(
    f: &'a ImplItemFn,
    callback: Callback,
    server: &Server<'_>,
    cx: &mut Ctxt,
) -> (Sig<'a>, bool) {
    let what = format!("`{}`", callback.name());
    let shape = callback.shape();
    let receiver = if callback == Callback::Init {
        Receiver::None
    } else {
        Receiver::Borrowed
    };
    let owned_args = callback != Callback::Terminate;
    let (sig, ok) = common_sig(f, &what, receiver, owned_args, server, cx);
    if !ok {
        return (sig, false);
    }
    let mut ok = true;
    if let Some(reply) = sig
        .args
        .iter()
        .find(|a| generic_arg(a.ty, "ReplyTo").is_some())
    {
        cx.error(
            reply.ty,
            format_args!(
                "`ReplyTo<T>` belongs to #[call] handlers; {what} has no caller to reply to"
            ),
        );
        ok = false;
    }
    match callback {
        Callback::FormatStatus => ok &= format_status_sig(f, &sig, cx),
        Callback::Init => match sig.output {
            None => {
                cx.error(
                    &f.sig,
                    format_args!("`init` must return the new state: {shape}"),
                );
                ok = false;
            }
            Some(output) if !returns_result(output) => {
                cx.error(
                    output,
                    format_args!(
                        "`init` returns `Ok(state)` to start, or `Err(e)` to refuse: {shape}"
                    ),
                );
                ok = false;
            }
            Some(_) => {}
        },
        _ => {
            if let Some(output) = sig.output {
                cx.error(
                    output,
                    format_args!("{what} returns nothing; remove the return type: {shape}"),
                );
                ok = false;
            }
            let expected = match callback {
                Callback::HandleInfo => {
                    sig.args.len() == 1 && generic_arg(sig.args[0].ty, "Info").is_some()
                }
                Callback::Terminate => sig.args.len() == 1 && is_exit_reason_ref(sig.args[0].ty),
                Callback::Init | Callback::HandleContinue | Callback::FormatStatus => {
                    sig.args.len() == 1
                }
            };
            if !expected {
                let at: &dyn quote::ToTokens = match sig.args.get(usize::from(sig.args.len() > 1)) {
                    Some(arg) => arg.ty,
                    None => &f.sig,
                };
                let fix = match callback {
                    Callback::HandleInfo => "it takes one message of type `Info<M>`",
                    Callback::Terminate => "it takes the exit reason as `&ExitReason`",
                    Callback::Init | Callback::HandleContinue | Callback::FormatStatus => {
                        "it takes one argument, the value given to `ctx.continue_with(..)`"
                    }
                };
                cx.error(
                    at,
                    format_args!(
                        "{what} has the wrong shape: {fix}, then optionally the context: {shape}"
                    ),
                );
                ok = false;
            }
        }
    }
    (sig, ok)
}

/// `fn format_status(&self) -> impl Display`: it reads the state, between
/// two messages or after a crash, so it takes `&self` only, does not wait,
/// and returns what is shown.
fn format_status_sig(f: &ImplItemFn, sig: &Sig<'_>, cx: &mut Ctxt) -> bool {
    let shape = Callback::FormatStatus.shape();
    let before = cx.count();
    if let Some(FnArg::Receiver(r)) = f.sig.inputs.first()
        && matches!(r.kind, ReceiverKind::Reference(_, _, Some(_)))
    {
        cx.error(
            r,
            format_args!("`format_status` only reads the state: take `&self`: {shape}"),
        );
    }
    if let Some(token) = &f.sig.asyncness {
        cx.error(
            token,
            format_args!(
                "`format_status` cannot be `async`: it runs while the server is inspected or has crashed, and must not wait: {shape}"
            ),
        );
    }
    if let Some(arg) = sig.args.first() {
        cx.error(
            arg.ty,
            format_args!("`format_status` takes nothing but `&self`: {shape}"),
        );
    } else if sig.takes_ctx {
        cx.error(
            &f.sig.inputs,
            format_args!("`format_status` takes nothing but `&self`, not the context: {shape}"),
        );
    }
    if sig.output.is_none() {
        cx.error(
            &f.sig,
            format_args!(
                "`format_status` returns what inspection shows of the state (a `String`, or anything `Display`): {shape}"
            ),
        );
    }
    cx.count() == before
}

/// A `Result<..>` under any path or alias: its last segment says `Result`.
fn returns_result(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|last| last.ends_with("Result"))
}

fn is_exit_reason_ref(ty: &Type) -> bool {
    matches!(ty, Type::Reference(r) if r.mutability.is_none() && last_segment(&r.elem).as_deref() == Some("ExitReason"))
}
