//! [`Sys`] and [`AnySys`]: the system requests of one server, typed and
//! not (OTP's `:sys.get_state`, `replace_state`, `suspend`, `resume`,
//! `get_status`).

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::exit_reason::panic_message;
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::context::Context;
use crate::server::error::CallError;
use crate::server::gen_server::GenServer;
use crate::server::handle::Handle;
use crate::server::mailbox::{Envelope, Lane};
use crate::server::reply;
use crate::server::sys_request::{SysOutcome, SysRequest};
use crate::sys::statistics::{self, Statistics, TraceEvent};
use crate::sys::status::{self, Status};

/// How long `status` waits for the server's own part (its state): it
/// reports the rest at once, and a stuck server must not hold it.
const STATUS_WAIT: Duration = Duration::from_secs(1);

/// The system requests of one server, typed: from
/// [`Server::sys`](crate::Server::sys) or [`Named::sys`](crate::Named::sys).
///
/// A request is handled by the server between two messages, in order with
/// them, as OTP's system messages are; it waits at most the handle's
/// timeout (5 s by default), like a call. A closure given to
/// [`inspect`](Self::inspect) or [`replace_state`](Self::replace_state)
/// runs inside the server: a panic in it is caught, the caller gets
/// [`CallError::Panicked`], and the server and its state stay as they were.
///
/// ```
/// use genserver_core::prelude::*;
///
/// #[derive(Clone, Debug, PartialEq)]
/// pub struct Counter {
///     value: i64,
/// }
///
/// #[gen_server]
/// impl Counter {
///     #[call]
///     pub fn increment(&mut self, by: i64) -> i64 {
///         self.value += by;
///         self.value
///     }
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let counter = Counter::start(Counter { value: 1 }).await?;
/// counter.increment(2).await?;
///
/// // :sys.get_state: a clone of the state, typed.
/// assert_eq!(counter.sys().get_state().await?, Counter { value: 3 });
/// // A closure run inside the server, between two messages.
/// assert_eq!(counter.sys().inspect(|c: &Counter| c.value * 10).await?, 30);
/// // :sys.replace_state.
/// counter.sys().replace_state(|c: &mut Counter| c.value = 100).await?;
/// assert_eq!(counter.increment(1).await?, 101);
///
/// // :sys.get_status: what the server publishes, and its state.
/// let status = counter.sys().status().await?;
/// assert_eq!(status.handled.calls, 2);
/// assert_eq!(status.state.as_deref(), Some("Counter { value: 101 }"));
/// # Ok(())
/// # }
/// ```
pub struct Sys<'a, T: GenServer> {
    handle: &'a Handle<T>,
}

impl<'a, T: GenServer> Sys<'a, T> {
    pub(crate) fn new(handle: &'a Handle<T>) -> Self {
        Sys { handle }
    }

    /// Runs `f` in the server, between two messages, and waits for what it
    /// returns; a panic in `f` is caught.
    async fn request<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut T, &mut Context<T>) -> (R, SysOutcome) + Send + 'static,
    ) -> Result<R, CallError> {
        let (tx, rx) = oneshot::channel();
        let request: SysRequest<T> = Box::new(move |state: &mut T, ctx: &mut Context<T>| {
            match std::panic::catch_unwind(AssertUnwindSafe(|| f(state, ctx))) {
                Ok((answer, outcome)) => {
                    let _ = tx.send(Ok(answer));
                    outcome
                }
                Err(payload) => {
                    let _ = tx.send(Err(panic_message(&*payload)));
                    SysOutcome::Done
                }
            }
        });
        // In order with the user's messages, beyond a bounded mailbox's
        // bound, as signals are.
        self.handle
            .request(Envelope::Sys(request), Lane::Signal, rx)
            .await?
            .map_err(CallError::Panicked)
    }

    /// A clone of the server's state (`:sys.get_state`).
    ///
    /// # Errors
    ///
    /// As a call: [`CallError::NoProc`] when the server is not running,
    /// [`CallError::Timeout`] when it is busy in a handler for longer than
    /// the handle's timeout (a suspended server still answers),
    /// [`CallError::Exited`] when it exits first, [`CallError::CallingSelf`]
    /// from its own handler; [`CallError::Panicked`] when the state's
    /// `clone` panicked.
    pub async fn get_state(&self) -> Result<T, CallError>
    where
        T: Clone,
    {
        self.request(|state: &mut T, _: &mut Context<T>| (state.clone(), SysOutcome::Done))
            .await
    }

    /// Runs `f` on the server's state, inside the server, between two
    /// messages, and returns what it returns. Nothing is cloned.
    ///
    /// # Errors
    ///
    /// As [`get_state`](Self::get_state); [`CallError::Panicked`] when `f`
    /// panicked (the server runs on).
    pub async fn inspect<R, F>(&self, f: F) -> Result<R, CallError>
    where
        R: Send + 'static,
        F: FnOnce(&T) -> R + Send + 'static,
    {
        self.request(move |state: &mut T, _: &mut Context<T>| (f(state), SysOutcome::Done))
            .await
    }

    /// Changes the server's state with `f`, inside the server, between two
    /// messages (`:sys.replace_state`). `f` works on a clone, which takes
    /// the state's place only when `f` returns: if it panics, the state is
    /// as it was.
    ///
    /// # Errors
    ///
    /// As [`get_state`](Self::get_state); [`CallError::Panicked`] when `f`
    /// (or the state's `clone`) panicked: the state is unchanged.
    pub async fn replace_state<F>(&self, f: F) -> Result<(), CallError>
    where
        T: Clone,
        F: FnOnce(&mut T) + Send + 'static,
    {
        self.request(move |state: &mut T, _: &mut Context<T>| {
            let mut next = state.clone();
            f(&mut next);
            *state = next;
            ((), SysOutcome::Done)
        })
        .await
    }

    /// Suspends the server (`:sys.suspend`): from the next message on, it
    /// takes only system requests and a stop; calls, casts and infos wait
    /// in its mailbox (calls within their timeout) until
    /// [`resume`](Self::resume). A kill and a linked server's crash still
    /// end it.
    ///
    /// # Errors
    ///
    /// As [`get_state`](Self::get_state).
    pub async fn suspend(&self) -> Result<(), CallError> {
        self.request(|_: &mut T, _: &mut Context<T>| ((), SysOutcome::Suspend))
            .await
    }

    /// Resumes a suspended server (`:sys.resume`); it takes its queued
    /// messages in order again. A server that is not suspended is left as
    /// it is.
    ///
    /// # Errors
    ///
    /// As [`get_state`](Self::get_state).
    pub async fn resume(&self) -> Result<(), CallError> {
        self.request(|_: &mut T, _: &mut Context<T>| ((), SysOutcome::Resume))
            .await
    }

    /// The server's [`Status`] (`:sys.get_status`): what it publishes,
    /// read at once, even while a handler is stuck, and its state through
    /// `format_status` when it answers within a second (or the handle's
    /// timeout, if shorter).
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the server is not running.
    pub async fn status(&self) -> Result<Status, CallError> {
        let shared = self.handle.resolve().ok_or(CallError::NoProc)?;
        if shared.calling_self() {
            return Err(CallError::CallingSelf);
        }
        AnySys::status_of(&AnyServer::from_shared(shared), self.handle.timeout).await
    }
}

impl<T: GenServer> Sys<'_, T> {
    /// The server without its type, as the handle reaches it now.
    fn any(&self) -> Result<AnyServer, CallError> {
        let shared = self.handle.resolve().ok_or(CallError::NoProc)?;
        Ok(AnyServer::from_shared(shared))
    }

    /// The server's [`Statistics`] (`:sys.statistics(pid, :get)`): read at
    /// once from what it publishes.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the server is not running.
    pub fn statistics(&self) -> Result<Statistics, CallError> {
        AnySys::new(&self.any()?).statistics()
    }

    /// Turns the timing of its handlers on, from now (forgetting earlier
    /// timings), or off (`:sys.statistics(pid, true | false)`). While on,
    /// each message costs two clock reads and a short lock.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the server is not running.
    pub fn collect_statistics(&self, on: bool) -> Result<(), CallError> {
        AnySys::new(&self.any()?).collect_statistics(on)
    }

    /// Keeps a ring of the server's last `capacity` [`TraceEvent`]s, from
    /// its next message on: each message's handler, arguments and reply
    /// (by their `Debug`, where they have one), duration and outcome;
    /// `0` turns the trace off (`:sys.log`). Off by default: then it costs
    /// the server one branch a message.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the server is not running.
    pub fn trace(&self, capacity: usize) -> Result<(), CallError> {
        AnySys::new(&self.any()?).trace(capacity)
    }

    /// As [`trace`](Self::trace), and each event also has the state
    /// before and after, through `format_status` (the "previous state,
    /// message, next state" of ractor#274). Formats the state twice a
    /// message: for debugging.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the server is not running.
    pub fn trace_with_state(&self, capacity: usize) -> Result<(), CallError> {
        AnySys::new(&self.any()?).trace_with_state(capacity)
    }

    /// The events the trace kept, the oldest first.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the server is not running.
    pub fn traced(&self) -> Result<Vec<TraceEvent>, CallError> {
        AnySys::new(&self.any()?).traced()
    }
}

impl<T: GenServer> fmt::Debug for Sys<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Sys").field(self.handle).finish()
    }
}

/// The system requests that need no type, from
/// [`AnyServer::sys`](crate::AnyServer::sys): what supervisors, the
/// process table and a dashboard use.
#[derive(Debug)]
pub struct AnySys<'a> {
    server: &'a AnyServer,
}

impl<'a> AnySys<'a> {
    pub(crate) fn new(server: &'a AnyServer) -> Self {
        AnySys { server }
    }

    async fn status_of(server: &AnyServer, timeout: Duration) -> Result<Status, CallError> {
        if !server.is_alive() {
            return Err(CallError::NoProc);
        }
        // What the server publishes is read first, before the request
        // joins its mailbox.
        let mut status = status::status(server);
        if let Some(rx) = server.control().ask_status()
            && let Ok(Ok((state, monitors))) =
                tokio::time::timeout(timeout.min(STATUS_WAIT), rx).await
        {
            status.state = state;
            status.monitors = Some(monitors);
        }
        Ok(status)
    }

    /// The server's [`Status`], its state as text (see [`Sys::status`]).
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the server is not running.
    pub async fn status(&self) -> Result<Status, CallError> {
        Self::status_of(self.server, crate::DEFAULT_CALL_TIMEOUT).await
    }

    async fn suspend_or_resume(&self, suspend: bool) -> Result<(), CallError> {
        let Some(rx) = self.server.control().ask_suspend(suspend) else {
            return Err(CallError::NoProc);
        };
        reply::wait(rx, self.server.process(), crate::DEFAULT_CALL_TIMEOUT).await
    }

    fn running(&self) -> Result<&AnyServer, CallError> {
        if self.server.is_alive() {
            Ok(self.server)
        } else {
            Err(CallError::NoProc)
        }
    }

    /// The server's [`Statistics`] (see [`Sys::statistics`]).
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the server is not running.
    pub fn statistics(&self) -> Result<Statistics, CallError> {
        Ok(statistics::of(self.running()?))
    }

    /// Timing on or off (see [`Sys::collect_statistics`]).
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the server is not running.
    pub fn collect_statistics(&self, on: bool) -> Result<(), CallError> {
        let server = self.running()?;
        server
            .counters()
            .observer
            .get_or_make()
            .collect_statistics(on);
        Ok(())
    }

    /// A trace of the last `capacity` events (see [`Sys::trace`]).
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the server is not running.
    pub fn trace(&self, capacity: usize) -> Result<(), CallError> {
        let server = self.running()?;
        server
            .counters()
            .observer
            .get_or_make()
            .trace(capacity, false);
        Ok(())
    }

    /// A trace with states (see [`Sys::trace_with_state`]).
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the server is not running.
    pub fn trace_with_state(&self, capacity: usize) -> Result<(), CallError> {
        let server = self.running()?;
        server
            .counters()
            .observer
            .get_or_make()
            .trace(capacity, true);
        Ok(())
    }

    /// The events the trace kept (see [`Sys::traced`]).
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the server is not running.
    pub fn traced(&self) -> Result<Vec<TraceEvent>, CallError> {
        let server = self.running()?;
        Ok(server
            .counters()
            .observer
            .get()
            .map(|observer| observer.events())
            .unwrap_or_default())
    }

    /// Suspends the server (see [`Sys::suspend`]).
    ///
    /// # Errors
    ///
    /// As a call: [`CallError::NoProc`], [`CallError::Timeout`],
    /// [`CallError::Exited`].
    pub async fn suspend(&self) -> Result<(), CallError> {
        self.suspend_or_resume(true).await
    }

    /// Resumes a suspended server (see [`Sys::resume`]).
    ///
    /// # Errors
    ///
    /// As [`suspend`](Self::suspend).
    pub async fn resume(&self) -> Result<(), CallError> {
        self.suspend_or_resume(false).await
    }
}

impl<T: GenServer> Server<T> {
    /// The server's system requests (OTP's `:sys`): its state, typed
    /// ([`Sys::get_state`], [`Sys::inspect`], [`Sys::replace_state`]), its
    /// [`Status`], [`Sys::suspend`] and [`Sys::resume`].
    pub fn sys(&self) -> Sys<'_, T> {
        Sys::new(self.handle())
    }
}

impl<T: GenServer> crate::Named<T> {
    /// The system requests of the name's holder (see [`Server::sys`]):
    /// each request finds the holder when it is made, so it reaches a
    /// restarted server as the handle's calls do.
    pub fn sys(&self) -> Sys<'_, T> {
        Sys::new(self.handle())
    }
}

impl AnyServer {
    /// The server's system requests that need no type (OTP's `:sys`):
    /// its [`Status`], suspend and resume.
    pub fn sys(&self) -> AnySys<'_> {
        AnySys::new(self)
    }
}
