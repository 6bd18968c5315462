//! The web service's rate limiter as one server, on a paused clock (the
//! test kit): its window and its idle stop, a minute each, in no real time.

use std::time::Duration;

use examples::web_service::limiter::{Decision, IDLE, RateLimiter};
use genserver_core::assert_receive;
use genserver_core::prelude::*;
use genserver_core::testing::{Probe, TestKit};
use tokio::time::Instant;

const WINDOW: Duration = Duration::from_secs(60);

#[tokio::test(start_paused = true)]
async fn a_window_serves_its_limit_then_refuses_until_it_ends() {
    let kit = TestKit::new();
    let limiter = kit.start(RateLimiter::start(2, WINDOW)).await;
    assert_eq!(
        limiter.check().await.unwrap(),
        Decision::Allowed { remaining: 1 }
    );
    assert_eq!(
        limiter.check().await.unwrap(),
        Decision::Allowed { remaining: 0 }
    );
    tokio::time::sleep(Duration::from_secs(20)).await;
    let retry_after = Duration::from_secs(40);
    assert_eq!(
        limiter.check().await.unwrap(),
        Decision::Limited { retry_after }
    );
    tokio::time::sleep(retry_after).await;
    assert_eq!(
        limiter.check().await.unwrap(),
        Decision::Allowed { remaining: 1 }
    );
    kit.finish().await;
}

#[tokio::test(start_paused = true)]
async fn an_unused_limiter_stops_normally_after_a_minute() {
    let kit = TestKit::new();
    let probe: Probe = kit.probe().await;
    let limiter = kit.start(RateLimiter::start(2, WINDOW)).await;
    probe.monitor(&limiter).await;
    let started = Instant::now();
    limiter.check().await.unwrap();
    assert_receive!(
        probe,
        Info::Down {
            reason: ExitReason::Normal,
            ..
        },
        IDLE * 2
    );
    assert_eq!(started.elapsed(), IDLE);
    kit.finish().await;
}
