//! The node's inbox: one subscription for the replies to all its calls,
//! each call waiting under an id (the last token of its reply subject).
//!
//! A call is failed with `Exited(NoConnection)` by dropping its slot:
//! all of them when this node's connection is lost, those to the names a
//! dead node served when it dies (`liveness.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_nats::{Message, Subject};
use futures_util::StreamExt;
use tokio::sync::oneshot;

/// The calls waiting for a reply.
pub(crate) struct Inbox {
    /// `<inbox prefix>.`; a reply subject is this and an id.
    prefix: String,
    next: AtomicU64,
    waiting: Mutex<HashMap<u64, Call>>,
}

/// A call waiting: where it went, and its reply slot.
struct Call {
    to: Subject,
    reply: oneshot::Sender<Message>,
}

/// One call's wait; dropping it forgets the call, so a late reply is
/// dropped and never answers another call.
pub(crate) struct Waiting {
    id: u64,
    inbox: Arc<Inbox>,
    pub(crate) reply: Option<oneshot::Receiver<Message>>,
}

impl Inbox {
    pub(crate) fn new(prefix: String) -> Arc<Inbox> {
        Arc::new(Inbox {
            prefix: format!("{prefix}."),
            next: AtomicU64::new(1),
            waiting: Mutex::new(HashMap::new()),
        })
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
    /// closed.
    pub(crate) async fn run(self: Arc<Self>, mut subscriber: async_nats::Subscriber) {
        while let Some(message) = subscriber.next().await {
            let id = message
                .subject
                .as_str()
                .strip_prefix(&self.prefix)
                .and_then(|id| id.parse::<u64>().ok());
            let Some(id) = id else {
                tracing::debug!(subject = %message.subject, "a reply for no call");
                continue;
            };
            if let Some(call) = self.lock().remove(&id) {
                // The caller may have timed out just now: then it is dropped.
                let _ = call.reply.send(message);
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

    /// Fails the waiting calls sent to one of `subjects` with
    /// `Exited(NoConnection)`; returns how many.
    pub(crate) fn fail_sent_to(&self, subjects: &[Subject]) -> usize {
        let mut waiting = self.lock();
        let before = waiting.len();
        waiting.retain(|_, call| !subjects.contains(&call.to));
        before - waiting.len()
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
