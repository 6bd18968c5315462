//! The server loop's rare paths, apart from it so that the loop stays as
//! small as without them: a message handled while the observer records
//! (statistics, a trace), and a system request (`sys()`), with the
//! suspended loop that follows a suspend.

use tracing::Instrument;

use super::{Exit, Life};
use crate::exit_reason::ExitReason;
use crate::info::Info;
use crate::server::counters::activity;
use crate::server::format_status;
use crate::server::gen_server::GenServer;
use crate::server::mailbox::Envelope;
use crate::server::observer::{EventKind, Outcome};
use crate::server::sys_request::{SysOutcome, SysRequest};

/// What an observed message is: for the dispatch, or for `handle_info`.
pub(super) enum Work<T: GenServer> {
    Message(T::Message),
    Info(Info<T::Info>),
}

impl<T: GenServer> Life<T> {
    /// A message handled while the server's observer records (statistics,
    /// a trace): timed, and described as the trace asks. Apart from the
    /// loop, which stays as small as without it.
    #[cold]
    pub(super) async fn observed(&mut self, state: &mut T, work: Work<T>, kind: EventKind) {
        let shared = self.shared.clone();
        let Some(observer) = shared.counters.observing() else {
            return;
        };
        let tracing = observer.tracing();
        let message = match &work {
            Work::Message(message) if tracing => T::__describe_message(message),
            Work::Info(info) if tracing => T::__describe_info(info),
            _ => None,
        };
        let states = observer.tracing_state();
        let before = states
            .then(|| format_status::shown(&*state, format_status::STATUS_LIMIT))
            .flatten();
        observer.begin(kind, self.ctx.handler, message, before);
        self.ctx.tracing = tracing;
        match work {
            Work::Message(message) => state.__dispatch(message, &mut self.ctx).await,
            Work::Info(info) => {
                state
                    .__handle_info(info, &mut self.ctx)
                    .instrument(tracing::debug_span!("handle_info"))
                    .await;
            }
        }
        self.ctx.tracing = false;
        let after = states
            .then(|| format_status::shown(&*state, format_status::STATUS_LIMIT))
            .flatten();
        let outcome = if self.ctx.stop.is_some() {
            Outcome::Stopped
        } else {
            Outcome::Returned
        };
        observer.end(outcome, after);
    }

    /// A system request: run between two messages; after a suspend, only
    /// system requests and a stop until a resume (`:sys.suspend`).
    #[cold]
    pub(super) async fn sys(&mut self, state: &mut T, request: SysRequest<T>) -> Result<(), Exit> {
        self.shared.counters.set_activity(&activity::SYS);
        if request(state, &mut self.ctx) != SysOutcome::Suspend {
            return Ok(());
        }
        self.shared.process.set_suspended(true);
        let resumed = loop {
            match self.shared.mailbox.recv_suspended().await {
                Some(Envelope::Sys(request)) => {
                    if request(state, &mut self.ctx) == SysOutcome::Resume {
                        break Ok(());
                    }
                }
                Some(Envelope::System(system)) => {
                    if let Err(stopped) = self.system(*system) {
                        break Err(Exit::stopped(stopped));
                    }
                }
                // Not taken while suspended; closed: a normal end.
                Some(_) | None => break Err(Exit::with(ExitReason::Normal)),
            }
        };
        self.shared.process.set_suspended(false);
        resumed
    }
}
