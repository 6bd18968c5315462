//! [`NatsError`]: a failure of the NATS client underneath, opaque, so that
//! an async-nats release is not a breaking change of this crate.
//!
//! ```text
//!  ConnectError::Nats(NatsError)   "cannot connect to NATS"   (this crate)
//!      │ kind(): NatsErrorKind::Denied                      (to branch on)
//!      └─ source(): async_nats::ConnectError                 (the details)
//! ```
//!
//! The async-nats error is kept as it came, behind `source()`: a program
//! that needs its own kinds downcasts it, with the version this crate
//! re-exports (`genserver_nats::async_nats`).

use std::error::Error;
use std::fmt;

use async_nats::jetstream;

/// What kind of NATS failure a [`NatsError`] is: what a program branches
/// on (retry, ask for other credentials, give up). New kinds may come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NatsErrorKind {
    /// The nats-server refused this node's credentials (authentication)
    /// or its user the operation (authorization).
    Denied,
    /// The nats-server did not answer in time.
    Timeout,
    /// The nats-server could not be reached: its address did not parse or
    /// resolve, the TCP or TLS connection failed, or the client gave up
    /// reconnecting.
    Unreachable,
    /// The connection to NATS is closed or was lost.
    Disconnected,
    /// Anything else NATS or JetStream reported; the `source()` says what.
    Other,
}

impl fmt::Display for NatsErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NatsErrorKind::Denied => "denied",
            NatsErrorKind::Timeout => "timeout",
            NatsErrorKind::Unreachable => "unreachable",
            NatsErrorKind::Disconnected => "disconnected",
            NatsErrorKind::Other => "other",
        })
    }
}

/// A failure of the NATS client underneath, in
/// [`ConnectError::Nats`](crate::ConnectError::Nats),
/// [`ConnectError::Subscribe`](crate::ConnectError::Subscribe),
/// [`ServeError::Subscribe`](crate::ServeError::Subscribe),
/// [`GlobalError::Store`](crate::GlobalError::Store),
/// [`GatherError::Nats`](crate::GatherError::Nats) and
/// [`CloseError::Nats`](crate::CloseError::Nats).
///
/// Its `Display` says what this crate was doing ("cannot connect to
/// NATS"); [`kind`](Self::kind) says what went wrong, to branch on; the
/// async-nats error itself is its [`source`](Error::source), to log or to
/// downcast (with the version [`async_nats`](crate#the-nats-client) names).
///
/// ```no_run
/// use genserver_nats::{ConnectError, NatsErrorKind, Node, NodeOptions};
///
/// # async fn run() {
/// match Node::connect("nats://127.0.0.1:4222", NodeOptions::new("a")).await {
///     Ok(_node) => {}
///     Err(ConnectError::Nats(error)) if error.kind() == NatsErrorKind::Denied => {
///         eprintln!("check the node's credentials: {error}");
///     }
///     Err(error) => eprintln!("{error}"),
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct NatsError {
    doing: &'static str,
    kind: NatsErrorKind,
    source: Box<dyn Error + Send + Sync>,
}

impl NatsError {
    /// `source`, from async-nats, while this crate was `doing` something
    /// (its `Display`: "cannot connect to NATS"). The kind is read from
    /// the source's chain.
    pub(crate) fn new(
        doing: &'static str,
        source: impl Into<Box<dyn Error + Send + Sync>>,
    ) -> Self {
        let source = source.into();
        NatsError {
            doing,
            kind: kind_of(&*source),
            source,
        }
    }

    /// What went wrong, to branch on.
    ///
    /// ```
    /// use genserver_nats::{NatsError, NatsErrorKind};
    ///
    /// fn worth_retrying(error: &NatsError) -> bool {
    ///     matches!(
    ///         error.kind(),
    ///         NatsErrorKind::Timeout | NatsErrorKind::Unreachable | NatsErrorKind::Disconnected
    ///     )
    /// }
    /// # let _ = worth_retrying;
    /// ```
    pub fn kind(&self) -> NatsErrorKind {
        self.kind
    }
}

impl fmt::Display for NatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.doing)
    }
}

impl Error for NatsError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.source)
    }
}

/// How deep [`kind_of`] looks into a chain.
const DEPTH: usize = 16;

/// The kind of the first error in `error`'s chain whose kind is known.
fn kind_of(error: &(dyn Error + 'static)) -> NatsErrorKind {
    let mut cause = Some(error);
    for _ in 0..DEPTH {
        let Some(error) = cause else { break };
        if let Some(kind) = known(error) {
            return kind;
        }
        cause = error.source();
    }
    NatsErrorKind::Other
}

/// The kind of one error, when its type tells.
fn known(error: &(dyn Error + 'static)) -> Option<NatsErrorKind> {
    use NatsErrorKind::{Denied, Disconnected, Timeout, Unreachable};
    if let Some(error) = error.downcast_ref::<async_nats::ConnectError>() {
        use async_nats::ConnectErrorKind as K;
        return Some(match error.kind() {
            K::Authentication | K::AuthorizationViolation => Denied,
            K::TimedOut => Timeout,
            K::ServerParse | K::Dns | K::Tls | K::Io | K::MaxReconnects => Unreachable,
        });
    }
    if let Some(error) = error.downcast_ref::<async_nats::SubscribeError>() {
        // `Other` is the connection's task gone: the client is closed.
        return match error.kind() {
            async_nats::SubscribeErrorKind::Other => Some(Disconnected),
            _ => None,
        };
    }
    if error.is::<async_nats::client::DrainError>() {
        return Some(Disconnected);
    }
    if let Some(error) = error.downcast_ref::<async_nats::PublishError>() {
        return match error.kind() {
            async_nats::client::PublishErrorKind::Send => Some(Disconnected),
            _ => None,
        };
    }
    if let Some(error) = error.downcast_ref::<async_nats::RequestError>() {
        return match error.kind() {
            async_nats::RequestErrorKind::TimedOut => Some(Timeout),
            _ => None,
        };
    }
    if let Some(error) = error.downcast_ref::<jetstream::context::RequestError>() {
        return match error.kind() {
            jetstream::context::RequestErrorKind::TimedOut => Some(Timeout),
            _ => None,
        };
    }
    if let Some(error) = error.downcast_ref::<jetstream::context::PublishError>() {
        use jetstream::context::PublishErrorKind as K;
        return match error.kind() {
            K::TimedOut => Some(Timeout),
            K::BrokenPipe => Some(Disconnected),
            _ => None,
        };
    }
    if let Some(error) = error.downcast_ref::<jetstream::kv::EntryError>() {
        return match error.kind() {
            jetstream::kv::EntryErrorKind::TimedOut => Some(Timeout),
            _ => None,
        };
    }
    if let Some(error) = error.downcast_ref::<jetstream::kv::UpdateError>() {
        return match error.kind() {
            jetstream::kv::UpdateErrorKind::TimedOut => Some(Timeout),
            _ => None,
        };
    }
    if let Some(error) = error.downcast_ref::<std::io::Error>() {
        use std::io::ErrorKind as K;
        return match error.kind() {
            K::TimedOut => Some(Timeout),
            K::PermissionDenied => Some(Denied),
            K::ConnectionRefused | K::NotFound | K::AddrNotAvailable | K::HostUnreachable => {
                Some(Unreachable)
            }
            K::BrokenPipe
            | K::ConnectionReset
            | K::ConnectionAborted
            | K::NotConnected
            | K::UnexpectedEof => Some(Disconnected),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_is_read_from_the_async_nats_error() {
        use async_nats::ConnectErrorKind as K;
        for (kind, expected) in [
            (K::AuthorizationViolation, NatsErrorKind::Denied),
            (K::Authentication, NatsErrorKind::Denied),
            (K::TimedOut, NatsErrorKind::Timeout),
            (K::Io, NatsErrorKind::Unreachable),
            (K::Dns, NatsErrorKind::Unreachable),
            (K::MaxReconnects, NatsErrorKind::Unreachable),
        ] {
            let error = NatsError::new("connecting", async_nats::ConnectError::new(kind));
            assert_eq!(error.kind(), expected, "{kind:?}");
        }
        let timed_out = async_nats::RequestError::new(async_nats::RequestErrorKind::TimedOut);
        assert_eq!(
            NatsError::new("asking", timed_out).kind(),
            NatsErrorKind::Timeout
        );
        let closed = async_nats::SubscribeError::new(async_nats::SubscribeErrorKind::Other);
        assert_eq!(
            NatsError::new("subscribing", closed).kind(),
            NatsErrorKind::Disconnected
        );
        let invalid =
            async_nats::SubscribeError::new(async_nats::SubscribeErrorKind::InvalidSubject);
        assert_eq!(
            NatsError::new("subscribing", invalid).kind(),
            NatsErrorKind::Other
        );
    }

    #[test]
    fn a_kind_deeper_in_the_chain_is_found() {
        // A JetStream error whose cause is a timed-out request.
        let request = jetstream::context::RequestError::with_source(
            jetstream::context::RequestErrorKind::Other,
            async_nats::RequestError::new(async_nats::RequestErrorKind::TimedOut),
        );
        assert_eq!(
            NatsError::new("reading", request).kind(),
            NatsErrorKind::Timeout
        );
        let text: Box<dyn Error + Send + Sync> = "no stamp".into();
        assert_eq!(NatsError::new("reading", text).kind(), NatsErrorKind::Other);
    }

    #[test]
    fn display_is_its_own_layer_and_the_source_is_the_async_nats_error() {
        let error = NatsError::new(
            "cannot connect to NATS",
            async_nats::ConnectError::new(async_nats::ConnectErrorKind::TimedOut),
        );
        assert_eq!(error.to_string(), "cannot connect to NATS");
        let source = error.source().expect("a source");
        let nats = source
            .downcast_ref::<async_nats::ConnectError>()
            .expect("the async-nats error");
        assert_eq!(nats.kind(), async_nats::ConnectErrorKind::TimedOut);
    }
}
