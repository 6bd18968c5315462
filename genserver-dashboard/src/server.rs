//! One server: found by its id, its status (with its state through
//! `format_status`), and the actions a viewer may take on it when the
//! dashboard allows them.

use genserver_core::sys::{self, Statistics, Status};
use genserver_core::{AnyServer, CallError};
use serde::Serialize;

use crate::failures::DeadLetterCount;
use crate::query::{is_id, parse_local_id};

/// The live local server whose id is shown as `text` (`<0.12.0>`).
///
/// The process table is scanned: one pass over the live servers' handles,
/// which takes a few milliseconds at a million servers (see the crate's
/// docs, "Scale").
pub(crate) fn find(text: &str) -> Option<AnyServer> {
    let number = parse_local_id(text)?;
    sys::servers().into_iter().find(|s| is_id(s.id(), number))
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
    /// Whether the page may offer the actions.
    pub(crate) actions: bool,
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
}

impl Action {
    pub(crate) fn parse(text: &str) -> Option<Action> {
        match text {
            "suspend" => Some(Action::Suspend),
            "resume" => Some(Action::Resume),
            "kill" => Some(Action::Kill),
            _ => None,
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
        assert_eq!(Action::parse("trace"), None);
    }

    #[test]
    fn an_id_that_no_server_has_finds_nothing() {
        assert!(find("<0.999999999999.0>").is_none());
        assert!(find("not an id").is_none());
    }
}
