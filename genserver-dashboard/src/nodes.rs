//! The Nodes view (the `nats` feature): the cluster's nodes, as the
//! dashboard's own genserver-nats [`Node`] knows them, and what runs on
//! each, read over NATS from that node's `sys` subject
//! ([`Node::sys`]) and relayed as JSON of the shapes the local endpoints
//! serve.
//!
//! ```text
//!  GET /api/nodes                          this node and the nodes it hears from
//!  GET /api/nodes/{node}/processes         ?sort=&order=&filter=&type=&limit=  (no rate: nodes keep none)
//!  GET /api/nodes/{node}/trees             its supervision trees
//!  GET /api/nodes/{node}/servers/{id}      one of its servers' status and statistics
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use genserver_nats::sys::{ProcessesRequest, SysOrder};
use genserver_nats::{Node, SysError, SysRequest, SysSort};
use serde::Serialize;

use crate::options::DashboardOptions;
use crate::query::{Order, ProcessQuery, SortKey};
use crate::routes::error;

/// The longest node name the endpoints take, in bytes.
const MAX_NODE_NAME: usize = 256;

/// The dashboard's node: options compare equal when they hold nodes of
/// the same name and prefix.
#[derive(Clone)]
pub(crate) struct ClusterNode(pub(crate) Node);

impl PartialEq for ClusterNode {
    fn eq(&self, other: &Self) -> bool {
        format!("{:?}", self.0) == format!("{:?}", other.0)
    }
}

impl Eq for ClusterNode {}

impl fmt::Debug for ClusterNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl DashboardOptions {
    /// Fills the Nodes view from `node`'s cluster: the page lists this
    /// node and every node it hears from, and selecting one shows its
    /// processes and supervision trees, asked over NATS from that node's
    /// `sys` subject (`<prefix>.node.<name>.sys`, which every
    /// genserver-nats node answers). Needs the `nats` feature.
    ///
    /// Whoever reaches the page reads every node's servers and their
    /// states: put the router behind your own authentication (see the
    /// crate's docs, "Access").
    ///
    /// ```no_run
    /// use genserver_dashboard::DashboardOptions;
    /// use genserver_nats::{Node, NodeOptions};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let node = Node::connect("nats://127.0.0.1:4222", NodeOptions::new("web").prefix("app")).await?;
    /// let dashboard = genserver_dashboard::router(DashboardOptions::new().node(node));
    /// # drop(dashboard);
    /// # Ok(())
    /// # }
    /// ```
    pub fn node(mut self, node: Node) -> Self {
        self.node = Some(ClusterNode(node));
        self
    }
}

/// One node of the list.
#[derive(Debug, Serialize)]
struct NodeEntry {
    name: String,
    /// Whether it is the dashboard's own node.
    this: bool,
}

/// What `/api/nodes` answers.
#[derive(Debug, Serialize)]
struct NodeList {
    /// The dashboard's own node.
    this: String,
    /// It and every node it hears from, by name.
    nodes: Vec<NodeEntry>,
    took_ms: f64,
}

type Shared = State<Arc<Option<ClusterNode>>>;

/// The Nodes view's routes; every one answers `404` with what is missing
/// when the options hold no node.
pub(crate) fn router(node: Option<ClusterNode>) -> Router {
    Router::new()
        .route("/api/nodes", get(list))
        .route("/api/nodes/{node}/processes", get(processes))
        .route("/api/nodes/{node}/trees", get(trees))
        .route("/api/nodes/{node}/servers/{id}", get(server))
        .with_state(Arc::new(node))
}

fn no_node() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "this dashboard was given no NATS node (DashboardOptions::node)",
    )
}

async fn list(State(node): Shared) -> Response {
    let Some(ClusterNode(node)) = node.as_ref() else {
        return no_node();
    };
    let started = Instant::now();
    let this = node.name().to_owned();
    let mut names = node.nodes();
    names.push(this.clone());
    names.sort();
    names.dedup();
    Json(NodeList {
        nodes: names
            .into_iter()
            .map(|name| NodeEntry {
                this: name == this,
                name,
            })
            .collect(),
        this,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
    .into_response()
}

/// The process table's query, as the local one is read, for a node:
/// every column but the rate, which nodes do not keep.
fn remote_query(params: &HashMap<String, String>) -> Result<SysRequest, String> {
    let query = ProcessQuery::parse(params).map_err(|e| e.to_string())?;
    let sort = match query.sort {
        SortKey::Mailbox => SysSort::Mailbox,
        SortKey::Memory => SysSort::Memory,
        SortKey::Uptime => SysSort::Uptime,
        SortKey::Messages => SysSort::Messages,
        SortKey::Id => SysSort::Id,
        SortKey::Rate => {
            return Err(
                "sort by rate is this node's view only: a remote node keeps no rates; \
                 one of mailbox, memory, uptime, messages, id"
                    .to_owned(),
            );
        }
    };
    let mut request = ProcessesRequest::default();
    request.sort = sort;
    request.order = Some(match query.order {
        Order::Asc => SysOrder::Asc,
        Order::Desc => SysOrder::Desc,
    });
    request.limit = query.limit;
    request.filter = query.filter;
    request.type_name = query.type_name;
    Ok(SysRequest::Processes(request))
}

/// Asks `on` and relays its answer, or the error as the HTTP status that
/// says it.
async fn ask(node: &Option<ClusterNode>, on: &str, request: SysRequest) -> Response {
    let Some(ClusterNode(node)) = node.as_ref() else {
        return no_node();
    };
    if on.len() > MAX_NODE_NAME {
        return error(
            StatusCode::BAD_REQUEST,
            format!("a node name of {} bytes: at most {MAX_NODE_NAME}", on.len()),
        );
    }
    match node.sys(on, &request).await {
        Ok(answer) => Json(answer).into_response(),
        Err(failed) => {
            let status = match &failed {
                SysError::InvalidName(_) => StatusCode::BAD_REQUEST,
                SysError::NoNode(_) => StatusCode::NOT_FOUND,
                SysError::Timeout => StatusCode::GATEWAY_TIMEOUT,
                _ => StatusCode::BAD_GATEWAY,
            };
            let shown: String = on.chars().take(64).collect();
            error(status, format!("node {shown:?}: {failed}"))
        }
    }
}

async fn processes(
    State(node): Shared,
    Path(on): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    match remote_query(&params) {
        Ok(request) => ask(&node, &on, request).await,
        Err(problem) => error(StatusCode::BAD_REQUEST, problem),
    }
}

async fn trees(State(node): Shared, Path(on): Path<String>) -> Response {
    ask(&node, &on, SysRequest::Trees).await
}

async fn server(State(node): Shared, Path((on, id)): Path<(String, String)>) -> Response {
    ask(&node, &on, SysRequest::status(id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Result<SysRequest, String> {
        let params = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        remote_query(&params)
    }

    #[test]
    fn the_local_query_is_asked_of_a_node_but_the_rate() {
        let Ok(SysRequest::Processes(asked)) = query(&[
            ("sort", "memory"),
            ("order", "asc"),
            ("filter", "Worker"),
            ("type", "Worker"),
            ("limit", "7"),
        ]) else {
            panic!("a processes request")
        };
        assert_eq!(asked.sort, SysSort::Memory);
        assert_eq!(asked.order, Some(SysOrder::Asc));
        assert_eq!(asked.limit, 7);
        assert_eq!(asked.filter.as_deref(), Some("worker"));
        assert_eq!(asked.type_name.as_deref(), Some("Worker"));
        let Ok(SysRequest::Processes(asked)) = query(&[]) else {
            panic!("a processes request")
        };
        assert_eq!(
            (asked.sort, asked.order, asked.limit),
            (SysSort::Mailbox, Some(SysOrder::Desc), 100)
        );
        let rate = query(&[("sort", "rate")]).unwrap_err();
        assert!(rate.contains("keeps no rates"), "{rate}");
        let bad = query(&[("limit", "5000")]).unwrap_err();
        assert!(bad.contains("1 to 1000"), "{bad}");
    }
}
