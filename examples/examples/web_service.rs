//! A rate-limited HTTP API on one application: a rate limiter per API key
//! started on demand, stats partitioned by key, a table of keys read
//! without a message (see `examples/src/web_service/`).
//!
//! `cargo run --example web_service` runs a short demo against itself on
//! 127.0.0.1 and stops; `cargo run --example web_service -- --serve` serves
//! on 127.0.0.1:3000 until ctrl-c:
//!
//! ```text
//! curl -H 'x-api-key: demo' http://127.0.0.1:3000/api/hello
//! curl http://127.0.0.1:3000/stats/demo
//! ```
//!
//! and its dashboard at <http://127.0.0.1:3000/genserver>.

use std::net::SocketAddr;
use std::time::Duration;

use examples::web_service::client::request;
use examples::web_service::keys::Plan;
use examples::web_service::{self, Config};
use genserver_core::{Application, Exit};

fn config(listen: SocketAddr) -> Config {
    Config {
        listen,
        keys: vec![("demo".to_string(), Plan { limit: 3 })],
        ..Config::default()
    }
}

#[tokio::main]
async fn main() -> Exit {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,web_service=info".into()),
        )
        .init();
    if std::env::args().any(|arg| arg == "--serve") {
        return web_service::run(config(SocketAddr::from(([127, 0, 0, 1], 3000)))).await;
    }
    demo().await
}

/// Starts the service on a free loopback port, talks to it, stops it.
async fn demo() -> Exit {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = match web_service::start(config(SocketAddr::from(([127, 0, 0, 1], 0))), |tree| {
        Application::new("api", tree).shutdown_on(async {
            let _ = stopped.await;
        })
    })
    .await
    {
        Ok(service) => service,
        Err(error) => {
            eprintln!("the service did not start: {error}");
            return Exit::StartFailed(error.to_string());
        }
    };
    let addr = service.addr;
    let limit = Duration::from_secs(5);
    let call = |method: &'static str, path: &'static str, key: Option<&'static str>| async move {
        let headers: Vec<(&str, &str)> = key.map(|k| ("x-api-key", k)).into_iter().collect();
        match request(addr, method, path, &headers, limit).await {
            Ok(reply) => println!(
                "{method} {path} {key:?} -> {} {}",
                reply.status,
                reply.body.trim()
            ),
            Err(error) => println!("{method} {path} -> error: {error}"),
        }
    };
    println!("listening on {addr}");
    call("GET", "/api/hello", Some("nobody")).await;
    for _ in 0..4 {
        call("GET", "/api/hello", Some("demo")).await;
    }
    call("PUT", "/keys/new?limit=10", None).await;
    call("GET", "/api/hello", Some("new")).await;
    call("POST", "/debug/crash/demo", None).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The crashed limiter was restarted with a fresh window.
    call("GET", "/api/hello", Some("demo")).await;
    call("GET", "/stats/demo", None).await;
    match request(addr, "GET", "/genserver/api/overview", &[], limit).await {
        Ok(reply) => println!("the dashboard at /genserver: {}", reply.body.trim()),
        Err(error) => println!("the dashboard at /genserver -> error: {error}"),
    }
    let _ = stop.send(());
    let exit = service.app.wait().await;
    let _ = service.http.await;
    println!("application: {exit}");
    exit
}
