//! A stand-in (feature `testing`): a server of type `T` without a `T`.
//! Its calls and casts go to a function instead of `T`'s handlers, its
//! info messages and signals to another. What the generated mocks run on.
//!
//! ```text
//!  Server<T> ──▶ mailbox ──▶ stand-in loop ─┬─ call / cast ──▶ on_message(T::Message)
//!  (the same handle                          ├─ info, Down, Exit ──▶ on_info(Info<T::Info>)
//!   a real server has)                       └─ stop ──▶ the exit sequence
//! ```
//!
//! To its callers it is the server: the same handle, mailbox, names,
//! monitors, links and exit sequence, and the same interceptor check as
//! the real loop, so injected faults apply to it too. A panic in either
//! function crashes it, with a crash report, as a handler's would. The
//! messages stay sealed: only the code `#[gen_server]` writes can open
//! one, so only a generated mock can answer it.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::exit_reason::ExitReason;
use crate::info::Info;
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::backlog::free_large;
use crate::server::call_graph::Current;
use crate::server::gen_server::GenServer;
use crate::server::handle::{CURRENT_SERVER, Handle, Shared};
use crate::server::intercept::{self, CrashReport};
use crate::server::live;
use crate::server::mailbox::{Envelope, Mailbox, System};
use crate::server::panics::CatchUnwind;
use crate::server::runtime::ExitGuard;

/// Starts a stand-in for a `T` on the current tokio runtime.
///
/// # Panics
///
/// Outside a tokio runtime, as `tokio::spawn` does.
pub(crate) fn start<T: GenServer>(
    mailbox: Mailbox,
    on_message: impl FnMut(T::Message) + Send + 'static,
    on_info: impl FnMut(Info<T::Info>) + Send + 'static,
) -> Server<T> {
    let shared: Arc<Shared<T>> = Handle::new_shared(mailbox);
    let server = Server::from_handle(Handle::new(shared.clone()));
    let id = shared.process.id();
    let span =
        tracing::info_span!(parent: None, "gen_server", server = T::NAME, id = %id, mock = true);
    let me = AnyServer::from(&server);
    // Listed with the other servers (`sys::processes`) until it exits.
    shared.counters.set_slot(live::enter(&me));
    let run = run(shared.clone(), on_message, on_info);
    let current = Current { id, me };
    let task = tokio::spawn(tracing::Instrument::instrument(
        CURRENT_SERVER.scope(current, Box::pin(run)),
        span,
    ));
    shared.process.set_abort(task.abort_handle());
    server
}

async fn run<T: GenServer>(
    shared: Arc<Shared<T>>,
    mut on_message: impl FnMut(T::Message) + Send,
    mut on_info: impl FnMut(Info<T::Info>) + Send,
) {
    let mut guard = ExitGuard::new(shared.clone());
    let mut handler = "a call or cast";
    let serve = async {
        loop {
            let Some(envelope) = shared.mailbox.recv().await else {
                return (ExitReason::Normal, None);
            };
            let envelope = if shared.process.intercepts.armed() {
                match intercept::before(&shared.process.intercepts, envelope).await {
                    Ok(envelope) => envelope,
                    Err(None) => continue,
                    Err(Some((reason, crashed_in))) => {
                        handler = crashed_in;
                        return (reason, None);
                    }
                }
            } else {
                envelope
            };
            let info = match envelope {
                Envelope::Call(message) | Envelope::Message(message) => {
                    handler = *T::__message_name(&message);
                    on_message(message);
                    continue;
                }
                Envelope::Info(message) => Info::Message(message),
                // A system request (`sys()`) runs on a `T`, which a
                // stand-in has not: it is dropped unanswered, and the
                // caller waits out its timeout as for a lost call.
                Envelope::Sys(_) => continue,
                Envelope::System(system) => match *system {
                    System::Stop { reason, done } => return (reason, Some(done)),
                    System::Down {
                        monitor,
                        server,
                        reason,
                    } => Info::Down {
                        monitor,
                        server,
                        reason,
                    },
                    System::Exit { from, reason } => Info::Exit { from, reason },
                    System::TableTransfer(transfer) => Info::TableTransfer(transfer),
                    System::TaskFailed { task, reason } => Info::TaskFailed { task, reason },
                },
            };
            handler = "handle_info";
            on_info(info);
        }
    };
    let (reason, stopper, location) = match CatchUnwind(AssertUnwindSafe(serve)).await {
        Ok((reason, stopper)) => (reason, stopper, None),
        Err(panic) => (ExitReason::Panic(panic.message), None, panic.location),
    };
    exit(&shared, &mut guard, reason, stopper, handler, location).await;
}

/// The exit sequence of `runtime.rs`, without `terminate`: there is no
/// state to terminate.
async fn exit<T: GenServer>(
    shared: &Shared<T>,
    guard: &mut ExitGuard<T>,
    reason: ExitReason,
    stopper: Option<oneshot::Sender<ExitReason>>,
    handler: &'static str,
    location: Option<Arc<str>>,
) {
    let process = &shared.process;
    process.begin_exit(&reason);
    let drained = shared.mailbox.close();
    let mut stoppers: Vec<_> = stopper.into_iter().collect();
    for envelope in drained.priority {
        if let Envelope::System(system) = envelope
            && let System::Stop { done, .. } = *system
        {
            stoppers.push(done);
        }
    }
    if reason.is_abnormal() {
        intercept::crashed(&process.intercepts, || CrashReport {
            server: T::NAME,
            id: process.id(),
            handler,
            reason: reason.clone(),
            location: location.clone(),
        });
        // Logged and kept like a server's (`sys::recent_crashes`); a mock
        // has no state to show.
        crate::server::crashes::report::<T>(
            process.id(),
            handler,
            &reason,
            location.clone(),
            None,
            Vec::new(),
        );
    }
    guard.finish(&reason);
    for done in stoppers {
        let _ = done.send(reason.clone());
    }
    if !drained.user.is_empty() {
        tokio::task::yield_now().await;
        free_large(drained.user, T::NAME, process.id());
    }
}
