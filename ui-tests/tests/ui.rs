//! Compile tests of `#[gen_server]`: every misuse is a clear error on the
//! token at fault (`tests/ui/<kind>/<what-is-wrong>.rs`, `.stderr` beside
//! it), and every supported shape compiles without a warning and runs
//! (`tests/pass`, and the inputs of the expansion snapshots in
//! `expand/<feature>/`).
//!
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test -p ui-tests`,
//! then read every changed `.stderr`.

use std::path::Path;

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
    t.pass("tests/pass/*.rs");
    // The expansion snapshots' inputs: each must compile and run too.
    let expand = Path::new(env!("CARGO_MANIFEST_DIR")).join("expand");
    let mut inputs = Vec::new();
    for feature in std::fs::read_dir(&expand).expect("expand/ exists") {
        let feature = feature.expect("readable entry").path();
        for entry in std::fs::read_dir(&feature).into_iter().flatten() {
            let path = entry.expect("readable entry").path();
            let name = path.to_string_lossy();
            if name.ends_with(".rs") && !name.ends_with(".expanded.rs") {
                inputs.push(path);
            }
        }
    }
    inputs.sort();
    assert!(inputs.len() >= 8, "expansion snapshot inputs: {inputs:?}");
    for input in inputs {
        t.pass(input);
    }
}
