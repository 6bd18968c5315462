//! The table of the other nodes heard from, by [`PeerId`], and what a
//! heartbeat tells it.
//!
//! A heartbeat arrives on `<prefix>.node.<node>.hb`: the subject names the
//! node that sent it, and NATS permissions can say which user may publish
//! there (the permission template in the crate's docs). A heartbeat that
//! speaks for another node than its subject's is refused, so a client may
//! only ever speak for the nodes its user may publish for.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::error::check_name;

/// The version of the heartbeat message; others are refused. Never 0 or
/// 1: a call's reply starts with one of those, so a reply published to a
/// heartbeat subject (a request naming it as its reply subject) is never
/// read as a heartbeat.
pub(super) const VERSION: u8 = 2;

/// Unverified peers (heard of through a monitor or link request, not a
/// heartbeat of their own) kept at most: beyond, a flood of requests
/// naming made-up nodes grows nothing.
const MAX_UNVERIFIED: usize = 4_096;

/// One connection of one node: its name (authenticated by the subject it
/// publishes on) and its instance (unique per connection).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PeerId {
    pub(crate) node: String,
    pub(crate) instance: String,
}

impl PeerId {
    pub(crate) fn new(node: impl Into<String>, instance: impl Into<String>) -> PeerId {
        PeerId {
            node: node.into(),
            instance: instance.into(),
        }
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.node, self.instance)
    }
}

/// What a node says of itself.
#[derive(Serialize, Deserialize)]
pub(super) struct Heartbeat {
    pub(super) version: u8,
    pub(super) node: String,
    pub(super) instance: String,
    pub(super) served: Vec<String>,
    pub(super) leaving: bool,
}

/// What a heartbeat told.
pub(super) enum Heard {
    Nothing,
    /// The node left (it closed).
    Left(PeerId, Peer),
    /// Names nobody serves any more: the node stopped serving them.
    Unserved(Vec<String>),
}

/// Why a heartbeat was refused.
pub(super) enum Refused {
    Malformed(String),
    Version(u8),
    /// It spoke for `claimed` on the subject of `subject`.
    Forged {
        subject: String,
        claimed: String,
    },
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Malformed(error) => write!(f, "a malformed heartbeat: {error}"),
            Refused::Version(version) => write!(f, "a heartbeat of version {version}"),
            Refused::Forged { subject, claimed } => write!(
                f,
                "a heartbeat on node {subject:?}'s subject spoke for node {claimed:?}"
            ),
        }
    }
}

pub(super) struct Peer {
    pub(super) last_heard: Instant,
    /// A set: a heartbeat is checked against every peer's names, and a
    /// list made that O(names²) per heartbeat (1 000 served names took
    /// 6 % of a benchmark's time in string compares).
    pub(super) served: HashSet<String>,
    /// Heard through a heartbeat of its own.
    pub(super) verified: bool,
}

/// This node's view of the cluster.
#[derive(Default)]
pub(super) struct Table {
    /// The nodes heard from.
    pub(super) peers: HashMap<PeerId, Peer>,
    /// The names this node serves, with how many servers serve each.
    pub(super) served: HashMap<String, usize>,
    unverified: usize,
}

impl Table {
    /// `peer` answered just now (a monitor's answer or request): it is
    /// alive, and its death is noticed even before its first heartbeat.
    pub(super) fn heard_from(&mut self, peer: PeerId, now: Instant) {
        if let Some(known) = self.peers.get_mut(&peer) {
            known.last_heard = now;
            return;
        }
        if self.unverified >= MAX_UNVERIFIED {
            return;
        }
        self.unverified += 1;
        self.peers.insert(
            peer,
            Peer {
                last_heard: now,
                served: HashSet::new(),
                verified: false,
            },
        );
    }

    /// A heartbeat from the node `subject_node` (its subject's token),
    /// not this node's own (`me`).
    pub(super) fn heard(
        &mut self,
        subject_node: &str,
        payload: &[u8],
        me: &PeerId,
        now: Instant,
    ) -> Result<Heard, Refused> {
        let heartbeat = postcard::from_bytes::<Heartbeat>(payload)
            .map_err(|error| Refused::Malformed(error.to_string()))?;
        if heartbeat.version != VERSION {
            return Err(Refused::Version(heartbeat.version));
        }
        if heartbeat.node != subject_node || check_name(&heartbeat.instance).is_err() {
            return Err(Refused::Forged {
                subject: subject_node.to_owned(),
                claimed: heartbeat.node,
            });
        }
        let id = PeerId::new(heartbeat.node, heartbeat.instance);
        if id == *me {
            return Ok(Heard::Nothing);
        }
        if heartbeat.leaving {
            return Ok(match self.remove(&id) {
                Some(peer) => Heard::Left(id, peer),
                None => Heard::Nothing,
            });
        }
        let peer = Peer {
            last_heard: now,
            served: heartbeat.served.into_iter().collect(),
            verified: true,
        };
        let before = self.peers.insert(id.clone(), peer);
        let Some(before) = before else {
            tracing::debug!(node = %id.node, "a node is up");
            return Ok(Heard::Nothing);
        };
        if !before.verified {
            self.unverified -= 1;
        }
        // The names it no longer serves, that no live node serves either.
        let unserved: Vec<String> = before
            .served
            .into_iter()
            .filter(|name| !self.is_served(name))
            .collect();
        Ok(if unserved.is_empty() {
            Heard::Nothing
        } else {
            Heard::Unserved(unserved)
        })
    }

    /// Whether a live node (this one included) serves `name`.
    pub(super) fn is_served(&self, name: &str) -> bool {
        self.served.contains_key(name) || self.peers.values().any(|peer| peer.served.contains(name))
    }

    pub(super) fn remove(&mut self, id: &PeerId) -> Option<Peer> {
        let peer = self.peers.remove(id)?;
        if !peer.verified {
            self.unverified -= 1;
        }
        Some(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heartbeat(node: &str, served: impl IntoIterator<Item = String>) -> Vec<u8> {
        postcard::to_allocvec(&Heartbeat {
            version: VERSION,
            node: node.to_owned(),
            instance: "i1".to_owned(),
            served: served.into_iter().collect(),
            leaving: false,
        })
        .expect("encodes")
    }

    #[test]
    fn names_a_node_stops_serving_are_unserved_unless_another_node_serves_them() {
        // Thousands of names, as a node serving many servers has: each is
        // looked up in a set, not compared with every name of every peer.
        const NAMES: usize = 20_000;
        let me = PeerId::new("me", "i0");
        let now = Instant::now();
        let mut table = Table::default();
        table.served.insert("mine".to_owned(), 1);
        let names = |range: std::ops::Range<usize>| range.map(|i| format!("name-{i}"));
        let a = heartbeat("a", names(0..NAMES).chain(["mine".to_owned()]));
        let b = heartbeat("b", names(NAMES - 10..NAMES + 10));
        assert!(matches!(table.heard("a", &a, &me, now), Ok(Heard::Nothing)));
        assert!(matches!(table.heard("b", &b, &me, now), Ok(Heard::Nothing)));
        assert!(table.is_served("name-0") && table.is_served("mine"));
        assert!(table.is_served(&format!("name-{}", NAMES + 5)));
        assert!(!table.is_served(&format!("name-{}", NAMES + 10)));
        // `a` now serves only its first half: the rest is unserved, but
        // for the names `b` serves and the one this node serves.
        let half = heartbeat("a", names(0..NAMES / 2));
        let Ok(Heard::Unserved(mut unserved)) = table.heard("a", &half, &me, now) else {
            panic!("names became unserved");
        };
        unserved.sort();
        let mut expected: Vec<String> = names(NAMES / 2..NAMES - 10).collect();
        expected.sort();
        assert_eq!(unserved, expected);
        assert!(table.is_served("name-0") && !table.is_served(&format!("name-{}", NAMES / 2)));
    }
}
