//! One error type per operation of a [`Node`](crate::Node).

use std::fmt;

use crate::confirm::Unconfirmed;
use crate::global::UnsafeReplicas;

/// A node or server name that cannot be part of a NATS subject: empty,
/// or with whitespace or a wildcard (`*`, `>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidName(pub(crate) String);

impl InvalidName {
    /// The name that was refused, as it was given.
    ///
    /// ```
    /// use genserver_nats::InvalidName;
    ///
    /// fn refused(error: &InvalidName) -> String {
    ///     format!("pick another name than {:?}", error.name())
    /// }
    /// # let _ = refused;
    /// ```
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} cannot be a subject token: names are non-empty, without whitespace, `*` or `>`",
            self.0
        )
    }
}

impl std::error::Error for InvalidName {}

/// Why [`Node::connect`](crate::Node::connect) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// The node name or cluster prefix cannot be part of a subject.
    InvalidName(InvalidName),
    /// The NATS client could not connect.
    Nats(async_nats::ConnectError),
    /// The node's inbox could not be subscribed to.
    Subscribe(async_nats::SubscribeError),
    /// The nats-server did not confirm the node's subscriptions: it
    /// refused its user the inbox or another subscription a node needs
    /// ([`Unconfirmed::Denied`]), or did not answer.
    Confirm(Unconfirmed),
    /// [`NodeOptions::replicas`](crate::NodeOptions::replicas) asked for
    /// a replicated global names' stream from a nats-server older than
    /// 2.9.21, where that is unsafe.
    UnsafeReplicas(UnsafeReplicas),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::InvalidName(error) => error.fmt(f),
            ConnectError::Nats(error) => write!(f, "cannot connect to NATS: {error}"),
            ConnectError::Subscribe(error) => write!(f, "cannot subscribe to the inbox: {error}"),
            ConnectError::Confirm(error) => {
                write!(f, "the node's subscriptions were not confirmed: {error}")
            }
            ConnectError::UnsafeReplicas(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConnectError::InvalidName(error) => Some(error),
            ConnectError::Nats(error) => Some(error),
            ConnectError::Subscribe(error) => Some(error),
            ConnectError::Confirm(error) => Some(error),
            ConnectError::UnsafeReplicas(error) => Some(error),
        }
    }
}

/// Why [`Node::serve`](crate::Node::serve) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The name cannot be part of a subject.
    InvalidName(InvalidName),
    /// The name's subject could not be subscribed to.
    Subscribe(async_nats::SubscribeError),
    /// The NATS server did not confirm the subscription: it refused this
    /// node's user the name's subjects ([`Unconfirmed::Denied`]), or did
    /// not answer.
    Confirm(Unconfirmed),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::InvalidName(error) => error.fmt(f),
            ServeError::Subscribe(error) => write!(f, "cannot subscribe to the name: {error}"),
            ServeError::Confirm(error) => write!(f, "the subscription was not confirmed: {error}"),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::InvalidName(error) => Some(error),
            ServeError::Subscribe(error) => Some(error),
            ServeError::Confirm(error) => Some(error),
        }
    }
}

/// Checks that `name` can be a subject token (dots allowed).
pub(crate) fn check_name(name: &str) -> Result<(), InvalidName> {
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '*' || c == '>');
    if valid {
        Ok(())
    } else {
        Err(InvalidName(name.to_owned()))
    }
}
