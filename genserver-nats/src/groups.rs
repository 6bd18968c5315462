//! Process groups, OTP's `:pg`: servers on any node join a named group;
//! anyone lists its members or casts to all of them at once.
//!
//! ```text
//!  member (one task per join)          subscribes to
//!    <prefix>.pg.<group>.all           broadcast casts       ◀─ Node::broadcast
//!    <prefix>.pg.<group>.who           "who is a member?"    ◀─ Node::members (gathered)
//!    <prefix>.pg.<group>.m.<node>.<id> this member alone     ◀─ a member's Remote<T>
//! ```
//!
//! There is no membership table: the members are whoever answers now
//! (each subscription is the membership, as each `:pg` entry is a live
//! process). A member leaves on [`Membership::leave`], when its server
//! exits, and when its node closes; from then on it neither answers
//! [`Node::members`] nor gets broadcasts. Unlike `:pg`, whose
//! `get_members` reads a local replica, `members` asks the cluster: it
//! costs a round trip plus the gathering's quiet period (50 ms), and sees a
//! join at once.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::{Message, Subject};
use futures_util::StreamExt;
use genserver_core::transport::{self, RemoteAsk, RemoteCall, RemoteTarget};
use genserver_core::{CallError, Remote, RemoteServer, WireError};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};

use crate::error::{ServeError, check_name};
use crate::gather::{GatherError, gather};
use crate::node::{Inner, Node};
use crate::outbox::Outgoing;
use crate::role::{Servable, Served};
use crate::serve;
use crate::target::NatsTarget;

/// How long [`Node::members`] waits for the first answer at most.
const ASK: Duration = Duration::from_secs(2);

/// Tells memberships apart within one process.
static NEXT: AtomicU64 = AtomicU64::new(1);

/// A server's place in a group; see [`Node::join`]. Dropping it keeps the
/// membership, which lasts as long as the server.
pub struct Membership {
    group: String,
    stop: Arc<Notify>,
    end: watch::Receiver<bool>,
}

impl Membership {
    /// The group.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// Whether the server is still a member.
    pub fn is_member(&self) -> bool {
        !*self.end.borrow()
    }

    /// Leaves the group (OTP's `:pg.leave`); returns once other nodes no
    /// longer see the member.
    pub async fn leave(self) {
        self.stop.notify_one();
        let mut end = self.end.clone();
        let _ = end.wait_for(|left| *left).await;
    }
}

impl fmt::Debug for Membership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Membership")
            .field("group", &self.group)
            .field("member", &self.is_member())
            .finish()
    }
}

/// One member of a group, as [`Node::members`] found it.
#[non_exhaustive]
pub struct Member<T: RemoteServer> {
    /// The member's node.
    pub node: String,
    /// A handle to that member alone.
    pub remote: Remote<T>,
}

impl<T: RemoteServer> Clone for Member<T> {
    fn clone(&self) -> Self {
        Member {
            node: self.node.clone(),
            remote: self.remote.clone(),
        }
    }
}

impl<T: RemoteServer> fmt::Debug for Member<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Member")
            .field("node", &self.node)
            .field("remote", &self.remote)
            .finish()
    }
}

/// A member's answer to "who is a member?".
#[derive(Serialize, Deserialize)]
struct Answer {
    node: String,
    subject: String,
}

impl Node {
    /// Makes `server` a member of `group` (OTP's `:pg.join`), seen by every
    /// node of the cluster once this returns. A server may join several
    /// groups, and one group more than once (it is then listed, and gets
    /// each broadcast, once per join, as in `:pg`).
    ///
    /// A role ([`Named<T>`](genserver_core::Named), see [`Servable`]) stays
    /// a member across its server's restarts: while nobody holds the name,
    /// a cast to the member is dropped and a call gets `NoProc`.
    ///
    /// # Errors
    ///
    /// - [`ServeError::InvalidName`]: the group's name cannot be a subject
    ///   token.
    /// - [`ServeError::Subscribe`]: the connection closed meanwhile.
    /// - [`ServeError::Confirm`]`(`[`Unconfirmed::Denied`](crate::Unconfirmed::Denied)`)`:
    ///   the nats-server refused this node's user the group's subjects.
    pub async fn join<S: Servable>(
        &self,
        group: &str,
        server: &S,
    ) -> Result<Membership, ServeError> {
        check_name(group).map_err(ServeError::InvalidName)?;
        let served = server.served();
        let base = group_subject(&self.inner, group);
        let nonce = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let direct = format!(
            "{base}.m.{}.{:x}{:x}{:x}",
            self.inner.name,
            std::process::id(),
            nonce,
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let client = &self.inner.client;
        let subscribe = |subject: String| async move {
            client
                .subscribe(subject)
                .await
                .map_err(crate::error::serving)
        };
        let subjects = [format!("{base}.all"), format!("{base}.who"), direct.clone()];
        let all = subscribe(subjects[0].clone()).await?;
        let who = subscribe(subjects[1].clone()).await?;
        let alone = subscribe(subjects[2].clone()).await?;
        let subscribed: Vec<&str> = subjects.iter().map(String::as_str).collect();
        self.inner
            .confirm_subscriptions(&subscribed)
            .await
            .map_err(ServeError::Confirm)?;
        let answer = postcard::to_allocvec(&Answer {
            node: self.inner.name.clone(),
            subject: direct,
        })
        .unwrap_or_default();
        let stop = Arc::new(Notify::new());
        let (end_tx, end) = watch::channel(false);
        tokio::spawn(member(
            self.inner.clone(),
            served,
            [all, who, alone],
            answer.into(),
            stop.clone(),
            end_tx,
        ));
        Ok(Membership {
            group: group.to_owned(),
            stop,
            end,
        })
    }

    /// The members of `group` on every node, OTP's `:pg.get_members`: each
    /// a handle to that member alone. Members of another server type are
    /// listed too; calling them is a `Wire(WrongServer)` error.
    ///
    /// # Errors
    ///
    /// - [`GatherError::InvalidName`]: the group's name cannot be a subject token.
    /// - [`GatherError::Nats`]: the question could not be sent or its
    ///   answers received (the connection is closed:
    ///   [`NatsErrorKind::Disconnected`](crate::NatsErrorKind::Disconnected)).
    pub async fn members<T: RemoteServer>(
        &self,
        group: &str,
    ) -> Result<Vec<Member<T>>, GatherError> {
        check_name(group).map_err(GatherError::InvalidName)?;
        let base = group_subject(&self.inner, group);
        let replies = gather(
            &self.inner.client,
            format!("{base}.who"),
            bytes::Bytes::new(),
            ASK,
        )
        .await
        .map_err(crate::gather::asking)?;
        let members_prefix = format!("{base}.m.");
        Ok(replies
            .iter()
            .filter_map(|reply| postcard::from_bytes::<Answer>(&reply.payload).ok())
            // Only subjects of this group's members: never a forged one.
            .filter(|answer| answer.subject.starts_with(&members_prefix))
            .map(|answer| Member {
                node: answer.node,
                remote: transport::remote(Arc::new(NatsTarget::<T>::new(
                    Subject::from(answer.subject),
                    &self.inner,
                ))),
            })
            .collect())
    }

    /// A handle whose casts reach every member of `group` at once, on
    /// every node (`:pg` members plus a send to each): one message,
    /// delivered by NATS to each member. Calls through it are refused with
    /// `Wire(Malformed)`: call each of [`members`](Self::members) instead.
    /// No one mailbox answers for a group, so `try_x` and `x_wait` through
    /// it are `Err(MailboxFull)`, never sent (no `Ok` for a cast that may
    /// have been dropped), and `mailbox_len` is `Wire(Malformed)`.
    pub fn broadcast<T: RemoteServer>(&self, group: &str) -> Result<Remote<T>, crate::InvalidName> {
        check_name(group)?;
        let target = Broadcast(NatsTarget::<T>::new(
            Subject::from(format!("{}.all", group_subject(&self.inner, group))),
            &self.inner,
        ));
        Ok(transport::remote(Arc::new(target)))
    }
}

/// `<prefix>.pg.<group>`.
fn group_subject(node: &Inner, group: &str) -> String {
    format!("{}.pg.{group}", node.prefix)
}

/// One membership: delivers broadcasts and direct messages to the server,
/// answers "who", until the server exits, it leaves, or the node closes.
async fn member<T: RemoteServer>(
    node: Arc<Inner>,
    server: Served<T>,
    [mut all, mut who, mut alone]: [async_nats::Subscriber; 3],
    answer: bytes::Bytes,
    stop: Arc<Notify>,
    end: watch::Sender<bool>,
) {
    let serving = node.closing.serving();
    let mut exited = server.ended();
    let stopped = node.closing.stopped();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            biased;
            () = &mut exited => break,
            () = stop.notified() => break,
            () = &mut stopped => {
                // The node closes: what was already sent to the member
                // reaches its server.
                let _ = who.unsubscribe().await;
                let limit = node.closing.timeout;
                crate::closing::drain(&mut alone, limit, |message| {
                    serve::deliver(&node, &server, message);
                })
                .await;
                crate::closing::drain(&mut all, limit, |message| {
                    serve::deliver(&node, &server, Message { reply: None, ..message });
                })
                .await;
                break;
            }
            message = who.next() => match message {
                Some(Message { reply: Some(reply), .. }) if node.may_reply_to(&reply) => {
                    node.outbox.send(Outgoing { subject: reply, reply: None, payload: answer.clone() });
                }
                Some(message) => node.refusals.refuse(
                    crate::refusals::Kind::Request,
                    format_args!("a question on {} without a reply subject, or with one inside the cluster's own subjects", message.subject),
                ),
                None => break,
            },
            message = all.next() => match message {
                // A broadcast is a cast: any reply subject is ignored.
                Some(message) => serve::deliver(&node, &server, Message { reply: None, ..message }),
                None => break,
            },
            message = alone.next() => match message {
                Some(message) => serve::deliver(&node, &server, message),
                None => break,
            },
        }
    }
    for subscriber in [&mut who, &mut all, &mut alone] {
        let _ = subscriber.unsubscribe().await;
    }
    drop(serving);
    // Once the NATS server has the unsubscriptions, nobody sees the member.
    let _ = tokio::time::timeout(ASK, node.confirm()).await;
    end.send_replace(true);
}

/// A group's broadcast subject: casts only.
struct Broadcast<T>(NatsTarget<T>);

impl<T: RemoteServer> RemoteTarget<T> for Broadcast<T> {
    fn call(&self, _message: T::Message, _timeout: Duration) -> RemoteCall<'_> {
        Box::pin(async {
            Err(CallError::Wire(WireError::malformed(
                "a call cannot be broadcast to a group: call each member",
            )))
        })
    }

    fn cast(&self, message: T::Message) {
        self.0.cast(message);
    }

    fn describe(&self) -> String {
        self.0.describe()
    }

    fn mailbox_len(&self, _timeout: Duration) -> RemoteAsk<'_, usize> {
        Box::pin(std::future::ready(Err(CallError::Wire(
            WireError::malformed("a group has no one mailbox: ask each member"),
        ))))
    }
}
