//! The seed's dynamic named processes: one server per session, found by
//! name, each expiring after a period of inactivity (an idle timeout).
//!
//! `cargo run --example sessions`

use genserver_core::prelude::*;
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

fn name_of(id: u32) -> String {
    format!("session:{id}")
}

/// Finds the session, or starts it (a lost race finds the winner).
async fn session(id: u32) -> Result<Server<Session>, Box<dyn std::error::Error>> {
    if let Some(existing) = whereis::<Session>(&name_of(id)) {
        return Ok(existing);
    }
    match Session::start(id, Duration::from_millis(100))
        .name(name_of(id))
        .await
    {
        Ok(started) => Ok(started),
        Err(StartError::AlreadyStarted(existing)) => Ok(existing),
        Err(other) => Err(other.into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    for id in 1..=50 {
        session(id)
            .await?
            .put("user".into(), format!("user-{id}"))
            .await?;
    }
    println!("50 sessions started");
    // Keep session 7 busy while the others go idle and expire.
    let mut alive: Vec<u32>;
    let mut rounds = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        session(7).await?.get_data().await?;
        alive = (1..=50)
            .filter(|id| whereis::<Session>(&name_of(*id)).is_some())
            .collect();
        rounds += 1;
        if alive.len() == 1 || rounds == 250 {
            break;
        }
    }
    println!("still alive: {alive:?}");
    assert_eq!(alive, [7]);
    println!("session 7 data: {:?}", session(7).await?.get_data().await?);
    Ok(())
}
