//! [`WireError`]: why a message could not cross to or from a remote server.

use std::fmt;
use std::sync::Arc;

/// Why a message could not cross the wire to a remote server, or its reply
/// back. Carried by [`CallError::Wire`](crate::CallError::Wire).
///
/// A mismatch is always found before anything is decoded: a request is
/// never read as another server's, nor as another version's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The name is served by a server of another type.
    WrongServer {
        /// The type the caller's handle is for.
        expected: Arc<str>,
        /// The type serving the name.
        found: Arc<str>,
    },
    /// The server type matches, but its handlers differ (another version
    /// of the code): the schema fingerprints disagree.
    SchemaMismatch {
        /// The server type.
        server: Arc<str>,
        /// The caller's fingerprint.
        expected: u64,
        /// The serving node's fingerprint.
        found: u64,
    },
    /// A request or reply could not be encoded or decoded.
    Malformed(Arc<str>),
    /// A request or reply is larger than the transport carries.
    TooLarge {
        /// Its size in bytes.
        size: usize,
        /// The largest the transport carries.
        max: usize,
    },
    /// The transport refused to carry the message: this connection may
    /// not send it there (a NATS permissions violation, which the text
    /// names).
    Denied(Arc<str>),
}

impl WireError {
    /// A [`WireError::Malformed`] with this description.
    pub fn malformed(why: impl fmt::Display) -> Self {
        WireError::Malformed(Arc::from(why.to_string()))
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::WrongServer { expected, found } => {
                write!(f, "the name is served by a `{found}`, not a `{expected}`")
            }
            WireError::SchemaMismatch {
                server,
                expected,
                found,
            } => write!(
                f,
                "the remote `{server}` has other handlers (schema {found:016x}, expected {expected:016x})"
            ),
            WireError::Malformed(why) => write!(f, "malformed message: {why}"),
            WireError::TooLarge { size, max } => {
                write!(
                    f,
                    "message of {size} bytes is larger than the {max} allowed"
                )
            }
            WireError::Denied(why) => write!(f, "the message was refused: {why}"),
        }
    }
}

impl std::error::Error for WireError {}
