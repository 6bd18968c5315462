//! The options of `#[gen_server(..)]`.

use proc_macro2::TokenStream;
use syn::parse::Parser;

use crate::ctxt::Ctxt;

/// `#[gen_server(info = Type, mailbox = expr, remote, crate = path)]`.
pub(crate) struct Options {
    /// The server's own info message type, if given.
    pub(crate) info: Option<syn::Type>,
    /// The mailbox every start gets unless it sets one, if given.
    pub(crate) mailbox: Option<syn::Expr>,
    /// `remote`: a serde wire form for other nodes; where it was written.
    pub(crate) remote: Option<proc_macro2::Span>,
    /// Where `genserver_core` is, for generated paths.
    pub(crate) krate: syn::Path,
}

pub(crate) fn parse_options(args: TokenStream, cx: &mut Ctxt) -> Options {
    let mut info = None;
    let mut mailbox = None;
    let mut krate = None;
    let mut remote = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("info") {
            if info.is_some() {
                return Err(meta.error("`info` is given twice"));
            }
            if !meta.input.peek(syn::Token![=]) {
                return Err(meta.error(
                    "`info` names the server's own info message type: `#[gen_server(info = Type)]`",
                ));
            }
            info = Some(meta.value()?.parse::<syn::Type>()?);
            Ok(())
        } else if meta.path.is_ident("mailbox") {
            if mailbox.is_some() {
                return Err(meta.error("`mailbox` is given twice"));
            }
            if !meta.input.peek(syn::Token![=]) {
                return Err(meta.error(
                    "`mailbox` sets the server's default mailbox: `#[gen_server(mailbox = Mailbox::bounded(1024))]`",
                ));
            }
            mailbox = Some(meta.value()?.parse::<syn::Expr>()?);
            Ok(())
        } else if meta.path.is_ident("remote") {
            if remote.is_some() {
                return Err(meta.error("`remote` is given twice"));
            }
            // Set before a value is reported: the server is still remote
            // beside that error, so serving it is no second one.
            remote = Some(syn::spanned::Spanned::span(&meta.path));
            if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                return Err(meta.error(
                    "`remote` takes no value: `#[gen_server(remote)]` lets other nodes call this server",
                ));
            }
            Ok(())
        } else if meta.path.is_ident("crate") {
            if krate.is_some() {
                return Err(meta.error("`crate` is given twice"));
            }
            if !meta.input.peek(syn::Token![=]) {
                return Err(meta.error(
                    "`crate` names the path of genserver_core: `#[gen_server(crate = path)]`",
                ));
            }
            krate = Some(meta.value()?.parse::<syn::Path>()?);
            Ok(())
        } else {
            Err(meta.error(format_args!(
                "unknown option `{}`: #[gen_server] takes `info = Type` (the server's own info message type), `mailbox = Mailbox::bounded(n)` (its default mailbox), `remote` (callable from other nodes) and `crate = path` (where genserver_core is)",
                path_text(&meta.path)
            )))
        }
    });
    if let Err(error) = parser.parse2(args) {
        cx.push(error);
    }
    Options {
        info,
        mailbox,
        remote,
        krate: krate.unwrap_or_else(|| syn::parse_quote!(::genserver_core)),
    }
}

fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}
