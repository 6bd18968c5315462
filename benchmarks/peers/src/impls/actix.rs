//! actix. Calls are `Addr::send` (no timeout unless asked for), casts are
//! `Addr::do_send` (ignores the mailbox capacity, as a cast should). actix
//! has no "stop and wait" on an address, so stop is a message whose
//! handler stops the context and whose reply is sent from `stopped()`.
//!
//! Actors run on an actix arbiter (a current-thread tokio runtime with a
//! `LocalSet`): `Counter::spawn` must run inside an `actix::System` or on
//! an `Arbiter`'s thread.

use actix::{Actor, ActorContext, Addr, Context, Handler, Message};
use tokio::sync::oneshot;

use super::Counter;

pub struct ACounter {
    value: u64,
    on_stopped: Option<oneshot::Sender<()>>,
}

impl Actor for ACounter {
    type Context = Context<Self>;

    fn stopped(&mut self, _: &mut Context<Self>) {
        if let Some(ack) = self.on_stopped.take() {
            let _ = ack.send(());
        }
    }
}

pub struct Add(u64);
pub struct Bump;
pub struct Stop(oneshot::Sender<()>);

impl Message for Add {
    type Result = u64;
}

impl Message for Bump {
    type Result = ();
}

impl Message for Stop {
    type Result = ();
}

impl Handler<Add> for ACounter {
    type Result = u64;

    fn handle(&mut self, Add(by): Add, _: &mut Context<Self>) -> u64 {
        self.value += by;
        self.value
    }
}

impl Handler<Bump> for ACounter {
    type Result = ();

    fn handle(&mut self, _: Bump, _: &mut Context<Self>) {
        self.value += 1;
    }
}

impl Handler<Stop> for ACounter {
    type Result = ();

    fn handle(&mut self, Stop(ack): Stop, ctx: &mut Context<Self>) {
        self.on_stopped = Some(ack);
        ctx.stop();
    }
}

#[derive(Clone)]
pub struct Actix(Addr<ACounter>);

impl Actix {
    /// Starts a counter on the current arbiter.
    pub fn start_here() -> Self {
        Actix(
            ACounter {
                value: 0,
                on_stopped: None,
            }
            .start(),
        )
    }
}

impl Counter for Actix {
    async fn spawn() -> Self {
        Actix::start_here()
    }

    async fn add(&self, by: u64) -> u64 {
        self.0.send(Add(by)).await.expect("actix: send")
    }

    fn bump(&self) {
        self.0.do_send(Bump)
    }

    async fn stop(self) {
        let (tx, rx) = oneshot::channel();
        self.0.do_send(Stop(tx));
        let _ = rx.await;
    }
}

impl Actix {
    /// Starts a counter on another arbiter's thread, and waits until its
    /// address is back.
    pub async fn start_on(arbiter: &actix::ArbiterHandle) -> Self {
        let (tx, rx) = oneshot::channel();
        arbiter.spawn_fn(move || {
            let _ = tx.send(Actix::start_here());
        });
        rx.await.expect("actix: arbiter gone")
    }
}
