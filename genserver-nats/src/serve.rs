//! Serving a local server under a name: requests arrive on its subject,
//! are checked and decoded, and go to the server through its handle in
//! the order they arrived; a call's reply goes back to the caller's inbox.

use std::sync::Arc;

use async_nats::Message;
use futures_util::StreamExt;
use genserver_core::{CallError, ClientHandle, RemoteServer, Server};

use crate::codec::Postcard;
use crate::frame;
use crate::node::Inner;
use crate::outbox::Outgoing;

/// Delivers the requests arriving on `subscriber` to `server` until it
/// exits or the connection closes; then stops serving its name. When the
/// node closes, it stops taking requests and delivers those already
/// routed here (see `closing.rs`).
pub(crate) async fn run<T: RemoteServer>(
    node: Arc<Inner>,
    server: Server<T>,
    mut subscriber: async_nats::Subscriber,
) {
    let _serving = node.closing.serving();
    let exited = server.exited();
    tokio::pin!(exited);
    let stopped = node.closing.stopped();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            biased;
            () = &mut exited => break,
            () = &mut stopped => {
                let limit = node.closing.timeout;
                crate::closing::drain(&mut subscriber, limit, |message| {
                    deliver(&node, &server, message);
                })
                .await;
                return;
            }
            message = subscriber.next() => match message {
                Some(message) => deliver(&node, &server, message),
                None => break,
            },
        }
    }
    if let Err(error) = subscriber.unsubscribe().await {
        tracing::debug!(server = T::NAME, %error, "unsubscribing after the server exited");
    }
}

/// One request: refused with a typed error when it is not for a `T` of
/// this version or does not decode; else queued at the server now, so
/// requests keep their order, and its reply awaited in a task (counted
/// until the reply is queued, for a closing node to wait for).
pub(crate) fn deliver<T: RemoteServer>(node: &Arc<Inner>, server: &Server<T>, message: Message) {
    let Message {
        subject,
        reply,
        payload,
        ..
    } = message;
    let (request, timeout) = match frame::decode_request::<T>(&payload) {
        Ok(decoded) => decoded,
        Err(error) => {
            tracing::warn!(server = T::NAME, %subject, %error, "a request was refused");
            if let Some(reply) = reply {
                let payload = frame::encode_reply(Err(CallError::Wire(error)), node.max_payload);
                node.outbox.send(Outgoing {
                    subject: reply,
                    reply: None,
                    payload: payload.into(),
                });
            }
            return;
        }
    };
    let local = server.with_timeout(timeout);
    let Some(call) = T::__serve::<Postcard>(ClientHandle::__handle(&*local), request) else {
        return; // a cast, queued
    };
    let Some(reply) = reply else {
        tracing::warn!(server = T::NAME, %subject, "a call without a reply subject: its reply is dropped");
        return;
    };
    let (outbox, max) = (node.outbox.clone(), node.max_payload);
    let in_flight = node.closing.call();
    tokio::spawn(async move {
        // Bounded by the caller's timeout, which the local call carries.
        let payload = frame::encode_reply(call.await, max);
        outbox.send(Outgoing {
            subject: reply,
            reply: None,
            payload: payload.into(),
        });
        drop(in_flight);
    });
}
