//! A nats-server of their own for the examples and the benchmark: on
//! 127.0.0.1, on a port it picks (`-p -1`), named in its ports file in a
//! temporary directory; killed when dropped. Nothing listens beyond
//! loopback. (The tests have their own, with JetStream and restarts:
//! `tests/common/mod.rs`.)

use std::error::Error;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A nats-server process, killed when dropped.
#[derive(Debug)]
pub(crate) struct NatsServer {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl NatsServer {
    /// Starts `nats-server -a 127.0.0.1 -p -1 --ports_file_dir <tmp>` and
    /// waits (10 s at most) until its ports file names its client port.
    pub(crate) fn start() -> Result<NatsServer, Box<dyn Error>> {
        let dir = tempfile::tempdir()?;
        let child = Command::new(nats_server())
            .args(["-a", "127.0.0.1", "-p", "-1", "--ports_file_dir"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| {
                format!(
                    "cannot start nats-server ({error}): `apt install nats-server`, `brew install nats-server` or `go install github.com/nats-io/nats-server/v2@latest`"
                )
            })?;
        let ports = dir.path().join(format!("nats-server_{}.ports", child.id()));
        let mut server = NatsServer {
            child,
            url: String::new(),
            _dir: dir,
        };
        server.url = server.wait_for_url(&ports)?;
        Ok(server)
    }

    /// `nats://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The client URL in the ports file: `{"nats":["nats://..."],..}`
    /// (later versions also say `"client"`).
    fn wait_for_url(&mut self, ports: &Path) -> Result<String, Box<dyn Error>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(text) = std::fs::read_to_string(ports)
                && let Some(url) = client_url(&text)
            {
                return Ok(url);
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(format!("nats-server exited at start: {status}").into());
            }
            if Instant::now() > deadline {
                return Err("nats-server wrote no ports file within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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

/// `nats-server` from the `PATH`, or from `/usr/sbin` or `/usr/local/sbin`
/// (where Debian puts it, and a user's `PATH` may not look).
fn nats_server() -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join("nats-server"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| "nats-server".into())
}
