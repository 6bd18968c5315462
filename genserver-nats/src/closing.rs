//! A graceful close ([`Node::close`](crate::Node::close)): stop taking
//! requests, answer those already taken, then leave.
//!
//! ```text
//!  close ─ stop ──▶ every serving task: UNSUB (drain), hands on what was
//!    │              already routed here, ends          (serving → 0)
//!    ├─ confirm: a round trip; the nats-server routes nothing here now
//!    ├─ the served calls in flight reach their servers and reply (calls → 0)
//!    │      bounded by `close_timeout` (5 s), and each by its caller's timeout
//!    ├─ the outbox is flushed: every reply published
//!    └─ the `leaving` heartbeat, then the client drains
//! ```
//!
//! Two counters, each an atomic with a wake-up at zero, so that a served
//! call pays two atomic operations for them: the serving tasks still
//! subscribed, and the served calls whose reply is not yet queued.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_nats::{Message, Subscriber};
use futures_util::StreamExt;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// How long [`Node::close`](crate::Node::close) waits for the requests
/// already taken, unless [`NodeOptions::close_timeout`](crate::NodeOptions::close_timeout)
/// says otherwise: OTP's default shutdown time for a worker, and the
/// default call timeout.
pub(crate) const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// What a closing node waits for.
pub(crate) struct Closing {
    /// `true` once the node closes: serving tasks stop taking requests.
    stop: watch::Sender<bool>,
    /// The serving tasks still subscribed.
    serving: Arc<Counter>,
    /// The served calls whose reply is not yet queued.
    calls: Arc<Counter>,
    /// The bound on waiting for them.
    pub(crate) timeout: Duration,
}

/// A count that a closing node waits to see at zero: an atomic on the
/// way of every served call, and a wake-up only when it reaches zero.
#[derive(Default)]
struct Counter {
    count: AtomicUsize,
    zero: Notify,
}

/// One counted thing (a serving task, a call in flight); dropping it
/// counts it out.
pub(crate) struct Counted(Arc<Counter>);

impl Drop for Counted {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.zero.notify_waiters();
        }
    }
}

fn count(counter: &Arc<Counter>) -> Counted {
    counter.count.fetch_add(1, Ordering::AcqRel);
    Counted(counter.clone())
}

/// Waits until `counter` is zero, or `deadline`; whether it is zero.
async fn zero(counter: &Counter, deadline: Instant) -> bool {
    let until_zero = async {
        loop {
            let notified = counter.zero.notified();
            tokio::pin!(notified);
            // Registered before the check: a drop to zero after it wakes us.
            notified.as_mut().enable();
            if counter.count.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    };
    tokio::time::timeout_at(deadline, until_zero).await.is_ok()
}

impl Closing {
    pub(crate) fn new(timeout: Duration) -> Closing {
        Closing {
            stop: watch::Sender::new(false),
            serving: Arc::default(),
            calls: Arc::default(),
            timeout,
        }
    }

    /// Tells every serving task to stop taking requests; `false` if the
    /// node was already closing.
    pub(crate) fn stop(&self) -> bool {
        !self.stop.send_replace(true)
    }

    /// Resolves once the node closes (at once if it has).
    pub(crate) fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stop = self.stop.subscribe();
        async move {
            if stop.wait_for(|closing| *closing).await.is_err() {
                // The node is gone without closing: never.
                std::future::pending::<()>().await;
            }
        }
    }

    /// A serving task, counted until it has let go of its subscription.
    pub(crate) fn serving(&self) -> Counted {
        count(&self.serving)
    }

    /// A served call, counted until its reply is queued.
    pub(crate) fn call(&self) -> Counted {
        count(&self.calls)
    }

    /// Waits until no serving task is subscribed, or `deadline`.
    pub(crate) async fn not_serving(&self, deadline: Instant) -> bool {
        zero(&self.serving, deadline).await
    }

    /// Waits until every served call has its reply queued, or `deadline`.
    pub(crate) async fn answered(&self, deadline: Instant) -> bool {
        zero(&self.calls, deadline).await
    }

    /// The served calls still waiting for their reply.
    pub(crate) fn calls_in_flight(&self) -> usize {
        self.calls.count.load(Ordering::Acquire)
    }
}

/// Stops `subscriber` taking messages (an UNSUB to the nats-server) and
/// hands `each` those already routed here, until the client lets go of
/// it, or `limit`.
pub(crate) async fn drain(
    subscriber: &mut Subscriber,
    limit: Duration,
    mut each: impl FnMut(Message),
) {
    if let Err(error) = subscriber.drain().await {
        tracing::debug!(%error, "draining a subscription");
        return;
    }
    let rest = async {
        while let Some(message) = subscriber.next().await {
            each(message);
        }
    };
    if tokio::time::timeout(limit, rest).await.is_err() {
        tracing::debug!("a subscription was not drained in time");
    }
}
