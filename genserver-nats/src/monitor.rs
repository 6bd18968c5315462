//! Monitors across nodes: a local server watches a server that another
//! node serves, and gets [`Info::Down`](genserver_core::Info::Down) when
//! it exits (with its reason) or when its node goes away (with
//! `NoConnection`).
//!
//! ```text
//!  watching node                              serving node
//!  monitor(name, watcher)
//!    ── request {watcher node, id} ─▶ <prefix>.mon.<name> (one server of the name)
//!    ◀─ Watching {node} / NoProc ───   remembers (watcher node, id)
//!                                      ... the server exits:
//!    ◀─ Down {id, reason} ──────────   <prefix>.ctl.<watcher node>
//!  demonitor, or the watcher exits:
//!    ── Demonitor {id} ─────────────▶ <prefix>.ctl.<serving node>
//!
//!  the serving node is declared down (liveness.rs): Down {NoConnection}
//!  this node's connection is lost:                  Down {NoConnection}
//! ```
//!
//! The `Down` goes through the core's own delivery, on the watcher's
//! priority lane, as a local monitor's does.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use async_nats::{Message, RequestErrorKind, Subject};
use futures_util::StreamExt;
use genserver_core::{AnyServer, Codec, ExitReason, MonitorRef, ServerId};
use serde::{Deserialize, Serialize};

use crate::codec::Postcard;
use crate::error::{InvalidName, check_name};
use crate::frame::Reason;
use crate::node::{Inner, Node};
use crate::outbox::Outgoing;

/// The version of the monitor messages; others are refused.
const VERSION: u8 = 1;

/// A monitor request, to a served name.
#[derive(Serialize, Deserialize)]
struct Request {
    version: u8,
    /// The watching node's instance: its control subject's last token.
    watcher: String,
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

/// Between two nodes' control subjects.
#[derive(Serialize, Deserialize)]
enum Control {
    /// The watched server exited.
    Down { id: u64, reason: Reason },
    /// The watcher no longer watches.
    Demonitor { watcher: String, id: u64 },
}

/// The monitors this node holds on others' servers, and those others
/// hold on the servers it serves.
#[derive(Default)]
pub(crate) struct Monitors {
    next: AtomicU64,
    /// By wire id: this node's monitors of remote servers.
    watching: Mutex<HashMap<u64, Watch>>,
    /// By (watcher instance, wire id): remote monitors of served servers.
    watched: Mutex<HashMap<(String, u64), ServerId>>,
}

/// A local server watching a remote one.
struct Watch {
    monitor: MonitorRef,
    /// The stand-in identity of the remote server, carried by `Down`.
    server: ServerId,
    watcher: AnyServer,
    /// The serving node's instance, once it answered.
    node: Option<String>,
}

impl Watch {
    fn fire(self, reason: ExitReason) {
        self.watcher
            .__deliver_down(self.monitor, self.server, reason);
    }
}

impl Node {
    /// Monitors the server that some node serves under `name` (OTP's
    /// `Process.monitor({name, node})`): `watcher` gets
    /// [`Info::Down`](genserver_core::Info::Down) with this monitor's
    /// reference once that server exits, with its exit reason, or once it
    /// cannot be reached, with [`ExitReason::NoConnection`]:
    ///
    /// | what happens | `Down`'s reason | when |
    /// |---|---|---|
    /// | the server exits (normally, a crash, a stop) | its exit reason | as soon as its node publishes it |
    /// | its node dies or is cut off | `NoConnection` | within `down_after` + 100 ms of its last heartbeat: 3.1 s by default ([`NodeOptions::down_after`](crate::NodeOptions::down_after)) |
    /// | its node closes | `NoConnection` | at once |
    /// | this node loses its connection to NATS | `NoConnection` | within 100 ms of the client noticing |
    /// | nobody serves `name`, or the server already exited | `NoProc` | at once |
    ///
    /// Call it from a handler with `ctx.server()` as the watcher. It does
    /// not wait: the request goes out in a task. When several servers
    /// share the name, one of them is watched. The `Down`'s `server` is a
    /// fresh [`ServerId`] standing for the remote server. The monitor ends
    /// when it fires, with [`demonitor`](Self::demonitor), or when the
    /// watcher exits. `Context::demonitor` does not know remote monitors.
    ///
    /// ```no_run
    /// # use genserver_core::prelude::*;
    /// # use genserver_nats::Node;
    /// pub struct Watcher {
    ///     node: Node,
    /// }
    ///
    /// #[gen_server]
    /// impl Watcher {
    ///     #[cast]
    ///     pub fn watch(&mut self, name: String, ctx: &mut Context<Self>) {
    ///         if let Err(error) = self.node.monitor(&name, ctx.server()) {
    ///             tracing::warn!(%error, "not a name");
    ///         }
    ///     }
    ///
    ///     fn handle_info(&mut self, msg: Info<()>) {
    ///         if let Info::Down { reason, .. } = msg {
    ///             tracing::info!(%reason, "the remote server is gone");
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// Errors: the name cannot be a subject token.
    pub fn monitor(
        &self,
        name: &str,
        watcher: impl Into<AnyServer>,
    ) -> Result<MonitorRef, InvalidName> {
        check_name(name)?;
        let inner = &self.inner;
        let watch = Watch {
            monitor: MonitorRef::__fresh(),
            server: ServerId::__fresh(),
            watcher: watcher.into(),
            node: None,
        };
        let monitor = watch.monitor;
        let id = inner.monitors.next.fetch_add(1, Ordering::Relaxed);
        inner.monitors.lock_watching().insert(id, watch);
        if !inner.liveness.connected() {
            inner.monitors.fire(id, ExitReason::NoConnection);
            return Ok(monitor);
        }
        let subject = Subject::from(format!("{}.mon.{name}", inner.prefix()));
        tokio::spawn(request(Arc::downgrade(inner), subject, id));
        Ok(monitor)
    }

    /// Removes a monitor made by [`monitor`](Self::monitor); `false` if it
    /// had fired or was removed. A `Down` already queued is still
    /// delivered.
    pub fn demonitor(&self, monitor: MonitorRef) -> bool {
        let inner = &self.inner;
        let removed = {
            let mut watching = inner.monitors.lock_watching();
            let id = watching
                .iter()
                .find(|(_, watch)| watch.monitor == monitor)
                .map(|(id, _)| *id);
            id.and_then(|id| watching.remove(&id).map(|watch| (id, watch)))
        };
        match removed {
            Some((id, watch)) => {
                inner
                    .monitors
                    .tell_demonitor(inner, id, watch.node.as_deref());
                true
            }
            None => false,
        }
    }

    /// The other nodes of the cluster heard from within `down_after`
    /// (OTP's `Node.list()`), by name, sorted.
    pub fn nodes(&self) -> Vec<String> {
        self.inner.liveness.nodes()
    }
}

/// Asks the node serving the name to watch its server, and records which
/// node that is; a name nobody serves, or no answer within `down_after`,
/// fires the monitor.
async fn request(node: Weak<Inner>, subject: Subject, id: u64) {
    let Some(inner) = node.upgrade() else { return };
    let ask = Request {
        version: VERSION,
        watcher: inner.liveness.instance.clone(),
        id,
    };
    let Ok(payload) = Postcard::encode(&ask) else {
        inner.monitors.fire(id, ExitReason::NoConnection);
        return;
    };
    let limit = inner.liveness.timing.down_after;
    let asked = inner.client().request(subject, payload.into());
    let answer = match tokio::time::timeout(limit, asked).await {
        Ok(Ok(message)) => Postcard::decode::<Answer>(&message.payload),
        Ok(Err(error)) if error.kind() == RequestErrorKind::NoResponders => Ok(Answer::NoProc),
        Ok(Err(_)) | Err(_) => {
            inner.monitors.fire(id, ExitReason::NoConnection);
            return;
        }
    };
    match answer {
        Ok(Answer::Watching { node, instance }) => {
            inner.liveness.heard_from(&instance, &node);
            let mut watching = inner.monitors.lock_watching();
            if let Some(watch) = watching.get_mut(&id) {
                watch.node = Some(instance);
            }
        }
        Ok(Answer::NoProc) => inner.monitors.fire(id, ExitReason::NoProc),
        Err(error) => {
            tracing::warn!(%error, "a malformed monitor answer");
            inner.monitors.fire(id, ExitReason::NoConnection);
        }
    }
}

impl Monitors {
    fn lock_watching(&self) -> MutexGuard<'_, HashMap<u64, Watch>> {
        // The tables stay consistent whatever panicked while holding them.
        self.watching.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_watched(&self) -> MutexGuard<'_, HashMap<(String, u64), ServerId>> {
        self.watched.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Fires the monitor `id`, if it is still there.
    fn fire(&self, id: u64, reason: ExitReason) {
        let watch = self.lock_watching().remove(&id);
        if let Some(watch) = watch {
            watch.fire(reason);
        }
    }

    /// Fires every monitor taken out of the table by `take`; how many.
    fn fire_all(&self, take: impl Fn(&Watch) -> bool, reason: &ExitReason) -> usize {
        let fired: Vec<Watch> = {
            let mut watching = self.lock_watching();
            let ids: Vec<u64> = watching
                .iter()
                .filter(|(_, watch)| take(watch))
                .map(|(id, _)| *id)
                .collect();
            ids.iter().filter_map(|id| watching.remove(id)).collect()
        };
        let count = fired.len();
        for watch in fired {
            watch.fire(reason.clone());
        }
        count
    }

    /// The node `instance` is down: the monitors of its servers fire with
    /// `NoConnection`, and its monitors of this node's servers are
    /// forgotten. How many fired.
    pub(crate) fn node_down(&self, instance: &str) -> usize {
        self.lock_watched()
            .retain(|(watcher, _), _| watcher != instance);
        self.fire_all(
            |watch| watch.node.as_deref() == Some(instance),
            &ExitReason::NoConnection,
        )
    }

    /// This node's connection is lost: a `Down` may be lost with it, so
    /// every monitor fires with `NoConnection`. How many.
    pub(crate) fn connection_lost(&self) -> usize {
        self.fire_all(|_| true, &ExitReason::NoConnection)
    }

    /// Forgets the monitors whose watcher has exited, and tells their
    /// serving nodes.
    pub(crate) fn sweep(&self, inner: &Inner) {
        let gone: Vec<(u64, Watch)> = {
            let mut watching = self.lock_watching();
            let ids: Vec<u64> = watching
                .iter()
                .filter(|(_, watch)| !watch.watcher.is_alive())
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter()
                .filter_map(|id| watching.remove(&id).map(|watch| (id, watch)))
                .collect()
        };
        for (id, watch) in gone {
            self.tell_demonitor(inner, id, watch.node.as_deref());
        }
    }

    /// Tells the serving node `node` that the monitor `id` is gone.
    fn tell_demonitor(&self, inner: &Inner, id: u64, node: Option<&str>) {
        let Some(node) = node else { return };
        let message = Control::Demonitor {
            watcher: inner.liveness.instance.clone(),
            id,
        };
        send_control(inner, node, &message);
    }
}

/// `<prefix>.ctl.<instance>`: where a node hears `Down` and `Demonitor`.
pub(crate) fn control_subject(prefix: &str, instance: &str) -> Subject {
    Subject::from(format!("{prefix}.ctl.{instance}"))
}

fn send_control(inner: &Inner, instance: &str, message: &Control) {
    match Postcard::encode(message) {
        Ok(payload) => {
            inner.outbox.send(Outgoing {
                subject: control_subject(inner.prefix(), instance),
                reply: None,
                payload: payload.into(),
            });
        }
        Err(error) => tracing::warn!(%error, "a monitor message could not be encoded"),
    }
}

/// Hears `Down` and `Demonitor` on this node's control subject until the
/// connection closes.
pub(crate) async fn run_control(node: Weak<Inner>, mut control: async_nats::Subscriber) {
    while let Some(message) = control.next().await {
        let Some(inner) = node.upgrade() else { break };
        match Postcard::decode::<Control>(&message.payload) {
            Ok(Control::Down { id, reason }) => inner.monitors.fire(id, reason.into()),
            Ok(Control::Demonitor { watcher, id }) => {
                inner.monitors.lock_watched().remove(&(watcher, id));
            }
            Err(error) => tracing::warn!(%error, "a malformed monitor message was dropped"),
        }
    }
}

/// Answers the monitor requests for `server`, served under a name, on
/// `requests`; when it exits, tells its watchers why. Ends then, when the
/// node closes (its watchers hear it leave), or when the connection closes.
pub(crate) async fn serve(
    node: Arc<Inner>,
    name: String,
    server: AnyServer,
    mut requests: async_nats::Subscriber,
) {
    let serving = node.closing.serving();
    let exited = server.exited();
    tokio::pin!(exited);
    let stopped = node.closing.stopped();
    tokio::pin!(stopped);
    let mut closing = false;
    let finished = loop {
        tokio::select! {
            biased;
            () = &mut exited => break true,
            () = &mut stopped => {
                let limit = node.closing.timeout;
                crate::closing::drain(&mut requests, limit, |message| {
                    answer(&node, &server, message);
                })
                .await;
                closing = true;
                break false;
            }
            message = requests.next() => match message {
                Some(message) => answer(&node, &server, message),
                None => break false,
            },
        }
    };
    if !closing {
        // A closing node lists the name until it leaves: its callers
        // wait for the calls it has taken, and hear it leave.
        node.liveness.not_serving(&name);
    }
    let watchers: Vec<(String, u64)> = {
        let mut watched = node.monitors.lock_watched();
        let mine: Vec<(String, u64)> = watched
            .iter()
            .filter(|(_, id)| **id == server.id())
            .map(|(key, _)| key.clone())
            .collect();
        for key in &mine {
            watched.remove(key);
        }
        mine
    };
    if finished {
        let reason = server.exit_reason().unwrap_or(ExitReason::NoProc);
        for (watcher, id) in watchers {
            let down = Control::Down {
                id,
                reason: (&reason).into(),
            };
            send_control(&node, &watcher, &down);
        }
    }
    if let Err(error) = requests.unsubscribe().await {
        tracing::debug!(%name, %error, "unsubscribing the monitor requests");
    }
    drop(serving);
}

/// One monitor request: watched when the server is alive, else `NoProc`.
fn answer(node: &Inner, server: &AnyServer, message: Message) {
    let Some(reply) = message.reply else { return };
    let answer = match Postcard::decode::<Request>(&message.payload) {
        Ok(request) if request.version == VERSION && check_name(&request.watcher).is_ok() => {
            // Under the lock: an exit either finds this entry or is seen here.
            let mut watched = node.monitors.lock_watched();
            if server.is_alive() {
                watched.insert((request.watcher, request.id), server.id());
                Answer::Watching {
                    node: node.name().to_owned(),
                    instance: node.liveness.instance.clone(),
                }
            } else {
                Answer::NoProc
            }
        }
        Ok(_) => {
            tracing::warn!("a monitor request of another version was refused");
            return;
        }
        Err(error) => {
            tracing::warn!(%error, "a malformed monitor request was refused");
            return;
        }
    };
    match Postcard::encode(&answer) {
        Ok(payload) => {
            node.outbox.send(Outgoing {
                subject: reply,
                reply: None,
                payload: payload.into(),
            });
        }
        Err(error) => tracing::warn!(%error, "a monitor answer could not be encoded"),
    }
}
