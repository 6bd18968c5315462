//! The wire form of a server that opted in with `#[gen_server(remote)]`:
//! [`RemoteServer`], implemented by the macro, and [`Codec`], the serde
//! format a transport chooses.
//!
//! ```text
//!  caller's node                             serving node
//!  T::Message ─ __to_wire ─▶ (Request,       Request ─ __serve ─▶ T::Message
//!                             PendingReply)            (through the local
//!  PendingReply(bytes) ◀───── reply bytes ◀── ServedCall  Handle<T>)
//! ```
//!
//! Only servers that opt in get serde bounds: the wire form's arguments
//! and replies must be `Serialize + DeserializeOwned`, checked on the
//! user's tokens.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::remote::error::WireError;
use crate::server::error::CallError;
use crate::server::gen_server::GenServer;
use crate::server::handle::Handle;
use crate::server::reply::ReplyTo;

/// A serde format: how a transport turns requests and replies into bytes.
#[cfg_attr(docsrs, doc(cfg(feature = "remote")))]
pub trait Codec: Send + Sync + 'static {
    /// `value` as bytes.
    ///
    /// # Errors
    ///
    /// A [`WireError`] when the format cannot write `value`.
    fn encode<V: Serialize + ?Sized>(value: &V) -> Result<Vec<u8>, WireError>;
    /// A value read from `bytes`; all of them.
    ///
    /// # Errors
    ///
    /// A [`WireError`] when `bytes` are not one whole `V` in this format
    /// (malformed, truncated, or with bytes left over).
    fn decode<V: DeserializeOwned>(bytes: &[u8]) -> Result<V, WireError>;
}

/// Delivers a call's encoded reply into its `ReplyTo`.
pub type PendingReply = Box<dyn FnOnce(&[u8]) -> Result<(), WireError> + Send>;

/// A call delivered to a local server: resolves to its encoded reply.
pub type ServedCall = Pin<Box<dyn Future<Output = Result<Vec<u8>, CallError>> + Send>>;

/// A server that may be called from another node: `#[gen_server(remote)]`
/// implements it, with a serde wire form of the server's calls and casts.
///
/// [`NAME`](GenServer::NAME) and [`SCHEMA`](Self::SCHEMA) travel with
/// every request, so a request for another server type or another version
/// of this one is refused with a [`WireError`], never misread.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a remote server: it cannot be served to or called from another node",
    label = "this server did not opt in to `remote`",
    note = "write `#[gen_server(remote)]` on its impl block: that derives the serde wire form of its calls and casts (their arguments and replies must then be `Serialize + DeserializeOwned`)"
)]
#[cfg_attr(docsrs, doc(cfg(feature = "remote")))]
pub trait RemoteServer: GenServer {
    /// The wire form of a request: one variant per handler, its arguments
    /// without the `ReplyTo`.
    #[doc(hidden)]
    type Request: Serialize + DeserializeOwned + Send + 'static;

    /// A fingerprint of the handlers: their kinds, names, argument and
    /// reply types, as written. Two builds agree on it when they agree on
    /// the handlers.
    const SCHEMA: u64;

    /// Splits a message the client built into its wire form and, for a
    /// call, where its encoded reply goes.
    #[doc(hidden)]
    fn __to_wire<C: Codec>(message: Self::Message) -> (Self::Request, Option<PendingReply>);

    /// Delivers a request to the local server behind `handle`, in order
    /// with the requests delivered before it: a call's reply, encoded,
    /// comes from the returned future; a cast returns `None`.
    #[doc(hidden)]
    fn __serve<C: Codec>(handle: &Handle<Self>, request: Self::Request) -> Option<ServedCall>;
}

/// The generated `__to_wire` of a call: its reply, decoded, into `reply`.
#[doc(hidden)]
pub fn reply_with<C: Codec, R: DeserializeOwned + Send + 'static>(
    reply: ReplyTo<R>,
) -> Option<PendingReply> {
    Some(Box::new(move |bytes: &[u8]| {
        reply.reply(C::decode(bytes)?);
        Ok(())
    }))
}

/// The generated `__serve` of a call: the local reply, encoded.
#[doc(hidden)]
pub fn serve_call<C: Codec, R: Serialize>(
    reply: impl Future<Output = Result<R, CallError>> + Send + 'static,
) -> Option<ServedCall> {
    Some(Box::pin(async move {
        let value = reply.await?;
        C::encode(&value).map_err(CallError::Wire)
    }))
}

/// Implemented for every type a remote server's handler may take or
/// return: the generated checks ask for it on the user's own tokens.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the wire to a remote server",
    label = "a `#[gen_server(remote)]` server sends this over the network",
    note = "a remote server's call and cast arguments and its replies must be `serde::Serialize + serde::de::DeserializeOwned`: derive both for it, or drop `remote` from `#[gen_server(..)]`"
)]
pub trait CrossesWire: Serialize + DeserializeOwned {}

impl<T: Serialize + DeserializeOwned> CrossesWire for T {}

/// Checks, at the user's token, that `T` may cross the wire.
#[doc(hidden)]
#[inline(always)]
pub const fn crosses_wire<T: CrossesWire>() {}
