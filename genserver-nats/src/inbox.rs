//! The node's inbox: one subscription for the replies to all its calls,
//! each call waiting under an id (the last token of its reply subject).
//!
//! A call is failed with `Exited(NoConnection)` by dropping its slot:
//! all of them when this node's connection is lost, those to the names a
//! dead node served when it dies (`liveness.rs`). The latter goes through
//! the inbox's task, after the replies that had already arrived: a node
//! that closes publishes its last replies before it says it is leaving,
//! and those replies win. A call to a name that nobody serves any more (its
//! last server exited) is answered `NoProc` the same way: it may have
//! reached that server as it let go of the name, and would otherwise wait
//! out its timeout. A call whose request the nats-server refused (a
//! permissions violation, `permissions.rs`) fails the same way, with the
//! violation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_nats::{Message, Subject};
use futures_util::StreamExt;
use genserver_core::{CallError, WireError};
use tokio::sync::{mpsc, oneshot};

use crate::refusals::{Kind, Refuser};

/// The calls waiting for a reply.
pub(crate) struct Inbox {
    /// `<inbox prefix>.`; a reply subject is this and an id.
    prefix: String,
    next: AtomicU64,
    waiting: Mutex<HashMap<u64, Call>>,
    /// To the inbox's task: fail the calls sent to these subjects.
    orphans: mpsc::UnboundedSender<Orphaned>,
    refusals: Arc<Refuser>,
}

/// What a waiting call gets: the reply, or why it failed without one.
pub(crate) enum Answer {
    Reply(Message),
    Failed(CallError),
}

/// The calls sent to `subjects` before the call `before` was made, and
/// how they end.
struct Orphaned {
    subjects: Vec<Subject>,
    before: u64,
    end: End,
}

/// How an orphaned call ends.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum End {
    /// Its node is gone: `Exited(NoConnection)`.
    NoConnection,
    /// Nobody serves its name any more: `NoProc`.
    NoProc,
    /// The nats-server refused its request: `Wire(Denied)`, with why.
    Denied(Arc<str>),
}

/// The inbox task's end of [`Inbox::fail_sent_to`].
pub(crate) struct Orphans(mpsc::UnboundedReceiver<Orphaned>);

/// A call waiting: where it went, and its reply slot.
struct Call {
    to: Subject,
    reply: oneshot::Sender<Answer>,
}

/// One call's wait; dropping it forgets the call, so a late reply is
/// dropped and never answers another call.
pub(crate) struct Waiting {
    id: u64,
    inbox: Arc<Inbox>,
    pub(crate) reply: Option<oneshot::Receiver<Answer>>,
}

impl Inbox {
    pub(crate) fn new(prefix: String, refusals: Arc<Refuser>) -> (Arc<Inbox>, Orphans) {
        let (orphans, rx) = mpsc::unbounded_channel();
        let inbox = Arc::new(Inbox {
            prefix: format!("{prefix}."),
            next: AtomicU64::new(1),
            waiting: Mutex::new(HashMap::new()),
            orphans,
            refusals,
        });
        (inbox, Orphans(rx))
    }

    /// The wildcard to subscribe to.
    pub(crate) fn wildcard(&self) -> String {
        format!("{}*", self.prefix)
    }

    /// A fresh reply subject and the wait for the reply to a call sent to
    /// `to`.
    pub(crate) fn register(self: &Arc<Self>, to: &Subject) -> (Subject, Waiting) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        let call = Call {
            to: to.clone(),
            reply: tx,
        };
        self.lock().insert(id, call);
        let subject = Subject::from(format!("{}{id}", self.prefix));
        let waiting = Waiting {
            id,
            inbox: self.clone(),
            reply: Some(rx),
        };
        (subject, waiting)
    }

    /// Hands the replies arriving on `subscriber` to their calls, until the
    /// connection closes; then every waiting call sees its reply slot
    /// closed. Fails the calls [`fail_sent_to`](Self::fail_sent_to) names
    /// once the replies received before are handed on.
    pub(crate) async fn run(
        self: Arc<Self>,
        mut subscriber: async_nats::Subscriber,
        Orphans(mut orphans): Orphans,
    ) {
        loop {
            let message = tokio::select! {
                // The replies the client has already received come first.
                biased;
                message = subscriber.next() => match message {
                    Some(message) => message,
                    None => break,
                },
                Some(orphaned) = orphans.recv() => {
                    let calls = self.fail_now(&orphaned);
                    if calls > 0 {
                        match &orphaned.end {
                            End::NoConnection => tracing::warn!(calls, "calls in flight to a node that is down end with NoConnection"),
                            End::NoProc => tracing::debug!(calls, "calls in flight to names nobody serves any more end with NoProc"),
                            End::Denied(_) => {}
                        }
                    }
                    continue;
                }
            };
            let id = message
                .subject
                .as_str()
                .strip_prefix(&self.prefix)
                .and_then(|id| id.parse::<u64>().ok());
            let Some(id) = id else {
                self.refusals.refuse(
                    Kind::Reply,
                    format_args!(
                        "a message on the inbox's {} is a reply to no call",
                        message.subject
                    ),
                );
                continue;
            };
            match self.lock().remove(&id) {
                Some(call) => {
                    // The caller may have timed out just now: then it is dropped.
                    let _ = call.reply.send(Answer::Reply(message));
                }
                None => self.refusals.refuse(
                    Kind::Reply,
                    "a reply to a call that no longer waits (it timed out, or the reply is forged)",
                ),
            }
        }
        self.fail_all();
    }

    /// Fails every waiting call with `Exited(NoConnection)`; returns how
    /// many.
    pub(crate) fn fail_all(&self) -> usize {
        let failed = std::mem::take(&mut *self.lock());
        failed.len()
    }

    /// Fails the calls waiting now that were sent to one of `subjects`
    /// as `end` says, in the inbox's task, after the replies already
    /// received. A call made from now on is not failed: it goes to whoever
    /// serves the name then, or is `NoProc`.
    pub(crate) fn fail_sent_to(&self, subjects: Vec<Subject>, end: End) {
        if subjects.is_empty() {
            return;
        }
        let orphaned = Orphaned {
            subjects,
            before: self.next.load(Ordering::Relaxed),
            end,
        };
        if let Err(mpsc::error::SendError(orphaned)) = self.orphans.send(orphaned) {
            // The inbox's task has ended: nothing can arrive any more.
            self.fail_now(&orphaned);
        }
    }

    /// Fails the waiting calls `orphaned` names now; how many.
    fn fail_now(&self, orphaned: &Orphaned) -> usize {
        let failed: Vec<Call> = {
            let mut waiting = self.lock();
            let ids: Vec<u64> = waiting
                .iter()
                .filter(|(id, call)| **id < orphaned.before && orphaned.subjects.contains(&call.to))
                .map(|(id, _)| *id)
                .collect();
            ids.iter().filter_map(|id| waiting.remove(id)).collect()
        };
        let count = failed.len();
        let error = match &orphaned.end {
            // Its slot dropped: `Exited(NoConnection)`.
            End::NoConnection => return count,
            End::NoProc => CallError::NoProc,
            End::Denied(why) => CallError::Wire(WireError::Denied(why.clone())),
        };
        for call in failed {
            let _ = call.reply.send(Answer::Failed(error.clone()));
        }
        count
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Call>> {
        // The map stays consistent whatever panicked while holding it.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.inbox.lock().remove(&self.id);
    }
}
