//! docs/behaviour.md, "Tables": one test per row.

mod common;

use common::{gone, within};
use genserver_core::prelude::*;
use genserver_core::{Access, AnyTable, NamedTable, Operation, TableTransfer};
use genserver_core::{AnyServer, Named, Strategy, Supervisor, SupervisorSpec, Table, TableError};
use std::sync::Arc;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// A table's options, for [`Keeper::start`].
pub struct Options {
    access: Access,
    heir: Option<AnyServer>,
}

impl Options {
    fn access(access: Access) -> Self {
        Options { access, heir: None }
    }

    fn heir(heir: impl Into<AnyServer>) -> Self {
        Options {
            access: Access::Protected,
            heir: Some(heir.into()),
        }
    }
}

/// Owns a table created in `init`, and works on it from inside itself.
pub struct Keeper {
    table: Table<String, u64>,
}

#[gen_server]
impl Keeper {
    fn init(options: Options, ctx: &mut Context<Self>) -> Result<Self, String> {
        let mut builder = Table::builder().access(options.access);
        if let Some(heir) = options.heir {
            builder = builder.heir(heir);
        }
        Ok(Keeper {
            table: builder.create(ctx),
        })
    }

    #[call]
    pub fn table(&self) -> Table<String, u64> {
        self.table.clone()
    }

    #[call]
    pub fn insert(&self, key: String, value: u64) -> Result<(), TableError> {
        self.table.insert(key, value)
    }

    #[call]
    pub fn lookup(&self, key: String) -> Result<Option<u64>, TableError> {
        self.table.get(&key)
    }

    #[call]
    pub fn delete(&self) -> Result<(), TableError> {
        self.table.delete()
    }

    #[call]
    pub fn set_heir(&self, heir: Option<AnyServer>) -> Result<(), TableError> {
        self.table.set_heir(heir)
    }

    #[call]
    pub fn give_away(&self, to: AnyServer) -> Result<(), TableError> {
        self.table.give_away(to)
    }

    /// Writes from a task this server spawned: not the owner.
    #[call]
    pub async fn insert_from_a_spawned_task(
        &self,
        key: String,
        value: u64,
    ) -> Result<(), TableError> {
        let table = self.table.clone();
        tokio::spawn(async move { table.insert(key, value) })
            .await
            .unwrap()
    }

    #[cast]
    pub fn crash(&self) {
        panic!("keeper crashed")
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// Inherits tables: records the transfers it receives.
pub struct Heir {
    transfers: Vec<TableTransfer>,
}

#[gen_server]
impl Heir {
    #[call]
    pub fn transfers(&self) -> Vec<TableTransfer> {
        self.transfers.clone()
    }

    /// Writes into the inherited table, from inside this server.
    #[call]
    pub fn insert(&self, key: String, value: u64) -> Result<(), TableError> {
        let table = self.transfers[0]
            .downcast::<String, u64>()
            .expect("a table of strings to u64");
        table.insert(key, value)
    }

    /// Gives the inherited table to `to` (back to a restarted owner).
    #[call]
    pub fn give_back(&self, to: AnyServer) -> Result<(), TableError> {
        let table = self.transfers[0]
            .downcast::<String, u64>()
            .expect("a table of strings to u64");
        table.give_away(to)
    }

    fn handle_info(&mut self, msg: Info<()>) {
        if let Info::TableTransfer(transfer) = msg {
            self.transfers.push(transfer);
        }
    }
}

async fn keeper(options: Options) -> (Server<Keeper>, Table<String, u64>) {
    let keeper = Keeper::start(options).await.unwrap();
    let table = keeper.table().await.unwrap();
    (keeper, table)
}

async fn heir() -> Server<Heir> {
    Heir::start(Heir {
        transfers: Vec::new(),
    })
    .await
    .unwrap()
}

const WRITE_REFUSED: TableError = TableError::Access {
    access: Access::Protected,
    operation: Operation::Write,
};

// ---- owner and life ----

#[tokio::test]
async fn table_is_deleted_when_its_owner_exits() {
    let (keeper, table) = keeper(Options::access(Access::Protected)).await;
    keeper.insert("a".into(), 1).await.unwrap().unwrap();
    assert_eq!(table.owner(), Some(keeper.id()));
    keeper.stop(ExitReason::Normal).await.unwrap();
    gone(&keeper).await;
    // Once the owner has exited, the table is gone for every handle.
    assert!(table.is_deleted());
    assert_eq!(table.owner(), None);
    assert_eq!(table.get("a"), Err(TableError::Deleted));
}

#[tokio::test]
async fn table_is_deleted_when_its_owner_crashes() {
    let (keeper, table) = keeper(Options::access(Access::Public)).await;
    table.insert("a".into(), 1).unwrap();
    keeper.crash();
    gone(&keeper).await;
    assert_eq!(table.len(), Err(TableError::Deleted));
}

#[tokio::test]
async fn heir_receives_the_table_through_handle_info() {
    let heir = heir().await;
    let (keeper, table) = keeper(Options::heir(&heir)).await;
    keeper.insert("a".into(), 1).await.unwrap().unwrap();
    keeper.crash();
    gone(&keeper).await;
    // The transfer was queued before the owner counted as gone.
    let transfers = heir.transfers().await.unwrap();
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0].from(), keeper.id());
    assert_eq!(transfers[0].table().id(), table.id());
    // The heir owns the table now, entries and all.
    assert!(!table.is_deleted());
    assert_eq!(table.owner(), Some(heir.id()));
    assert_eq!(table.get("a"), Ok(Some(1)));
    heir.insert("b".into(), 2).await.unwrap().unwrap();
    assert_eq!(table.get("b"), Ok(Some(2)));
    // And the former owner's rights are gone with it: others still cannot write.
    assert_eq!(table.insert("c".into(), 3), Err(WRITE_REFUSED));
}

#[tokio::test]
async fn a_transferred_table_downcasts_only_to_its_own_types() {
    let heir = heir().await;
    let (keeper, table) = keeper(Options::heir(&heir)).await;
    keeper.stop(ExitReason::Normal).await.unwrap();
    gone(&keeper).await;
    let transfer = heir.transfers().await.unwrap().remove(0);
    let any: &AnyTable = transfer.table();
    assert!(any.downcast::<String, i64>().is_none());
    assert!(any.downcast::<u64, u64>().is_none());
    assert_eq!(any.downcast::<String, u64>(), Some(table));
}

#[tokio::test]
async fn a_table_whose_heir_is_gone_is_deleted() {
    let heir = heir().await;
    let (keeper, table) = keeper(Options::heir(&heir)).await;
    heir.stop(ExitReason::Normal).await.unwrap();
    gone(&heir).await;
    keeper.stop(ExitReason::Normal).await.unwrap();
    gone(&keeper).await;
    assert!(table.is_deleted());
    assert_eq!(table.get("a"), Err(TableError::Deleted));
}

#[tokio::test]
async fn an_inherited_table_is_deleted_when_the_heir_exits() {
    let heir = heir().await;
    let (keeper, table) = keeper(Options::heir(&heir)).await;
    keeper.stop(ExitReason::Normal).await.unwrap();
    gone(&keeper).await;
    assert_eq!(table.owner(), Some(heir.id()));
    heir.stop(ExitReason::Normal).await.unwrap();
    gone(&heir).await;
    assert!(table.is_deleted());
}

#[tokio::test]
async fn the_owner_names_an_heir_after_creating_the_table() {
    let heir = heir().await;
    let (keeper, table) = keeper(Options::access(Access::Protected)).await;
    // Only the owner may name the heir.
    assert_eq!(
        table.set_heir(Some(AnyServer::from(&heir))),
        Err(TableError::NotOwner)
    );
    keeper
        .set_heir(Some(AnyServer::from(&heir)))
        .await
        .unwrap()
        .unwrap();
    keeper.stop(ExitReason::Normal).await.unwrap();
    gone(&keeper).await;
    assert_eq!(table.owner(), Some(heir.id()));
    assert_eq!(heir.transfers().await.unwrap().len(), 1);
}

#[tokio::test]
async fn only_the_owner_deletes_a_table() {
    let heir = heir().await;
    let (keeper, table) = keeper(Options::heir(&heir)).await;
    assert_eq!(table.delete(), Err(TableError::NotOwner));
    assert!(!table.is_deleted());
    keeper.delete().await.unwrap().unwrap();
    assert!(table.is_deleted());
    assert_eq!(
        keeper.lookup("a".into()).await.unwrap(),
        Err(TableError::Deleted)
    );
    // A deleted table goes to no heir when its owner exits later.
    keeper.stop(ExitReason::Normal).await.unwrap();
    gone(&keeper).await;
    assert!(heir.transfers().await.unwrap().is_empty());
}

#[tokio::test]
async fn reading_a_deleted_table_is_a_typed_error() {
    let (keeper, table) = keeper(Options::access(Access::Public)).await;
    table.insert("a".into(), 1).unwrap();
    keeper.stop(ExitReason::Normal).await.unwrap();
    gone(&keeper).await;
    let deleted = TableError::Deleted;
    assert_eq!(table.get("a").unwrap_err(), deleted);
    assert_eq!(table.get_with("a", |v| *v).unwrap_err(), deleted);
    assert_eq!(table.contains_key("a").unwrap_err(), deleted);
    assert_eq!(table.len().unwrap_err(), deleted);
    assert_eq!(table.is_empty().unwrap_err(), deleted);
    assert_eq!(table.keys().unwrap_err(), deleted);
    assert_eq!(table.to_vec().unwrap_err(), deleted);
    assert_eq!(table.select(|_, v| Some(*v)).unwrap_err(), deleted);
    assert_eq!(table.for_each(|_, _| {}).unwrap_err(), deleted);
    assert_eq!(table.insert("b".into(), 2).unwrap_err(), deleted);
    assert_eq!(table.insert_new("b".into(), 2).unwrap_err(), deleted);
    assert_eq!(table.remove("a").unwrap_err(), deleted);
    assert_eq!(table.take("a").unwrap_err(), deleted);
    assert_eq!(table.update("a".into(), |v| v + 1).unwrap_err(), deleted);
    assert_eq!(table.update_counter("a".into(), 1, 0).unwrap_err(), deleted);
    assert_eq!(table.clear().unwrap_err(), deleted);
    assert_eq!(table.delete().unwrap_err(), deleted);
    assert_eq!(table.set_heir(None).unwrap_err(), deleted);
    assert_eq!(
        TableError::Deleted.to_string(),
        "the table has been deleted"
    );
}

/// Owns a public table of values whose drops can be counted.
pub struct Dropper {
    table: Table<u64, Arc<()>>,
}

#[gen_server]
impl Dropper {
    fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, String> {
        Ok(Dropper {
            table: Table::builder().access(Access::Public).create(ctx),
        })
    }

    #[call]
    pub fn table(&self) -> Table<u64, Arc<()>> {
        self.table.clone()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn a_deleted_table_frees_its_entries() {
    let owner = Dropper::start(()).await.unwrap();
    let table = owner.table().await.unwrap();
    let value = Arc::new(());
    for key in 0..100 {
        table.insert(key, value.clone()).unwrap();
    }
    assert_eq!(Arc::strong_count(&value), 101);
    owner.stop(ExitReason::Normal).await.unwrap();
    gone(&owner).await;
    // The handle is still held; the entries are not.
    assert!(table.is_deleted());
    assert_eq!(Arc::strong_count(&value), 1);
}

#[tokio::test]
async fn a_table_lives_on_without_handles_until_its_owner_exits() {
    let heir = heir().await;
    let (keeper, table) = keeper(Options::heir(&heir)).await;
    keeper.insert("a".into(), 1).await.unwrap().unwrap();
    let id = table.id();
    drop(table);
    // The owner's own handle is dropped too once it exits; the heir still
    // gets the table with its entries.
    keeper.stop(ExitReason::Normal).await.unwrap();
    gone(&keeper).await;
    let table = heir.transfers().await.unwrap()[0]
        .downcast::<String, u64>()
        .unwrap();
    assert_eq!(table.id(), id);
    assert_eq!(table.get("a"), Ok(Some(1)));
}

// ---- access ----

#[tokio::test]
async fn protected_table_rejects_writes_from_other_tasks() {
    let (keeper, table) = keeper(Options::access(Access::Protected)).await;
    assert_eq!(table.access(), Access::Protected);
    keeper.insert("a".into(), 1).await.unwrap().unwrap();
    // Every task reads.
    assert_eq!(table.get("a"), Ok(Some(1)));
    let reader = table.clone();
    let read = within(
        Duration::from_secs(5),
        "a read from another task",
        async move { tokio::spawn(async move { reader.get("a") }).await.unwrap() },
    )
    .await;
    assert_eq!(read, Ok(Some(1)));
    // Only the owner writes.
    assert_eq!(table.insert("b".into(), 2), Err(WRITE_REFUSED));
    assert_eq!(table.insert_new("b".into(), 2), Err(WRITE_REFUSED));
    assert_eq!(table.remove("a"), Err(WRITE_REFUSED));
    assert_eq!(table.update_counter("a".into(), 1, 0), Err(WRITE_REFUSED));
    assert_eq!(table.clear(), Err(WRITE_REFUSED));
    assert_eq!(table.get("a"), Ok(Some(1)));
    assert_eq!(table.get("b"), Ok(None));
    assert_eq!(
        WRITE_REFUSED.to_string(),
        "only the owner may write a protected table"
    );
}

#[tokio::test]
async fn private_table_rejects_reads_from_other_tasks() {
    let (keeper, table) = keeper(Options::access(Access::Private)).await;
    keeper.insert("a".into(), 1).await.unwrap().unwrap();
    assert_eq!(keeper.lookup("a".into()).await.unwrap(), Ok(Some(1)));
    let refused = TableError::Access {
        access: Access::Private,
        operation: Operation::Read,
    };
    assert_eq!(table.get("a"), Err(refused));
    assert_eq!(table.len(), Err(refused));
    assert_eq!(table.select(|_, v| Some(*v)), Err(refused));
    assert_eq!(
        table.insert("b".into(), 2),
        Err(TableError::Access {
            access: Access::Private,
            operation: Operation::Write,
        })
    );
}

#[tokio::test]
async fn public_table_accepts_reads_and_writes_from_any_task() {
    let (keeper, table) = keeper(Options::access(Access::Public)).await;
    table.insert("a".into(), 1).unwrap();
    let writer = table.clone();
    within(
        Duration::from_secs(5),
        "a write from another task",
        async move {
            tokio::spawn(async move { writer.insert("b".into(), 2) })
                .await
                .unwrap()
        },
    )
    .await
    .unwrap();
    assert_eq!(keeper.lookup("b".into()).await.unwrap(), Ok(Some(2)));
    assert_eq!(table.get("a"), Ok(Some(1)));
}

#[tokio::test]
async fn a_task_spawned_by_the_owner_is_not_the_owner() {
    let (keeper, table) = keeper(Options::access(Access::Protected)).await;
    assert_eq!(
        keeper
            .insert_from_a_spawned_task("a".into(), 1)
            .await
            .unwrap(),
        Err(WRITE_REFUSED)
    );
    assert_eq!(table.get("a"), Ok(None));
}

// ---- operations ----

#[tokio::test]
async fn insert_new_inserts_only_if_absent() {
    let (_keeper, table) = keeper(Options::access(Access::Public)).await;
    assert_eq!(table.insert_new("a".into(), 1), Ok(true));
    assert_eq!(table.insert_new("a".into(), 2), Ok(false));
    assert_eq!(table.get("a"), Ok(Some(1)));
    // `insert` replaces.
    table.insert("a".into(), 3).unwrap();
    assert_eq!(table.get("a"), Ok(Some(3)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_new_has_one_winner_among_racing_writers() {
    let (_keeper, table) = keeper(Options::access(Access::Public)).await;
    let racers: Vec<_> = (0..16)
        .map(|i| {
            let table = table.clone();
            tokio::spawn(async move { table.insert_new("key".into(), i).unwrap() })
        })
        .collect();
    let mut winners = 0;
    for racer in racers {
        if within(Duration::from_secs(5), "a racer", racer)
            .await
            .unwrap()
        {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn lookups_take_borrowed_keys() {
    let (_keeper, table) = keeper(Options::access(Access::Public)).await;
    table.insert("tea".to_string(), 3).unwrap();
    let key: &str = "tea";
    assert_eq!(table.get(key), Ok(Some(3)));
    assert_eq!(table.get_with(key, |v| v * 2), Ok(Some(6)));
    assert_eq!(table.contains_key(key), Ok(true));
    assert_eq!(table.take(key), Ok(Some(3)));
    assert_eq!(table.remove(key), Ok(false));
    assert_eq!(table.get(key), Ok(None));
}

#[tokio::test]
async fn remove_and_take_delete_one_entry() {
    let (_keeper, table) = keeper(Options::access(Access::Public)).await;
    table.insert("a".into(), 1).unwrap();
    table.insert("b".into(), 2).unwrap();
    assert_eq!(table.remove("a"), Ok(true));
    assert_eq!(table.remove("a"), Ok(false));
    assert_eq!(table.take("b"), Ok(Some(2)));
    assert_eq!(table.take("b"), Ok(None));
    assert_eq!(table.is_empty(), Ok(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_counter_is_atomic_under_concurrent_writers() {
    let (_keeper, table) = keeper(Options::access(Access::Public)).await;
    const WRITERS: u64 = 8;
    const EACH: u64 = 2_000;
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let table = table.clone();
            tokio::spawn(async move {
                for n in 0..EACH {
                    table.update_counter("hits".into(), 1, 0).unwrap();
                    if n % 64 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        within(Duration::from_secs(10), "a writer", writer)
            .await
            .unwrap();
    }
    assert_eq!(table.get("hits"), Ok(Some(WRITERS * EACH)));
}

#[tokio::test]
async fn update_counter_starts_from_the_default_and_refuses_to_overflow() {
    let (_keeper, table) = keeper(Options::access(Access::Public)).await;
    assert_eq!(table.update_counter("n".into(), 5, 10), Ok(15));
    assert_eq!(table.update_counter("n".into(), 5, 10), Ok(20));
    table.insert("max".into(), u64::MAX - 1).unwrap();
    assert_eq!(table.update_counter("max".into(), 1, 0), Ok(u64::MAX));
    assert_eq!(
        table.update_counter("max".into(), 1, 0),
        Err(TableError::Overflow)
    );
    assert_eq!(table.get("max"), Ok(Some(u64::MAX)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_is_atomic_under_concurrent_writers() {
    let (_keeper, table) = keeper(Options::access(Access::Public)).await;
    table.insert("n".into(), 0).unwrap();
    // Absent keys are left alone.
    assert_eq!(table.update("absent".into(), |v| v + 1), Ok(None));
    assert_eq!(table.get("absent"), Ok(None));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let table = table.clone();
            tokio::spawn(async move {
                for _ in 0..1_000 {
                    table.update("n".into(), |v| v + 1).unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        within(Duration::from_secs(10), "a writer", writer)
            .await
            .unwrap();
    }
    assert_eq!(table.get("n"), Ok(Some(4_000)));
}

#[tokio::test]
async fn select_keeps_what_the_closure_returns() {
    let (_keeper, table) = keeper(Options::access(Access::Public)).await;
    for (i, name) in ["a", "b", "c", "d"].into_iter().enumerate() {
        table.insert(name.into(), i as u64).unwrap();
    }
    let mut even = table
        .select(|k, v| (v % 2 == 0).then(|| k.clone()))
        .unwrap();
    even.sort();
    assert_eq!(even, ["a", "c"]);
    assert_eq!(table.len(), Ok(4));
    let mut keys = table.keys().unwrap();
    keys.sort();
    assert_eq!(keys, ["a", "b", "c", "d"]);
    let mut entries = table.to_vec().unwrap();
    entries.sort();
    assert_eq!(entries[3], ("d".to_string(), 3));
    let mut sum = 0;
    table.for_each(|_, v| sum += v).unwrap();
    assert_eq!(sum, 6);
    table.clear().unwrap();
    assert_eq!(table.is_empty(), Ok(true));
}

#[test]
fn tables_are_send_sync_and_cheap_to_clone() {
    fn send_sync<T: Send + Sync + Clone + 'static>() {}
    send_sync::<Table<String, u64>>();
    send_sync::<AnyTable>();
    send_sync::<TableTransfer>();
    send_sync::<TableError>();
}

// ---- give_away ----

#[tokio::test]
async fn give_away_makes_the_receiver_the_owner_and_tells_it() {
    let (keeper, table) = keeper(Options::access(Access::Protected)).await;
    keeper.insert("a".into(), 1).await.unwrap().unwrap();
    let receiver = heir().await;
    keeper
        .give_away(AnyServer::from(&receiver))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(table.owner(), Some(receiver.id()));
    let transfers = receiver.transfers().await.unwrap();
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0].from(), keeper.id());
    // The receiver writes now; the giver no longer may.
    receiver.insert("b".into(), 2).await.unwrap().unwrap();
    assert_eq!(
        keeper.insert("c".into(), 3).await.unwrap(),
        Err(WRITE_REFUSED)
    );
    // The table lives as long as its new owner, not the old one.
    keeper.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(table.get("b"), Ok(Some(2)));
    receiver.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(table.get("b"), Err(TableError::Deleted));
}

/// The reason ETS has `give_away`: an heir keeps the table while its
/// owner restarts, then hands it to the new owner.
#[tokio::test]
async fn an_heir_gives_the_table_back_to_the_restarted_owner() {
    let keeper_heir = heir().await;
    let (first, table) = keeper(Options::heir(&keeper_heir)).await;
    first.insert("kept".into(), 7).await.unwrap().unwrap();
    first.crash();
    gone(&first).await;
    assert_eq!(table.owner(), Some(keeper_heir.id()));
    let (second, _) = keeper(Options::access(Access::Protected)).await;
    keeper_heir
        .give_back(AnyServer::from(&second))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(table.owner(), Some(second.id()));
    assert_eq!(table.get("kept"), Ok(Some(7)));
    second.stop(ExitReason::Normal).await.unwrap();
}

#[tokio::test]
async fn give_away_to_itself_or_a_dead_server_or_by_another_task_is_refused() {
    let (keeper, table) = keeper(Options::access(Access::Public)).await;
    let itself = AnyServer::from(&keeper);
    assert_eq!(
        keeper.give_away(itself).await.unwrap(),
        Err(TableError::BadReceiver)
    );
    let dead = heir().await;
    dead.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(
        keeper.give_away(AnyServer::from(&dead)).await.unwrap(),
        Err(TableError::BadReceiver)
    );
    // Public access lets anyone write, not give the table away.
    let other = heir().await;
    assert_eq!(
        table.give_away(AnyServer::from(&other)),
        Err(TableError::NotOwner)
    );
    assert_eq!(table.owner(), Some(keeper.id()));
    keeper.stop(ExitReason::Normal).await.unwrap();
}

/// Owns a table created under a name in `init` (ETS's `named_table`).
pub struct NamedOwner;

#[gen_server]
impl NamedOwner {
    fn init(name: &'static str, ctx: &mut Context<Self>) -> Result<Self, String> {
        let table = Table::builder()
            .create_named(name, ctx)
            .map_err(|e| e.to_string())?;
        table
            .insert("started".to_string(), 1u64)
            .map_err(|e| e.to_string())?;
        Ok(NamedOwner)
    }

    #[cast]
    pub fn crash(&self) {
        panic!("the table's owner crashed")
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// A reader by name keeps reading across its owner's restarts: the
/// restarted owner's new table under the same name.
#[tokio::test]
async fn a_named_table_is_found_again_after_its_owner_restarts() {
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(10, Duration::from_secs(5))
        .child(NamedOwner::child_spec("named-table-restarts").with_name("named-table-owner"));
    let sup = Supervisor::start(spec).await.unwrap();
    let readers: NamedTable<String, u64> = NamedTable::new("named-table-restarts");
    let owner: Named<NamedOwner> = Named::new("named-table-owner");
    for round in 0..5u64 {
        let table = readers.current().unwrap();
        assert_eq!(readers.get("started"), Ok(Some(1)), "round {round}");
        // Protected: only the owner writes, through the name too.
        assert!(matches!(
            readers.insert("reader".into(), round),
            Err(TableError::Access { .. })
        ));
        let before = owner.whereis().unwrap();
        owner.crash();
        gone(&before).await;
        assert!(table.is_deleted(), "the table died with its owner");
        within(LIMIT, "the restarted owner's table", async {
            loop {
                match readers.current() {
                    Ok(next) if next != table => return,
                    Ok(_) => panic!("a deleted table was found by name"),
                    Err(TableError::NotFound) => tokio::task::yield_now().await,
                    Err(other) => panic!("{other}"),
                }
            }
        })
        .await;
    }
    assert_eq!(readers.get("started"), Ok(Some(1)));
    assert_eq!(readers.len(), Ok(1));
    sup.stop(ExitReason::Shutdown).await.unwrap();
    assert_eq!(readers.get("started"), Err(TableError::NotFound));
}

#[tokio::test]
async fn a_table_name_is_held_by_one_live_table_and_freed_when_it_is_deleted() {
    let first = NamedOwner::start("named-table-once").await.unwrap();
    // A second owner under the same name does not start.
    match NamedOwner::start("named-table-once").await {
        Err(StartError::Init(error)) => assert_eq!(error, TableError::NameTaken.to_string()),
        other => panic!("{other:?}"),
    }
    // Keys and values of other types: not this table.
    let other_types: NamedTable<u64, String> = NamedTable::new("named-table-once");
    assert_eq!(other_types.len(), Err(TableError::NotFound));
    first.stop(ExitReason::Normal).await.unwrap();
    let again = NamedOwner::start("named-table-once").await.unwrap();
    let by_name: NamedTable<String, u64> = NamedTable::new("named-table-once");
    assert_eq!(by_name.get("started"), Ok(Some(1)));
    again.stop(ExitReason::Normal).await.unwrap();
}
