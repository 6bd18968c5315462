#![deny(warnings)]
use genserver_core::assert_receive;
use genserver_core::prelude::*;
use std::collections::HashMap;
use std::hash::Hash;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    /// Adds `by` and returns the new value.
    #[call]
    pub fn increment(&mut self, by: i64) -> i64 {
        self.value += by;
        self.value
    }

    /// Answers later.
    #[call]
    pub fn later(&mut self, reply: ReplyTo<i64>) {
        reply.reply(self.value);
    }

    /// Back to zero.
    #[cast]
    pub fn reset(&mut self) {
        self.value = 0;
    }

    #[cast]
    pub fn note(&mut self, text: String, weight: u32) {
        let _ = (text, weight);
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

pub struct Cache<K, V> {
    map: HashMap<K, V>,
}

#[gen_server]
impl<K, V> Cache<K, V>
where
    K: Hash + Eq + Send + 'static,
    V: Clone + Send + 'static,
{
    #[call]
    pub fn get(&self, key: K) -> Option<V> {
        self.map.get(&key).cloned()
    }

    #[cast]
    pub fn put(&mut self, key: K, value: V) {
        self.map.insert(key, value);
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mock = CounterMock::start();
    mock.on_increment(|by| by + 1).on_later(|| 7);
    let counter: Server<Counter> = mock.server();
    assert_eq!(counter.increment(1).await.unwrap(), 2);
    assert_eq!(counter.later().await.unwrap(), 7);
    counter.note("x".into(), 3);
    counter.reset();
    assert_receive!(mock, CounterCast::Note(text, 3));
    assert_eq!(text, "x");
    assert_receive!(mock, CounterCast::Reset);

    let cache = CacheMock::<&'static str, u32>::start();
    cache.on_get(|key| (key == "a").then_some(1));
    assert_eq!(cache.server().get("a").await.unwrap(), Some(1));
    cache.server().put("b", 2);
    assert_receive!(cache, CacheCast::Put("b", 2));
}
