//! The process table as the page reads it: every live server looked at
//! once, filtered, and the top rows by the chosen column picked with a
//! partial sort, so a million servers cost one pass and 24 bytes
//! each, never a sort of them all.

use std::time::Instant;

use genserver_core::AnyServer;
use genserver_core::sys::{self, ProcessFilter, ProcessInfo, SortOrder, TopQuery};
use serde::Serialize;

use crate::query::{Order, ProcessQuery, SortKey};
use crate::rates::{Look, Sample};

/// One row of the table: what the server publishes, and its rate.
#[derive(Debug, Serialize)]
pub(crate) struct ProcessRow {
    #[serde(flatten)]
    pub(crate) info: ProcessInfo,
    /// Messages handled per second since the previous look; `null` on the
    /// first look.
    pub(crate) messages_per_sec: Option<f64>,
}

/// How many servers of one type are live.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct TypeCount {
    pub(crate) name: &'static str,
    pub(crate) count: usize,
}

/// What the processes endpoint answers.
#[derive(Debug, Serialize)]
pub(crate) struct ProcessPage {
    /// Live servers looked at.
    pub(crate) total: usize,
    /// Of those, the ones the filter let through.
    pub(crate) matched: usize,
    pub(crate) sort: &'static str,
    pub(crate) order: &'static str,
    pub(crate) limit: usize,
    /// The window rates were measured over, in milliseconds; `null` on
    /// the first look.
    pub(crate) rate_window_ms: Option<f64>,
    /// Every type's count (at most 200 types, the most numerous), by name.
    pub(crate) types: Vec<TypeCount>,
    /// The top `limit` matching servers, in order.
    pub(crate) rows: Vec<ProcessRow>,
    /// How long the server took to build this answer, in milliseconds.
    pub(crate) took_ms: f64,
}

/// The value a server is sorted by: bigger first in `desc` order;
/// `previous`, the sample rates are measured against.
fn key(info: &ProcessInfo, sort: SortKey, previous: Option<&Sample>) -> u64 {
    match sort {
        SortKey::Mailbox => info.mailbox.len as u64,
        // Every server is measured over the same window, so the count in
        // it orders them as their rates do.
        SortKey::Rate => previous.map_or(0, |s| s.delta(info.id.as_u64(), info.handled.total())),
        SortKey::Memory => info.memory as u64,
        SortKey::Uptime => u64::try_from(info.uptime.as_nanos()).unwrap_or(u64::MAX),
        SortKey::Messages => info.handled.total(),
        SortKey::Id => info.id.as_u64(),
    }
}

/// Looks at `servers` once and answers `query` (`sys::top_processes`);
/// records the totals for the next rates in `look` when it asks for them.
pub(crate) fn page(
    servers: &[AnyServer],
    query: &ProcessQuery,
    look: &mut Look<'_>,
    started: Instant,
) -> ProcessPage {
    let mut filter = ProcessFilter::new();
    if let Some(type_name) = &query.type_name {
        filter = filter.type_name(type_name.as_str());
    }
    if let Some(text) = &query.filter {
        filter = filter.text(text);
    }
    let order = match query.order {
        Order::Asc => SortOrder::Ascending,
        Order::Desc => SortOrder::Descending,
    };
    let top_query = TopQuery::new(query.limit).order(order).filter(filter);
    let previous = look.previous;
    let top = sys::top_processes_seeing(
        servers,
        &top_query,
        |info| key(info, query.sort, previous),
        |info| look.note(info.id.as_u64(), info.handled.total()),
    );
    let rows = top
        .rows
        .into_iter()
        .map(|info| {
            let delta = look
                .previous
                .map_or(0, |s| s.delta(info.id.as_u64(), info.handled.total()));
            ProcessRow {
                messages_per_sec: look.per_second(delta),
                info,
            }
        })
        .collect();
    ProcessPage {
        total: top.total,
        matched: top.matched,
        sort: query.sort.name(),
        order: query.order.name(),
        limit: query.limit,
        rate_window_ms: look.previous.map(|_| look.elapsed.as_secs_f64() * 1000.0),
        types: top
            .types
            .into_iter()
            .map(|(name, count)| TypeCount { name, count })
            .collect(),
        rows,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}
