//! Identities: of a server ([`ServerId`], OTP's pid), of a monitor
//! ([`MonitorRef`], OTP's reference) and of a supervised task ([`TaskId`]).
//! Plain values; nothing of the server.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// A server's identity, unique for the life of the program (OTP's pid).
///
/// Shown as `<0.N.0>`, as Erlang shows a pid.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerId(u64);

impl ServerId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ServerId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// A fresh identity that no local server has: a transport's stand-in
    /// for a server on another node, as carried by a remote monitor's
    /// [`Info::Down`](crate::Info::Down).
    #[doc(hidden)]
    pub fn __fresh() -> Self {
        ServerId::next()
    }

    /// The number inside, for logs and metrics.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for ServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<0.{}.0>", self.0)
    }
}

impl fmt::Display for ServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Identifies one monitor (OTP's monitor reference), as returned by
/// [`Context::monitor`](crate::Context::monitor) and carried by
/// [`Info::Down`](crate::Info::Down).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonitorRef(u64);

impl MonitorRef {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        MonitorRef(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// A fresh monitor reference, for a transport's monitor of a server
    /// on another node.
    #[doc(hidden)]
    pub fn __fresh() -> Self {
        MonitorRef::next()
    }
}

impl fmt::Debug for MonitorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#Ref<{}>", self.0)
    }
}

impl fmt::Display for MonitorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Identifies one supervised task, as returned by
/// [`TaskRef::id`](crate::TaskRef::id) and carried by
/// [`Info::TaskFailed`](crate::Info::TaskFailed): the reference of OTP's
/// `Task` struct. Unique for the life of the program.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(u64);

impl TaskId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        TaskId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number inside, for logs and metrics.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#Task<{}>", self.0)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
