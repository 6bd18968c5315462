//! System requests (OTP's system messages, what `:sys` sends): a closure on
//! the server's state and context, run by the server between two messages,
//! in order with them. The inspection layer (`sys/`) builds them; the loop
//! only runs them, and stays suspended between a suspend and a resume.

use crate::server::context::Context;

/// What the loop does after a system request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SysOutcome {
    /// Go on as before.
    Done,
    /// Take only system requests and `stop` from now on (`:sys.suspend`).
    Suspend,
    /// Take every message again (`:sys.resume`).
    Resume,
}

/// A system request: runs in the server, between two messages.
pub(crate) type SysRequest<T> =
    Box<dyn FnOnce(&mut T, &mut Context<T>) -> SysOutcome + Send + 'static>;
