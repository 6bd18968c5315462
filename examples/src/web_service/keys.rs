//! The API keys and their plans, in a table: every request reads it
//! without a message; only the key store writes it. The table is named, so
//! the readers find the one a restarted store creates.

use genserver_core::prelude::*;
use genserver_core::{Named, Table};
use genserver_core::{NamedTable, TableError};

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
    /// Creates the table under `name`, with the keys known at start.
    fn init(
        name: String,
        seed: Vec<(String, Plan)>,
        ctx: &mut Context<Self>,
    ) -> Result<Self, TableError> {
        let table = Table::builder().create_named(name, ctx)?;
        for (key, plan) in seed {
            table.insert(key, plan)?;
        }
        Ok(KeyStore { table })
    }

    /// Adds or changes a key's plan.
    #[call]
    pub fn put(&mut self, key: String, plan: Plan) -> Result<(), TableError> {
        self.table.insert(key, plan)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// The request side: the table by name, read without a message, and the
/// store by name for the rare write.
#[derive(Clone)]
pub struct KeyTable {
    pub table: NamedTable<String, Plan>,
    pub store: Named<KeyStore>,
}
