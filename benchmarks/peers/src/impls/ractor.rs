//! ractor (native async traits, `tokio_runtime` only). Calls are
//! `ActorRef::call` without a timeout (what `call!` does), casts are
//! `ActorRef::cast`, stop is `stop_and_wait`.

use ractor::{ActorProcessingErr, ActorRef, RpcReplyPort};

use super::Counter;

pub struct RCounter;

pub enum Msg {
    Add(u64, RpcReplyPort<u64>),
    Bump,
}

impl ractor::Actor for RCounter {
    type Msg = Msg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<Msg>, _: ()) -> Result<u64, ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _: ActorRef<Msg>,
        message: Msg,
        value: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            Msg::Add(by, reply) => {
                *value += by;
                let _ = reply.send(*value);
            }
            Msg::Bump => *value += 1,
        }
        Ok(())
    }
}

#[derive(Clone)]
pub struct Ractor(ActorRef<Msg>);

impl Counter for Ractor {
    async fn spawn() -> Self {
        let (actor, _join) = ractor::Actor::spawn(None, RCounter, ())
            .await
            .expect("ractor: spawn");
        Ractor(actor)
    }

    async fn add(&self, by: u64) -> u64 {
        match self.0.call(|reply| Msg::Add(by, reply), None).await {
            Ok(ractor::rpc::CallResult::Success(value)) => value,
            _ => panic!("ractor: call failed"),
        }
    }

    fn bump(&self) {
        let _ = self.0.cast(Msg::Bump);
    }

    async fn stop(self) {
        self.0
            .stop_and_wait(None, None)
            .await
            .expect("ractor: stop");
    }
}
