//! A live dashboard for a running genserver program, as Erlang's observer
//! and Elixir's LiveDashboard are: an axum [`Router`](axum::Router) you
//! mount in your own HTTP server, serving one page that shows what your
//! servers are doing.
//!
//! ```
//! use axum::Router;
//! use genserver_dashboard::DashboardOptions;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let app: Router = Router::new()
//!     // ... your own routes ...
//!     .nest("/genserver", genserver_dashboard::router(DashboardOptions::new()));
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! println!("open http://{}/genserver", listener.local_addr()?);
//! # let app = app.into_make_service();
//! # drop(app);
//! // axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # The page
//!
//! - **Processes**: every live server ([`genserver_core::sys::processes`]),
//!   sorted by mailbox length, messages per second, memory, uptime,
//!   messages handled or id; filtered by type and by a text matched
//!   against type names, names and ids; refreshed every second (see
//!   [`DashboardOptions::refresh`]).
//! - **Server**: one server's status, its state through `format_status`,
//!   its links and monitors, its statistics
//!   ([`Sys::statistics`](genserver_core::sys::Sys::statistics): messages
//!   handled by kind, mailbox high-water, and time in its handlers, in all
//!   and by handler, once
//!   [`collect_statistics`](genserver_core::sys::Sys::collect_statistics)
//!   turned timing on), and its recent trace (the last 100 events of
//!   [`Sys::traced`](genserver_core::sys::Sys::traced): when, kind,
//!   handler, message, reply, time, outcome); with the actions enabled,
//!   suspend, resume, kill, and tracing its next 20 messages or tracing
//!   off.
//! - **Crashes & dead letters**: the program's latest crash reports
//!   (server, handler, reason, where, state, time;
//!   [`genserver_core::sys::recent_crashes`]) and its dropped messages by
//!   reason ([`genserver_core::sys::dead_letters`]).
//! - **Tree**: every supervision tree of the program
//!   ([`genserver_core::sys::trees`]), each supervisor expanding and
//!   collapsing, each child with its restart type, status (running,
//!   restarting, backing off, stopped) and restart count; the first 200
//!   children of a supervisor are shown, with its total.
//! - **Nodes** (the `nats` feature, with a genserver-nats node given to
//!   `DashboardOptions::node`): the cluster's nodes, and for the one
//!   selected its process table, its supervision trees and one of its
//!   servers, read over NATS (see "Nodes" below). Without a node the view
//!   says so: the page never fills a section with made-up data.
//!
//! The page is plain HTML, CSS and JavaScript embedded in this crate: it
//! loads nothing from anywhere else, so it works offline. It reads the
//! JSON endpoints below, and puts every value into the page as text
//! (`textContent`), never as markup: a state whose `Debug` holds
//! `<script>` shows as those characters. Every answer carries a
//! `Content-Security-Policy` that allows only this origin's own script.
//!
//! # The JSON endpoints
//!
//! Relative to where the router is mounted:
//!
//! | request | answer |
//! |---|---|
//! | `GET api/overview` | `version`, `process_count`, `actions`, `refresh_ms`, `sections` (which have data) |
//! | `GET api/processes?sort=mailbox&order=desc&filter=&type=&limit=100` | `total`, `matched`, `types` (count by type), `rows` (each a [`ProcessInfo`](genserver_core::sys::ProcessInfo) and `messages_per_sec`), `rate_window_ms`, `took_ms` |
//! | `GET api/servers/<0.12.0>` | `status` (a [`Status`](genserver_core::sys::Status)), `dead_letters` (`[{reason, count}]`), `statistics` (a [`Statistics`](genserver_core::sys::Statistics), `null` if it just exited), `trace` (its last 100 [`TraceEvent`](genserver_core::sys::TraceEvent)s, the oldest first), `actions` |
//! | `GET api/failures` | `crashes` (the latest first: `id`, `type_name`, `handler`, `reason`, `location`, `state`, `at_unix_ms`), `crashes_kept`, `dead_letters` (`[{reason, count}]`), `dead_letters_total` |
//! | `GET api/trees` | `trees` (each `id`, `type_name`, `answered`, `children_total`, `children`: the first 200, each `id`, `kind`, `restart`, `status`, `restarts`, `server`, `type_name`, `subtree`), `total`, `took_ms` |
//! | `POST api/servers/<0.12.0>/kill` | `204`; also `suspend`, `resume`, `trace?n=20` (keep its next messages' events, the last `n`; `0` turns it off; `n` up to 1000) (see "Access") |
//!
//! | `GET api/nodes` | `this` (the dashboard's node), `nodes` (`[{name, this}]`: it and every node it hears from) |
//! | `GET api/nodes/<node>/processes?sort=..` | that node's `api/processes` answer, read over NATS, with `node`; `messages_per_sec` and `rate_window_ms` are `null` (a node keeps no rates), and `sort=rate` is a `400` |
//! | `GET api/nodes/<node>/trees` | that node's `api/trees` answer, with `node` |
//! | `GET api/nodes/<node>/servers/<0.12.0>` | `node`, `status`, `statistics` of one of its servers (no trace) |
//!
//! `sort` is one of `mailbox`, `rate`, `memory`, `uptime`, `messages`,
//! `id`; `limit` is 1 to 1000. Anything else is a `400` naming what is
//! allowed. Errors are `{"error": "..."}`.
//!
//! The `api/nodes` endpoints exist with the `nats` feature; without a
//! node given they answer `404` saying so. An unknown node is a `404`, a
//! node name that cannot be a subject token a `400`, a node that does not
//! answer within 5 s a `504`, a node's error answer (no such server, an
//! answer over the nats-server's max payload) a `502`.
//!
//! # Nodes
//!
//! With the `nats` feature, `DashboardOptions::node(node)` takes a
//! genserver-nats `Node` (this program's place in the cluster) and the
//! Nodes view lists it and every node it hears from (`Node::nodes`).
//! Selecting one asks that node's `sys` subject,
//! `<prefix>.node.<name>.sys`, which every genserver-nats node answers
//! with its process table's top rows, its trees or one server's status
//! (`Node::sys`; genserver-nats' `sys` module has the wire form and its
//! bounds). Its NATS user needs the two `sys` lines of
//! `NodeOptions::permission_template`: publish `<prefix>.node.*.sys` to
//! ask, subscribe `<prefix>.node.<name>.sys` to answer. The page reads
//! them as it reads its own program, every value put in as text. Without
//! the feature the dashboard depends on nothing of NATS.
//!
//! # Scale
//!
//! The top rows are picked on the server, in one pass over the live
//! servers with a partial sort (`select_nth_unstable`): 24 bytes a server
//! while it runs, and the JSON holds only the rows asked for. A server's
//! rate is what it handled between two looks at the table, a second or
//! more apart; the totals kept between looks hold only the servers that
//! handled something. One look runs at a time, on tokio's blocking pool.
//! The numbers measured at 1 000 and 1 000 000 servers are in the
//! repository's `docs/debugging.md`.
//!
//! # Access
//!
//! The router is **read-only** by default: it shows, it does not act.
//! [`DashboardOptions::enable_actions`] adds suspend, resume, kill and trace;
//! their requests must carry the `x-genserver-dashboard` header, which a
//! page from another site cannot send, so a forged link or form cannot
//! act.
//!
//! A state can hold secrets, and the actions are for operators: the
//! router has no login of its own. Put it behind yours, as any axum
//! router, with a layer on the nested router:
//!
//! ```
//! use axum::Router;
//! use axum::extract::Request;
//! use axum::http::StatusCode;
//! use axum::middleware::{self, Next};
//! use axum::response::Response;
//! use genserver_dashboard::DashboardOptions;
//!
//! /// Lets through only requests with the operators' token.
//! async fn operators_only(request: Request, next: Next) -> Result<Response, StatusCode> {
//!     let token = request.headers().get("authorization");
//!     if token.is_some_and(|t| t == "Bearer change-me") {
//!         Ok(next.run(request).await)
//!     } else {
//!         Err(StatusCode::UNAUTHORIZED)
//!     }
//! }
//!
//! let dashboard = genserver_dashboard::router(DashboardOptions::new().enable_actions())
//!     .layer(middleware::from_fn(operators_only));
//! let app: Router = Router::new().nest("/genserver", dashboard);
//! # drop(app);
//! ```
//!
//! Any tower layer works the same way (`tower-http`'s
//! `ValidateRequestHeaderLayer`, a session check of your own), as does
//! serving the dashboard on a separate listener bound to `127.0.0.1`.
//!
//! # Cost
//!
//! Nothing, to a program that does not mount the router: this is a crate
//! of its own, and the runtime keeps the counters it reads whether or not
//! anyone looks. A look at the table reads each server's counters once
//! and asks no server anything; only the server view asks its one server
//! for its state.

#![warn(missing_docs, missing_debug_implementations)]
#![warn(clippy::missing_errors_doc, clippy::missing_panics_doc)]

mod failures;
#[cfg(feature = "nats")]
mod nodes;
mod options;
mod query;
mod rates;
mod routes;
mod sections;
mod server;
mod table;
mod tree;

pub use options::{DashboardOptions, MAX_REFRESH, MIN_REFRESH, OptionsError};

/// The dashboard: its page and the JSON endpoints the page reads, to
/// mount where you like (`.nest("/genserver", router(options))`, or as
/// the whole app). See the crate's docs.
pub fn router(options: DashboardOptions) -> axum::Router {
    routes::router(options)
}
