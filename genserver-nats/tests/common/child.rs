//! A node in another OS process, for faults a runtime cannot fake: the
//! test binary runs itself again as one of its own tests (its "child
//! entry"), with an environment variable carrying the nats-server's URL.
//! The child prints `ready` once it has set up, and exits when its stdin
//! closes, so it never outlives the test; the test kills it with SIGKILL
//! (no goodbye, no drain, no release).
//!
//! ```ignore
//! const CHILD_URL: &str = "GENSERVER_NATS_..._CHILD_URL";
//!
//! #[tokio::test]
//! async fn child_entry() {
//!     let Some(url) = child::url(CHILD_URL) else { return }; // a normal run
//!     // ... connect, serve ...
//!     child::ready();
//!     child::linger().await;
//! }
//!
//! let mut node = ChildNode::start(&nats, "child_entry", CHILD_URL).await;
//! node.kill();
//! ```

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{NatsServer, within};

/// How long a child may take to get ready.
const READY: Duration = Duration::from_secs(15);

/// A node in another process, killed when dropped.
pub struct ChildNode {
    child: Child,
}

impl ChildNode {
    /// Runs this test binary's test `entry` alone, with `env` set to
    /// `nats`' URL; returns once it printed `ready`.
    pub async fn start(nats: &NatsServer, entry: &str, env: &str) -> ChildNode {
        ChildNode::start_with(nats, entry, env, None, &[]).await
    }

    /// [`start`](Self::start), with more variables in its environment and,
    /// given a `clock` offset (`"+1h"`), its wall clock moved by that much
    /// through libfaketime (its monotonic clock is left alone).
    pub async fn start_with(
        nats: &NatsServer,
        entry: &str,
        env: &str,
        clock: Option<&str>,
        vars: &[(&str, &str)],
    ) -> ChildNode {
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut command = match clock {
            None => Command::new(exe),
            Some(offset) => {
                let faketime = super::tools::find(super::tools::Tool::Faketime)
                    .expect("faketime is installed: the test asks for it first");
                let mut faked = Command::new(faketime);
                // `-m`: the multi-threaded libfaketime, for tokio's threads.
                faked
                    .args(["-m", "-f", offset])
                    .arg(exe)
                    .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
                faked
            }
        };
        let mut child = command
            .args(["--exact", entry, "--nocapture"])
            .env(env, nats.url())
            .envs(vars.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // A child that fails says why, in the test's output.
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the test binary runs again");
        let stdout = child.stdout.take().expect("piped");
        let ready = tokio::task::spawn_blocking(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .any(|line| line.trim() == "ready")
        });
        let node = ChildNode { child };
        assert!(
            within(READY, ready).await.expect("the reader ends"),
            "the child node did not get ready"
        );
        node
    }

    /// SIGKILL: no goodbye, no drain. Returns once it is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// In a child entry: the nats-server's URL when this process is the child
/// `env` names (`None` in a normal test run). From then on the process
/// exits when its parent closes its stdin.
pub fn url(env: &str) -> Option<String> {
    let url = std::env::var(env).ok()?;
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    Some(url)
}

/// In a child entry: tells the parent it is set up.
pub fn ready() {
    println!("ready");
}

/// In a child entry: keeps the node running until it is killed (or its
/// stdin closes); bounded all the same.
pub async fn linger() {
    tokio::time::sleep(Duration::from_secs(120)).await;
}
