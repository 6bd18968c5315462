//! Holding a global name: one task per name serves its subject and
//! refreshes its lease, until the server exits, the name is unregistered,
//! the node closes, or the lease is lost.
//!
//! ```text
//!   every lease/3: update(name, holder, revision)  ── ok ──▶ revision'
//!                                                  ── wrong revision ──▶ Conflict
//!                                                     (unless the entry is this node's own:
//!                                                      a refresh whose answer was lost)
//!                                                  ── failed ──▶ again in 250 ms
//!                                                  ── failing for a lease ──▶ LeaseExpired
//!   requests on <prefix>.global.<name> ──▶ the server, in order
//! ```
//!
//! On the way out the subject is unsubscribed first, then the name is
//! released with a revision-checked delete, which leaves alone a name
//! another node has taken since. When the name is let go on purpose
//! (unregistered, or the node closes) the requests already routed here
//! still reach the server and are answered.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use genserver_core::RemoteServer;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::Registry;
use super::error::NameLost;
use crate::node::Inner;
use crate::role::Served;
use crate::serve;

/// How soon a failed refresh is tried again.
const RETRY: Duration = Duration::from_millis(250);
/// The longest a refresh is waited for before it is tried again.
const ATTEMPT: Duration = Duration::from_secs(2);

/// A name this node holds, as its task sees it.
pub(super) struct Lease {
    pub(super) name: String,
    pub(super) id: u64,
    pub(super) value: Bytes,
    pub(super) revision: u64,
    pub(super) lease: Duration,
    pub(super) stop: Arc<Notify>,
    pub(super) end: watch::Sender<Option<NameLost>>,
}

/// Serves and refreshes the name until it is lost; then says why.
pub(super) async fn hold<T: RemoteServer>(
    node: Arc<Inner>,
    registry: Arc<Registry>,
    mut lease: Lease,
    server: Served<T>,
    mut subscriber: async_nats::Subscriber,
) {
    let every = lease.lease / 3;
    let mut tick = tokio::time::interval_at(Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut refreshed = Instant::now();
    // Since when refreshes fail, if they do.
    let mut failing: Option<Instant> = None;
    let mut exited = server.ended();
    let why = loop {
        tokio::select! {
            biased;
            () = &mut exited => break NameLost::ServerExited,
            () = lease.stop.notified() => break registry.stop_reason(),
            _ = tick.tick() => {
                let sent = Instant::now();
                let attempt = every.min(ATTEMPT);
                let failed = match tokio::time::timeout(attempt, refresh(&registry, &mut lease)).await {
                    Ok(Ok(Ok(()))) => {
                        refreshed = sent;
                        if let Some(since) = failing.take() {
                            tracing::info!(name = %lease.name, after = ?since.elapsed(), "a global name's lease is refreshed again");
                        }
                        None
                    }
                    Ok(Ok(Err(_taken))) => break conflict(&registry, &lease.name).await,
                    Ok(Err(error)) => Some(error.to_string()),
                    Err(_) => Some(format!("no answer within {attempt:?}")),
                };
                if let Some(error) = failed {
                    // Once at WARN; then tried again soon (a leader
                    // election, a reconnection), quietly, until it lands.
                    if failing.is_none() {
                        failing = Some(Instant::now());
                        tracing::warn!(name = %lease.name, %error, "a global name's lease was not refreshed; trying again every {RETRY:?}");
                    } else {
                        tracing::debug!(name = %lease.name, %error, "a global name's lease was not refreshed");
                    }
                    tick.reset_after(RETRY.min(every));
                }
                if refreshed.elapsed() >= lease.lease {
                    break NameLost::LeaseExpired;
                }
            }
            message = subscriber.next() => match message {
                Some(message) => serve::deliver(&node, &server, message),
                None => break NameLost::NodeStopped,
            },
        }
    };
    // Whatever ended it, the requests already routed here get an answer
    // (from the server, or `NoProc` once it has exited), not their
    // caller's timeout.
    let limit = node.closing.timeout;
    crate::closing::drain(&mut subscriber, limit, |message| {
        serve::deliver(&node, &server, message);
    })
    .await;
    if !matches!(why, NameLost::Conflict { .. }) {
        let release = registry.table.release(&lease.name, lease.revision);
        match tokio::time::timeout(lease.lease, release).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::debug!(name = %lease.name, %error, "a global name was not released (taken over?)");
            }
            Err(_) => tracing::warn!(name = %lease.name, "releasing a global name timed out"),
        }
    }
    tracing::debug!(name = %lease.name, reason = %why, "a global name is no longer held");
    registry.forget(&lease.name, lease.id);
    lease.end.send_replace(Some(why));
}

/// Rewrites the name at the revision this node wrote last. Refused when
/// someone wrote it since; unless that someone is this very registration:
/// a refresh whose answer was lost (it timed out here, or the connection
/// dropped, and the nats-server applied it all the same) left this
/// node's own entry at a revision it did not see. Then the refresh is
/// made again at that revision.
async fn refresh(
    registry: &Registry,
    lease: &mut Lease,
) -> Result<Result<(), super::table::Taken>, async_nats::Error> {
    let table = &registry.table;
    let revision = match table
        .update(&lease.name, lease.value.clone(), lease.revision)
        .await?
    {
        Ok(revision) => revision,
        Err(taken) => match table.revision_of(&lease.name, &lease.value).await? {
            Some(own) => {
                tracing::debug!(name = %lease.name, own, "a lost refresh had landed: refreshing at its revision");
                match table.update(&lease.name, lease.value.clone(), own).await? {
                    Ok(revision) => revision,
                    Err(taken) => return Ok(Err(taken)),
                }
            }
            None => return Ok(Err(taken)),
        },
    };
    lease.revision = revision;
    Ok(Ok(()))
}

/// This node's refresh was refused: the name was taken over. Who by, if
/// the table says so in time.
async fn conflict(registry: &Registry, name: &str) -> NameLost {
    let lookup = tokio::time::timeout(Duration::from_secs(1), registry.table.lookup(name)).await;
    let node = match lookup {
        Ok(Ok(super::table::Lookup::Held { holder, .. })) => Some(holder.node),
        _ => None,
    };
    tracing::warn!(name, holder = ?node, "a global name was taken over by another node");
    NameLost::Conflict { node }
}
