//! [`TableBuilder`]: a table's options, then `create(ctx)` in its owner.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::server::any::AnyServer;
use crate::server::context::Context;
use crate::server::gen_server::GenServer;
use crate::table::Table;
use crate::table::access::Access;
use crate::table::core::Core;
use crate::table::error::TableError;
use crate::table::named;

/// A table's options (ETS's `new/2` options): from [`Table::builder`],
/// created by [`create`](Self::create) in the server that will own it.
pub struct TableBuilder<K, V> {
    access: Access,
    heir: Option<AnyServer>,
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> TableBuilder<K, V>
where
    K: Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    pub(crate) fn new() -> Self {
        TableBuilder {
            access: Access::default(),
            heir: None,
            types: PhantomData,
        }
    }

    /// Who may read and write besides the owner (default:
    /// [`Access::Protected`]).
    pub fn access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    /// The server that inherits the table when its owner exits (ETS's
    /// `{:heir, pid, data}`). Naming the owner itself means no heir, as in
    /// ETS.
    pub fn heir(mut self, heir: impl Into<AnyServer>) -> Self {
        self.heir = Some(heir.into());
        self
    }

    /// Creates the table, owned by the server whose `ctx` this is: call it
    /// from `init` or a handler. The table lives until its owner exits (or
    /// [`Table::delete`]), whether or not handles to it remain.
    pub fn create<T: GenServer>(self, ctx: &Context<T>) -> Table<K, V> {
        let core = Arc::new(Core::new(self.access, self.heir, None));
        // Refused only by a server that has exited, which runs no callback:
        // then the table is created deleted.
        core.adopt(AnyServer::from(ctx.server()));
        Table { core }
    }

    /// Creates the table under `name` (ETS's `named_table`), owned by the
    /// server whose `ctx` this is: a [`NamedTable`](crate::NamedTable)
    /// finds it by name, and finds the next table under that name once
    /// this one is deleted, as when its owner restarts and creates it
    /// again. The name is freed when the table is deleted (it stays with
    /// the table when an heir takes it over).
    ///
    /// # Errors
    ///
    /// [`TableError::NameTaken`] if a live table holds `name`; nothing is
    /// created.
    pub fn create_named<T: GenServer>(
        self,
        name: impl Into<Arc<str>>,
        ctx: &Context<T>,
    ) -> Result<Table<K, V>, TableError> {
        let name = name.into();
        let core = Arc::new(Core::new(self.access, self.heir, Some(name.clone())));
        if !named::register(&name, &core) {
            return Err(TableError::NameTaken);
        }
        core.adopt(AnyServer::from(ctx.server()));
        Ok(Table { core })
    }
}

impl<K, V> fmt::Debug for TableBuilder<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableBuilder")
            .field("access", &self.access)
            .field("heir", &self.heir)
            .finish()
    }
}
