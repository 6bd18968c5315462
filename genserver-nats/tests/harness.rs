//! The test harness itself: a real nats-server on loopback.

mod common;

use std::time::Duration;

use common::{NatsServer, within};

#[tokio::test]
async fn starts_on_loopback_and_accepts_a_client() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    assert!(
        server.url().starts_with("nats://127.0.0.1:"),
        "{}",
        server.url()
    );
    let client = within(Duration::from_secs(5), async_nats::connect(server.url()))
        .await
        .expect("connects");
    within(Duration::from_secs(5), client.flush())
        .await
        .expect("flushes");
}
