//! A global name as a [`RemoteTarget`]: over NATS to whichever node holds
//! it, or straight to the server when this node holds it, as OTP's
//! `{:global, name}` resolves to a local pid then.

use std::time::Duration;

use genserver_core::transport::{RemoteAsk, RemoteCall, RemoteCast, RemoteTarget};
use genserver_core::{MailboxFull, RemoteServer, Server};

use crate::target::NatsTarget;

/// The global `name`, wherever it is held.
pub(super) struct GlobalTarget<T> {
    pub(super) name: String,
    pub(super) remote: NatsTarget<T>,
}

impl<T: RemoteServer> RemoteTarget<T> for GlobalTarget<T> {
    fn call(&self, message: T::Message, timeout: Duration) -> RemoteCall<'_> {
        self.remote.call(message, timeout)
    }

    fn cast(&self, message: T::Message) {
        self.remote.cast(message);
    }

    fn try_cast(&self, message: T::Message, timeout: Duration) -> Result<(), MailboxFull> {
        self.remote.try_cast(message, timeout)
    }

    fn cast_wait(&self, message: T::Message, timeout: Duration) -> RemoteCast<'_> {
        self.remote.cast_wait(message, timeout)
    }

    fn mailbox_len(&self, timeout: Duration) -> RemoteAsk<'_, usize> {
        self.remote.mailbox_len(timeout)
    }

    fn describe(&self) -> String {
        self.remote.describe()
    }

    /// The server this node holds the name for, while it runs (a role's
    /// holder of the moment): one lock of the node's table of held names.
    fn local(&self) -> Option<Server<T>> {
        let registry = self.remote.node.global.get()?;
        let holder = registry.lock().get(&self.name)?.holder.clone();
        holder()?.downcast::<T>()
    }
}
