//! A probe server shared by the behaviour tests: records what its callbacks
//! saw, and can be told to sleep, panic or stop.
#![allow(dead_code)]
#![allow(
    unreachable_pub,
    reason = "shared by every test binary, each of which uses a part; `pub` keeps the servers' interfaces public"
)]

use genserver_core::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a probe's callbacks report, in order.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn push(&self, entry: impl Into<String>) {
        self.0.lock().unwrap().push(entry.into());
    }
    pub fn entries(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    pub fn contains(&self, entry: &str) -> bool {
        self.entries().iter().any(|e| e == entry)
    }
}

pub struct Probe {
    pub log: Log,
    pub value: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    Ping(u64),
}

pub enum Init {
    Ok(Log),
    Fail(Log),
    Panic(Log),
    Slow(Log, Duration),
    Continue(Log, &'static str),
}

#[gen_server(info = Note)]
impl Probe {
    async fn init(how: Init, ctx: &mut Context<Self>) -> Result<Self, String> {
        match how {
            Init::Ok(log) => {
                log.push("init");
                Ok(Probe { log, value: 0 })
            }
            Init::Fail(log) => {
                log.push("init");
                Err("no".to_string())
            }
            Init::Panic(_) => panic!("init exploded"),
            Init::Slow(log, d) => {
                tokio::time::sleep(d).await;
                log.push("init");
                Ok(Probe { log, value: 0 })
            }
            Init::Continue(log, arg) => {
                log.push("init");
                ctx.continue_with(arg);
                Ok(Probe { log, value: 0 })
            }
        }
    }

    fn handle_continue(&mut self, arg: &'static str) {
        self.log.push(format!("continue:{arg}"));
    }

    /// The log entries so far, as seen from inside the server.
    #[call]
    pub fn seen(&self) -> Vec<String> {
        self.log.entries()
    }

    #[call]
    pub fn set(&mut self, value: u64) -> u64 {
        std::mem::replace(&mut self.value, value)
    }

    #[call]
    pub fn get(&self) -> u64 {
        self.value
    }

    #[call]
    pub async fn sleep_then_get(&self, d: Duration) -> u64 {
        tokio::time::sleep(d).await;
        self.value
    }

    #[call]
    pub fn explode(&self) -> u64 {
        panic!("boom")
    }

    #[cast]
    pub fn explode_later(&self) {
        panic!("cast boom")
    }

    #[call]
    pub fn stop_after_reply(
        &mut self,
        reason: ExitReason,
        ctx: &mut Context<Self>,
    ) -> &'static str {
        ctx.stop(reason);
        "bye"
    }

    #[call]
    pub async fn call_myself(&self, ctx: &mut Context<Self>) -> Result<u64, CallError> {
        ctx.server().clone().get().await
    }

    #[call]
    pub fn later(&mut self, reply: ReplyTo<u64>, delay: Duration) {
        let value = self.value;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            reply.reply(value * 10);
        });
    }

    #[call]
    pub fn never(&mut self, reply: ReplyTo<u64>) {
        drop(reply);
    }

    #[cast]
    pub fn continue_with(&mut self, arg: &'static str, ctx: &mut Context<Self>) {
        ctx.continue_with(arg);
    }

    #[cast]
    pub fn note_after(&mut self, n: u64, delay: Duration, ctx: &mut Context<Self>) {
        ctx.send_after(Note::Ping(n), delay);
    }

    #[call]
    pub fn idle_after(&mut self, d: Duration, ctx: &mut Context<Self>) {
        ctx.idle_timeout(d);
    }

    fn handle_info(&mut self, msg: Info<Note>) {
        match msg {
            Info::Message(Note::Ping(n)) => self.log.push(format!("ping:{n}")),
            Info::Timeout => self.log.push("timeout"),
            Info::Down { reason, .. } => self.log.push(format!("down:{reason}")),
            other => self.log.push(format!("other:{other:?}")),
        }
    }

    fn terminate(&mut self, reason: &ExitReason) {
        self.log.push(format!("terminate:{reason}"));
    }
}

pub async fn probe() -> (Server<Probe>, Log) {
    let log = Log::default();
    let server = Probe::start(Init::Ok(log.clone())).await.unwrap();
    (server, log)
}

/// Awaits `future`, failing the test if it takes longer than `limit`: a
/// broken behaviour fails instead of hanging the suite.
pub async fn within<F: std::future::Future>(limit: Duration, what: &str, future: F) -> F::Output {
    match tokio::time::timeout(limit, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: not within {limit:?}"),
    }
}

/// Waits until `check` holds, looking every millisecond, failing the test
/// after `limit`.
pub async fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    within(limit, what, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
}

/// Waits until `server` has exited (and its monitors and links were told),
/// failing the test after ten seconds instead of hanging.
pub async fn gone(server: impl Into<genserver_core::AnyServer>) {
    let server = server.into();
    within(Duration::from_secs(10), "the server exits", server.exited()).await
}
