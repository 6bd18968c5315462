//! The process table as the page reads it: every live server looked at
//! once, filtered, and the top rows by the chosen column picked with a
//! partial sort, so a million servers cost one pass and 24 bytes
//! each, never a sort of them all.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::time::Instant;

use genserver_core::AnyServer;
use genserver_core::sys::ProcessInfo;
use serde::Serialize;

use crate::query::{Order, ProcessQuery, SortKey, contains_ignore_case, is_id, parse_local_id};
use crate::rates::Look;

/// The most server types listed with their counts.
const MAX_TYPES: usize = 200;

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

/// The value a server is sorted by: bigger first in `desc` order.
fn key(info: &ProcessInfo, sort: SortKey, look: &Look<'_>) -> u64 {
    match sort {
        SortKey::Mailbox => info.mailbox.len as u64,
        // Every server is measured over the same window, so the count in
        // it orders them as their rates do.
        SortKey::Rate => look
            .previous
            .map_or(0, |s| s.delta(info.id.as_u64(), info.handled.total())),
        SortKey::Memory => info.memory as u64,
        SortKey::Uptime => u64::try_from(info.uptime.as_nanos()).unwrap_or(u64::MAX),
        SortKey::Messages => info.handled.total(),
        SortKey::Id => info.id.as_u64(),
    }
}

/// Rows in the query's order, ties by id (oldest first).
fn compare(order: Order, a: (u64, u64), b: (u64, u64)) -> Ordering {
    let by_key = match order {
        Order::Asc => a.0.cmp(&b.0),
        Order::Desc => b.0.cmp(&a.0),
    };
    by_key.then(a.1.cmp(&b.1))
}

/// What a query's filter lets through.
struct Filter<'q> {
    type_name: Option<&'q str>,
    text: Option<&'q str>,
    id: Option<u64>,
}

impl<'q> Filter<'q> {
    fn new(query: &'q ProcessQuery) -> Self {
        let text = query.filter.as_deref();
        Filter {
            type_name: query.type_name.as_deref(),
            text,
            id: text.and_then(parse_local_id),
        }
    }

    fn admits(&self, info: &ProcessInfo) -> bool {
        if self.type_name.is_some_and(|t| t != info.type_name) {
            return false;
        }
        let Some(text) = self.text else { return true };
        if let Some(number) = self.id {
            return is_id(info.id, number);
        }
        contains_ignore_case(info.type_name, text)
            || info.names.iter().any(|n| contains_ignore_case(n, text))
    }
}

/// Looks at `servers` once and answers `query`; records the totals for
/// the next rates in `look` when it asks for them.
pub(crate) fn page(
    servers: &[AnyServer],
    query: &ProcessQuery,
    look: &mut Look<'_>,
    started: Instant,
) -> ProcessPage {
    let filter = Filter::new(query);
    let mut types: HashMap<&'static str, usize> = HashMap::new();
    // (sort value, id number, index in `servers`): 24 bytes a match.
    let mut keys: Vec<(u64, u64, usize)> = Vec::new();
    for (index, server) in servers.iter().enumerate() {
        let info = ProcessInfo::of(server);
        look.note(info.id.as_u64(), info.handled.total());
        *types.entry(info.type_name).or_default() += 1;
        if filter.admits(&info) {
            keys.push((key(&info, query.sort, look), info.id.as_u64(), index));
        }
    }
    let matched = keys.len();
    let order = query.order;
    let by = |a: &(u64, u64, usize), b: &(u64, u64, usize)| compare(order, (a.0, a.1), (b.0, b.1));
    if keys.len() > query.limit {
        keys.select_nth_unstable_by(query.limit - 1, by);
        keys.truncate(query.limit);
    }
    // The chosen few are looked at again, and put in order by what they
    // show now, so the page never shows a row out of order.
    let mut rows: Vec<ProcessRow> = keys
        .iter()
        .map(|&(_, _, index)| {
            let info = ProcessInfo::of(&servers[index]);
            let delta = look
                .previous
                .map_or(0, |s| s.delta(info.id.as_u64(), info.handled.total()));
            ProcessRow {
                messages_per_sec: look.per_second(delta),
                info,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        compare(
            order,
            (key(&a.info, query.sort, look), a.info.id.as_u64()),
            (key(&b.info, query.sort, look), b.info.id.as_u64()),
        )
    });
    let mut types: Vec<TypeCount> = types
        .into_iter()
        .map(|(name, count)| TypeCount { name, count })
        .collect();
    if types.len() > MAX_TYPES {
        types.select_nth_unstable_by(MAX_TYPES - 1, |a, b| b.count.cmp(&a.count));
        types.truncate(MAX_TYPES);
    }
    types.sort_by(|a, b| a.name.cmp(b.name));
    ProcessPage {
        total: servers.len(),
        matched,
        sort: query.sort.name(),
        order: order.name(),
        limit: query.limit,
        rate_window_ms: look.previous.map(|_| look.elapsed.as_secs_f64() * 1000.0),
        types,
        rows,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_oldest_and_order_flips_only_the_key() {
        let mut rows = vec![(5, 3), (9, 2), (5, 1), (0, 4)];
        rows.sort_by(|a, b| compare(Order::Desc, *a, *b));
        assert_eq!(rows, [(9, 2), (5, 1), (5, 3), (0, 4)]);
        rows.sort_by(|a, b| compare(Order::Asc, *a, *b));
        assert_eq!(rows, [(0, 4), (5, 1), (5, 3), (9, 2)]);
    }

    #[test]
    fn the_partial_sort_picks_what_a_full_sort_would() {
        // A scrambled table of 10 000 keys, many equal.
        let keys: Vec<(u64, u64, usize)> = (0..10_000u64)
            .map(|i| ((i * 7919) % 613, i, i as usize))
            .collect();
        for order in [Order::Asc, Order::Desc] {
            let by = |a: &(u64, u64, usize), b: &(u64, u64, usize)| {
                compare(order, (a.0, a.1), (b.0, b.1))
            };
            let mut full = keys.clone();
            full.sort_by(by);
            let mut partial = keys.clone();
            partial.select_nth_unstable_by(99, by);
            partial.truncate(100);
            partial.sort_by(by);
            assert_eq!(partial, full[..100]);
        }
    }
}
