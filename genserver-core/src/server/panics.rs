//! Panics inside servers and their tasks: caught, turned into an exit
//! reason and one crash report; and the panic hook that keeps Rust's own
//! panic message and backtrace out of the output for them.
//!
//! ```text
//!  panic! in a handler ──▶ panic hook ──▶ inside a server? ─ yes ─▶ keep the location, print nothing
//!                              │                            └─ no ──▶ the previous hook (Rust's)
//!                              ▼
//!                  CatchUnwind ──▶ Panic { message, location } ──▶ ExitReason::Panic + crash report
//! ```
//!
//! Every future the runtime runs for a server (its `init`, its loop,
//! `terminate`) and for its tasks is polled through [`CatchUnwind`]. The
//! hook tells a panic inside a server by the task-local every server's
//! future runs in (`CURRENT_SERVER`), which costs the loop nothing; a
//! task's future is polled through [`InTask`], which marks the thread
//! while it polls (a thread-local, so nothing is shared between threads).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::pin::Pin;
use std::sync::{Arc, Once};
use std::task::{Context as TaskContext, Poll};

use crate::exit_reason::panic_message;
use crate::server::handle::CURRENT_SERVER;

thread_local! {
    /// How many `CatchUnwind`s are polling on this thread.
    static INSIDE: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic caught on this thread happened, as the hook saw it.
    static LOCATION: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
}

/// A panic caught inside a server or a task.
#[derive(Clone, Debug)]
pub(crate) struct Panic {
    /// The panic's message: the text of [`ExitReason::Panic`](crate::ExitReason::Panic).
    pub(crate) message: Arc<str>,
    /// `file:line:column`, when the hook of [`install_panic_hook`] saw it.
    pub(crate) location: Option<Arc<str>>,
}

/// Polls a future inside `catch_unwind`, turning a panic into a [`Panic`].
pub(crate) struct CatchUnwind<F>(pub(crate) AssertUnwindSafe<F>);

/// Marks the thread as running a server's task while it polls `F`, for
/// the panic hook; for tasks, which run outside their server's task-local.
pub(crate) struct InTask<F>(pub(crate) F);

impl<F: Future> Future for InTask<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of the only field; it is never moved.
        let inner = unsafe { self.map_unchecked_mut(|this| &mut this.0) };
        let _inside = Inside::enter();
        inner.poll(cx)
    }
}

/// Leaves the "inside a server" mark, even when the poll unwinds.
struct Inside;

impl Inside {
    fn enter() -> Self {
        INSIDE.with(|inside| inside.set(inside.get() + 1));
        Inside
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        INSIDE.with(|inside| inside.set(inside.get().saturating_sub(1)));
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Panic>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of the only field; it is never moved.
        let inner = unsafe { self.map_unchecked_mut(|this| &mut (this.0).0) };
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => Poll::Ready(Err(Panic {
                message: panic_message(&*payload),
                location: LOCATION.with(|location| location.borrow_mut().take()),
            })),
        }
    }
}

/// `true` while a server's or a task's future is being polled on this thread.
fn inside_a_server() -> bool {
    INSIDE.with(Cell::get) > 0 || CURRENT_SERVER.try_with(|_| ()).is_ok()
}

/// Installs a panic hook that stays quiet for panics inside servers and
/// their tasks, and hands every other panic to the hook installed before.
///
/// A panic in a server already ends in one crash report through `tracing`
/// (the server, its handler, the reason, and with this hook the panic's
/// `file:line`), at error level; Rust's own hook prints the panic message
/// again on stderr, with a backtrace under `RUST_BACKTRACE=1`, and
/// `RUST_LOG` cannot silence it. With this hook, a server's panic is
/// reported once, through `tracing` only; with `RUST_BACKTRACE` set, its
/// backtrace is logged at debug level. A panic anywhere else (in `main`, in
/// a task spawned with `tokio::spawn`, in a test's own body) still goes to
/// the previous hook, unchanged.
///
/// [`Application::run`](crate::Application::run) and
/// [`Application::start`](crate::Application::start) install it; a
/// program without an `Application` calls it once, at the start of `main`.
/// Calling it again does nothing.
///
/// ```
/// use genserver_core::prelude::*;
///
/// pub struct Fragile;
///
/// #[gen_server]
/// impl Fragile {
///     #[call]
///     pub fn break_now(&self) {
///         panic!("broken on purpose")
///     }
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// genserver_core::install_panic_hook();
/// let fragile = Fragile::start(Fragile).await?;
/// // One crash report through `tracing`; nothing from Rust's hook.
/// let crashed = fragile.break_now().await;
/// assert_eq!(crashed, Err(CallError::Exited(ExitReason::Panic("broken on purpose".into()))));
/// # Ok(())
/// # }
/// ```
pub fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            if inside_a_server() {
                quiet(info);
            } else {
                previous(info);
            }
        }));
    });
}

/// A panic inside a server: keep where it happened for the crash report.
fn quiet(info: &PanicHookInfo<'_>) {
    let location: Option<Arc<str>> = info.location().map(|at| Arc::from(at.to_string()));
    if tracing::enabled!(tracing::Level::DEBUG) {
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            tracing::debug!(
                location = location.as_deref().unwrap_or("unknown"),
                %backtrace,
                "backtrace of a panic inside a server"
            );
        }
    }
    LOCATION.with(|slot| *slot.borrow_mut() = location);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_is_left_even_when_the_poll_unwinds() {
        let future = CatchUnwind(AssertUnwindSafe(InTask(async {
            assert!(inside_a_server());
            panic!("inside")
        })));
        let waker = std::task::Waker::noop();
        let mut cx = TaskContext::from_waker(waker);
        let mut future = std::pin::pin!(future);
        let Poll::Ready(Err(panic)) = future.as_mut().poll(&mut cx) else {
            panic!("the panic was caught");
        };
        assert_eq!(&*panic.message, "inside");
        assert!(!inside_a_server());
    }
}
