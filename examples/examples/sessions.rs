//! The seed's dynamic named processes, grown up: one server per session,
//! started under a `DynamicSupervisor`, named through a `Registry`. A
//! session that crashes comes back (with a fresh state) under the same
//! name; one that goes idle expires normally and stays gone.
//!
//! `cargo run --example sessions`

use genserver_core::prelude::*;
use genserver_core::{DynamicSupervisor, DynamicSupervisorSpec, Keys, Registry};
use std::collections::HashMap;
use std::time::Duration;

pub struct Session {
    id: u32,
    data: HashMap<String, String>,
    idle: Duration,
}

#[gen_server]
impl Session {
    fn init(id: u32, idle: Duration, ctx: &mut Context<Self>) -> Result<Self, String> {
        ctx.idle_timeout(idle);
        Ok(Session {
            id,
            data: HashMap::new(),
            idle,
        })
    }

    /// Stores a value in the session.
    #[call]
    pub fn put(&mut self, key: String, value: String, ctx: &mut Context<Self>) {
        self.data.insert(key, value);
        ctx.idle_timeout(self.idle);
    }

    /// The session's data.
    #[call]
    pub fn get_data(&self, ctx: &mut Context<Self>) -> HashMap<String, String> {
        ctx.idle_timeout(self.idle);
        self.data.clone()
    }

    /// A bug in the session's code.
    #[cast]
    pub fn corrupt(&mut self) {
        panic!("session {} hit a bug", self.id)
    }

    fn handle_info(&mut self, msg: Info<()>, ctx: &mut Context<Self>) {
        match msg {
            Info::Timeout => {
                println!("  session {} idle: expiring", self.id);
                ctx.stop(ExitReason::Normal);
            }
            other => tracing::warn!(?other, "unexpected message"),
        }
    }
}

/// The sessions of the application: who supervises them, where they are named.
#[derive(Clone)]
struct Sessions {
    supervisor: Server<DynamicSupervisor>,
    names: Registry<u32>,
}

impl Sessions {
    async fn new() -> Result<Self, Box<dyn std::error::Error>> {
        Ok(Sessions {
            supervisor: DynamicSupervisor::start(DynamicSupervisorSpec::new()).await?,
            names: Registry::new(Keys::Unique),
        })
    }

    /// The session `id`, started under the supervisor if it is not running
    /// (race-free: concurrent callers share one). A crash restarts it; a
    /// normal expiry does not, so the next request starts a fresh one.
    async fn get(&self, id: u32) -> Result<Server<Session>, Box<dyn std::error::Error>> {
        let start = move || Session::start(id, Duration::from_millis(150));
        Ok(self.names.get_or_start(id, &self.supervisor, start).await?)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .init();
    // Session 3's crash is on purpose; its crash report says so once.
    genserver_core::install_panic_hook();

    let sessions = Sessions::new().await?;
    for id in 1..=20 {
        sessions
            .get(id)
            .await?
            .put("user".into(), format!("user-{id}"))
            .await?;
    }
    println!(
        "20 sessions: {} supervised, {} named",
        sessions.supervisor.count_children().await?.active,
        sessions.names.count()
    );

    println!("session 3 crashes...");
    let before = sessions.get(3).await?;
    before.corrupt();
    before.exited().await;
    let after = sessions.get(3).await?;
    println!(
        "  ...and is back under its name: {} -> {}, data {:?} (state starts afresh)",
        before.id(),
        after.id(),
        after.get_data().await?
    );
    assert_ne!(before.id(), after.id());

    println!("sessions 3 and 7 stay busy; the rest go idle");
    let mut rounds = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(30)).await;
        for id in [3, 7] {
            sessions.get(id).await?.get_data().await?;
        }
        rounds += 1;
        if sessions.names.count() == 2 || rounds == 200 {
            break;
        }
    }
    let mut alive: Vec<u32> = (1..=20)
        .filter(|id| sessions.names.whereis::<Session>(id).is_some())
        .collect();
    alive.sort_unstable();
    println!(
        "still alive: {alive:?}, supervised: {}",
        sessions.supervisor.count_children().await?.active
    );
    assert_eq!(alive, [3, 7]);

    sessions.supervisor.stop(ExitReason::Shutdown).await?;
    println!(
        "supervisor stopped; sessions named: {}",
        sessions.names.count()
    );
    assert_eq!(sessions.names.count(), 0);
    Ok(())
}
