//! Monitors and links across nodes: a local server watches a server that
//! another node serves under a name ([`Node::monitor`], [`Node::link`]),
//! and hears when it exits (with its reason) or when its node goes away
//! (with `NoConnection`). A link also goes the other way: when the local
//! server exits, the served one gets the exit signal.
//!
//! ```text
//!  watching node w                            serving node s
//!  monitor / link (name, watcher)
//!    ── request {kind, w, instance, id} ─▶ <prefix>.mon.<name> (one server of the name)
//!    ◀─ Watching {s, instance} / NoProc ──   remembers (w/instance, id)
//!                                            ... the server exits:
//!    ◀─ Down {id, reason} ────────────────   <prefix>.node.s.ctl.w.<instance>
//!  demonitor, unlink, a monitor's watcher exits:
//!    ── Forget {id} ──────────────────────▶ <prefix>.node.w.ctl.s.<instance>
//!  a link's watcher exits:
//!    ── LinkedExit {id, reason} ──────────▶ an exit signal for the served server
//!
//!  the other node is declared down (liveness.rs): NoConnection, both ways
//!  this node's connection is lost:               NoConnection, both ways
//! ```
//!
//! A control message's subject names the node that sends it
//! (`<prefix>.node.<from>.ctl.…`), so NATS permissions say who may speak
//! for a node, and a node acts on one only for a watch that is the
//! sender's: a `Down` for a watch of a server on its sender's node, a
//! `Forget` or `LinkedExit` for a watch its sender holds. Others are
//! refused and counted.
//!
//! `Down`s and exit signals go through the core's own delivery, as a
//! local monitor's and link's do, and only through the ends of the
//! monitors and links that the watching servers asked for
//! ([`MonitorEnd`], [`LinkEnd`]): each delivers once, to its own server.
//! The other server is named by a [`ServerId`](genserver_core::ServerId)
//! that names its node ([`ServerId::node`](genserver_core::ServerId::node)).
//!
//! [`Node::monitor`]: crate::Node::monitor
//! [`Node::link`]: crate::Node::link

mod entry;
mod link;
mod monitor;
mod served;

use entry::{End, Watch};

pub use link::RemoteLink;
use served::WatchedTable;
pub(crate) use served::serve;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError, Weak};

use async_nats::{RequestErrorKind, Subject};
use futures_util::StreamExt;
use genserver_core::{Codec, ExitReason};
use serde::{Deserialize, Serialize};

use crate::codec::Postcard;
use crate::error::check_name;
use crate::frame::Reason;
use crate::liveness::PeerId;
use crate::node::Inner;
use crate::outbox::Outgoing;
use crate::refusals::Kind as Refused;

/// The version of these messages; others are refused. Never 0 or 1 (see
/// the heartbeat's version).
const VERSION: u8 = 3;

/// What a watch is.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Kind {
    /// One way: the watcher gets `Down`.
    Monitor,
    /// Both ways: each side gets the other's exit signal.
    Link,
}

/// A monitor or link request, to a served name.
#[derive(Serialize, Deserialize)]
struct Request {
    version: u8,
    kind: Kind,
    /// The watching node's instance: its control subject's last token.
    watcher: String,
    /// The watching node's name.
    node: String,
    id: u64,
}

/// The serving node's answer.
#[derive(Serialize, Deserialize)]
enum Answer {
    /// The server is alive and watched; it runs on this node.
    Watching { node: String, instance: String },
    /// The server has already exited.
    NoProc,
}

/// A control message, with its version first.
#[derive(Deserialize)]
struct ControlMessage {
    version: u8,
    control: Control,
}

/// [`ControlMessage`] as it is sent.
#[derive(Serialize)]
struct ControlOut<'a> {
    version: u8,
    control: &'a Control,
}

/// Between two nodes' control subjects.
#[derive(Serialize, Deserialize)]
enum Control {
    /// The watched server exited.
    Down { id: u64, reason: Reason },
    /// The watcher no longer watches: demonitor, unlink, or a monitor's
    /// watcher exited.
    Forget { watcher: String, id: u64 },
    /// A link's watcher exited (or lost the other node): an exit signal
    /// for the served server.
    LinkedExit {
        watcher: String,
        id: u64,
        reason: Reason,
    },
}

/// The watches this node holds on others' servers, and those others hold
/// on the servers it serves.
#[derive(Default)]
pub(crate) struct Watches {
    /// By wire id: this node's monitors and links of remote servers.
    watching: Mutex<HashMap<u64, Watch>>,
    /// Remote watches of served servers.
    watched: Mutex<WatchedTable>,
}

impl Watches {
    /// Records a new watch of the server served as `name` under its wire
    /// id: the number of its `MonitorRef` (a link's too), unique in this
    /// program. The subject to ask for it on; `None` when this node has no
    /// connection, and the watch has fired with `NoConnection`.
    fn open(&self, inner: &Inner, id: u64, watch: Watch, name: &str) -> Option<Subject> {
        self.lock_watching().insert(id, watch);
        if inner.liveness.connected() {
            Some(watch_subject(inner, name))
        } else {
            self.fire(id, ExitReason::NoConnection);
            None
        }
    }

    /// Takes the watch `id` out, if it is a link (`link`) or a monitor.
    fn remove(&self, id: u64, link: bool) -> Option<Watch> {
        let mut watching = self.lock_watching();
        match watching.get(&id) {
            Some(watch) if watch.is_link() == link => watching.remove(&id),
            _ => None,
        }
    }

    fn lock_watching(&self) -> MutexGuard<'_, HashMap<u64, Watch>> {
        // The tables stay consistent whatever panicked while holding them.
        self.watching.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_watched(&self) -> MutexGuard<'_, WatchedTable> {
        self.watched.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Fires the watch `id`, if it is still there.
    fn fire(&self, id: u64, reason: ExitReason) {
        let watch = self.lock_watching().remove(&id);
        if let Some(watch) = watch {
            watch.fire(reason);
        }
    }

    /// Takes the watches `take` selects out of the table.
    fn take(&self, take: impl Fn(&Watch) -> bool) -> Vec<(u64, Watch)> {
        let mut watching = self.lock_watching();
        let ids: Vec<u64> = watching
            .iter()
            .filter(|(_, watch)| take(watch))
            .map(|(id, _)| *id)
            .collect();
        ids.into_iter()
            .filter_map(|id| watching.remove(&id).map(|watch| (id, watch)))
            .collect()
    }

    /// The node `peer` is down: the monitors and links of its servers
    /// fire with `NoConnection`, its monitors of this node's servers are
    /// forgotten, and its links to them are exit signals with
    /// `NoConnection`. How many fired here.
    pub(crate) fn node_down(&self, peer: &PeerId) -> usize {
        let lost = self
            .lock_watched()
            .take_if(|(watcher, _), _| watcher == peer);
        for (_, entry) in lost {
            entry.lost(ExitReason::NoConnection);
        }
        let fired = self.take(|watch| watch.node.as_ref() == Some(peer));
        let count = fired.len();
        for (_, watch) in fired {
            watch.fire(ExitReason::NoConnection);
        }
        count
    }

    /// This node's connection is lost: a `Down` or an exit may be lost
    /// with it, so every monitor and link fires with `NoConnection`, here
    /// and, once the connection is back, on the other side. How many.
    pub(crate) fn connection_lost(&self, inner: &Inner) -> usize {
        let lost = self.lock_watched().take_if(|_, entry| entry.link.is_some());
        for ((watcher, id), entry) in lost {
            entry.lost(ExitReason::NoConnection);
            let down = Control::Down {
                id,
                reason: Reason::NoConnection,
            };
            send_control(inner, &watcher, &down);
        }
        let fired = self.take(|_| true);
        let count = fired.len();
        for (id, watch) in fired {
            if let (true, Some(node)) = (watch.is_link(), watch.node.as_ref()) {
                let exit = Control::LinkedExit {
                    watcher: inner.liveness.me.instance.clone(),
                    id,
                    reason: Reason::NoConnection,
                };
                send_control(inner, node, &exit);
            }
            watch.fire(ExitReason::NoConnection);
        }
        count
    }

    /// Forgets the monitors whose watcher has exited, and tells their
    /// serving nodes. (A link's own task tells its exit.)
    pub(crate) fn sweep(&self, inner: &Inner) {
        let gone = self.take(|watch| !watch.is_link() && !watch.watcher().is_alive());
        for (id, watch) in gone {
            forget(inner, id, watch.node.as_ref());
        }
    }
}

/// Tells the serving node `node` that the watch `id` is gone.
fn forget(inner: &Inner, id: u64, node: Option<&PeerId>) {
    let Some(node) = node else { return };
    let message = Control::Forget {
        watcher: inner.liveness.me.instance.clone(),
        id,
    };
    send_control(inner, node, &message);
}

/// `<prefix>.mon.<name>`: where a name's server takes watch requests.
fn watch_subject(inner: &Inner, name: &str) -> Subject {
    Subject::from(format!("{}.mon.{name}", inner.prefix()))
}

/// `<prefix>.node.<from>.ctl.<to>.<instance>`: where `from` tells the
/// node `to` (its connection `instance`) of a `Down`, `Forget` or
/// `LinkedExit`.
fn control_subject(prefix: &str, from: &str, to: &PeerId) -> Subject {
    Subject::from(format!(
        "{prefix}.node.{from}.ctl.{}.{}",
        to.node, to.instance
    ))
}

/// `<prefix>.node.*.ctl.<me>.<instance>`: what this node hears, from any
/// node.
pub(crate) fn control_wildcard(prefix: &str, me: &PeerId) -> String {
    format!("{prefix}.node.*.ctl.{}.{}", me.node, me.instance)
}

fn send_control(inner: &Inner, to: &PeerId, message: &Control) {
    let message = ControlOut {
        version: VERSION,
        control: message,
    };
    match Postcard::encode(&message) {
        Ok(payload) => {
            inner.outbox.send(Outgoing {
                subject: control_subject(inner.prefix(), inner.name(), to),
                reply: None,
                payload: payload.into(),
            });
        }
        Err(error) => tracing::warn!(%error, "a monitor message could not be encoded"),
    }
}

/// Asks the node serving the name to watch its server, and records which
/// node that is; a name nobody serves is `NoProc`, no answer within
/// `down_after` is `NoConnection`. `false` when the watch fired.
async fn request(node: &Weak<Inner>, subject: Subject, id: u64, kind: Kind) -> bool {
    let Some(inner) = node.upgrade() else {
        return false;
    };
    let ask = Request {
        version: VERSION,
        kind,
        watcher: inner.liveness.me.instance.clone(),
        node: inner.name().to_owned(),
        id,
    };
    let Ok(payload) = Postcard::encode(&ask) else {
        inner.watches.fire(id, ExitReason::NoConnection);
        return false;
    };
    let limit = inner.liveness.timing.down_after;
    let asked = inner.client().request(subject, payload.into());
    let answer = match tokio::time::timeout(limit, asked).await {
        Ok(Ok(message)) => Postcard::decode::<Answer>(&message.payload),
        Ok(Err(error)) if error.kind() == RequestErrorKind::NoResponders => Ok(Answer::NoProc),
        Ok(Err(_)) | Err(_) => {
            inner.watches.fire(id, ExitReason::NoConnection);
            return false;
        }
    };
    match answer {
        Ok(Answer::Watching { node, instance })
            if check_name(&node).is_ok() && check_name(&instance).is_ok() =>
        {
            let peer = PeerId::new(node, instance);
            inner.liveness.heard_from(peer.clone());
            let mut watching = inner.watches.lock_watching();
            match watching.get_mut(&id) {
                Some(watch) => {
                    watch.locate(peer);
                    true
                }
                None => {
                    // Removed (demonitor, unlink) while the answer was on
                    // its way: the serving node forgets it too.
                    drop(watching);
                    forget(&inner, id, Some(&peer));
                    false
                }
            }
        }
        Ok(Answer::NoProc) => {
            inner.watches.fire(id, ExitReason::NoProc);
            false
        }
        Ok(Answer::Watching { node, .. }) => {
            inner.refusals.refuse(
                Refused::Reply,
                format_args!(
                    "a monitor answer named the node {node:?}, which cannot be a subject token"
                ),
            );
            inner.watches.fire(id, ExitReason::NoConnection);
            false
        }
        Err(error) => {
            inner.refusals.refuse(
                Refused::Reply,
                format_args!("a malformed monitor answer: {error}"),
            );
            inner.watches.fire(id, ExitReason::NoConnection);
            false
        }
    }
}

/// Hears `Down`, `Forget` and `LinkedExit` on this node's control subject
/// until the connection closes.
pub(crate) async fn run_control(node: Weak<Inner>, mut control: async_nats::Subscriber) {
    while let Some(message) = control.next().await {
        let Some(inner) = node.upgrade() else { break };
        // `<prefix>.node.<from>.ctl.<me>.<instance>`.
        let from = message
            .subject
            .as_str()
            .strip_prefix(inner.prefix())
            .and_then(|rest| rest.strip_prefix(".node."))
            .and_then(|rest| rest.split('.').next())
            .unwrap_or_default();
        if let Err(why) = heard_control(&inner, from, &message.payload) {
            inner.refusals.refuse(Refused::Control, why);
        }
    }
}

/// One control message from the node `from`; why it was refused.
fn heard_control(inner: &Inner, from: &str, payload: &[u8]) -> Result<(), String> {
    let message = Postcard::decode::<ControlMessage>(payload)
        .map_err(|error| format!("a malformed monitor or link message: {error}"))?;
    if message.version != VERSION {
        return Err(format!(
            "a monitor or link message of version {}",
            message.version
        ));
    }
    let watches = &inner.watches;
    match message.control {
        Control::Down { id, reason } => {
            // Only the node serving the watched server says it is down.
            let mut watching = watches.lock_watching();
            match watching.get(&id) {
                Some(watch) if watch.node.as_ref().is_some_and(|node| node.node == from) => {
                    let watch = watching.remove(&id);
                    drop(watching);
                    if let Some(watch) = watch {
                        watch.fire(reason.into());
                    }
                }
                Some(_) => {
                    return Err(format!(
                        "node {from:?} sent a Down for a watch of a server on another node"
                    ));
                }
                // Fired or removed meanwhile.
                None => {}
            }
        }
        Control::Forget { watcher, id } => {
            watches
                .lock_watched()
                .remove(&(PeerId::new(from, watcher), id));
        }
        Control::LinkedExit {
            watcher,
            id,
            reason,
        } => {
            let entry = watches
                .lock_watched()
                .remove(&(PeerId::new(from, watcher), id));
            if let Some(entry) = entry {
                entry.lost(reason.into());
            }
        }
    }
    Ok(())
}
