//! How a [`Supervisor`](crate::Supervisor) is set up: its [`Strategy`],
//! restart intensity and children ([`SupervisorSpec`]).

use std::time::Duration;

use crate::supervision::IntensityLimit;
use crate::supervision::child_spec::ChildSpec;

/// Which children restart when one exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
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
#[derive(Clone, Debug)]
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
