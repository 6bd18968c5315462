//! A server on another node, as a [`RemoteTarget`]: requests go out
//! through the node's outbox, replies come back through its inbox.
//!
//! ```text
//!  call          ── Request ────▶ the reply, or a CallError
//!  cast          ── Request ────▶ nothing (fire-and-forget)
//!  try_cast      ── AckedCast ──▶ Ack, read by a task (the window: acked.rs)
//!  cast_wait     ── AckedCast ──▶ Ack, awaited
//!  mailbox_len   ── MailboxLen ─▶ a u64
//! ```

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use async_nats::{Message, StatusCode, Subject};
use genserver_core::transport::{RemoteAsk, RemoteCall, RemoteCast, RemoteTarget};
use genserver_core::{CallError, Codec, ExitReason, MailboxFull, RemoteServer, WireError};

use crate::acked::{Window, read_ack};
use crate::codec::Postcard;
use crate::frame::{self, Ask};
use crate::inbox::{Answer, Waiting};
use crate::node::Inner;
use crate::outbox::Outgoing;

/// The name `subject` on whichever node serves it.
pub(crate) struct NatsTarget<T> {
    pub(crate) subject: Subject,
    pub(crate) node: Arc<Inner>,
    /// The acknowledged casts of `try_x` not yet answered.
    window: Arc<Window>,
    server: PhantomData<fn() -> T>,
}

impl<T> NatsTarget<T> {
    pub(crate) fn new(subject: Subject, node: &Arc<Inner>) -> NatsTarget<T> {
        NatsTarget {
            subject,
            node: node.clone(),
            window: Arc::default(),
            server: PhantomData,
        }
    }
}

impl<T: RemoteServer> RemoteTarget<T> for NatsTarget<T> {
    fn call(&self, message: T::Message, timeout: Duration) -> RemoteCall<'_> {
        let (request, pending) = T::__to_wire::<Postcard>(message);
        Box::pin(async move {
            let payload = self.payload(Some(&request), Ask::Request, timeout)?;
            let message = self.request(payload, timeout).await?;
            let value = frame::decode_reply(&message.payload)?;
            match pending {
                Some(pending) => pending(value).map_err(CallError::Wire),
                None => Err(CallError::Wire(WireError::malformed("a reply to a cast"))),
            }
        })
    }

    fn cast(&self, message: T::Message) {
        let (request, _) = T::__to_wire::<Postcard>(message);
        // A cast to a node that cannot be reached is dropped, as one to a
        // dead server is; queued, it would only grow the outbox.
        if !self.node.liveness.connected() {
            self.node
                .outbox
                .dropped(&self.subject, "the connection to NATS is lost");
            return;
        }
        match self.payload(Some(&request), Ask::Request, Duration::ZERO) {
            Ok(payload) => {
                self.node.outbox.send_cast(Outgoing {
                    subject: self.subject.clone(),
                    reply: None,
                    payload: payload.into(),
                });
            }
            Err(error) => self.dropped(&error),
        }
    }

    /// Sent when the window has room (see `acked.rs`), and answered in a
    /// task; `MailboxFull` at once otherwise, and when the cast cannot be
    /// sent (no connection, too large).
    fn try_cast(&self, message: T::Message, timeout: Duration) -> Result<(), MailboxFull> {
        let (request, _) = T::__to_wire::<Postcard>(message);
        if !self.node.liveness.connected() || !self.window.admit() {
            return Err(MailboxFull);
        }
        let sent = self
            .payload(Some(&request), Ask::AckedCast, timeout)
            .and_then(|payload| self.send(payload));
        let waiting = match sent {
            Ok(waiting) => waiting,
            Err(error) => {
                self.window.settle(None);
                self.dropped(&error);
                return Err(MailboxFull);
            }
        };
        let window = self.window.clone();
        // The serving node answers within `timeout`; a little more for the
        // way back.
        let limit = timeout.saturating_add(self.node.liveness.timing.interval);
        self.node.runtime.spawn(async move {
            let answer = wait(waiting, limit).await;
            let room = match &answer {
                Ok(message) => read_ack(message).ok().map(|ack| ack.room),
                Err(_) => None,
            };
            window.settle(room);
        });
        Ok(())
    }

    fn cast_wait(&self, message: T::Message, timeout: Duration) -> RemoteCast<'_> {
        let (request, _) = T::__to_wire::<Postcard>(message);
        Box::pin(async move {
            let payload = self
                .payload(Some(&request), Ask::AckedCast, timeout)
                .map_err(|error| {
                    self.dropped(&error);
                    MailboxFull
                })?;
            match self.request(payload, timeout).await {
                Ok(message) => match read_ack(&message) {
                    Ok(ack) => {
                        self.window.report(ack.room);
                        if ack.queued { Ok(()) } else { Err(MailboxFull) }
                    }
                    // Nobody holds the name there: dropped, as a cast to a
                    // dead server is.
                    Err(CallError::NoProc) => Ok(()),
                    Err(_) => Err(MailboxFull),
                },
                Err(CallError::NoProc) => Ok(()),
                // Not known to be queued: no answer in time, no connection,
                // refused by the nats-server.
                Err(_) => Err(MailboxFull),
            }
        })
    }

    fn mailbox_len(&self, timeout: Duration) -> RemoteAsk<'_, usize> {
        Box::pin(async move {
            let payload = self.payload(None, Ask::MailboxLen, timeout)?;
            let message = self.request(payload, timeout).await?;
            let value = frame::decode_reply(&message.payload)?;
            let len = Postcard::decode::<u64>(value).map_err(CallError::Wire)?;
            Ok(usize::try_from(len).unwrap_or(usize::MAX))
        })
    }

    fn describe(&self) -> String {
        self.subject.to_string()
    }
}

impl<T: RemoteServer> NatsTarget<T> {
    /// The request, framed; refused when larger than the server takes.
    fn payload(
        &self,
        request: Option<&T::Request>,
        ask: Ask,
        timeout: Duration,
    ) -> Result<Vec<u8>, CallError> {
        let payload = frame::encode_request::<T>(request, ask, timeout).map_err(CallError::Wire)?;
        let max = self.node.max_payload;
        if payload.len() > max {
            return Err(CallError::Wire(WireError::TooLarge {
                size: payload.len(),
                max,
            }));
        }
        Ok(payload)
    }

    /// Sends a request and waits at most `timeout` for its answer.
    async fn request(&self, payload: Vec<u8>, timeout: Duration) -> Result<Message, CallError> {
        let waiting = self.send(payload)?;
        wait(waiting, timeout).await
    }

    /// Sends a request; its answer comes to the returned wait.
    fn send(&self, payload: Vec<u8>) -> Result<Waiting, CallError> {
        let (reply, waiting) = self.node.inbox.register(&self.subject);
        // After registering: a connection lost from here on fails the
        // request through the inbox.
        if !self.node.liveness.connected() {
            return Err(CallError::Exited(ExitReason::NoConnection));
        }
        let sent = self.node.outbox.send(Outgoing {
            subject: self.subject.clone(),
            reply: Some(reply),
            payload: payload.into(),
        });
        if !sent {
            return Err(CallError::Exited(ExitReason::NoConnection));
        }
        Ok(waiting)
    }

    /// A cast that could not be sent: counted and logged with the node's
    /// dropped casts.
    fn dropped(&self, error: &CallError) {
        let why = match error {
            CallError::Wire(wire) => wire.to_string(),
            other => other.to_string(),
        };
        self.node.outbox.dropped(&self.subject, &why);
    }
}

/// The answer to a request sent, within `timeout`: no responders is
/// `NoProc`.
async fn wait(mut waiting: Waiting, timeout: Duration) -> Result<Message, CallError> {
    let Some(rx) = waiting.reply.take() else {
        return Err(CallError::Exited(ExitReason::NoConnection));
    };
    let message = match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(Answer::Reply(message))) => message,
        Ok(Ok(Answer::Failed(error))) => return Err(error),
        Ok(Err(_)) => return Err(CallError::Exited(ExitReason::NoConnection)),
        Err(_) => return Err(CallError::Timeout),
    };
    if message.status == Some(StatusCode::NO_RESPONDERS) {
        return Err(CallError::NoProc);
    }
    Ok(message)
}
