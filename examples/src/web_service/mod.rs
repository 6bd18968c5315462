//! A rate-limited HTTP API built as a new user would, on one application:
//!
//! ```text
//!  Application "api"
//!   └─ root Supervisor (one_for_one)
//!       ├─ "keys":     KeyStore, owns Table<String, Plan>   every request reads it, no message
//!       ├─ "limiters": DynamicSupervisor of RateLimiter     one per API key, started on demand
//!       │              (Registry by key, get_or_start)      (get_or_start), idle ones stop
//!       └─ "stats":    PartitionSupervisor<Stats>           counts per key, partitioned by key
//!  axum on 127.0.0.1, stopped with the application (graceful shutdown)
//! ```
//!
//! Every handle the HTTP side keeps is by name (`Named`, the registry, the
//! partitions), so it survives restarts of what it names.

pub mod client;
pub mod http;
pub mod keys;
pub mod limiter;
pub mod stats;

use std::net::SocketAddr;
use std::time::Duration;

use genserver_core::{Application, Exit, NamedTable, Running};
use genserver_core::{
    ChildSpec, DynamicSupervisor, DynamicSupervisorSpec, Named, PartitionSupervisor, Registry,
    Strategy, SupervisorSpec,
};

use keys::{KeyStore, KeyTable, Plan};
use limiter::RateLimiter;
use stats::Stats;

/// The key store's name in the service's own registry.
pub const KEY_STORE: &str = "keys";
/// The limiters' supervisor's name in the service's own registry.
pub const LIMITERS: &str = "limiters";

/// What the service is started with.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen; port 0 picks a free one. Loopback only.
    pub listen: SocketAddr,
    /// The keys known at start.
    pub keys: Vec<(String, Plan)>,
    /// The rate limiters' window.
    pub window: Duration,
    /// How many stats partitions.
    pub stats_partitions: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            keys: Vec::new(),
            window: Duration::from_secs(60),
            stats_partitions: 4,
        }
    }
}

/// What every request handler shares: handles by name only.
#[derive(Clone)]
pub struct State {
    pub keys: KeyTable,
    pub limiters: Registry<String>,
    pub limiter_supervisor: Named<DynamicSupervisor>,
    pub stats: PartitionSupervisor<Stats>,
    pub window: Duration,
}

impl State {
    /// The rate limiter of `key`, by key: started on its first request, and
    /// again by the next one after it stopped (idle) or crashed.
    pub fn limiter(&self, key: &str, plan: Plan) -> Named<RateLimiter> {
        let window = self.window;
        self.limiters
            .named_or_start(key.to_string(), &self.limiter_supervisor, move || {
                RateLimiter::start(plan.limit, window)
            })
    }
}

/// The running service: its application and where it listens.
pub struct Service {
    pub app: Running,
    pub addr: SocketAddr,
    /// The service's names: [`KEY_STORE`], [`LIMITERS`].
    pub names: Registry<&'static str>,
    pub http: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// The supervision tree.
fn tree(
    config: &Config,
    keys_table: &str,
    names: &Registry<&'static str>,
    stats: &PartitionSupervisor<Stats>,
) -> SupervisorSpec {
    let (store, limiters) = (names.via(KEY_STORE), names.via(LIMITERS));
    SupervisorSpec::new(Strategy::OneForOne)
        .child(
            KeyStore::child_spec(keys_table.to_string(), config.keys.clone())
                .with_name(store)
                .with_id("keys"),
        )
        .child(ChildSpec::new("limiters", move || {
            // One server per key: a few keys failing must not reset every
            // key's limiter (see DynamicSupervisor's intensity guidance).
            DynamicSupervisor::start(
                DynamicSupervisorSpec::new().intensity(100, Duration::from_secs(5)),
            )
            .name(limiters.clone())
        }))
        .child(stats.child_spec().with_id("stats"))
}

/// Starts the application and the HTTP server; the HTTP server stops when
/// the application does. `app` decides how it is stopped (ctrl-c by
/// default; `shutdown_on` for tests).
pub async fn start(
    config: Config,
    app: impl FnOnce(SupervisorSpec) -> Application,
) -> Result<Service, Box<dyn std::error::Error + Send + Sync>> {
    let names = Registry::new(genserver_core::Keys::Unique);
    // A table name of its own for each service this process runs (tests
    // run several).
    static SERVICES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let keys_table = format!(
        "api-keys-{}",
        SERVICES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let stats = PartitionSupervisor::new(Stats::start).with_partitions(config.stats_partitions);
    let running = app(tree(&config, &keys_table, &names, &stats))
        .start()
        .await
        .map_err(Box::new)?;
    let state = State {
        keys: KeyTable {
            table: NamedTable::new(keys_table),
            store: Named::new(names.via(KEY_STORE)),
        },
        limiters: Registry::new(genserver_core::Keys::Unique),
        limiter_supervisor: Named::new(names.via(LIMITERS)),
        stats,
        window: config.window,
    };
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let stopping = running.stopping();
    let http = tokio::spawn(async move {
        axum::serve(listener, http::router(state))
            .with_graceful_shutdown(stopping)
            .await
    });
    tracing::info!(%addr, "listening");
    Ok(Service {
        app: running,
        addr,
        names,
        http,
    })
}

/// Runs the service until ctrl-c (or until its tree gives up): `main`.
pub async fn run(config: Config) -> Exit {
    match start(config, |tree| Application::new("api", tree)).await {
        Ok(service) => {
            let exit = service.app.wait().await;
            let _ = service.http.await;
            exit
        }
        Err(error) => {
            tracing::error!(%error, "the service did not start");
            Exit::StartFailed(error.to_string())
        }
    }
}
