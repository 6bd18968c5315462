//! A server's mailbox: what travels to the server, in two lanes, and how
//! much of it may wait.
//!
//! ```text
//!  senders ──▶ user lane      (calls, casts, `server.send(..)`, task ─┐
//!                              results; exit signals, `Down`)          ├─▶ the server's loop
//!  runtime ──▶ priority lane  (stop, timers, `send_priority`)          ┘   (priority first)
//! ```
//!
//! The priority lane overtakes queued user messages (OTP 28's priority
//! messages), so a `stop` reaches a server behind a flood of casts at once.
//! Signals from other servers (exit signals, `Down`, a table handed to its
//! heir) take the user lane, as OTP keeps the signals between two
//! processes in the order they were sent: a `Down` never overtakes the
//! casts its server sent before it died. They ride the user lane without
//! counting against a bound ([`Lane::Signal`]): a full mailbox never drops
//! nor refuses them.
//! Both lanes sit behind one short lock, which makes closing race-free: a
//! message is either queued before the mailbox closes, and then handed back
//! by [`Mailbox::close`] to be dropped (its caller learns why at once), or
//! refused to its sender. No message can be left in a mailbox nobody reads.
//!
//! The user lane is unbounded by default, as in OTP, or bounded
//! ([`Mailbox::bounded`], in `mailbox_config.rs`): then a call waits for room within its timeout
//! (back-pressure), and a cast either waits, fails fast, or follows the
//! server's [`Overflow`] policy. The priority lane is never full.
//!
//! This is the only file that knows how the queue is built.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context as TaskContext, Poll, Waker};

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::id::ServerId;
use crate::server::dead_letters::{self, DeadLetterReason};
pub(crate) use crate::server::envelope::{Envelope, Evict, System};
pub(crate) use crate::server::mailbox_config::{Mailbox, Overflow};
use crate::throttle::Throttle;

/// The mailboxes' alarms, each at most one line a second for the whole
/// program, and a summary of how many more: 500 servers crossing their
/// watermark in one burst write two lines, not 500.
static LONG: Throttle = Throttle::new();
static BACK: Throttle = Throttle::new();
static FULL: Throttle = Throttle::new();
static OVER: Throttle = Throttle::new();

/// Which lane a message takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Lane {
    /// In order with calls and casts, within the mailbox's bound.
    User,
    /// In order with calls and casts, but beyond the bound: never refused
    /// nor dropped (exit signals, `Down`, table transfers).
    Signal,
    /// Ahead of the user lane (stop, timers, `send_priority`).
    Priority,
}

/// Why a message was not queued.
pub(crate) enum SendError<E> {
    /// The server has exited or is exiting.
    Closed(E),
    /// The user lane is full.
    Full(E),
}

/// A multi-producer, single-consumer queue with a priority lane.
pub(crate) struct Queue<E> {
    queues: Mutex<Queues<E>>,
    config: Mailbox,
    /// Senders waiting for room: a bounded mailbox's only (most mailboxes
    /// are unbounded, and an idle server's bytes count).
    room: Option<Box<Room>>,
    dropped: AtomicU64,
    /// Who owns it, for the watermark and overflow reports.
    id: ServerId,
}

/// Where senders to a full bounded mailbox wait.
struct Room {
    notify: Notify,
    /// How many senders wait: the receiver wakes one only then.
    waiting: AtomicUsize,
}

/// One sender counted in [`Room::waiting`] until dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
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
    /// Above the high watermark, not yet back to the low one.
    long: bool,
    /// Dropping messages since the queue was last at the low watermark.
    dropping: u64,
    /// The most user messages queued at once.
    high_water: usize,
}

/// Everything still queued when the mailbox closed, priority lane first.
pub(crate) struct Drained<E> {
    pub(crate) priority: VecDeque<E>,
    pub(crate) user: VecDeque<E>,
}

impl<E: Evict> Queue<E> {
    pub(crate) fn new(config: Mailbox, id: ServerId) -> Self {
        Queue {
            queues: Mutex::new(Queues {
                priority: VecDeque::new(),
                user: VecDeque::new(),
                waker: None,
                parked: false,
                closed: false,
                long: false,
                dropping: 0,
                high_water: 0,
            }),
            config,
            room: config.capacity.map(|_| {
                Box::new(Room {
                    notify: Notify::new(),
                    waiting: AtomicUsize::new(0),
                })
            }),
            dropped: AtomicU64::new(0),
            id,
        }
    }

    pub(crate) fn config(&self) -> Mailbox {
        self.config
    }

    fn lock(&self) -> MutexGuard<'_, Queues<E>> {
        // Nothing runs user code under this lock; a poisoned lock still
        // holds consistent queues.
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `message` on `lane` if there is room.
    #[inline]
    pub(crate) fn try_send(&self, message: E, lane: Lane) -> Result<(), SendError<E>> {
        let mut queues = self.lock();
        if queues.closed {
            return Err(SendError::Closed(message));
        }
        match lane {
            Lane::Priority => queues.priority.push_back(message),
            Lane::Signal => queues.user.push_back(message),
            Lane::User => {
                if self
                    .config
                    .capacity
                    .is_some_and(|cap| queues.user.len() >= cap)
                {
                    return Err(SendError::Full(message));
                }
                queues.user.push_back(message);
                let len = queues.user.len();
                queues.high_water = queues.high_water.max(len);
                if len > self.config.high && !queues.long {
                    queues.long = true;
                    self.report_long(len);
                }
            }
        }
        Self::wake(&mut queues);
        Ok(())
    }

    fn wake(queues: &mut Queues<E>) {
        if queues.parked {
            queues.parked = false;
            if let Some(waker) = &queues.waker {
                waker.wake_by_ref();
            }
        }
    }

    /// Queues `message`; when the user lane is full, follows the overflow
    /// policy. Hands the message back only if the mailbox is closed.
    #[inline]
    pub(crate) fn send(&self, message: E, lane: Lane) -> Result<(), E> {
        match self.try_send(message, lane) {
            Ok(()) => Ok(()),
            Err(SendError::Closed(message)) => Err(message),
            Err(SendError::Full(message)) => {
                self.overflow(message);
                Ok(())
            }
        }
    }

    #[cold]
    fn overflow(&self, message: E) {
        let mut queues = self.lock();
        let evicted = match self.config.overflow {
            Overflow::DropNewest => Some(message),
            Overflow::DropOldest => match queues.user.iter().position(Evict::evictable) {
                Some(oldest) => {
                    let evicted = queues.user.remove(oldest);
                    queues.user.push_back(message);
                    Self::wake(&mut queues);
                    evicted
                }
                // Only calls wait: they are never dropped.
                None => Some(message),
            },
        };
        self.dropped.fetch_add(1, Ordering::Relaxed);
        // A dead letter; this server's count is `dropped`, its report the
        // burst's line below.
        dead_letters::count(DeadLetterReason::Overflow, Some(E::SERVER), None, 1);
        queues.dropping += 1;
        if queues.dropping == 1
            && FULL.allow(|more| {
                tracing::warn!(
                    target: "genserver::dead_letters",
                    reason = "overflow",
                    more,
                    "more mailboxes full in the last second: dropping messages"
                );
            })
        {
            tracing::warn!(
                target: "genserver::dead_letters",
                reason = "overflow",
                server = E::SERVER,
                id = %self.id,
                capacity = self.config.capacity,
                policy = ?self.config.overflow,
                "mailbox full: dropping messages"
            );
        }
        drop(queues);
        drop(evicted);
    }

    /// Queues `message` on the user lane, waiting for room until
    /// `deadline` (`None`: as long as it takes). Hands it back if the
    /// mailbox closes or the deadline passes.
    pub(crate) async fn send_wait(
        &self,
        message: E,
        deadline: Option<Instant>,
    ) -> Result<(), SendError<E>> {
        let Some(room) = &self.room else {
            // Unbounded: never full.
            return self.try_send(message, Lane::User);
        };
        // Counted before it first looks for room, so a receiver making room
        // after that look sees it (the look and the receiver's take both
        // hold the queue's lock, which orders them); counted out when done
        // or dropped while it waits.
        room.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&room.waiting);
        self.wait_for_room(room, message, deadline).await
    }

    async fn wait_for_room(
        &self,
        room: &Room,
        mut message: E,
        deadline: Option<Instant>,
    ) -> Result<(), SendError<E>> {
        loop {
            let room = room.notify.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            match self.try_send(message, Lane::User) {
                Err(SendError::Full(back)) => message = back,
                done => return done,
            }
            match deadline {
                None => room.await,
                Some(deadline) => {
                    if tokio::time::timeout_at(deadline, room).await.is_err() {
                        return Err(SendError::Full(message));
                    }
                }
            }
        }
    }

    /// The next message, priority lane first; `None` once closed and empty.
    pub(crate) fn poll_recv(&self, cx: &mut TaskContext<'_>) -> Poll<Option<E>> {
        let mut queues = self.lock();
        if let Some(message) = queues.priority.pop_front() {
            return Poll::Ready(Some(message));
        }
        if let Some(message) = queues.user.pop_front() {
            let len = queues.user.len();
            if len <= self.config.low && (queues.long || queues.dropping > 0) {
                self.report_back(&mut queues, len);
            }
            drop(queues);
            // Woken after the lock is let go of: the woken sender takes it
            // at once, to queue its message.
            if let Some(room) = &self.room
                && room.waiting.load(Ordering::Acquire) > 0
            {
                room.notify.notify_one();
            }
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

    #[cold]
    fn report_long(&self, len: usize) {
        if LONG.allow(|more| tracing::warn!(more, "more long message queues in the last second")) {
            tracing::warn!(
                server = E::SERVER,
                id = %self.id,
                len,
                high = self.config.high,
                "long message queue"
            );
        }
    }

    #[cold]
    fn report_back(&self, queues: &mut Queues<E>, len: usize) {
        if queues.long {
            queues.long = false;
            if BACK.allow(|more| {
                tracing::info!(
                    more,
                    "more message queues back to normal in the last second"
                );
            }) {
                tracing::info!(
                    server = E::SERVER,
                    id = %self.id,
                    len,
                    low = self.config.low,
                    "message queue back to normal"
                );
            }
        }
        if queues.dropping > 0 {
            if OVER
                .allow(|more| tracing::info!(more, "more mailbox bursts over in the last second"))
            {
                tracing::info!(
                    server = E::SERVER,
                    id = %self.id,
                    dropped = queues.dropping,
                    "mailbox burst over"
                );
            }
            queues.dropping = 0;
        }
    }

    /// The next message a suspended server takes (a system request or a
    /// stop, priority lane first), leaving the others queued in order;
    /// `None` once closed. Scans the queue: suspension is rare.
    pub(crate) fn poll_recv_suspended(&self, cx: &mut TaskContext<'_>) -> Poll<Option<E>> {
        let mut queues = self.lock();
        let queues = &mut *queues;
        for lane in [&mut queues.priority, &mut queues.user] {
            if let Some(at) = lane.iter().position(Evict::suspended_may_take) {
                return Poll::Ready(lane.remove(at));
            }
        }
        if queues.closed {
            return Poll::Ready(None);
        }
        queues.waker = Some(cx.waker().clone());
        queues.parked = true;
        Poll::Pending
    }

    /// Waits for the next message a suspended server takes.
    pub(crate) async fn recv_suspended(&self) -> Option<E> {
        poll_fn(|cx| self.poll_recv_suspended(cx)).await
    }

    /// `true` while the server waits for a message.
    pub(crate) fn receiver_waiting(&self) -> bool {
        self.lock().parked
    }

    /// Waits for the next message (see [`poll_recv`](Self::poll_recv)).
    pub(crate) async fn recv(&self) -> Option<E> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Closes the mailbox: later sends are refused, waiting senders are
    /// woken. Returns what was queued, to be dropped outside the lock.
    pub(crate) fn close(&self) -> Drained<E> {
        let drained = {
            let mut queues = self.lock();
            queues.closed = true;
            queues.waker = None;
            Drained {
                priority: std::mem::take(&mut queues.priority),
                user: std::mem::take(&mut queues.user),
            }
        };
        if let Some(room) = &self.room {
            room.notify.notify_waiters();
        }
        drained
    }

    /// How many messages wait, in both lanes.
    pub(crate) fn len(&self) -> usize {
        let queues = self.lock();
        queues.priority.len() + queues.user.len()
    }

    /// The most user messages that were queued at once.
    pub(crate) fn high_water(&self) -> usize {
        self.lock().high_water
    }

    /// How many messages the overflow policy dropped.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    impl Evict for u64 {
        fn evictable(&self) -> bool {
            true
        }
    }

    #[tokio::test]
    async fn priority_overtakes_user_messages_and_keeps_its_own_order() {
        let mailbox = Queue::new(Mailbox::unbounded(), ServerId::next());
        for i in 0..3u64 {
            mailbox.send(i, Lane::User).unwrap();
        }
        mailbox.send(10u64, Lane::Priority).unwrap();
        mailbox.send(11, Lane::Priority).unwrap();
        let mut got = Vec::new();
        for _ in 0..5 {
            got.push(mailbox.recv().await.unwrap());
        }
        assert_eq!(got, [10, 11, 0, 1, 2]);
    }

    #[tokio::test]
    async fn a_sender_dropped_while_it_waits_for_room_is_counted_out() {
        let mailbox = Queue::new(Mailbox::bounded(1), ServerId::next());
        assert!(mailbox.try_send(1u64, Lane::User).is_ok());
        let room = mailbox.room.as_ref().expect("bounded");
        {
            let waiting = mailbox.send_wait(2, None);
            tokio::pin!(waiting);
            let polled = std::future::poll_fn(|cx| Poll::Ready(waiting.as_mut().poll(cx))).await;
            assert!(polled.is_pending(), "the mailbox is full");
            assert_eq!(room.waiting.load(Ordering::Acquire), 1);
        }
        // Dropped mid-wait: a receiver no longer wakes it for nothing.
        assert_eq!(room.waiting.load(Ordering::Acquire), 0);
        assert_eq!(mailbox.recv().await, Some(1));
        assert!(mailbox.send_wait(3, None).await.is_ok());
        assert_eq!(room.waiting.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn a_closed_mailbox_refuses_and_hands_back_what_was_queued() {
        let mailbox = Queue::new(Mailbox::unbounded(), ServerId::next());
        mailbox.send(1u64, Lane::User).unwrap();
        mailbox.send(2, Lane::Priority).unwrap();
        let drained = mailbox.close();
        assert_eq!(drained.priority, [2]);
        assert_eq!(drained.user, [1]);
        assert!(matches!(mailbox.send(3, Lane::User), Err(3)));
        assert_eq!(mailbox.recv().await, None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_parked_receiver_is_woken_by_a_sender_on_another_thread() {
        let mailbox = Arc::new(Queue::new(Mailbox::unbounded(), ServerId::next()));
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
