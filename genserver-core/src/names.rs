//! Local names: one server per name in the program, free again once it exits.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::server::{GenServer, Server, ServerId};

/// A name to start a server under: `T::start(..).name("counter")`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Name(Arc<str>);

impl Name {
    /// The name's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Name {
    fn from(name: &str) -> Self {
        Name(Arc::from(name))
    }
}

impl From<String> for Name {
    fn from(name: String) -> Self {
        Name(Arc::from(name))
    }
}

struct Entry {
    id: ServerId,
    server: Box<dyn Any + Send + Sync>,
}

fn table() -> MutexGuard<'static, HashMap<Name, Entry>> {
    static NAMES: OnceLock<Mutex<HashMap<Name, Entry>>> = OnceLock::new();
    NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Why a name could not be taken.
pub(crate) enum Taken<T: GenServer> {
    SameType(Server<T>),
    OtherType(ServerId),
}

/// Takes `name` for `server`, or says who holds it.
pub(crate) fn register<T: GenServer>(name: &Name, server: &Server<T>) -> Result<(), Taken<T>> {
    let mut names = table();
    if let Some(entry) = names.get(name) {
        return Err(match entry.server.downcast_ref::<Server<T>>() {
            Some(holder) => Taken::SameType(holder.clone()),
            None => Taken::OtherType(entry.id),
        });
    }
    names.insert(
        name.clone(),
        Entry {
            id: server.id(),
            server: Box::new(server.clone()),
        },
    );
    Ok(())
}

/// Frees `name` if `id` still holds it.
pub(crate) fn unregister(name: &Name, id: ServerId) {
    let mut names = table();
    if names.get(name).is_some_and(|entry| entry.id == id) {
        names.remove(name);
    }
}

/// The server registered under `name`, if it is a `T` (`GenServer.whereis/1`).
///
/// The answer can be out of date as soon as it is returned: the server may
/// exit right after. Calls to it then fail with [`CallError::NoProc`](crate::CallError::NoProc).
pub fn whereis<T: GenServer>(name: &str) -> Option<Server<T>> {
    table()
        .get(&Name::from(name))
        .and_then(|entry| entry.server.downcast_ref::<Server<T>>())
        .cloned()
}
