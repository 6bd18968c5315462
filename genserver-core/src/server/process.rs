//! A server's life apart from its message type: its status, its exit
//! reason and what must happen when it exits.
//!
//! ```text
//!  Alive ──▶ Exiting ──▶ Exited ──▶ Done
//!            reason set   is_alive()   monitors and links told;
//!            (callers     is false;    `exited()` returns
//!            learn it)    names free
//! ```
//!
//! Everything that is "gone when the server exits" goes through one
//! mechanism, the exit hooks: local names, registry entries and owned tables
//! are released first (so no lookup finds a dead server, and a table has
//! been handed to its heir or deleted), then monitors get `Down` and
//! links get exit signals. Each hook has a key, so adding and removing one
//! is O(1) whatever the number of links, monitors or registrations.

use crate::id_map::IdMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::exit_reason::ExitReason;
use crate::id::{MonitorRef, ServerId};
use crate::server::any::AnyServer;

/// Where a server is in its life; only ever moves forward.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
#[repr(u8)]
pub(crate) enum Status {
    /// Handling messages (or running `init`).
    Alive = 0,
    /// The exit reason is known; `terminate` may be running.
    Exiting = 1,
    /// Gone: `is_alive()` is false, names and registry entries are free.
    Exited = 2,
    /// Monitors and links have been told: `exited()` returns.
    Done = 3,
}

impl Status {
    fn from_u8(value: u8) -> Self {
        match value {
            0 => Status::Alive,
            1 => Status::Exiting,
            2 => Status::Exited,
            _ => Status::Done,
        }
    }
}

/// What identifies an exit hook, so it can be removed again.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum HookKey {
    /// The server's local name.
    LocalName,
    /// The server's entries in one registry (by the registry's number).
    Registry(u64),
    /// A monitor on this server.
    Monitor(MonitorRef),
    /// A link with another server.
    Link(ServerId),
    /// A table this server owns (by the table's number): handed to its
    /// heir or deleted.
    Table(u64),
}

/// What a name, a registry entry or a table does when its server exits.
pub(crate) trait Release: Send {
    /// Frees it (a name, registry entries), or hands it on (a table).
    fn release(self: Box<Self>);

    /// The names it gives the server, for inspection (`sys().status()`).
    fn names(&self) -> Vec<String> {
        Vec::new()
    }
}

impl<F: FnOnce() + Send> Release for F {
    fn release(self: Box<Self>) {
        (*self)()
    }
}

/// What happens when the server exits.
pub(crate) enum ExitHook {
    /// Frees a name or registry entries; runs before the server counts as gone.
    Release(Box<dyn Release>),
    /// Sends `Down` to the watcher.
    Monitor {
        monitor: MonitorRef,
        watcher: AnyServer,
    },
    /// Sends an exit signal to the linked server.
    Link(AnyServer),
}

/// What a server's exit hooks say of it (see [`Process::relations`]).
#[derive(Debug, Default)]
pub(crate) struct Relations {
    pub(crate) names: Vec<String>,
    /// Each linked server, with its type's name.
    pub(crate) links: Vec<(ServerId, &'static str)>,
    pub(crate) monitored_by: Vec<ServerId>,
}

/// A server's life: shared by every handle, typed or not.
pub(crate) struct Process {
    id: ServerId,
    status: AtomicU8,
    trap_exit: AtomicBool,
    /// Suspended by `sys().suspend()`: only system requests and a stop.
    suspended: AtomicBool,
    exit: Mutex<ExitState>,
    changed: Notify,
    /// What tests install (feature `testing`, `intercept.rs`).
    #[cfg(feature = "testing")]
    pub(crate) intercepts: crate::server::intercept::Intercepts,
}

#[derive(Default)]
struct ExitState {
    reason: Option<ExitReason>,
    hooks: IdMap<HookKey, ExitHook>,
    /// The server's task, to kill it.
    abort: Option<AbortHandle>,
    /// Why it was killed, for the exit that follows the abort.
    killed: Option<ExitReason>,
}

impl Process {
    pub(crate) fn new(id: ServerId) -> Self {
        Process {
            id,
            status: AtomicU8::new(Status::Alive as u8),
            trap_exit: AtomicBool::new(false),
            suspended: AtomicBool::new(false),
            exit: Mutex::new(ExitState::default()),
            changed: Notify::new(),
            #[cfg(feature = "testing")]
            intercepts: Default::default(),
        }
    }

    pub(crate) fn id(&self) -> ServerId {
        self.id
    }

    fn state(&self) -> MutexGuard<'_, ExitState> {
        // Hooks run outside this lock, so a poisoned lock still holds a
        // consistent state.
        self.exit.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn status(&self) -> Status {
        Status::from_u8(self.status.load(Ordering::Acquire))
    }

    pub(crate) fn is_alive(&self) -> bool {
        self.status() < Status::Exited
    }

    pub(crate) fn set_trap_exit(&self, trap: bool) {
        self.trap_exit.store(trap, Ordering::Release);
    }

    pub(crate) fn set_suspended(&self, suspended: bool) {
        self.suspended.store(suspended, Ordering::Release);
    }

    pub(crate) fn is_suspended(&self) -> bool {
        self.suspended.load(Ordering::Acquire)
    }

    pub(crate) fn traps_exits(&self) -> bool {
        self.trap_exit.load(Ordering::Acquire)
    }

    /// Records the server's task; kills it at once if a kill came first.
    pub(crate) fn set_abort(&self, abort: AbortHandle) {
        let mut state = self.state();
        if state.killed.is_some() {
            abort.abort();
        }
        state.abort = Some(abort);
    }

    /// Ends the server without `terminate` (an exit signal to a server that
    /// does not trap exits, or `:kill`): it exits with `reason`.
    pub(crate) fn kill(&self, reason: ExitReason) {
        let mut state = self.state();
        if !self.is_alive() || state.killed.is_some() {
            return;
        }
        state.killed = Some(reason);
        if let Some(abort) = &state.abort {
            abort.abort();
        }
    }

    /// The reason given to [`kill`](Self::kill), if the server was killed.
    pub(crate) fn kill_reason(&self) -> Option<ExitReason> {
        self.state().killed.clone()
    }

    /// The reason the server exits or exited with, once it is known.
    pub(crate) fn reason(&self) -> Option<ExitReason> {
        self.state().reason.clone()
    }

    /// Adds (or replaces) the hook under `key`; `false`, with the hook
    /// handed back unrun, if the server has already exited.
    pub(crate) fn add_hook(&self, key: HookKey, hook: ExitHook) -> Result<(), ExitHook> {
        let mut state = self.state();
        if !self.is_alive() {
            return Err(hook);
        }
        state.hooks.insert(key, hook);
        Ok(())
    }

    /// Removes the hook under `key`, unrun; `None` if there was none.
    pub(crate) fn remove_hook(&self, key: HookKey) -> Option<ExitHook> {
        self.state().hooks.remove(&key)
    }

    /// The names the server holds (a local name, registry keys), and the
    /// servers it is linked with and watched by, for inspection.
    pub(crate) fn relations(&self) -> Relations {
        let state = self.state();
        let mut relations = Relations::default();
        for hook in state.hooks.values() {
            match hook {
                ExitHook::Release(release) => relations.names.extend(release.names()),
                ExitHook::Link(other) => relations.links.push((other.id(), other.type_name())),
                ExitHook::Monitor { watcher, .. } => relations.monitored_by.push(watcher.id()),
            }
        }
        relations
    }

    /// Removes every link, unrun (a failed `init` does not signal its links).
    pub(crate) fn take_links(&self) -> Vec<AnyServer> {
        let mut state = self.state();
        let keys: Vec<HookKey> = state
            .hooks
            .keys()
            .filter(|k| matches!(k, HookKey::Link(_)))
            .copied()
            .collect();
        keys.into_iter()
            .filter_map(|key| match state.hooks.remove(&key) {
                Some(ExitHook::Link(other)) => Some(other),
                _ => None,
            })
            .collect()
    }

    /// The server has decided to exit: callers waiting on it learn the reason now.
    pub(crate) fn begin_exit(&self, reason: &ExitReason) {
        let mut state = self.state();
        if state.reason.is_none() {
            state.reason = Some(reason.clone());
        }
        self.status
            .fetch_max(Status::Exiting as u8, Ordering::AcqRel);
        drop(state);
        self.changed.notify_waiters();
    }

    /// The server is gone: release its names, then tell its monitors and
    /// links, then wake whoever waits for the end.
    pub(crate) fn finish_exit(&self, reason: &ExitReason) {
        let hooks = {
            let mut state = self.state();
            // Final: a crash in `terminate` replaces the reason.
            state.reason = Some(reason.clone());
            state.abort = None;
            std::mem::take(&mut state.hooks)
        };
        let mut others = Vec::with_capacity(hooks.len());
        for hook in hooks.into_values() {
            match hook {
                ExitHook::Release(release) => release.release(),
                other => others.push(other),
            }
        }
        // No lookup finds it from here on; hooks added now run at once.
        self.status.store(Status::Exited as u8, Ordering::Release);
        // Hooks added between the take and the store above.
        let late = std::mem::take(&mut self.state().hooks);
        for hook in others.into_iter().chain(late.into_values()) {
            self.run_hook(hook, reason.clone());
        }
        self.status.store(Status::Done as u8, Ordering::Release);
        self.changed.notify_waiters();
    }

    fn run_hook(&self, hook: ExitHook, reason: ExitReason) {
        match hook {
            ExitHook::Release(release) => release.release(),
            ExitHook::Monitor { monitor, watcher } => {
                watcher.deliver_down(monitor, self.id, reason);
            }
            ExitHook::Link(other) => {
                other.process().remove_hook(HookKey::Link(self.id));
                other.exit_signal(self.id, reason);
            }
        }
    }

    /// Adds a monitor: `watcher` gets `Down` with the exit reason, or at
    /// once with [`ExitReason::NoProc`] if the server has already exited.
    pub(crate) fn add_monitor(&self, monitor: MonitorRef, watcher: AnyServer) {
        let hook = ExitHook::Monitor { monitor, watcher };
        if let Err(hook) = self.add_hook(HookKey::Monitor(monitor), hook) {
            self.run_hook(hook, ExitReason::NoProc);
        }
    }

    /// The reason the server exits with, waiting up to `limit` for it to
    /// decide: a reply slot can close a moment before the reason is set (a
    /// panic drops the handler's reply first).
    pub(crate) async fn exit_reason(&self, limit: Duration) -> Option<ExitReason> {
        let reason = self.wait_until(|process| process.state().reason.clone());
        tokio::time::timeout(limit, reason).await.ok()
    }

    /// Waits until the server has completely exited.
    pub(crate) async fn exited(&self) {
        self.wait_until(|process| (process.status() == Status::Done).then_some(()))
            .await
    }

    /// Waits until `check` answers, looking again at every change of state.
    async fn wait_until<R>(&self, check: impl Fn(&Self) -> Option<R>) -> R {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            // Registered before looking, so no change slips between the two.
            notified.as_mut().enable();
            if let Some(answer) = check(self) {
                return answer;
            }
            notified.await;
        }
    }
}
