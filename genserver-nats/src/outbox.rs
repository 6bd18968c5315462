//! The node's one ordered way out: every request and cast is queued here
//! and published by one task, in queue order. A cast followed by a call
//! from the same client reaches the server in that order.
//!
//! A reply needs no order with anything else the node sends: it goes
//! straight to the NATS client when the client takes it without waiting
//! ([`Outbox::send_unordered`]), which spares it a hand-off.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use async_nats::{Client, Subject};
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::coop::unconstrained;

/// A message to publish.
pub(crate) struct Outgoing {
    pub(crate) subject: Subject,
    /// Where its answer goes: a call's inbox.
    pub(crate) reply: Option<Subject>,
    pub(crate) payload: Bytes,
}

/// The queue in front of the publishing task. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Outbox {
    tx: mpsc::UnboundedSender<Outgoing>,
    client: Arc<Client>,
}

impl Outbox {
    /// Starts the task that publishes through `client`; it ends when every
    /// `Outbox` is dropped.
    pub(crate) fn start(client: Client) -> Outbox {
        let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
        let publisher = client.clone();
        tokio::spawn(async move {
            let client = publisher;
            while let Some(out) = rx.recv().await {
                let subject = out.subject.clone();
                let sent = match out.reply {
                    Some(reply) => {
                        client
                            .publish_with_reply(out.subject, reply, out.payload)
                            .await
                    }
                    None => client.publish(out.subject, out.payload).await,
                };
                if let Err(error) = sent {
                    tracing::warn!(%subject, %error, "a message could not be published");
                }
            }
        });
        Outbox {
            tx,
            client: Arc::new(client),
        }
    }

    /// Queues `out`; `false` once the node is closed.
    pub(crate) fn send(&self, out: Outgoing) -> bool {
        self.tx.send(out).is_ok()
    }

    /// Publishes `out`, a message that needs no order (a reply), from this
    /// task: on the NATS client's queue now if it has room (and outside
    /// tokio's cooperative budget, which would refuse it on a busy task),
    /// else from a task that waits for room.
    pub(crate) fn send_unordered(&self, out: Outgoing) {
        let client = self.client.clone();
        let mut publish = Box::pin(unconstrained(async move {
            client.publish(out.subject, out.payload).await
        }));
        match publish
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(sent) => published(sent),
            Poll::Pending => {
                tokio::spawn(async move { published(publish.await) });
            }
        }
    }
}

fn published(sent: Result<(), async_nats::PublishError>) {
    if let Err(error) = sent {
        tracing::warn!(%error, "a reply could not be published");
    }
}
