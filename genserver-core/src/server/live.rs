//! The live servers of the program (OTP's process table): every server is
//! entered when it starts and removed when it has exited, so inspection
//! can list them all.
//!
//! ```text
//!  start ──▶ shard (id % SHARDS) ──▶ a free slot ── slot kept in the server's Counters
//!  exit  ──▶ the same shard and slot ──▶ freed
//!  snapshot: one shard at a time, under its lock only while its servers are cloned
//! ```
//!
//! Each shard is a slab: entering and leaving cost O(1) under one shard's
//! lock, whatever the number of servers, and a snapshot never holds more
//! than one shard's lock, for as long as it takes to clone that shard's
//! handles. A slot is a handle (16 bytes).

use std::sync::{Mutex, OnceLock};

use crate::id::ServerId;
use crate::lock::lock;
use crate::server::any::AnyServer;

/// How many shards: enough that servers starting on every core rarely meet.
const SHARDS: usize = 64;

#[derive(Default)]
struct Shard {
    slots: Vec<Option<AnyServer>>,
    free: Vec<u32>,
    len: usize,
}

fn shards() -> &'static [Mutex<Shard>] {
    static SHARDS_: OnceLock<Box<[Mutex<Shard>]>> = OnceLock::new();
    SHARDS_.get_or_init(|| (0..SHARDS).map(|_| Mutex::default()).collect())
}

fn shard_of(id: ServerId) -> &'static Mutex<Shard> {
    &shards()[(id.as_u64() % SHARDS as u64) as usize]
}

/// Enters `server`; its slot, to leave with.
pub(crate) fn enter(server: &AnyServer) -> u32 {
    let mut shard = lock(shard_of(server.id()));
    shard.len += 1;
    match shard.free.pop() {
        Some(slot) => {
            shard.slots[slot as usize] = Some(server.clone());
            slot
        }
        None => {
            shard.slots.push(Some(server.clone()));
            u32::try_from(shard.slots.len() - 1).unwrap_or(u32::MAX)
        }
    }
}

/// Removes the server `id` from `slot`.
pub(crate) fn leave(id: ServerId, slot: u32) {
    let mut shard = lock(shard_of(id));
    let Some(entry) = shard.slots.get_mut(slot as usize) else {
        return;
    };
    if entry.as_ref().is_some_and(|s| s.id() == id) {
        *entry = None;
        shard.free.push(slot);
        shard.len -= 1;
    }
}

/// Every live server, one shard after another.
pub(crate) fn snapshot() -> Vec<AnyServer> {
    let mut all = Vec::with_capacity(count());
    for shard in shards() {
        let shard = lock(shard);
        all.extend(shard.slots.iter().flatten().cloned());
    }
    all
}

/// How many servers are live.
pub(crate) fn count() -> usize {
    shards().iter().map(|shard| lock(shard).len).sum()
}

/// The live server `id`, found at `slot`; `None` once it has left.
pub(crate) fn get(id: ServerId, slot: u32) -> Option<AnyServer> {
    let shard = lock(shard_of(id));
    shard
        .slots
        .get(slot as usize)?
        .as_ref()
        .filter(|server| server.id() == id)
        .cloned()
}

/// The live local server whose id's number is `number`: a scan of the one
/// shard it would be in, under that shard's lock, cloning only the handle
/// found.
pub(crate) fn find_local(number: u64) -> Option<AnyServer> {
    let shard = lock(&shards()[(number % SHARDS as u64) as usize]);
    shard
        .slots
        .iter()
        .flatten()
        .find(|server| server.id().is_local_numbered(number))
        .cloned()
}

/// Calls `f` with every live server, one shard at a time, holding only
/// that shard's lock (nothing is cloned).
pub(crate) fn for_each(mut f: impl FnMut(&AnyServer)) {
    for shard in shards() {
        let shard = lock(shard);
        shard.slots.iter().flatten().for_each(&mut f);
    }
}
