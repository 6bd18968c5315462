//! Maps keyed by the runtime's own numbers (server ids, monitor refs, hook
//! keys), hashed without a per-map random seed.
//!
//! Every key is a number this program minted in sequence, never one a peer
//! chooses, so there is no collision attack to defend against: the seed
//! `std`'s `RandomState` carries (16 bytes in every map, and every idle
//! server holds two such maps) buys nothing here.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` keyed by the runtime's own numbers.
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Multiply-and-rotate over whole words (as rustc's `FxHasher`): the ids
/// are sequential, and the multiplication spreads them over the high bits
/// the table reads.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl IdHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn write_isize(&mut self, n: isize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn an_empty_map_is_smaller_than_std_s() {
        assert_eq!(
            std::mem::size_of::<IdMap<u64, u64>>() + 16,
            std::mem::size_of::<HashMap<u64, u64>>()
        );
    }

    #[test]
    fn sequential_ids_spread_over_the_high_bits() {
        // hashbrown picks a group with the low bits and tags entries with
        // the top 7: both must vary for sequential keys.
        let hashes: Vec<u64> = (1..=1024u64)
            .map(|id| {
                let mut h = IdHasher::default();
                h.write_u64(id);
                h.finish()
            })
            .collect();
        let tags: HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        let groups: HashSet<u64> = hashes.iter().map(|h| h & 1023).collect();
        assert_eq!(tags.len(), 128);
        assert!(groups.len() > 600, "{} groups of 1024", groups.len());
    }

    #[test]
    fn a_map_of_a_million_ids_works() {
        let mut map: IdMap<u64, u64> = IdMap::default();
        for id in 0..1_000_000u64 {
            map.insert(id, id * 2);
        }
        assert_eq!(map.len(), 1_000_000);
        assert!((0..1_000_000u64).step_by(997).all(|id| map[&id] == id * 2));
    }
}
