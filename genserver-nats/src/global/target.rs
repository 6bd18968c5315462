//! A global name as a [`RemoteTarget`]: over NATS to whichever node holds
//! it, or straight to the server when this node holds it, as OTP's
//! `{:global, name}` resolves to a local pid then.

use genserver_core::{RemoteCall, RemoteServer, RemoteTarget, Server};

use crate::target::NatsTarget;

/// The global `name`, wherever it is held.
pub(super) struct GlobalTarget<T> {
    pub(super) name: String,
    pub(super) remote: NatsTarget<T>,
}

impl<T: RemoteServer> RemoteTarget<T> for GlobalTarget<T> {
    fn call(&self, message: T::Message, timeout: std::time::Duration) -> RemoteCall<'_> {
        self.remote.call(message, timeout)
    }

    fn cast(&self, message: T::Message) {
        self.remote.cast(message);
    }

    fn describe(&self) -> String {
        self.remote.describe()
    }

    /// The server this node holds the name for, while it runs: one lock
    /// of the node's table of held names.
    fn local(&self) -> Option<Server<T>> {
        let registry = self.remote.node.global.get()?;
        let held = registry.lock();
        let server = &held.get(&self.name)?.server;
        if server.is_alive() {
            server.downcast::<T>()
        } else {
            None
        }
    }
}
