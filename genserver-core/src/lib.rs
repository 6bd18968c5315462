//! Elixir's GenServer on tokio.
//!
//! Put `#[gen_server]` on the impl block of a plain state struct and it
//! becomes a server: the macro writes the message type, the dispatch and a
//! typed client API, so callers never build a message by hand.
//!
//! ```
//! use genserver_core::prelude::*;
//!
//! pub struct Counter {
//!     value: i64,
//! }
//!
//! #[gen_server]
//! impl Counter {
//!     /// Adds `by` and returns the new value.
//!     #[call]
//!     pub fn increment(&mut self, by: i64) -> i64 {
//!         self.value += by;
//!         self.value
//!     }
//!
//!     /// Back to zero; fire-and-forget.
//!     #[cast]
//!     pub fn reset(&mut self) {
//!         self.value = 0;
//!     }
//!
//!     fn handle_info(&mut self, msg: Info<()>) {
//!         tracing::debug!(?msg, "ignored");
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let counter: Server<Counter> = Counter::start(Counter { value: 0 }).await?;
//! assert_eq!(counter.increment(2).await?, 2);
//! counter.reset();
//! assert_eq!(counter.increment(1).await?, 1);
//! counter.stop(ExitReason::Normal).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # The DSL
//!
//! - `#[call]` marks a handler whose caller waits for the reply (default
//!   timeout 5 s); `#[cast]` one that is fire-and-forget. Names are free.
//! - `init`, `handle_continue`, `handle_info`, `terminate` and
//!   `format_status` (what inspection and crash reports show of the state)
//!   are recognised by name. `handle_info` is mandatory.
//! - Any handler takes `&self` or `&mut self`, may be `async`, and may end
//!   with `ctx: &mut Context<Self>`. Arguments are owned: they cross a channel.
//! - A call taking a [`ReplyTo<T>`] and returning `()` replies later, from
//!   anywhere (`GenServer.reply/2`).
//! - A client method takes its handler's visibility: a private handler's
//!   client method is private to the impl block's module, a `pub(crate)`
//!   one is crate-wide. `#[call(pub)]` / `#[cast(pub(crate))]` give the
//!   client method its own visibility, so the handler can stay private
//!   while callers elsewhere reach it through the client.
//! - What crosses into the server's task (the state, arguments, replies,
//!   info messages) must be `Send`; an `async` handler's future too.
//! - Options, any of them, comma-separated:
//!   - `info = M`: the server's own info message type, delivered as
//!     `Info::Message(M)`. Without it, the `M` of `handle_info`'s `Info<M>`
//!     is the type (`()` for `Info<()>`);
//!   - `mailbox = expr`: the [`Mailbox`] every start gets unless it sets
//!     one, e.g. `mailbox = Mailbox::bounded(1024)`;
//!   - `remote` (feature `remote`): a serde wire form of the calls and
//!     casts, so that a transport such as `genserver-nats` can serve the
//!     server to other nodes; only these servers carry serde bounds;
//!   - `crate = path`: where this crate is, when it is renamed.
//!
//! # Reading what the macro wrote
//!
//! `cargo expand` shows the generated code: a `CounterClient` type holding
//! the client methods (with your doc comments), the private message enum,
//! and `impl GenServer for Counter`.
//!
//! # One server
//!
//! [`Server<T>`](Server) is the handle; [`Context`] is what a callback can
//! do besides changing the state (stop, timers, idle timeouts, monitors,
//! links); [`ReplyTo`] answers a call later. A server handles one message
//! at a time: an `async` handler holds the server while it awaits, as in
//! OTP, so hand slow work to a task: `ctx.spawn(..)` delivers its output
//! to `handle_info`, `ctx.reply_from_task(reply, ..)` answers a call with
//! it, and both die with the server (see [`Context`], "Tasks").
//!
//! Its mailbox has two lanes: calls, casts, `server.send(..)`, task
//! results and the signals of other servers (exit signals, monitors'
//! `Down`) queue in order on the user lane, so a `Down` never overtakes
//! what its server sent before it died (OTP's signal order); stop requests
//! and the server's own timers take the priority lane, which overtakes
//! queued user messages (OTP 28's priority messages), so a `stop` reaches
//! a server behind any backlog. [`Server::mailbox_len`] tells the backlog.
//!
//! # Naming
//!
//! A local name (`T::start(..).name("x")`, found with [`whereis`]) or a
//! [`Registry`] key (`.name(registry.via(key))`) names a server until it
//! exits. A registry with duplicate keys is a pub/sub table.
//!
//! # Supervision
//!
//! [`Supervisor`] and [`DynamicSupervisor`] start children from
//! [`ChildSpec`]s (every server gets `T::child_spec(args)`), restart them by
//! [`Strategy`] and [`Restart`] type within a restart intensity, and stop
//! them in reverse order. [`TaskSupervisor`] supervises tasks that belong
//! to no server (Elixir's `Task.Supervisor`). Servers link with `ctx.link(..)` or
//! `T::start(..).link(..)`. A handle to a supervised child is stale once the
//! child is restarted: find children by name or through a registry.
//!
//! # Tables
//!
//! A [`Table`] is ETS: a concurrent map owned by a server (created in its
//! `init`), read from any task without a message, private, protected or
//! public, deleted with its owner or handed to an heir.
//!
//! # Failure
//!
//! A panic in a callback ends that server only: `terminate` runs (a panic
//! there replaces the reason), waiting callers and every caller queued
//! behind them get [`CallError::Exited`] with [`ExitReason::Panic`] once
//! it has run (never their timeout), one crash report naming the server
//! and the handler is logged at error level, and monitors receive
//! [`Info::Down`].
//!
//! # Beyond one machine
//!
//! A server that opts in with `#[gen_server(remote)]` (feature `remote`)
//! gets a serde wire form of its calls and casts (`RemoteServer`); a
//! transport (the `genserver-nats` crate) serves it to other nodes, where a
//! [`Remote<T>`](Remote) handle dereferences to the same generated client.
//! Only opted-in servers carry serde bounds; the others compile as before.
//! A transport plugs in through one module, `transport` (feature
//! `remote`), for transport crates only: it reaches remote servers through
//! a `RemoteTarget`, and tells a local server that a remote one exited
//! only through the end of a monitor or link that the core handed out
//! (`MonitorEnd`, `LinkEnd`); no handle delivers an exit signal or a
//! `Down` by itself.
//!
//! # Feature flags
//!
//! - `signal` (on by default): [`Application`] stops on ctrl-c and SIGTERM
//!   (tokio's `signal`). Without it, an application stops only through
//!   [`Application::shutdown_on`] or when its tree gives up.
//! - `remote`: `#[gen_server(remote)]` and the traits a transport uses
//!   (`RemoteServer`, `Codec`; serde for the servers that opt in), and the
//!   `transport` module, the seam for transport crates (it may change in
//!   minor releases). Turned on by `genserver-nats`; a program on one
//!   machine does without.
//! - `testing`, for `[dev-dependencies]`: the test kit (the `testing`
//!   module: servers started for one test and stopped after it, probes and
//!   `assert_receive!`, injected faults, crash storms) and a typed mock
//!   of every server, `CounterMock`, which `#[gen_server]` writes only
//!   with this feature. It adds one flag check per message to the server
//!   loop; without it, nothing.
//! - `metrics`: counters, gauges and histograms through the `metrics`
//!   crate's facade, once `metrics::enable()` is called (the `metrics`
//!   module lists the names and labels); nothing per message until then.
//! - `serde` (turned on by `remote`): `Serialize`/`Deserialize` for
//!   [`ExitReason`] and the configuration types, `Serialize` for
//!   [`ServerId`] and what [`sys`] reports, for a dashboard or a log.
//!
//! # Seeing inside
//!
//! [`sys`] is OTP's `:sys` and observer's process list: every handle has
//! `.sys()` (its state, typed, its [`Status`](sys::Status), suspend and
//! resume), and [`sys::processes`] lists every live server with what it
//! publishes (mailbox, messages handled, the handler running now), read
//! without asking the servers anything.
//!
//! # Naming conventions
//!
//! One rule for every public type (the whole of it, with the reasons, is
//! `docs/api.md` in the repository):
//!
//! - A getter is the plain noun, without `get_`: [`ChildSpec::id`],
//!   [`Mailbox::overflow`], [`Server::timeout`], [`Server::dropped`].
//! - A type that reads back what it sets (a value kept after it is
//!   configured, or a handle) sets with `with_*`, returning the changed
//!   value: [`ChildSpec::with_id`], [`Mailbox::with_overflow`],
//!   [`PartitionSupervisor::with_partitions`], [`Server::with_timeout`].
//!   One type uses one form for all its setters.
//! - A builder used once, consumed by the call that ends it, and with
//!   nothing to read back, names its setters by the bare noun, as std's
//!   `Command::arg` and `thread::Builder::name`: [`Start`]
//!   (`T::start(..).name("x")`, awaited), [`SupervisorSpec::child`],
//!   [`DynamicSupervisorSpec`], [`TaskSupervisorSpec`], [`TableBuilder`],
//!   [`Application`]; so does [`Backoff::reset_after`].
//! - `with_*` without `self` is a constructor, as `Vec::with_capacity`:
//!   [`Registry::with_partitions`]. `set_*` changes shared state in place
//!   through `&self`: [`Table::set_heir`], [`Context::set_idle_timeout`].
//! - Casts: for a `#[cast] fn x`, the client has `x(..)`
//!   (fire-and-forget, never waits; a full mailbox follows its
//!   [`Overflow`] policy), `try_x(..)` and `x_wait(..)`. The prefix `try_`
//!   means it does not wait: [`MailboxFull`] at once on a full mailbox. The
//!   suffix `_wait` means it waits for room, up to the handle's timeout.
//!   Any later variant follows the same two affixes.
//!
//! # Behaviour reference
//!
//! `docs/behaviour.md` in the repository lists every OTP behaviour this
//! crate follows, how it maps to Rust, and the test that checks it.

#![warn(missing_docs, missing_debug_implementations)]
#![warn(clippy::missing_errors_doc, clippy::missing_panics_doc)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod chain;
pub mod checks;
mod exit_reason;
mod id;
mod id_map;
mod info;
mod lock;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod metrics;
mod naming;
mod private_support;
mod remote;
mod server;
mod supervision;
pub mod sys;
mod table;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod throttle;
#[cfg(feature = "remote")]
#[cfg_attr(docsrs, doc(cfg(feature = "remote")))]
pub mod transport;

pub use exit_reason::ExitReason;
#[doc = include_str!("../docs/gen_server.md")]
pub use genserver_macros::gen_server;
pub use genserver_macros::{call, cast};
pub use id::{MonitorRef, ServerId, TaskId};
pub use info::Info;
pub use naming::get_or_start::GetOrStartError;
pub use naming::named::Named;
pub use naming::registry::{BorrowedKey, Keys, RegisterError, Registry};
pub use naming::{Name, whereis};
#[cfg(feature = "remote")]
#[cfg_attr(docsrs, doc(cfg(feature = "remote")))]
pub use remote::{Codec, RemoteServer};
pub use remote::{Remote, WireError};
pub use server::Server;
pub use server::any::AnyServer;
pub use server::call_graph::CallCycle;
pub use server::context::Context;
pub use server::error::{CallError, MailboxFull, StartError, StartFailed};
pub use server::gen_server::{ClientHandle, GenServer};
pub use server::handle::DEFAULT_CALL_TIMEOUT;
pub use server::mailbox_config::{Mailbox, Overflow};
pub use server::panics::install_panic_hook;
pub use server::reply::ReplyTo;
pub use server::start::{Start, StartFuture};
pub use server::tasks::TaskRef;
pub use server::timers::TimerRef;
pub use supervision::application::{Application, ApplicationError, Exit, Running};
pub use supervision::backoff::Backoff;
pub use supervision::child_spec::{ChildKind, ChildSpec, Restart, Shutdown};
pub use supervision::dynamic::{
    DynamicSupervisor, DynamicSupervisorClient, DynamicSupervisorError, DynamicSupervisorSpec,
    RetryPending,
};
pub use supervision::partition::{PartitionSupervisor, ResizeError};
pub use supervision::supervisor::{RetryRestart, Supervisor, SupervisorClient, SupervisorError};
pub use supervision::supervisor_spec::{Strategy, SupervisorSpec};
pub use supervision::task_supervisor::{
    TaskError, TaskHandle, TaskSupervisor, TaskSupervisorClient, TaskSupervisorSpec,
};
pub use supervision::tree::{SupervisionTree, TreeChild};
pub use supervision::{AnyInitError, ChildCount, ChildInfo, ChildStartError, ChildStatus};
pub use table::Table;
pub use table::access::{Access, Operation};
pub use table::builder::TableBuilder;
pub use table::counter::TableCounter;
pub use table::error::TableError;
pub use table::heir::{AnyTable, TableTransfer};
pub use table::id::TableId;
pub use table::named::NamedTable;

/// What a server's module needs: `use genserver_core::prelude::*;`.
///
/// The macro and its attributes, the trait, the handler's context and the
/// types its callbacks take and return, and the handle with its errors.
/// Supervisors, registries, tables and the application runner live at the
/// crate root (`use genserver_core::{Supervisor, SupervisorSpec};`): a
/// program names them in the one place it builds its tree.
pub mod prelude {
    pub use crate::{
        CallError, Context, ExitReason, GenServer, Info, Mailbox, MailboxFull, MonitorRef,
        Overflow, ReplyTo, Server, ServerId, StartError, TaskError, TaskRef, TimerRef, call, cast,
        gen_server,
    };
}

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// The guide to seeing inside a running program, `docs/debugging.md`: its
/// examples run as doctests (`cargo test -p genserver-core --doc`).
#[cfg(doctest)]
#[doc = include_str!("../../docs/debugging.md")]
pub struct DebuggingGuide;
/// The guide to testing servers, `docs/testing.md`: its examples run as
/// doctests (`cargo test -p genserver-core --features testing --doc`).
#[cfg(all(doctest, feature = "testing"))]
#[doc = include_str!("../../docs/testing.md")]
pub struct TestingGuide;
