//! Names: local names (one server per name in the program) and names kept
//! by a [`Registry`](crate::Registry) (`{:via, Registry, {reg, key}}`).
//! Either is free again once its server has exited.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::server::{AnyServer, GenServer, Server, ServerId};

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
    /// Takes the name for `server`, or hands back who holds it.
    fn register(&self, server: &AnyServer) -> Result<(), AnyServer>;
    /// Frees the name if `id` holds it.
    fn unregister(&self, id: ServerId);
    /// The name, for messages.
    fn describe(&self) -> String;
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

struct Entry {
    id: ServerId,
    server: Box<dyn Any + Send + Sync>,
}

fn table() -> MutexGuard<'static, HashMap<Arc<str>, Entry>> {
    static NAMES: OnceLock<Mutex<HashMap<Arc<str>, Entry>>> = OnceLock::new();
    NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Why a name could not be taken.
pub(crate) enum Taken<T: GenServer> {
    SameType(Server<T>),
    OtherType { name: String, holder: ServerId },
}

/// Takes `name` for `server`, or says who holds it.
pub(crate) fn register<T: GenServer>(name: &Name, server: &Server<T>) -> Result<(), Taken<T>> {
    match &name.0 {
        Kind::Local(local) => {
            let mut names = table();
            if let Some(entry) = names.get(local) {
                return Err(match entry.server.downcast_ref::<Server<T>>() {
                    Some(holder) => Taken::SameType(holder.clone()),
                    None => Taken::OtherType {
                        name: local.to_string(),
                        holder: entry.id,
                    },
                });
            }
            names.insert(
                local.clone(),
                Entry {
                    id: server.id(),
                    server: Box::new(server.clone()),
                },
            );
            Ok(())
        }
        Kind::Via(via) => {
            via.register(&AnyServer::from(server))
                .map_err(|holder| match holder.downcast::<T>() {
                    Some(holder) => Taken::SameType(holder),
                    None => Taken::OtherType {
                        name: via.describe(),
                        holder: holder.id(),
                    },
                })
        }
    }
}

/// Frees `name` if `id` still holds it.
pub(crate) fn unregister(name: &Name, id: ServerId) {
    match &name.0 {
        Kind::Local(local) => {
            let mut names = table();
            if names.get(local).is_some_and(|entry| entry.id == id) {
                names.remove(local);
            }
        }
        Kind::Via(via) => via.unregister(id),
    }
}

/// The server registered under the local name `name`, if it is a `T`
/// (`GenServer.whereis/1`).
///
/// The answer can be out of date as soon as it is returned: the server may
/// exit right after. Calls to it then fail with [`CallError::NoProc`](crate::CallError::NoProc).
pub fn whereis<T: GenServer>(name: &str) -> Option<Server<T>> {
    table()
        .get(name)
        .and_then(|entry| entry.server.downcast_ref::<Server<T>>())
        .cloned()
}
