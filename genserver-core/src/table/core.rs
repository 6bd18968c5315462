//! What every handle of one table shares: the map, who owns it, and the
//! switch that deletes it.
//!
//! ```text
//!  Table<K, V> ──Arc──▶ Core { id, access, owner, life, map }
//!                                                      │
//!                         ArcSwapOption ───────────────┘──▶ papaya::HashMap<K, V>
//!                         (None once deleted)
//! ```
//!
//! A read loads the map pointer (lock-free: `arc-swap` records a debt in
//! a per-thread slot, no shared counter is touched), checks the access
//! against the owner's number (one atomic load and the task-local, only
//! when the access needs the owner), then reads the map (lock-free). Deleting swaps the
//! pointer to `None`: the map is dropped when the last operation already in
//! flight finishes, and every later operation through any handle gets
//! [`TableError::Deleted`]. What stays behind is this small struct.
//!
//! `life` (who owns the table, who inherits it) is a mutex touched only
//! when the table is created, deleted, handed on or given an heir: never by
//! reads or writes of entries.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwapOption;

use crate::id::ServerId;
use crate::server::any::AnyServer;
use crate::server::process::HookKey;
use crate::table::access::{self, Access, Operation};
use crate::table::error::TableError;
use crate::table::id::TableId;
use crate::table::named;

/// The concurrent map under a table (chosen by `benches/table.rs`).
pub(crate) type Map<K, V> = papaya::HashMap<K, V>;

/// One table, shared by all its handles and by its owner's exit hook.
pub(crate) struct Core<K, V> {
    pub(crate) id: TableId,
    pub(crate) access: Access,
    /// Its name, for a named table: freed when it is deleted.
    pub(crate) name: Option<Arc<str>>,
    /// The owner's `ServerId::as_u64`, for the access check; 0 (no server's
    /// number) once the table is deleted.
    owner: AtomicU64,
    life: Mutex<Life>,
    map: ArcSwapOption<Map<K, V>>,
}

/// Who owns the table and who inherits it.
#[derive(Default)]
pub(crate) struct Life {
    pub(crate) owner: Option<AnyServer>,
    pub(crate) heir: Option<AnyServer>,
}

impl<K, V> Core<K, V> {
    pub(crate) fn new(access: Access, heir: Option<AnyServer>, name: Option<Arc<str>>) -> Self {
        Core {
            id: TableId::next(),
            access,
            name,
            owner: AtomicU64::new(0),
            life: Mutex::new(Life { owner: None, heir }),
            map: ArcSwapOption::new(Some(Arc::new(Map::new()))),
        }
    }

    pub(crate) fn life(&self) -> MutexGuard<'_, Life> {
        // No user code runs under this lock.
        self.life.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `owner` as the owner, for the access check too.
    pub(crate) fn set_owner(&self, life: &mut Life, owner: Option<AnyServer>) {
        let number = owner.as_ref().map_or(0, |o| o.id().as_u64());
        self.owner.store(number, Ordering::Release);
        life.owner = owner;
    }

    /// Runs `f` on the map if the table exists and the running task may
    /// do `operation`.
    #[inline]
    pub(crate) fn with_map<R>(
        &self,
        operation: Operation,
        f: impl FnOnce(&Map<K, V>) -> R,
    ) -> Result<R, TableError> {
        let map = self.map.load();
        let Some(map) = map.as_deref() else {
            return Err(TableError::Deleted);
        };
        if self.access.owner_only(operation) && !self.running_in_owner() {
            return Err(TableError::Access {
                access: self.access,
                operation,
            });
        }
        Ok(f(map))
    }

    fn running_in_owner(&self) -> bool {
        access::running_in(self.owner.load(Ordering::Acquire))
    }

    /// `Ok` if the table exists and the running task is its owner.
    pub(crate) fn check_owner(&self) -> Result<(), TableError> {
        if self.is_deleted() {
            Err(TableError::Deleted)
        } else if self.running_in_owner() {
            Ok(())
        } else {
            Err(TableError::NotOwner)
        }
    }

    pub(crate) fn is_deleted(&self) -> bool {
        self.map.load().is_none()
    }

    pub(crate) fn owner(&self) -> Option<ServerId> {
        self.life().owner.as_ref().map(AnyServer::id)
    }

    /// Deletes the table: the map goes, every handle gets
    /// [`TableError::Deleted`] from now on, and the owner's exit hook is
    /// removed. Idempotent.
    pub(crate) fn delete(&self) {
        let (owner, map) = {
            let mut life = self.life();
            life.heir = None;
            let owner = life.owner.take();
            self.set_owner(&mut life, None);
            (owner, self.map.swap(None))
        };
        if map.is_some()
            && let Some(name) = &self.name
        {
            named::unregister(name, self.id);
        }
        // The entries' destructors run here, outside the lock.
        drop(map);
        if let Some(owner) = owner {
            owner
                .process()
                .remove_hook(HookKey::Table(self.id.as_u64()));
        }
    }
}
