//! Naming: local names (one server per name in the program) and names
//! kept by a [`Registry`](crate::Registry) (`{:via, Registry, {reg, key}}`).
//! Either is free again once its server has exited: the name is released
//! by the server's exit hook, before the server counts as gone.

pub(crate) mod get_or_start;
pub(crate) mod keyed;
pub(crate) mod named;
pub(crate) mod registry;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::id::ServerId;
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::gen_server::GenServer;
use crate::server::process::{ExitHook, HookKey, Release};

/// A name to start a server under: `T::start(..).name("counter")`, or
/// `T::start(..).name(registry.via(key))`.
#[derive(Clone)]
pub struct Name(Kind);

#[derive(Clone)]
enum Kind {
    Local(Arc<str>),
    Via(Arc<dyn Via>),
}

/// Where a `via` name lives: implemented by the registry.
pub(crate) trait Via: Send + Sync + 'static {
    /// Takes the name for `server`, or says why not.
    fn register(&self, server: &AnyServer) -> Result<(), Refusal>;
    /// Frees the name if `id` holds it.
    fn unregister(&self, server: &AnyServer);
    /// The name, for messages.
    fn describe(&self) -> String;
    /// The server holding the name now.
    fn find(&self) -> Option<AnyServer>;
    /// Changes whenever a name of this kind is freed: while it stays the
    /// same, the holder found last still holds the name.
    fn removals(&self) -> u64;
}

impl Name {
    pub(crate) fn via(backend: Arc<dyn Via>) -> Self {
        Name(Kind::Via(backend))
    }

    fn describe(&self) -> String {
        match &self.0 {
            Kind::Local(name) => name.to_string(),
            Kind::Via(via) => via.describe(),
        }
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Local(name) => fmt::Debug::fmt(&**name, f),
            Kind::Via(via) => write!(f, "via({})", via.describe()),
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl From<&str> for Name {
    fn from(name: &str) -> Self {
        Name(Kind::Local(Arc::from(name)))
    }
}

impl From<String> for Name {
    fn from(name: String) -> Self {
        Name(Kind::Local(Arc::from(name)))
    }
}

type Names = HashMap<Arc<str>, AnyServer>;

fn names() -> &'static RwLock<Names> {
    static NAMES: OnceLock<RwLock<Names>> = OnceLock::new();
    NAMES.get_or_init(Default::default)
}

fn read() -> RwLockReadGuard<'static, Names> {
    // No user code runs under this lock.
    names().read().unwrap_or_else(|e| e.into_inner())
}

fn write() -> RwLockWriteGuard<'static, Names> {
    names().write().unwrap_or_else(|e| e.into_inner())
}

/// Why a `via` backend refused a name.
pub(crate) enum Refusal {
    /// A running server holds it.
    Held(AnyServer),
    /// It cannot name a server at all (a key of a duplicate registry).
    Invalid(&'static str),
}

/// Why a name could not be taken.
pub(crate) enum Taken<T: GenServer> {
    SameType(Server<T>),
    OtherType { name: String, holder: ServerId },
    Invalid { name: String, reason: &'static str },
}

/// Takes `name` for `server`, or says who holds it.
pub(crate) fn register<T: GenServer>(name: &Name, server: &Server<T>) -> Result<(), Taken<T>> {
    let any = AnyServer::from(server);
    let holder = match &name.0 {
        Kind::Local(local) => {
            let mut names = write();
            match names.get(local) {
                Some(holder) => Err(Refusal::Held(holder.clone())),
                None => {
                    names.insert(local.clone(), any.clone());
                    drop(names);
                    let release = LocalName {
                        name: local.clone(),
                        id: any.id(),
                    };
                    let release = ExitHook::Release(Box::new(release));
                    // A new server, not started yet: it cannot have exited.
                    let _ = any.process().add_hook(HookKey::LocalName, release);
                    Ok(())
                }
            }
        }
        Kind::Via(via) => via.register(&any),
    };
    holder.map_err(|refusal| match refusal {
        Refusal::Held(holder) => match holder.downcast::<T>() {
            Some(holder) => Taken::SameType(holder),
            None => Taken::OtherType {
                name: name.describe(),
                holder: holder.id(),
            },
        },
        Refusal::Invalid(reason) => Taken::Invalid {
            name: name.describe(),
            reason,
        },
    })
}

/// A server's local name, freed when it exits.
struct LocalName {
    name: Arc<str>,
    id: ServerId,
}

impl Release for LocalName {
    fn release(self: Box<Self>) {
        unregister_local(&self.name, self.id);
    }

    fn names(&self) -> Vec<String> {
        vec![self.name.to_string()]
    }
}

/// Counts local names freed, for [`Named`](crate::Named) handles.
static LOCAL_REMOVALS: AtomicU64 = AtomicU64::new(0);

fn unregister_local(name: &str, id: ServerId) {
    let mut names = write();
    if names.get(name).is_some_and(|holder| holder.id() == id) {
        names.remove(name);
        LOCAL_REMOVALS.fetch_add(1, Ordering::Release);
    }
}

impl Name {
    /// The server holding this name now.
    pub(crate) fn find(&self) -> Option<AnyServer> {
        match &self.0 {
            Kind::Local(name) => read().get(name).cloned(),
            Kind::Via(via) => via.find(),
        }
    }

    /// Changes whenever a name of this kind is freed.
    pub(crate) fn removals(&self) -> u64 {
        match &self.0 {
            Kind::Local(_) => LOCAL_REMOVALS.load(Ordering::Acquire),
            Kind::Via(via) => via.removals(),
        }
    }
}

/// Frees `name` if `server` still holds it.
pub(crate) fn unregister(name: &Name, server: &AnyServer) {
    match &name.0 {
        Kind::Local(local) => unregister_local(local, server.id()),
        Kind::Via(via) => via.unregister(server),
    }
}

/// The server registered under the local name `name`, if it is a `T`
/// (`GenServer.whereis/1`).
///
/// The answer can be out of date as soon as it is returned: the server may
/// exit right after. Calls to it then fail with [`CallError::NoProc`](crate::CallError::NoProc).
pub fn whereis<T: GenServer>(name: &str) -> Option<Server<T>> {
    read().get(name).and_then(AnyServer::downcast::<T>)
}
