//! The web service driven over HTTP on 127.0.0.1, as a client would:
//! a bounded number of requests, each under a timeout.

use std::net::SocketAddr;
use std::time::Duration;

use examples::web_service::client::{Reply, request};
use examples::web_service::keys::Plan;
use examples::web_service::{self, Config, Service};
use genserver_core::{Application, Exit};

const LIMIT: Duration = Duration::from_secs(5);

async fn service(keys: &[(&str, u32)]) -> (Service, tokio::sync::oneshot::Sender<()>) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        keys: keys
            .iter()
            .map(|(key, limit)| (key.to_string(), Plan { limit: *limit }))
            .collect(),
        window: Duration::from_secs(600),
        stats_partitions: 4,
    };
    let service = web_service::start(config, |tree| {
        Application::new("api-test", tree).shutdown_on(async {
            let _ = stopped.await;
        })
    })
    .await
    .expect("the service starts");
    (service, stop)
}

async fn get(addr: SocketAddr, path: &str, key: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = key.map(|k| ("x-api-key", k)).into_iter().collect();
    request(addr, "GET", path, &headers, LIMIT)
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

async fn send(addr: SocketAddr, method: &str, path: &str) -> Reply {
    request(addr, method, path, &[], LIMIT)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

async fn stop(service: Service, stop: tokio::sync::oneshot::Sender<()>) {
    stop.send(()).unwrap();
    let exit = tokio::time::timeout(LIMIT, service.app.wait())
        .await
        .expect("stops in time");
    assert_eq!(exit, Exit::Stopped);
    let http = tokio::time::timeout(LIMIT, service.http)
        .await
        .expect("http stops");
    http.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_missing_keys_are_unauthorized() {
    let (service, stopper) = service(&[("alice", 5)]).await;
    assert_eq!(get(service.addr, "/api/hello", None).await.status, 401);
    assert_eq!(
        get(service.addr, "/api/hello", Some("mallory"))
            .await
            .status,
        401
    );
    stop(service, stopper).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_key_is_limited_on_its_own_and_counted_in_its_partition() {
    let (service, stopper) = service(&[("alice", 3), ("bob", 2)]).await;
    let addr = service.addr;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(get(addr, "/api/hello", Some("alice")).await.status);
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    // Bob has his own limiter.
    assert_eq!(get(addr, "/api/hello", Some("bob")).await.status, 200);
    // Stats are casts: they land shortly after the replies.
    let mut body = String::new();
    for _ in 0..100 {
        body = get(addr, "/stats/alice", None).await.body;
        if body.starts_with("allowed=3 limited=2") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(body.starts_with("allowed=3 limited=2"), "{body}");
    stop(service, stopper).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_added_at_runtime_is_served_at_once() {
    let (service, stopper) = service(&[]).await;
    let addr = service.addr;
    assert_eq!(get(addr, "/api/hello", Some("carol")).await.status, 401);
    assert_eq!(send(addr, "PUT", "/keys/carol?limit=1").await.status, 201);
    assert_eq!(get(addr, "/api/hello", Some("carol")).await.status, 200);
    assert_eq!(get(addr, "/api/hello", Some("carol")).await.status, 429);
    stop(service, stopper).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_rate_limiter_recovers_and_other_keys_are_untouched() {
    let (service, stopper) = service(&[("alice", 2), ("bob", 2)]).await;
    let addr = service.addr;
    assert_eq!(get(addr, "/api/hello", Some("alice")).await.status, 200);
    assert_eq!(get(addr, "/api/hello", Some("alice")).await.status, 200);
    assert_eq!(get(addr, "/api/hello", Some("alice")).await.status, 429);
    assert_eq!(get(addr, "/api/hello", Some("bob")).await.status, 200);
    assert_eq!(send(addr, "POST", "/debug/crash/alice").await.status, 202);
    // The restarted limiter starts a fresh window: alice is served again,
    // with no 5xx on the way.
    let mut recovered = false;
    for _ in 0..100 {
        match get(addr, "/api/hello", Some("alice")).await.status {
            200 => {
                recovered = true;
                break;
            }
            429 => tokio::time::sleep(Duration::from_millis(10)).await,
            other => panic!("alice got {other} during the restart"),
        }
    }
    assert!(recovered, "alice's limiter came back");
    // Bob's limiter was not restarted: his window goes on.
    assert_eq!(get(addr, "/api/hello", Some("bob")).await.status, 200);
    assert_eq!(get(addr, "/api/hello", Some("bob")).await.status, 429);
    stop(service, stopper).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_key_store_is_read_again_through_its_new_table() {
    let (service, stopper) = service(&[("alice", 5)]).await;
    let addr = service.addr;
    assert_eq!(get(addr, "/api/hello", Some("alice")).await.status, 200);
    // Kill the key store: its supervisor restarts it with the seed keys in
    // a new table; the old table is deleted.
    let store = service
        .names
        .whereis::<examples::web_service::keys::KeyStore>(&web_service::KEY_STORE)
        .expect("the key store runs");
    genserver_core::AnyServer::from(&store).kill();
    let mut served = false;
    for _ in 0..100 {
        match get(addr, "/api/hello", Some("alice")).await.status {
            200 => {
                served = true;
                break;
            }
            // While the store restarts, the refetch may find nobody.
            503 => tokio::time::sleep(Duration::from_millis(10)).await,
            other => panic!("got {other} while the key store restarted"),
        }
    }
    assert!(served);
    stop(service, stopper).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_clients_are_all_answered() {
    let (service, stopper) = service(&[("load", 1_000_000)]).await;
    let addr = service.addr;
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..16 {
        clients.spawn(async move {
            let mut ok = 0;
            for _ in 0..25 {
                if get(addr, "/api/hello", Some("load")).await.status == 200 {
                    ok += 1;
                }
            }
            ok
        });
    }
    let mut total = 0;
    while let Some(ok) = clients.join_next().await {
        total += ok.unwrap();
    }
    assert_eq!(total, 16 * 25);
    stop(service, stopper).await;
}

/// A Prometheus line's value: `name{labels} value`, the labels in any order.
fn metric(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| {
            line.split(['{', ' ']).next() == Some(name) && labels.iter().all(|l| line.contains(l))
        })
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_as_prometheus_text() {
    let (service, stopper) = service(&[("carol", 100)]).await;
    let addr = service.addr;
    for _ in 0..3 {
        assert_eq!(get(addr, "/api/hello", Some("carol")).await.status, 200);
    }
    let reply = get(addr, "/metrics", None).await;
    assert_eq!(reply.status, 200);
    let text = reply.body;
    // Each request called the key's rate limiter: counted by type and kind.
    let calls = metric(
        &text,
        "genserver_messages_total",
        &["type=\"RateLimiter\"", "kind=\"call\""],
    );
    assert!(calls.is_some_and(|n| n >= 3.0), "{text}");
    // The gauges were sampled for the scrape: the key store runs.
    let stores = metric(&text, "genserver_servers", &["type=\"KeyStore\""]);
    assert!(stores.is_some_and(|n| n >= 1.0), "{text}");
    assert!(text.contains("genserver_call_duration_seconds"), "{text}");
    stop(service, stopper).await;
}
