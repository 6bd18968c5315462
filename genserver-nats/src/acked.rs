//! Acknowledged casts: `try_x` and `x_wait` through a remote handle are
//! told by the serving node whether their cast was queued, so neither
//! reports `Ok` for a cast the remote mailbox dropped.
//!
//! ```text
//!  caller                                        serving node
//!  x_wait(..) ── AckedCast ──────────────────▶ queued at once, or waits for
//!     waits ◀── Ack { queued, room } ────────   room (the request's timeout)
//!  try_x(..)  ── AckedCast (if the window ──▶ the same
//!     returns     has room, else MailboxFull)
//!     at once ◀── Ack { queued, room } ──────   sets the window: room
//! ```
//!
//! # The window of `try_x`
//!
//! `try_x` cannot wait for the answer (it is not `async`), so a handle
//! keeps a window: at most as many acknowledged casts unanswered as the
//! serving node last said its mailbox had room for (one until it has said
//! anything). A cast beyond it is `Err(MailboxFull)` at once, and never
//! sent. One within it is sent, and the serving node queues it, waiting
//! for room if others filled the mailbox meanwhile, for at most the
//! handle's timeout: only a mailbox that stays full that long drops it,
//! counted there (`Server::dropped`-like, in [`Node::refusals`]'s log) and
//! closing the window.
//!
//! [`Node::refusals`]: crate::Node::refusals

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_nats::{Message, Subject};
use genserver_core::transport::{self, RemoteCall, RemoteTarget};
use genserver_core::{CallError, Codec, GenServer, RemoteServer};

use crate::codec::Postcard;
use crate::frame::{self, Ack};
use crate::node::Inner;
use crate::refusals::Kind;
use crate::role::Served;
use crate::serve::{Queued, send_reply};

/// The most acknowledged casts a handle leaves unanswered, whatever room
/// the serving node reports (an unbounded mailbox reports no limit).
pub(crate) const MAX_WINDOW: u64 = 1_024;

/// A handle's window of unanswered acknowledged casts.
pub(crate) struct Window {
    in_flight: AtomicU64,
    /// The room the serving node last reported; 1 until it did.
    room: AtomicU64,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            in_flight: AtomicU64::new(0),
            room: AtomicU64::new(1),
        }
    }
}

impl Window {
    /// Takes a place for one more cast; `false` when the window is full.
    pub(crate) fn admit(&self) -> bool {
        let room = self.room.load(Ordering::Acquire).clamp(1, MAX_WINDOW);
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |in_flight| {
                (in_flight < room).then_some(in_flight + 1)
            })
            .is_ok()
    }

    /// A cast it admitted was answered: `room` is what the serving node
    /// reported, if it did.
    pub(crate) fn settle(&self, room: Option<u64>) {
        if let Some(room) = room {
            self.room.store(room, Ordering::Release);
        }
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }

    /// The serving node said how much room there is (an `x_wait`'s answer).
    pub(crate) fn report(&self, room: u64) {
        self.room.store(room, Ordering::Release);
    }
}

/// A message the generated `__serve` built, caught instead of sent: the
/// serving side of an acknowledged cast queues it itself.
struct Capture<T: GenServer>(Mutex<Option<T::Message>>);

impl<T: GenServer> RemoteTarget<T> for Capture<T> {
    fn call(&self, _message: T::Message, _timeout: Duration) -> RemoteCall<'_> {
        Box::pin(std::future::ready(Err(CallError::NoProc)))
    }

    fn cast(&self, message: T::Message) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(message);
    }

    fn describe(&self) -> String {
        "an acknowledged cast".to_owned()
    }
}

/// The serving side: queues the cast `request` at the server now (so
/// requests keep their order), or waits for room for at most `timeout`;
/// the acknowledgement comes back to be awaited and published.
pub(crate) fn accept<T: RemoteServer>(
    node: &Arc<Inner>,
    served: &Served<T>,
    subject: &Subject,
    reply: Option<Subject>,
    request: T::Request,
    timeout: Duration,
) -> Option<Queued> {
    let capture = Arc::new(Capture::<T>(Mutex::new(None)));
    let caught = transport::remote::<T>(capture.clone());
    let handle = genserver_core::ClientHandle::__handle(&*caught);
    if T::__serve::<Postcard>(handle, request).is_some() {
        node.refusals.refuse(
            Kind::Request,
            format_args!("an acknowledged cast to {subject} carried a call"),
        );
        return None;
    }
    let message = capture
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()?;
    let Some(holder) = served.holder() else {
        // Nobody holds the name: dropped, as a cast to a dead server.
        let reply = reply?;
        send_reply(node, reply, Err(CallError::NoProc), node.closing.call());
        return None;
    };
    let local = holder.with_timeout(timeout);
    let room = move || {
        let capacity = local.mailbox().capacity().map_or(u64::MAX, |c| c as u64);
        capacity.saturating_sub(local.mailbox_len() as u64)
    };
    let queue = {
        let holder = holder.with_timeout(timeout);
        async move {
            genserver_core::ClientHandle::__handle(&*holder)
                .cast_wait(|_token| message)
                .await
        }
    };
    let mut queue = Box::pin(queue);
    // Polled once now: queued in order when there is room.
    let now = queue
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    let node_for_drop = node.clone();
    let subject = subject.clone();
    let answered = async move {
        let queued = match now {
            std::task::Poll::Ready(queued) => queued,
            std::task::Poll::Pending => queue.await,
        };
        if queued.is_err() {
            node_for_drop.refusals.refuse(
                Kind::Dropped,
                format_args!(
                    "an acknowledged cast to {subject} found the mailbox full for its whole timeout"
                ),
            );
        }
        let ack = Ack {
            queued: queued.is_ok(),
            room: room(),
        };
        Postcard::encode(&ack).map_err(CallError::Wire)
    };
    let Some(reply) = reply else {
        // A broadcast: nobody waits for the acknowledgement.
        tokio::spawn(answered);
        return None;
    };
    Some(Queued {
        reply,
        call: Box::pin(answered),
        in_flight: node.closing.call(),
    })
}

/// How an acknowledged cast ended, as its caller reads the answer.
pub(crate) fn read_ack(message: &Message) -> Result<Ack, CallError> {
    let value = frame::decode_reply(&message.payload)?;
    Postcard::decode::<Ack>(value).map_err(CallError::Wire)
}
