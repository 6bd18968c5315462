//! What the nats-server refuses this node's user: NATS permissions.
//!
//! A publish or a subscription that the user's permissions do not allow
//! is not an error of the call that made it: the nats-server answers it
//! later, with `-ERR 'Permissions Violation for Publish to "<subject>"'`,
//! which async-nats hands to the connection's event callback. The node
//! installs that callback and listens:
//!
//! ```text
//!  -ERR Permissions Violation for Publish to "app.srv.counter"
//!     └─▶ the calls in flight to app.srv.counter fail at once with
//!         Wire(Denied("Permissions Violation for Publish to …"))
//!  -ERR Permissions Violation for Subscription to "_GS_INBOX.app.a.…"
//!     └─▶ kept for the confirmation waiting on it (Node::connect,
//!         Node::serve): a typed error instead of a silent timeout
//! ```
//!
//! Each violation is counted with the node's refusals and logged at most
//! once a second.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_nats::{Event, ServerError, Subject};
use tokio::sync::Notify;

use crate::inbox::{End, Inbox};
use crate::refusals::{Kind, Refuser};

/// How many subscription violations are kept for confirmations to find.
const KEPT: usize = 64;

/// What a violation was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    Publish,
    Subscribe,
}

/// One violation, as the nats-server said it.
#[derive(Clone, Debug)]
pub(crate) struct Violation {
    pub(crate) operation: Operation,
    pub(crate) subject: String,
    /// The server's words: `Permissions Violation for Publish to
    /// "app.srv.counter"`.
    pub(crate) text: Arc<str>,
}

/// The permission violations of one connection.
pub(crate) struct Permissions {
    inbox: Arc<Inbox>,
    refusals: Arc<Refuser>,
    /// The latest subscription violations, each with its number.
    recent: Mutex<VecDeque<(u64, Violation)>>,
    /// Violations seen so far.
    seen: AtomicU64,
    /// Woken at each violation.
    changed: Notify,
}

impl Permissions {
    pub(crate) fn new(inbox: Arc<Inbox>, refusals: Arc<Refuser>) -> Permissions {
        Permissions {
            inbox,
            refusals,
            recent: Mutex::new(VecDeque::new()),
            seen: AtomicU64::new(0),
            changed: Notify::new(),
        }
    }

    /// The connection's event callback: a violation acts here, the other
    /// events are logged at debug.
    pub(crate) fn event(&self, event: Event) {
        match &event {
            Event::ServerError(ServerError::Other(text)) => match parse(text) {
                Some(violation) => self.violated(violation),
                None => tracing::warn!(error = %text, "the nats-server reported an error"),
            },
            _ => tracing::debug!(%event, "a NATS connection event"),
        }
    }

    fn violated(&self, violation: Violation) {
        self.refusals.refuse(
            Kind::Permission,
            format_args!(
                "the nats-server refused this node's user: {}",
                violation.text
            ),
        );
        match violation.operation {
            Operation::Publish => {
                // The calls in flight there were refused too.
                let subject = Subject::from(violation.subject.as_str());
                self.inbox
                    .fail_sent_to(vec![subject], End::Denied(violation.text.clone()));
            }
            Operation::Subscribe => {}
        }
        let number = self.seen.fetch_add(1, Ordering::AcqRel) + 1;
        {
            let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
            if recent.len() == KEPT {
                recent.pop_front();
            }
            recent.push_back((number, violation));
        }
        self.changed.notify_waiters();
    }

    /// How many violations so far: a mark for [`since`](Self::since).
    pub(crate) fn mark(&self) -> u64 {
        self.seen.load(Ordering::Acquire)
    }

    /// The first violation after `mark` that `matches`.
    pub(crate) fn since(
        &self,
        mark: u64,
        matches: impl Fn(&Violation) -> bool,
    ) -> Option<Violation> {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent
            .iter()
            .find(|(number, violation)| *number > mark && matches(violation))
            .map(|(_, violation)| violation.clone())
    }

    /// Resolves at the next violation (from the moment it is enabled or
    /// first polled).
    pub(crate) fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }
}

/// `Permissions Violation for Publish to "a.b"`, `… for Subscription to
/// "a.*" using queue "q"`, as a [`Violation`].
pub(crate) fn parse(text: &str) -> Option<Violation> {
    let lower = text.to_ascii_lowercase();
    let rest = lower.strip_prefix("permissions violation for ")?;
    let operation = if rest.starts_with("publish") {
        Operation::Publish
    } else if rest.starts_with("subscription") {
        Operation::Subscribe
    } else {
        return None;
    };
    // The subject keeps its case: read it from the original text.
    let open = text.find('"')? + 1;
    let close = open + text[open..].find('"')?;
    Some(Violation {
        operation,
        subject: text[open..close].to_owned(),
        text: Arc::from(text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_are_read_from_the_server_s_words() {
        let publish =
            parse(r#"Permissions Violation for Publish to "t.srv.Counter""#).expect("a violation");
        assert_eq!(publish.operation, Operation::Publish);
        assert_eq!(publish.subject, "t.srv.Counter");
        assert_eq!(
            &*publish.text,
            r#"Permissions Violation for Publish to "t.srv.Counter""#
        );
        let subscribe = parse(
            r#"Permissions Violation for Subscription to "_GS_INBOX.t.a.1.*" using queue "genserver""#,
        )
        .expect("a violation");
        assert_eq!(subscribe.operation, Operation::Subscribe);
        assert_eq!(subscribe.subject, "_GS_INBOX.t.a.1.*");
        assert!(parse("Maximum Payload Violation").is_none());
        assert!(parse(r#"Permissions Violation for Publish to"#).is_none());
    }
}
