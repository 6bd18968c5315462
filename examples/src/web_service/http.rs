//! The HTTP side: routes and what each answers.
//!
//! - `GET /api/hello` with `x-api-key`: 401 for an unknown key, 429 past
//!   the key's limit (with `retry-after`), else 200.
//! - `GET /stats/{key}`: the key's counts.
//! - `PUT /keys/{key}?limit=N`: adds or changes a key.
//! - `POST /debug/crash/{key}`: crashes the key's rate limiter (a demo of
//!   recovery; a real service would not have it).
//! - `GET /genserver`: the dashboard (`genserver-dashboard`), read-only:
//!   the limiters, stats partitions and supervisors, live. A real service
//!   would put it behind its operators' login, or on a listener of its own.
//! - `GET /metrics`: Prometheus text: the runtime's metrics
//!   (`genserver_core::metrics`), its gauges sampled at each scrape.

use axum::Router;
use axum::extract::{Path, Query, State as Shared};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use genserver_core::CallError;
use genserver_dashboard::DashboardOptions;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Deserialize;
use std::sync::OnceLock;

use crate::web_service::State;
use crate::web_service::keys::Plan;
use crate::web_service::limiter::Decision;

/// The service's routes over `state`.
pub fn router(state: State) -> Router {
    prometheus();
    Router::new()
        .route("/api/hello", get(hello))
        .route("/stats/{key}", get(stats))
        .route("/keys/{key}", put(put_key))
        .route("/debug/crash/{key}", post(crash))
        .route("/metrics", get(metrics))
        .with_state(state)
        .nest(
            "/genserver",
            genserver_dashboard::router(DashboardOptions::new()),
        )
}

/// The process's Prometheus recorder: installed at the first router, with
/// the runtime's metrics enabled (a recorder is global, one per process).
fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => {
                genserver_core::metrics::enable();
                Some(handle)
            }
            Err(error) => {
                tracing::warn!(%error, "no Prometheus recorder: /metrics is off");
                None
            }
        })
        .as_ref()
}

/// Prometheus text; the gauges (servers, mailboxes) are sampled now, so a
/// scrape every few seconds costs the runtime nothing in between.
async fn metrics() -> Response {
    match prometheus() {
        Some(handle) => {
            genserver_core::metrics::sample();
            (
                [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                handle.render(),
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "metrics are off\n").into_response(),
    }
}

fn unavailable(what: &str, error: impl std::fmt::Display) -> Response {
    tracing::warn!(%error, "{what}");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("{what}: {error}\n"),
    )
        .into_response()
}

async fn hello(Shared(state): Shared<State>, headers: HeaderMap) -> Response {
    let Some(key) = headers.get("x-api-key").and_then(|k| k.to_str().ok()) else {
        return (StatusCode::UNAUTHORIZED, "missing x-api-key\n").into_response();
    };
    // A table read: no message to any server.
    let plan = match state.keys.table.get(key) {
        Ok(Some(plan)) => plan,
        Ok(None) => return (StatusCode::UNAUTHORIZED, "unknown key\n").into_response(),
        Err(error) => return unavailable("key store", error),
    };
    let limiter = state.limiter(key, plan);
    let decision = match limiter.check().await {
        // The limiter crashed with this call in its mailbox: the call exits
        // with it, as in OTP. Its key's handle reaches the next limiter.
        Err(CallError::Exited(_)) => limiter.check().await,
        answered => answered,
    };
    let decision = match decision {
        Ok(decision) => decision,
        Err(error) => return unavailable("rate limiter", error),
    };
    let allowed = matches!(decision, Decision::Allowed { .. });
    // A cast to the key's partition, by name: the request does not wait.
    state.stats.named(key).record(key.to_string(), allowed);
    match decision {
        Decision::Allowed { remaining } => {
            (StatusCode::OK, format!("hello; {remaining} left\n")).into_response()
        }
        Decision::Limited { retry_after } => {
            let mut response = (StatusCode::TOO_MANY_REQUESTS, "slow down\n").into_response();
            let seconds = retry_after.as_secs().max(1).to_string();
            if let Ok(value) = HeaderValue::from_str(&seconds) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}

async fn stats(Shared(state): Shared<State>, Path(key): Path<String>) -> Response {
    match state.stats.named(&key).of(key.clone()).await {
        Ok((partition, stats)) => (
            StatusCode::OK,
            format!(
                "allowed={} limited={} partition={partition}\n",
                stats.allowed, stats.limited
            ),
        )
            .into_response(),
        Err(error) => unavailable("stats", error),
    }
}

#[derive(Deserialize)]
struct Limit {
    limit: u32,
}

async fn put_key(
    Shared(state): Shared<State>,
    Path(key): Path<String>,
    Query(Limit { limit }): Query<Limit>,
) -> Response {
    match state.keys.store.put(key, Plan { limit }).await {
        Ok(Ok(())) => (StatusCode::CREATED, "ok\n").into_response(),
        Ok(Err(error)) => unavailable("key store", error),
        Err(error) => unavailable("key store", error),
    }
}

async fn crash(Shared(state): Shared<State>, Path(key): Path<String>) -> Response {
    match state
        .limiters
        .whereis::<crate::web_service::limiter::RateLimiter>(key.as_str())
    {
        Some(limiter) => {
            limiter.crash();
            (StatusCode::ACCEPTED, "crashing\n").into_response()
        }
        None => (StatusCode::NOT_FOUND, "no limiter for that key\n").into_response(),
    }
}
