//! `#[gen_server]`, the library under test.

use genserver_core::prelude::*;
use genserver_core::Named;

use super::Counter;

pub struct GsCounter {
    value: u64,
}

#[gen_server]
impl GsCounter {
    #[call]
    pub fn add(&mut self, by: u64) -> u64 {
        self.value += by;
        self.value
    }

    #[cast]
    pub fn bump(&mut self) {
        self.value += 1;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// Default settings: unbounded mailbox, calls with a live 5 s timeout.
#[derive(Clone)]
pub struct GenServer(Server<GsCounter>);

impl Counter for GenServer {
    async fn spawn() -> Self {
        GenServer(
            GsCounter::start(GsCounter { value: 0 })
                .await
                .expect("genserver: start"),
        )
    }

    async fn add(&self, by: u64) -> u64 {
        self.0.add(by).await.expect("genserver: call")
    }

    fn bump(&self) {
        self.0.bump()
    }

    async fn stop(self) {
        self.0
            .stop(ExitReason::Normal)
            .await
            .expect("genserver: stop")
    }
}

// ---------------------------------------------------------------------------
// A bounded mailbox (issue 8): `T::start(..).mailbox(Mailbox::bounded(n))`.
// Compiled with the `genserver-bounded` feature, on by default.
// ---------------------------------------------------------------------------

/// A bounded mailbox, otherwise the defaults. Its capacity (65 536) holds
/// the cast measure's whole batch (up to 40 000 casts before the call that
/// waits for them), so it measures the bounded path, not dropped casts.
#[cfg(feature = "genserver-bounded")]
#[derive(Clone)]
pub struct GenServerBounded(Server<GsCounter>);

#[cfg(feature = "genserver-bounded")]
impl Counter for GenServerBounded {
    async fn spawn() -> Self {
        GenServerBounded(
            GsCounter::start(GsCounter { value: 0 })
                .mailbox(genserver_core::Mailbox::bounded(65_536))
                .await
                .expect("genserver-bounded: start"),
        )
    }

    async fn add(&self, by: u64) -> u64 {
        self.0.add(by).await.expect("genserver-bounded: call")
    }

    fn bump(&self) {
        self.0.bump()
    }

    async fn stop(self) {
        self.0
            .stop(ExitReason::Normal)
            .await
            .expect("genserver-bounded: stop")
    }
}

// ---------------------------------------------------------------------------
// Calls by name (issue 9): `Named<T>` resolves a local name per call,
// cached until a name is freed.
// ---------------------------------------------------------------------------

/// The defaults, reached through `Named::new(name)` instead of the
/// `Server<T>` handle.
#[derive(Clone)]
pub struct GenServerNamed(Named<GsCounter>);

impl Counter for GenServerNamed {
    async fn spawn() -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!("peers-counter-{}", NEXT.fetch_add(1, Ordering::Relaxed));
        GsCounter::start(GsCounter { value: 0 })
            .name(name.as_str())
            .await
            .expect("genserver-named: start");
        GenServerNamed(Named::new(name))
    }

    async fn add(&self, by: u64) -> u64 {
        self.0.add(by).await.expect("genserver-named: call")
    }

    fn bump(&self) {
        self.0.bump()
    }

    async fn stop(self) {
        self.0
            .stop(ExitReason::Normal)
            .await
            .expect("genserver-named: stop")
    }
}
