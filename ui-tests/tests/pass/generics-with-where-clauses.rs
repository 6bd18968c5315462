#![deny(warnings)]
//! A generic state with bounds in the where clause.
use genserver_core::prelude::*;
use std::collections::HashMap;
use std::hash::Hash;

pub struct Cache<K, V> {
    map: HashMap<K, V>,
}

#[gen_server]
impl<K, V> Cache<K, V>
where
    K: Hash + Eq + Send + 'static,
    V: Clone + Send + 'static,
{
    /// The value under `key`.
    #[call]
    pub fn get(&self, key: K) -> Option<V> {
        self.map.get(&key).cloned()
    }

    /// Stores `value` under `key`.
    #[cast]
    pub fn put(&mut self, key: K, value: V) {
        self.map.insert(key, value);
    }

    /// How many entries, as `Self` sees it.
    #[call]
    pub fn snapshot_len(&self) -> usize {
        self.map.len()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

pub struct Pair<const N: usize>;

#[gen_server]
impl<const N: usize> Pair<N> {
    #[call]
    fn size(&self) -> usize {
        N
    }
    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let cache: Server<Cache<String, u32>> = Cache::start(Cache { map: HashMap::new() }).await.unwrap();
    cache.put("a".to_string(), 1);
    assert_eq!(cache.get("a".to_string()).await.unwrap(), Some(1));
    assert_eq!(cache.snapshot_len().await.unwrap(), 1);
    let pair = Pair::<3>::start(Pair).await.unwrap();
    assert_eq!(pair.size().await.unwrap(), 3);
}
