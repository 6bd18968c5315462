//! docs/behaviour.md, "Links, monitors and trap_exit": the signals between
//! two servers arrive in the order they were sent. A `Down` or an exit
//! signal queues behind the messages its server sent before it died, and a
//! bounded mailbox never drops nor refuses them; `stop`, kills and timers
//! still overtake queued messages. Every wait is bounded.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{eventually, gone, within};
use genserver_core::AnyServer;
use genserver_core::prelude::*;
use genserver_core::{Mailbox, Overflow};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// Keeps a set of subscribers, forgetting one when it exits.
pub struct Hub {
    subscribers: Vec<ServerId>,
    log: Vec<String>,
}

#[gen_server(info = String)]
impl Hub {
    fn init(trap: bool, ctx: &mut Context<Self>) -> Result<Self, String> {
        ctx.trap_exit(trap);
        Ok(Hub {
            subscribers: Vec::new(),
            log: Vec::new(),
        })
    }

    /// Watches `server`: its exit arrives as `Down`.
    #[call]
    pub fn watch(&mut self, server: AnyServer, ctx: &mut Context<Self>) {
        ctx.monitor(server);
    }

    /// Links with `server`: its exit arrives as `Exit` (the hub traps exits).
    #[call]
    pub fn adopt(&mut self, server: AnyServer, ctx: &mut Context<Self>) {
        ctx.link(server);
    }

    #[cast]
    pub fn subscribe(&mut self, who: ServerId) {
        self.log.push(format!("subscribe {who}"));
        self.subscribers.push(who);
    }

    /// Starts a task whose result is `text`, then holds the hub for `d`.
    #[cast]
    pub async fn spawn_then_hold(
        &mut self,
        text: String,
        done: Arc<AtomicBool>,
        d: Duration,
        ctx: &mut Context<Self>,
    ) {
        ctx.spawn(async move {
            done.store(true, Ordering::Release);
            text
        });
        tokio::time::sleep(d).await;
    }

    /// Holds the hub for `d`, so that messages queue behind it.
    #[cast]
    pub async fn hold(&mut self, d: Duration) {
        tokio::time::sleep(d).await;
    }

    #[call]
    pub fn subscribers(&self) -> Vec<ServerId> {
        self.subscribers.clone()
    }

    #[call]
    pub fn log(&self) -> Vec<String> {
        self.log.clone()
    }

    fn handle_info(&mut self, msg: Info<String>) {
        match msg {
            Info::Down { server, .. } | Info::Exit { from: server, .. } => {
                self.log.push(format!("gone {server}"));
                self.subscribers.retain(|s| *s != server);
            }
            Info::Message(text) => self.log.push(text),
            other => self.log.push(format!("{other:?}")),
        }
    }
}

/// Subscribes to a hub, then crashes at once.
pub struct Subscriber {
    hub: Server<Hub>,
}

#[gen_server]
impl Subscriber {
    #[cast]
    pub fn subscribe_then_crash(&self, ctx: &mut Context<Self>) {
        self.hub.subscribe(ctx.id());
        self.hub.send("a message before the crash".into());
        panic!("subscriber crashed right after subscribing");
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn a_down_never_overtakes_the_casts_its_server_sent_before_dying() {
    let hub = Hub::start(false).await.unwrap();
    let subscriber = Subscriber::start(Subscriber { hub: hub.clone() })
        .await
        .unwrap();
    within(LIMIT, "watch", hub.watch(AnyServer::from(&subscriber)))
        .await
        .unwrap();
    hub.hold(Duration::from_millis(100));
    subscriber.subscribe_then_crash();
    gone(&subscriber).await;
    // The subscriber's cast, its message and its `Down` wait behind the
    // hold, in the order they were sent: the hub adds it, then forgets it.
    let subscribers = within(LIMIT, "subscribers", hub.subscribers()).await;
    assert_eq!(
        subscribers,
        Ok(vec![]),
        "a stale subscription outlived its Down"
    );
    let id = subscriber.id();
    assert_eq!(
        within(LIMIT, "log", hub.log()).await.unwrap(),
        [
            format!("subscribe {id}"),
            "a message before the crash".to_string(),
            format!("gone {id}"),
        ]
    );
}

#[tokio::test]
async fn an_exit_signal_never_overtakes_the_casts_its_server_sent_before_dying() {
    let hub = Hub::start(true).await.unwrap();
    let subscriber = Subscriber::start(Subscriber { hub: hub.clone() })
        .await
        .unwrap();
    within(LIMIT, "adopt", hub.adopt(AnyServer::from(&subscriber)))
        .await
        .unwrap();
    hub.hold(Duration::from_millis(100));
    subscriber.subscribe_then_crash();
    gone(&subscriber).await;
    let id = subscriber.id();
    assert_eq!(
        within(LIMIT, "log", hub.log()).await.unwrap(),
        [
            format!("subscribe {id}"),
            "a message before the crash".to_string(),
            format!("gone {id}"),
        ]
    );
    assert_eq!(
        within(LIMIT, "subscribers", hub.subscribers()).await,
        Ok(vec![])
    );
    assert!(hub.is_alive(), "a hub that traps exits lives on");
}

/// A worker to watch, stopped by the test.
pub struct Worker;

#[gen_server]
impl Worker {
    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn a_full_bounded_mailbox_neither_drops_nor_refuses_a_down() {
    for overflow in [Overflow::DropNewest, Overflow::DropOldest] {
        let hub = Hub::start(false)
            .mailbox(Mailbox::bounded(2).with_overflow(overflow))
            .await
            .unwrap();
        let worker = Worker::start(Worker).await.unwrap();
        within(LIMIT, "watch", hub.watch(AnyServer::from(&worker)))
            .await
            .unwrap();
        hub.hold(Duration::from_millis(100));
        eventually(LIMIT, "the hold is being handled", || {
            hub.mailbox_len() == 0
        })
        .await;
        hub.send("first".into());
        hub.send("second".into());
        assert_eq!(hub.mailbox_len(), 2, "the mailbox is full");
        within(LIMIT, "stop", worker.stop(ExitReason::Shutdown))
            .await
            .unwrap();
        // The `Down` queues beyond the bound, behind what was there; a
        // later cast finds the mailbox full.
        assert_eq!(hub.mailbox_len(), 3);
        assert_eq!(hub.try_subscribe(worker.id()), Err(MailboxFull));
        let dropped = hub.dropped();
        let log = within(LIMIT, "log", hub.log()).await.unwrap();
        assert_eq!(
            log,
            [
                "first".to_string(),
                "second".into(),
                format!("gone {}", worker.id())
            ],
            "{overflow:?}"
        );
        assert_eq!(hub.dropped(), dropped, "nothing more was dropped");
    }
}

#[tokio::test]
async fn drop_oldest_evicts_casts_only_never_a_task_result_or_a_down() {
    let hub = Hub::start(false)
        .mailbox(Mailbox::bounded(3).with_overflow(Overflow::DropOldest))
        .await
        .unwrap();
    let worker = Worker::start(Worker).await.unwrap();
    within(LIMIT, "watch", hub.watch(AnyServer::from(&worker)))
        .await
        .unwrap();
    // A task's result queues while the hub is busy, then a `Down`.
    let done = Arc::new(AtomicBool::new(false));
    hub.spawn_then_hold(
        "task result".into(),
        done.clone(),
        Duration::from_millis(100),
    );
    eventually(LIMIT, "the task is done", || done.load(Ordering::Acquire)).await;
    assert_eq!(hub.mailbox_len(), 1, "its result is queued");
    within(LIMIT, "stop", worker.stop(ExitReason::Shutdown))
        .await
        .unwrap();
    // Casts overflow around them (the signal takes room, but is never
    // dropped): only casts make room for casts.
    for _ in 0..10 {
        hub.subscribe(hub.id());
    }
    assert_eq!(hub.dropped(), 9);
    let log = within(LIMIT, "log", hub.log()).await.unwrap();
    assert_eq!(
        log,
        [
            "task result".to_string(),
            format!("gone {}", worker.id()),
            format!("subscribe {}", hub.id()),
        ]
    );
}

#[tokio::test]
async fn a_stop_overtakes_a_third_partys_flood_and_its_signals() {
    let hub = Hub::start(false).await.unwrap();
    let workers: Vec<Server<Worker>> = {
        let mut workers = Vec::new();
        for _ in 0..100 {
            let worker = Worker::start(Worker).await.unwrap();
            within(LIMIT, "watch", hub.watch(AnyServer::from(&worker)))
                .await
                .unwrap();
            workers.push(worker);
        }
        workers
    };
    hub.hold(Duration::from_millis(500));
    eventually(LIMIT, "the hold is being handled", || {
        hub.mailbox_len() == 0
    })
    .await;
    // A hundred `Down`s queue, and a third party floods the hub behind them.
    for worker in &workers {
        within(LIMIT, "stop worker", worker.stop(ExitReason::Shutdown))
            .await
            .unwrap();
    }
    for n in 0..200_000u64 {
        hub.send(n.to_string());
    }
    assert!(hub.mailbox_len() > 100_000, "the flood is queued");
    // The stop overtakes all of it.
    within(
        Duration::from_secs(2),
        "the stop",
        hub.stop(ExitReason::Shutdown),
    )
    .await
    .unwrap();
    assert!(!hub.is_alive());
}

/// Ticks on a timer while casts queue.
pub struct Ticker {
    log: Vec<String>,
}

#[gen_server(info = &'static str)]
impl Ticker {
    #[cast]
    pub async fn hold_then_tick(&mut self, d: Duration, ctx: &mut Context<Self>) {
        ctx.send_after("tick", Duration::from_millis(1));
        tokio::time::sleep(d).await;
    }

    #[cast]
    pub fn note(&mut self, n: u64) {
        self.log.push(format!("cast {n}"));
    }

    #[call]
    pub fn log(&self) -> Vec<String> {
        self.log.clone()
    }

    fn handle_info(&mut self, msg: Info<&'static str>) {
        if let Info::Message(text) = msg {
            self.log.push(text.to_string());
        }
    }
}

#[tokio::test]
async fn timers_still_overtake_queued_casts() {
    let ticker = Ticker::start(Ticker { log: Vec::new() }).await.unwrap();
    ticker.hold_then_tick(Duration::from_millis(100));
    eventually(LIMIT, "the hold is being handled", || {
        ticker.mailbox_len() == 0
    })
    .await;
    ticker.note(1);
    ticker.note(2);
    let log = within(LIMIT, "log", ticker.log()).await.unwrap();
    assert_eq!(log, ["tick", "cast 1", "cast 2"]);
}
