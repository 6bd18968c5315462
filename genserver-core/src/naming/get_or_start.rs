//! Get or start: the server under a registry key, started on a miss under
//! a [`DynamicSupervisor`], race-free.
//!
//! The key is the server's name (`registry.via(key)`), taken before its
//! `init` runs. Of two callers that miss at once, one start takes the name
//! and runs `init`; the other's start fails with `AlreadyStarted(holder)`
//! before its `init`, and that caller gets the holder. So every caller gets
//! the same server, `init` runs once, and a real start failure comes back
//! typed, never mistaken for a lost race.

use std::fmt;
use std::hash::Hash;

use crate::naming::registry::Registry;
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::error::CallError;
use crate::server::gen_server::GenServer;
use crate::server::start::Start;
use crate::supervision::ChildStartError;
use crate::supervision::child_spec::{ChildSpec, Restart};
use crate::supervision::dynamic::{DynamicSupervisorClient, DynamicSupervisorError};

/// Why [`Registry::get_or_start`] found no server.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GetOrStartError {
    /// The supervisor did not answer: it is gone, or the call timed out.
    Supervisor(CallError),
    /// The server did not start: the supervisor's answer, with the child's
    /// own error (never a lost race: that returns the winner).
    Start(DynamicSupervisorError),
    /// The server's `init` asked to be ignored.
    Ignored,
    /// The key is held by a server of another type.
    OtherType(AnyServer),
}

impl fmt::Display for GetOrStartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetOrStartError::Supervisor(_) => f.write_str("the supervisor did not answer"),
            GetOrStartError::Start(_) => f.write_str("the server did not start"),
            GetOrStartError::Ignored => f.write_str("the server's init asked to be ignored"),
            GetOrStartError::OtherType(s) => write!(f, "the key is held by {s:?}"),
        }
    }
}

impl std::error::Error for GetOrStartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            GetOrStartError::Supervisor(error) => Some(error),
            GetOrStartError::Start(error) => Some(error),
            _ => None,
        }
    }
}

impl<K, V> Registry<K, V>
where
    K: Hash + Eq + Clone + fmt::Debug + Send + Sync + 'static,
    V: Clone + Default + Send + Sync + 'static,
{
    /// The `T` registered under `key`, or one started now under
    /// `supervisor` with `start()` and named by `key` (Elixir's start on a
    /// `Registry` miss, made race-free by the name).
    ///
    /// The child is [`Restart::Transient`](crate::Restart::Transient): a
    /// crash restarts it, a normal stop (an idle expiry) does not, so the
    /// next call for its key starts a fresh one.
    ///
    /// `supervisor` is a `&Server<DynamicSupervisor>` or, for a supervisor
    /// that is itself supervised, a `&Named<DynamicSupervisor>` that
    /// follows its restarts (both dereference to its client).
    ///
    /// ```
    /// use genserver_core::prelude::*;
    /// use genserver_core::{DynamicSupervisor, DynamicSupervisorSpec, Keys, Registry};
    ///
    /// pub struct Limiter {
    ///     hits: u32,
    /// }
    ///
    /// #[gen_server]
    /// impl Limiter {
    ///     #[call]
    ///     pub fn hit(&mut self) -> u32 {
    ///         self.hits += 1;
    ///         self.hits
    ///     }
    ///     fn handle_info(&mut self, _msg: Info<()>) {}
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let keys: Registry<String> = Registry::new(Keys::Unique);
    /// let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new()).await?;
    /// let limiter = || Limiter::start(Limiter { hits: 0 });
    /// let a = keys.get_or_start("api-key-1".to_string(), &sup, limiter).await?;
    /// let again = keys.get_or_start("api-key-1".to_string(), &sup, limiter).await?;
    /// assert_eq!(a, again);
    /// assert_eq!(again.hit().await?, 1);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`GetOrStartError::Supervisor`] when the supervisor did not answer;
    /// [`GetOrStartError::Start`] with the supervisor's answer (and the
    /// child's own error) when the server did not start;
    /// [`GetOrStartError::Ignored`] when its `init` asked to be ignored;
    /// [`GetOrStartError::OtherType`] when a server of another type holds
    /// the key. A lost race for the key is not an error: the winner is
    /// returned.
    pub async fn get_or_start<T, F>(
        &self,
        key: K,
        supervisor: &DynamicSupervisorClient,
        start: F,
    ) -> Result<Server<T>, GetOrStartError>
    where
        T: GenServer,
        F: Fn() -> Start<T> + Send + Sync + 'static,
    {
        if let Some(found) = self.find(&key) {
            return found
                .downcast::<T>()
                .ok_or(GetOrStartError::OtherType(found));
        }
        let name = self.via(key.clone());
        let spec = ChildSpec::new(format!("{key:?}"), move || start().name(name.clone()))
            .with_restart(Restart::Transient);
        let server = match supervisor.start_child(spec).await {
            Ok(Some(server)) => server,
            Err(DynamicSupervisorError::Call(error)) => {
                return Err(GetOrStartError::Supervisor(error));
            }
            Ok(None) => return Err(GetOrStartError::Ignored),
            Err(DynamicSupervisorError::StartChild(ChildStartError::AlreadyStarted(holder))) => {
                holder
            }
            // Taken meanwhile by a server of another type.
            Err(error @ DynamicSupervisorError::StartChild(ChildStartError::NameTaken { .. })) => {
                match self.find(&key) {
                    Some(holder) => holder,
                    None => return Err(GetOrStartError::Start(error)),
                }
            }
            Err(error) => return Err(GetOrStartError::Start(error)),
        };
        match server.downcast::<T>() {
            Some(server) => Ok(server),
            None => Err(GetOrStartError::OtherType(server)),
        }
    }
}
