//! The page and its assets, as a browser gets them: where the router is
//! mounted, with the headers that keep the page to itself, and a script
//! that never puts data into the page as markup.

mod common;

use axum::Router;
use common::*;
use genserver_dashboard::{DashboardOptions, router};

const SCRIPT: &str = include_str!("../assets/app.js");
const NODES_SCRIPT: &str = include_str!("../assets/nodes.js");
const PAGE: &str = include_str!("../assets/index.html");

#[tokio::test]
async fn the_page_is_served_where_the_router_is_mounted_with_or_without_a_slash() {
    let nested = Router::new().nest("/genserver", router(DashboardOptions::new()));
    let slashed = Router::new().nest("/genserver/", router(DashboardOptions::new()));
    let at_root = router(DashboardOptions::new());
    for (app, path) in [
        (&nested, "/genserver"),
        (&slashed, "/genserver/"),
        (&at_root, "/"),
    ] {
        let answer = get(app, path).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.header("content-type"), "text/html; charset=utf-8");
        assert!(answer.body.contains("<title>genserver dashboard</title>"));
        // The assets are a query on the page's own address, so they are
        // found from `/genserver` and `/genserver/` alike.
        let script = get(app, &format!("{path}?asset=app.js")).await;
        assert_eq!(script.status, 200);
        assert_eq!(
            script.header("content-type"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(script.body, SCRIPT);
        let nodes = get(app, &format!("{path}?asset=nodes.js")).await;
        assert_eq!(nodes.status, 200);
        assert_eq!(
            nodes.header("content-type"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(nodes.body, NODES_SCRIPT);
        let style = get(app, &format!("{path}?asset=style.css")).await;
        assert_eq!(style.header("content-type"), "text/css; charset=utf-8");
        let missing = get(app, &format!("{path}?asset=../../etc/passwd")).await;
        assert_eq!(missing.status, 404);
    }
    // The page's script finds the endpoints beside the page.
    assert!(SCRIPT.contains("location.pathname.replace(/\\/+$/, '') + '/'"));
    for app in [&nested, &slashed] {
        let api = get(app, "/genserver/api/overview").await;
        assert_eq!(api.status, 200);
    }
}

#[tokio::test]
async fn every_answer_forbids_other_scripts_frames_and_sniffing() {
    let app = Router::new().nest("/genserver", router(DashboardOptions::new()));
    for path in [
        "/genserver",
        "/genserver?asset=app.js",
        "/genserver/api/processes",
        "/genserver/api/processes?sort=nope",
        "/genserver/api/servers/nobody",
    ] {
        let answer = get(&app, path).await;
        let csp = answer.header("content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(answer.header("x-content-type-options"), "nosniff");
        assert_eq!(answer.header("x-frame-options"), "DENY");
        assert_eq!(answer.header("cache-control"), "no-store");
    }
}

#[test]
fn the_page_embeds_no_data_and_loads_nothing_from_elsewhere() {
    // No inline script: the two script elements have a `src`, and no
    // JSON is embedded in the page (it is fetched).
    assert_eq!(PAGE.matches("<script").count(), 2);
    assert!(PAGE.contains(r#"<script src="?asset=app.js" defer></script>"#));
    assert!(PAGE.contains(r#"<script src="?asset=nodes.js" defer></script>"#));
    for asset in [
        PAGE,
        SCRIPT,
        NODES_SCRIPT,
        include_str!("../assets/style.css"),
    ] {
        for remote in ["http://", "https://", "//cdn", "@import", "url("] {
            assert!(!asset.contains(remote), "{remote} in an asset");
        }
    }
}

#[test]
fn the_script_puts_data_in_as_text_only() {
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "setTimeout('",
        "DOMParser",
        "createContextualFragment",
    ] {
        assert!(!SCRIPT.contains(sink), "the script uses {sink}");
        assert!(!NODES_SCRIPT.contains(sink), "nodes.js uses {sink}");
    }
    // nodes.js builds its elements with app.js' `el`, which puts strings
    // in as text.
    assert!(NODES_SCRIPT.contains("const { el, $, count, getJson } = ui;"));
    assert!(SCRIPT.contains("document.createTextNode(String(child))"));
}
