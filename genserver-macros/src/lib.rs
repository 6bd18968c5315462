//! The `#[gen_server]` attribute of [genserver](https://docs.rs/genserver-core).
//!
//! Use it through `genserver-core`, which re-exports it: `use genserver_core::prelude::*;`.
//! The macro runs in three phases: `parse` builds a typed model of the
//! impl block, `validate` checks it as a whole, `expand` writes the code,
//! one file per generated item (`expand/`), every decision about what to
//! write beside an error in `expand/fallback.rs`.
//! Every error found is reported in one build, each on the token at fault,
//! and the user's impl block is emitted even then, so one mistake never
//! cascades into "cannot find" errors.

mod attr;
mod ctxt;
mod expand;
mod model;
mod parse;
mod types;
mod validate;

#[cfg(test)]
mod snapshots;

#[cfg(test)]
mod robustness;

use proc_macro::TokenStream;

/// Turns the impl block of a state struct into a server.
///
/// Its page, with the DSL, the options (`info`, `mailbox`, `remote`,
/// `crate`), what it generates and the reserved names, is in
/// [genserver-core](https://docs.rs/genserver-core/latest/genserver_core/attr.gen_server.html),
/// which re-exports it.
#[proc_macro_attribute]
pub fn gen_server(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::gen_server(args.into(), input.into()).into()
}

/// Marks a handler of a `#[gen_server]` impl block whose caller waits for
/// the reply. Only meaningful inside `#[gen_server]`, which consumes it.
///
/// The client method takes the handler's visibility; `#[call(pub)]` (or any
/// visibility, `#[call(pub(crate))]`) gives it its own, so a private handler
/// can have a public client method.
#[proc_macro_attribute]
pub fn call(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::stray_marker("call", args.into(), input.into()).into()
}

/// Marks a fire-and-forget handler of a `#[gen_server]` impl block. Only
/// meaningful inside `#[gen_server]`, which consumes it.
///
/// As with `#[call]`, `#[cast(pub)]` gives the client method a visibility of
/// its own; by default it takes the handler's.
#[proc_macro_attribute]
pub fn cast(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::stray_marker("cast", args.into(), input.into()).into()
}
