//! kameo, with an unbounded mailbox (kameo's default is bounded at 64; the
//! baseline and genserver's default are unbounded, so like for like).
//! Calls are `ask` (no reply timeout unless asked for), casts are `tell`
//! with `try_send` (never waits on an unbounded mailbox).

use kameo::actor::{ActorRef, Spawn};
use kameo::error::Infallible;
use kameo::mailbox;
use kameo::message::{Context, Message};

use super::Counter;

pub struct KCounter {
    value: u64,
}

impl kameo::Actor for KCounter {
    type Args = Self;
    type Error = Infallible;

    async fn on_start(state: Self, _: ActorRef<Self>) -> Result<Self, Infallible> {
        Ok(state)
    }
}

pub struct Add(u64);
pub struct Bump;

impl Message<Add> for KCounter {
    type Reply = u64;

    async fn handle(&mut self, Add(by): Add, _: &mut Context<Self, u64>) -> u64 {
        self.value += by;
        self.value
    }
}

impl Message<Bump> for KCounter {
    type Reply = ();

    async fn handle(&mut self, _: Bump, _: &mut Context<Self, ()>) {
        self.value += 1;
    }
}

#[derive(Clone)]
pub struct Kameo(ActorRef<KCounter>);

impl Counter for Kameo {
    async fn spawn() -> Self {
        Kameo(KCounter::spawn_with_mailbox(
            KCounter { value: 0 },
            mailbox::unbounded(),
        ))
    }

    async fn add(&self, by: u64) -> u64 {
        self.0.ask(Add(by)).await.expect("kameo: ask")
    }

    fn bump(&self) {
        let _ = self.0.tell(Bump).try_send();
    }

    async fn stop(self) {
        self.0.stop_gracefully().await.expect("kameo: stop");
        self.0.wait_for_shutdown().await;
    }
}
