//! A future with no task of its own, polled where it is woken: a served
//! call's reply is encoded and published from the task that answered it
//! (the server's, as it sends a handler's returned value), not from a
//! task woken for it.
//!
//! ```text
//!  serving task ── accept, queue at the server, poll once ──▶ (pending)
//!  server's task ── reply ──▶ wake ──▶ poll here: encode, publish
//! ```
//!
//! With many served names and one call at a time each, awaiting the reply
//! in the serving task woke that task a second time for every call: with
//! 1 000 served servers, throughput was 0.74–0.78× a hand-written
//! responder's, 0.80–0.84× polled here (`benches/remote.rs`).
//!
//! Polling inside `wake` is sound only where no waker it registers is
//! woken under a lock the future takes. The futures run here wait on a
//! call's reply slot, a timeout group, the server's exit and its
//! mailbox's room, and `genserver-core` wakes each of those outside its
//! locks. User code is the exception: a `ReplyTo::reply` it calls may
//! hold a lock that the reply's `Serialize` takes, so a wake inside one
//! (`in_user_reply`) is polled from a task of its own instead. A handler's
//! returned value is sent after the handler is done, and polled here.
//!
//! Polls never nest: a wake while the future is being polled (on this
//! thread or another) is noted, and the poller polls again. A poll runs
//! inside the runtime the future was started on (its timers and spawns
//! work from a thread outside it), and without tokio's cooperative budget
//! (which would make it yield to a task it has not). A panic ends the
//! future; it is never polled again.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use std::task::{Context, Poll, Wake, Waker};

use tokio::runtime::Handle;
use tokio::task::coop::unconstrained;

/// Nobody polls it, and it is not done.
const IDLE: u8 = 0;
/// Being polled.
const POLLING: u8 = 1;
/// Being polled, and woken since that poll began: poll again.
const NOTIFIED: u8 = 2;
/// It has finished (or panicked): never polled again.
const DONE: u8 = 3;

type Boxed = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A future polled where it is woken.
struct InPlace {
    state: AtomicU8,
    /// Taken when it finishes. Locked only by the one poller.
    future: Mutex<Option<Boxed>>,
    runtime: Handle,
}

/// Polls `future` now, and again wherever it is woken, until it finishes.
/// Call it inside a tokio runtime: its later polls run inside that one.
pub(crate) fn run(future: impl Future<Output = ()> + Send + 'static) {
    let in_place = Arc::new(InPlace {
        state: AtomicU8::new(IDLE),
        future: Mutex::new(Some(Box::pin(unconstrained(future)))),
        runtime: Handle::current(),
    });
    in_place.poll_here();
}

impl InPlace {
    /// Polls the future, unless someone polls it now (then they poll it
    /// once more) or it is done.
    fn poll_here(self: &Arc<Self>) {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            let next = match state {
                IDLE => POLLING,
                POLLING => NOTIFIED,
                _ => return,
            };
            match self
                .state
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if next == POLLING => break,
                Ok(_) => return,
                Err(actual) => state = actual,
            }
        }
        // Claimed: whatever happens now, it ends IDLE, or DONE.
        if catch_unwind(AssertUnwindSafe(|| self.poll_claimed())).is_err() {
            // Entering the runtime, or a future's drop, panicked (a wake
            // from a thread being torn down): the future is done with.
            self.state.store(DONE, Ordering::Release);
            let slot = match self.future.try_lock() {
                Ok(slot) => Some(slot),
                Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => None,
            };
            if let Some(mut slot) = slot {
                let future = slot.take();
                drop(slot);
                let _ = catch_unwind(AssertUnwindSafe(move || drop(future)));
            }
            tracing::error!("a served call's reply panicked; its caller gets no answer");
        }
    }

    /// Polls the future, claimed, until it is pending with no wake since
    /// its poll began, or done.
    fn poll_claimed(self: &Arc<Self>) {
        let _runtime = self.runtime.enter();
        let waker = Waker::from(self.clone());
        let mut cx = Context::from_waker(&waker);
        let mut slot = self.future.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let Some(future) = slot.as_mut() else {
                self.state.store(DONE, Ordering::Release);
                return;
            };
            let polled = catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)));
            if !matches!(polled, Ok(Poll::Pending)) {
                self.state.store(DONE, Ordering::Release);
                let future = slot.take();
                drop(slot);
                let dropped = catch_unwind(AssertUnwindSafe(move || drop(future)));
                if polled.is_err() || dropped.is_err() {
                    // The futures run here catch their own panics and
                    // answer with an error; this is the last guard.
                    tracing::error!("a served call's reply panicked; its caller gets no answer");
                }
                return;
            }
            // Pending: idle again, unless it was woken during the poll.
            match self
                .state
                .compare_exchange(POLLING, IDLE, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(_) => self.state.store(POLLING, Ordering::Release),
            }
        }
    }

    /// Polls it here, or, inside a `ReplyTo::reply` that user code called
    /// (which may hold a lock the reply's `Serialize` takes), from a task
    /// of its own.
    fn woken(self: &Arc<Self>) {
        if genserver_core::__private::in_user_reply() {
            let this = self.clone();
            self.runtime.spawn(async move { this.poll_here() });
        } else {
            self.poll_here();
        }
    }
}

impl Wake for InPlace {
    fn wake(self: Arc<Self>) {
        self.woken();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use tokio::sync::oneshot;

    #[tokio::test]
    async fn it_runs_to_the_end_where_it_is_woken_with_no_task() {
        let (tx, rx) = oneshot::channel::<u32>();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        run(async move {
            let value = rx.await.expect("a value");
            done_tx
                .send((value, std::thread::current().id()))
                .expect("sent");
        });
        // Sent from a plain thread: the future finishes there, at once.
        let sender = std::thread::spawn(move || {
            tx.send(7).expect("the future waits");
            std::thread::current().id()
        });
        let sender = sender.join().expect("the thread ends");
        let (value, finished_on) = done_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("the future finished");
        assert_eq!((value, finished_on), (7, sender));
    }

    #[tokio::test]
    async fn a_poll_from_a_thread_outside_the_runtime_runs_inside_it() {
        let (tx, rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        run(async move {
            rx.await.expect("woken");
            // A timer needs the runtime; this poll runs on a plain thread.
            tokio::time::sleep(Duration::from_millis(1)).await;
            done_tx.send(()).expect("sent");
        });
        std::thread::spawn(move || tx.send(()).expect("waits"))
            .join()
            .expect("the thread ends");
        tokio::task::spawn_blocking(move || done_rx.recv_timeout(Duration::from_secs(5)))
            .await
            .expect("joined")
            .expect("the future finished after its timer");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wake_during_its_poll_polls_it_again_and_never_nests() {
        // A future that wakes itself from inside its poll (on this thread)
        // and from other threads while it is being polled: each poll is
        // counted, none overlaps another, and it finishes.
        struct Busy {
            polls: Arc<AtomicUsize>,
            inside: Arc<AtomicUsize>,
            done: Option<std::sync::mpsc::Sender<usize>>,
        }
        impl Future for Busy {
            type Output = ();
            fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                assert_eq!(self.inside.fetch_add(1, Ordering::SeqCst), 0, "nested poll");
                let polls = self.polls.fetch_add(1, Ordering::SeqCst) + 1;
                cx.waker().wake_by_ref();
                let waker = cx.waker().clone();
                std::thread::spawn(move || waker.wake());
                std::thread::sleep(Duration::from_micros(200));
                self.inside.fetch_sub(1, Ordering::SeqCst);
                if polls >= 50 {
                    if let Some(done) = self.done.take() {
                        done.send(polls).expect("sent");
                    }
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }
        }
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let polls = Arc::new(AtomicUsize::new(0));
        run(Busy {
            polls: polls.clone(),
            inside: Arc::new(AtomicUsize::new(0)),
            done: Some(done_tx),
        });
        let finished =
            tokio::task::spawn_blocking(move || done_rx.recv_timeout(Duration::from_secs(10)))
                .await
                .expect("joined")
                .expect("finished");
        assert_eq!(finished, 50);
        // Wakes after the end are ignored: no poll after Ready.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(polls.load(Ordering::SeqCst), 50);
    }

    #[tokio::test]
    async fn a_panic_in_its_poll_ends_it_and_is_not_polled_again() {
        let (tx, rx) = oneshot::channel::<()>();
        let polls = Arc::new(AtomicUsize::new(0));
        let counted = polls.clone();
        run(async move {
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = rx.await;
            counted.fetch_add(1, Ordering::SeqCst);
            panic!("boom");
        });
        // The panic stays in the runner: the sender's thread goes on.
        assert!(tx.send(()).is_ok());
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    }
}
