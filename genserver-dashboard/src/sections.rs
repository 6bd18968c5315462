//! What the page is told first: the version, how many servers run, the
//! options it must honour, and which of its sections this version can
//! fill. A section this version does not feed yet is shown as not available,
//! never with made-up data.

use genserver_core::sys;
use serde::Serialize;

use crate::options::DashboardOptions;

/// The page's sections, and whether each has data in this version.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct Sections {
    /// The process table (`sys::processes`).
    pub(crate) processes: bool,
    /// One server's status, state, links and monitors (`sys().status()`).
    pub(crate) server: bool,
    /// The supervision trees (`sys::trees`).
    pub(crate) tree: bool,
    /// One server's statistics (`sys().statistics()`: messages in,
    /// mailbox high-water, time in handlers).
    pub(crate) statistics: bool,
    /// One server's recent trace, and turning tracing on.
    pub(crate) trace: bool,
    /// The latest crash reports (`sys::recent_crashes`).
    pub(crate) crashes: bool,
    /// Dead letters by reason (`sys::dead_letters`).
    pub(crate) dead_letters: bool,
    /// The nodes of a cluster: with the `nats` feature and a node given
    /// (`DashboardOptions::node`).
    pub(crate) nodes: bool,
}

impl Sections {
    /// What this version of the runtime feeds, the Nodes view aside (it
    /// needs a node: [`Overview::now`] says).
    pub(crate) const CURRENT: Sections = Sections {
        processes: true,
        server: true,
        tree: true,
        statistics: true,
        trace: true,
        crashes: true,
        dead_letters: true,
        nodes: false,
    };
}

/// What `/api/overview` answers.
#[derive(Debug, Serialize)]
pub(crate) struct Overview {
    /// This crate's version.
    pub(crate) version: &'static str,
    /// How many servers are live.
    pub(crate) process_count: usize,
    /// Whether the page may offer suspend, resume and kill.
    pub(crate) actions: bool,
    /// How often the page refreshes, in milliseconds.
    pub(crate) refresh_ms: u64,
    /// Which sections have data.
    pub(crate) sections: Sections,
}

impl Overview {
    pub(crate) fn now(options: &DashboardOptions) -> Overview {
        Overview {
            version: env!("CARGO_PKG_VERSION"),
            process_count: sys::process_count(),
            actions: options.actions_enabled(),
            refresh_ms: u64::try_from(options.refresh_period().as_millis()).unwrap_or(u64::MAX),
            sections: Sections {
                nodes: options.has_node(),
                ..Sections::CURRENT
            },
        }
    }
}
