//! A name on every node: OTP's `{name, node}`, `multi_call` and `abcast`.
//!
//! ```text
//!  Node::serve(name) also subscribes to
//!    <prefix>.node.<node>.srv.<name>   this node's server alone ◀─ remote_on
//!    <prefix>.who.<name>               "who serves it?"        ◀─ nodes_serving (gathered)
//!  multi_call / abcast = nodes_serving, then remote_on each node
//! ```
//!
//! `<prefix>.srv.<name>` is a queue group: each request goes to one of the
//! nodes serving the name. These subjects reach a given node's server, or
//! all of them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_nats::{Message, Subject};
use futures_util::StreamExt;
use genserver_core::transport;
use genserver_core::{CallError, Remote, RemoteServer};

use crate::error::{InvalidName, ServeError, check_name};
use crate::gather::{GatherError, gather};
use crate::node::{Inner, Node};
use crate::outbox::Outgoing;
use crate::role::Served;
use crate::serve;
use crate::target::NatsTarget;

/// How long [`Node::nodes_serving`] waits for the first answer at most.
const ASK: Duration = Duration::from_secs(2);

/// The subscriptions of a served name on this node's own subject and of
/// "who serves it?", made by [`Node::serve`] before it confirms them.
pub(crate) struct OwnSubscriptions {
    own: async_nats::Subscriber,
    who: async_nats::Subscriber,
    /// Their subjects, for the confirmation.
    pub(crate) subjects: [String; 2],
}

/// Subscribes to `name` on this node's own subject and to "who serves
/// it?".
pub(crate) async fn subscribe(
    node: &Arc<Inner>,
    name: &str,
) -> Result<OwnSubscriptions, ServeError> {
    let client = &node.client;
    let own_subject = node_subject(node, &node.name, name);
    let own = client
        .queue_subscribe(own_subject.clone(), "genserver".to_owned())
        .await
        .map_err(crate::error::serving)?;
    let who_subject = who_subject(node, name);
    let who = client
        .subscribe(who_subject.clone())
        .await
        .map_err(crate::error::serving)?;
    Ok(OwnSubscriptions {
        own,
        who,
        subjects: [own_subject.to_string(), who_subject],
    })
}

impl OwnSubscriptions {
    /// Serves the name on this node's own subject and answers "who serves
    /// it?", until serving it ends.
    pub(crate) fn spawn<T: RemoteServer>(self, node: &Arc<Inner>, served: &Served<T>) {
        tokio::spawn(serve::run(node.clone(), served.clone(), self.own, None));
        tokio::spawn(answer_who(node.clone(), served.ended(), self.who));
    }
}

/// Answers "who serves it?" with this node's name until serving it ends
/// (`ended`).
async fn answer_who(
    node: Arc<Inner>,
    mut ended: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
    mut who: async_nats::Subscriber,
) {
    let _serving = node.closing.serving();
    // A closing node no longer says it serves the name.
    let stopped = node.closing.stopped();
    tokio::pin!(stopped);
    let name = bytes::Bytes::from(node.name.clone());
    loop {
        tokio::select! {
            biased;
            () = &mut ended => break,
            () = &mut stopped => break,
            message = who.next() => match message {
                Some(Message { reply: Some(reply), .. }) if node.may_reply_to(&reply) => {
                    node.outbox.send(Outgoing { subject: reply, reply: None, payload: name.clone() });
                }
                Some(message) => node.refusals.refuse(
                    crate::refusals::Kind::Request,
                    format_args!("a question on {} without a reply subject, or with one inside the cluster's own subjects", message.subject),
                ),
                None => break,
            },
        }
    }
    let _ = who.unsubscribe().await;
}

/// `<prefix>.node.<node>.srv.<name>`.
fn node_subject(node: &Inner, on: &str, name: &str) -> Subject {
    Subject::from(format!("{}.node.{on}.srv.{name}", node.prefix))
}

/// `<prefix>.who.<name>`.
fn who_subject(node: &Inner, name: &str) -> String {
    format!("{}.who.{name}", node.prefix)
}

impl Node {
    /// A handle to the `T` that the node `on` serves under `name`, OTP's
    /// `{name, node}`: that node's server, never another's.
    pub fn remote_on<T: RemoteServer>(
        &self,
        on: &str,
        name: &str,
    ) -> Result<Remote<T>, InvalidName> {
        check_name(on)?;
        check_name(name)?;
        let target = NatsTarget::<T>::new(node_subject(&self.inner, on, name), &self.inner);
        Ok(transport::remote(Arc::new(target)))
    }

    /// The nodes serving `name` now, each once, sorted (OTP's `nodes()`
    /// filtered by who has the name). Costs a round trip, plus 50 ms of
    /// quiet after the last answer.
    ///
    /// # Errors
    ///
    /// - [`GatherError::InvalidName`]: the name cannot be a subject token.
    /// - [`GatherError::Nats`]: the question could not be sent or its
    ///   answers received (the connection is closed:
    ///   [`NatsErrorKind::Disconnected`](crate::NatsErrorKind::Disconnected)).
    pub async fn nodes_serving(&self, name: &str) -> Result<Vec<String>, GatherError> {
        check_name(name).map_err(GatherError::InvalidName)?;
        let replies = gather(
            &self.inner.client,
            who_subject(&self.inner, name),
            bytes::Bytes::new(),
            ASK,
        )
        .await
        .map_err(crate::gather::asking)?;
        let mut nodes: Vec<String> = replies
            .iter()
            .filter_map(|reply| std::str::from_utf8(&reply.payload).ok())
            .filter(|node| check_name(node).is_ok())
            .map(str::to_owned)
            .collect();
        nodes.sort();
        nodes.dedup();
        Ok(nodes)
    }

    /// Calls `name` on every node serving it, OTP's
    /// `GenServer.multi_call/4`: `call` gets a handle to each node's
    /// server whose calls time out after `timeout`, and runs on all of
    /// them at once. Each node's outcome is in the result, sorted by node:
    /// a node that stopped serving meanwhile is `NoProc`, a silent one
    /// `Timeout` (OTP's bad nodes). Returns within the discovery (see
    /// [`nodes_serving`](Self::nodes_serving)) plus `timeout`, as long as
    /// `call` makes only calls through the handle.
    ///
    /// # Errors
    ///
    /// - [`GatherError::InvalidName`]: the name cannot be a subject token.
    /// - [`GatherError::Nats`]: the question could not be sent or its
    ///   answers received (the connection is closed:
    ///   [`NatsErrorKind::Disconnected`](crate::NatsErrorKind::Disconnected)).
    ///
    /// A node's own failure is not an error of `multi_call`: it is that
    /// node's `Err(CallError)` in the result.
    pub async fn multi_call<T, R, F, Fut>(
        &self,
        name: &str,
        timeout: Duration,
        call: F,
    ) -> Result<Vec<(String, Result<R, CallError>)>, GatherError>
    where
        T: RemoteServer,
        F: Fn(Remote<T>) -> Fut,
        Fut: Future<Output = Result<R, CallError>>,
    {
        let nodes = self.nodes_serving(name).await?;
        let calls = nodes.iter().map(|on| {
            let remote = self.remote_on::<T>(on, name);
            let call = &call;
            async move {
                match remote {
                    Ok(remote) => {
                        let bounded =
                            tokio::time::timeout(timeout, call(remote.with_timeout(timeout)));
                        bounded.await.unwrap_or(Err(CallError::Timeout))
                    }
                    Err(_) => Err(CallError::NoProc),
                }
            }
        });
        let outcomes = futures_util::future::join_all(calls).await;
        Ok(nodes.into_iter().zip(outcomes).collect())
    }

    /// Casts to `name` on every node serving it, OTP's
    /// `GenServer.abcast/3`: `cast` gets a handle to each node's server.
    /// Returns the nodes it was sent to.
    ///
    /// # Errors
    ///
    /// - [`GatherError::InvalidName`]: the name cannot be a subject token.
    /// - [`GatherError::Nats`]: the question could not be sent or its
    ///   answers received (the connection is closed:
    ///   [`NatsErrorKind::Disconnected`](crate::NatsErrorKind::Disconnected)).
    pub async fn abcast<T, F>(&self, name: &str, cast: F) -> Result<Vec<String>, GatherError>
    where
        T: RemoteServer,
        F: Fn(&Remote<T>),
    {
        let nodes = self.nodes_serving(name).await?;
        for on in &nodes {
            if let Ok(remote) = self.remote_on::<T>(on, name) {
                cast(&remote);
            }
        }
        Ok(nodes)
    }
}
