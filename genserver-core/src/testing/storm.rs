//! [`CrashStorm`]: seeded random crashes against a supervision tree, a
//! check that it settles, and a report of what restarted.
//!
//! ```text
//!  seed ──▶ pick a live server below the root ──▶ kill it, or stop it with a panic reason
//!             ▲                                      │ (or a normal exit / shutdown, if asked)
//!             └──────── pause, look at the tree ◀────┘   × crashes
//!  then: look until every child runs and two looks agree (settled), or the time is up
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::time::Duration;

use tokio::time::Instant;

use crate::exit_reason::ExitReason;
use crate::id::ServerId;
use crate::server::any::AnyServer;
use crate::supervision::child_spec::{ChildKind, Restart};
use crate::supervision::{ChildInfo, ChildStatus};
use crate::{CallError, DynamicSupervisor, Supervisor};

/// Random crashes against a running supervision tree, from a seed: the
/// same seed on the same tree under a paused clock crashes the same
/// children in the same order. Then it waits for the tree to settle, and
/// reports what crashed and what restarted.
///
/// Each crash picks a live server below the root (workers and
/// supervisors, at any depth: children of [`Supervisor`]s and
/// [`DynamicSupervisor`]s) and either kills it (`Killed`, no `terminate`)
/// or stops it with `ExitReason::Panic("crash storm")` (`terminate` runs),
/// and with [`exits`](Self::exits), also ends some with `Normal` or
/// `Shutdown`, which a transient child is not restarted after.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::{Strategy, Supervisor, SupervisorSpec};
/// use genserver_core::testing::CrashStorm;
///
/// #[derive(Clone)]
/// pub struct Worker;
///
/// #[gen_server]
/// impl Worker {
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let tree = SupervisorSpec::new(Strategy::OneForOne)
///     .intensity(100, std::time::Duration::from_secs(1))
///     .child(Worker::child_spec(Worker).with_id("a"))
///     .child(Worker::child_spec(Worker).with_id("b"));
/// let root = Supervisor::start(tree).await?;
/// let report = CrashStorm::new(7).crashes(10).run(&root).await;
/// report.assert_settled();
/// assert_eq!(report.crashes().len(), 10);
/// assert_eq!(report.restarts().values().sum::<usize>(), 10);
/// println!("{report}");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct CrashStorm {
    seed: u64,
    crashes: usize,
    pause: Duration,
    settle: Duration,
    exits: bool,
}

/// How a server was brought down.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Blow {
    /// Killed at once, without `terminate` (`ExitReason::Killed`).
    Kill,
    /// Asked to stop with this reason (`terminate` runs).
    Stop(ExitReason),
}

/// One crash of a storm.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StormCrash {
    /// Where in the tree: the child ids from the root down, `a/b`.
    pub path: String,
    /// The server brought down.
    pub server: ServerId,
    /// Its restart type, as its supervisor knew it.
    pub restart: Restart,
    /// How.
    pub blow: Blow,
    /// The reason it exited with.
    pub reason: ExitReason,
}

/// What a [`CrashStorm`] did and what became of the tree.
#[derive(Clone, Debug)]
pub struct StormReport {
    seed: u64,
    crashes: Vec<StormCrash>,
    servers: BTreeMap<String, BTreeSet<ServerId>>,
    restart_types: BTreeMap<String, Restart>,
    root_alive: bool,
    settled: bool,
    settle_time: Duration,
    down: Vec<String>,
}

/// A child seen in a walk of the tree.
struct Node {
    path: String,
    info: ChildInfo,
}

/// xorshift64*: small, seeded, the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng((seed ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x % n as u64) as usize
    }
}

impl CrashStorm {
    /// A storm of 20 crashes from `seed`, 10 ms apart, allowed 30 s to
    /// settle (tokio's clock: nothing under a paused one).
    pub fn new(seed: u64) -> Self {
        CrashStorm {
            seed,
            crashes: 20,
            pause: Duration::from_millis(10),
            settle: Duration::from_secs(30),
            exits: false,
        }
    }

    /// How many crashes.
    pub fn crashes(mut self, n: usize) -> Self {
        self.crashes = n;
        self
    }

    /// The pause after each crash, before the next.
    pub fn pause(mut self, pause: Duration) -> Self {
        self.pause = pause;
        self
    }

    /// How long the tree may take to settle after the storm.
    pub fn settle_timeout(mut self, limit: Duration) -> Self {
        self.settle = limit;
        self
    }

    /// Also ends some servers with `Normal` or `Shutdown` (not crashes:
    /// transient children stay down after them, temporary ones always).
    pub fn exits(mut self, yes: bool) -> Self {
        self.exits = yes;
        self
    }

    /// Runs the storm against the tree under `root` (a [`Supervisor`] or
    /// a [`DynamicSupervisor`]; the root itself is never crashed).
    pub async fn run(self, root: impl Into<AnyServer>) -> StormReport {
        let root = root.into();
        let mut rng = Rng::new(self.seed);
        let mut report = StormReport {
            seed: self.seed,
            crashes: Vec::new(),
            servers: BTreeMap::new(),
            restart_types: BTreeMap::new(),
            root_alive: true,
            settled: false,
            settle_time: Duration::ZERO,
            down: Vec::new(),
        };
        let mut nodes = walk(&root).await;
        report.record(&nodes);
        for _ in 0..self.crashes {
            if !root.is_alive() {
                break;
            }
            let live: Vec<(&Node, &AnyServer)> = nodes
                .iter()
                .filter_map(|n| Some((n, n.info.server.as_ref().filter(|s| s.is_alive())?)))
                .collect();
            if !live.is_empty() {
                let (node, server) = live[rng.below(live.len())];
                let server = server.clone();
                let blow = self.blow(&mut rng);
                match &blow {
                    Blow::Kill => {
                        server.kill();
                        server.exited().await;
                    }
                    Blow::Stop(reason) => server.shutdown(reason.clone(), Some(self.settle)).await,
                }
                report.crashes.push(StormCrash {
                    path: node.path.clone(),
                    server: server.id(),
                    restart: node.info.restart,
                    blow,
                    reason: server.exit_reason().unwrap_or(ExitReason::Killed),
                });
            }
            tokio::time::sleep(self.pause).await;
            nodes = walk(&root).await;
            report.record(&nodes);
        }
        self.settle(&root, &mut report).await;
        report
    }

    fn blow(&self, rng: &mut Rng) -> Blow {
        let kinds = if self.exits { 4 } else { 2 };
        match rng.below(kinds) {
            0 => Blow::Kill,
            1 => Blow::Stop(ExitReason::Panic("crash storm".into())),
            2 => Blow::Stop(ExitReason::Normal),
            _ => Blow::Stop(ExitReason::Shutdown),
        }
    }

    /// Looks at the tree until every child runs and two looks in a row
    /// agree, the root is gone, or the time is up.
    async fn settle(&self, root: &AnyServer, report: &mut StormReport) {
        let started = Instant::now();
        let mut last: Option<Vec<(String, Option<ServerId>)>> = None;
        loop {
            let nodes = walk(root).await;
            report.record(&nodes);
            report.root_alive = root.is_alive();
            report.down = nodes
                .iter()
                .filter(|n| !running(&n.info))
                .map(|n| n.path.clone())
                .collect();
            let look: Vec<_> = nodes
                .iter()
                .map(|n| (n.path.clone(), n.info.server.as_ref().map(AnyServer::id)))
                .collect();
            let stable = last.as_ref() == Some(&look);
            if !report.root_alive || (report.down.is_empty() && stable) {
                report.settled = report.root_alive;
                break;
            }
            if started.elapsed() >= self.settle {
                break;
            }
            last = Some(look);
            tokio::time::sleep(self.pause.max(Duration::from_millis(1))).await;
        }
        report.settle_time = started.elapsed();
    }
}

/// A child that should be running is: stopped children (by
/// `terminate_child`, or ignored) count as settled too.
fn running(info: &ChildInfo) -> bool {
    match info.status {
        ChildStatus::Running => info.server.as_ref().is_some_and(AnyServer::is_alive),
        ChildStatus::Stopped => true,
        _ => false,
    }
}

/// Every child below `root`, depth first, in start order; a supervisor
/// that does not answer within a second is a leaf.
async fn walk(root: &AnyServer) -> Vec<Node> {
    let mut nodes = Vec::new();
    let mut stack = vec![(String::new(), root.clone())];
    while let Some((prefix, supervisor)) = stack.pop() {
        let Ok(children) = children_of(&supervisor).await else {
            continue;
        };
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut below = Vec::new();
        for info in children {
            let n = seen.entry(info.id.clone()).or_default();
            let name = if *n == 0 {
                info.id.clone()
            } else {
                format!("{}#{n}", info.id)
            };
            *n += 1;
            let path = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if info.kind == ChildKind::Supervisor
                && let Some(server) = &info.server
            {
                below.push((path.clone(), server.clone()));
            }
            nodes.push(Node { path, info });
        }
        stack.extend(below.into_iter().rev());
    }
    nodes
}

async fn children_of(supervisor: &AnyServer) -> Result<Vec<ChildInfo>, CallError> {
    let limit = Duration::from_secs(1);
    if let Some(sup) = supervisor.downcast::<Supervisor>() {
        return sup.with_timeout(limit).which_children().await;
    }
    if let Some(sup) = supervisor.downcast::<DynamicSupervisor>() {
        return sup.with_timeout(limit).which_children().await;
    }
    Ok(Vec::new())
}

impl StormReport {
    fn record(&mut self, nodes: &[Node]) {
        for node in nodes {
            self.restart_types
                .entry(node.path.clone())
                .or_insert(node.info.restart);
            let ids = self.servers.entry(node.path.clone()).or_default();
            if let Some(server) = &node.info.server {
                ids.insert(server.id());
            }
        }
    }

    /// The seed: `CrashStorm::new(seed)` runs the same storm again.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The crashes, in order.
    pub fn crashes(&self) -> &[StormCrash] {
        &self.crashes
    }

    /// How many times each child was restarted, by path: the servers seen
    /// under it, less the first (sampled after each crash).
    pub fn restarts(&self) -> BTreeMap<String, usize> {
        self.servers
            .iter()
            .map(|(path, ids)| (path.clone(), ids.len().saturating_sub(1)))
            .collect()
    }

    /// The restart type of the child at `path`, if it was seen.
    pub fn restart_type(&self, path: &str) -> Option<Restart> {
        self.restart_types.get(path).copied()
    }

    /// `true` if the root supervisor still runs (it gives up past its
    /// restart intensity).
    pub fn root_alive(&self) -> bool {
        self.root_alive
    }

    /// `true` if the root runs and every child runs, and stayed so for
    /// two looks in a row.
    pub fn settled(&self) -> bool {
        self.settled
    }

    /// The children not running when the storm ended.
    pub fn down(&self) -> &[String] {
        &self.down
    }

    /// How long the tree took to settle (tokio's clock).
    pub fn settle_time(&self) -> Duration {
        self.settle_time
    }

    /// Fails the test, printing the report, unless the tree settled.
    ///
    /// # Panics
    ///
    /// If the tree did not settle.
    #[track_caller]
    pub fn assert_settled(&self) {
        assert!(
            self.settled,
            "the tree did not settle after the storm:\n{self}"
        );
    }
}

impl fmt::Display for StormReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = format!(
            "crash storm, seed {}: {} crashes; the tree {} ({:?})\n",
            self.seed,
            self.crashes.len(),
            match (self.root_alive, self.settled) {
                (false, _) => "went down: the root supervisor gave up",
                (true, true) => "settled",
                (true, false) => "did not settle",
            },
            self.settle_time,
        );
        for crash in &self.crashes {
            let _ = writeln!(
                text,
                "  crashed {} ({}, {:?}): {}",
                crash.path, crash.server, crash.restart, crash.reason
            );
        }
        for (path, restarts) in self.restarts() {
            let _ = writeln!(text, "  restarts of {path}: {restarts}");
        }
        for path in &self.down {
            let _ = writeln!(text, "  down at the end: {path}");
        }
        f.write_str(&text)
    }
}
