//! Servers that opt in to `remote`, shared by the tests.

use std::time::Duration;

use genserver_core::prelude::*;

/// A counter with a call of every shape.
pub struct Counter {
    pub value: i64,
}

#[gen_server(remote)]
impl Counter {
    #[call]
    pub fn increment(&mut self, by: i64) -> i64 {
        self.value += by;
        self.value
    }

    #[call]
    pub fn value(&self) -> i64 {
        self.value
    }

    #[cast]
    pub fn add(&mut self, by: i64) {
        self.value += by;
    }

    /// Answers after `millis`, holding the server meanwhile.
    #[call]
    pub async fn slow(&self, millis: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(millis)).await;
        millis
    }

    /// Panics: the server exits during the call.
    #[call]
    pub fn crash(&self) -> u8 {
        panic!("boom")
    }

    #[call]
    pub fn echo(&self, bytes: Vec<u8>) -> Vec<u8> {
        bytes
    }

    /// Adds the length of `bytes`: a cast with a payload.
    #[cast]
    pub fn add_len(&mut self, bytes: Vec<u8>) {
        self.value += bytes.len() as i64;
    }

    /// A reply of `len` bytes.
    #[call]
    pub fn filled(&self, len: u32) -> Vec<u8> {
        vec![7; len as usize]
    }

    /// Answers later, from a task.
    #[call]
    pub fn greet_later(&mut self, reply: ReplyTo<String>, name: String) {
        tokio::spawn(async move { reply.reply(format!("hello, {name}")) });
    }

    /// Answers after `millis`, from a task: the server takes the next
    /// message meanwhile.
    #[call]
    pub fn later(&mut self, reply: ReplyTo<u64>, millis: u64) {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            reply.reply(millis);
        });
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// Another version of `Counter`: the same type name, other handlers.
pub mod v2 {
    use genserver_core::prelude::*;

    pub struct Counter;

    #[gen_server(remote)]
    impl Counter {
        #[call]
        pub fn increment(&mut self, by: i32) -> i32 {
            by
        }

        fn handle_info(&mut self, _msg: Info<()>) {}
    }
}

/// A server of another type.
pub struct Other;

#[gen_server(remote)]
impl Other {
    #[call]
    pub fn increment(&mut self, by: i64) -> i64 {
        by
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// A slow consumer of casts: each `push` holds it `millis`; it records
/// what it took, in order.
pub struct Sink {
    pub millis: u64,
    pub taken: Vec<u64>,
}

#[gen_server(remote)]
impl Sink {
    #[cast]
    pub async fn push(&mut self, item: u64) {
        tokio::time::sleep(Duration::from_millis(self.millis)).await;
        self.taken.push(item);
    }

    /// What it took so far.
    #[call]
    pub fn taken(&self) -> Vec<u64> {
        self.taken.clone()
    }

    /// Makes each `push` take `millis` from now on.
    #[call]
    pub fn set_millis(&mut self, millis: u64) {
        self.millis = millis;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}
