//! What the mocks `#[gen_server]` writes run on (with this feature, every
//! server `Counter` gets a `CounterMock` beside its `CounterClient`, and a
//! `CounterCast` enum of its casts).
//!
//! ```text
//!  CounterMock ── start() ──▶ a stand-in Server<Counter>  (server/stand_in.rs)
//!       │                          │ each call or cast, opened by the generated dispatch
//!       ├─ on_increment(f) ──▶ Script slot 0 ◀── a call: `reply.reply(f(by))`
//!       └─ inbox ◀──────────────────────────── a cast: `CounterCast::Reset` recorded
//! ```
//!
//! Only the generated dispatch can open a message (its type is sealed in
//! the expansion), so a mock answers the same messages the server would,
//! and no test can build one. Not public API: the generated code names it
//! through `__private`.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::info::Info;
use crate::naming::{self, Name, Taken};
use crate::server::Server;
use crate::server::error::StartError;
use crate::server::gen_server::GenServer;
use crate::server::stand_in;
use crate::testing::inbox::Inbox;

/// What a mock answers with: one slot per call handler, each holding the
/// test's closure, boxed twice (as its own type, then as `Any`).
pub struct Script {
    server: &'static str,
    slots: Vec<Mutex<Option<Box<dyn Any + Send>>>>,
}

impl Script {
    fn new(server: &'static str, handlers: usize) -> Self {
        Script {
            server,
            slots: (0..handlers).map(|_| Mutex::new(None)).collect(),
        }
    }

    fn slot(&self, index: usize) -> MutexGuard<'_, Option<Box<dyn Any + Send>>> {
        self.slots[index].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs the closure scripted for handler `index` (of type `F`); the
    /// mock crashes, telling which `on_..` is missing, when there is none.
    ///
    /// # Panics
    ///
    /// When nothing is scripted for the handler: the mock crashes, as a
    /// server whose handler panicked.
    pub fn run<F: Any, R>(
        &self,
        index: usize,
        handler: &'static str,
        call: impl FnOnce(&mut F) -> R,
    ) -> R {
        // Out of its slot while it runs, so it may script the mock again.
        let taken = self.slot(index).take();
        let Some(mut boxed) = taken else {
            panic!(
                "{}Mock: `{handler}` was called, but no reply is scripted: call `on_{handler}(..)` first",
                self.server
            );
        };
        let f = boxed
            .downcast_mut::<F>()
            .unwrap_or_else(|| unreachable!("a slot holds the closure type of its handler"));
        let reply = call(f);
        let mut slot = self.slot(index);
        if slot.is_none() {
            *slot = Some(boxed);
        }
        reply
    }
}

impl fmt::Debug for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Script")
            .field("server", &self.server)
            .field("handlers", &self.slots.len())
            .finish()
    }
}

/// Implemented by nothing: what a mock's `on_<cast>` asks of its argument,
/// so that scripting a cast is one compile error that says what to do
/// instead: a mock records the casts it receives, for
/// [`assert_receive!`](crate::assert_receive).
#[diagnostic::on_unimplemented(
    message = "a cast has no reply to script: a mock records each cast it receives",
    label = "`on_..` scripts the reply of a `#[call]`",
    note = "assert on a recorded cast with `assert_receive!(mock, <Server>Cast::<Handler>(..))`"
)]
pub trait CastIsRecorded {}

type OnInfo<I> = Arc<Mutex<Option<Box<dyn FnMut(Info<I>) + Send>>>>;

/// A running mock of a `T`, whose casts are recorded as `C`s.
pub struct MockCore<T: GenServer, C> {
    server: Server<T>,
    script: Arc<Script>,
    casts: Arc<Inbox<C>>,
    on_info: OnInfo<T::Info>,
}

impl<T: GenServer, C: Send + 'static> MockCore<T, C> {
    /// Starts the stand-in: `dispatch` (generated) opens each message.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn start(handlers: usize, dispatch: fn(T::Message, &Script, &Inbox<C>)) -> Self {
        let script = Arc::new(Script::new(T::NAME, handlers));
        let casts = Arc::new(Inbox::default());
        let on_info: OnInfo<T::Info> = Arc::default();
        let server = {
            let (script, casts, on_info) = (script.clone(), casts.clone(), on_info.clone());
            stand_in::start::<T>(
                T::__default_mailbox(),
                move |message| dispatch(message, &script, &casts),
                move |info| {
                    let mut on_info = on_info.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(f) = on_info.as_mut() {
                        f(info);
                    }
                },
            )
        };
        MockCore {
            server,
            script,
            casts,
            on_info,
        }
    }

    /// Starts the stand-in under `name`.
    ///
    /// # Errors
    ///
    /// The name is taken or not valid, as for a start.
    pub fn start_named(
        handlers: usize,
        dispatch: fn(T::Message, &Script, &Inbox<C>),
        name: Name,
    ) -> Result<Self, StartError<T>> {
        let core = Self::start(handlers, dispatch);
        if let Err(taken) = naming::register(&name, &core.server) {
            core.server
                .handle()
                .process()
                .kill(crate::ExitReason::Killed);
            return Err(match taken {
                Taken::SameType(holder) => StartError::AlreadyStarted(holder),
                Taken::OtherType { name, holder } => StartError::NameTaken { name, holder },
                Taken::Invalid { name, reason } => StartError::InvalidName { name, reason },
            });
        }
        Ok(core)
    }

    /// The mock's server: a `Server<T>` like any other.
    pub fn server(&self) -> Server<T> {
        self.server.clone()
    }

    /// Scripts handler `index` with `f` (of the closure type its dispatch
    /// runs).
    pub fn script<F: Any + Send>(&self, index: usize, f: F) {
        *self.script.slot(index) = Some(Box::new(f));
    }

    /// What the mock does with info messages and signals (nothing
    /// without it).
    pub fn on_info(&self, f: impl FnMut(Info<T::Info>) + Send + 'static) {
        *self.on_info.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(f));
    }

    /// The casts received so far.
    pub fn casts(&self) -> &Inbox<C> {
        &self.casts
    }
}

impl<T: GenServer, C> fmt::Debug for MockCore<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mock")
            .field("server", &self.server)
            .field("casts", &self.casts.len())
            .finish()
    }
}
