//! Phase two: checks across the whole impl block, before any code is written.

use crate::ctxt::Ctxt;
use crate::model::Callback;
use crate::model::Server;

/// Methods of the handles that dereference to the client (`Server<T>`,
/// `Named<T>`, `Remote<T>`) and of the standard traits they implement, which
/// a client method of the same name would be hidden behind; and the names
/// reserved for what the handles will offer (`sys`, the inspection API).
/// Listed in the `#[gen_server]` docs ("Reserved names"): keep both in step.
pub(crate) const BUILT_IN: [&str; 21] = [
    // Server<T>, Named<T>, Remote<T>
    "id",
    "mailbox_len",
    "mailbox",
    "dropped",
    "send_priority",
    "is_alive",
    "stop",
    "with_timeout",
    "timeout",
    "send",
    "exited",
    "whereis",
    // the standard traits in scope everywhere
    "clone",
    "clone_from",
    "eq",
    "ne",
    "hash",
    "fmt",
    "into",
    "try_into",
    "to_owned",
];

/// Names reserved for what the handles will offer: the inspection API
/// (`server.sys().get_state()`, ..).
pub(crate) const RESERVED: [&str; 1] = ["sys"];

/// Names the macro generates on the state type itself.
pub(crate) const GENERATED: [&str; 2] = ["start", "child_spec"];

pub(crate) fn validate(server: &Server<'_>, cx: &mut Ctxt) {
    missing_handle_info(server, cx);
    near_misses(server, cx);
    reserved_names(server, cx);
    remote_generics(server, cx);
}

/// A remote server's wire form names concrete types, the same on every
/// node: a generic state has none to name.
fn remote_generics(server: &Server<'_>, cx: &mut Ctxt) {
    let generics = &server.item.generics;
    if server.options.remote.is_some() && !generics.params.is_empty() {
        cx.error(
            generics,
            "a `remote` server cannot be generic: its wire form must name the same concrete types on every node; \
             wrap a concrete instance in a non-generic state, or drop `remote`",
        );
    }
}

fn missing_handle_info(server: &Server<'_>, cx: &mut Ctxt) {
    // A `handle_info` that failed its own checks has been reported already.
    // A misspelt one is reported as a near miss instead.
    let misspelt = server
        .helpers
        .iter()
        .any(|f| is_near_miss(&f.sig.ident.to_string(), "handle_info"));
    if !server.defines("handle_info") && !misspelt {
        cx.error(
            &server.item.self_ty,
            "a server must handle every out-of-band message: add the catch-all \
             `fn handle_info(&mut self, msg: Info<M>, ctx: &mut Context<Self>)` \
             that logs and drops what it does not expect (monitors, timers, stray messages)",
        );
    }
}

fn near_misses(server: &Server<'_>, cx: &mut Ctxt) {
    for f in &server.helpers {
        let name = f.sig.ident.to_string();
        if name == "handle_call" || name == "handle_cast" {
            let marker = &name["handle_".len()..];
            cx.error(
                &f.sig.ident,
                format_args!(
                    "OTP's `{name}` is written as `#[{marker}]` on a method of any name, one per request; \
                     `{name}` would be a private helper here"
                ),
            );
            continue;
        }
        // `format_status` is left out: `format_stats` or `format_state`
        // are likely helpers, and a misspelt one only shows `Debug`.
        if let Some(callback) = Callback::ALL
            .iter()
            .filter(|c| **c != Callback::FormatStatus)
            .map(|c| c.name())
            .find(|c| is_near_miss(&name, c))
        {
            cx.error(
                &f.sig.ident,
                format_args!(
                    "`{name}` is not a callback: did you mean `{callback}`? Callbacks are recognised by \
                     their exact name; rename it, or mark it #[call] or #[cast] if it is a handler"
                ),
            );
        }
    }
}

/// A misspelling of `callback`: close in edit distance, and for a short
/// name also sharing its first letter, so helpers like `unit` are left alone.
fn is_near_miss(name: &str, callback: &str) -> bool {
    if name == callback {
        return false;
    }
    let limit = (callback.len() / 4).max(1);
    let close = edit_distance(name, callback) <= limit;
    close && (callback.len() > 4 || name.chars().next() == callback.chars().next())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

fn reserved_names(server: &Server<'_>, cx: &mut Ctxt) {
    for handler in &server.handlers {
        let name = syn::ext::IdentExt::unraw(handler.ident()).to_string();
        if BUILT_IN.contains(&name.as_str()) {
            cx.error(
                handler.ident(),
                format_args!(
                    "`{name}` is a method of the server's handles (`Server<{0}>`, `Named<{0}>`, `Remote<{0}>`), which would hide this handler; rename it (for example `{name}_{1}`)",
                    server.name,
                    to_snake(&server.name.to_string()),
                ),
            );
        } else if RESERVED.contains(&name.as_str()) {
            cx.error(
                handler.ident(),
                format_args!(
                    "`{name}` is reserved for the inspection API of `Server<{}>` (`server.sys().get_state()`, ..), which would hide this handler; rename it (for example `{name}_{}`)",
                    server.name,
                    to_snake(&server.name.to_string()),
                ),
            );
        }
    }
    // Every cast `x` also gets `try_x` and `x_wait` on the client.
    let casts: Vec<String> = server
        .handlers
        .iter()
        .filter(|h| h.kind == crate::model::Kind::Cast)
        .map(|h| syn::ext::IdentExt::unraw(h.ident()).to_string())
        .collect();
    for handler in &server.handlers {
        let name = syn::ext::IdentExt::unraw(handler.ident()).to_string();
        let taken = casts
            .iter()
            .find(|cast| name == format!("try_{cast}") || name == format!("{cast}_wait"));
        if let Some(cast) = taken {
            cx.error(
                handler.ident(),
                format_args!(
                    "the cast `{cast}` already gets a client method `{name}` (`try_{cast}` fails fast on a full mailbox, `{cast}_wait` waits for room); rename this handler"
                ),
            );
        }
    }
    for item in &server.item.items {
        let syn::ImplItem::Fn(f) = item else { continue };
        let name = f.sig.ident.to_string();
        if GENERATED.contains(&name.as_str()) {
            let purpose = if name == "start" {
                "which starts the server"
            } else {
                "the server's child spec for supervisors"
            };
            cx.error(
                &f.sig.ident,
                format_args!(
                    "#[gen_server] generates `{}::{name}(..)`, {purpose}; rename this method",
                    server.name
                ),
            );
        }
    }
}

fn to_snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_caught_and_helpers_left_alone() {
        assert!(is_near_miss("handle_infos", "handle_info"));
        assert!(is_near_miss("terminated", "terminate"));
        assert!(is_near_miss("handle_contine", "handle_continue"));
        assert!(is_near_miss("int", "init"));
        assert!(!is_near_miss("unit", "init"));
        assert!(!is_near_miss("handle_request", "handle_info"));
        assert!(!is_near_miss("handle_info", "handle_info"));
        assert!(!is_near_miss("exit", "init"));
    }
}
