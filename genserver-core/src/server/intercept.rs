//! The seam tests plug into (feature `testing`): what a server's loop asks
//! before it hands a message to a callback, and whom it tells when it
//! crashes.
//!
//! ```text
//!  mailbox ──▶ loop ── armed? ─ no ──▶ callback          (one flag load per message)
//!                        └─ yes ─▶ Intercept::before ─▶ Handle | Delay(d) | Crash(reason) | Drop
//!  exit (abnormal) ──▶ Intercept::crashed(report)
//! ```
//!
//! The server layer defines the hook and names no implementation: the
//! `testing` module installs one per server it watches or injects faults
//! into. A stop request is never intercepted, so a test can always stop
//! what it started. Without the feature, none of this is compiled.

use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::exit_reason::ExitReason;
use crate::id::ServerId;
use crate::server::counters::Name;
use crate::server::gen_server::GenServer;
use crate::server::mailbox::{Envelope, System};

/// What a message is, as an interceptor sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// A call, for the handler named.
    Call(&'static str),
    /// A cast, for the handler named.
    Cast(&'static str),
    /// Anything for `handle_info`: a message, a timer, a signal, a task's
    /// result or failure.
    Info,
}

/// What the loop does with the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Hands it to its callback, as without a hook.
    Handle,
    /// Waits `d`, then hands it to its callback.
    Delay(Duration),
    /// Exits with the reason instead, as if the callback had failed; the
    /// message is dropped (a caller learns the reason).
    Crash(ExitReason),
    /// Drops it unhandled: a call is never answered.
    Drop,
}

/// A server's crash, as its crash report tells it.
#[derive(Clone, Debug)]
pub(crate) struct CrashReport {
    pub(crate) server: &'static str,
    pub(crate) id: ServerId,
    pub(crate) handler: &'static str,
    pub(crate) reason: ExitReason,
    pub(crate) location: Option<Arc<str>>,
}

/// What tests install on a server.
pub(crate) trait Intercept: Send + Sync + 'static {
    /// Asked before each message but a stop request is handled.
    fn before(&self, delivery: Delivery) -> Verdict;
    /// Told when the server exits abnormally from its loop or `terminate`.
    fn crashed(&self, report: CrashReport);
    /// The hook as its own type, for the module that installed it.
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

/// A server's hook slot, in its `Process`: a flag the loop reads on every
/// message, and the hook.
#[derive(Default)]
pub(crate) struct Intercepts {
    armed: AtomicBool,
    hook: Mutex<Option<Arc<dyn Intercept>>>,
}

impl Intercepts {
    /// `true` once a hook is installed: the one check on the hot path.
    #[inline(always)]
    pub(crate) fn armed(&self) -> bool {
        self.armed.load(Ordering::Relaxed)
    }

    /// The installed hook, or `install()`'s, installed now.
    pub(crate) fn get_or_install(
        &self,
        install: impl FnOnce() -> Arc<dyn Intercept>,
    ) -> Arc<dyn Intercept> {
        let mut hook = self.hook.lock().unwrap_or_else(|e| e.into_inner());
        let hook = hook.get_or_insert_with(install).clone();
        self.armed.store(true, Ordering::Release);
        hook
    }

    /// The installed hook, if any.
    pub(crate) fn hook(&self) -> Option<Arc<dyn Intercept>> {
        if !self.armed() {
            return None;
        }
        self.hook.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// What the hook makes of `envelope`, and the handler it is for (named
/// in a crash report). A stop request and a system request (`sys()`) are
/// always handled: a test can always stop and inspect what it started.
#[cold]
#[inline(never)]
pub(crate) fn decide<T: GenServer>(
    intercepts: &Intercepts,
    envelope: &Envelope<T>,
) -> (Verdict, Name) {
    let (delivery, handler) = match envelope {
        Envelope::Call(message) => {
            let name = T::__message_name(message);
            (Delivery::Call(name), name)
        }
        Envelope::Message(message) => {
            let name = T::__message_name(message);
            (Delivery::Cast(name), name)
        }
        Envelope::Info(_) => (Delivery::Info, &"handle_info(Message)"),
        Envelope::System(system) => match **system {
            System::Stop { .. } => return (Verdict::Handle, &""),
            System::Down { .. } => (Delivery::Info, &"handle_info(Down)"),
            System::Exit { .. } => (Delivery::Info, &"handle_info(Exit)"),
            System::TableTransfer(_) => (Delivery::Info, &"handle_info(TableTransfer)"),
            System::TaskFailed { .. } => (Delivery::Info, &"handle_info(TaskFailed)"),
        },
        Envelope::Sys(_) => return (Verdict::Handle, &""),
    };
    match intercepts.hook() {
        Some(hook) => (hook.before(delivery), handler),
        None => (Verdict::Handle, handler),
    }
}

/// [`decide`], with the delay waited: `Ok` with the envelope to handle,
/// `Err(None)` to drop it, `Err(Some((reason, handler)))` to crash in
/// `handler`. For the stand-in's loop.
pub(crate) async fn before<T: GenServer>(
    intercepts: &Intercepts,
    envelope: Envelope<T>,
) -> Result<Envelope<T>, Option<(ExitReason, &'static str)>> {
    match decide(intercepts, &envelope) {
        (Verdict::Handle, _) => Ok(envelope),
        (Verdict::Delay(delay), _) => {
            tokio::time::sleep(delay).await;
            Ok(envelope)
        }
        (Verdict::Crash(reason), handler) => {
            drop(envelope);
            Err(Some((reason, *handler)))
        }
        (Verdict::Drop, _) => Err(None),
    }
}

/// Tells the hook, if any, of an abnormal exit.
#[cold]
pub(crate) fn crashed(intercepts: &Intercepts, report: impl FnOnce() -> CrashReport) {
    if let Some(hook) = intercepts.hook() {
        hook.crashed(report());
    }
}
