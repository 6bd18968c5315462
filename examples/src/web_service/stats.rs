//! Request counts per API key, partitioned by key: each partition counts
//! the keys that hash to it, so no single server sees every request.

use std::collections::HashMap;

use genserver_core::prelude::*;

/// What one key's requests came to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyStats {
    pub allowed: u64,
    pub limited: u64,
}

/// One partition of the stats.
pub struct Stats {
    partition: usize,
    keys: HashMap<String, KeyStats>,
}

#[gen_server]
impl Stats {
    fn init(partition: usize) -> Result<Self, String> {
        Ok(Stats {
            partition,
            keys: HashMap::new(),
        })
    }

    /// Counts one request (a cast: the request does not wait for it).
    #[cast]
    pub fn record(&mut self, key: String, allowed: bool) {
        let stats = self.keys.entry(key).or_default();
        if allowed {
            stats.allowed += 1;
        } else {
            stats.limited += 1;
        }
    }

    /// One key's counts, and the partition that holds them.
    #[call]
    pub fn of(&self, key: String) -> (usize, KeyStats) {
        (
            self.partition,
            self.keys.get(&key).copied().unwrap_or_default(),
        )
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}
