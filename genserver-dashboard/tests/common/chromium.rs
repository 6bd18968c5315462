//! Headless Chromium (Debian's `chromium`), kept to 127.0.0.1: its
//! background services off, every other host name resolving to nothing,
//! and anything left sent to a dead local proxy.
//!
//! A test asks for it first:
//!
//! ```ignore
//! let Some(chromium) = Chromium::find() else { return };
//! ```
//!
//! When it is missing and the environment has no `CI`, the test prints one
//! line saying it did not run and how to install Chromium, and passes;
//! with `CI` set (`.ci/run` sets it) it fails.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// An environment variable naming the Chromium to run, tried first.
pub const CHROMIUM_ENV: &str = "GENSERVER_CHROMIUM";

/// The longest one Chromium run may take.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// What keeps Chromium on this machine: the flags issue 20 asks for.
const LOCAL_ONLY: [&str; 8] = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pings",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1;localhost",
];

/// A Chromium found on this machine.
#[derive(Debug)]
pub struct Chromium {
    path: PathBuf,
}

impl Chromium {
    /// The Chromium of [`CHROMIUM_ENV`], or `chromium` /
    /// `chromium-browser` on the `PATH`. When there is none: `None` and
    /// one line saying the test did not run, or a panic when `CI` is set.
    pub fn find() -> Option<Chromium> {
        let from_env = std::env::var_os(CHROMIUM_ENV).map(PathBuf::from);
        let on_path = ["chromium", "chromium-browser"]
            .into_iter()
            .find_map(|name| {
                std::env::var_os("PATH").and_then(|paths| {
                    std::env::split_paths(&paths)
                        .map(|dir| dir.join(name))
                        .find(|candidate| candidate.is_file())
                })
            });
        match from_env.filter(|p| p.is_file()).or(on_path) {
            Some(path) => Some(Chromium { path }),
            None if std::env::var_os("CI").is_some() => {
                panic!(
                    "chromium is missing and CI is set: install it (`apt-get install chromium`) or point {CHROMIUM_ENV} at it"
                )
            }
            None => {
                eprintln!(
                    "browser test NOT RUN: chromium is missing (install it with `apt-get install chromium`, or point {CHROMIUM_ENV} at it)"
                );
                None
            }
        }
    }

    /// Chromium, headless, on a profile of its own in `profile`, looking
    /// at `url` until `budget` of the page's (virtual) time has passed.
    fn command(&self, profile: &Path, url: &str, budget: Duration) -> Command {
        let mut command = Command::new(&self.path);
        command
            .arg("--headless")
            .args(LOCAL_ONLY)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--disable-gpu")
            .arg("--disable-dev-shm-usage")
            .arg("--hide-scrollbars")
            .arg("--window-size=1280,800")
            .arg(format!("--virtual-time-budget={}", budget.as_millis()));
        if running_as_root() {
            command.arg("--no-sandbox");
        }
        command
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    async fn run(&self, mut command: Command, what: &str) -> String {
        let output = tokio::time::timeout(RUN_LIMIT, command.output())
            .await
            .unwrap_or_else(|_| panic!("chromium {what}: not done within {RUN_LIMIT:?}"))
            .unwrap_or_else(|e| panic!("chromium {what}: could not run: {e}"));
        assert!(
            output.status.success(),
            "chromium {what}: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The page's DOM once its scripts have run for `budget` (virtual
    /// time: its timers run at once, its fetches are waited for).
    pub async fn dump_dom(&self, url: &str, budget: Duration) -> String {
        let profile = tempfile::tempdir().expect("a temporary profile");
        let mut command = self.command(profile.path(), url, budget);
        command.arg("--dump-dom");
        self.run(command, &format!("--dump-dom {url}")).await
    }

    /// A PNG of the page at `path` once its scripts have run for `budget`.
    pub async fn screenshot(&self, url: &str, budget: Duration, path: &Path) {
        let profile = tempfile::tempdir().expect("a temporary profile");
        let mut command = self.command(profile.path(), url, budget);
        command.arg(format!("--screenshot={}", path.display()));
        self.run(command, &format!("--screenshot {url}")).await;
        let size = std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("no screenshot at {}: {e}", path.display()))
            .len();
        assert!(size > 1000, "an empty screenshot at {}", path.display());
    }
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}
