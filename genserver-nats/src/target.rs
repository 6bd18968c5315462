//! A server on another node, as a [`RemoteTarget`]: requests go out
//! through the node's outbox, replies come back through its inbox.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use async_nats::{StatusCode, Subject};
use genserver_core::{CallError, ExitReason, RemoteCall, RemoteServer, RemoteTarget, WireError};

use crate::codec::Postcard;
use crate::frame;
use crate::inbox::Answer;
use crate::node::Inner;
use crate::outbox::Outgoing;

/// The name `subject` on whichever node serves it.
pub(crate) struct NatsTarget<T> {
    pub(crate) subject: Subject,
    pub(crate) node: Arc<Inner>,
    pub(crate) server: PhantomData<fn() -> T>,
}

impl<T: RemoteServer> RemoteTarget<T> for NatsTarget<T> {
    fn call(&self, message: T::Message, timeout: Duration) -> RemoteCall<'_> {
        let (request, pending) = T::__to_wire::<Postcard>(message);
        Box::pin(async move {
            let payload = self.payload(&request, timeout)?;
            let (reply, mut waiting) = self.node.inbox.register(&self.subject);
            // After registering: a connection lost from here on fails the
            // call through the inbox.
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
        match self.payload(&request, Duration::ZERO) {
            Ok(payload) => {
                self.node.outbox.send_cast(Outgoing {
                    subject: self.subject.clone(),
                    reply: None,
                    payload: payload.into(),
                });
            }
            Err(error) => {
                let why = match error {
                    CallError::Wire(wire) => wire.to_string(),
                    other => other.to_string(),
                };
                self.node.outbox.dropped(&self.subject, &why);
            }
        }
    }

    fn describe(&self) -> String {
        self.subject.to_string()
    }
}

impl<T: RemoteServer> NatsTarget<T> {
    /// The request, framed; refused when larger than the server takes.
    fn payload(&self, request: &T::Request, timeout: Duration) -> Result<Vec<u8>, CallError> {
        let payload = frame::encode_request::<T>(request, timeout).map_err(CallError::Wire)?;
        let max = self.node.max_payload;
        if payload.len() > max {
            return Err(CallError::Wire(WireError::TooLarge {
                size: payload.len(),
                max,
            }));
        }
        Ok(payload)
    }
}
