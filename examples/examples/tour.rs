//! A tour of genserver: run it first.
//!
//! `cargo run --example tour`
//!
//! It starts a small key-value store and shows, in order: a call, a cast,
//! an info message from a timer, a deferred reply, a monitor, and a crash
//! with the error its callers get.

use genserver_core::prelude::*;
use genserver_core::whereis;
use std::collections::HashMap;
use std::time::Duration;

/// The state: a plain struct.
pub struct Store {
    entries: HashMap<String, String>,
    writes: u64,
}

/// The store's own out-of-band message.
#[derive(Debug, Clone)]
pub enum Housekeeping {
    Report,
}

#[gen_server(info = Housekeeping)]
impl Store {
    /// Runs inside the new server; `Store::start` returns once it has.
    fn init(capacity: usize, ctx: &mut Context<Self>) -> Result<Self, String> {
        ctx.send_after(Housekeeping::Report, Duration::from_millis(50));
        Ok(Store {
            entries: HashMap::with_capacity(capacity),
            writes: 0,
        })
    }

    /// A call: the caller waits for the reply.
    #[call]
    pub fn get(&self, key: String) -> Option<String> {
        self.entries.get(&key).cloned()
    }

    /// A cast: fire-and-forget.
    #[cast]
    pub fn put(&mut self, key: String, value: String) {
        self.entries.insert(key, value);
        self.writes += 1;
    }

    /// A deferred reply: the slow work runs on its own task, the server
    /// stays free, and the caller still just awaits a `String`.
    #[call]
    pub fn slow_upper(&self, key: String, reply: ReplyTo<String>) {
        let value = self.entries.get(&key).cloned().unwrap_or_default();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            reply.reply(value.to_uppercase());
        });
    }

    /// A bug waiting to happen.
    #[call]
    pub fn first_char(&self, key: String) -> char {
        self.entries[&key].chars().next().expect("an empty value")
    }

    /// The catch-all for timers, monitors and stray messages.
    fn handle_info(&mut self, msg: Info<Housekeeping>) {
        match msg {
            Info::Message(Housekeeping::Report) => {
                println!(
                    "  [info] the store has {} entries after {} writes",
                    self.entries.len(),
                    self.writes
                );
            }
            other => tracing::warn!(?other, "unexpected message"),
        }
    }

    fn terminate(&mut self, reason: &ExitReason) {
        println!("  [terminate] the store stops: {reason}");
    }
}

/// A second server that watches the first.
pub struct Watcher;

#[gen_server]
impl Watcher {
    #[cast]
    pub fn watch(&mut self, store: Server<Store>, ctx: &mut Context<Self>) {
        ctx.monitor(&store);
    }

    fn handle_info(&mut self, msg: Info<()>) {
        match msg {
            Info::Down { server, reason, .. } => {
                println!("  [monitor] {server} went down: {reason}")
            }
            other => tracing::warn!(?other, "unexpected message"),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .init();
    // The crash in step 5 is on purpose. The server reports it itself (the
    // ERROR line from `tracing`, with where it panicked); this hook keeps
    // Rust's own panic message and backtrace from repeating it, and leaves
    // every other panic to Rust.
    genserver_core::install_panic_hook();

    println!("1. start: `init` runs inside the server before `start` returns");
    let store = Store::start(16).name("store").await?;
    println!(
        "  started {store:?}, also found by name: {:?}",
        whereis::<Store>("store")
    );

    println!("2. cast and call");
    store.put("greeting".into(), "hello".into());
    println!(
        "  get(greeting) = {:?}",
        store.get("greeting".into()).await?
    );

    println!("3. info: a timer message arrives in handle_info");
    tokio::time::sleep(Duration::from_millis(80)).await;

    println!("4. deferred reply, with a per-call timeout");
    let upper = store
        .with_timeout(Duration::from_secs(1))
        .slow_upper("greeting".into())
        .await?;
    println!("  slow_upper(greeting) = {upper:?}");

    println!("5. a crash: the caller gets the exit reason, terminate runs, monitors hear of it");
    let watcher = Watcher::start(Watcher).await?;
    watcher.watch(store.clone());
    store.put("empty".into(), String::new());
    match store.first_char("empty".into()).await {
        Ok(c) => println!("  unexpected: {c}"),
        Err(err) => println!("  first_char(empty) failed: {err}"),
    }
    store.exited().await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    println!(
        "  alive: {}, name free again: {}",
        store.is_alive(),
        whereis::<Store>("store").is_none()
    );
    println!("  a call now: {:?}", store.get("greeting".into()).await);

    watcher.stop(ExitReason::Normal).await?;
    println!("done");
    Ok(())
}
