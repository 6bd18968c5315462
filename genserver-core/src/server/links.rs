//! Links: two-way ties between servers (OTP's `link/1`). When one exits
//! with a shutdown or an abnormal reason, the other exits too with the same
//! reason, without `terminate`, unless it traps exits; then the exit
//! arrives as [`Info::Exit`](crate::Info::Exit). A normal exit leaves the
//! partner alone.
//!
//! A link is an exit hook on each side, keyed by the partner, so linking,
//! unlinking and exiting cost O(1) per link.

use crate::exit_reason::ExitReason;
use crate::server::any::AnyServer;
use crate::server::process::{ExitHook, HookKey};

/// Links `a` and `b` both ways. A link to a server that has already exited
/// is an exit signal with [`ExitReason::NoProc`].
pub(crate) fn link(a: &AnyServer, b: &AnyServer) {
    if a.id() == b.id() {
        return;
    }
    let a_alive = a
        .process()
        .add_hook(HookKey::Link(b.id()), ExitHook::Link(b.clone()))
        .is_ok();
    let b_alive = b
        .process()
        .add_hook(HookKey::Link(a.id()), ExitHook::Link(a.clone()))
        .is_ok();
    match (a_alive, b_alive) {
        (true, false) => {
            a.process().remove_hook(HookKey::Link(b.id()));
            a.exit_signal(b.id(), ExitReason::NoProc);
        }
        (false, true) => {
            b.process().remove_hook(HookKey::Link(a.id()));
            b.exit_signal(a.id(), ExitReason::NoProc);
        }
        _ => {}
    }
}

/// Removes the link between `a` and `b`, if any.
pub(crate) fn unlink(a: &AnyServer, b: &AnyServer) {
    a.process().remove_hook(HookKey::Link(b.id()));
    b.process().remove_hook(HookKey::Link(a.id()));
}
