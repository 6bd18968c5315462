//! The node's one ordered way out: every request and cast is queued here
//! and published by one task, in queue order. A cast followed by a call
//! from the same client reaches the server in that order.
//!
//! A reply needs no order with anything else the node sends: it goes
//! straight to the NATS client when the client takes it without waiting
//! ([`Outbox::send_unordered`]), which spares it a hand-off.
//!
//! # A bound for casts
//!
//! While the NATS client cannot keep up (a slow or silent connection), the
//! queue grows. Calls cannot flood it (each waits for its reply, within
//! its timeout), casts can: a cast that would take the bytes held past
//! the node's limit ([`NodeOptions::max_queued_bytes`], 64 MiB) is
//! dropped, as a cast to a server that cannot be reached is, counted
//! ([`Node::dropped`]) and logged at 1, 2, 4, 8, … drops.
//!
//! The bytes held are those queued here and those handed to the NATS
//! client but not known to be written: the client takes up to 2 048
//! messages of any size before it makes a sender wait. So the publishing
//! task flushes the client once a quarter of the limit was handed to it
//! since the last flush, and counts those bytes until the flush returns
//! (the client has written them); a stalled connection stalls the flush,
//! and the casts behind it find the node full.
//!
//! [`NodeOptions::max_queued_bytes`]: crate::NodeOptions::max_queued_bytes
//! [`Node::dropped`]: crate::Node::dropped

use genserver_core::sys::{self, DeadLetterReason};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use async_nats::{Client, Subject};
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio::task::coop::unconstrained;

/// A message to publish.
pub(crate) struct Outgoing {
    pub(crate) subject: Subject,
    /// Where its answer goes: a call's inbox.
    pub(crate) reply: Option<Subject>,
    pub(crate) payload: Bytes,
}

/// What the publishing task takes: a message, or a flush.
enum Item {
    Out(Outgoing),
    /// Answered once everything queued before is written to the socket.
    Flush(oneshot::Sender<()>),
}

/// The queue in front of the publishing task. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Outbox {
    tx: mpsc::UnboundedSender<Item>,
    client: Arc<Client>,
    counts: Arc<Counts>,
}

/// What is queued, and what was refused.
struct Counts {
    /// The payload bytes queued and not yet handed to the client.
    queued: AtomicUsize,
    /// The payload bytes handed to the client since its last flush.
    unflushed: AtomicUsize,
    /// The most bytes a cast may find queued.
    limit: usize,
    /// The casts dropped since the start.
    dropped: AtomicU64,
}

/// The default bound on the bytes queued for casts to find room.
pub(crate) const DEFAULT_MAX_QUEUED_BYTES: usize = 64 * 1024 * 1024;

impl Outbox {
    /// Starts the task that publishes through `client`; it ends when every
    /// `Outbox` is dropped. Casts find room while fewer than `limit` bytes
    /// are queued.
    pub(crate) fn start(client: Client, limit: usize) -> Outbox {
        let (tx, mut rx) = mpsc::unbounded_channel::<Item>();
        let publisher = client.clone();
        let counts = Arc::new(Counts {
            queued: AtomicUsize::new(0),
            unflushed: AtomicUsize::new(0),
            limit,
            dropped: AtomicU64::new(0),
        });
        let queued = counts.clone();
        tokio::spawn(async move {
            let client = publisher;
            while let Some(item) = rx.recv().await {
                let out = match item {
                    Item::Out(out) => out,
                    Item::Flush(done) => {
                        flush(&client, &queued).await;
                        let _ = done.send(());
                        continue;
                    }
                };
                let subject = out.subject.clone();
                let size = out.payload.len();
                let sent = match out.reply {
                    Some(reply) => {
                        client
                            .publish_with_reply(out.subject, reply, out.payload)
                            .await
                    }
                    None => client.publish(out.subject, out.payload).await,
                };
                // Held by the client now, until a flush says it is written.
                queued.unflushed.fetch_add(size, Ordering::Relaxed);
                queued.queued.fetch_sub(size, Ordering::Relaxed);
                if let Err(error) = sent {
                    tracing::warn!(%subject, %error, "a message could not be published");
                }
                if queued.unflushed.load(Ordering::Relaxed) >= queued.limit / 4 {
                    flush(&client, &queued).await;
                }
            }
        });
        Outbox {
            tx,
            client: Arc::new(client),
            counts,
        }
    }

    /// Queues `out`; `false` once the node is closed.
    pub(crate) fn send(&self, out: Outgoing) -> bool {
        let size = out.payload.len();
        self.counts.queued.fetch_add(size, Ordering::Relaxed);
        match self.tx.send(Item::Out(out)) {
            Ok(()) => true,
            Err(_) => {
                self.counts.queued.fetch_sub(size, Ordering::Relaxed);
                false
            }
        }
    }

    /// Queues a cast if the bytes queued leave room for it; else drops it
    /// (see the module's docs). `false` when dropped.
    pub(crate) fn send_cast(&self, out: Outgoing) -> bool {
        let size = out.payload.len();
        let held = self.counts.queued.load(Ordering::Relaxed)
            + self.counts.unflushed.load(Ordering::Relaxed);
        if held.saturating_add(size) > self.counts.limit {
            self.dropped(&out.subject, "the node's outgoing queue is full");
            return false;
        }
        self.send(out)
    }

    /// Counts a dropped cast, here and as a dead letter of the program
    /// (reported on `genserver::dead_letters`, at most once a second).
    pub(crate) fn dropped(&self, subject: &Subject, why: &str) {
        self.counts.dropped.fetch_add(1, Ordering::Relaxed);
        let detail = format_args!("a cast to {subject}: {why}");
        sys::report_dead_letter(DeadLetterReason::Remote, None, Some(&detail), 1);
    }

    /// The payload bytes queued and not yet handed to the NATS client.
    pub(crate) fn queued_bytes(&self) -> usize {
        self.counts.queued.load(Ordering::Relaxed)
    }

    /// The casts dropped since the node started.
    pub(crate) fn dropped_casts(&self) -> u64 {
        self.counts.dropped.load(Ordering::Relaxed)
    }

    /// Waits until everything queued so far is published and written to
    /// the socket, or `limit`; whether it was.
    pub(crate) async fn flush(&self, limit: Duration) -> bool {
        let (done, flushed) = oneshot::channel();
        if self.tx.send(Item::Flush(done)).is_err() {
            return false;
        }
        matches!(tokio::time::timeout(limit, flushed).await, Ok(Ok(())))
    }

    /// Publishes `out`, a message that needs no order (a reply), from this
    /// task: on the NATS client's queue now if it has room (and outside
    /// tokio's cooperative budget, which would refuse it on a busy task),
    /// else from a task that waits for room. `held` is dropped once the
    /// message is on the client's queue.
    pub(crate) fn send_unordered(&self, out: Outgoing, held: impl Send + 'static) {
        let client = self.client.clone();
        let mut publish = Box::pin(unconstrained(async move {
            client.publish(out.subject, out.payload).await
        }));
        match publish
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(sent) => published(sent),
            Poll::Pending => {
                tokio::spawn(async move {
                    published(publish.await);
                    drop(held);
                });
            }
        }
    }
}

/// Waits until the client has written what it was handed, then stops
/// counting it.
async fn flush(client: &Client, counts: &Counts) {
    let handed = counts.unflushed.load(Ordering::Relaxed);
    if let Err(error) = client.flush().await {
        tracing::debug!(%error, "the outbox was not flushed");
    }
    // Only this task adds to it: what it handed before the flush is written.
    counts.unflushed.fetch_sub(handed, Ordering::Relaxed);
}

fn published(sent: Result<(), async_nats::PublishError>) {
    if let Err(error) = sent {
        tracing::warn!(%error, "a reply could not be published");
    }
}
