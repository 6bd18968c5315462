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

/// How many times a cluster is started afresh, on new ports, when one of
/// its servers cannot listen: a port found free can be taken before the
/// server binds it (by another test's outgoing connection, say).
const ATTEMPTS: usize = 3;

/// A port nobody listens on now (the listener is closed at once), below
/// the kernel's ephemeral range (32768 and up on Linux), where outgoing
/// connections of the other tests in this process take their ports.
fn free_port() -> u16 {
    use std::hash::{BuildHasher, RandomState};
    for _ in 0..1_000 {
        let port = 20_000 + (RandomState::new().hash_one(Instant::now()) % 12_000) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port on 127.0.0.1")
}

/// Why a server of the cluster did not come up, with the end of its log.
struct NotListening(String);

impl Cluster {
    /// Starts `size` servers of the nats-server at `program`, routed to
    /// each other, with JetStream; returns once each listens (JetStream
    /// comes later: see [`jetstream_ready`](Self::jetstream_ready)). When
    /// a server cannot listen, the cluster is started again on new ports,
    /// up to [`ATTEMPTS`] times.
    pub fn start(program: &Path, size: usize) -> Cluster {
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            match Cluster::try_start(program, size) {
                Ok(cluster) => return cluster,
                Err(NotListening(why)) => failures.push(why),
            }
        }
        panic!(
            "the cluster did not start in {ATTEMPTS} attempts:\n{}",
            failures.join("\n")
        );
    }

    fn try_start(program: &Path, size: usize) -> Result<Cluster, NotListening> {
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
            // On an error the cluster is dropped, which kills the servers
            // started so far.
            cluster.start_member(i)?;
        }
        Ok(cluster)
    }

    /// Starts the `i`th server, its log in `<name>.log` beside its config;
    /// returns once it listens for clients and routes, or with the end of its log when it exits
    /// or does not listen within 10 s.
    fn start_member(&mut self, i: usize) -> Result<(), NotListening> {
        let member = &mut self.members[i];
        let log_path = member.config.with_extension("log");
        let log = std::fs::File::create(&log_path).expect("the log file is created");
        let child = Command::new(&self.program)
            .arg("-c")
            .arg(&member.config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("{} does not start: {error}", self.program.display()));
        let child = member.child.insert(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        // The route port is bound after the client port: a server that
        // cannot bind it exits after it has listened for clients.
        let listening = || {
            std::fs::read_to_string(&log_path)
                .is_ok_and(|log| log.contains("Listening for route connections"))
                && std::net::TcpStream::connect(("127.0.0.1", member.client_port)).is_ok()
        };
        while !listening() {
            let exited = child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() >= deadline {
                let why = match exited {
                    Some(status) => format!("exited ({status})"),
                    None => "does not listen within 10 s".to_owned(),
                };
                let text = std::fs::read_to_string(&log_path).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(5).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                return Err(NotListening(format!(
                    "{} {why}; its log ends:\n  {}",
                    member.name,
                    tail.join("\n  ")
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
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
