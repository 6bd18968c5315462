//! The two ends of a call: [`ReplyTo`], the server's end, and the reply
//! future the caller awaits; and [`CastToken`], a cast's proof of origin.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::exit_reason::ExitReason;
use crate::server::dead_letters::{self, Addressee, DeadLetterReason};
use crate::server::deadline::{self, Membership};
use crate::server::error::CallError;
use crate::server::handle::CURRENT_SERVER;
use crate::server::process::Process;

/// A reply nobody waited for any more: a dead letter, the replying
/// server's when a server's task sent it.
#[cold]
fn late_reply() {
    let counted = CURRENT_SERVER.try_with(|current| {
        let counters = current.me.counters();
        dead_letters::record(
            DeadLetterReason::LateReply,
            Some(Addressee {
                type_name: current.me.type_name(),
                id: Some(current.id),
                counts: Some(&counters.dead_letters),
            }),
            Some(&counters.activity()),
            1,
        );
    });
    if counted.is_err() {
        dead_letters::record(DeadLetterReason::LateReply, None, None, 1);
    }
}

/// Where a call's reply goes (OTP's `from`).
///
/// A `#[call]` handler that takes a `ReplyTo<R>` and returns `()` replies
/// later: keep it in the state or hand it to a spawned task, and call
/// [`reply`](Self::reply) when the answer is ready (`GenServer.reply/2`).
/// The caller just awaits an `R`. Only the runtime creates one.
///
/// ```
/// use genserver_core::prelude::*;
/// use std::time::Duration;
///
/// pub struct Slow;
///
/// #[gen_server]
/// impl Slow {
///     /// Answers after `delay`, without holding the server meanwhile.
///     #[call]
///     pub fn double_later(&mut self, reply: ReplyTo<u64>, n: u64, delay: Duration) {
///         tokio::spawn(async move {
///             tokio::time::sleep(delay).await;
///             reply.reply(n * 2);
///         });
///     }
///
///     #[call]
///     pub fn ping(&self) -> &'static str {
///         "pong"
///     }
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = Slow::start(Slow).await?;
/// let (doubled, pong) = tokio::join!(
///     server.double_later(21, Duration::from_millis(50)),
///     server.ping(), // answered while the first call still waits
/// );
/// assert_eq!((doubled?, pong?), (42, "pong"));
/// # Ok(())
/// # }
/// ```
///
/// If it is dropped without a reply, the caller gets
/// [`CallError::Timeout`] when its timeout runs out, as in OTP; if the
/// server exits first, [`CallError::Exited`].
///
/// [`Context::reply_from_task`](crate::Context::reply_from_task) does the
/// spawning for you, as a task that dies with the server, and never leaves
/// the caller waiting for its timeout: if the task panics or is aborted,
/// the caller gets [`CallError::TaskFailed`] at once.
pub struct ReplyTo<R> {
    tx: oneshot::Sender<Result<R, ExitReason>>,
}

impl<R> ReplyTo<R> {
    pub(crate) fn new(tx: oneshot::Sender<Result<R, ExitReason>>) -> Self {
        ReplyTo { tx }
    }

    /// Sends the reply. A caller that has timed out or gone away is ignored
    /// (the reply is counted as a dead letter).
    pub fn reply(self, value: R) {
        if self.tx.send(Ok(value)).is_err() {
            late_reply();
        }
    }

    /// Fails the call: the caller gets [`CallError::TaskFailed`] with
    /// `reason` (the task answering it panicked or was aborted).
    pub(crate) fn fail(self, reason: ExitReason) {
        if self.tx.send(Err(reason)).is_err() {
            late_reply();
        }
    }

    /// `true` if the caller no longer waits (it timed out or was dropped).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl<R> fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTo")
            .field("closed", &self.tx.is_closed())
            .finish()
    }
}

/// Proof that a cast was sent through the client API. Only the runtime
/// creates one, so no message can be built by hand.
#[doc(hidden)]
pub struct CastToken(());

impl CastToken {
    pub(crate) fn new() -> Self {
        CastToken(())
    }
}

impl fmt::Debug for CastToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CastToken")
    }
}

/// Waits for a reply, the server's exit, or the timeout.
pub(crate) async fn wait<R>(
    rx: oneshot::Receiver<R>,
    process: &Process,
    timeout: Duration,
) -> Result<R, CallError> {
    let mut reply = Reply {
        rx,
        timeout,
        deadline: None,
        membership: None,
    };
    match (&mut reply).await {
        Ok(value) => Ok(value),
        Err(Failed::Timeout) => Err(CallError::Timeout),
        Err(Failed::Closed) => {
            // The reply slot was dropped: the server is exiting (or dropped
            // a deferred `ReplyTo`). Report why, within the time left.
            let left = reply.deadline().map_or(Duration::MAX, |d| {
                d.saturating_duration_since(Instant::now())
            });
            match process.exit_reason(left).await {
                Some(reason) => Err(CallError::Exited(reason)),
                None => Err(CallError::Timeout),
            }
        }
    }
}

enum Failed {
    Timeout,
    Closed,
}

/// Polls the reply slot first; joins a timeout group only if the reply is
/// not there yet (see `deadline.rs`).
struct Reply<R> {
    rx: oneshot::Receiver<R>,
    timeout: Duration,
    /// `None` until the first poll that found no reply; `Some(None)` when
    /// the timeout is too large to have a deadline.
    deadline: Option<Option<Instant>>,
    membership: Option<Membership>,
}

impl<R> Reply<R> {
    fn deadline(&mut self) -> Option<Instant> {
        let timeout = self.timeout;
        *self
            .deadline
            .get_or_insert_with(|| Instant::now().checked_add(timeout))
    }
}

impl<R> Future for &mut Reply<R> {
    type Output = Result<R, Failed>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut **self.get_mut();
        match Pin::new(&mut this.rx).poll(cx) {
            Poll::Ready(Ok(value)) => return Poll::Ready(Ok(value)),
            Poll::Ready(Err(_)) => return Poll::Ready(Err(Failed::Closed)),
            Poll::Pending => {}
        }
        match &this.membership {
            Some(membership) if membership.expired() => Poll::Ready(Err(Failed::Timeout)),
            Some(membership) => {
                membership.update(cx.waker());
                Poll::Pending
            }
            None => {
                if let Some(deadline) = this.deadline() {
                    let membership = deadline::join(deadline, this.timeout, cx.waker());
                    if membership.expired() {
                        return Poll::Ready(Err(Failed::Timeout));
                    }
                    this.membership = Some(membership);
                }
                Poll::Pending
            }
        }
    }
}
