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
//! Two counters, each a `watch` so that waiting for zero needs no lock:
//! the serving tasks still subscribed, and the served calls whose reply is
//! not yet queued.

use std::future::Future;
use std::time::Duration;

use async_nats::{Message, Subscriber};
use futures_util::StreamExt;
use tokio::sync::watch;
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
    serving: watch::Sender<usize>,
    /// The served calls whose reply is not yet queued in the outbox.
    calls: watch::Sender<usize>,
    /// The bound on waiting for them.
    pub(crate) timeout: Duration,
}

/// One counted thing (a serving task, a call in flight); dropping it
/// counts it out.
pub(crate) struct Counted(watch::Sender<usize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

fn count(counter: &watch::Sender<usize>) -> Counted {
    counter.send_modify(|n| *n += 1);
    Counted(counter.clone())
}

/// Waits until `counter` is zero, or `deadline`; whether it is zero.
async fn zero(counter: &watch::Sender<usize>, deadline: Instant) -> bool {
    let mut rx = counter.subscribe();
    tokio::time::timeout_at(deadline, rx.wait_for(|n| *n == 0))
        .await
        .is_ok_and(|seen| seen.is_ok())
}

impl Closing {
    pub(crate) fn new(timeout: Duration) -> Closing {
        Closing {
            stop: watch::Sender::new(false),
            serving: watch::Sender::new(0),
            calls: watch::Sender::new(0),
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
        *self.calls.borrow()
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
