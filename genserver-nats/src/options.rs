//! [`NodeOptions`]: how a node connects, and what it is.

use std::fmt;
use std::time::Duration;

use async_nats::ConnectOptions;

use crate::closing;
use crate::liveness::Timing;
use crate::outbox;

/// How a [`Node`](crate::Node) connects: its name, the cluster's subject prefix, its
/// heartbeats, and the NATS client's own options (credentials, TLS),
/// passed through.
pub struct NodeOptions {
    pub(crate) name: String,
    pub(crate) prefix: String,
    pub(crate) connect: ConnectOptions,
    pub(crate) timing: Timing,
    pub(crate) close_timeout: Duration,
    pub(crate) max_queued_bytes: usize,
    pub(crate) replicas: Option<usize>,
}

impl NodeOptions {
    /// A node named `name`, in the cluster `genserver` (its subject prefix),
    /// with the NATS client's default options.
    pub fn new(name: impl Into<String>) -> Self {
        NodeOptions {
            name: name.into(),
            prefix: "genserver".to_owned(),
            connect: ConnectOptions::new(),
            timing: Timing::default(),
            close_timeout: closing::DEFAULT_CLOSE_TIMEOUT,
            max_queued_bytes: outbox::DEFAULT_MAX_QUEUED_BYTES,
            replicas: None,
        }
    }

    /// How many replicas the global names' stream gets when this node
    /// creates it (JetStream; see [`Node::register_global`](crate::Node::register_global)). By default 3
    /// when the connected cluster has three servers or more and runs
    /// nats-server 2.9.21 or later, else 1, with one log line saying why:
    /// before 2.9.21, a revision-checked update on a replicated stream can
    /// report success to two racing clients (nats-server issue 4320), and
    /// global names rest on such updates.
    ///
    /// Asking for more than 1 from a nats-server older than 2.9.21 is
    /// [`ConnectError::UnsafeReplicas`](crate::ConnectError::UnsafeReplicas), naming its version. A stream that
    /// exists already keeps its replicas; one replicated on such a server
    /// is [`GlobalError::UnsafeReplicas`](crate::GlobalError::UnsafeReplicas).
    pub fn replicas(mut self, replicas: usize) -> Self {
        self.replicas = Some(replicas);
        self
    }

    /// How often the node tells the others it is alive: 1 s by default,
    /// at least 10 ms. It is also the NATS client's ping interval, so a
    /// connection that went silent is noticed after about three of them.
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.timing = Timing::new(interval, self.timing.down_after);
        self
    }

    /// How long another node may stay silent before it is down: 3 s by
    /// default, at least twice the heartbeat interval. A dead node's calls
    /// in flight and monitors end with `NoConnection` at most this long
    /// plus 100 ms after its last heartbeat.
    pub fn down_after(mut self, after: Duration) -> Self {
        self.timing = Timing::new(self.timing.interval, after);
        self
    }

    /// How long [`Node::close`](crate::Node::close) waits for the calls this node's servers
    /// have already taken to be answered: 5 s by default (OTP's default
    /// shutdown time for a worker). Each such call is also bounded by its
    /// caller's timeout, after which its caller no longer waits.
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// How many payload bytes may wait in the node's outgoing queue before
    /// casts are dropped: 64 MiB by default. The queue grows while the
    /// NATS client cannot keep up (a slow or silent connection); calls
    /// wait for their replies and cannot flood it, casts could. A dropped
    /// cast is counted ([`Node::dropped`](crate::Node::dropped)) and logged.
    pub fn max_queued_bytes(mut self, bytes: usize) -> Self {
        self.max_queued_bytes = bytes;
        self
    }

    /// The cluster's subject prefix: nodes with the same prefix reach each
    /// other's servers; other prefixes share the NATS server, not names.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The NATS client's options: credentials, TLS, reconnection. The
    /// node sets the client's name to its own, its ping interval to the
    /// heartbeat interval, its inbox prefix to `_INBOX.<prefix>.<node>`
    /// (see [`permission_template`](Self::permission_template)), and its
    /// event callback to the node's own, which acts on the nats-server's
    /// permission errors and logs the other events at debug.
    pub fn connect_options(mut self, options: ConnectOptions) -> Self {
        self.connect = options;
        self
    }

    pub(crate) fn node_name(&self) -> &str {
        &self.name
    }

    pub(crate) fn cluster_prefix(&self) -> &str {
        &self.prefix
    }
}

impl fmt::Debug for NodeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeOptions")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .field("heartbeat_interval", &self.timing.interval)
            .field("down_after", &self.timing.down_after)
            .field("close_timeout", &self.close_timeout)
            .field("max_queued_bytes", &self.max_queued_bytes)
            .field("replicas", &self.replicas)
            .finish_non_exhaustive()
    }
}
