//! The API keys and their plans, in a table: every request reads it
//! without a message; only the key store writes it.

use std::sync::Arc;

use arc_swap::ArcSwap;
use genserver_core::prelude::*;
use genserver_core::{Table, TableError};

/// What a key may do: `limit` requests per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub limit: u32,
}

/// Owns the keys table (protected: it writes, every task reads).
pub struct KeyStore {
    table: Table<String, Plan>,
}

#[gen_server]
impl KeyStore {
    fn init(seed: Vec<(String, Plan)>, ctx: &mut Context<Self>) -> Result<Self, String> {
        let table = Table::new(ctx);
        for (key, plan) in seed {
            table.insert(key, plan).map_err(|e| e.to_string())?;
        }
        Ok(KeyStore { table })
    }

    /// The table, for readers that then skip this server.
    #[call]
    pub fn table(&self) -> Table<String, Plan> {
        self.table.clone()
    }

    /// Adds or changes a key's plan.
    #[call]
    pub fn put(&mut self, key: String, plan: Plan) -> Result<(), TableError> {
        self.table.insert(key, plan)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// The request side: the table, read without a message, and the store by
/// name for the rare write and for the table of a restarted store.
#[derive(Clone)]
pub struct KeyTable {
    table: Arc<ArcSwap<Table<String, Plan>>>,
    store: Named<KeyStore>,
}

impl KeyTable {
    /// Reads through `store`'s table.
    pub async fn new(store: Named<KeyStore>) -> Result<Self, CallError> {
        let table = store.table().await?;
        Ok(KeyTable {
            table: Arc::new(ArcSwap::from_pointee(table)),
            store,
        })
    }

    /// The plan of `key`: a table read, no message. A store that was
    /// restarted made a new table; the old one answers `Deleted`, and this
    /// fetches the new one once.
    pub async fn plan(&self, key: &str) -> Result<Option<Plan>, CallError> {
        // A protected table is readable by every task: the one error left
        // is `Deleted`.
        if let Ok(plan) = self.table.load().get(key) {
            return Ok(plan);
        }
        let table = self.store.table().await?;
        let plan = table.get(key).unwrap_or(None);
        self.table.store(Arc::new(table));
        Ok(plan)
    }

    /// Adds or changes a key (through the store: only it writes).
    pub async fn put(&self, key: String, plan: Plan) -> Result<(), CallError> {
        // Owner writes cannot be refused; a deleted table means a store
        // restart between the call and the write: the next read refetches.
        let _ = self.store.put(key, plan).await?;
        Ok(())
    }
}
