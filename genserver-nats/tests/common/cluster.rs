//! A three-server NATS cluster with JetStream on 127.0.0.1, started for
//! one test: each server with its own client port, route port and store,
//! all in a temporary directory; killed when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::within;

/// How long a fresh cluster may take to elect a JetStream meta leader:
/// about 10 s was measured.
const JETSTREAM_READY: Duration = Duration::from_secs(45);

/// One server of the cluster.
struct Member {
    name: String,
    client_port: u16,
    config: PathBuf,
    child: Option<Child>,
}

/// A cluster of nats-servers, killed when dropped.
pub struct Cluster {
    program: PathBuf,
    members: Vec<Member>,
    _dir: tempfile::TempDir,
}

/// A port nobody listens on now (the listener is closed at once).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port on 127.0.0.1")
}

impl Cluster {
    /// Starts `size` servers of the nats-server at `program`, routed to
    /// each other, with JetStream; returns once each listens (JetStream
    /// comes later: see [`jetstream_ready`](Self::jetstream_ready)).
    pub fn start(program: &Path, size: usize) -> Cluster {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ports: Vec<(u16, u16)> = (0..size).map(|_| (free_port(), free_port())).collect();
        let routes: Vec<String> = ports
            .iter()
            .map(|(_, route)| format!("\"nats-route://127.0.0.1:{route}\""))
            .collect();
        let members = ports
            .iter()
            .enumerate()
            .map(|(i, (client, route))| {
                let name = format!("n{}", i + 1);
                let store = dir.path().join(&name);
                let config = dir.path().join(format!("{name}.conf"));
                let text = format!(
                    "server_name: {name}\n\
                     listen: \"127.0.0.1:{client}\"\n\
                     jetstream {{ store_dir: {store:?} }}\n\
                     cluster {{\n  name: gs\n  listen: \"127.0.0.1:{route}\"\n  routes: [{}]\n}}\n",
                    routes.join(", ")
                );
                std::fs::write(&config, text).expect("the config is written");
                Member {
                    name,
                    client_port: *client,
                    config,
                    child: None,
                }
            })
            .collect();
        let mut cluster = Cluster {
            program: program.to_owned(),
            members,
            _dir: dir,
        };
        for i in 0..size {
            cluster.start_member(i);
        }
        cluster
    }

    fn start_member(&mut self, i: usize) {
        let member = &mut self.members[i];
        let child = Command::new(&self.program)
            .arg("-c")
            .arg(&member.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("{} does not start: {error}", self.program.display()));
        member.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", member.client_port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{} does not listen within 10 s",
                member.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every server's client URL, for a client that may fail over to any
    /// of them.
    pub fn urls(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|member| format!("nats://127.0.0.1:{}", member.client_port))
            .collect()
    }

    /// The client URL of the server named `name` (`n1`, ...).
    pub fn url_of(&self, name: &str) -> String {
        let member = self.member(name);
        format!("nats://127.0.0.1:{}", member.client_port)
    }

    fn member(&self, name: &str) -> &Member {
        self.members
            .iter()
            .find(|member| member.name == name)
            .unwrap_or_else(|| panic!("no server {name}"))
    }

    /// Kills the server named `name` (SIGKILL) and waits until it is gone.
    pub fn kill(&mut self, name: &str) {
        let member = self
            .members
            .iter_mut()
            .find(|member| member.name == name)
            .unwrap_or_else(|| panic!("no server {name}"));
        if let Some(mut child) = member.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits until JetStream answers through `client` (a fresh cluster
    /// elects its meta leader after a few seconds): `$JS.API.INFO` answers
    /// without an error. (Read raw: async-nats' account info does not
    /// parse nats-server 2.9's.)
    pub async fn jetstream_ready(&self, client: &async_nats::Client) {
        let deadline = Instant::now() + JETSTREAM_READY;
        loop {
            let asked = tokio::time::timeout(
                Duration::from_secs(2),
                client.request("$JS.API.INFO", bytes::Bytes::new()),
            )
            .await;
            let answer = match &asked {
                Ok(Ok(message)) => String::from_utf8_lossy(&message.payload).into_owned(),
                Ok(Err(error)) => error.to_string(),
                Err(_) => "no answer within 2 s".to_owned(),
            };
            if matches!(asked, Ok(Ok(_))) && !answer.contains("\"error\"") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "JetStream did not answer within {JETSTREAM_READY:?}: {answer}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The server leading the stream `stream`, as JetStream says.
    pub async fn stream_leader(&self, client: &async_nats::Client, stream: &str) -> String {
        let jetstream = async_nats::jetstream::new(client.clone());
        let deadline = Instant::now() + JETSTREAM_READY;
        loop {
            let info = within(Duration::from_secs(5), async {
                let mut stream = jetstream.get_stream(stream).await?;
                let info = stream.info().await?;
                Ok::<_, async_nats::Error>(info.cluster.as_ref().and_then(|c| c.leader.clone()))
            })
            .await;
            if let Ok(Some(leader)) = info {
                return leader;
            }
            assert!(
                Instant::now() < deadline,
                "the stream {stream} has no leader: {info:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for member in &mut self.members {
            if let Some(mut child) = member.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}
