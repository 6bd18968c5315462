//! Node liveness: every node publishes a heartbeat on
//! `<prefix>.node.<node>.hb` every interval, with the names it serves,
//! and keeps a table of the nodes it has heard from (`peers.rs`). A node
//! not heard from for `down_after` is down: the calls in flight to the
//! names only it served fail with `Exited(NoConnection)`, and the monitors
//! of its servers fire with `NoConnection` (`watch/`).
//!
//! ```text
//!  node a ── hb {a, served: [counter]} ──▶ <prefix>.node.a.hb ──▶ every node
//!            (every interval; at once when it starts serving a name;      (<prefix>.node.*.hb)
//!             `leaving` when it closes)
//!
//!  last heard ───────── down_after ─────────┬─ tick ─┐
//!                                           silent   declared down
//! ```
//!
//! # The bound
//!
//! A node that dies (killed, cut off) is declared down at most
//! `down_after` + [`TICK`] after its last heartbeat, so at most that long
//! after it died: 3.1 s with the defaults (1 s interval, 3 s). A node that
//! closes says so and is down at once: its `leaving` heartbeat is its last
//! (no periodic one can follow it), and it is flushed to the nats-server
//! before the connection drains.
//!
//! # Who may speak for a node
//!
//! Each node's heartbeats have a subject of their own, so NATS subject
//! permissions say which user may speak for which node; a heartbeat that
//! claims another node than its subject's is refused and counted.
//!
//! This node's own connection is checked every [`TICK`]: once the NATS
//! client is not connected (the nats-server died, or its pings went
//! unanswered: the client's ping interval is the heartbeat interval, and it
//! gives up after two unanswered pings), every call in flight fails with
//! `NoConnection`, new calls fail at once, and every remote monitor fires.
//! While it is disconnected nobody is declared down (nothing can be
//! heard); once it is back, every known node gets a fresh `down_after`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use async_nats::connection::State;
use async_nats::{Client, Subject};
use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio::time::{Instant, MissedTickBehavior};

use crate::codec::Postcard;
use crate::inbox::End;
use crate::node::Inner;
use crate::refusals::Kind;
use genserver_core::Codec;

mod peers;

pub(crate) use peers::PeerId;
use peers::{Heard, Heartbeat, Peer, Table, VERSION};

/// How often the table of nodes and this node's connection are checked.
pub(crate) const TICK: Duration = Duration::from_millis(100);
/// The shortest heartbeat interval taken; a shorter one is raised to it.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// How often a node says it is alive, and how long a silence makes it down.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    pub(crate) interval: Duration,
    pub(crate) down_after: Duration,
}

impl Timing {
    /// The interval at least [`MIN_INTERVAL`]; `down_after` at least twice
    /// the interval, so one late heartbeat never makes a node down.
    pub(crate) fn new(interval: Duration, down_after: Duration) -> Timing {
        let interval = interval.max(MIN_INTERVAL);
        Timing {
            interval,
            down_after: down_after.max(interval.saturating_mul(2)),
        }
    }
}

impl Default for Timing {
    fn default() -> Self {
        Timing::new(Duration::from_secs(1), Duration::from_secs(3))
    }
}

/// `<prefix>.node.<node>.hb`: where `node` speaks.
pub(crate) fn heartbeat_subject(prefix: &str, node: &str) -> Subject {
    Subject::from(format!("{prefix}.node.{node}.hb"))
}

/// `<prefix>.node.*.hb`: every node's heartbeats.
pub(crate) fn heartbeats_wildcard(prefix: &str) -> String {
    format!("{prefix}.node.*.hb")
}

/// This node's view of the cluster.
pub(crate) struct Liveness {
    subject: Subject,
    pub(crate) me: PeerId,
    pub(crate) timing: Timing,
    connected: AtomicBool,
    /// Set once the node has closed: as good as disconnected for good.
    closed: AtomicBool,
    /// The client's count of connections made, as last seen: a reconnect
    /// between two ticks shows here, not in the state.
    connects: AtomicU64,
    state: Mutex<Table>,
    /// Wakes the heartbeat task to beat at once (a name was served).
    beat_now: Notify,
    /// Held while a heartbeat is published: the `leaving` one is the last.
    publishing: tokio::sync::Mutex<()>,
}

impl Liveness {
    pub(crate) fn new(prefix: &str, name: &str, instance: &str, timing: Timing) -> Liveness {
        Liveness {
            subject: heartbeat_subject(prefix, name),
            me: PeerId::new(name, instance),
            timing,
            connected: AtomicBool::new(true),
            closed: AtomicBool::new(false),
            connects: AtomicU64::new(1),
            state: Mutex::new(Table::default()),
            beat_now: Notify::new(),
            publishing: tokio::sync::Mutex::new(()),
        }
    }

    /// `false` while this node's NATS connection is lost, and once the
    /// node has closed.
    pub(crate) fn connected(&self) -> bool {
        !self.closed.load(Ordering::SeqCst) && self.connected.load(Ordering::SeqCst)
    }

    /// The nodes heard from within `down_after`: their names, sorted.
    pub(crate) fn nodes(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .lock()
            .peers
            .iter()
            .filter(|(_, peer)| peer.verified)
            .map(|(id, _)| id.node.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// `peer` answered just now (a monitor's answer or request): it is
    /// alive, and its death is noticed even before its first heartbeat
    /// arrives.
    pub(crate) fn heard_from(&self, peer: PeerId) {
        self.lock().heard_from(peer, Instant::now());
    }

    /// This node serves `name` once more; the others hear of it at once.
    pub(crate) fn serving(&self, name: &str) {
        *self.lock().served.entry(name.to_owned()).or_default() += 1;
        self.beat_now.notify_one();
    }

    /// One server fewer under `name` here.
    pub(crate) fn not_serving(&self, name: &str) {
        let mut state = self.lock();
        if let Some(count) = state.served.get_mut(name) {
            *count -= 1;
            if *count == 0 {
                state.served.remove(name);
                // The others hear of it at once: their calls in flight to
                // it, if nobody else serves it, end with `NoProc`.
                self.beat_now.notify_one();
            }
        }
    }

    /// Publishes this node's heartbeat. Nothing once the node has left.
    pub(crate) async fn beat(&self, client: &Client) {
        let _publishing = self.publishing.lock().await;
        if !self.connected() {
            return; // it would wait in the client's buffer, stale
        }
        self.publish(client, false).await;
    }

    /// Publishes the `leaving` heartbeat, the node's last: from now on no
    /// heartbeat is sent, and calls through the node fail at once. Returns
    /// once the NATS client has written it.
    pub(crate) async fn leave(&self, client: &Client) {
        let publishing = self.publishing.lock().await;
        let connected = self.connected();
        self.closed.store(true, Ordering::SeqCst);
        if connected {
            self.publish(client, true).await;
        }
        drop(publishing);
        if connected
            && tokio::time::timeout(self.timing.interval, client.flush())
                .await
                .is_err()
        {
            tracing::debug!("the leaving heartbeat was not flushed within the interval");
        }
    }

    async fn publish(&self, client: &Client, leaving: bool) {
        let heartbeat = Heartbeat {
            version: VERSION,
            node: self.me.node.clone(),
            instance: self.me.instance.clone(),
            served: self.lock().served.keys().cloned().collect(),
            leaving,
        };
        let payload = match Postcard::encode(&heartbeat) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!(%error, "a heartbeat could not be encoded");
                return;
            }
        };
        let publish = client.publish(self.subject.clone(), payload.into());
        match tokio::time::timeout(self.timing.interval, publish).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::debug!(%error, "a heartbeat was not sent"),
            Err(_) => tracing::debug!("a heartbeat was not sent within the interval"),
        }
    }

    /// A heartbeat arrived on `subject`.
    fn heard(&self, inner: &Inner, subject: &str, payload: &[u8]) -> Heard {
        // `<prefix>.node.<node>.hb`: the node is the token before `hb`.
        let node = subject
            .strip_suffix(".hb")
            .and_then(|rest| rest.rsplit('.').next())
            .unwrap_or_default();
        let heard = self.lock().heard(node, payload, &self.me, Instant::now());
        heard.unwrap_or_else(|refused| {
            inner.refusals.refuse(Kind::Heartbeat, refused);
            Heard::Nothing
        })
    }

    /// The nodes not heard from for `down_after`, removed from the table.
    fn silent(&self, now: Instant) -> Vec<(PeerId, Peer)> {
        let down_after = self.timing.down_after;
        let mut state = self.lock();
        let silent: Vec<PeerId> = state
            .peers
            .iter()
            .filter(|(_, peer)| now.saturating_duration_since(peer.last_heard) > down_after)
            .map(|(id, _)| id.clone())
            .collect();
        silent
            .into_iter()
            .filter_map(|id| state.remove(&id).map(|peer| (id, peer)))
            .collect()
    }

    /// The names `dead` served that no live node (this one included)
    /// serves: a call in flight to one of them was on the dead node.
    fn orphaned(&self, dead: &Peer) -> Vec<String> {
        let state = self.lock();
        dead.served
            .iter()
            .filter(|name| !state.is_served(name))
            .cloned()
            .collect()
    }

    /// Records the connection's state, and how it changed.
    fn connection_changed(&self, client: &Client) -> Option<Change> {
        let now = client.connection_state() == State::Connected;
        let connects = client.statistics().connects.load(Ordering::Relaxed);
        let reconnected = self.connects.swap(connects, Ordering::SeqCst) != connects;
        let before = self.connected.swap(now, Ordering::SeqCst);
        let change = match (before, now) {
            (true, false) => Change::Lost,
            (false, true) => Change::Back,
            (true, true) if reconnected => Change::Blip,
            _ => return None,
        };
        if now {
            // Nothing was heard while away: every node gets a fresh bound.
            let fresh = Instant::now();
            for peer in self.lock().peers.values_mut() {
                peer.last_heard = fresh;
            }
        }
        Some(change)
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // The table stays consistent whatever panicked while holding it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How this node's connection changed since the last tick.
enum Change {
    Lost,
    Back,
    /// Lost and back between two ticks: what was in flight is lost.
    Blip,
}

/// The liveness task: beats every interval, hears the other nodes, and
/// declares down the silent ones and this node's lost connection. Ends
/// when the node is dropped or its connection closes.
pub(crate) async fn run(node: Weak<Inner>, mut heartbeats: async_nats::Subscriber) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut next_beat = Instant::now();
    loop {
        let Some(inner) = node.upgrade() else { break };
        let liveness = &inner.liveness;
        tokio::select! {
            _ = tick.tick() => {}
            () = liveness.beat_now.notified() => next_beat = Instant::now(),
            message = heartbeats.next() => match message {
                Some(message) => {
                    match liveness.heard(&inner, &message.subject, &message.payload) {
                        Heard::Nothing => {}
                        Heard::Left(id, peer) => node_down(&inner, &id, &peer, Down::Left),
                        Heard::Unserved(names) => {
                            let subjects = names.iter().map(|name| inner.subject(name)).collect();
                            inner.inbox.fail_sent_to(subjects, End::NoProc);
                        }
                    }
                    continue;
                }
                None => {
                    connection_lost(&inner);
                    break;
                }
            },
        }
        match liveness.connection_changed(inner.client()) {
            Some(Change::Lost | Change::Blip) => connection_lost(&inner),
            Some(Change::Back) => {
                tracing::info!(node = %liveness.me.node, "the connection to NATS is back");
            }
            None => {}
        }
        let now = Instant::now();
        if liveness.connected() {
            for (id, peer) in liveness.silent(now) {
                node_down(&inner, &id, &peer, Down::Silent);
            }
        }
        if now >= next_beat {
            next_beat = now + liveness.timing.interval;
            liveness.beat(inner.client()).await;
            inner.watches.sweep(&inner);
        }
    }
}

/// How a node went down.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Down {
    /// It closed and said so: a graceful leave.
    Left,
    /// It went silent: killed, cut off, or stuck.
    Silent,
}

/// `peer` is gone: its calls and monitors end with `NoConnection`.
fn node_down(inner: &Arc<Inner>, id: &PeerId, peer: &Peer, how: Down) {
    let orphaned: Vec<Subject> = inner
        .liveness
        .orphaned(peer)
        .iter()
        .map(|name| inner.subject(name))
        .collect();
    let names = orphaned.len();
    inner.inbox.fail_sent_to(orphaned, End::NoConnection);
    let watches = inner.watches.node_down(id);
    match (how, peer.verified) {
        (Down::Left, _) => tracing::info!(
            node = %id.node,
            names,
            watches,
            "a node left: its calls in flight to names only it served, its monitors and links end with NoConnection"
        ),
        (Down::Silent, true) => tracing::warn!(
            node = %id.node,
            names,
            watches,
            "a node is lost (silent for down_after): its calls in flight to names only it served, its monitors and links end with NoConnection"
        ),
        // Only heard of through a request, never through a heartbeat.
        (Down::Silent, false) => tracing::debug!(
            node = %id.node,
            watches,
            "a node heard of through a monitor or link request is silent"
        ),
    }
}

/// This node's connection is lost: every call and remote monitor ends.
fn connection_lost(inner: &Arc<Inner>) {
    let calls = inner.inbox.fail_all();
    let watches = inner.watches.connection_lost(inner);
    if inner.liveness.closed.load(Ordering::SeqCst) {
        tracing::debug!(
            node = %inner.liveness.me.node,
            calls,
            watches,
            "the node closed: calls, monitors and links end with NoConnection"
        );
    } else {
        tracing::warn!(
            node = %inner.liveness.me.node,
            calls,
            watches,
            "the connection to NATS is lost: calls, monitors and links end with NoConnection"
        );
    }
}
