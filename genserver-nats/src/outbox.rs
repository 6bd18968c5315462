//! The node's one ordered way out: every request, cast and reply is
//! queued here and published by one task, in queue order. A cast followed
//! by a call from the same client reaches the server in that order.

use async_nats::{Client, Subject};
use bytes::Bytes;
use tokio::sync::mpsc;

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
}

impl Outbox {
    /// Starts the task that publishes through `client`; it ends when every
    /// `Outbox` is dropped.
    pub(crate) fn start(client: Client) -> Outbox {
        let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
        tokio::spawn(async move {
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
        Outbox { tx }
    }

    /// Queues `out`; `false` once the node is closed.
    pub(crate) fn send(&self, out: Outgoing) -> bool {
        self.tx.send(out).is_ok()
    }
}
