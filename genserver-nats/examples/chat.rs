//! A chat room served by one node and joined from another: two processes
//! on one machine, over NATS.
//!
//! ```text
//! cargo run -p genserver-nats --example chat
//! cargo run -p genserver-nats --example chat -- --url nats://127.0.0.1:4222
//! ```
//!
//! This process is the node `host`: it starts a nats-server of its own on
//! 127.0.0.1 (a port of its choosing; `--url` uses a running one
//! instead), starts a `Room` and serves it as `lobby`. Then it starts
//! itself again as the node `guest` (`--guest`), which reaches the room
//! with `node.remote::<Room>("lobby")`: the same generated client as the
//! host's local `Server<Room>`, its calls and casts going over NATS. The
//! guest joins, posts, waits for the host's answer and leaves; the host
//! prints the room's transcript, read locally, and everything stops.

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use genserver_core::prelude::*;
use genserver_nats::{Node, NodeOptions};
use serde::{Deserialize, Serialize};

/// The room's subject prefix: nodes with the same one form a cluster.
const CLUSTER: &str = "chat";
/// How long the guest may take before the host gives up on it.
const GUEST_LIMIT: Duration = Duration::from_secs(30);

/// One message in the room.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Post {
    pub seq: u64,
    pub from: String,
    pub text: String,
}

/// Why a join was refused: an error of the application, not of the call,
/// travelling in the reply like any other value.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum JoinError {
    NameTaken(String),
}

/// A chat room: who is in it, and what was said.
pub struct Room {
    members: BTreeSet<String>,
    posts: Vec<Post>,
}

// `remote`: callable from other nodes; the calls' arguments and replies
// need serde, the server itself does not.
#[gen_server(remote)]
impl Room {
    /// Joins as `who`; returns who is in the room.
    #[call]
    pub fn join(&mut self, who: String) -> Result<Vec<String>, JoinError> {
        if !self.members.insert(who.clone()) {
            return Err(JoinError::NameTaken(who));
        }
        Ok(self.members.iter().cloned().collect())
    }

    /// Leaves; `false` if `who` was not in the room.
    #[call]
    pub fn leave(&mut self, who: String) -> bool {
        self.members.remove(&who)
    }

    /// Who is in the room.
    #[call]
    pub fn members(&self) -> Vec<String> {
        self.members.iter().cloned().collect()
    }

    /// Says something: a cast, so the sender does not wait.
    #[cast]
    pub fn post(&mut self, from: String, text: String) {
        let seq = self.posts.len() as u64 + 1;
        self.posts.push(Post { seq, from, text });
    }

    /// The posts after `after` (a `seq`; 0 for all of them).
    #[call]
    pub fn history(&self, after: u64) -> Vec<Post> {
        self.posts
            .iter()
            .filter(|post| post.seq > after)
            .cloned()
            .collect()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut url, mut guest) = (None, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--guest" => guest = true,
            "--url" => url = args.next(),
            other => {
                eprintln!("unknown argument {other:?}; usage: chat [--url nats://host:port]");
                return ExitCode::FAILURE;
            }
        }
    }
    let outcome = match (guest, url) {
        (true, Some(url)) => run_guest(&url).await,
        (true, None) => Err("--guest needs --url".into()),
        (false, Some(url)) => run_host(&url).await,
        (false, None) => match support::NatsServer::start() {
            Ok(nats) => {
                println!("[host] started nats-server at {}", nats.url());
                // Dropped (killed) once the host is done.
                run_host(nats.url()).await
            }
            Err(error) => Err(error),
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let who = if guest { "guest" } else { "host" };
            eprintln!("[{who}] error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The node `host`: serves the room, starts the guest, answers it.
async fn run_host(url: &str) -> Result<(), Box<dyn Error>> {
    let node = Node::connect(url, NodeOptions::new("host").prefix(CLUSTER)).await?;
    let room = Room::start(Room {
        members: BTreeSet::new(),
        posts: Vec::new(),
    })
    .await?;
    // Once `serve` returns, a call from any node of the cluster reaches it.
    node.serve("lobby", &room).await?;
    room.join("host".into())
        .await?
        .map_err(|e| format!("{e:?}"))?;
    room.post("host".into(), "welcome to the lobby".into());
    println!("[host] serving the room as \"lobby\"; starting the guest node");

    // The guest: this program again, in another process.
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["--guest", "--url", url])
        .kill_on_drop(true)
        .spawn()?;

    // Locally, the same room: wait for the guest to be in it, then answer.
    let joined = async {
        while !room.members().await?.iter().any(|m| m == "guest") {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok::<_, CallError>(())
    };
    tokio::time::timeout(GUEST_LIMIT, joined)
        .await
        .map_err(|_| "the guest did not join")??;
    // Heartbeats: the guest node is known here while it is connected.
    println!("[host] the guest joined; nodes up: {:?}", node.nodes());
    room.post("host".into(), "hello, guest!".into());

    let status = tokio::time::timeout(GUEST_LIMIT, child.wait())
        .await
        .map_err(|_| "the guest did not finish")??;
    if !status.success() {
        return Err(format!("the guest failed: {status}").into());
    }
    // It closed its node on the way out, announcing it: once that notice
    // has arrived, the guest is down (without waiting out `down_after`).
    let gone = async {
        while !node.nodes().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), gone).await;
    println!("[host] the guest exited; nodes up: {:?}", node.nodes());

    println!("[host] the transcript:");
    let transcript = room.history(0).await?;
    for post in &transcript {
        println!("    #{} {}: {}", post.seq, post.from, post.text);
    }
    assert!(transcript.iter().any(|post| post.from == "guest"));
    assert_eq!(room.members().await?, ["host"]);

    room.stop(ExitReason::Normal).await?;
    node.close().await?;
    Ok(())
}

/// The node `guest`: joins the room over NATS, posts, waits for an answer.
async fn run_guest(url: &str) -> Result<(), Box<dyn Error>> {
    let node = Node::connect(url, NodeOptions::new("guest").prefix(CLUSTER)).await?;
    // A handle to the room on whichever node serves "lobby"; it
    // dereferences to `Room`'s generated client, as a local server does.
    let lobby = node.remote::<Room>("lobby")?;

    // An error of the room's own, inside a successful call.
    let taken = lobby.join("host".into()).await?;
    println!("[guest] join as \"host\": {taken:?}");
    let members = lobby
        .join("guest".into())
        .await?
        .map_err(|e| format!("{e:?}"))?;
    println!("[guest] joined; members: {members:?}");

    // A cast, then a call: from one node to one server they arrive in
    // order, so the history already has the post.
    lobby.post("guest".into(), "hello from another process".into());
    let seen = lobby.history(0).await?;
    let mine = seen
        .iter()
        .find(|post| post.from == "guest")
        .ok_or("a cast followed by a call: the call sees the cast")?
        .seq;
    for post in &seen {
        println!("[guest] #{} {}: {}", post.seq, post.from, post.text);
    }

    // Wait for the host's answer, polling the history after our post.
    let answer = loop {
        if let Some(post) = lobby.history(mine).await?.into_iter().next() {
            break post;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    println!("[guest] #{} {}: {}", answer.seq, answer.from, answer.text);

    // The same typed errors as a local call: nobody serves "attic".
    let attic = node.remote::<Room>("attic")?;
    println!("[guest] a call to \"attic\": {:?}", attic.members().await);
    // And a timeout of the caller's choosing.
    let quick = lobby.with_timeout(Duration::from_secs(2));
    println!("[guest] leave: {:?}", quick.leave("guest".into()).await);

    // Closing tells the other nodes at once that this one is gone.
    node.close().await?;
    Ok(())
}
