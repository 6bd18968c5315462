//! One error type per operation of a [`Node`](crate::Node).

use std::error::Error;
use std::fmt;

use crate::confirm::Unconfirmed;
use crate::global::UnsafeReplicas;
use crate::nats_error::NatsError;

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

impl Error for InvalidName {}

/// Why [`Node::connect`](crate::Node::connect) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// The node name or cluster prefix cannot be part of a subject.
    InvalidName(InvalidName),
    /// The NATS client could not connect: refused credentials
    /// ([`NatsErrorKind::Denied`](crate::NatsErrorKind::Denied)), a
    /// nats-server out of reach or not answering in time.
    Nats(NatsError),
    /// The node's inbox or another subject it needs could not be
    /// subscribed to (the connection closed meanwhile).
    Subscribe(NatsError),
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
            ConnectError::Nats(error) | ConnectError::Subscribe(error) => error.fmt(f),
            ConnectError::Confirm(_) => f.write_str("the node's subscriptions were not confirmed"),
            ConnectError::UnsafeReplicas(error) => error.fmt(f),
        }
    }
}

impl Error for ConnectError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        // A variant that only wraps prints its error as its own, and hands
        // on that error's cause: no layer twice.
        match self {
            ConnectError::InvalidName(error) => error.source(),
            ConnectError::Nats(error) | ConnectError::Subscribe(error) => error.source(),
            ConnectError::Confirm(error) => Some(error),
            ConnectError::UnsafeReplicas(error) => error.source(),
        }
    }
}

/// Why [`Node::serve`](crate::Node::serve) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The name cannot be part of a subject.
    InvalidName(InvalidName),
    /// The name's subjects could not be subscribed to (the connection
    /// closed meanwhile).
    Subscribe(NatsError),
    /// The NATS server did not confirm the subscription: it refused this
    /// node's user the name's subjects ([`Unconfirmed::Denied`]), or did
    /// not answer.
    Confirm(Unconfirmed),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::InvalidName(error) => error.fmt(f),
            ServeError::Subscribe(error) => error.fmt(f),
            ServeError::Confirm(_) => f.write_str("the subscription was not confirmed"),
        }
    }
}

impl Error for ServeError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            ServeError::InvalidName(error) => error.source(),
            ServeError::Subscribe(error) => error.source(),
            ServeError::Confirm(error) => Some(error),
        }
    }
}

/// [`ConnectError::Nats`]: the NATS client could not connect.
pub(crate) fn connecting(error: async_nats::ConnectError) -> ConnectError {
    ConnectError::Nats(NatsError::new("cannot connect to NATS", error))
}

/// [`ConnectError::Subscribe`]: a subject the node needs.
pub(crate) fn subscribing(error: async_nats::SubscribeError) -> ConnectError {
    ConnectError::Subscribe(NatsError::new(
        "cannot subscribe to the node's subjects",
        error,
    ))
}

/// [`ServeError::Subscribe`]: a served name's subjects.
pub(crate) fn serving(error: async_nats::SubscribeError) -> ServeError {
    ServeError::Subscribe(NatsError::new("cannot subscribe to the name", error))
}

/// Why [`Node::close`](crate::Node::close) failed: the connection to NATS
/// could not be drained, as it was closed already (a close after the
/// client gave up reconnecting, or it was closed through
/// [`Node::client`](crate::Node::client)). The node has left the cluster
/// all the same.
#[derive(Debug)]
#[non_exhaustive]
pub enum CloseError {
    /// The NATS client refused the drain; its
    /// [`kind`](NatsError::kind) says why
    /// ([`Disconnected`](crate::NatsErrorKind::Disconnected): the
    /// connection was closed).
    Nats(NatsError),
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseError::Nats(error) => error.fmt(f),
        }
    }
}

impl Error for CloseError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            CloseError::Nats(error) => error.source(),
        }
    }
}

/// [`CloseError::Nats`]: the drain was refused.
pub(crate) fn draining(error: async_nats::client::DrainError) -> CloseError {
    CloseError::Nats(NatsError::new("cannot drain the connection to NATS", error))
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
