//! What the dashboard's tests share: servers to look at, a deadline on
//! every wait, and requests to the router without a network.
#![allow(dead_code)]
#![allow(
    unreachable_pub,
    reason = "shared by every test binary, each of which uses a part; `pub` keeps the servers' interfaces public"
)]

pub mod chromium;
pub mod dom;
pub mod nats;

use std::future::IntoFuture;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use genserver_core::prelude::*;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The longest any wait of a test may take.
pub const LIMIT: Duration = Duration::from_secs(10);

/// `future`, or a panic naming `what` once [`LIMIT`] has passed.
pub async fn within<T>(what: &str, future: impl IntoFuture<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future.into_future())
        .await
        .unwrap_or_else(|_| panic!("{what}: not done within {LIMIT:?}"))
}

/// Waits until `check` holds, trying every 20 ms, for at most [`LIMIT`].
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    within(what, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// A server that counts what it is sent.
#[derive(Clone, Debug)]
pub struct Worker {
    pub seen: u64,
}

#[gen_server]
impl Worker {
    #[call]
    pub fn ping(&mut self) -> u64 {
        self.seen += 1;
        self.seen
    }

    #[cast]
    pub fn poke(&mut self) {
        self.seen += 1;
    }

    /// Panics: a crash a test causes.
    #[cast]
    pub fn crash(&mut self) {
        panic!("asked to crash");
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// A server whose state's `Debug` holds markup, as a hostile or careless
/// value would.
#[derive(Clone)]
pub struct Holder {
    pub text: String,
}

impl std::fmt::Debug for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Holder").field("text", &self.text).finish()
    }
}

#[gen_server]
impl Holder {
    #[call]
    pub fn text(&self) -> String {
        self.text.clone()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// What a state may hold that must show as text.
pub const MARKUP: &str = "<script>alert(1)</script>";

/// A worker named `name`, suspended, with `backlog` casts waiting.
pub async fn backlogged(name: &str, backlog: usize) -> Server<Worker> {
    let worker = within(
        "start",
        Worker::start(Worker { seen: 0 }).name(name.to_string()),
    )
    .await
    .expect("starts");
    within("suspend", worker.sys().suspend())
        .await
        .expect("suspends");
    for _ in 0..backlog {
        worker.poke();
    }
    eventually("the backlog queues", || worker.mailbox_len() == backlog).await;
    worker
}

/// One answer of the router.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// The body as JSON, or a panic showing it.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }
}

/// Sends `request` to `router`, without a network.
pub async fn send(router: &Router, request: Request<Body>) -> Answer {
    let what = format!("{} {}", request.method(), request.uri());
    let response = within(&what, router.clone().oneshot(request))
        .await
        .expect("a router never fails");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = within(&what, response.into_body().collect())
        .await
        .expect("the body is read")
        .to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).expect("utf-8"),
    }
}

/// `GET uri`.
pub async fn get(router: &Router, uri: &str) -> Answer {
    send(router, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// `POST uri`, with the action header or without it.
pub async fn post(router: &Router, uri: &str, with_header: bool) -> Answer {
    let mut request = Request::post(uri);
    if with_header {
        request = request.header("x-genserver-dashboard", "test");
    }
    send(router, request.body(Body::empty()).unwrap()).await
}

/// A server id as it goes in a URL: `<0.12.0>` percent-encoded.
pub fn id_in_url(id: ServerId) -> String {
    id.to_string().replace('<', "%3C").replace('>', "%3E")
}
