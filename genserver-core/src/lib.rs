//! Elixir's GenServer on tokio.
//!
//! Put `#[gen_server]` on the impl block of a plain state struct and it
//! becomes a server: the macro writes the message type, the dispatch and a
//! typed client API, so callers never build a message by hand.
//!
//! ```
//! use genserver_core::prelude::*;
//!
//! pub struct Counter {
//!     value: i64,
//! }
//!
//! #[gen_server]
//! impl Counter {
//!     /// Adds `by` and returns the new value.
//!     #[call]
//!     pub fn increment(&mut self, by: i64) -> i64 {
//!         self.value += by;
//!         self.value
//!     }
//!
//!     /// Back to zero; fire-and-forget.
//!     #[cast]
//!     pub fn reset(&mut self) {
//!         self.value = 0;
//!     }
//!
//!     fn handle_info(&mut self, msg: Info<()>) {
//!         tracing::debug!(?msg, "ignored");
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let counter: Server<Counter> = Counter::start(Counter { value: 0 }).await?;
//! assert_eq!(counter.increment(2).await?, 2);
//! counter.reset();
//! assert_eq!(counter.increment(1).await?, 1);
//! counter.stop(ExitReason::Normal).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # The DSL
//!
//! - `#[call]` marks a handler whose caller waits for the reply (default
//!   timeout 5 s); `#[cast]` one that is fire-and-forget. Names are free.
//! - `init`, `handle_continue`, `handle_info` and `terminate` are recognised
//!   by name. `handle_info` is mandatory.
//! - Any handler takes `&self` or `&mut self`, may be `async`, and may end
//!   with `ctx: &mut Context<Self>`. Arguments are owned: they cross a channel.
//! - A call taking a [`ReplyTo<T>`] and returning `()` replies later, from
//!   anywhere (`GenServer.reply/2`).
//! - A client method takes its handler's visibility: a private handler's
//!   client method is private to the impl block's module, a `pub(crate)`
//!   one is crate-wide. `#[call(pub)]` / `#[cast(pub(crate))]` give the
//!   client method its own visibility, so the handler can stay private
//!   while callers elsewhere reach it through the client.
//! - What crosses into the server's task (the state, arguments, replies,
//!   info messages) must be `Send`; an `async` handler's future too.
//! - Options: `#[gen_server(info = M)]` names the server's own info message
//!   type; `#[gen_server(crate = path)]` names this crate when it is renamed.
//!
//! # Reading what the macro wrote
//!
//! `cargo expand` shows the generated code: a `CounterClient` type holding
//! the client methods (with your doc comments), the private message enum,
//! and `impl GenServer for Counter`.
//!
//! # Supervision
//!
//! [`Supervisor`] and [`DynamicSupervisor`] start children from
//! [`ChildSpec`]s (every server gets `T::child_spec(args)`), restart them by
//! [`Strategy`] and [`Restart`] type within a restart intensity, and stop
//! them in reverse order. Servers link with `ctx.link(..)` or
//! `T::start(..).link(..)`; a [`Registry`] names servers by key and is a
//! pub/sub table for duplicate keys.
//!
//! # Failure
//!
//! A panic in a callback ends that server only: `terminate` runs, waiting
//! callers get [`CallError::Exited`] with [`ExitReason::Panic`] at once, and
//! monitors receive [`Info::Down`].

#![warn(missing_docs, missing_debug_implementations)]

mod child_spec;
mod context;
mod deadline;
mod dynamic_supervisor;
mod error;
mod exit;
mod info;
mod names;
mod private_support;
mod registry;
mod runtime;
mod server;
mod supervisor;

pub use child_spec::{ChildKind, ChildSpec, Restart, Shutdown};
pub use context::{Context, TimerRef};
pub use dynamic_supervisor::{
    DynamicSupervisor, DynamicSupervisorClient, DynamicSupervisorError, DynamicSupervisorSpec,
    RetryPending,
};
pub use error::{CallError, StartError};
pub use exit::ExitReason;
pub use genserver_macros::{call, cast, gen_server};
pub use info::{Info, MonitorRef};
pub use names::{Name, whereis};
pub use registry::{Keys, RegisterError, Registry};
pub use runtime::Start;
pub use server::{
    AnyServer, ClientHandle, DEFAULT_CALL_TIMEOUT, GenServer, ReplyTo, Server, ServerId,
};
pub use supervisor::{
    ChildCount, ChildInfo, RetryRestart, Strategy, Supervisor, SupervisorClient, SupervisorError,
    SupervisorSpec,
};

/// Everything a server's module needs: `use genserver_core::prelude::*;`.
pub mod prelude {
    pub use crate::{
        AnyServer, CallError, ChildSpec, Context, DynamicSupervisor, DynamicSupervisorSpec,
        ExitReason, GenServer, Info, Keys, MonitorRef, Registry, ReplyTo, Restart, Server,
        ServerId, Shutdown, StartError, Strategy, Supervisor, SupervisorSpec, TimerRef, call, cast,
        gen_server, whereis,
    };
}

/// What the generated code names. Not public API: no stability promise.
#[doc(hidden)]
pub mod __private {
    pub use crate::private_support::*;
    pub use crate::runtime::Start;
    pub use crate::server::{CastToken, ClientHandle, Handle};
    pub use ::core::convert::Infallible;
    pub use ::core::future::Future;
    pub use ::core::marker::{PhantomData, Send};
    pub use ::core::result::Result::{self, Err, Ok};
    pub use ::tracing;
    pub use ::tracing::Instrument;

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
        note = "the error type `E` needs `Debug + Send + 'static`"
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
}
