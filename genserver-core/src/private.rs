//! What the generated code names (`genserver_core::__private`). Not public
//! API: no stability promise.

pub use crate::private_support::*;
#[cfg(feature = "remote")]
pub use crate::remote::wire::{
    CrossesWire, PendingReply, ServedCall, crosses_wire, reply_with, serve_call,
};
pub use crate::server::handle::Handle;
pub use crate::server::reply::CastToken;
#[cfg(feature = "testing")]
pub use crate::testing::mock::{MockCore, Script};
#[cfg(feature = "testing")]
pub use crate::testing::{Inbox, Receiver};
pub use crate::throttle::Throttle;
pub use ::core::convert::Infallible;
pub use ::core::future::Future;
pub use ::core::marker::PhantomData;
pub use ::core::result::Result::{self, Ok};
#[cfg(feature = "remote")]
pub use ::serde;

/// Runs `future` for a transport on a server's behalf (a served call's
/// reply, encoded by the user's `Serialize`): a panic in it is caught and
/// its message returned, and the hook of
/// [`install_panic_hook`](crate::install_panic_hook) keeps Rust's own
/// message out of the output, as for a panic in a server's task (the
/// transport reports it, as rarely as it chooses).
#[cfg(feature = "remote")]
pub async fn catch_panic<F: Future>(future: F) -> Result<F::Output, std::sync::Arc<str>> {
    use crate::server::panics::{CatchUnwind, InTask};
    CatchUnwind(std::panic::AssertUnwindSafe(InTask(future)))
        .await
        .map_err(|panic| panic.message)
}

/// The `Continue` type of a server without `handle_continue`: it has no
/// values, so `ctx.continue_with(..)` cannot be called. Define
/// `fn handle_continue(&mut self, arg: A)` to use it.
#[derive(Debug)]
pub enum NoHandleContinue {}

/// What `init` may return: `Result<Self, E>`, or `Result<Option<Self>, E>`
/// where `Ok(None)` asks to be ignored (OTP's `:ignore`); under any alias.
/// The bounds on `E` are checked once, by `GenServer::InitError`.
#[diagnostic::on_unimplemented(
    message = "`init` must return `Result<{S}, E>` or `Result<Option<{S}>, E>`, not `{Self}`",
    label = "`init` returns the new state, or the error that stops the start",
    note = "the error type `E` needs `Display + Debug + Send + Sync + 'static`"
)]
pub trait InitReturn<S> {
    type Error;
    /// `Ok(None)`: start nothing (`:ignore`).
    fn into_result(self) -> ::core::result::Result<Option<S>, Self::Error>;
}

impl<S, E> InitReturn<S> for ::core::result::Result<S, E> {
    type Error = E;
    fn into_result(self) -> ::core::result::Result<Option<S>, E> {
        self.map(Some)
    }
}

impl<S, E> InitReturn<S> for ::core::result::Result<Option<S>, E> {
    type Error = E;
    fn into_result(self) -> ::core::result::Result<Option<S>, E> {
        self
    }
}

/// [`InitReturn`] when the expansion can read `E` off `init`'s return
/// type: the conversion's output is known without the projection, so a
/// wrong return type is one error, on it.
#[diagnostic::on_unimplemented(
    message = "`init` must return `Result<{S}, {E}>` or `Result<Option<{S}>, {E}>`, not `{Self}`",
    label = "`init` returns the new state, or the error that stops the start"
)]
pub trait InitResult<S, E> {
    /// `Ok(None)`: start nothing (`:ignore`).
    fn into_result(self) -> ::core::result::Result<Option<S>, E>;
}

impl<S, E> InitResult<S, E> for ::core::result::Result<S, E> {
    fn into_result(self) -> ::core::result::Result<Option<S>, E> {
        self.map(Some)
    }
}

impl<S, E> InitResult<S, E> for ::core::result::Result<Option<S>, E> {
    fn into_result(self) -> ::core::result::Result<Option<S>, E> {
        self
    }
}

/// The state, for `__format_status` without a user's `format_status`:
/// `(&&Describe(state)).describe()` is its `Debug` when it has one
/// ([`DescribeDebug`], found first by autoref), else `None`
/// ([`DescribeNothing`]).
#[derive(Debug)]
pub struct Describe<'a, T>(pub &'a T);

/// A `Debug` state shows as its `Debug`.
pub trait DescribeDebug {
    fn describe(&self) -> Option<::std::string::String>;
}

impl<T: ::core::fmt::Debug> DescribeDebug for &Describe<'_, T> {
    fn describe(&self) -> Option<::std::string::String> {
        Some(::std::format!("{:?}", self.0))
    }
}

/// A state without `Debug` (nor `format_status`) shows as nothing.
pub trait DescribeNothing {
    fn describe(&self) -> Option<::std::string::String>;
}

impl<T> DescribeNothing for Describe<'_, T> {
    fn describe(&self) -> Option<::std::string::String> {
        None
    }
}
