//! Why a server stopped, and how the three classes of reason behave.

use std::fmt;
use std::sync::Arc;

/// Why a server exited (OTP's exit reason).
///
/// Reasons fall into three classes, which decide what links, supervisors and
/// the log make of an exit:
///
/// | class | reasons | logged | transient child restarted |
/// |---|---|---|---|
/// | normal | [`Normal`](Self::Normal) | no | no |
/// | shutdown | [`Shutdown`](Self::Shutdown), [`ShutdownWith`](Self::ShutdownWith) | no | no |
/// | abnormal | everything else | yes, at error level | yes |
///
/// Cloning is cheap: the text of a reason is shared.
///
/// ```
/// use genserver_core::ExitReason;
///
/// let done = ExitReason::Normal;
/// let asked = ExitReason::shutdown_with("deploy");
/// let broke = ExitReason::error("the disk is full");
/// assert!(done.is_normal() && !done.is_abnormal());
/// assert!(asked.is_shutdown() && !asked.is_abnormal()); // not logged, no transient restart
/// assert!(broke.is_abnormal()); // logged; restarts a transient child; takes links down
/// assert_eq!(asked.to_string(), "shutdown: deploy");
/// assert_eq!(broke.to_string(), "the disk is full");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum ExitReason {
    /// The server finished its work (`:normal`).
    Normal,
    /// The server was asked to shut down, usually by its supervisor (`:shutdown`).
    Shutdown,
    /// A shutdown with a reason attached (`{:shutdown, term}`).
    ShutdownWith(Arc<str>),
    /// The server was killed without running `terminate` (`:kill`), or its
    /// runtime went away under it.
    Killed,
    /// The server did not exist when it was monitored (`:noproc`).
    NoProc,
    /// The server's node could not be reached: the connection to it was
    /// lost, or the node went away (`:noconnection`). Only a remote
    /// server's exit has this reason; what became of the server itself is
    /// not known.
    NoConnection,
    /// A callback panicked; the panic message.
    Panic(Arc<str>),
    /// Any other abnormal reason, chosen by the user.
    Error(Arc<str>),
}

impl ExitReason {
    /// An abnormal exit with a reason of your own.
    pub fn error(reason: impl Into<Arc<str>>) -> Self {
        ExitReason::Error(reason.into())
    }

    /// A shutdown with a reason attached (`{:shutdown, term}`).
    pub fn shutdown_with(reason: impl Into<Arc<str>>) -> Self {
        ExitReason::ShutdownWith(reason.into())
    }

    /// `true` for [`ExitReason::Normal`].
    pub fn is_normal(&self) -> bool {
        matches!(self, ExitReason::Normal)
    }

    /// `true` for [`ExitReason::Shutdown`] and [`ExitReason::ShutdownWith`].
    pub fn is_shutdown(&self) -> bool {
        matches!(self, ExitReason::Shutdown | ExitReason::ShutdownWith(_))
    }

    /// `true` for every reason that is neither normal nor a shutdown: these
    /// are logged, restart transient children and take links down.
    pub fn is_abnormal(&self) -> bool {
        !self.is_normal() && !self.is_shutdown()
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("normal"),
            ExitReason::Shutdown => f.write_str("shutdown"),
            ExitReason::ShutdownWith(r) => write!(f, "shutdown: {r}"),
            ExitReason::Killed => f.write_str("killed"),
            ExitReason::NoProc => f.write_str("no such server"),
            ExitReason::NoConnection => f.write_str("no connection to the server's node"),
            ExitReason::Panic(m) => write!(f, "panicked: {m}"),
            ExitReason::Error(r) => f.write_str(r),
        }
    }
}

/// Turns a panic payload into the text of [`ExitReason::Panic`].
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> Arc<str> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Arc::from(*s)
    } else if let Some(s) = payload.downcast_ref::<String>() {
        Arc::from(s.as_str())
    } else {
        Arc::from("a panic with a non-string payload")
    }
}
