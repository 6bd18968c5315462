//! Compile tests of `#[gen_server]`: every misuse is a clear error on the
//! token at fault (`tests/ui/<kind>/<what-is-wrong>.rs`, `.stderr` beside
//! it), and every supported shape compiles without a warning and runs
//! (`tests/pass`, and the inputs of the expansion snapshots in
//! `expand/<feature>/`).
//!
//! One test per folder of misuses, so a run shows its progress folder by
//! folder (`test ui_handlers ... ok`) rather than one test "running for
//! over 60 seconds": trybuild checks a folder of misuses in one parallel
//! `cargo check`, in seconds. The pass tests build and run one by one,
//! each reported as it goes (`working_programs_compile_and_run`). The tests
//! share trybuild's build directory, so they take turns.
//!
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test -p ui-tests`,
//! then read every changed `.stderr`. One folder or file:
//! `cargo test -p ui-tests --test ui -- ui_handlers trybuild=borrowed`.

use std::path::{Path, PathBuf};

/// The folders of `tests/ui/`, one test each (`every_ui_folder_is_tested`
/// keeps this list and the folders in step).
macro_rules! ui_folders {
    ($($test:ident => $folder:literal,)*) => {
        const UI_FOLDERS: &[&str] = &[$($folder),*];
        $(
            #[test]
            fn $test() {
                trybuild::TestCases::new().compile_fail(concat!("tests/ui/", $folder, "/*.rs"));
            }
        )*
    };
}

ui_folders! {
    ui_attribute => "attribute",
    ui_callbacks => "callbacks",
    ui_cascades => "cascades",
    ui_handlers => "handlers",
    ui_lints => "lints",
    ui_mocks => "mocks",
    ui_multiple => "multiple",
    ui_privacy => "privacy",
    ui_remote => "remote",
    ui_send => "send",
    ui_signals => "signals",
}

/// Every supported shape compiles without a warning and runs: `tests/pass`
/// and the expansion snapshots' inputs. One test: trybuild names its
/// binaries by their index, so two tests that build and run would rebuild
/// each other's every time. Named to sort last, so the quick folders run
/// first and none of them waits for it.
#[test]
fn working_programs_compile_and_run() {
    let inputs = expand_inputs_on_disk();
    assert!(inputs.len() >= 8, "expansion snapshot inputs: {inputs:?}");
    let t = trybuild::TestCases::new();
    t.pass("tests/pass/*.rs");
    for input in inputs {
        t.pass(input);
    }
}

/// A folder added to `tests/ui/` without a test here would never run.
#[test]
fn every_ui_folder_is_tested() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let mut on_disk: Vec<String> = std::fs::read_dir(&ui)
        .expect("tests/ui exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.is_dir())
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut tested: Vec<&str> = UI_FOLDERS.to_vec();
    tested.sort_unstable();
    assert_eq!(
        on_disk, tested,
        "add the folder to `ui_folders!` in tests/ui.rs"
    );
}

fn expand_inputs_on_disk() -> Vec<PathBuf> {
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
    inputs
}
