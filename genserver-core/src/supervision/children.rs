//! A supervisor's children in start order, found by id or by server in
//! O(log n): what keeps start, restart and stop of 100 000 children linear.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeBounds;
use std::time::Duration;

use crate::id::ServerId;
use crate::server::any::AnyServer;
use crate::supervision::backoff::Restarts;
use crate::supervision::child_spec::ChildSpec;
use crate::supervision::{ChildCount, ChildInfo, ChildStatus};

/// One child: its spec and where it is.
#[derive(Debug)]
pub(crate) struct Child {
    pub(crate) spec: ChildSpec,
    pub(crate) state: State,
    /// Its restarts in a row, for its backoff.
    pub(crate) restarts: Restarts,
    /// Whether its restart waits out its backoff now.
    pub(crate) backing_off: bool,
}

#[derive(Debug)]
pub(crate) enum State {
    Running(AnyServer),
    /// Its restart failed; a retry is scheduled. A dynamic supervisor's
    /// children keep the id of their last server, which names them.
    Restarting(Option<ServerId>),
    Stopped,
}

impl Child {
    pub(crate) fn server(&self) -> Option<&AnyServer> {
        match &self.state {
            State::Running(server) => Some(server),
            _ => None,
        }
    }

    pub(crate) fn info(&self) -> ChildInfo {
        ChildInfo {
            id: self.spec.id.clone(),
            server: self.server().cloned(),
            status: match self.state {
                State::Running(_) => ChildStatus::Running,
                State::Restarting(_) if self.backing_off => ChildStatus::BackingOff,
                State::Restarting(_) => ChildStatus::Restarting,
                State::Stopped => ChildStatus::Stopped,
            },
            kind: self.spec.kind,
            restart: self.spec.restart,
            restarts: self.restarts.count(),
        }
    }
}

/// Children by start order (a sequence number), with indexes by id (for a
/// [`Supervisor`](crate::Supervisor)) and by server.
#[derive(Debug, Default)]
pub(crate) struct Children {
    order: BTreeMap<u64, Child>,
    by_id: HashMap<String, u64>,
    by_server: HashMap<ServerId, u64>,
    next: u64,
    /// Whether ids must be unique and are indexed.
    index_ids: bool,
}

impl Children {
    pub(crate) fn with_ids() -> Self {
        Children {
            index_ids: true,
            ..Children::default()
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    /// Adds a child after all others; its sequence number.
    pub(crate) fn push(&mut self, spec: ChildSpec, state: State) -> u64 {
        let seq = self.next;
        self.next += 1;
        if self.index_ids {
            self.by_id.insert(spec.id.clone(), seq);
        }
        index(&mut self.by_server, seq, &state);
        self.order.insert(
            seq,
            Child {
                spec,
                state,
                restarts: Restarts::new(),
                backing_off: false,
            },
        );
        seq
    }

    pub(crate) fn contains_id(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    pub(crate) fn seq_of_id(&self, id: &str) -> Option<u64> {
        self.by_id.get(id).copied()
    }

    pub(crate) fn seq_of_server(&self, server: ServerId) -> Option<u64> {
        self.by_server.get(&server).copied()
    }

    pub(crate) fn get(&self, seq: u64) -> Option<&Child> {
        self.order.get(&seq)
    }

    /// Changes a child's state, keeping the index by server.
    pub(crate) fn set(&mut self, seq: u64, state: State) {
        let Some(child) = self.order.get_mut(&seq) else {
            return;
        };
        unindex(&mut self.by_server, &child.state);
        index(&mut self.by_server, seq, &state);
        if let State::Running(_server) = &state {
            child.restarts.started();
            #[cfg(feature = "metrics")]
            crate::server::metrics::restarted(_server.type_name());
        }
        child.backing_off = false;
        child.state = state;
    }

    /// The wait before child `seq`'s next restart: its backoff's, or none.
    /// A non-zero wait is its backoff: listed as backing off until the
    /// next change of its state.
    pub(crate) fn restart_delay(&mut self, seq: u64) -> Duration {
        self.order.get_mut(&seq).map_or(Duration::ZERO, |child| {
            let delay = child.restarts.next_delay(child.spec.backoff.as_ref());
            child.backing_off = !delay.is_zero();
            delay
        })
    }

    pub(crate) fn remove(&mut self, seq: u64) -> Option<Child> {
        let child = self.order.remove(&seq)?;
        if self.index_ids {
            self.by_id.remove(&child.spec.id);
        }
        unindex(&mut self.by_server, &child.state);
        Some(child)
    }

    /// Sequence numbers in `range`, in start order.
    pub(crate) fn seqs(&self, range: impl RangeBounds<u64>) -> Vec<u64> {
        self.order.range(range).map(|(seq, _)| *seq).collect()
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = (u64, &Child)> {
        self.order.iter().map(|(seq, child)| (*seq, child))
    }

    pub(crate) fn infos(&self) -> Vec<ChildInfo> {
        self.order.values().map(Child::info).collect()
    }

    pub(crate) fn count(&self) -> ChildCount {
        let mut count = ChildCount::default();
        for child in self.order.values() {
            count.add(child.spec.kind, child.server().is_some());
        }
        count
    }

    /// Takes every child out, in start order.
    pub(crate) fn drain(&mut self) -> Vec<Child> {
        self.by_id.clear();
        self.by_server.clear();
        std::mem::take(&mut self.order).into_values().collect()
    }
}

fn index(by_server: &mut HashMap<ServerId, u64>, seq: u64, state: &State) {
    match state {
        State::Running(server) => {
            by_server.insert(server.id(), seq);
        }
        State::Restarting(Some(last)) => {
            by_server.insert(*last, seq);
        }
        State::Restarting(None) | State::Stopped => {}
    }
}

fn unindex(by_server: &mut HashMap<ServerId, u64>, state: &State) {
    match state {
        State::Running(server) => {
            by_server.remove(&server.id());
        }
        State::Restarting(Some(last)) => {
            by_server.remove(last);
        }
        State::Restarting(None) | State::Stopped => {}
    }
}
