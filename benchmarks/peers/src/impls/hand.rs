//! The baseline: the actor a careful person writes by hand on tokio, an
//! unbounded mpsc channel and a oneshot per call (as in
//! `genserver-core/benches/round_trip.rs`), plus a stop request that is
//! acknowledged once the loop has ended and the state is dropped.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::Counter;

enum Request {
    Add(u64, oneshot::Sender<u64>),
    Bump,
    Stop(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct Hand(mpsc::UnboundedSender<Request>);

impl Hand {
    fn start() -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut value = 0u64;
            let mut done = None;
            while let Some(request) = rx.recv().await {
                match request {
                    Request::Add(by, reply) => {
                        value += by;
                        let _ = reply.send(value);
                    }
                    Request::Bump => value += 1,
                    Request::Stop(ack) => {
                        done = Some(ack);
                        break;
                    }
                }
            }
            drop(rx);
            if let Some(ack) = done {
                let _ = ack.send(());
            }
        });
        Hand(tx)
    }

    async fn stop_and_wait(&self) {
        let (tx, rx) = oneshot::channel();
        if self.0.send(Request::Stop(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

impl Counter for Hand {
    async fn spawn() -> Self {
        Hand::start()
    }

    async fn add(&self, by: u64) -> u64 {
        let (tx, rx) = oneshot::channel();
        self.0.send(Request::Add(by, tx)).expect("hand: actor gone");
        rx.await.expect("hand: no reply")
    }

    fn bump(&self) {
        let _ = self.0.send(Request::Bump);
    }

    async fn stop(self) {
        self.stop_and_wait().await
    }
}

/// The same actor; each call waits at most 5 s, with a tokio timer per call.
#[derive(Clone)]
pub struct HandTimeout(Hand);

impl Counter for HandTimeout {
    async fn spawn() -> Self {
        HandTimeout(Hand::start())
    }

    async fn add(&self, by: u64) -> u64 {
        let (tx, rx) = oneshot::channel();
        (self.0)
            .0
            .send(Request::Add(by, tx))
            .expect("hand: actor gone");
        tokio::time::timeout(Duration::from_secs(5), rx)
            .await
            .expect("hand+timeout: timed out")
            .expect("hand+timeout: no reply")
    }

    fn bump(&self) {
        self.0.bump()
    }

    async fn stop(self) {
        self.0.stop_and_wait().await
    }
}
