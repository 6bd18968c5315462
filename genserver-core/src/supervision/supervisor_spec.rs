//! How a [`Supervisor`](crate::Supervisor) is set up: its [`Strategy`],
//! restart intensity and children ([`SupervisorSpec`]).

use std::time::Duration;

use crate::supervision::IntensityLimit;
use crate::supervision::child_spec::ChildSpec;

/// Which children restart when one exits.
///
/// Exhaustive on purpose: OTP's three strategies for a supervisor of
/// distinct children are a closed set (`simple_one_for_one` is a
/// [`DynamicSupervisor`](crate::DynamicSupervisor) here), and a `match` on
/// them should stay total.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Strategy {
    /// Only the child that exited.
    #[default]
    OneForOne,
    /// Every child.
    OneForAll,
    /// The child that exited and those started after it.
    RestForOne,
}

/// How a supervisor is set up: strategy, restart intensity, children.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::{Restart, Strategy, SupervisorSpec};
/// use std::time::Duration;
///
/// # #[derive(Clone)] pub struct Cache;
/// # #[gen_server] impl Cache { fn handle_info(&mut self, _msg: Info<()>) {} }
/// # #[derive(Clone)] pub struct Poller;
/// # #[gen_server] impl Poller { fn handle_info(&mut self, _msg: Info<()>) {} }
/// // The cache first; if it restarts, the poller that depends on it
/// // restarts too (started after it): rest_for_one.
/// let spec = SupervisorSpec::new(Strategy::RestForOne)
///     .child(Cache::child_spec(Cache).with_name("cache"))
///     .child(Poller::child_spec(Poller).with_restart(Restart::Transient))
///     .intensity(5, Duration::from_secs(10));
/// # let _ = spec;
/// ```
#[derive(Clone, Debug, Default)]
pub struct SupervisorSpec {
    pub(crate) strategy: Strategy,
    pub(crate) intensity: IntensityLimit,
    pub(crate) children: Vec<ChildSpec>,
}

impl SupervisorSpec {
    /// No children yet, the given strategy, at most 3 restarts in 5 s.
    pub fn new(strategy: Strategy) -> Self {
        SupervisorSpec {
            strategy,
            intensity: IntensityLimit::default(),
            children: Vec::new(),
        }
    }

    /// Adds a child, started after those added before.
    pub fn child(mut self, child: ChildSpec) -> Self {
        self.children.push(child);
        self
    }

    /// Adds children, in order.
    pub fn children(mut self, children: impl IntoIterator<Item = ChildSpec>) -> Self {
        self.children.extend(children);
        self
    }

    /// At most `max_restarts` restarts within `period`.
    pub fn intensity(mut self, max_restarts: usize, period: Duration) -> Self {
        self.intensity = IntensityLimit {
            max_restarts,
            period,
        };
        self
    }
}
