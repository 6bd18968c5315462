//! [`top_processes`]: the first rows of the process table by a numeric
//! column, as observer's process list sorted by a column shows them, in
//! one pass over the live servers and a partial sort (24 bytes a kept
//! server), never a sort of them all. And [`server_by_id`]: a local server
//! found by its id as it is shown.

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::server::any::AnyServer;
use crate::server::live;
use crate::sys::processes::ProcessInfo;

/// The most server types [`TopProcesses::types`] lists: the most numerous.
pub const TOP_TYPES: usize = 200;

/// Which way [`top_processes`] orders its rows; ties always go to the
/// oldest server (the lowest id) first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SortOrder {
    /// The smallest values first.
    Ascending,
    /// The largest values first (observer's default: the busiest first).
    #[default]
    Descending,
}

/// Which servers [`top_processes`] keeps: of one type, and holding a text
/// in their type's name or one of their names, in any case; a text that
/// reads as a local server's id as it is shown (`<0.12.0>`, the brackets
/// optional) keeps that server alone.
///
/// ```
/// use genserver_core::sys::ProcessFilter;
///
/// let everyone = ProcessFilter::new();
/// let sessions = ProcessFilter::new().type_name("Session").text("  eu-");
/// let one = ProcessFilter::new().text("<0.12.0>");
/// # let _ = (everyone, sessions, one);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessFilter {
    type_name: Option<String>,
    /// Lowercase, trimmed; `None` when empty.
    text: Option<String>,
    /// The local id the text reads as, if it does.
    id: Option<u64>,
}

impl ProcessFilter {
    /// Keeps every server.
    pub fn new() -> Self {
        ProcessFilter::default()
    }

    /// Keeps the servers of the type named `name` (an empty name keeps
    /// every type).
    pub fn type_name(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.type_name = (!name.is_empty()).then_some(name);
        self
    }

    /// Keeps the servers whose type's name or one of whose names holds
    /// `text`, in any case; or, when `text` is a local id as it is shown,
    /// that server. Surrounding blanks are ignored; an empty text keeps
    /// every server.
    pub fn text(mut self, text: &str) -> Self {
        let text = text.trim();
        self.id = parse_local_id(text);
        self.text = (!text.is_empty()).then(|| text.to_lowercase());
        self
    }

    /// Whether the filter keeps the server `info` describes.
    pub fn admits(&self, info: &ProcessInfo) -> bool {
        if self
            .type_name
            .as_deref()
            .is_some_and(|t| t != info.type_name)
        {
            return false;
        }
        let Some(text) = &self.text else { return true };
        if let Some(number) = self.id {
            return info.id.is_local_numbered(number);
        }
        holds(info.type_name, text) || info.names.iter().any(|name| holds(name, text))
    }
}

/// What [`top_processes`] asks for: the first `limit` rows, in an order,
/// of the servers a filter keeps.
///
/// ```
/// use genserver_core::sys::{ProcessFilter, SortOrder, TopQuery};
///
/// // The 20 oldest sessions.
/// let query = TopQuery::new(20)
///     .order(SortOrder::Ascending)
///     .filter(ProcessFilter::new().type_name("Session"));
/// # let _ = query;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopQuery {
    filter: ProcessFilter,
    limit: usize,
    order: SortOrder,
}

impl TopQuery {
    /// The first `limit` rows of every server, the largest values first.
    pub fn new(limit: usize) -> Self {
        TopQuery {
            filter: ProcessFilter::new(),
            limit,
            order: SortOrder::Descending,
        }
    }

    /// In `order` instead.
    pub fn order(mut self, order: SortOrder) -> Self {
        self.order = order;
        self
    }

    /// Of the servers `filter` keeps only.
    pub fn filter(mut self, filter: ProcessFilter) -> Self {
        self.filter = filter;
        self
    }
}

/// What [`top_processes`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopProcesses {
    /// The servers looked at.
    pub total: usize,
    /// Of those, the ones the filter kept.
    pub matched: usize,
    /// How many servers of each type were looked at (all of them, not
    /// only those kept), by name: at most [`TOP_TYPES`], the most numerous.
    pub types: Vec<(&'static str, usize)>,
    /// The first rows by the key, in order: read again once chosen, and
    /// ordered by what they showed then.
    pub rows: Vec<ProcessInfo>,
}

/// The first rows of `servers` that `query` asks for, by `key`, ties to
/// the oldest. One pass reads each server once, keeping 24 bytes of each
/// kept one, and a partial sort picks the rows: a million servers cost one
/// pass, never a sort of them all. The chosen rows are read again and put
/// in order by what they show then, so a row is never out of order.
///
/// `key` is called once for each kept server in the pass, and once for
/// each chosen row when they are read again.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::sys::{self, ProcessFilter, TopQuery};
///
/// pub struct Worker;
///
/// #[gen_server]
/// impl Worker {
///     #[call]
///     pub fn ping(&self) {}
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let workers = [Worker::start(Worker).await?, Worker::start(Worker).await?];
/// workers[1].ping().await?;
/// // The busiest worker first.
/// let query = TopQuery::new(1).filter(ProcessFilter::new().type_name("Worker"));
/// let top = sys::top_processes(&sys::servers(), &query, |info| info.handled.total());
/// assert_eq!((top.matched, top.rows[0].id), (2, workers[1].id()));
/// # Ok(())
/// # }
/// ```
pub fn top_processes(
    servers: &[AnyServer],
    query: &TopQuery,
    key: impl Fn(&ProcessInfo) -> u64,
) -> TopProcesses {
    top_processes_seeing(servers, query, key, |_| {})
}

/// [`top_processes`], calling `seen` once with every server the pass reads,
/// kept or not: to note what each shows (a dashboard keeps the messages
/// each has handled, for rates at its next look) without a second pass.
pub fn top_processes_seeing(
    servers: &[AnyServer],
    query: &TopQuery,
    key: impl Fn(&ProcessInfo) -> u64,
    mut seen: impl FnMut(&ProcessInfo),
) -> TopProcesses {
    let TopQuery {
        filter,
        limit,
        order,
    } = query;
    let (limit, order) = (*limit, *order);
    let mut types: HashMap<&'static str, usize> = HashMap::new();
    // (key, id number, index in `servers`): 24 bytes a kept server.
    let mut keys: Vec<(u64, u64, usize)> = Vec::new();
    for (index, server) in servers.iter().enumerate() {
        let info = ProcessInfo::of(server);
        seen(&info);
        *types.entry(info.type_name).or_default() += 1;
        if filter.admits(&info) {
            keys.push((key(&info), info.id.as_u64(), index));
        }
    }
    let matched = keys.len();
    let by = |a: &(u64, u64, usize), b: &(u64, u64, usize)| compare(order, (a.0, a.1), (b.0, b.1));
    if keys.len() > limit {
        if limit == 0 {
            keys.clear();
        } else {
            keys.select_nth_unstable_by(limit - 1, by);
            keys.truncate(limit);
        }
    }
    let mut rows: Vec<(u64, ProcessInfo)> = keys
        .iter()
        .map(|&(_, _, index)| {
            let info = ProcessInfo::of(&servers[index]);
            (key(&info), info)
        })
        .collect();
    rows.sort_by(|a, b| compare(order, (a.0, a.1.id.as_u64()), (b.0, b.1.id.as_u64())));
    TopProcesses {
        total: servers.len(),
        matched,
        types: most_numerous(types),
        rows: rows.into_iter().map(|(_, info)| info).collect(),
    }
}

/// The [`TOP_TYPES`] most numerous types (ties by name), by name.
fn most_numerous(types: HashMap<&'static str, usize>) -> Vec<(&'static str, usize)> {
    let mut types: Vec<(&'static str, usize)> = types.into_iter().collect();
    if types.len() > TOP_TYPES {
        types.select_nth_unstable_by(TOP_TYPES - 1, |a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        types.truncate(TOP_TYPES);
    }
    types.sort_unstable_by(|a, b| a.0.cmp(b.0));
    types
}

/// The live local server whose id is written `text` as it is shown
/// (`<0.12.0>`, the brackets and surrounding blanks optional); `None` for
/// anything else, for a server of another node, and once it has exited.
/// It looks through the one shard of the process table the id belongs to
/// (a 64th of it), under that shard's lock.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::sys;
///
/// pub struct Worker;
///
/// #[gen_server]
/// impl Worker {
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let worker = Worker::start(Worker).await?;
/// let shown = worker.id().to_string(); // "<0.N.0>"
/// assert_eq!(sys::server_by_id(&shown).map(|s| s.id()), Some(worker.id()));
/// assert!(sys::server_by_id("<1.2.3>").is_none());
/// # Ok(())
/// # }
/// ```
pub fn server_by_id(text: &str) -> Option<AnyServer> {
    live::find_local(parse_local_id(text)?)
}

/// Rows in `order` by key, ties by id (the oldest first).
fn compare(order: SortOrder, a: (u64, u64), b: (u64, u64)) -> Ordering {
    let by_key = match order {
        SortOrder::Ascending => a.0.cmp(&b.0),
        SortOrder::Descending => b.0.cmp(&a.0),
    };
    by_key.then(a.1.cmp(&b.1))
}

/// Whether `haystack` holds `needle` (lowercase), in any case, without
/// allocating for ASCII text.
fn holds(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if haystack.is_ascii() && needle.is_ascii() {
        return haystack
            .as_bytes()
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()));
    }
    haystack.to_lowercase().contains(needle)
}

/// The number of a local server's id as it is shown, `<0.12.0>` (the
/// brackets optional); `None` for anything else.
fn parse_local_id(text: &str) -> Option<u64> {
    let text = text.trim();
    let inner = text
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(text);
    let mut parts = inner.split('.');
    let (node, number, last) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || node != "0" || last != "0" {
        return None;
    }
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_oldest_and_order_flips_only_the_key() {
        let mut rows = vec![(5, 3), (9, 2), (5, 1), (0, 4)];
        rows.sort_by(|a, b| compare(SortOrder::Descending, *a, *b));
        assert_eq!(rows, [(9, 2), (5, 1), (5, 3), (0, 4)]);
        rows.sort_by(|a, b| compare(SortOrder::Ascending, *a, *b));
        assert_eq!(rows, [(0, 4), (5, 1), (5, 3), (9, 2)]);
    }

    #[test]
    fn the_partial_sort_picks_what_a_full_sort_would() {
        // A scrambled table of 10 000 keys, many equal.
        let keys: Vec<(u64, u64, usize)> = (0..10_000u64)
            .map(|i| ((i * 7919) % 613, i, i as usize))
            .collect();
        for order in [SortOrder::Ascending, SortOrder::Descending] {
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

    #[test]
    fn local_ids_read_as_they_are_shown_and_nothing_else() {
        assert_eq!(parse_local_id("<0.12.0>"), Some(12));
        assert_eq!(parse_local_id("0.12.0"), Some(12));
        assert_eq!(parse_local_id(" <0.7.0> "), Some(7));
        for bad in [
            "",
            "<>",
            "<0.12>",
            "<1.12.0>",
            "<0.12.1>",
            "<0.-1.0>",
            "<0.x.0>",
            "<0..0>",
            "<0.1.0.0>",
            "<0.1e3.0>",
            "12",
            "<0.99999999999999999999999.0>",
        ] {
            assert_eq!(parse_local_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_types_listed_are_the_most_numerous_by_name() {
        // 250 types: type i has i + 1 servers; 50 of them are cut.
        let names: Vec<&'static str> = (0..250)
            .map(|i| &*Box::leak(format!("T{i:03}").into_boxed_str()))
            .collect();
        let types: HashMap<&'static str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, name)| (*name, i + 1))
            .collect();
        let listed = most_numerous(types);
        assert_eq!(listed.len(), TOP_TYPES);
        assert!(listed.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert_eq!(listed.first(), Some(&("T050", 51)));
        assert_eq!(listed.last(), Some(&("T249", 250)));
        // Equal counts: the first names are kept.
        let ties: HashMap<&'static str, usize> = names.iter().map(|name| (*name, 1)).collect();
        let listed = most_numerous(ties);
        assert_eq!(listed.last(), Some(&("T199", 1)));
    }

    #[test]
    fn a_text_is_found_in_any_case() {
        assert!(holds("RateLimiter", "limit"));
        assert!(holds("RateLimiter", ""));
        assert!(!holds("Stats", "limit"));
        assert!(holds("Ünïcode-Server", "ünï"));
    }
}
