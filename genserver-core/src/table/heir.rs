//! A table's life after its owner: handed to the heir, or deleted.
//!
//! The owner's exit runs the table's exit hook (`HookKey::Table`, the one
//! "gone when the server exits" mechanism of `server/process.rs`). With a
//! living heir, the heir becomes the owner, gets its own hook, and learns
//! of it through [`Info::TableTransfer`](crate::Info::TableTransfer)
//! (ETS's `{:'ETS-TRANSFER', tab, from, data}`); otherwise the table is
//! deleted. Either way this happens before the owner counts as gone, so
//! once `exited()` returns the table has moved on.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::id::ServerId;
use crate::server::any::AnyServer;
use crate::server::process::{ExitHook, HookKey};
use crate::table::Table;
use crate::table::core::Core;
use crate::table::id::TableId;

impl<K, V> Core<K, V>
where
    K: Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    /// Makes `owner` the owner and ties the table to its life; deletes the
    /// table and returns `false` if it has already exited.
    pub(crate) fn adopt(self: &Arc<Self>, owner: AnyServer) -> bool {
        let from = owner.id();
        let core = self.clone();
        let hook = ExitHook::Release(Box::new(move || core.owner_exited(from)));
        self.set_owner(&mut self.life(), Some(owner.clone()));
        if owner
            .process()
            .add_hook(HookKey::Table(self.id.as_u64()), hook)
            .is_err()
        {
            self.delete();
            return false;
        }
        true
    }

    /// Hands the table from its owner `from` to `to`, which hears of it in
    /// `handle_info` (ETS's `give_away/3`). The caller checked that `from`
    /// is the running owner.
    pub(crate) fn give_away(
        self: &Arc<Self>,
        from: &AnyServer,
        to: AnyServer,
    ) -> Result<(), GiveAway> {
        if to.id() == from.id() {
            return Err(GiveAway::ToItself);
        }
        if !to.is_alive() {
            return Err(GiveAway::NotAlive);
        }
        from.process().remove_hook(HookKey::Table(self.id.as_u64()));
        if self.adopt(to.clone()) {
            let table = AnyTable {
                id: self.id,
                core: self.clone(),
            };
            to.deliver_table_transfer(TableTransfer {
                from: from.id(),
                table,
            });
        }
        // Exited meanwhile: `adopt` deleted the table, as the owner's exit
        // without an heir would.
        Ok(())
    }

    /// The exit hook: hand the table to the heir, or delete it.
    fn owner_exited(self: &Arc<Self>, from: ServerId) {
        let heir = {
            let mut life = self.life();
            if life.owner.as_ref().map(AnyServer::id) != Some(from) {
                return;
            }
            life.heir.take().filter(|heir| heir.id() != from)
        };
        match heir {
            Some(heir) => {
                if self.adopt(heir.clone()) {
                    let table = AnyTable {
                        id: self.id,
                        core: self.clone(),
                    };
                    // Refused only when the heir is exiting: its own exit
                    // hook, just added, deletes the table then.
                    heir.deliver_table_transfer(TableTransfer { from, table });
                }
            }
            None => self.delete(),
        }
    }
}

/// Why [`Table::give_away`](crate::Table::give_away) refused.
pub(crate) enum GiveAway {
    ToItself,
    NotAlive,
}

/// A table of any key and value types, as an heir receives it; get the
/// typed handle back with [`downcast`](Self::downcast).
#[derive(Clone)]
pub struct AnyTable {
    id: TableId,
    core: Arc<dyn Any + Send + Sync>,
}

impl AnyTable {
    /// The table's identity.
    pub fn id(&self) -> TableId {
        self.id
    }

    /// The typed handle, if the table holds `K` keys and `V` values.
    pub fn downcast<K, V>(&self) -> Option<Table<K, V>>
    where
        K: Send + Sync + 'static,
        V: Send + Sync + 'static,
    {
        let core = self.core.clone().downcast::<Core<K, V>>().ok()?;
        Some(Table { core })
    }
}

impl fmt::Debug for AnyTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.id, f)
    }
}

impl PartialEq for AnyTable {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for AnyTable {}

/// This server owns a table now (ETS's `{:'ETS-TRANSFER', tab, from,
/// data}`), delivered as [`Info::TableTransfer`](crate::Info::TableTransfer):
/// its owner exited and this server was its heir, or its owner gave it
/// away with [`Table::give_away`](crate::Table::give_away).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableTransfer {
    from: ServerId,
    table: AnyTable,
}

impl TableTransfer {
    /// The former owner.
    pub fn from(&self) -> ServerId {
        self.from
    }

    /// The table, without its types.
    pub fn table(&self) -> &AnyTable {
        &self.table
    }

    /// The typed table, if it holds `K` keys and `V` values.
    pub fn downcast<K, V>(&self) -> Option<Table<K, V>>
    where
        K: Send + Sync + 'static,
        V: Send + Sync + 'static,
    {
        self.table.downcast()
    }
}
