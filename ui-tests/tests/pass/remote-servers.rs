//! `#[gen_server(remote)]` on servers of every handler shape: they still
//! run locally, through the same client; the wire form is beside them.
#![deny(warnings)]

use genserver_core::prelude::*;
use genserver_core::RemoteServer;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub key: String,
    pub value: Vec<u8>,
}

pub struct Store {
    entries: Vec<Entry>,
}

#[gen_server(remote, info = u8)]
impl Store {
    /// Stores an entry.
    #[cast]
    pub fn put(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    #[call]
    pub async fn get(&self, key: String) -> Option<Entry> {
        self.entries.iter().find(|e| e.key == key).cloned()
    }

    /// Answers later.
    #[call]
    pub fn count_later(&mut self, reply: ReplyTo<usize>, _hint: (u8, String)) {
        reply.reply(self.entries.len());
    }

    #[call]
    pub fn clear(&mut self, _ctx: &mut Context<Self>) {
        self.entries.clear();
    }

    #[cfg(any())]
    #[call]
    pub fn never(&self, _gone: std::rc::Rc<u8>) -> u8 {
        0
    }

    fn handle_info(&mut self, _msg: Info<u8>) {}
}

/// No handlers at all.
pub struct Empty;

#[gen_server(remote)]
impl Empty {
    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn schema<T: RemoteServer>() -> u64 {
    T::SCHEMA
}

#[tokio::main]
async fn main() {
    let store = Store::start(Store { entries: vec![] }).await.unwrap();
    store.put(Entry { key: "a".into(), value: vec![1] });
    assert_eq!(store.get("a".into()).await.unwrap().unwrap().value, vec![1]);
    assert_eq!(store.count_later((1, "x".into())).await, Ok(1));
    store.clear().await.unwrap();
    assert_ne!(schema::<Store>(), schema::<Empty>());
    let _ = Empty::start(Empty).await.unwrap();
}
