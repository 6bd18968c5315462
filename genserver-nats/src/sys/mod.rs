//! Each node's `sys` subject, `<prefix>.node.<node>.sys`: what runs on
//! that node, for a dashboard's Nodes view (genserver-dashboard's `nats`
//! feature) or any NATS client: its process table, its supervision trees
//! and one server's status, as JSON of the shapes the dashboard's own
//! endpoints serve.
//!
//! ```text
//!  request  {"get":"processes","sort":"mailbox","limit":100}  ─▶ app.node.b.sys
//!  reply    {"node":"b","total":..,"matched":..,"rows":[..],..}      (the dashboard's api/processes)
//!  request  {"get":"trees"}                                    ─▶ {"node":"b","trees":[..],"total":..}
//!  request  {"get":"status","id":"<0.12.0>"}                   ─▶ {"node":"b","status":{..},"statistics":{..}}
//!  anything else                                               ─▶ {"error":"..."} + header Nats-Service-Error
//! ```
//!
//! A request from the network is read with bounds: at most
//! [`MAX_REQUEST`] bytes, a limit of 1 to [`MAX_ROWS`] rows, texts of at
//! most [`MAX_FILTER`] bytes; anything else is answered with an error that
//! says what is wrong, never a panic. An answer larger than the
//! nats-server's max payload is an error answer too (ask for fewer rows).
//! A node answers one question at a time, the process table off its async
//! threads (one pass over the live servers and a partial sort), so a flood
//! of questions queues, and costs it no more than one look at a time.
//!
//! A status carries a server's state through `format_status`, which can
//! hold secrets: whoever may publish to `<prefix>.node.<node>.sys` reads
//! it. The permission template
//! ([`NodeOptions::permission_template`](crate::NodeOptions::permission_template))
//! lets the cluster's nodes ask each other (a cluster prefix is one trust
//! domain) and each node hear only its own subject.

mod answer;
mod request;

use std::fmt;
use std::sync::Weak;
use std::time::Duration;

use async_nats::HeaderMap;
use futures_util::StreamExt;

pub use request::{
    BadRequest, MAX_FILTER, MAX_REQUEST, MAX_ROWS, ProcessesRequest, SysOrder, SysRequest, SysSort,
};

use crate::error::{InvalidName, check_name};
use crate::node::{Inner, Node};

/// How long [`Node::sys`] waits for an answer.
pub const SYS_TIMEOUT: Duration = Duration::from_secs(5);

/// The header an error answer carries, as NATS micro services say it.
const ERROR_HEADER: &str = "Nats-Service-Error";

/// `<prefix>.node.<node>.sys`.
pub(crate) fn sys_subject(prefix: &str, node: &str) -> String {
    format!("{prefix}.node.{node}.sys")
}

/// Why [`Node::sys`] got no answer, or an error answer.
///
/// ```no_run
/// use genserver_nats::{Node, SysError, SysRequest};
///
/// # async fn run(node: Node) {
/// match node.sys("b", &SysRequest::Trees).await {
///     Ok(trees) => println!("{} trees on b", trees["total"]),
///     Err(SysError::NoNode(name)) => println!("{name} is not up"),
///     Err(other) => println!("cannot read b: {other}"),
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SysError {
    /// The node's name cannot be part of a subject.
    InvalidName(InvalidName),
    /// No node of that name listens (NATS said no responders).
    NoNode(String),
    /// No answer within [`SYS_TIMEOUT`].
    Timeout,
    /// The question could not be sent or its answer received: the NATS
    /// client's words.
    Nats(String),
    /// The node answered with an error: its words (a bad request, no such
    /// server, an answer too large).
    Refused(String),
    /// The answer is not JSON.
    Malformed(String),
}

impl fmt::Display for SysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SysError::InvalidName(error) => error.fmt(f),
            SysError::NoNode(node) => write!(f, "no node {node:?} answers its sys subject"),
            SysError::Timeout => write!(f, "no answer within {SYS_TIMEOUT:?}"),
            SysError::Nats(error) => write!(f, "cannot ask the node: {error}"),
            SysError::Refused(error) => write!(f, "the node answered: {error}"),
            SysError::Malformed(error) => write!(f, "the node's answer is not JSON: {error}"),
        }
    }
}

impl std::error::Error for SysError {}

impl Node {
    /// Asks the node `on` (this one too) through its `sys` subject, and
    /// returns its JSON answer; waits at most [`SYS_TIMEOUT`].
    ///
    /// ```no_run
    /// use genserver_nats::{Node, SysRequest, SysSort};
    ///
    /// # async fn run(node: Node) -> Result<(), Box<dyn std::error::Error>> {
    /// let top = node.sys("b", &SysRequest::processes(SysSort::Mailbox, 10)?).await?;
    /// for row in top["rows"].as_array().into_iter().flatten() {
    ///     println!("{} {} {}", row["id"], row["type_name"], row["mailbox"]["len"]);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// A [`SysError`]: the name cannot be a subject token, no such node,
    /// no answer in time, or the node's error answer.
    pub async fn sys(&self, on: &str, request: &SysRequest) -> Result<serde_json::Value, SysError> {
        check_name(on).map_err(SysError::InvalidName)?;
        let subject = sys_subject(&self.inner.prefix, on);
        let asked = self.inner.client.request(subject, request.to_json().into());
        let reply = match tokio::time::timeout(SYS_TIMEOUT, asked).await {
            Err(_) => return Err(SysError::Timeout),
            Ok(Err(error)) => {
                return Err(match error.kind() {
                    async_nats::RequestErrorKind::NoResponders => SysError::NoNode(on.to_owned()),
                    async_nats::RequestErrorKind::TimedOut => SysError::Timeout,
                    _ => SysError::Nats(error.to_string()),
                });
            }
            Ok(Ok(reply)) => reply,
        };
        let value: serde_json::Value = serde_json::from_slice(&reply.payload)
            .map_err(|error| SysError::Malformed(error.to_string()))?;
        match value.get("error").and_then(serde_json::Value::as_str) {
            Some(error) => Err(SysError::Refused(error.to_owned())),
            None => Ok(value),
        }
    }
}

/// Answers this node's `sys` subject until the node is dropped or its
/// connection closes, one question at a time. A question without a reply
/// subject, or naming one inside the cluster's own subjects, is dropped.
pub(crate) async fn run(node: Weak<Inner>, mut questions: async_nats::Subscriber) {
    while let Some(message) = questions.next().await {
        let Some(inner) = node.upgrade() else { break };
        let Some(reply) = message.reply else { continue };
        if !inner.may_reply_to(&reply) {
            tracing::debug!(%reply, "a sys question asked for its answer inside the cluster's own subjects");
            continue;
        }
        let answer = match SysRequest::from_json(&message.payload) {
            Ok(request) => answer::answer(&inner.name, request).await,
            Err(bad) => Err(bad.to_string()),
        };
        let answer = answer.and_then(|json| {
            if json.len() <= inner.max_payload {
                Ok(json)
            } else {
                Err(format!(
                    "the answer is {} bytes, more than the nats-server's max payload ({}): ask for fewer rows",
                    json.len(),
                    inner.max_payload
                ))
            }
        });
        // A lost answer is the asker's timeout, as for any NATS service.
        let _ = match answer {
            Ok(json) => inner.client.publish(reply, json.into()).await,
            Err(error) => {
                let mut headers = HeaderMap::new();
                // One line: a header value holds no control character.
                let line: String = error
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                headers.insert(ERROR_HEADER, line.as_str());
                let body = answer::error(&error);
                inner
                    .client
                    .publish_with_headers(reply, headers, body.into())
                    .await
            }
        };
    }
}
