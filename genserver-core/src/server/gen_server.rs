//! The `GenServer` trait: what `#[gen_server]` implements for a state type.

use std::future::Future;

use crate::exit_reason::ExitReason;
use crate::info::Info;
use crate::server::context::Context;
use crate::server::handle::Handle;

/// A server's behaviour, implemented by `#[gen_server]`.
///
/// You do not implement this trait by hand: put `#[gen_server]` on the impl
/// block of your state struct and the macro writes it, together with the
/// message type, the dispatch and the client API. Its associated types say
/// what the server takes:
///
/// - [`Args`](Self::Args): what `T::start(..)` passes to `init` (the state
///   itself when there is no `init`);
/// - [`Info`](Self::Info): the server's own out-of-band message type (`info = M`);
/// - [`Continue`](Self::Continue): the argument of `handle_continue`.
pub trait GenServer: Sized + Send + 'static {
    /// What `init` receives: the arguments of `T::start(..)`.
    type Args: Send + 'static;
    /// The error `init` may return; handed back as [`StartError::Init`](crate::StartError::Init),
    /// and printed with its `Display` (`String`, `std::io::Error` and
    /// `anyhow::Error` all qualify).
    type InitError: crate::checks::InitFailure;
    /// The server's own info message type, delivered as [`Info::Message`].
    type Info: Send + 'static;
    /// The argument of `handle_continue` (`Infallible` when there is none).
    type Continue: Send + 'static;
    /// The client API: `Server<Self>` dereferences to it.
    type Client: ClientHandle<Self>;
    #[doc(hidden)]
    type Message: Send + 'static;

    /// The server's name in logs and traces (the state type's name).
    const NAME: &'static str;

    /// The state as its `format_status` shows it, for inspection and crash
    /// reports: the user's `format_status`, else its `Debug` when it has
    /// one, else nothing.
    #[doc(hidden)]
    fn __format_status(&self) -> Option<String> {
        None
    }

    /// A message as a trace shows it: `increment(by: 5)`, each argument
    /// by its `Debug` (`_` without one).
    #[doc(hidden)]
    fn __describe_message(message: &Self::Message) -> Option<String> {
        let _ = message;
        None
    }

    /// An info as a trace shows it: its `Debug`, when it has one.
    #[doc(hidden)]
    fn __describe_info(info: &Info<Self::Info>) -> Option<String> {
        let _ = info;
        None
    }

    /// Runs the user's `init`.
    #[doc(hidden)]
    fn __init(
        args: Self::Args,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<Option<Self>, Self::InitError>> + Send;

    /// The mailbox a server gets unless its start says otherwise
    /// (`#[gen_server(mailbox = ..)]`).
    #[doc(hidden)]
    fn __default_mailbox() -> crate::server::mailbox::Mailbox {
        crate::server::mailbox::Mailbox::unbounded()
    }

    /// The handler a message is for, named in crash reports and shown by
    /// inspection; by a thin pointer to its name (`&"increment"`).
    #[doc(hidden)]
    fn __message_name(message: &Self::Message) -> &'static &'static str {
        let _ = message;
        &"a call or cast"
    }

    #[doc(hidden)]
    fn __dispatch<'a>(
        &'a mut self,
        message: Self::Message,
        ctx: &'a mut Context<Self>,
    ) -> impl Future<Output = ()> + Send + 'a;

    /// Runs the user's `handle_info`.
    #[doc(hidden)]
    fn __handle_info<'a>(
        &'a mut self,
        info: Info<Self::Info>,
        ctx: &'a mut Context<Self>,
    ) -> impl Future<Output = ()> + Send + 'a;

    /// Runs the user's `handle_continue`. The default is for a server
    /// without one, whose `Continue` type has no values: never called.
    #[doc(hidden)]
    fn __handle_continue<'a>(
        &'a mut self,
        arg: Self::Continue,
        ctx: &'a mut Context<Self>,
    ) -> impl Future<Output = ()> + Send + 'a {
        let _ = (arg, ctx);
        std::future::ready(())
    }

    /// Runs the user's `terminate`. The default does nothing.
    #[doc(hidden)]
    fn __terminate<'a>(
        &'a mut self,
        reason: &'a ExitReason,
        ctx: &'a mut Context<Self>,
    ) -> impl Future<Output = ()> + Send + 'a {
        let _ = (reason, ctx);
        std::future::ready(())
    }
}

/// Connects a generated client type to its server. Implemented by `#[gen_server]`.
#[doc(hidden)]
pub trait ClientHandle<T: GenServer>: Clone + Send + Sync + 'static {
    fn __from_handle(handle: Handle<T>) -> Self;
    fn __handle(&self) -> &Handle<T>;
}
