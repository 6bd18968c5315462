//! The serving side of monitors and links: the watches other nodes hold
//! on this node's served servers, the answers to their requests, and what
//! they hear when a served server exits.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_nats::Message;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use genserver_core::transport::{LinkEnd, RemoteNode};
use genserver_core::{AnyServer, Codec, ExitReason, RemoteServer, ServerId};

use super::{Answer, Control, Kind, Request, VERSION, send_control};
use crate::codec::Postcard;
use crate::error::check_name;
use crate::liveness::PeerId;
use crate::node::Inner;
use crate::outbox::Outgoing;
use crate::refusals::Kind as Refused;
use crate::role::Served;

/// The remote watches of this node's served servers, by (watcher
/// instance, wire id), and by server, so that a server's exit finds its
/// own in O(its watches).
#[derive(Default)]
pub(super) struct WatchedTable {
    entries: HashMap<(PeerId, u64), Watched>,
    by_server: HashMap<ServerId, HashSet<(PeerId, u64)>>,
}

impl WatchedTable {
    pub(super) fn insert(&mut self, key: (PeerId, u64), entry: Watched) {
        self.by_server
            .entry(entry.server.id())
            .or_default()
            .insert(key.clone());
        if let Some(old) = self.entries.insert(key.clone(), entry) {
            // A watcher reusing an id for another server: keep one index.
            self.unindex(old.server.id(), &key);
        }
    }

    pub(super) fn remove(&mut self, key: &(PeerId, u64)) -> Option<Watched> {
        let entry = self.entries.remove(key)?;
        self.unindex(entry.server.id(), key);
        Some(entry)
    }

    fn unindex(&mut self, server: ServerId, key: &(PeerId, u64)) {
        if let Some(keys) = self.by_server.get_mut(&server) {
            keys.remove(key);
            if keys.is_empty() {
                self.by_server.remove(&server);
            }
        }
    }

    /// Takes out every watch of `server`.
    pub(super) fn take_server(&mut self, server: ServerId) -> Vec<((PeerId, u64), Watched)> {
        let keys = self.by_server.remove(&server).unwrap_or_default();
        keys.into_iter()
            .filter_map(|key| self.entries.remove(&key).map(|entry| (key, entry)))
            .collect()
    }

    /// Takes out the watches `take` selects (a scan: for a node's death or
    /// the connection's loss, not per message).
    pub(super) fn take_if(
        &mut self,
        take: impl Fn(&(PeerId, u64), &Watched) -> bool,
    ) -> Vec<((PeerId, u64), Watched)> {
        let keys: Vec<(PeerId, u64)> = self
            .entries
            .iter()
            .filter(|(key, entry)| take(key, entry))
            .map(|(key, _)| key.clone())
            .collect();
        keys.into_iter()
            .filter_map(|key| self.remove(&key).map(|entry| (key, entry)))
            .collect()
    }
}

/// A served server watched from another node.
pub(super) struct Watched {
    pub(super) server: AnyServer,
    /// For a link: the core's end of it, bound to the served server and
    /// to the identity of the linked server on the other node.
    pub(super) link: Option<LinkEnd>,
}

impl Watched {
    /// The other side is gone: a link's exit signal, with `reason`.
    pub(super) fn lost(self, reason: ExitReason) {
        if let Some(end) = self.link {
            end.exit(reason);
        }
    }
}

/// Answers the watch requests for `served` (a server, or a role: then the
/// holder at the time of each request is watched), served under a name,
/// on `requests`; when a watched server exits, tells its watchers why.
/// Ends when serving ends (a server's exit), when the node closes (its
/// watchers hear it leave), or when the connection closes.
pub(crate) async fn serve<T: RemoteServer>(
    node: Arc<Inner>,
    name: String,
    served: Served<T>,
    mut requests: async_nats::Subscriber,
) {
    let serving = node.closing.serving();
    let mut ended = served.ended();
    let stopped = node.closing.stopped();
    tokio::pin!(stopped);
    // The servers watched here, each until it exits.
    let mut exits = FuturesUnordered::new();
    let mut tracked: HashSet<ServerId> = HashSet::new();
    let mut track = |watched: Option<AnyServer>, exits: &mut FuturesUnordered<_>| {
        if let Some(watched) = watched
            && tracked.insert(watched.id())
        {
            exits.push(Box::pin(async move {
                watched.exited().await;
                watched
            })
                as Pin<Box<dyn Future<Output = AnyServer> + Send>>);
        }
    };
    let holder = || served.holder().map(|server| AnyServer::from(&server));
    let finished = loop {
        tokio::select! {
            biased;
            () = &mut ended => break true,
            () = &mut stopped => {
                let limit = node.closing.timeout;
                let mut watched = Vec::new();
                crate::closing::drain(&mut requests, limit, |message| {
                    watched.push(answer(&node, holder(), message));
                })
                .await;
                for server in watched {
                    track(server, &mut exits);
                }
                break false;
            }
            Some(gone) = exits.next(), if !exits.is_empty() => {
                tell_down(&node, &gone);
            }
            message = requests.next() => match message {
                Some(message) => track(answer(&node, holder(), message), &mut exits),
                None => break false,
            },
        }
    };
    if finished {
        // The served server exited: its watchers hear why, as do those of
        // the servers watched before it that exited meanwhile.
        while let Some(Some(gone)) = exits.next().now_or_never() {
            tell_down(&node, &gone);
        }
        if let Served::Server(server) = &served {
            tell_down(&node, &AnyServer::from(server));
        }
    }
    // The node closes or lost its connection: the other sides hear
    // `NoConnection`, and so do these servers from their links.
    let still: Vec<ServerId> = tracked.iter().copied().collect();
    for id in still {
        let watchers = node.watches.lock_watched().take_server(id);
        for (_, entry) in watchers {
            entry.lost(ExitReason::NoConnection);
        }
    }
    if let Err(error) = requests.unsubscribe().await {
        tracing::debug!(%name, %error, "unsubscribing the monitor requests");
    }
    drop(serving);
}

/// `server` exited: its watchers hear why.
fn tell_down(node: &Inner, server: &AnyServer) {
    let watchers = node.watches.lock_watched().take_server(server.id());
    if watchers.is_empty() {
        return;
    }
    let reason = server.exit_reason().unwrap_or(ExitReason::NoProc);
    for ((watcher, id), _) in watchers {
        let down = Control::Down {
            id,
            reason: (&reason).into(),
        };
        send_control(node, &watcher, &down);
    }
}

/// One watch request: watched when `server` (the holder now) is alive,
/// else `NoProc`. The server watched, if it is.
fn answer(node: &Inner, server: Option<AnyServer>, message: Message) -> Option<AnyServer> {
    let Some(reply) = message.reply else {
        node.refusals.refuse(
            Refused::Watch,
            "a monitor or link request without a reply subject",
        );
        return None;
    };
    if !node.may_reply_to(&reply) {
        node.refusals.refuse(
            Refused::Watch,
            format_args!("a monitor or link request asked for its answer on {reply}, inside the cluster's own subjects"),
        );
        return None;
    }
    let mut watched = None;
    let answer = match Postcard::decode::<Request>(&message.payload) {
        Ok(request)
            if request.version == VERSION
                && check_name(&request.watcher).is_ok()
                && check_name(&request.node).is_ok() =>
        {
            let watcher = PeerId::new(request.node, request.watcher);
            // The watcher's node is watched for its death from now on.
            node.liveness.heard_from(watcher.clone());
            let remote = RemoteNode::named(&watcher.node);
            // Under the lock: an exit either finds this entry or is seen here.
            let mut table = node.watches.lock_watched();
            match server.filter(AnyServer::is_alive) {
                Some(server) => {
                    let link = (request.kind == Kind::Link).then(|| {
                        let mut end = LinkEnd::open(&server);
                        end.locate(&remote);
                        end
                    });
                    let entry = Watched {
                        server: server.clone(),
                        link,
                    };
                    table.insert((watcher, request.id), entry);
                    watched = Some(server);
                    Answer::Watching {
                        node: node.name().to_owned(),
                        instance: node.liveness.me.instance.clone(),
                    }
                }
                None => Answer::NoProc,
            }
        }
        Ok(request) if request.version != VERSION => {
            node.refusals.refuse(
                Refused::Watch,
                format_args!("a monitor or link request of version {}", request.version),
            );
            return None;
        }
        Ok(request) => {
            node.refusals.refuse(
                Refused::Watch,
                format_args!(
                    "a monitor or link request from {:?}, which cannot be a subject token",
                    request.node
                ),
            );
            return None;
        }
        Err(error) => {
            node.refusals.refuse(
                Refused::Watch,
                format_args!("a malformed monitor or link request: {error}"),
            );
            return None;
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
    watched
}
