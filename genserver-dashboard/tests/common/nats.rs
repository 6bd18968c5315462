//! A nats-server for the Nodes view's tests, on 127.0.0.1 and a port of
//! its choosing; killed when dropped. When nats-server is missing and
//! `CI` is not set, the test prints one line saying it did not run and
//! passes; with `CI` set it fails.
//!
//! Also a node in another OS process: the test binary runs itself again
//! as one of its own tests (its "child entry"), with an environment
//! variable carrying the nats-server's URL; the child prints `ready` once
//! it has set up, and exits when its stdin closes, so it never outlives
//! the test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An environment variable naming the nats-server to run, tried first.
pub const NATS_SERVER_ENV: &str = "GENSERVER_NATS_SERVER";

/// A nats-server started for one test.
pub struct NatsServer {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

fn find() -> Option<PathBuf> {
    let named = std::env::var_os(NATS_SERVER_ENV).map(PathBuf::from);
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/usr/local/sbin"].map(PathBuf::from));
    named
        .into_iter()
        .chain(dirs.into_iter().map(|dir| dir.join("nats-server")))
        .find(|path| path.is_file())
}

impl NatsServer {
    /// `nats-server -a 127.0.0.1 -p -1`, once its ports file names its
    /// port; `None` (and one line) when there is none and `CI` is not set.
    pub fn start() -> Option<NatsServer> {
        let Some(program) = find() else {
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                panic!(
                    "nats-server is missing and CI is set: install it (`apt-get install nats-server`) or point {NATS_SERVER_ENV} at it"
                );
            }
            eprintln!(
                "nodes test NOT RUN: nats-server is missing (install it with `apt-get install nats-server`, or point {NATS_SERVER_ENV} at it)"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut child = Command::new(&program)
            .args(["-a", "127.0.0.1", "-p", "-1", "--ports_file_dir"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", program.display()));
        let ports = dir.path().join(format!("nats-server_{}.ports", child.id()));
        let url = wait_for_url(&ports, &mut child);
        Some(NatsServer {
            child,
            url,
            _dir: dir,
        })
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for_url(ports: &Path, child: &mut Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(ports)
            && let Some(start) = text.find("nats://")
            && let Some(len) = text[start..].find('"')
        {
            return text[start..start + len].to_owned();
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

/// A node in another process, killed when dropped.
pub struct ChildNode {
    child: Child,
    /// The child's process id.
    pub pid: u32,
}

impl ChildNode {
    /// Runs this test binary's test `entry` alone, with `env` set to
    /// `nats`' URL; returns once it printed `ready`, within 30 s.
    pub fn start(nats: &NatsServer, entry: &str, env: &str) -> ChildNode {
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut child = Command::new(exe)
            .args(["--exact", entry, "--nocapture"])
            .env(env, nats.url())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the test binary runs again");
        let pid = child.id();
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.trim() == "ready" {
                    let _ = tx.send(());
                }
            }
        });
        let mut node = ChildNode { child, pid };
        if rx.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = node.child.kill();
            panic!("the child node {entry} did not get ready within 30 s");
        }
        node
    }
}

impl Drop for ChildNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The nats-server's URL when this process is a child node started by
/// [`ChildNode::start`] with `env`.
pub fn child_url(env: &str) -> Option<String> {
    std::env::var(env).ok()
}

/// Says the child is ready.
pub fn ready() {
    println!("ready");
}

/// Waits until the parent closes the child's stdin (or dies).
pub async fn linger() {
    tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    })
    .await
    .expect("stdin is read");
}
