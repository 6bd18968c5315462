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
use std::time::Duration;

use async_nats::{Client, Subject};
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio::task::coop::unconstrained;

/// A message to publish.
pub(crate) struct Outgoing {
    pub(crate) subject: Subject,
    /// Where its answer goes: a call's inbox.
    pub(crate) reply: Option<Subject>,
    pub(crate) payload: Bytes,
}

/// What the publishing task takes: a message, or a flush.
enum Item {
    Out(Outgoing),
    /// Answered once everything queued before is written to the socket.
    Flush(oneshot::Sender<()>),
}

/// The queue in front of the publishing task. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Outbox {
    tx: mpsc::UnboundedSender<Item>,
    client: Arc<Client>,
}

impl Outbox {
    /// Starts the task that publishes through `client`; it ends when every
    /// `Outbox` is dropped.
    pub(crate) fn start(client: Client) -> Outbox {
        let (tx, mut rx) = mpsc::unbounded_channel::<Item>();
        let publisher = client.clone();
        tokio::spawn(async move {
            let client = publisher;
            while let Some(item) = rx.recv().await {
                let out = match item {
                    Item::Out(out) => out,
                    Item::Flush(done) => {
                        if let Err(error) = client.flush().await {
                            tracing::debug!(%error, "the outbox was not flushed");
                        }
                        let _ = done.send(());
                        continue;
                    }
                };
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
        self.tx.send(Item::Out(out)).is_ok()
    }

    /// Waits until everything queued so far is published and written to
    /// the socket, or `limit`; whether it was.
    pub(crate) async fn flush(&self, limit: Duration) -> bool {
        let (done, flushed) = oneshot::channel();
        if self.tx.send(Item::Flush(done)).is_err() {
            return false;
        }
        matches!(tokio::time::timeout(limit, flushed).await, Ok(Ok(())))
    }

    /// Publishes `out`, a message that needs no order (a reply), from this
    /// task: on the NATS client's queue now if it has room (and outside
    /// tokio's cooperative budget, which would refuse it on a busy task),
    /// else from a task that waits for room. `held` is dropped once the
    /// message is on the client's queue.
    pub(crate) fn send_unordered(&self, out: Outgoing, held: impl Send + 'static) {
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
                tokio::spawn(async move {
                    published(publish.await);
                    drop(held);
                });
            }
        }
    }
}

fn published(sent: Result<(), async_nats::PublishError>) {
    if let Err(error) = sent {
        tracing::warn!(%error, "a reply could not be published");
    }
}
