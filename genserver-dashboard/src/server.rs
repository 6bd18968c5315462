//! One server: found by its id, its status (with its state through
//! `format_status`), and the actions a viewer may take on it when the
//! dashboard allows them.

use genserver_core::sys::{self, Statistics, Status, TraceEvent};
use genserver_core::{AnyServer, CallError};
use serde::Serialize;

use crate::failures::DeadLetterCount;

/// The live local server whose id is shown as `text` (`<0.12.0>`).
///
/// The process table is scanned: one pass over the live servers' handles,
/// which takes a few milliseconds at a million servers (see the crate's
/// docs, "Scale").
pub(crate) fn find(text: &str) -> Option<AnyServer> {
    sys::server_by_id(text)
}

/// What the server view shows of one server.
#[derive(Debug, Serialize)]
pub(crate) struct ServerDetail {
    /// What it publishes, its links and monitors, and its state.
    pub(crate) status: Status,
    /// The messages dropped for it, by reason.
    pub(crate) dead_letters: Vec<DeadLetterCount>,
    /// Its statistics (`sys().statistics()`): messages handled, mailbox
    /// high-water, and time in handlers once timing is on; `None` when it
    /// exited between its status and them.
    pub(crate) statistics: Option<Statistics>,
    /// The last [`TRACE_SHOWN`] events of its trace, the oldest first:
    /// empty while it is not traced.
    pub(crate) trace: Vec<TraceEvent>,
    /// Whether the page may offer the actions.
    pub(crate) actions: bool,
}

/// The most trace events shown of one server.
pub(crate) const TRACE_SHOWN: usize = 100;

/// The most messages a trace turned on from the page keeps.
pub(crate) const MAX_TRACE: usize = 1000;

/// The longest text shown of a traced message, reply or state, in bytes.
pub(crate) const TRACE_TEXT: usize = 4096;

/// The last [`TRACE_SHOWN`] events `server`'s trace kept, each text cut to
/// [`TRACE_TEXT`] bytes (a message's `Debug` can be any size).
pub(crate) fn recent_trace(server: &AnyServer) -> Vec<TraceEvent> {
    let mut events = server.sys().traced().unwrap_or_default();
    let skip = events.len().saturating_sub(TRACE_SHOWN);
    events.drain(..skip);
    for event in &mut events {
        for text in [
            &mut event.message,
            &mut event.reply,
            &mut event.state_before,
            &mut event.state_after,
        ]
        .into_iter()
        .flatten()
        {
            cut(text, TRACE_TEXT);
        }
    }
    events
}

/// Cuts `text` to at most `max` bytes and a `…`, on a character boundary.
fn cut(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut at = max;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text.truncate(at);
    text.push('…');
}

/// An action on one server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// `sys().suspend()`.
    Suspend,
    /// `sys().resume()`.
    Resume,
    /// `kill()`: at once, without `terminate`.
    Kill,
    /// `sys().trace(n)`: keep the events of its next messages, the last
    /// `n` of them; `0` turns the trace off.
    Trace(usize),
}

impl Action {
    pub(crate) fn parse(text: &str) -> Option<Action> {
        match text {
            "suspend" => Some(Action::Suspend),
            "resume" => Some(Action::Resume),
            "kill" => Some(Action::Kill),
            "trace" => Some(Action::Trace(0)),
            _ => None,
        }
    }

    /// A trace's `n` from the request's query: 0 (off) to [`MAX_TRACE`].
    ///
    /// # Errors
    ///
    /// What is allowed, when `n` is missing or out of range.
    pub(crate) fn trace(n: Option<&str>) -> Result<Action, String> {
        match n.map(str::parse::<usize>) {
            Some(Ok(n)) if n <= MAX_TRACE => Ok(Action::Trace(n)),
            _ => Err(format!(
                "trace needs n, the messages to keep: 0 (off) to {MAX_TRACE}"
            )),
        }
    }

    /// Does it to `server`.
    ///
    /// # Errors
    ///
    /// What suspend and resume return, as calls do (the server exited,
    /// or did not answer in time).
    pub(crate) async fn apply(self, server: &AnyServer) -> Result<(), CallError> {
        match self {
            Action::Suspend => server.sys().suspend().await,
            Action::Resume => server.sys().resume().await,
            Action::Kill => {
                server.kill();
                Ok(())
            }
            Action::Trace(n) => server.sys().trace(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_named_as_the_page_names_them() {
        assert_eq!(Action::parse("suspend"), Some(Action::Suspend));
        assert_eq!(Action::parse("resume"), Some(Action::Resume));
        assert_eq!(Action::parse("kill"), Some(Action::Kill));
        assert_eq!(Action::parse("KILL"), None);
        assert_eq!(Action::parse("trace"), Some(Action::Trace(0)));
        assert_eq!(Action::parse("log"), None);
    }

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        let mut short = "ping()".to_owned();
        cut(&mut short, 8);
        assert_eq!(short, "ping()");
        let mut long = "é".repeat(10);
        cut(&mut long, 5);
        assert_eq!(long, "éé…");
    }

    #[test]
    fn a_trace_keeps_up_to_a_thousand_messages() {
        assert_eq!(Action::trace(Some("20")), Ok(Action::Trace(20)));
        assert_eq!(Action::trace(Some("0")), Ok(Action::Trace(0)));
        assert_eq!(Action::trace(Some("1000")), Ok(Action::Trace(1000)));
        for bad in [None, Some(""), Some("-1"), Some("1001"), Some("lots")] {
            assert!(Action::trace(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_id_that_no_server_has_finds_nothing() {
        assert!(find("<0.999999999999.0>").is_none());
        assert!(find("not an id").is_none());
    }
}
