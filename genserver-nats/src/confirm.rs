//! A round trip to the nats-server through the node's own inbox: once it
//! comes back, the nats-server has processed everything this node sent
//! before it, subscriptions included, and the inbox subscription works.
//!
//! ```text
//!  SUB … (just made)        the nats-server refuses one:
//!  PUB <inbox>.<id> ──▶ ──▶ -ERR Permissions Violation … ─▶ Denied, at once
//!  ◀── MSG <inbox>.<id>     else the message comes back: confirmed
//! ```
//!
//! The nats-server answers a refused subscription with an error, not a
//! failure of the subscription, so a confirmation also watches the
//! permission violations (`permissions.rs`): a subscription it confirms
//! that was refused, or a refused inbox, is [`Unconfirmed::Denied`], never
//! a silent timeout.

use std::fmt;
use std::time::Duration;

use async_nats::Subject;
use tokio::time::Instant;

use crate::inbox::Answer;
use crate::node::Inner;
use crate::permissions::{Operation, Violation};

/// How long a confirmation may take: the NATS client's own request
/// timeout.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the nats-server did not confirm what a node sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unconfirmed {
    /// The nats-server refused this node's user a subscription or a
    /// publish it needs: a permissions violation, in the server's words
    /// (`Permissions Violation for Subscription to "…"`). The crate's
    /// "Security" section lists what a node must be allowed.
    Denied(String),
    /// No answer within 10 s.
    Timeout,
    /// The connection closed.
    Closed,
}

impl fmt::Display for Unconfirmed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unconfirmed::Denied(why) => write!(f, "the nats-server refused: {why}"),
            Unconfirmed::Timeout => f.write_str("the nats-server did not answer within 10 s"),
            Unconfirmed::Closed => f.write_str("the connection to NATS closed"),
        }
    }
}

impl std::error::Error for Unconfirmed {}

impl Inner {
    /// A round trip to the NATS server: once it returns, the server has
    /// processed everything this node sent before, subscriptions included.
    /// (`flush` only writes the socket.)
    pub(crate) async fn confirm(&self) -> Result<(), Unconfirmed> {
        self.confirm_subscriptions(&[]).await
    }

    /// [`confirm`](Self::confirm), failing with the violation when the
    /// nats-server refused one of `subscribed` (subscriptions made just
    /// before), the inbox, or the round trip's publish.
    pub(crate) async fn confirm_subscriptions(
        &self,
        subscribed: &[&str],
    ) -> Result<(), Unconfirmed> {
        let mark = self.permissions.mark();
        let inbox = self.inbox.wildcard();
        let (reply, mut waiting) = self.inbox.register(&Subject::from(inbox.as_str()));
        let relevant = |violation: &Violation| match violation.operation {
            Operation::Subscribe => {
                violation.subject == inbox || subscribed.contains(&violation.subject.as_str())
            }
            Operation::Publish => violation.subject == reply.as_str(),
        };
        let denied = |violation: Violation| Unconfirmed::Denied(violation.text.to_string());
        // Straight on the client: after the subscriptions it was handed.
        if self
            .client
            .publish(reply.clone(), bytes::Bytes::new())
            .await
            .is_err()
        {
            return Err(Unconfirmed::Closed);
        }
        let Some(mut answer) = waiting.reply.take() else {
            return Err(Unconfirmed::Closed);
        };
        let deadline = Instant::now() + CONFIRM_TIMEOUT;
        loop {
            let changed = self.permissions.changed();
            tokio::pin!(changed);
            // Enabled before the check: a violation after it wakes us.
            changed.as_mut().enable();
            if let Some(violation) = self.permissions.since(mark, relevant) {
                return Err(denied(violation));
            }
            tokio::select! {
                biased;
                came = &mut answer => match came {
                    Ok(Answer::Reply(_)) => break,
                    Ok(Answer::Failed(_)) | Err(_) => return Err(Unconfirmed::Closed),
                },
                () = &mut changed => {}
                () = tokio::time::sleep_until(deadline) => return Err(Unconfirmed::Timeout),
            }
        }
        // The refusal of a subscription confirmed here came before the
        // round trip on the socket; the NATS client hands it to its event
        // task, which may not have run yet: give it its turn.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        match self.permissions.since(mark, relevant) {
            Some(violation) => Err(denied(violation)),
            None => Ok(()),
        }
    }
}
