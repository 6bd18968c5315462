//! What the test kit installs on a server through the server layer's seam
//! (`server/intercept.rs`): the faults waiting for its next messages, and
//! its crash report once it crashes. One per server, shared by the
//! [`TestKit`](super::TestKit) watching it and the [`Faults`](super::Faults)
//! aimed at it.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::exit_reason::ExitReason;
use crate::server::any::AnyServer;
use crate::server::intercept::{CrashReport, Delivery, Intercept, Verdict};

/// Which messages a fault waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Aim {
    /// The next message of any kind (a stop request is never one).
    Any,
    /// The next call.
    Call,
    /// The next call or cast for the handler of this name.
    Handler(String),
}

impl Aim {
    fn hits(&self, delivery: Delivery) -> bool {
        match (self, delivery) {
            (Aim::Any, _) => true,
            (Aim::Call, Delivery::Call(_)) => true,
            (Aim::Handler(name), Delivery::Call(handler) | Delivery::Cast(handler)) => {
                name == handler
            }
            _ => false,
        }
    }
}

/// The test kit's hook on one server.
#[derive(Default)]
pub(crate) struct TestHook {
    faults: Mutex<VecDeque<(Aim, Verdict)>>,
    crash: Mutex<Option<CrashReport>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl TestHook {
    /// The hook on `server`, installed now if it has none.
    pub(crate) fn on(server: &AnyServer) -> Arc<TestHook> {
        let hook = server
            .process()
            .intercepts
            .get_or_install(|| Arc::new(TestHook::default()));
        // Only this module installs hooks.
        hook.as_any()
            .downcast::<TestHook>()
            .unwrap_or_else(|_| unreachable!("the test kit's hook is the only one"))
    }

    pub(crate) fn push(&self, aim: Aim, verdict: Verdict) {
        lock(&self.faults).push_back((aim, verdict));
    }

    pub(crate) fn pending(&self) -> usize {
        lock(&self.faults).len()
    }

    pub(crate) fn clear(&self) {
        lock(&self.faults).clear();
    }

    /// The crash report, once the server has crashed.
    pub(crate) fn crash(&self) -> Option<CrashReport> {
        lock(&self.crash).clone()
    }
}

impl Intercept for TestHook {
    fn before(&self, delivery: Delivery) -> Verdict {
        let mut faults = lock(&self.faults);
        match faults.iter().position(|(aim, _)| aim.hits(delivery)) {
            Some(at) => faults
                .remove(at)
                .map_or(Verdict::Handle, |(_, verdict)| verdict),
            None => Verdict::Handle,
        }
    }

    fn crashed(&self, report: CrashReport) {
        *lock(&self.crash) = Some(report);
    }

    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// The reason of a crash injected with [`Faults::crash_next`](super::Faults::crash_next):
/// `ExitReason::Panic("injected crash")`.
pub fn injected_crash() -> ExitReason {
    ExitReason::Panic("injected crash".into())
}
