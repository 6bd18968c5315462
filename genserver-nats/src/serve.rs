//! Serving a local server, or a role (`role.rs`), under a name: requests
//! arrive on its subject, are checked and decoded, and go to the server
//! through its handle in the order they arrived; a call's reply goes back
//! to the caller's inbox. An acknowledged cast (`try_x`, `x_wait`) is
//! answered once it is queued (`acked.rs`); a mailbox length question at
//! once.
//!
//! ```text
//!  subject ─▶ run: decode, queue at the server ─▶ server's task
//!                  ▲                                    │ reply
//!                  └── the calls it waits for ◀─────────┘
//!             run: encode, publish (replies need no order: straight to
//!                  the NATS client, see `Outbox::send_unordered`)
//! ```
//!
//! [`run`] awaits the replies of the calls it queued itself, so that the
//! replies that are ready together leave together (the NATS client then
//! writes them in one go); [`deliver`], for the subjects served elsewhere,
//! awaits each in a task. Every call is counted until its reply is
//! published, for a closing node to wait for (`closing.rs`).
//!
//! A served name's requests are counted for the services API
//! (`services/`): each request, each error (refused, or answered with an
//! error), and the time from its arrival to its reply.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use async_nats::{Message, Subject};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use genserver_core::__private::Throttle;
use genserver_core::{CallError, Codec, RemoteServer, WireError};

use crate::closing::Counted;
use crate::codec::Postcard;
use crate::frame::{self, Decoded};
use crate::node::Inner;
use crate::outbox::Outgoing;
use crate::refusals::Kind;
use crate::role::Served;
use crate::services::Endpoint;

/// Delivers the requests arriving on `subscriber` to `served` until it
/// ends (a server's exit; never for a role) or the connection closes;
/// then answers the calls still waiting (with how the server exited) and
/// stops serving its name. When the node closes, it stops taking
/// requests, delivers those already routed here and answers them (see
/// `closing.rs`).
///
/// `name`, for the subscription of a served name: the name this node's
/// heartbeat lists while it serves it. When the server exits, the name is
/// withdrawn once the calls taken here are answered, so a caller gets its
/// reply before it hears that nobody serves the name (which would end its
/// call with `NoProc`). A closing node lists it until it leaves.
pub(crate) async fn run<T: RemoteServer>(
    node: Arc<Inner>,
    server: Served<T>,
    mut subscriber: async_nats::Subscriber,
    name: Option<String>,
) {
    let serving = node.closing.serving();
    let endpoint = name.as_deref().map(|name| node.services.serving(name));
    let counted = endpoint.as_deref();
    let mut exited = server.ended();
    let stopped = node.closing.stopped();
    tokio::pin!(stopped);
    let mut waiting = FuturesUnordered::new();
    let mut connected = true;
    let mut closing = false;
    loop {
        tokio::select! {
            biased;
            () = &mut exited => break,
            () = &mut stopped => {
                closing = true;
                break;
            }
            Some((reply, outcome, held, arrived)) = waiting.next(), if !waiting.is_empty() => {
                finished(counted, arrived, &outcome);
                send_reply(&node, reply, outcome, held);
            }
            message = subscriber.next() => match message {
                Some(message) => {
                    let arrived = Instant::now();
                    if let Some(call) = take(&node, &server, message, counted, arrived) {
                        waiting.push(timed(call, arrived));
                    }
                }
                None => {
                    connected = false;
                    break;
                }
            },
        }
    }
    if connected {
        // The server exited or the node closes: no new request comes here,
        // and those already routed here are queued at the server (or, once
        // it has exited, answered `NoProc` at once) rather than left to
        // their caller's timeout.
        let limit = node.closing.timeout;
        // Held as `&mut`: a shared borrow would ask the calls to be `Sync`.
        let (taken, node, server) = (&mut waiting, &node, &server);
        crate::closing::drain(&mut subscriber, limit, move |message| {
            let arrived = Instant::now();
            if let Some(call) = take(node, server, message, counted, arrived) {
                taken.push(timed(call, arrived));
            }
        })
        .await;
    }
    // The subscription is let go of: a closing node may go on.
    drop(serving);
    // Each bounded by its caller's timeout, which the local call carries.
    while let Some((reply, outcome, held, arrived)) = waiting.next().await {
        finished(counted, arrived, &outcome);
        send_reply(&node, reply, outcome, held);
    }
    if let Some(endpoint) = &endpoint {
        endpoint.stop_serving();
    }
    if let Some(name) = name
        && !closing
    {
        // After the replies, on the same connection: they arrive first.
        node.liveness.not_serving(&name);
    }
}

/// A call's reply, with when its request arrived.
type Answered = (Subject, Result<Vec<u8>, CallError>, Counted, Instant);

/// A queued call's answer, once it has one, with when it arrived.
async fn timed(call: Queued, arrived: Instant) -> Answered {
    let (reply, outcome, held) = call.answered().await;
    (reply, outcome, held, arrived)
}

/// One request to a served name, [accepted](accept) and counted: a
/// call comes back, to be awaited.
fn take<T: RemoteServer>(
    node: &Arc<Inner>,
    server: &Served<T>,
    message: Message,
    counted: Option<&Endpoint>,
    arrived: Instant,
) -> Option<Queued> {
    let call = accept(node, server, message, counted);
    if call.is_none()
        && let Some(endpoint) = counted
    {
        endpoint.processed(arrived.elapsed());
    }
    call
}

/// Counts a call's time and outcome for the services API.
fn finished(counted: Option<&Endpoint>, arrived: Instant, outcome: &Result<Vec<u8>, CallError>) {
    if let Some(endpoint) = counted {
        endpoint.processed(arrived.elapsed());
        if let Err(error) = outcome {
            endpoint.error(error);
        }
    }
}

/// One request, its reply awaited in a task: see [`accept`].
pub(crate) fn deliver<T: RemoteServer>(node: &Arc<Inner>, server: &Served<T>, message: Message) {
    if let Some(call) = accept(node, server, message, None) {
        let node = node.clone();
        tokio::spawn(async move {
            let (reply, outcome, held) = call.answered().await;
            send_reply(&node, reply, outcome, held);
        });
    }
}

/// A call queued at the server (or an acknowledged cast waiting for room),
/// where its reply goes, and its place in the count of calls in flight.
pub(crate) struct Queued {
    pub(crate) reply: Subject,
    /// `T::__serve`'s: the encoded reply.
    pub(crate) call: Pin<Box<dyn Future<Output = Result<Vec<u8>, CallError>> + Send>>,
    pub(crate) in_flight: Counted,
}

impl Queued {
    /// The call's outcome, once it has one. A panic while answering (a
    /// reply's `Serialize` that panics) is answered as a wire error, and
    /// the serving task goes on.
    async fn answered(self) -> (Subject, Result<Vec<u8>, CallError>, Counted) {
        let outcome = match genserver_core::__private::catch_panic(self.call).await {
            Ok(outcome) => outcome,
            Err(why) => {
                // Logged at most once a second, then counted: a remote
                // caller may ask for such a reply again and again. (Rust's
                // own panic message is kept out by genserver's panic hook,
                // when the program installed it.)
                if PANICS.allow(more_panics) {
                    tracing::error!(reply = %self.reply, panic = %why, "answering a served call panicked (a reply's `Serialize`?)");
                }
                Err(CallError::Wire(WireError::malformed(
                    "the serving node panicked while answering the call",
                )))
            }
        };
        (self.reply, outcome, self.in_flight)
    }
}

/// The log lines of panics while answering: one a second, then a count.
static PANICS: Throttle = Throttle::new();

fn more_panics(more: u64) {
    tracing::error!(
        more,
        "more served calls panicked while answering in the last second"
    );
}

/// One request: refused with a typed error when it is not for a `T` of
/// this version or does not decode; else queued at the server now, so
/// requests keep their order. A call comes back, to be awaited.
fn accept<T: RemoteServer>(
    node: &Arc<Inner>,
    server: &Served<T>,
    message: Message,
    counted: Option<&Endpoint>,
) -> Option<Queued> {
    let Message {
        subject,
        reply,
        payload,
        ..
    } = message;
    if let Some(endpoint) = counted {
        endpoint.request();
    }
    if let Some(reply) = &reply
        && !node.may_reply_to(reply)
    {
        if let Some(endpoint) = counted {
            endpoint.error("refused: a reply subject inside the cluster's own subjects");
        }
        node.refusals.refuse(
            Kind::Request,
            format_args!("a request to {subject} asked for its reply on {reply}, inside the cluster's own subjects"),
        );
        return None;
    }
    let (request, timeout) = match frame::decode_request::<T>(&payload) {
        Ok(decoded) => decoded,
        Err(error) => {
            if let Some(endpoint) = counted {
                endpoint.error(&error);
            }
            node.refusals.refuse(
                Kind::Request,
                format_args!("a request to {subject} for a {}: {error}", T::NAME),
            );
            if let Some(reply) = reply {
                let in_flight = node.closing.call();
                send_reply(node, reply, Err(CallError::Wire(error)), in_flight);
            }
            return None;
        }
    };
    let request = match request {
        Decoded::Request(request) => request,
        Decoded::AckedCast(request) => {
            return crate::acked::accept(node, server, &subject, reply, request, timeout);
        }
        Decoded::MailboxLen => {
            let Some(reply) = reply else {
                node.refusals.refuse(
                    Kind::Request,
                    format_args!("a mailbox length question to {subject} without a reply subject"),
                );
                return None;
            };
            let len = server
                .holder()
                .map(|holder| holder.mailbox_len() as u64)
                .ok_or(CallError::NoProc);
            let encoded = len.and_then(|len| Postcard::encode(&len).map_err(CallError::Wire));
            send_reply(node, reply, encoded, node.closing.call());
            return None;
        }
    };
    let local = server.with_timeout(timeout);
    let Some(call) = T::__serve::<Postcard>(local.handle(), request) else {
        // A cast, queued; or dropped when nobody holds a role's name.
        if server.holder().is_none() {
            node.refusals.refuse(
                Kind::Dropped,
                format_args!("a cast to {subject}: nobody holds the name it serves"),
            );
        }
        return None;
    };
    let Some(reply) = reply else {
        if let Some(endpoint) = counted {
            endpoint.error("refused: a call without a reply subject");
        }
        node.refusals.refuse(
            Kind::Request,
            format_args!("a call to {subject} without a reply subject: its reply is dropped"),
        );
        return None;
    };
    Some(Queued {
        reply,
        call,
        in_flight: node.closing.call(),
    })
}

/// A call's outcome, encoded, to the caller's inbox; `in_flight` counts
/// it until it is on the NATS client's queue.
pub(crate) fn send_reply(
    node: &Inner,
    reply: Subject,
    outcome: Result<Vec<u8>, CallError>,
    in_flight: Counted,
) {
    let payload = frame::encode_reply(outcome, node.max_payload);
    node.outbox.send_unordered(
        Outgoing {
            subject: reply,
            reply: None,
            payload: payload.into(),
        },
        in_flight,
    );
}
