//! Expansion snapshots: each `ui-tests/expand/<feature>/<name>.rs` is
//! expanded by the macro and pretty-printed into `<name>.expanded.rs`,
//! checked in, so a change to the generated code shows up as a diff in
//! review. The inputs are also compiled and run as pass tests (`ui-tests`).
//!
//! `TRYBUILD=overwrite cargo test -p genserver-macros` rewrites them.

use std::path::{Path, PathBuf};

use quote::ToTokens;

use crate::expand::Mocks;

/// Expands every `#[gen_server]` impl block among `items`, in modules too.
fn expand_items(items: Vec<syn::Item>, mocks: Mocks) -> Vec<syn::Item> {
    let mut out = Vec::new();
    for item in items {
        match item {
            syn::Item::Impl(mut item) => {
                let at = item
                    .attrs
                    .iter()
                    .position(|attr| attr.path().is_ident("gen_server"));
                let Some(at) = at else {
                    out.push(syn::Item::Impl(item));
                    continue;
                };
                let attr = item.attrs.remove(at);
                let args = match attr.meta {
                    syn::Meta::List(list) => list.tokens,
                    _ => proc_macro2::TokenStream::new(),
                };
                let expanded =
                    crate::expand::gen_server_with(args, item.into_token_stream(), mocks);
                let expanded: syn::File = syn::parse2(expanded).expect("expansion parses");
                out.extend(expanded.items);
            }
            syn::Item::Mod(mut module) => {
                if let Some((brace, items)) = module.content.take() {
                    module.content = Some((brace, expand_items(items, mocks)));
                }
                out.push(syn::Item::Mod(module));
            }
            other => out.push(other),
        }
    }
    out
}

/// Expands `source` as the macro does; with the mocks of the `testing`
/// feature for the inputs in `expand/testing/` only, however this crate
/// was built, so the snapshots do not depend on the features of a run.
fn expand_file(source: &str, mocks: Mocks) -> String {
    let mut file: syn::File = syn::parse_str(source).expect("snapshot input parses");
    file.items = expand_items(std::mem::take(&mut file.items), mocks);
    prettyplease::unparse(&file)
}

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui-tests/expand")
}

/// Every input, `<feature>/<name>.rs`, in a stable order.
fn inputs() -> Vec<PathBuf> {
    let mut inputs = Vec::new();
    for feature in std::fs::read_dir(snapshot_dir()).expect("ui-tests/expand exists") {
        let feature = feature.expect("readable entry").path();
        if !feature.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&feature).expect("readable feature folder") {
            let path = entry.expect("readable entry").path();
            if path.extension().is_some_and(|e| e == "rs")
                && !path.to_string_lossy().ends_with(".expanded.rs")
            {
                inputs.push(path);
            }
        }
    }
    inputs.sort();
    inputs
}

#[test]
fn expansions_match_their_snapshots() {
    let overwrite = std::env::var("TRYBUILD").is_ok_and(|v| v == "overwrite");
    let inputs = inputs();
    assert!(
        inputs.len() >= 8,
        "expected a snapshot per representative server"
    );
    let mut stale = Vec::new();
    for input in inputs {
        let source = std::fs::read_to_string(&input).expect("readable input");
        let testing = input
            .parent()
            .and_then(|folder| folder.file_name())
            .is_some_and(|folder| folder == "testing");
        let mocks = if testing { Mocks::Write } else { Mocks::Skip };
        let expanded = expand_file(&source, mocks);
        let snapshot = input.with_extension("expanded.rs");
        let current = std::fs::read_to_string(&snapshot).unwrap_or_default();
        if current != expanded {
            if overwrite {
                std::fs::write(&snapshot, &expanded).expect("writable snapshot");
            } else {
                stale.push(snapshot.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "expansion changed; review and rewrite with TRYBUILD=overwrite: {stale:?}"
    );
}
