//! Expansion snapshots: each `ui-tests/expand/<name>.rs` is expanded by the
//! macro and pretty-printed into `<name>.expanded.rs`, checked in, so a
//! change to the generated code shows up as a diff in review.
//!
//! `TRYBUILD=overwrite cargo test -p genserver-macros` rewrites them.

use std::path::{Path, PathBuf};

use quote::ToTokens;

fn expand_file(source: &str) -> String {
    let mut file: syn::File = syn::parse_str(source).expect("snapshot input parses");
    let mut items = Vec::new();
    for item in std::mem::take(&mut file.items) {
        match item {
            syn::Item::Impl(mut item) => {
                let at = item
                    .attrs
                    .iter()
                    .position(|attr| attr.path().is_ident("gen_server"));
                let Some(at) = at else {
                    items.push(syn::Item::Impl(item));
                    continue;
                };
                let attr = item.attrs.remove(at);
                let args = match attr.meta {
                    syn::Meta::List(list) => list.tokens,
                    _ => proc_macro2::TokenStream::new(),
                };
                let expanded = crate::expand::gen_server(args, item.into_token_stream());
                let expanded: syn::File = syn::parse2(expanded).expect("expansion parses");
                items.extend(expanded.items);
            }
            other => items.push(other),
        }
    }
    file.items = items;
    prettyplease::unparse(&file)
}

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui-tests/expand")
}

#[test]
fn expansions_match_their_snapshots() {
    let overwrite = std::env::var("TRYBUILD").is_ok_and(|v| v == "overwrite");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(snapshot_dir())
        .expect("ui-tests/expand exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| {
            path.extension().is_some_and(|e| e == "rs")
                && !path.to_string_lossy().ends_with(".expanded.rs")
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no snapshot inputs found");
    let mut stale = Vec::new();
    for input in inputs {
        let source = std::fs::read_to_string(&input).expect("readable input");
        let expanded = expand_file(&source);
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
