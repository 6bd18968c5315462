//! A real nats-server for the tests, on 127.0.0.1 and a port of its
//! choosing, with a temporary store; killed when dropped. Nothing listens
//! beyond loopback.

#![allow(dead_code, reason = "each test file uses a part")]
#![allow(
    unreachable_pub,
    reason = "shared by every test binary; `pub` keeps the servers' interfaces public"
)]

pub mod child;
pub mod cluster;
pub mod lines;
pub mod linker;
pub mod servers;
pub mod tools;
pub mod watcher;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A nats-server process started for one test.
pub struct NatsServer {
    child: Child,
    program: PathBuf,
    url: String,
    extra: Vec<String>,
    _dir: tempfile::TempDir,
}

impl NatsServer {
    /// Starts `nats-server -a 127.0.0.1 -p -1 -js` and waits until its ports
    /// file names the client port it chose. `None` when this machine has
    /// no nats-server and `CI` is not set: the test returns, counted as
    /// not run (see `tools.rs`).
    pub fn start() -> Option<NatsServer> {
        NatsServer::start_with(&[])
    }

    /// [`start`](Self::start) with more arguments: `["--user", "u",
    /// "--pass", "p"]`, say.
    pub fn start_with(extra: &[&str]) -> Option<NatsServer> {
        let program = tools::need(tools::Tool::NatsServer)?;
        Some(NatsServer::start_program(program, extra))
    }

    /// [`start`](Self::start) without JetStream (no `-js`).
    pub fn start_without_jetstream() -> Option<NatsServer> {
        NatsServer::start_with(&["--no-js"])
    }

    /// [`start_with`](Self::start_with) for the nats-server at `program`.
    pub fn start_program(program: PathBuf, extra: &[&str]) -> NatsServer {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let extra: Vec<String> = extra.iter().map(|arg| (*arg).to_owned()).collect();
        let child = spawn_nats_server(&program, dir.path(), "-1", &extra);
        let ports = dir.path().join(format!("nats-server_{}.ports", child.id()));
        let mut server = NatsServer {
            child,
            program,
            url: String::new(),
            extra,
            _dir: dir,
        };
        server.url = wait_for_url(&ports, &mut server.child);
        server
    }

    /// Kills the nats-server (SIGKILL) and starts it again on the same
    /// port and store; returns once it listens. Clients reconnect.
    pub fn restart(&mut self) {
        self.kill();
        let port = self.url.rsplit(':').next().expect("a port").to_owned();
        self.child = spawn_nats_server(&self.program, self._dir.path(), &port, &self.extra);
        let ports = self
            ._dir
            .path()
            .join(format!("nats-server_{}.ports", self.child.id()));
        let url = wait_for_url(&ports, &mut self.child);
        assert_eq!(url, self.url, "restarted on the same port");
    }

    /// Stops the nats-server with SIGSTOP (`false`: SIGCONT): its
    /// connections stay open and go silent, as in a network split.
    pub fn pause(&self, pause: bool) {
        let signal = if pause { "-STOP" } else { "-CONT" };
        let status = Command::new("kill")
            .arg(signal)
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
    }

    /// Kills the nats-server (SIGKILL) and waits for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        // A paused server is killed all the same: SIGKILL needs no SIGCONT.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `nats-server -a 127.0.0.1 -p <port> -js <extra>`, its ports file and
/// store in `dir`.
fn spawn_nats_server(program: &Path, dir: &Path, port: &str, extra: &[String]) -> Child {
    let mut command = Command::new(program);
    command
        .args(["-a", "127.0.0.1", "-p", port, "--ports_file_dir"])
        .arg(dir);
    // `--no-js` in `extra`: without JetStream.
    let without = extra.iter().any(|arg| arg == "--no-js");
    if !without {
        command.arg("-js").arg("-sd").arg(dir.join("store"));
    }
    command
        .args(extra.iter().filter(|arg| *arg != "--no-js"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("{} does not start: {error}", program.display()))
}

/// Reads the client URL from the ports file: `{"nats":["nats://..."],..}`
/// (2.9; later versions also say `"client"`).
fn wait_for_url(ports: &Path, child: &mut Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(ports)
            && let Some(url) = client_url(&text)
        {
            return url;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("nats-server exited at start: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "nats-server wrote no ports file within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn client_url(ports: &str) -> Option<String> {
    let key = ports
        .find("\"nats\"")
        .or_else(|| ports.find("\"client\""))?;
    let client = &ports[key..];
    let start = client.find("nats://")?;
    let end = start + client[start..].find('"')?;
    Some(client[start..end].to_owned())
}

/// A node named `name` on `nats`, in the cluster `t` (each test has a
/// nats-server of its own); fails the test after 10 s.
pub async fn node(nats: &NatsServer, name: &str) -> genserver_nats::Node {
    let options = genserver_nats::NodeOptions::new(name).prefix("t");
    within(
        Duration::from_secs(10),
        genserver_nats::Node::connect(nats.url(), options),
    )
    .await
    .expect("connects")
}

/// Node `a` serving a fresh [`Counter`](servers::Counter) as `counter`, and
/// a plain NATS client on the same nats-server, for a hostile peer's
/// messages; fails the test after 10 s.
pub async fn served_counter_and_plain_client(
    nats: &NatsServer,
) -> (
    genserver_nats::Node,
    genserver_core::Server<servers::Counter>,
    async_nats::Client,
) {
    let limit = Duration::from_secs(10);
    let a = node(nats, "a").await;
    let counter = servers::Counter::start(servers::Counter { value: 0 })
        .await
        .expect("starts");
    within(limit, a.serve("counter", &counter))
        .await
        .expect("serves");
    let plain = within(limit, async_nats::connect(nats.url()))
        .await
        .expect("connects");
    (a, counter, plain)
}

/// Fails the test if `future` takes longer than `limit`, instead of hanging.
pub async fn within<F: Future>(limit: Duration, future: F) -> F::Output {
    tokio::time::timeout(limit, future)
        .await
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}"))
}
