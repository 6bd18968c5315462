//! Pools across machines: several nodes serve one name, and each request
//! goes to one of them.
//!
//! ```text
//!  node c: remote::<T>("jobs").run(..) ──▶ <prefix>.srv.jobs (queue group "genserver")
//!                                            ├─▶ node a's server   one of them,
//!                                            └─▶ node b's server   per request
//! ```
//!
//! This is an any-member pool: NATS picks a member per request at random,
//! so load spreads without a balancer and
//! a member that leaves simply stops being picked. Messages from one client
//! keep their order only per member: two casts may go to two members.
//!
//! A partitioned pool (`PartitionSupervisor`, a key always to the same
//! member) is another thing: each partition is served under its own name
//! (`jobs.0`, `jobs.1`, …) and the caller picks the name from the key
//! (`remote::<T>(&format!("jobs.{}", hash(key) % n))`), so one key's
//! messages go to one server, in order, and stop when it is down.

use genserver_core::{RemoteServer, Server};

use crate::error::ServeError;
use crate::node::Node;

impl Node {
    /// Adds `server` to the any-member pool `pool`: the same as
    /// [`serve`](Node::serve), which already shares a name's requests
    /// among every server serving it, on any node. Callers reach the pool
    /// with [`remote`](Node::remote).
    pub async fn serve_pool<T: RemoteServer>(
        &self,
        pool: &str,
        server: &Server<T>,
    ) -> Result<(), ServeError> {
        self.serve(pool, server).await
    }
}
