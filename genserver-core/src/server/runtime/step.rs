//! One message's handling as one future, made before the loop awaits it.
//!
//! Every idle server's future is as large as the loop's largest suspension
//! point. Matching a message in the loop and awaiting its handler inside
//! the match kept the message, its envelope and the `Info` made from it
//! alive across the handler's await (a partly moved or borrowed local keeps
//! its place in the future): 96 bytes in every server, idle or not. Here
//! the envelope is taken apart by a plain `fn`, which hands back only the
//! handler's future; the loop awaits that, and nothing else lives across
//! the await.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use tracing::Instrument;

use super::{Exit, Life, Next, Stopped, info_handler};
use crate::exit_reason::ExitReason;
use crate::info::Info;
use crate::server::gen_server::GenServer;
use crate::server::mailbox::Envelope;
use crate::server::observer::EventKind;

use super::rare::Work;

/// A boxed rare path (an observed message, a `sys` request): `Some` when
/// it ends the loop.
type Rare<'a> = Pin<Box<dyn Future<Output = Option<Exit>> + Send + 'a>>;

/// The handling of one message: resolves to `Some` when it ends the loop.
///
/// What it runs is dropped as soon as it is done, inside `poll`, where its
/// kind is known; the drop that follows the loop's await is then one
/// branch, where dropping the enum would call its whole drop glue for
/// every message.
pub(super) struct Step<'a, D, I> {
    handling: ManuallyDrop<Handling<'a, D, I>>,
}

enum Handling<'a, D, I> {
    /// A call or a cast, through the generated dispatch.
    Dispatch(D),
    /// `handle_info`.
    Info(I),
    /// A rare path, boxed so that it does not make every server larger.
    Rare(Rare<'a>),
    /// The loop ends at once (a stop, a closed mailbox): the reason and
    /// the stop's answer slot, without a panic (32 bytes where an `Exit`
    /// takes 64, so that it never makes the step larger); `None` once
    /// taken.
    Exit(Option<Stopped>),
    /// Ended, and what ran dropped already.
    Done,
}

impl<'a, D, I> Step<'a, D, I> {
    #[inline(always)]
    fn new(handling: Handling<'a, D, I>) -> Self {
        Step {
            handling: ManuallyDrop::new(handling),
        }
    }
}

impl<D, I> Drop for Step<'_, D, I> {
    #[inline(always)]
    fn drop(&mut self) {
        if !matches!(*self.handling, Handling::Done) {
            // SAFETY: not dropped yet (not `Done`), and never used again.
            unsafe { ManuallyDrop::drop(&mut self.handling) }
        }
    }
}

/// Writes `Done` over a handling as it drops, even when dropping what
/// ran panics: a `Step` never drops the same future twice.
struct MarkDone<'a, D, I>(*mut Handling<'a, D, I>);

impl<'a, D, I> MarkDone<'a, D, I> {
    /// # Safety
    ///
    /// `handling` is valid for writes until the guard drops, and what it
    /// holds is dropped (or its drop unwinds) before then and never used
    /// again: the guard writes `Done` over it without dropping it.
    #[inline(always)]
    unsafe fn over(handling: *mut Handling<'a, D, I>) -> Self {
        MarkDone(handling)
    }
}

impl<D, I> Drop for MarkDone<'_, D, I> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: as `over` requires.
        unsafe { std::ptr::write(self.0, Handling::Done) }
    }
}

impl<D, I> Future for Step<'_, D, I>
where
    D: Future<Output = ()>,
    I: Future<Output = ()>,
{
    type Output = Option<Exit>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning: the futures inside `handling` are
        // never moved; once done, each is dropped in place and `Done`
        // written over it (`MarkDone`). Every access below goes through
        // this one pointer, and the write of `Done` comes after the last
        // use of what was borrowed from it.
        let handling: *mut Handling<'_, D, I> = unsafe { &mut *self.get_unchecked_mut().handling };
        // SAFETY: valid and not aliased: the step is borrowed mutably.
        let ready = match unsafe { &mut *handling } {
            Handling::Dispatch(handler) => {
                // SAFETY: pinned with the step, never moved (above).
                let ready = unsafe { Pin::new_unchecked(&mut *handler) }.poll(cx);
                if ready.is_ready() {
                    // SAFETY: `handler` is dropped next and never used
                    // again; the guard writes `Done` after it.
                    let _done = unsafe { MarkDone::over(handling) };
                    // SAFETY: done; dropped once, in place, as the kind
                    // known here (one call of the whole enum's drop glue
                    // per message costs more).
                    unsafe { std::ptr::drop_in_place(handler) };
                }
                return ready.map(|()| None);
            }
            // SAFETY: pinned with the step, never moved (above).
            Handling::Info(handler) => unsafe { Pin::new_unchecked(handler) }
                .poll(cx)
                .map(|()| None),
            Handling::Rare(rare) => rare.as_mut().poll(cx),
            Handling::Exit(stopped) => Poll::Ready(stopped.take().map(Exit::stopped)),
            // Polled after it ended (the loop never does): nothing runs.
            Handling::Done => return Poll::Ready(None),
        };
        if ready.is_ready() {
            // SAFETY: what `handling` holds is dropped next and never used
            // again; the guard writes `Done` after it.
            let _done = unsafe { MarkDone::over(handling) };
            // SAFETY: done; dropped once, in place.
            unsafe { std::ptr::drop_in_place(handling) };
        }
        ready
    }
}

impl<T: GenServer> Life<T> {
    /// Takes `next` apart and makes the future that handles it.
    #[allow(
        clippy::type_complexity,
        reason = "two opaque futures: the dispatch's and handle_info's"
    )]
    #[inline(always)]
    pub(super) fn step<'a>(
        &'a mut self,
        state: &'a mut T,
        next: Next<T>,
    ) -> Step<'a, impl Future<Output = ()> + Send + 'a, impl Future<Output = ()> + Send + 'a> {
        let call = matches!(next, Next::Envelope(Envelope::Call(_)));
        let info = match next {
            // One dispatch site for calls and casts: it inlines a large
            // future, which a second copy would make larger still.
            Next::Envelope(Envelope::Call(message) | Envelope::Message(message)) => {
                let handler = T::__message_name(&message);
                self.shared.counters.handling(handler, call);
                self.ctx.handler = handler;
                if self.shared.counters.observing().is_some() {
                    let kind = if call {
                        EventKind::Call
                    } else {
                        EventKind::Cast
                    };
                    return Step::new(Handling::Rare(self.observed_step(
                        state,
                        Work::Message(message),
                        kind,
                    )));
                }
                return Step::new(Handling::Dispatch(state.__dispatch(message, &mut self.ctx)));
            }
            Next::Envelope(Envelope::Info(message)) => Info::Message(message),
            Next::Envelope(Envelope::Sys(request)) => {
                let sys = self.sys(state, request);
                return Step::new(Handling::Rare(Box::pin(async move { sys.await.err() })));
            }
            Next::Envelope(Envelope::System(system)) => match self.system(*system) {
                Ok(info) => info,
                Err(stopped) => return Step::new(Handling::Exit(Some(stopped))),
            },
            Next::Idle => Info::Timeout,
            // Unreachable while the server runs; a normal end.
            Next::Closed => return Step::new(Handling::Exit(Some((ExitReason::Normal, None)))),
        };
        let handler = info_handler(&info);
        self.shared.counters.info(handler);
        self.ctx.handler = handler;
        if self.shared.counters.observing().is_some() {
            return Step::new(Handling::Rare(self.observed_step(
                state,
                Work::Info(info),
                EventKind::Info,
            )));
        }
        Step::new(Handling::Info(
            state
                .__handle_info(info, &mut self.ctx)
                .instrument(tracing::debug_span!("handle_info")),
        ))
    }

    /// A message handled while the observer records, boxed (`rare.rs`).
    #[cold]
    fn observed_step<'a>(
        &'a mut self,
        state: &'a mut T,
        work: Work<T>,
        kind: EventKind,
    ) -> Rare<'a> {
        let observed = self.observed(state, work, kind);
        Box::pin(async move {
            observed.await;
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Waker;

    use tokio::sync::oneshot;

    use super::*;

    /// A handler's future: pending for `pending` polls, then ready (or a
    /// panic, when asked); counts its drops, and panics in the drop when
    /// asked to.
    struct Counted {
        drops: Arc<AtomicUsize>,
        pending: usize,
        panic_in_poll: bool,
        panic_in_drop: bool,
    }

    impl Counted {
        fn new(drops: &Arc<AtomicUsize>) -> Self {
            Counted {
                drops: drops.clone(),
                pending: 0,
                panic_in_poll: false,
                panic_in_drop: false,
            }
        }

        fn pending(mut self, polls: usize) -> Self {
            self.pending = polls;
            self
        }

        fn panicking_in_poll(mut self) -> Self {
            self.panic_in_poll = true;
            self
        }

        fn panicking_in_drop(mut self) -> Self {
            self.panic_in_drop = true;
            self
        }
    }

    impl Future for Counted {
        type Output = ();

        fn poll(mut self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<()> {
            if self.pending > 0 {
                self.pending -= 1;
                return Poll::Pending;
            }
            if self.panic_in_poll {
                panic!("a handler that panics");
            }
            Poll::Ready(())
        }
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::SeqCst);
            if self.panic_in_drop {
                panic!("a drop that panics");
            }
        }
    }

    type Ready = std::future::Ready<()>;

    fn poll<D, I>(step: &mut Step<'static, D, I>) -> Poll<Option<Exit>>
    where
        D: Future<Output = ()> + Unpin,
        I: Future<Output = ()> + Unpin,
    {
        Pin::new(step).poll(&mut TaskContext::from_waker(Waker::noop()))
    }

    fn dispatch(handler: Counted) -> Step<'static, Counted, Ready> {
        Step::new(Handling::Dispatch(handler))
    }

    fn info(handler: Counted) -> Step<'static, Ready, Counted> {
        Step::new(Handling::Info(handler))
    }

    fn drops() -> Arc<AtomicUsize> {
        Arc::new(AtomicUsize::new(0))
    }

    #[test]
    fn what_ran_is_dropped_once_when_done_and_never_again() {
        let drops = drops();
        let mut done = dispatch(Counted::new(&drops));
        assert!(matches!(poll(&mut done), Poll::Ready(None)));
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        // Polled again after it ended (the loop never does): nothing runs.
        assert!(matches!(poll(&mut done), Poll::Ready(None)));
        drop(done);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        // `handle_info`'s kind too.
        let mut done = info(Counted::new(&drops));
        assert!(matches!(poll(&mut done), Poll::Ready(None)));
        drop(done);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_step_dropped_before_or_while_it_runs_drops_what_it_holds_once() {
        let drops = drops();
        drop(dispatch(Counted::new(&drops)));
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        // A server killed while its handler waits.
        let mut waiting = dispatch(Counted::new(&drops).pending(2));
        assert!(poll(&mut waiting).is_pending());
        assert!(poll(&mut waiting).is_pending());
        drop(waiting);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        let mut waiting = info(Counted::new(&drops).pending(1));
        assert!(poll(&mut waiting).is_pending());
        drop(waiting);
        assert_eq!(drops.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_handler_that_panics_is_dropped_once_as_the_loop_unwinds() {
        let drops = drops();
        let mut panicky = dispatch(Counted::new(&drops).panicking_in_poll());
        assert!(catch_unwind(AssertUnwindSafe(|| poll(&mut panicky))).is_err());
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        drop(panicky);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_drop_that_panics_is_not_run_twice() {
        let drops = drops();
        let mut panicky = dispatch(Counted::new(&drops).panicking_in_drop());
        assert!(catch_unwind(AssertUnwindSafe(|| poll(&mut panicky))).is_err());
        drop(panicky);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        let mut panicky = info(Counted::new(&drops).panicking_in_drop());
        assert!(catch_unwind(AssertUnwindSafe(|| poll(&mut panicky))).is_err());
        drop(panicky);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn an_exit_is_handed_over_once() {
        let (done, _answer) = oneshot::channel();
        let mut stop: Step<'static, Ready, Ready> =
            Step::new(Handling::Exit(Some((ExitReason::Shutdown, Some(done)))));
        match poll(&mut stop) {
            Poll::Ready(Some(exit)) => {
                assert_eq!(exit.reason, ExitReason::Shutdown);
                assert!(exit.stopper.is_some() && exit.panic.is_none());
            }
            _ => panic!("the exit is handed over at the first poll"),
        }
        assert!(matches!(poll(&mut stop), Poll::Ready(None)));
    }
}
