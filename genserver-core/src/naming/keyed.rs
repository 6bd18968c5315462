//! A handle by registry key that starts its server on a miss:
//! [`Registry::named_or_start`]. One line instead of "get or start, call,
//! retry when the server was gone".
//!
//! ```text
//!  Named<T> (Target::Named) ──▶ Resolver<T> ── holder found ──▶ its mailbox
//!                                   │
//!                                   └─ nobody holds the key ──▶ Starter<T>: get_or_start under the
//!                                       (or its mailbox closed)   DynamicSupervisor, then the message
//! ```
//!
//! A call that never reached a mailbox is sent again: the one built for a
//! miss, and one a closing mailbox handed back (its server was exiting).
//! A call queued to a server that then exits is not sent again: the server
//! may have acted on it, and the message is gone with its mailbox; the
//! caller gets `Exited`, as any caller does. Casts through one handle keep
//! their order: while a start is in flight, they wait for it in a queue.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::exit_reason::ExitReason;
use crate::lock::lock;
use crate::naming::get_or_start::GetOrStartError;
use crate::naming::named::{Named, Resolver};
use crate::naming::registry::Registry;
use crate::server::error::{CallError, MailboxFull, StartFailed};
use crate::server::gen_server::GenServer;
use crate::server::handle::Shared;
use crate::server::mailbox::{Envelope, Lane, SendError};
use crate::server::reply;
use crate::server::start::Start;
use crate::supervision::dynamic::DynamicSupervisorClient;

type StartFuture<T> = Pin<Box<dyn Future<Output = Result<Arc<Shared<T>>, CallError>> + Send>>;

/// How many times a message that reached no mailbox is sent again.
const TRIES: usize = 3;

/// Starts the server of a key on a miss, and holds the casts sent while it
/// starts, in order.
pub(crate) struct Starter<T: GenServer> {
    start: Box<dyn Fn() -> StartFuture<T> + Send + Sync>,
    /// Casts waiting for a start in flight (`Some` while one runs), in the
    /// order they were sent.
    pending: Mutex<Option<VecDeque<Envelope<T>>>>,
}

impl<T: GenServer> Starter<T> {
    /// Delivers a call that reached no mailbox: `dead` is the server whose
    /// mailbox closed on it, if any. Waits at most `timeout` in all.
    pub(crate) async fn call<R>(
        &self,
        resolver: &Resolver<T>,
        mut message: Envelope<T>,
        rx: oneshot::Receiver<Result<R, ExitReason>>,
        timeout: Duration,
        mut dead: Option<Arc<Shared<T>>>,
    ) -> Result<R, CallError> {
        let deadline = Instant::now().checked_add(timeout);
        let left = |deadline: Option<Instant>| {
            deadline.map_or(Duration::MAX, |d| {
                d.saturating_duration_since(Instant::now())
            })
        };
        for _ in 0..TRIES {
            let shared = self.reach(resolver, dead.take(), deadline).await?;
            if shared.calling_self() {
                return Err(CallError::CallingSelf);
            }
            let timeout = match shared.mailbox.try_send(message, Lane::User) {
                Ok(()) => left(deadline),
                Err(SendError::Full(full)) => shared.wait_for_room(full, left(deadline)).await?,
                Err(SendError::Closed(back)) => {
                    message = back;
                    dead = Some(shared);
                    continue;
                }
            };
            return reply::wait(rx, &shared.process, timeout)
                .await?
                .map_err(CallError::TaskFailed);
        }
        Err(CallError::NoProc)
    }

    /// Delivers a cast through a key's handle: to the key's server, or,
    /// when nobody holds the key, to one started in a task, with the casts
    /// sent while it starts, in order. Dropped outside a tokio runtime, and
    /// when the start fails, as a cast to nobody is.
    pub(crate) fn cast(resolver: &Arc<Resolver<T>>, message: Envelope<T>) {
        Self::deliver(resolver, message, |shared, message| {
            // A full mailbox follows its overflow policy.
            let _ = shared.mailbox.send(message, Lane::User);
            Ok(())
        })
        .unwrap_or(());
    }

    /// [`cast`](Self::cast), failing fast on a full mailbox.
    pub(crate) fn try_cast(
        resolver: &Arc<Resolver<T>>,
        message: Envelope<T>,
    ) -> Result<(), MailboxFull> {
        Self::deliver(resolver, message, |shared, message| {
            match shared.mailbox.try_send(message, Lane::User) {
                Err(SendError::Full(_)) => Err(MailboxFull),
                // Sent, or its server exited meanwhile: dropped.
                _ => Ok(()),
            }
        })
    }

    /// Sends `message` with `send` to the key's server, unless a start is
    /// in flight: then it queues behind the casts waiting for it, so that
    /// casts through this handle keep their order. The lock is held while
    /// it is sent, for the same reason.
    fn deliver(
        resolver: &Arc<Resolver<T>>,
        message: Envelope<T>,
        send: impl FnOnce(&Shared<T>, Envelope<T>) -> Result<(), MailboxFull>,
    ) -> Result<(), MailboxFull> {
        let Some(starter) = &resolver.starter else {
            return Ok(());
        };
        let runtime = {
            let mut pending = lock(&starter.pending);
            if let Some(queue) = &mut *pending {
                queue.push_back(message);
                return Ok(());
            }
            if let Some(shared) = resolver.resolve() {
                return send(&shared, message);
            }
            // Nobody holds the key: start its server in a task, if there
            // is a runtime to run it on.
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return Ok(());
            };
            *pending = Some(VecDeque::from([message]));
            runtime
        };
        let resolver = resolver.clone();
        runtime.spawn(async move {
            let Some(starter) = &resolver.starter else {
                return;
            };
            let started = starter.reach(&resolver, None, None).await;
            loop {
                let batch = {
                    let mut pending = lock(&starter.pending);
                    match pending.as_mut().map(std::mem::take) {
                        Some(batch) if !batch.is_empty() => batch,
                        _ => {
                            *pending = None;
                            break;
                        }
                    }
                };
                if let Ok(shared) = &started {
                    for message in batch {
                        // A full mailbox follows its overflow policy.
                        let _ = shared.mailbox.send(message, Lane::User);
                    }
                }
            }
        });
        Ok(())
    }

    /// Delivers a cast that found nobody under the key, waiting for its
    /// start and for room, within `timeout`.
    pub(crate) async fn cast_wait(
        &self,
        resolver: &Resolver<T>,
        mut message: Envelope<T>,
        timeout: Duration,
    ) -> Result<(), MailboxFull> {
        let deadline = Instant::now().checked_add(timeout);
        let mut dead = None;
        for _ in 0..TRIES {
            let Ok(shared) = self.reach(resolver, dead.take(), deadline).await else {
                // Not started: dropped, as a cast to nobody is.
                return Ok(());
            };
            match shared.mailbox.send_wait(message, deadline).await {
                Ok(()) => return Ok(()),
                Err(SendError::Full(_)) => return Err(MailboxFull),
                Err(SendError::Closed(back)) => {
                    message = back;
                    dead = Some(shared);
                }
            }
        }
        Ok(())
    }

    /// The server under the key: the holder, or one started now. A `dead`
    /// one is waited out first (it still holds the key until it has exited).
    async fn reach(
        &self,
        resolver: &Resolver<T>,
        dead: Option<Arc<Shared<T>>>,
        deadline: Option<Instant>,
    ) -> Result<Arc<Shared<T>>, CallError> {
        let reach = async {
            if let Some(dead) = dead {
                dead.process.exited().await;
            }
            match resolver.resolve() {
                Some(shared) => Ok(shared),
                None => (self.start)().await,
            }
        };
        match deadline {
            None => reach.await,
            Some(deadline) => tokio::time::timeout_at(deadline, reach)
                .await
                .unwrap_or(Err(CallError::Timeout)),
        }
    }
}

impl<T: GenServer> fmt::Debug for Starter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Starter").finish_non_exhaustive()
    }
}

impl<K, V> Registry<K, V>
where
    K: Hash + Eq + Clone + fmt::Debug + Send + Sync + 'static,
    V: Clone + Default + Send + Sync + 'static,
{
    /// A handle to the `T` under `key` that starts it on a miss: under
    /// `supervisor`, with `start()`, named by `key`, as
    /// [`get_or_start`](Self::get_or_start) does. The one-line form of
    /// "get or start, then call; start again when it was gone".
    ///
    /// Each call and cast goes to the server holding `key` at the time. When
    /// nobody holds it, the server is started first (race-free: of two
    /// handles that miss at once, one starts it and both reach it). A
    /// message that reached no mailbox, because nobody held the key or its
    /// holder was exiting, is sent again, at most three times within the
    /// handle's timeout; a call queued to a server that then exits gets
    /// [`CallError::Exited`], as through any handle, since the server may
    /// have acted on it. A start that fails is the caller's
    /// [`CallError::NotStarted`], with the start's error as its source; a
    /// supervisor that is gone, [`CallError::NoProc`].
    ///
    /// A cast that finds nobody starts the server in a task, and the casts
    /// sent through this handle (and its clones) meanwhile follow it in
    /// order; they are dropped if the start fails, as casts to nobody are,
    /// and so is a cast to a server that is exiting.
    ///
    /// ```
    /// use genserver_core::prelude::*;
    /// use genserver_core::{DynamicSupervisor, DynamicSupervisorSpec, Keys, Registry};
    /// use std::time::Duration;
    ///
    /// pub struct Limiter {
    ///     hits: u32,
    /// }
    ///
    /// #[gen_server]
    /// impl Limiter {
    ///     fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, String> {
    ///         // Stops when unused: the next request starts a fresh one.
    ///         ctx.set_idle_timeout(Some(Duration::from_millis(50)));
    ///         Ok(Limiter { hits: 0 })
    ///     }
    ///
    ///     #[call]
    ///     pub fn hit(&mut self) -> u32 {
    ///         self.hits += 1;
    ///         self.hits
    ///     }
    ///
    ///     fn handle_info(&mut self, msg: Info<()>, ctx: &mut Context<Self>) {
    ///         if let Info::Timeout = msg {
    ///             ctx.stop(ExitReason::Normal);
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let limiters: Registry<String> = Registry::new(Keys::Unique);
    /// let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new()).await?;
    ///
    /// // Per request: one line.
    /// let hit = |key: &str| limiters.named_or_start(key.to_string(), &sup, || Limiter::start(()));
    /// assert_eq!(hit("alice").hit().await?, 1);
    /// assert_eq!(hit("alice").hit().await?, 2);
    /// assert_eq!(hit("bob").hit().await?, 1);
    ///
    /// tokio::time::sleep(Duration::from_millis(200)).await; // both stopped, idle
    /// assert_eq!(hit("alice").hit().await?, 1); // a fresh one
    /// # Ok(())
    /// # }
    /// ```
    pub fn named_or_start<T, F>(
        &self,
        key: K,
        supervisor: &DynamicSupervisorClient,
        start: F,
    ) -> Named<T>
    where
        T: GenServer,
        F: Fn() -> Start<T> + Send + Sync + 'static,
    {
        let mut resolver = Resolver::new(self.via(key.clone()));
        let (registry, supervisor, start) = (self.clone(), supervisor.clone(), Arc::new(start));
        let start_one = move || -> StartFuture<T> {
            let (registry, supervisor, key) = (registry.clone(), supervisor.clone(), key.clone());
            let start = start.clone();
            Box::pin(async move {
                match registry
                    .get_or_start(key, &supervisor, move || start())
                    .await
                {
                    Ok(server) => Ok(server.handle().shared().clone()),
                    Err(GetOrStartError::Supervisor(error)) => Err(error),
                    Err(error) => Err(CallError::NotStarted(StartFailed::new(error))),
                }
            })
        };
        resolver.starter = Some(Starter {
            start: Box::new(start_one),
            pending: Mutex::new(None),
        });
        Named::from_resolver(resolver)
    }
}
