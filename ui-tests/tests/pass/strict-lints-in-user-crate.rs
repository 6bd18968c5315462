//! A crate with strict lints: the generated code adds no warning and no
//! `unsafe`.
#![forbid(unsafe_code)]
// trybuild allows `dead_code` on the command line: deny it here.
#![deny(
    warnings,
    dead_code,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    unused_qualifications,
    unused_results,
    rust_2018_idioms,
    deprecated_in_future,
    trivial_casts,
    trivial_numeric_casts,
    single_use_lifetimes,
    unused_lifetimes
)]

use genserver_core::prelude::*;

/// A counter.
#[derive(Debug)]
pub struct Counter {
    value: i64,
}

/// Its own message.
#[derive(Debug, Clone)]
pub struct Tick;

#[gen_server(info = Tick)]
impl Counter {
    fn init(value: i64, ctx: &mut Context<Self>) -> Result<Self, String> {
        let _ = ctx.id();
        Ok(Counter { value })
    }

    /// Adds `by`.
    #[call]
    pub async fn add(&mut self, by: i64) -> i64 {
        self.value += by;
        self.value
    }

    /// Back to zero.
    #[cast]
    pub fn reset(&mut self) {
        self.value = 0;
    }

    /// Answers later.
    #[call]
    pub fn later(&self, reply: ReplyTo<i64>) {
        reply.reply(self.value);
    }

    fn handle_continue(&mut self, by: i64) {
        self.value += by;
    }

    fn handle_info(&mut self, msg: Info<Tick>, ctx: &mut Context<Self>) {
        if let Info::Message(Tick) = msg {
            ctx.continue_with(1);
        }
    }

    fn terminate(&mut self, _reason: &ExitReason) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let counter = Counter::start(1).await.unwrap();
    assert_eq!(counter.add(1).await.unwrap(), 2);
    counter.reset();
    counter.send(Tick);
    assert_eq!(counter.later().await.unwrap(), 1);
}
