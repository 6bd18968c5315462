//! The cluster's name table: a JetStream key-value bucket with one key per
//! global name, whose value says who holds it.
//!
//! ```text
//! stream KV_gs_global_<prefix>      subjects $KV.gs_global_<prefix>.>
//!   $KV.….<name>  →  Holder { node, server, schema, lease_ms, owner }
//!                    (one message per key: its last revision)
//! ```
//!
//! The bucket's stream is created here, not through async-nats'
//! `create_key_value`, which nats-server 2.9 refuses; it has the layout of
//! a key-value bucket (one message per subject, rollups allowed, new
//! messages refused only by the stream-wide limits), so async-nats opens it
//! with `get_key_value`. Per-key TTL is not used: 2.9 ignores it. A name's
//! lease is its holder's revision-checked updates, each stamped with the
//! NATS server's time.
//!
//! # Time
//!
//! A name's age is measured on the NATS server's clock alone, never on a
//! node's: before comparing, the reader writes the key [`NOW`] and reads
//! back the time stamp the server gave it. Both stamps come from the
//! stream's leader, so nodes whose clocks disagree still agree on which
//! leases ran out. `NOW` starts with `_gs.`, a prefix global names may not
//! take.

use std::time::Duration;

use async_nats::jetstream::kv::{Operation, Store, UpdateErrorKind};
use async_nats::jetstream::stream::{Config, DiscardPolicy, StorageType};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// What a name's value says: who holds it, and for how long after its last
/// refresh.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Holder {
    pub(crate) node: String,
    pub(crate) server: String,
    pub(crate) schema: u64,
    pub(crate) lease_ms: u64,
    /// This registration: the node's connection and a number, so that a
    /// holder knows its own entry from another's, even another of its
    /// node's, or one its node made before.
    pub(crate) owner: String,
}

impl Holder {
    pub(crate) fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms)
    }

    pub(crate) fn encode(&self) -> Bytes {
        // A struct of strings and integers always encodes.
        postcard::to_allocvec(self).unwrap_or_default().into()
    }
}

/// A name as the table has it now.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// Nobody holds it (never registered, or released).
    Free,
    /// `holder` wrote revision `revision`, `age` ago by this node's clock.
    Held {
        holder: Holder,
        revision: u64,
        age: Duration,
    },
}

impl Lookup {
    /// The holder, if its lease has not run out.
    pub(crate) fn live(self) -> Option<Holder> {
        match self {
            Lookup::Held { holder, age, .. } if age <= holder.lease() => Some(holder),
            _ => None,
        }
    }
}

/// The key whose writes tell the NATS server's time now.
pub(crate) const NOW: &str = "_gs.now";
/// Keys that global names may not take.
pub(crate) const RESERVED: &str = "_gs.";

/// The bucket of one cluster prefix.
pub(crate) struct Table {
    kv: Store,
    /// The stream's replicas, as it has them.
    pub(crate) replicas: usize,
}

/// Why a write was refused: someone else wrote the name first.
pub(crate) struct Taken;

/// Why the table did not open.
pub(crate) enum Opened {
    /// JetStream failed or refused.
    Store(async_nats::Error),
    /// The stream is replicated where updates are unsafe.
    Unsafe(super::UnsafeReplicas),
}

impl Table {
    /// Opens the bucket of `prefix`, creating its stream with `replicas`
    /// replicas (`why`, for the log) if it is missing. A stream that
    /// exists is opened as it is, unless it is replicated on a nats-server
    /// (`version`) where that is unsafe (`replicas.rs`).
    pub(crate) async fn open(
        client: &async_nats::Client,
        prefix: &str,
        replicas: usize,
        why: &str,
        version: &str,
    ) -> Result<Table, Opened> {
        let jetstream = async_nats::jetstream::new(client.clone());
        let bucket = bucket_name(prefix);
        let stream = format!("KV_{bucket}");
        let config = Config {
            name: stream.clone(),
            subjects: vec![format!("$KV.{bucket}.>")],
            max_messages_per_subject: 1,
            discard: DiscardPolicy::New,
            discard_new_per_subject: false,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            storage: StorageType::File,
            num_replicas: replicas,
            description: Some(format!("genserver global names of the cluster {prefix}")),
            ..Config::default()
        };
        // Two nodes may create it at once: the server accepts the same
        // config twice, and a stream made otherwise is opened as it is.
        match jetstream.create_stream(config).await {
            Ok(_) => tracing::info!(
                %bucket,
                replicas,
                "the global names' stream has {replicas} replica(s): {why}"
            ),
            Err(error) => {
                tracing::debug!(%bucket, %error, "the names' stream was not created; opening it");
            }
        }
        let kv = jetstream
            .get_key_value(bucket)
            .await
            .map_err(|error| Opened::Store(error.into()))?;
        let found = jetstream
            .get_stream(stream)
            .await
            .map_err(|error| Opened::Store(error.into()))?
            .cached_info()
            .config
            .num_replicas;
        if found > 1 && !super::replicas::safe(version) {
            return Err(Opened::Unsafe(super::UnsafeReplicas {
                replicas: found,
                version: version.to_owned(),
            }));
        }
        Ok(Table {
            kv,
            replicas: found,
        })
    }

    /// The name's holder, as the table has it now.
    pub(crate) async fn lookup(&self, name: &str) -> Result<Lookup, async_nats::Error> {
        let Some(entry) = self.kv.entry(name).await? else {
            return Ok(Lookup::Free);
        };
        if matches!(entry.operation, Operation::Delete | Operation::Purge) {
            return Ok(Lookup::Free);
        }
        let written = entry.created.unix_timestamp_nanos();
        let now = self.now().await?;
        let age = u64::try_from(now - written).map_or(Duration::ZERO, Duration::from_nanos);
        // A value this crate did not write is held by an unknown node for
        // the default lease.
        let holder = postcard::from_bytes(&entry.value).unwrap_or_else(|_| Holder {
            node: "?".to_owned(),
            server: "?".to_owned(),
            schema: 0,
            lease_ms: u64::try_from(super::DEFAULT_LEASE.as_millis()).unwrap_or(u64::MAX),
            owner: String::new(),
        });
        Ok(Lookup::Held {
            holder,
            revision: entry.revision,
            age,
        })
    }

    /// The NATS server's time now, in nanoseconds since the epoch: the
    /// time stamp it gives a write to [`NOW`] made just now (or a later
    /// one, by another node).
    async fn now(&self) -> Result<i128, async_nats::Error> {
        self.kv.put(NOW, Bytes::new()).await?;
        match self.kv.entry(NOW).await? {
            Some(entry) => Ok(entry.created.unix_timestamp_nanos()),
            None => Err("the NATS server's time stamp could not be read back".into()),
        }
    }

    /// Writes `holder` if nobody holds the name (revision 0, or released):
    /// its revision, or [`Taken`].
    pub(crate) async fn create(
        &self,
        name: &str,
        holder: &Holder,
    ) -> Result<Result<u64, Taken>, async_nats::Error> {
        use async_nats::jetstream::kv::CreateErrorKind;
        match self.kv.create(name, holder.encode()).await {
            Ok(revision) => Ok(Ok(revision)),
            Err(error) if error.kind() == CreateErrorKind::AlreadyExists => Ok(Err(Taken)),
            Err(error) => Err(error.into()),
        }
    }

    /// Writes `value` if the name is still at `revision`: its new revision,
    /// or [`Taken`] when someone wrote it since.
    pub(crate) async fn update(
        &self,
        name: &str,
        value: Bytes,
        revision: u64,
    ) -> Result<Result<u64, Taken>, async_nats::Error> {
        match self.kv.update(name, value, revision).await {
            Ok(revision) => Ok(Ok(revision)),
            Err(error) if error.kind() == UpdateErrorKind::WrongLastRevision => Ok(Err(Taken)),
            Err(error) => Err(error.into()),
        }
    }

    /// The name's revision now, if its value is `value`: a holder's own
    /// entry, written by a refresh whose answer it never got.
    pub(crate) async fn revision_of(
        &self,
        name: &str,
        value: &Bytes,
    ) -> Result<Option<u64>, async_nats::Error> {
        Ok(self
            .kv
            .entry(name)
            .await?
            .filter(|entry| entry.operation == Operation::Put && entry.value == *value)
            .map(|entry| entry.revision))
    }

    /// Releases the name if it is still at `revision` (still ours).
    pub(crate) async fn release(&self, name: &str, revision: u64) -> Result<(), async_nats::Error> {
        self.kv
            .delete_expect_revision(name, Some(revision))
            .await
            .map_err(Into::into)
    }
}

/// `gs_global_<prefix>`, the prefix's characters outside `[A-Za-z0-9_-]`
/// replaced, with a hash of the prefix when any was, so two prefixes never
/// share a bucket.
pub(crate) fn bucket_name(prefix: &str) -> String {
    let clean: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean == prefix {
        format!("gs_global_{clean}")
    } else {
        // FNV-1a: stable across builds, unlike the std hasher.
        let hash = prefix.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        format!("gs_global_{clean}_{hash:016x}")
    }
}

/// Whether `name` can be a key: `[-/_=.A-Za-z0-9]`, not starting or ending
/// with a dot.
pub(crate) fn valid_key(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.ends_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-/_=.".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_are_valid_and_distinct() {
        assert_eq!(bucket_name("app"), "gs_global_app");
        let dotted = bucket_name("app.eu");
        assert!(dotted.starts_with("gs_global_app_eu_"));
        assert_ne!(dotted, bucket_name("app_eu"));
    }

    #[test]
    fn keys_are_checked() {
        assert!(valid_key("jobs/queue=1.a-b_c"));
        for bad in ["", ".a", "a.", "a b", "a*", "a>", "é"] {
            assert!(!valid_key(bad), "{bad:?}");
        }
    }
}
