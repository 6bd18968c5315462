//! What went wrong: the program's latest crash reports
//! (`sys::recent_crashes`) and its dead letters by reason
//! (`sys::dead_letters`), as the page's "Crashes & dead letters" view
//! reads them.

use std::time::UNIX_EPOCH;

use genserver_core::ServerId;
use genserver_core::sys::{self, CRASHES_KEPT, CrashReport, DeadLetters};
use serde::Serialize;

/// One crash, as the page shows it.
#[derive(Debug, Serialize)]
pub(crate) struct CrashRow {
    /// The server that crashed.
    pub(crate) id: ServerId,
    pub(crate) type_name: &'static str,
    /// The callback or handler that crashed.
    pub(crate) handler: &'static str,
    /// Its exit reason, as it is shown in logs.
    pub(crate) reason: String,
    /// Where it panicked, when known.
    pub(crate) location: Option<String>,
    /// Its state through `format_status`, cut by the runtime to 4 KiB.
    pub(crate) state: Option<String>,
    /// When it crashed, in milliseconds since the Unix epoch.
    pub(crate) at_unix_ms: u64,
}

impl CrashRow {
    fn of(report: CrashReport) -> CrashRow {
        let at = report
            .at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        CrashRow {
            id: report.id,
            type_name: report.type_name,
            handler: report.handler,
            reason: report.reason.to_string(),
            location: report.location.map(|l| l.to_string()),
            state: report.state,
            at_unix_ms: at,
        }
    }
}

/// How many messages were dropped for one reason.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct DeadLetterCount {
    /// `overflow`, `noproc`, `exited`, `late_reply`, `remote`, `refused`.
    pub(crate) reason: &'static str,
    pub(crate) count: u64,
}

/// Every reason's count, zeros included, in the runtime's order.
pub(crate) fn by_reason(letters: &DeadLetters) -> Vec<DeadLetterCount> {
    letters
        .iter()
        .map(|(reason, count)| DeadLetterCount {
            reason: reason.as_str(),
            count,
        })
        .collect()
}

/// What `/api/failures` answers.
#[derive(Debug, Serialize)]
pub(crate) struct Failures {
    /// The latest crashes, the latest first.
    pub(crate) crashes: Vec<CrashRow>,
    /// How many crash reports the runtime keeps.
    pub(crate) crashes_kept: usize,
    /// The program's dead letters, by reason.
    pub(crate) dead_letters: Vec<DeadLetterCount>,
    /// All of them.
    pub(crate) dead_letters_total: u64,
}

impl Failures {
    pub(crate) fn now() -> Failures {
        let letters = sys::dead_letters();
        Failures {
            crashes: sys::recent_crashes()
                .into_iter()
                .rev()
                .map(CrashRow::of)
                .collect(),
            crashes_kept: CRASHES_KEPT,
            dead_letters: by_reason(&letters),
            dead_letters_total: letters.total(),
        }
    }
}
