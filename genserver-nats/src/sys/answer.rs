//! What a node answers on its `sys` subject, as JSON of the shapes the
//! dashboard's own endpoints serve: the process table's top rows (one
//! pass over the live servers and a partial sort, 24 bytes a server), the
//! supervision trees cut to [`MAX_CHILDREN`] children a supervisor, and
//! one server's status.

use std::time::{Duration, Instant};

use genserver_core::CallError;
use genserver_core::SupervisionTree;
use genserver_core::sys::{
    self, ProcessFilter, ProcessInfo, SortOrder, Statistics, Status, TopQuery,
};
use serde::Serialize;

use super::request::{ProcessesRequest, SysOrder, SysRequest, SysSort};

/// The most children shown under one supervisor.
pub(crate) const MAX_CHILDREN: usize = 200;
/// The most trees shown.
pub(crate) const MAX_TREES: usize = 100;
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

/// The top rows of this node's process table, as `query` asks
/// (`sys::top_processes`, as the dashboard's table picks them).
fn processes<'n>(node: &'n str, query: &ProcessesRequest) -> ProcessPage<'n> {
    let started = Instant::now();
    let mut filter = ProcessFilter::new();
    if let Some(type_name) = &query.type_name {
        filter = filter.type_name(type_name.as_str());
    }
    if let Some(text) = &query.filter {
        filter = filter.text(text);
    }
    let order = query.order();
    let sort_order = match order {
        SysOrder::Asc => SortOrder::Ascending,
        SysOrder::Desc => SortOrder::Descending,
    };
    let top_query = TopQuery::new(query.limit).order(sort_order).filter(filter);
    let top = sys::top_processes(&sys::servers(), &top_query, |info| key(info, query.sort));
    ProcessPage {
        node,
        total: top.total,
        matched: top.matched,
        sort: query.sort.name(),
        order: order.name(),
        limit: query.limit,
        rate_window_ms: None,
        types: top
            .types
            .into_iter()
            .map(|(name, count)| TypeCount { name, count })
            .collect(),
        rows: top
            .rows
            .into_iter()
            .map(|info| ProcessRow {
                info,
                messages_per_sec: None,
            })
            .collect(),
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
    trees: Vec<SupervisionTree>,
    total: usize,
    took_ms: f64,
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
                trees: all
                    .into_iter()
                    .take(MAX_TREES)
                    .map(|tree| tree.cut(MAX_CHILDREN))
                    .collect(),
                total,
                took_ms: millis(started.elapsed()),
            }))
        }
        SysRequest::Status { id } => {
            let shown: String = id.chars().take(64).collect();
            let no_server = || format!("no live server {shown:?} on this node");
            let server = sys::server_by_id(&id).ok_or_else(no_server)?;
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
