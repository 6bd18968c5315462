//! What a node answers on its `sys` subject, as JSON of the shapes the
//! dashboard's own endpoints serve: the process table's top rows (one
//! pass over the live servers and a partial sort, 24 bytes a server), the
//! supervision trees cut to [`MAX_CHILDREN`] children a supervisor, and
//! one server's status.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use genserver_core::sys::{self, ProcessInfo, Statistics, Status};
use genserver_core::{AnyServer, ChildKind, ChildStatus, Restart, ServerId, SupervisionTree};
use genserver_core::{CallError, TreeChild};
use serde::Serialize;

use super::request::{ProcessesRequest, SysOrder, SysRequest, SysSort};

/// The most children shown under one supervisor.
pub(crate) const MAX_CHILDREN: usize = 200;
/// The most trees shown.
pub(crate) const MAX_TREES: usize = 100;
/// The most server types listed with their counts.
const MAX_TYPES: usize = 200;
/// The longest state text a status carries, in bytes.
const MAX_STATE: usize = 64 * 1024;

/// One row of the table. A node keeps no rates between questions, so
/// `messages_per_sec` is always `null`, as on a dashboard's first look.
#[derive(Debug, Serialize)]
struct ProcessRow {
    #[serde(flatten)]
    info: ProcessInfo,
    messages_per_sec: Option<f64>,
}

#[derive(Debug, Serialize)]
struct TypeCount {
    name: &'static str,
    count: usize,
}

/// The process table's answer: the dashboard's `api/processes`.
#[derive(Debug, Serialize)]
struct ProcessPage<'n> {
    node: &'n str,
    total: usize,
    matched: usize,
    sort: &'static str,
    order: &'static str,
    limit: usize,
    rate_window_ms: Option<f64>,
    types: Vec<TypeCount>,
    rows: Vec<ProcessRow>,
    took_ms: f64,
}

/// The value a server is sorted by.
fn key(info: &ProcessInfo, sort: SysSort) -> u64 {
    match sort {
        SysSort::Mailbox => info.mailbox.len as u64,
        SysSort::Memory => info.memory as u64,
        SysSort::Uptime => u64::try_from(info.uptime.as_nanos()).unwrap_or(u64::MAX),
        SysSort::Messages => info.handled.total(),
        SysSort::Id => info.id.as_u64(),
    }
}

/// Rows in the order asked for, ties by id (the oldest first).
fn compare(order: SysOrder, a: (u64, u64), b: (u64, u64)) -> Ordering {
    let by_key = match order {
        SysOrder::Asc => a.0.cmp(&b.0),
        SysOrder::Desc => b.0.cmp(&a.0),
    };
    by_key.then(a.1.cmp(&b.1))
}

/// Whether `haystack` holds `needle` (lowercase), in any case.
fn holds(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        let (hay, needle) = (haystack.as_bytes(), needle.as_bytes());
        return needle.is_empty()
            || hay
                .windows(needle.len())
                .any(|window| window.eq_ignore_ascii_case(needle));
    }
    haystack.to_lowercase().contains(needle)
}

/// What a query's filter lets through.
struct Filter<'q> {
    type_name: Option<&'q str>,
    text: Option<String>,
    /// The local id the text is, if it reads as one.
    id: Option<u64>,
}

/// The number of a local server's id as it is shown, `<0.12.0>` (the
/// brackets optional); `None` for anything else.
fn local_id(text: &str) -> Option<u64> {
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

/// Whether `id` is the local server numbered `number`.
fn is_local_id(id: ServerId, number: u64) -> bool {
    id.is_local() && id.as_u64() == number
}

impl Filter<'_> {
    fn admits(&self, info: &ProcessInfo) -> bool {
        if self.type_name.is_some_and(|t| t != info.type_name) {
            return false;
        }
        let Some(text) = &self.text else { return true };
        if let Some(number) = self.id {
            return is_local_id(info.id, number);
        }
        holds(info.type_name, text) || info.names.iter().any(|name| holds(name, text))
    }
}

/// The top rows of this node's process table, as `query` asks.
fn processes<'n>(node: &'n str, query: &ProcessesRequest) -> ProcessPage<'n> {
    let started = Instant::now();
    let servers = sys::servers();
    let text = query
        .filter
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let filter = Filter {
        type_name: query.type_name.as_deref().filter(|t| !t.is_empty()),
        text: text.map(str::to_lowercase),
        id: text.and_then(local_id),
    };
    let order = query.order();
    let mut types: HashMap<&'static str, usize> = HashMap::new();
    // (sort value, id number, index in `servers`): 24 bytes a match.
    let mut keys: Vec<(u64, u64, usize)> = Vec::new();
    for (index, server) in servers.iter().enumerate() {
        let info = ProcessInfo::of(server);
        *types.entry(info.type_name).or_default() += 1;
        if filter.admits(&info) {
            keys.push((key(&info, query.sort), info.id.as_u64(), index));
        }
    }
    let matched = keys.len();
    let by = |a: &(u64, u64, usize), b: &(u64, u64, usize)| compare(order, (a.0, a.1), (b.0, b.1));
    if keys.len() > query.limit {
        keys.select_nth_unstable_by(query.limit - 1, by);
        keys.truncate(query.limit);
    }
    // The chosen few, looked at again and put in order by what they show
    // now.
    let mut rows: Vec<ProcessRow> = keys
        .iter()
        .map(|&(_, _, index)| ProcessRow {
            info: ProcessInfo::of(&servers[index]),
            messages_per_sec: None,
        })
        .collect();
    rows.sort_by(|a, b| {
        compare(
            order,
            (key(&a.info, query.sort), a.info.id.as_u64()),
            (key(&b.info, query.sort), b.info.id.as_u64()),
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
        node,
        total: servers.len(),
        matched,
        sort: query.sort.name(),
        order: order.name(),
        limit: query.limit,
        rate_window_ms: None,
        types,
        rows,
        took_ms: millis(started.elapsed()),
    }
}

fn millis(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1000.0
}

/// The trees' answer: the dashboard's `api/trees`.
#[derive(Debug, Serialize)]
struct Trees<'n> {
    node: &'n str,
    trees: Vec<Tree>,
    total: usize,
    took_ms: f64,
}

#[derive(Debug, Serialize)]
struct Tree {
    id: ServerId,
    type_name: &'static str,
    answered: bool,
    children_total: usize,
    children: Vec<Child>,
}

#[derive(Debug, Serialize)]
struct Child {
    id: String,
    kind: ChildKind,
    restart: Restart,
    status: ChildStatus,
    restarts: u32,
    server: Option<ServerId>,
    type_name: Option<&'static str>,
    subtree: Option<Tree>,
}

impl From<SupervisionTree> for Tree {
    fn from(tree: SupervisionTree) -> Tree {
        Tree {
            id: tree.id,
            type_name: tree.type_name,
            answered: tree.answered,
            children_total: tree.children.len(),
            children: tree
                .children
                .into_iter()
                .take(MAX_CHILDREN)
                .map(Child::from)
                .collect(),
        }
    }
}

impl From<TreeChild> for Child {
    fn from(child: TreeChild) -> Child {
        Child {
            id: child.id,
            kind: child.kind,
            restart: child.restart,
            status: child.status,
            restarts: child.restarts,
            server: child.server,
            type_name: child.type_name,
            subtree: child.subtree.map(Tree::from),
        }
    }
}

/// One server's answer: the dashboard's `api/servers/<id>`, without the
/// trace and the actions.
#[derive(Debug, Serialize)]
struct ServerDetail<'n> {
    node: &'n str,
    status: Status,
    statistics: Option<Statistics>,
}

/// `{"error": "..."}`.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorAnswer<'a> {
    pub(crate) error: &'a str,
}

/// JSON of `value` (never fails for these types; an empty object if it
/// did).
fn json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

/// An error answer's JSON.
pub(crate) fn error(text: &str) -> Vec<u8> {
    json(&ErrorAnswer { error: text })
}

/// The live local server shown as `text` (`<0.12.0>`): one pass over the
/// live servers' handles.
fn find(text: &str) -> Option<AnyServer> {
    let number = local_id(text)?;
    sys::servers()
        .into_iter()
        .find(|server| is_local_id(server.id(), number))
}

/// Cuts `text` to at most `max` bytes and a `…`, on a character boundary.
fn cut(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut at = max;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text.truncate(at);
    text.push('…');
}

/// The answer to `request` on the node `node`: `Ok` with its JSON, or
/// `Err` with what went wrong, for an error answer.
pub(crate) async fn answer(node: &str, request: SysRequest) -> Result<Vec<u8>, String> {
    match request {
        SysRequest::Processes(query) => {
            // One pass over every live server: off the async threads.
            let node = node.to_owned();
            tokio::task::spawn_blocking(move || json(&processes(&node, &query)))
                .await
                .map_err(|failed| format!("the process table could not be read: {failed}"))
        }
        SysRequest::Trees => {
            let started = Instant::now();
            let all = sys::trees().await;
            let total = all.len();
            Ok(json(&Trees {
                node,
                trees: all.into_iter().take(MAX_TREES).map(Tree::from).collect(),
                total,
                took_ms: millis(started.elapsed()),
            }))
        }
        SysRequest::Status { id } => {
            let shown: String = id.chars().take(64).collect();
            let no_server = || format!("no live server {shown:?} on this node");
            let server = find(&id).ok_or_else(no_server)?;
            match server.sys().status().await {
                Ok(mut status) => {
                    if let Some(state) = status.state.as_mut() {
                        cut(state, MAX_STATE);
                    }
                    Ok(json(&ServerDetail {
                        node,
                        statistics: server.sys().statistics().ok(),
                        status,
                    }))
                }
                Err(CallError::NoProc | CallError::Exited(_)) => Err(no_server()),
                Err(failed) => Err(format!("{shown} did not answer: {failed}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_as_they_are_shown() {
        assert_eq!(local_id("<0.12.0>"), Some(12));
        assert_eq!(local_id(" 0.7.0 "), Some(7));
        for bad in [
            "<1.12.0>",
            "<0.12.1>",
            "<0..0>",
            "<0.1e3.0>",
            "12",
            "",
            "<0.1.0.0>",
            "<0.99999999999999999999999.0>",
        ] {
            assert_eq!(local_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn ties_go_to_the_oldest_and_order_flips_only_the_key() {
        let mut rows = vec![(5, 3), (9, 2), (5, 1), (0, 4)];
        rows.sort_by(|a, b| compare(SysOrder::Desc, *a, *b));
        assert_eq!(rows, [(9, 2), (5, 1), (5, 3), (0, 4)]);
        rows.sort_by(|a, b| compare(SysOrder::Asc, *a, *b));
        assert_eq!(rows, [(0, 4), (5, 1), (5, 3), (9, 2)]);
    }

    #[test]
    fn the_filter_ignores_case() {
        assert!(holds("RateLimiter", "limit"));
        assert!(holds("RateLimiter", ""));
        assert!(!holds("Stats", "limit"));
        assert!(holds("Ünïcode-Server", "ünï"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_answers_are_the_dashboards_shapes_and_bounded() {
        let page = answer("n", SysRequest::processes(SysSort::Id, 5).unwrap())
            .await
            .expect("a page");
        let page: serde_json::Value = serde_json::from_slice(&page).unwrap();
        let mut keys: Vec<&str> = page
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "limit",
                "matched",
                "node",
                "order",
                "rate_window_ms",
                "rows",
                "sort",
                "took_ms",
                "total",
                "types"
            ]
        );
        assert_eq!(
            (&page["node"], &page["sort"], &page["order"]),
            (&"n".into(), &"id".into(), &"asc".into())
        );
        assert!(page["rows"].as_array().unwrap().len() <= 5);
        let trees: serde_json::Value =
            serde_json::from_slice(&answer("n", SysRequest::Trees).await.unwrap()).unwrap();
        assert!(
            trees["trees"].is_array() && trees["total"].is_u64(),
            "{trees}"
        );
        let missing = answer("n", SysRequest::status("<0.999999999.0>")).await;
        assert_eq!(
            missing.unwrap_err(),
            r#"no live server "<0.999999999.0>" on this node"#
        );
        let junk = answer("n", SysRequest::status("<script>"))
            .await
            .unwrap_err();
        assert!(junk.contains("no live server"), "{junk}");
        let error: serde_json::Value = serde_json::from_slice(&error("a \"quoted\" <b>")).unwrap();
        assert_eq!(error["error"], "a \"quoted\" <b>");
        let mut long = "é".repeat(10);
        cut(&mut long, 5);
        assert_eq!(long, "éé…");
    }
}
