//! Scatter-gather: one request to every subscriber of a subject, their
//! replies collected until they stop coming.
//!
//! NATS answers a request nobody subscribes to with no-responders at once,
//! so an empty answer costs one round trip. Otherwise replies are taken
//! until none came for [`QUIET`], or `limit` passed.

use std::time::Duration;

use async_nats::{Message, StatusCode};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::time::Instant;

/// How long after the last reply gathering stops.
pub(crate) const QUIET: Duration = Duration::from_millis(50);

/// Publishes `payload` to `subject` and collects the replies.
pub(crate) async fn gather(
    client: &async_nats::Client,
    subject: String,
    payload: Bytes,
    limit: Duration,
) -> Result<Vec<Message>, async_nats::Error> {
    let inbox = client.new_inbox();
    let mut replies = client.subscribe(inbox.clone()).await?;
    client
        .publish_with_reply(subject, inbox, payload)
        .await
        .map_err(Box::new)?;
    let deadline = Instant::now() + limit;
    let mut gathered = Vec::new();
    loop {
        let wait = if gathered.is_empty() {
            deadline
        } else {
            (Instant::now() + QUIET).min(deadline)
        };
        match tokio::time::timeout_at(wait, replies.next()).await {
            Ok(Some(message)) if message.status == Some(StatusCode::NO_RESPONDERS) => break,
            Ok(Some(message)) => gathered.push(message),
            Ok(None) | Err(_) => break,
        }
    }
    let _ = replies.unsubscribe().await;
    Ok(gathered)
}

/// Why asking every node or member failed: [`Node::members`],
/// [`Node::multi_call`], [`Node::abcast`], [`Node::nodes_serving`].
///
/// [`Node::members`]: crate::Node::members
/// [`Node::multi_call`]: crate::Node::multi_call
/// [`Node::abcast`]: crate::Node::abcast
/// [`Node::nodes_serving`]: crate::Node::nodes_serving
#[derive(Debug)]
#[non_exhaustive]
pub enum GatherError {
    /// The name cannot be part of a subject.
    InvalidName(crate::InvalidName),
    /// The question could not be sent, or its answers received;
    /// [`NatsError::kind`](crate::NatsError::kind) says how.
    Nats(crate::NatsError),
}

impl std::fmt::Display for GatherError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GatherError::InvalidName(error) => error.fmt(f),
            GatherError::Nats(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for GatherError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Each variant only wraps: its error's cause is the next layer.
            GatherError::InvalidName(error) => error.source(),
            GatherError::Nats(error) => error.source(),
        }
    }
}

/// [`GatherError::Nats`]: the question or its answers.
pub(crate) fn asking(error: async_nats::Error) -> GatherError {
    GatherError::Nats(crate::NatsError::new("cannot ask the other nodes", error))
}
