//! Pools across machines: several nodes serve one name, and each request
//! goes to one of them; or a pool split by key, each key always to the
//! same server.
//!
//! ```text
//!  any member:   remote::<T>("jobs") ──▶ <prefix>.srv.jobs (queue group)
//!                                          ├─▶ node a's server   one of them,
//!                                          └─▶ node b's server   per request
//!
//!  partitioned:  partitioned::<T>("jobs", 4).get(&key)
//!                  ──▶ <prefix>.srv.jobs.<fnv(key) % 4>   ──▶ the server of
//!                                                             that partition
//! ```
//!
//! An any-member pool: NATS picks a member per request at random, so load
//! spreads without a balancer and a member that leaves simply stops being
//! picked. Messages from one client keep their order only per member: two
//! casts may go to two members.
//!
//! A partitioned pool is `PartitionSupervisor` across machines: partition
//! `i` is served under `<pool>.<i>` ([`Node::serve_partition`]), and the
//! caller routes a key to its partition ([`RemotePartitions::get`]) by
//! FNV-1a over the key's bytes ([`PartitionKey`]): a string by its UTF-8,
//! an integer by its value whatever its type, so every node, build and
//! platform sends one key to one server, in order. (`std`'s `Hash` would
//! not: `42_i32` and `42_u64` hash apart, `usize` differs between 32 and
//! 64 bits, and its output may change between Rust releases.) While a
//! partition is not served, its keys get `NoProc`.

use std::borrow::Cow;
use std::fmt;
use std::hash::Hasher;

use genserver_core::{Remote, RemoteServer};

use crate::error::{InvalidName, ServeError, check_name};
use crate::node::Node;
use crate::role::Servable;

impl Node {
    /// Adds `server` to the any-member pool `pool`: the same as
    /// [`serve`](Node::serve), which already shares a name's requests
    /// among every server serving it, on any node. Callers reach the pool
    /// with [`remote`](Node::remote).
    /// A role ([`Named<T>`](genserver_core::Named), see [`Servable`])
    /// stays a member across its server's restarts.
    ///
    /// # Errors
    ///
    /// As [`serve`](Node::serve).
    pub async fn serve_pool<S: Servable>(&self, pool: &str, server: &S) -> Result<(), ServeError> {
        self.serve(pool, server).await
    }

    /// Serves `server` as partition `index` of the partitioned pool
    /// `pool`, under the name `<pool>.<index>`. Callers reach it through
    /// [`partitioned`](Self::partitioned), which routes each key to its
    /// partition.
    /// A role ([`Named<T>`](genserver_core::Named), see [`Servable`])
    /// serves the partition across its server's restarts: a
    /// `PartitionSupervisor`'s partition, say
    /// (`PartitionSupervisor::named`).
    ///
    /// # Errors
    ///
    /// As [`serve`](Node::serve); [`ServeError::InvalidName`] when `pool`
    /// cannot be a subject token.
    pub async fn serve_partition<S: Servable>(
        &self,
        pool: &str,
        index: usize,
        server: &S,
    ) -> Result<(), ServeError> {
        check_name(pool).map_err(ServeError::InvalidName)?;
        self.serve(&format!("{pool}.{index}"), server).await
    }

    /// A handle to the partitioned pool `pool` of `partitions` partitions,
    /// served with [`serve_partition`](Self::serve_partition) on any nodes
    /// (OTP's `{:via, PartitionSupervisor, {pool, key}}` across machines).
    ///
    /// ```no_run
    /// # use genserver_core::prelude::*;
    /// # use genserver_nats::Node;
    /// # pub struct Counter { value: i64 }
    /// # #[gen_server(remote)]
    /// # impl Counter {
    /// #     #[call]
    /// #     pub fn increment(&mut self, by: i64) -> i64 { self.value += by; self.value }
    /// #     fn handle_info(&mut self, _msg: Info<()>) {}
    /// # }
    /// # async fn demo(node: Node) -> Result<(), Box<dyn std::error::Error>> {
    /// let counters = node.partitioned::<Counter>("counters", 8)?;
    /// // Every call for "user-42", from any node, goes to one server.
    /// counters.get("user-42").increment(1).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Errors: the name cannot be a subject token, or `partitions` is 0.
    pub fn partitioned<T: RemoteServer>(
        &self,
        pool: &str,
        partitions: usize,
    ) -> Result<RemotePartitions<T>, PoolError> {
        check_name(pool).map_err(PoolError::InvalidName)?;
        if partitions == 0 {
            return Err(PoolError::NoPartitions);
        }
        let handles = (0..partitions)
            .map(|index| self.remote::<T>(&format!("{pool}.{index}")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(PoolError::InvalidName)?;
        Ok(RemotePartitions {
            pool: pool.to_owned(),
            handles,
        })
    }
}

/// Why [`Node::partitioned`] refused a pool.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolError {
    /// The pool's name cannot be a subject token.
    InvalidName(InvalidName),
    /// A pool of no partitions routes no key.
    NoPartitions,
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::InvalidName(error) => error.fmt(f),
            PoolError::NoPartitions => {
                f.write_str("a partitioned pool needs at least one partition")
            }
        }
    }
}

impl std::error::Error for PoolError {}

/// A partitioned pool across machines, as [`Node::partitioned`] returns
/// it: one [`Remote`] handle per partition, and the routing of a key.
pub struct RemotePartitions<T: RemoteServer> {
    pool: String,
    handles: Vec<Remote<T>>,
}

impl<T: RemoteServer> RemotePartitions<T> {
    /// The handle of `key`'s partition.
    pub fn get<K: PartitionKey + ?Sized>(&self, key: &K) -> &Remote<T> {
        &self.handles[self.partition_of(key)]
    }

    /// The partition of `key`: the same on every node, build and platform.
    pub fn partition_of<K: PartitionKey + ?Sized>(&self, key: &K) -> usize {
        let mut hasher = Fnv1a::default();
        hasher.write(&key.key_bytes());
        (hasher.finish() % self.handles.len() as u64) as usize
    }

    /// The handle of partition `index`, if there is one.
    pub fn get_partition(&self, index: usize) -> Option<&Remote<T>> {
        self.handles.get(index)
    }

    /// How many partitions.
    pub fn partitions(&self) -> usize {
        self.handles.len()
    }
}

impl<T: RemoteServer> Clone for RemotePartitions<T> {
    fn clone(&self) -> Self {
        RemotePartitions {
            pool: self.pool.clone(),
            handles: self.handles.clone(),
        }
    }
}

impl<T: RemoteServer> fmt::Debug for RemotePartitions<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemotePartitions")
            .field("server", &T::NAME)
            .field("pool", &self.pool)
            .field("partitions", &self.handles.len())
            .finish()
    }
}

/// A key of a partitioned pool ([`RemotePartitions::get`]), as the bytes
/// it is routed by: the same for equal keys on every node, build and
/// platform. Strings and byte strings route by their bytes; integers by
/// their value, whatever their type (`42_i32`, `42_u64` and `42_usize`
/// route alike), as 16 little-endian bytes; a `char` as its integer.
/// Implement it for a key of your own from one of these.
pub trait PartitionKey {
    /// The bytes the key is routed by.
    fn key_bytes(&self) -> Cow<'_, [u8]>;
}

impl PartitionKey for str {
    fn key_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.as_bytes())
    }
}

impl PartitionKey for String {
    fn key_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.as_bytes())
    }
}

impl PartitionKey for [u8] {
    fn key_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self)
    }
}

impl PartitionKey for Vec<u8> {
    fn key_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self)
    }
}

impl<K: PartitionKey + ?Sized> PartitionKey for &K {
    fn key_bytes(&self) -> Cow<'_, [u8]> {
        (**self).key_bytes()
    }
}

/// Integers route by their value: widened to 128 bits.
macro_rules! integer_keys {
    ($($int:ty),*) => {$(
        impl PartitionKey for $int {
            #[allow(clippy::cast_lossless, reason = "a u128 above i128::MAX wraps: it stays distinct")]
            fn key_bytes(&self) -> Cow<'_, [u8]> {
                Cow::Owned((*self as i128).to_le_bytes().to_vec())
            }
        }
    )*};
}

integer_keys!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl PartitionKey for char {
    fn key_bytes(&self) -> Cow<'_, [u8]> {
        u32::from(*self).key_bytes().into_owned().into()
    }
}

/// FNV-1a, 64 bits: unlike the standard hasher, its output is fixed by
/// its definition, so two builds route a key alike.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_route_by_value_whatever_their_type() {
        let bytes = |key: &dyn PartitionKey| key.key_bytes().into_owned();
        assert_eq!(bytes(&42_i32), bytes(&42_u64));
        assert_eq!(bytes(&42_usize), bytes(&42_i8));
        assert_eq!(bytes(&-1_i64), bytes(&-1_i16));
        assert_ne!(bytes(&-1_i64), bytes(&1_i64));
        assert_eq!(bytes(&'a'), bytes(&97_u32));
        assert_eq!(bytes(&"user-42"), bytes(&String::from("user-42")));
        assert_eq!(bytes(&&b"user-42"[..]), bytes(&"user-42"));
    }

    #[test]
    fn the_routing_hash_is_fnv1a() {
        // The published FNV-1a test vectors.
        for (input, expected) in [
            (&b""[..], 0xcbf2_9ce4_8422_2325_u64),
            (b"a", 0xaf63_dc4c_8601_ec8c),
            (b"foobar", 0x8594_4171_f739_67e8),
        ] {
            let mut hasher = Fnv1a::default();
            hasher.write(input);
            assert_eq!(hasher.finish(), expected, "{input:?}");
        }
    }
}
