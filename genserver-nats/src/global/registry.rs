//! A node's global names: the table, opened on first use, and the names
//! this node holds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use genserver_core::AnyServer;
use tokio::sync::{Notify, watch};

use super::error::{GlobalError, NameLost};
use super::replicas;
use super::table::{Opened, Table};
use crate::node::Inner;

/// A node's global names: the table and the names it holds.
pub(crate) struct Registry {
    pub(super) table: Table,
    held: Mutex<HashMap<String, Held>>,
    pub(super) next: AtomicU64,
    pub(super) closing: AtomicBool,
}

/// A held name, as the node's [`release_all`] sees it.
pub(super) struct Held {
    pub(super) id: u64,
    /// The server answering for it now: the registered server while it
    /// runs, or a role's holder of the moment.
    pub(super) holder: Arc<dyn Fn() -> Option<AnyServer> + Send + Sync>,
    pub(super) stop: Arc<Notify>,
    pub(super) end: watch::Receiver<Option<NameLost>>,
}

impl Registry {
    /// A name's lease when its options do not say: longer on a replicated
    /// table, to outlast a leader election.
    pub(super) fn default_lease(&self) -> std::time::Duration {
        if self.table.replicas > 1 {
            super::DEFAULT_REPLICATED_LEASE
        } else {
            super::DEFAULT_LEASE
        }
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Held>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Why a stopped name stopped: the node closing, or an unregister.
    pub(super) fn stop_reason(&self) -> NameLost {
        if self.closing.load(Ordering::Acquire) {
            NameLost::NodeStopped
        } else {
            NameLost::Unregistered
        }
    }

    /// Forgets the held name `name`, if it is still registration `id`.
    pub(super) fn forget(&self, name: &str, id: u64) {
        let mut held = self.lock();
        if held.get(name).is_some_and(|h| h.id == id) {
            held.remove(name);
        }
    }
}

/// The node's registry, the table opened on first use.
pub(super) async fn registry(node: &Arc<Inner>) -> Result<Arc<Registry>, GlobalError> {
    node.global
        .get_or_try_init(|| async {
            let info = node.client.server_info();
            if !info.jetstream {
                return Err(GlobalError::NoJetStream(format!(
                    "the nats-server at {}:{} ({}) runs without it",
                    info.host, info.port, info.version
                )));
            }
            let servers = info.connect_urls.len().max(1);
            let (replicas, why) = replicas::decide(node.replicas, &info.version, servers)
                .map_err(GlobalError::UnsafeReplicas)?;
            let table = Table::open(&node.client, &node.prefix, replicas, &why, &info.version)
                .await
                .map_err(|error| match error {
                    Opened::Unsafe(error) => GlobalError::UnsafeReplicas(error),
                    Opened::Store(error) if no_responders(&*error) => GlobalError::NoJetStream(format!(
                        "nothing answered JetStream's API on the nats-server at {}:{} ({}): this user's account has no JetStream",
                        info.host, info.port, info.version
                    )),
                    Opened::Store(error) => super::error::store(error),
                })?;
            Ok(Arc::new(Registry {
                table,
                held: Mutex::new(HashMap::new()),
                next: AtomicU64::new(1),
                closing: AtomicBool::new(false),
            }))
        })
        .await
        .cloned()
}

/// Whether `error` comes, at its root, from a request nobody answered.
fn no_responders(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(request) = error.downcast_ref::<async_nats::RequestError>()
            && request.kind() == async_nats::RequestErrorKind::NoResponders
        {
            return true;
        }
        cause = error.source();
    }
    false
}

/// Releases every name the node holds, for [`Node::close`]: waits for each
/// (each release is bounded by its lease).
pub(crate) async fn release_all(node: &Inner) {
    let Some(registry) = node.global.get() else {
        return;
    };
    registry.closing.store(true, Ordering::Release);
    let ends: Vec<_> = registry
        .lock()
        .values()
        .map(|held| {
            held.stop.notify_one();
            held.end.clone()
        })
        .collect();
    for mut end in ends {
        let _ = end.wait_for(Option::is_some).await;
    }
}
