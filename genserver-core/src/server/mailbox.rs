//! A server's mailbox: what travels to the server, in two lanes.
//!
//! ```text
//!  senders ──▶ user lane      (calls, casts, `server.send(..)`)  ─┐
//!                                                                 ├─▶ the server's loop
//!  runtime ──▶ priority lane  (stop, exit signals, `Down`, timers) ┘   (priority first)
//! ```
//!
//! The priority lane overtakes queued user messages (OTP 28's priority
//! messages), so a `stop` reaches a server behind a flood of casts at once.
//! Both lanes sit behind one short lock, which makes closing race-free: a
//! message is either queued before the mailbox closes, and then handed back
//! by [`Mailbox::close`] to be dropped (its caller learns why at once), or
//! refused to its sender. No message can be left in a mailbox nobody reads.
//!
//! This is the only file that knows how the queue is built.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context as TaskContext, Poll, Waker};

use tokio::sync::oneshot;

use crate::exit_reason::ExitReason;
use crate::id::{MonitorRef, ServerId};
use crate::server::GenServer;

/// What travels through a server's mailbox. Calls and casts stay inline;
/// the rare system messages are boxed so they do not make every slot larger.
pub(crate) enum Envelope<T: GenServer> {
    Message(T::Message),
    Info(T::Info),
    System(Box<System>),
}

/// Messages from the runtime itself; they ride the priority lane.
pub(crate) enum System {
    Down {
        monitor: MonitorRef,
        server: ServerId,
        reason: ExitReason,
    },
    Exit {
        from: ServerId,
        reason: ExitReason,
    },
    /// `server.stop(reason)`: answered with the reason the server exited with.
    Stop {
        reason: ExitReason,
        done: oneshot::Sender<ExitReason>,
    },
}

/// Which lane a message takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Lane {
    User,
    Priority,
}

/// A multi-producer, single-consumer queue with a priority lane.
pub(crate) struct Mailbox<E> {
    queues: Mutex<Queues<E>>,
}

struct Queues<E> {
    priority: VecDeque<E>,
    user: VecDeque<E>,
    /// The receiver's waker, kept between parks so it is cloned only when
    /// the server's task changes.
    waker: Option<Waker>,
    /// The receiver found nothing and waits to be woken.
    parked: bool,
    closed: bool,
}

/// Everything still queued when the mailbox closed, priority lane first.
pub(crate) struct Drained<E> {
    pub(crate) priority: VecDeque<E>,
    pub(crate) user: VecDeque<E>,
}

impl<E> Mailbox<E> {
    pub(crate) fn new() -> Self {
        Mailbox {
            queues: Mutex::new(Queues {
                priority: VecDeque::new(),
                user: VecDeque::new(),
                waker: None,
                parked: false,
                closed: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queues<E>> {
        // Nothing runs user code under this lock; a poisoned lock still
        // holds consistent queues.
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `message` on `lane`; hands it back if the mailbox is closed
    /// (the server has exited or is exiting).
    #[inline]
    pub(crate) fn send(&self, message: E, lane: Lane) -> Result<(), E> {
        let mut queues = self.lock();
        if queues.closed {
            return Err(message);
        }
        match lane {
            Lane::User => queues.user.push_back(message),
            Lane::Priority => queues.priority.push_back(message),
        }
        if queues.parked {
            queues.parked = false;
            if let Some(waker) = &queues.waker {
                waker.wake_by_ref();
            }
        }
        Ok(())
    }

    /// The next message, priority lane first; `None` once closed and empty.
    pub(crate) fn poll_recv(&self, cx: &mut TaskContext<'_>) -> Poll<Option<E>> {
        let mut queues = self.lock();
        if let Some(message) = queues.priority.pop_front() {
            return Poll::Ready(Some(message));
        }
        if let Some(message) = queues.user.pop_front() {
            return Poll::Ready(Some(message));
        }
        if queues.closed {
            return Poll::Ready(None);
        }
        match &queues.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => queues.waker = Some(cx.waker().clone()),
        }
        queues.parked = true;
        Poll::Pending
    }

    /// Waits for the next message (see [`poll_recv`](Self::poll_recv)).
    pub(crate) async fn recv(&self) -> Option<E> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Closes the mailbox: later sends are refused. Returns what was queued,
    /// to be dropped by the caller outside the lock.
    pub(crate) fn close(&self) -> Drained<E> {
        let mut queues = self.lock();
        queues.closed = true;
        queues.waker = None;
        Drained {
            priority: std::mem::take(&mut queues.priority),
            user: std::mem::take(&mut queues.user),
        }
    }

    /// How many messages wait, in both lanes.
    pub(crate) fn len(&self) -> usize {
        let queues = self.lock();
        queues.priority.len() + queues.user.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn priority_overtakes_user_messages_and_keeps_its_own_order() {
        let mailbox = Mailbox::new();
        for i in 0..3 {
            mailbox.send(i, Lane::User).unwrap();
        }
        mailbox.send(10, Lane::Priority).unwrap();
        mailbox.send(11, Lane::Priority).unwrap();
        let mut got = Vec::new();
        for _ in 0..5 {
            got.push(mailbox.recv().await.unwrap());
        }
        assert_eq!(got, [10, 11, 0, 1, 2]);
    }

    #[tokio::test]
    async fn a_closed_mailbox_refuses_and_hands_back_what_was_queued() {
        let mailbox = Mailbox::new();
        mailbox.send(1, Lane::User).unwrap();
        mailbox.send(2, Lane::Priority).unwrap();
        let drained = mailbox.close();
        assert_eq!(drained.priority, [2]);
        assert_eq!(drained.user, [1]);
        assert_eq!(mailbox.send(3, Lane::User), Err(3));
        assert_eq!(mailbox.recv().await, None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_parked_receiver_is_woken_by_a_sender_on_another_thread() {
        let mailbox = Arc::new(Mailbox::new());
        let receiver = {
            let mailbox = mailbox.clone();
            tokio::spawn(async move {
                let mut sum = 0u64;
                for _ in 0..10_000 {
                    sum += mailbox.recv().await.unwrap();
                }
                sum
            })
        };
        for i in 0..10_000u64 {
            mailbox.send(i, Lane::User).unwrap();
            if i % 64 == 0 {
                tokio::task::yield_now().await;
            }
        }
        let sum = tokio::time::timeout(std::time::Duration::from_secs(10), receiver)
            .await
            .expect("the receiver was never woken")
            .unwrap();
        assert_eq!(sum, (0..10_000u64).sum());
    }
}
