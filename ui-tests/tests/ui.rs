//! Compile tests of `#[gen_server]`: every misuse is a clear error on the
//! token at fault (`tests/ui/<kind>/<what-is-wrong>.rs`, `.stderr` beside
//! it), and every supported shape compiles without a warning (`tests/pass`).
//!
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test -p ui-tests`,
//! then read every changed `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
    t.pass("tests/pass/*.rs");
}
