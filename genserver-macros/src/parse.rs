//! Phase one: from syn's tree to the model, checking each method on its own.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ImplItemFn, Pat, ReceiverKind, ReturnType, Type};

use crate::attr::Options;
use crate::ctxt::Ctxt;
use crate::model::{Arg, Callback, Handler, Kind, Server, Sig};

/// The callbacks recognised by name.
pub(crate) const CALLBACKS: [&str; 4] = ["init", "handle_info", "handle_continue", "terminate"];

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
        init: None,
        handle_info: None,
        handle_continue: None,
        terminate: None,
        helpers: Vec::new(),
        broken: Vec::new(),
    };
    for impl_item in &item.items {
        let ImplItem::Fn(f) = impl_item else { continue };
        method(&mut server, f, cx);
    }
    server
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
    let kind = markers(f, cx);
    if let Some(callback) = CALLBACKS.iter().find(|c| **c == name) {
        if let Some((kind, attr)) = kind {
            cx.error(
                attr,
                format_args!(
                    "`{callback}` is a lifecycle callback, recognised by its name; remove #[{}]",
                    kind_name(kind)
                ),
            );
        }
        let slot = match name.as_str() {
            "init" => &mut server.init,
            "handle_info" => &mut server.handle_info,
            "handle_continue" => &mut server.handle_continue,
            _ => &mut server.terminate,
        };
        if slot.is_some() {
            cx.error(
                &f.sig.ident,
                format_args!("`{callback}` is defined twice; a server has one `{callback}`"),
            );
            return;
        }
        match callback_sig(f, callback, cx) {
            Some(sig) => *slot = Some(Callback { f, sig }),
            None => server.broken.push(f),
        }
        return;
    }
    let Some((kind, _)) = kind else {
        server.helpers.push(f);
        return;
    };
    match handler_sig(f, kind, cx) {
        Some((sig, reply_to)) => server.handlers.push(Handler {
            kind,
            f,
            sig,
            reply_to,
        }),
        None => server.broken.push(f),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Call => "call",
        Kind::Cast => "cast",
    }
}

/// The method's `#[call]`/`#[cast]` marker, reporting a second one or arguments.
fn markers<'a>(f: &'a ImplItemFn, cx: &mut Ctxt) -> Option<(Kind, &'a syn::Attribute)> {
    let mut found: Option<(Kind, &syn::Attribute)> = None;
    for attr in &f.attrs {
        let Some(kind) = marker(attr) else { continue };
        if !matches!(attr.meta, syn::Meta::Path(_)) {
            cx.error(
                &attr.meta,
                format_args!(
                    "#[{}] takes no arguments; per-call timeouts are set by the caller with `server.with_timeout(..)`",
                    kind_name(kind)
                ),
            );
        }
        match found {
            None => found = Some((kind, attr)),
            Some((first, _)) if first == kind => {
                cx.error(attr, format_args!("#[{}] is given twice", kind_name(kind)));
            }
            Some(_) => cx.error(
                attr,
                "a handler is either #[call] (the caller waits for a reply) or #[cast] (fire-and-forget), not both",
            ),
        }
    }
    found
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
fn common_sig<'a>(
    f: &'a ImplItemFn,
    what: &str,
    receiver: Receiver,
    owned_args: bool,
    cx: &mut Ctxt,
) -> Option<Sig<'a>> {
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
            continue;
        }
        match context_ref(&arg.ty) {
            Some(true) => {
                takes_ctx = true;
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
    let output = match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) if is_unit(ty) => None,
        ReturnType::Type(_, ty) => Some(&**ty),
    };
    if cx.count() != before {
        return None;
    }
    Some(Sig {
        is_async: sig.asyncness.is_some(),
        args,
        takes_ctx,
        output,
    })
}

/// `Some(true)` for `&mut Context<..>`, `Some(false)` for `&Context<..>`.
fn context_ref(ty: &Type) -> Option<bool> {
    let Type::Reference(reference) = ty else {
        return None;
    };
    (last_segment(&reference.elem)? == "Context").then_some(reference.mutability.is_some())
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
    match ty {
        // A `&'static T` lives as long as the server: it may travel.
        Type::Reference(reference)
            if reference.lifetime.as_ref().is_some_and(|l| l.ident == "static") => {}
        Type::Reference(reference) => {
            let owned = match &*reference.elem {
                Type::Path(p) if p.path.is_ident("str") => "String".to_string(),
                Type::Slice(slice) => format!("Vec<{}>", type_text(&slice.elem)),
                elem => type_text(elem),
            };
            let what = if reference.mutability.is_some() { "&mut" } else { "&" };
            cx.error(
                ty,
                format_args!(
                    "arguments travel to the server in a message, so they must be owned: take `{owned}` instead of a `{what}` borrow"
                ),
            );
        }
        Type::ImplTrait(_) => cx.error(
            ty,
            "an `impl Trait` argument cannot travel in a message: name a concrete type, or take a `Box<dyn Trait + Send>`",
        ),
        _ => {}
    }
}

/// A type as a person writes it, for messages.
fn type_text(ty: &Type) -> String {
    let text = quote::quote!(#ty).to_string();
    let mut out = String::with_capacity(text.len());
    for (i, token) in text.split(' ').enumerate() {
        let glue = matches!(token, "<" | ">" | "," | "::" | ")" | "]")
            || out.ends_with(['<', '(', '[', '&'])
            || out.ends_with("::");
        if i > 0 && !glue {
            out.push(' ');
        }
        out.push_str(token);
    }
    out
}

fn arg_name(pat: &Pat, index: usize) -> syn::Ident {
    match pat {
        Pat::Ident(p) if p.subpat.is_none() => {
            let name = p.ident.to_string();
            let name = name.trim_start_matches('_');
            if name.is_empty() {
                syn::Ident::new(&format!("arg{index}"), p.ident.span())
            } else {
                syn::Ident::new(name, p.ident.span())
            }
        }
        _ => syn::Ident::new(&format!("arg{index}"), pat.span()),
    }
}

fn handler_sig<'a>(
    f: &'a ImplItemFn,
    kind: Kind,
    cx: &mut Ctxt,
) -> Option<(Sig<'a>, Option<(usize, Type)>)> {
    let what = match kind {
        Kind::Call => "a #[call] handler",
        Kind::Cast => "a #[cast] handler",
    };
    let sig = common_sig(f, what, Receiver::Borrowed, true, cx);
    let mut reply_to = None;
    let mut ok = sig.is_some();
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
            reply_to = Some((index, inner.clone()));
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
        }
    }
    let sig = sig?;
    ok.then_some((sig, reply_to))
}

fn typed(input: &FnArg) -> Option<&syn::PatType> {
    match input {
        FnArg::Typed(arg) if context_ref(&arg.ty).is_none() => Some(arg),
        _ => None,
    }
}

fn callback_sig<'a>(f: &'a ImplItemFn, name: &str, cx: &mut Ctxt) -> Option<Sig<'a>> {
    let what = format!("`{name}`");
    let shape = match name {
        "init" => {
            "`fn init(args..) -> Result<Self, E>` (or `Result<Option<Self>, E>`, `Ok(None)` to be ignored)"
        }
        "handle_info" => "`fn handle_info(&mut self, msg: Info<M>, ctx: &mut Context<Self>)`",
        "handle_continue" => "`fn handle_continue(&mut self, arg: A, ctx: &mut Context<Self>)`",
        _ => "`fn terminate(&mut self, reason: &ExitReason)`",
    };
    let receiver = if name == "init" {
        Receiver::None
    } else {
        Receiver::Borrowed
    };
    let sig = common_sig(f, &what, receiver, name != "terminate", cx)?;
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
    match name {
        "init" => match sig.output {
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
            let expected = match name {
                "handle_info" => {
                    sig.args.len() == 1 && generic_arg(sig.args[0].ty, "Info").is_some()
                }
                "terminate" => sig.args.len() == 1 && is_exit_reason_ref(sig.args[0].ty),
                _ => sig.args.len() == 1,
            };
            if !expected {
                let at: &dyn quote::ToTokens = match sig.args.get(usize::from(sig.args.len() > 1)) {
                    Some(arg) => arg.ty,
                    None => &f.sig,
                };
                let fix = match name {
                    "handle_info" => "it takes one message of type `Info<M>`",
                    "terminate" => "it takes the exit reason as `&ExitReason`",
                    _ => "it takes one argument, the value given to `ctx.continue_with(..)`",
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
    ok.then_some(sig)
}

/// A `Result<..>` under any path or alias: its last segment says `Result`.
fn returns_result(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|last| last.ends_with("Result"))
}

fn is_exit_reason_ref(ty: &Type) -> bool {
    matches!(ty, Type::Reference(r) if r.mutability.is_none() && last_segment(&r.elem).as_deref() == Some("ExitReason"))
}
