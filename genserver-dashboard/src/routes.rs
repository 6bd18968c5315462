//! The HTTP side: the page, its three assets and the JSON endpoints it
//! reads, each answer with headers that keep the page to itself.
//!
//! ```text
//!  GET  /                       the page (?asset=app.js, nodes.js, style.css: its assets)
//!  GET  /api/overview           version, process count, options, which sections exist
//!  GET  /api/processes          ?sort=&order=&filter=&type=&limit=  the top rows
//!  GET  /api/servers/{id}       one server's status, state and statistics
//!  GET  /api/trees              the supervision trees (200 children a supervisor)
//!  GET  /api/failures           the latest crash reports, dead letters by reason
//!  POST /api/servers/{id}/{action}  suspend, resume, kill, trace?n= (when enabled)
//!  GET  /api/nodes/...          the Nodes view, with the `nats` feature (`nodes.rs`)
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use genserver_core::CallError;
use genserver_core::sys;
use serde::Serialize;

use crate::failures::{self, Failures};
use crate::options::DashboardOptions;
use crate::query::ProcessQuery;
use crate::rates::Rates;
use crate::sections::Overview;
use crate::server::{self, Action, ServerDetail};
use crate::table;
use crate::tree::Trees;

/// The header an action request must carry. A page of another site cannot
/// set it without the browser first asking this one (CORS), which it never
/// allows, so a forged form or link cannot act.
pub(crate) const ACTION_HEADER: &str = "x-genserver-dashboard";

const PAGE: &str = include_str!("../assets/index.html");
const SCRIPT: &str = include_str!("../assets/app.js");
const NODES_SCRIPT: &str = include_str!("../assets/nodes.js");
const STYLE: &str = include_str!("../assets/style.css");

/// Nothing but this origin's own script, style and JSON; no frames, no
/// forms, no inline script.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   connect-src 'self'; img-src 'self'; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'none'";

/// What every handler shares.
struct Dashboard {
    options: DashboardOptions,
    rates: Arc<tokio::sync::Mutex<Rates>>,
}

type Shared = State<Arc<Dashboard>>;

/// The dashboard's routes (see the module docs).
pub(crate) fn router(options: DashboardOptions) -> Router {
    #[cfg(feature = "nats")]
    let nodes = crate::nodes::router(options.node.clone());
    let dashboard = Arc::new(Dashboard {
        options,
        rates: Arc::default(),
    });
    let app = Router::new()
        .route("/", get(page))
        .route("/api/overview", get(overview))
        .route("/api/processes", get(processes))
        .route("/api/servers/{id}", get(detail))
        .route("/api/servers/{id}/{action}", post(act))
        .route("/api/failures", get(failures))
        .route("/api/trees", get(trees))
        .with_state(dashboard);
    #[cfg(feature = "nats")]
    let app = app.merge(nodes);
    app.layer(axum::middleware::map_response(protect))
}

/// Headers on every answer: the page's policy, no sniffing, no caching,
/// no referrer.
async fn protect(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `{"error": "..."}` with `status`.
pub(crate) fn error(status: StatusCode, message: impl ToString) -> Response {
    #[derive(Serialize)]
    struct Error {
        error: String,
    }
    let body = Error {
        error: message.to_string(),
    };
    (status, Json(body)).into_response()
}

/// The page, or one of its assets: they are fetched by a relative URL
/// that is only a query (`?asset=app.js`), which reaches this handler
/// wherever the router is mounted, with or without a trailing slash.
async fn page(Query(params): Query<HashMap<String, String>>) -> Response {
    let (body, kind) = match params.get("asset").map(String::as_str) {
        None => (PAGE, "text/html; charset=utf-8"),
        Some("app.js") => (SCRIPT, "text/javascript; charset=utf-8"),
        Some("nodes.js") => (NODES_SCRIPT, "text/javascript; charset=utf-8"),
        Some("style.css") => (STYLE, "text/css; charset=utf-8"),
        Some(_) => return error(StatusCode::NOT_FOUND, "no such asset"),
    };
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

async fn overview(State(dashboard): Shared) -> Response {
    Json(Overview::now(&dashboard.options)).into_response()
}

async fn processes(
    State(dashboard): Shared,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let query = match ProcessQuery::parse(&params) {
        Ok(query) => query,
        Err(problem) => return error(StatusCode::BAD_REQUEST, problem),
    };
    // One look at a time: a second viewer waits for the first's answer
    // rather than doubling the work.
    let mut rates = dashboard.rates.clone().lock_owned().await;
    let answer = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let servers = sys::servers();
        let mut look = rates.look(started);
        let page = table::page(&servers, &query, &mut look, started);
        let recorded = look.record.take();
        rates.keep(started, recorded);
        page
    })
    .await;
    match answer {
        Ok(page) => Json(page).into_response(),
        Err(failed) => error(StatusCode::INTERNAL_SERVER_ERROR, failed),
    }
}

async fn failures() -> Response {
    Json(Failures::now()).into_response()
}

async fn trees() -> Response {
    Json(Trees::now().await).into_response()
}

fn no_server(id: &str) -> Response {
    let shown: String = id.chars().take(64).collect();
    error(
        StatusCode::NOT_FOUND,
        format!("no live server {shown:?} on this node"),
    )
}

async fn detail(State(dashboard): Shared, Path(id): Path<String>) -> Response {
    let Some(server) = server::find(&id) else {
        return no_server(&id);
    };
    match server.sys().status().await {
        Ok(status) => Json(ServerDetail {
            dead_letters: failures::by_reason(&status.dead_letters),
            statistics: server.sys().statistics().ok(),
            trace: server::recent_trace(&server),
            status,
            actions: dashboard.options.actions_enabled(),
        })
        .into_response(),
        Err(CallError::NoProc) => no_server(&id),
        Err(failed) => error(StatusCode::SERVICE_UNAVAILABLE, failed),
    }
}

async fn act(
    State(dashboard): Shared,
    Path((id, action)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !dashboard.options.actions_enabled() {
        return error(
            StatusCode::FORBIDDEN,
            "actions are disabled (DashboardOptions::enable_actions)",
        );
    }
    if !headers.contains_key(ACTION_HEADER) {
        return error(
            StatusCode::FORBIDDEN,
            format!("an action needs the {ACTION_HEADER} header"),
        );
    }
    let Some(mut action) = Action::parse(&action) else {
        return error(
            StatusCode::NOT_FOUND,
            "unknown action: suspend, resume, kill or trace",
        );
    };
    if let Action::Trace(_) = action {
        match Action::trace(params.get("n").map(String::as_str)) {
            Ok(trace) => action = trace,
            Err(problem) => return error(StatusCode::BAD_REQUEST, problem),
        }
    }
    let Some(server) = server::find(&id) else {
        return no_server(&id);
    };
    match action.apply(&server).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(CallError::NoProc | CallError::Exited(_)) => no_server(&id),
        Err(failed) => error(StatusCode::SERVICE_UNAVAILABLE, failed),
    }
}
