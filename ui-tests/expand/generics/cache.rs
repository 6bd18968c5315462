#![deny(warnings)]
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
    /// The value stored under `key`.
    #[call]
    pub fn get(&self, key: K) -> Option<V> {
        self.map.get(&key).cloned()
    }

    /// Stores `value` under `key`.
    #[cast]
    pub fn put(&mut self, key: K, value: V) {
        self.map.insert(key, value);
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let cache = Cache::start(Cache { map: HashMap::new() }).await.unwrap();
    cache.put("a", 1);
    assert_eq!(cache.get("a").await.unwrap(), Some(1));
}
