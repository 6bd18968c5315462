//! The dashboard at scale: N idle servers (1 000 and 1 000 000 by
//! default), ten of them with a backlog, and the router served on
//! 127.0.0.1. Measures over HTTP, as a browser asks: the page, the top
//! 100 rows by each column, a filtered look, one server's detail, the
//! supervision trees (the scan for their roots), and the
//! page's load: the five requests a browser makes before the table shows
//! (page, script, style, overview, the top 100 by mailbox), one after the
//! other.
//!
//! ```text
//! cargo bench -p genserver-dashboard --bench processes
//! cargo bench -p genserver-dashboard --bench processes -- 1000 100000
//! ```

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use genserver_core::AnyServer;
use genserver_core::prelude::*;
use genserver_dashboard::{DashboardOptions, router};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An idle server.
pub struct Idle;

#[gen_server]
impl Idle {
    #[cast]
    pub fn poke(&mut self) {}

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// How many looks each figure is the median of.
const LOOKS: usize = 5;

/// `GET path` over a fresh connection: the body's size and the time to
/// its last byte.
async fn get(addr: SocketAddr, path: &str) -> (usize, Duration, u16) {
    let started = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.find("\r\n\r\n").map_or(0, |at| answer.len() - at - 4);
    (body, took, status)
}

/// The median time and the size of `LOOKS` requests for `path`.
async fn measure(addr: SocketAddr, path: &str) -> (usize, Duration) {
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..LOOKS {
        let (body, took, status) = get(addr, path).await;
        assert_eq!(status, 200, "GET {path}");
        size = body;
        times.push(took);
    }
    times.sort();
    (size, times[LOOKS / 2])
}

async fn start_idle(n: usize) -> Vec<Server<Idle>> {
    let mut tasks = tokio::task::JoinSet::new();
    let per_task = 10_000;
    for first in (0..n).step_by(per_task) {
        let count = per_task.min(n - first);
        tasks.spawn(async move {
            let mut servers = Vec::with_capacity(count);
            for _ in 0..count {
                servers.push(Idle::start(Idle).await.expect("starts"));
            }
            servers
        });
    }
    let mut all = Vec::with_capacity(n);
    while let Some(batch) = tasks.join_next().await {
        all.extend(batch.expect("a batch"));
    }
    all
}

fn row(what: &str, size: usize, took: Duration) {
    println!(
        "  {what:<44} {:>9.1} KiB {:>9.1} ms",
        size as f64 / 1024.0,
        took.as_secs_f64() * 1000.0
    );
}

async fn run(n: usize) {
    let started = Instant::now();
    let servers = start_idle(n).await;
    // Ten with a backlog, suspended: the top of the mailbox column.
    for (i, server) in servers.iter().take(10).enumerate() {
        server.sys().suspend().await.expect("suspends");
        for _ in 0..(i + 1) * 10 {
            server.poke();
        }
    }
    println!(
        "{n} servers (started in {:.1} s, {} live)",
        started.elapsed().as_secs_f64(),
        genserver_core::sys::process_count()
    );
    let app = Router::new().nest("/genserver", router(DashboardOptions::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("its address");
    let http = tokio::spawn(async move { axum::serve(listener, app).await });

    let (size, took) = measure(addr, "/genserver").await;
    row("the page (HTML)", size, took);
    let (size, took) = measure(addr, "/genserver?asset=app.js").await;
    row("its script", size, took);
    for sort in ["mailbox", "rate", "memory", "uptime", "messages", "id"] {
        let path = format!("/genserver/api/processes?sort={sort}&limit=100");
        let (size, took) = measure(addr, &path).await;
        row(&format!("top 100 by {sort}"), size, took);
    }
    let (size, took) = measure(addr, "/genserver/api/processes?filter=nothing-matches").await;
    row("a filter matching nothing", size, took);
    let (size, took) = measure(addr, "/genserver/api/processes?type=Idle&limit=1000").await;
    row("top 1000 of one type", size, took);
    let last = servers.last().expect("a server").id().to_string();
    let path = format!(
        "/genserver/api/servers/{}",
        last.replace('<', "%3C").replace('>', "%3E")
    );
    let (size, took) = measure(addr, &path).await;
    row("one server's detail (the newest)", size, took);
    // Finding the trees' roots reads every server once.
    let (size, took) = measure(addr, "/genserver/api/trees").await;
    row("the supervision trees (none here)", size, took);

    let mut load = Duration::ZERO;
    let mut bytes = 0;
    for path in [
        "/genserver",
        "/genserver?asset=app.js",
        "/genserver?asset=style.css",
        "/genserver/api/overview",
        "/genserver/api/processes?sort=mailbox&limit=100",
    ] {
        let (size, took) = measure(addr, path).await;
        load += took;
        bytes += size;
    }
    row("the page's load (its five requests)", bytes, load);
    http.abort();
    let stopping = Instant::now();
    for server in &servers {
        AnyServer::from(server).kill();
    }
    for server in &servers {
        server.exited().await;
    }
    println!("  (stopped in {:.1} s)\n", stopping.elapsed().as_secs_f64());
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 1_000_000]
    } else {
        sizes
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        for n in sizes {
            run(n).await;
        }
    });
}
