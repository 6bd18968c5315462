//! What a node serves: one server, or a role ([`Servable`]).
//!
//! ```text
//!  node.serve("stats", &server)   Server<T>: that server, until it exits
//!  node.serve("stats", &named)    Named<T>:  whoever holds the local name or
//!                                            registry key at each request,
//!                                            across restarts, until the node
//!                                            closes
//! ```
//!
//! A role is served as a supervised server is called by name in OTP: a
//! request finds the holder of the moment; while nobody holds the name
//! (between a crash and the restart), a call gets `NoProc` at once and a
//! cast is dropped, as to a dead server.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use genserver_core::{ClientHandle, GenServer, Named, RemoteServer, Server};

/// What [`Node::serve`](crate::Node::serve), [`Node::register_global`](crate::Node::register_global)
/// and [`Node::join`](crate::Node::join) take: one server
/// ([`Server<T>`]), served until it exits, or a role ([`Named<T>`]):
/// whichever server holds a local name or registry key at the time of
/// each request, served across its restarts until the node closes.
///
/// Serve the role of a supervised child, so its restarts need no code of
/// their own:
///
/// ```no_run
/// # use genserver_core::prelude::*;
/// # use genserver_core::Named;
/// # use genserver_nats::Node;
/// # pub struct Stats;
/// # #[gen_server(remote)]
/// # impl Stats {
/// #     #[call]
/// #     pub fn hits(&self) -> u64 { 0 }
/// #     fn handle_info(&mut self, _msg: Info<()>) {}
/// # }
/// # async fn demo(node: Node) -> Result<(), Box<dyn std::error::Error>> {
/// // The supervisor restarts the server named "stats"; the node serves
/// // whoever holds the name.
/// node.serve("stats", &Named::<Stats>::new("stats")).await?;
/// # Ok(())
/// # }
/// ```
///
/// Implemented for [`Server<T>`] and [`Named<T>`] only.
pub trait Servable: sealed::Sealed {}

impl<T: RemoteServer> Servable for Server<T> {}

impl<T: RemoteServer> Servable for Named<T> {}

pub(crate) mod sealed {
    use super::Served;

    /// The crate's side of [`Servable`](super::Servable): the server
    /// type, and the served thing as the node holds it.
    #[allow(unreachable_pub, reason = "the sealed half of a public trait")]
    pub trait Sealed {
        type Server: genserver_core::RemoteServer;
        fn served(&self) -> Served<Self::Server>;
    }
}

impl<T: RemoteServer> sealed::Sealed for Server<T> {
    type Server = T;

    fn served(&self) -> Served<T> {
        Served::Server(self.clone())
    }
}

impl<T: RemoteServer> sealed::Sealed for Named<T> {
    type Server = T;

    fn served(&self) -> Served<T> {
        Served::Named(self.clone())
    }
}

/// A served server or role, as the node holds it.
#[allow(unreachable_pub, reason = "named by the sealed half of a public trait")]
pub enum Served<T: GenServer> {
    /// One server, until it exits.
    Server(Server<T>),
    /// Whoever holds a name, across restarts.
    Named(Named<T>),
}

impl<T: GenServer> Clone for Served<T> {
    fn clone(&self) -> Self {
        match self {
            Served::Server(server) => Served::Server(server.clone()),
            Served::Named(named) => Served::Named(named.clone()),
        }
    }
}

impl<T: GenServer> std::fmt::Debug for Served<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Served::Server(server) => server.fmt(f),
            Served::Named(named) => named.fmt(f),
        }
    }
}

impl<T: GenServer> Served<T> {
    /// The server that answers a request now, if any.
    pub(crate) fn holder(&self) -> Option<Server<T>> {
        match self {
            Served::Server(server) => server.is_alive().then(|| server.clone()),
            Served::Named(named) => named.whereis(),
        }
    }

    /// The same, whose calls time out after `timeout`.
    pub(crate) fn with_timeout(&self, timeout: Duration) -> Served<T> {
        match self {
            Served::Server(server) => Served::Server(server.with_timeout(timeout)),
            Served::Named(named) => Served::Named(named.with_timeout(timeout)),
        }
    }

    /// The runtime's handle underneath, for the generated `__serve`.
    pub(crate) fn handle(&self) -> &genserver_core::__private::Handle<T> {
        match self {
            Served::Server(server) => ClientHandle::__handle(&**server),
            Served::Named(named) => ClientHandle::__handle(&**named),
        }
    }

    /// Resolves when serving it ends by itself: one server's exit; never
    /// for a role.
    pub(crate) fn ended(&self) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        match self {
            Served::Server(server) => {
                let server = server.clone();
                Box::pin(async move { server.exited().await })
            }
            Served::Named(_) => Box::pin(std::future::pending()),
        }
    }
}
