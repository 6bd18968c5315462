//! What travels: a request is a head (server type, schema fingerprint,
//! the caller's timeout, what it asks) and the body; a reply is a status
//! byte and the encoded value or failure.
//!
//! ```text
//! request: [ head: version, server name, schema, timeout ms, ask ][ T::Request ]
//!            ask: Request     a call or a cast, as the body says
//!                 AckedCast   a cast the serving node acknowledges once queued (try_x, x_wait)
//!                 MailboxLen  no body: how many messages wait in the mailbox
//! reply:   [ 0 ][ R ]          the handler's reply (an Ack, a length)
//!          [ 1 ][ Failure ]    a CallError on the serving node
//! ```

use std::sync::Arc;
use std::time::Duration;

use genserver_core::{CallError, Codec, ExitReason, RemoteServer, WireError};
use serde::{Deserialize, Serialize};

use crate::codec::Postcard;

/// The version of this framing; a request of another one is refused.
const VERSION: u8 = 2;
const OK: u8 = 0;
const FAILED: u8 = 1;

/// What a request asks of the serving node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Ask {
    /// A call or a cast, as the body says.
    Request,
    /// A cast, acknowledged with an [`Ack`] once it is queued, or once the
    /// mailbox stayed full for the request's timeout.
    AckedCast,
    /// The mailbox's length, as a `u64`; no body.
    MailboxLen,
}

#[derive(Serialize, Deserialize)]
struct Head<'a> {
    version: u8,
    server: &'a str,
    schema: u64,
    timeout_ms: u64,
    ask: Ask,
}

/// The serving node's answer to an acknowledged cast.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Ack {
    /// Whether the cast is queued at the server.
    pub(crate) queued: bool,
    /// The room left in the mailbox after it (`u64::MAX`: unbounded).
    pub(crate) room: u64,
}

/// A decoded request.
pub(crate) enum Decoded<T: RemoteServer> {
    Request(T::Request),
    AckedCast(T::Request),
    MailboxLen,
}

/// A request to a `T`, with the caller's timeout: `request` is its body
/// (none for [`Ask::MailboxLen`]).
pub(crate) fn encode_request<T: RemoteServer>(
    request: Option<&T::Request>,
    ask: Ask,
    timeout: Duration,
) -> Result<Vec<u8>, WireError> {
    let head = Head {
        version: VERSION,
        server: T::NAME,
        schema: T::SCHEMA,
        timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        ask,
    };
    let bytes = postcard::to_allocvec(&head).map_err(WireError::malformed)?;
    match request {
        Some(request) => postcard::to_extend(request, bytes).map_err(WireError::malformed),
        None => Ok(bytes),
    }
}

/// A request for a `T`: refused, before its body is read, when it was
/// sent for another server type or another version of this one.
pub(crate) fn decode_request<T: RemoteServer>(
    bytes: &[u8],
) -> Result<(Decoded<T>, Duration), WireError> {
    let (head, body) =
        postcard::take_from_bytes::<Head<'_>>(bytes).map_err(WireError::malformed)?;
    if head.version != VERSION {
        return Err(WireError::malformed(format_args!(
            "framing version {}, expected {VERSION}",
            head.version
        )));
    }
    if head.server != T::NAME {
        return Err(WireError::WrongServer {
            expected: Arc::from(head.server),
            found: Arc::from(T::NAME),
        });
    }
    if head.schema != T::SCHEMA {
        return Err(WireError::SchemaMismatch {
            server: Arc::from(T::NAME),
            expected: head.schema,
            found: T::SCHEMA,
        });
    }
    let timeout = Duration::from_millis(head.timeout_ms);
    let decoded = match head.ask {
        Ask::Request => Decoded::Request(Postcard::decode(body)?),
        Ask::AckedCast => Decoded::AckedCast(Postcard::decode(body)?),
        Ask::MailboxLen if body.is_empty() => Decoded::MailboxLen,
        Ask::MailboxLen => {
            return Err(WireError::malformed(format_args!(
                "{} bytes after a mailbox length question",
                body.len()
            )));
        }
    };
    Ok((decoded, timeout))
}

/// A served call's outcome as a reply payload, no larger than `max`.
pub(crate) fn encode_reply(outcome: Result<Vec<u8>, CallError>, max: usize) -> Vec<u8> {
    let failure = match outcome {
        Ok(mut value) if value.len() < max => {
            value.insert(0, OK);
            return value;
        }
        Ok(value) => Failure::from(&CallError::Wire(WireError::TooLarge {
            size: value.len() + 1,
            max,
        })),
        Err(error) => Failure::from(&error),
    };
    let mut bytes = vec![FAILED];
    // A failure is a few bytes; one that does not encode is reported as such.
    match postcard::to_extend(&failure, bytes.clone()) {
        Ok(encoded) => encoded,
        Err(_) => {
            bytes.push(0);
            bytes
        }
    }
}

/// A reply payload: the encoded value, or the call's error.
pub(crate) fn decode_reply(bytes: &[u8]) -> Result<&[u8], CallError> {
    match bytes.split_first() {
        Some((&OK, value)) => Ok(value),
        Some((&FAILED, failure)) => Err(Postcard::decode::<Failure>(failure)
            .map(CallError::from)
            .unwrap_or_else(CallError::Wire)),
        Some((other, _)) => Err(CallError::Wire(WireError::malformed(format_args!(
            "reply status {other}"
        )))),
        None => Err(CallError::Wire(WireError::malformed("empty reply"))),
    }
}

/// A [`CallError`] on the wire.
#[derive(Serialize, Deserialize)]
enum Failure {
    Timeout,
    NoProc,
    CallingSelf,
    Exited(Reason),
    TaskFailed(Reason),
    Wire(Wire),
}

/// An [`ExitReason`] on the wire.
#[derive(Serialize, Deserialize)]
pub(crate) enum Reason {
    Normal,
    Shutdown,
    ShutdownWith(String),
    Killed,
    NoProc,
    NoConnection,
    Panic(String),
    Error(String),
}

/// A [`WireError`] on the wire.
#[derive(Serialize, Deserialize)]
enum Wire {
    WrongServer {
        expected: String,
        found: String,
    },
    SchemaMismatch {
        server: String,
        expected: u64,
        found: u64,
    },
    Malformed(String),
    TooLarge {
        size: u64,
        max: u64,
    },
    Denied(String),
}

impl From<&CallError> for Failure {
    fn from(error: &CallError) -> Self {
        match error {
            CallError::Timeout => Failure::Timeout,
            CallError::NoProc => Failure::NoProc,
            CallError::CallingSelf => Failure::CallingSelf,
            CallError::Exited(reason) => Failure::Exited(reason.into()),
            CallError::TaskFailed(reason) => Failure::TaskFailed(reason.into()),
            CallError::Wire(error) => Failure::Wire(error.into()),
            other => Failure::Exited(Reason::Error(other.to_string())),
        }
    }
}

impl From<Failure> for CallError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Timeout => CallError::Timeout,
            Failure::NoProc => CallError::NoProc,
            Failure::CallingSelf => CallError::CallingSelf,
            Failure::Exited(reason) => CallError::Exited(reason.into()),
            Failure::TaskFailed(reason) => CallError::TaskFailed(reason.into()),
            Failure::Wire(error) => CallError::Wire(error.into()),
        }
    }
}

impl From<&ExitReason> for Reason {
    fn from(reason: &ExitReason) -> Self {
        match reason {
            ExitReason::Normal => Reason::Normal,
            ExitReason::Shutdown => Reason::Shutdown,
            ExitReason::ShutdownWith(why) => Reason::ShutdownWith(why.to_string()),
            ExitReason::Killed => Reason::Killed,
            ExitReason::NoProc => Reason::NoProc,
            ExitReason::NoConnection => Reason::NoConnection,
            ExitReason::Panic(message) => Reason::Panic(message.to_string()),
            ExitReason::Error(why) => Reason::Error(why.to_string()),
            other => Reason::Error(other.to_string()),
        }
    }
}

impl From<Reason> for ExitReason {
    fn from(reason: Reason) -> Self {
        match reason {
            Reason::Normal => ExitReason::Normal,
            Reason::Shutdown => ExitReason::Shutdown,
            Reason::ShutdownWith(why) => ExitReason::shutdown_with(why),
            Reason::Killed => ExitReason::Killed,
            Reason::NoProc => ExitReason::NoProc,
            Reason::NoConnection => ExitReason::NoConnection,
            Reason::Panic(message) => ExitReason::Panic(Arc::from(message)),
            Reason::Error(why) => ExitReason::error(why),
        }
    }
}

impl From<&WireError> for Wire {
    fn from(error: &WireError) -> Self {
        match error {
            WireError::WrongServer { expected, found } => Wire::WrongServer {
                expected: expected.to_string(),
                found: found.to_string(),
            },
            WireError::SchemaMismatch {
                server,
                expected,
                found,
            } => Wire::SchemaMismatch {
                server: server.to_string(),
                expected: *expected,
                found: *found,
            },
            WireError::TooLarge { size, max } => Wire::TooLarge {
                size: *size as u64,
                max: *max as u64,
            },
            WireError::Denied(why) => Wire::Denied(why.to_string()),
            other => Wire::Malformed(match other {
                WireError::Malformed(why) => why.to_string(),
                other => other.to_string(),
            }),
        }
    }
}

impl From<Wire> for WireError {
    fn from(wire: Wire) -> Self {
        match wire {
            Wire::WrongServer { expected, found } => WireError::WrongServer {
                expected: Arc::from(expected),
                found: Arc::from(found),
            },
            Wire::SchemaMismatch {
                server,
                expected,
                found,
            } => WireError::SchemaMismatch {
                server: Arc::from(server),
                expected,
                found,
            },
            Wire::Malformed(why) => WireError::Malformed(Arc::from(why)),
            Wire::TooLarge { size, max } => WireError::TooLarge {
                size: usize::try_from(size).unwrap_or(usize::MAX),
                max: usize::try_from(max).unwrap_or(usize::MAX),
            },
            Wire::Denied(why) => WireError::Denied(Arc::from(why)),
        }
    }
}

#[cfg(test)]
#[allow(
    dead_code,
    reason = "the servers' handlers are never called: only their wire form is"
)]
mod tests {
    use super::*;
    use genserver_core::prelude::*;

    pub(crate) struct Probe;

    #[gen_server(remote)]
    impl Probe {
        #[call]
        pub(crate) fn echo(&self, x: u32) -> u32 {
            x
        }

        fn handle_info(&mut self, _msg: Info<()>) {}
    }

    pub(crate) struct Other;

    #[gen_server(remote)]
    impl Other {
        #[call]
        pub(crate) fn echo(&self, x: u32) -> u32 {
            x
        }

        fn handle_info(&mut self, _msg: Info<()>) {}
    }

    #[test]
    fn a_mailbox_length_question_is_a_head_alone() {
        let timeout = Duration::from_millis(1_234);
        let bytes = encode_request::<Probe>(None, Ask::MailboxLen, timeout).expect("encodes");
        let (decoded, read) = decode_request::<Probe>(&bytes).expect("decodes");
        assert!(matches!(decoded, Decoded::MailboxLen));
        assert_eq!(read, timeout);
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            decode_request::<Probe>(&longer),
            Err(WireError::Malformed(_))
        ));
    }

    #[test]
    fn a_request_of_another_server_version_or_framing_is_refused_before_its_body() {
        let bytes =
            encode_request::<Probe>(None, Ask::MailboxLen, Duration::ZERO).expect("encodes");
        assert!(matches!(
            decode_request::<Other>(&bytes),
            Err(WireError::WrongServer { .. })
        ));
        let mut old = bytes.clone();
        old[0] = 1;
        assert!(matches!(
            decode_request::<Probe>(&old),
            Err(WireError::Malformed(_))
        ));
        assert!(decode_request::<Probe>(&[]).is_err());
    }

    #[test]
    fn acknowledgements_and_failures_cross_the_wire() {
        let ack = Ack {
            queued: false,
            room: 3,
        };
        let reply = encode_reply(Postcard::encode(&ack).map_err(CallError::Wire), 1024);
        let value = decode_reply(&reply).expect("an answer");
        assert_eq!(Postcard::decode::<Ack>(value).expect("an ack"), ack);
        let failed = encode_reply(Err(CallError::NoProc), 1024);
        assert_eq!(decode_reply(&failed), Err(CallError::NoProc));
        let denied = encode_reply(
            Err(CallError::Wire(WireError::Denied(Arc::from("no")))),
            1024,
        );
        assert_eq!(
            decode_reply(&denied),
            Err(CallError::Wire(WireError::Denied(Arc::from("no"))))
        );
        // A reply never starts with a heartbeat's or a control message's
        // version byte.
        assert!(reply[0] < 2 && failed[0] < 2);
    }
}
