//! A [`Supervisor`]'s restarts: what it does when a child exits, by
//! strategy and restart type; retries of a restart that failed, with the
//! child's backoff; giving up past the restart intensity.
//!
//! ```text
//!  Info::Exit from a child ──▶ child_exited ── restart? ─ no ─▶ stopped (temporary: forgotten)
//!                                   │ yes
//!                                   ▼
//!              restarting ──(backoff)──▶ retry ── intensity? ─ exceeded ─▶ give_up: stop all, exit Shutdown
//!                   ▲                               │ ok
//!                   │                               ▼
//!                   └──── a start failed ◀── restart_group: stop the group's others, start in order
//! ```

use std::time::Duration;

use crate::chain::Chain;
use crate::supervision::child_spec::Restart;
use crate::supervision::children::State;
use crate::supervision::report_exit;
use crate::supervision::supervisor::{RetryRestart, Supervisor};
use crate::supervision::supervisor_spec::Strategy;
use crate::{AnyServer, Context, ExitReason, ServerId};

impl Supervisor {
    /// The children a restart of `seq` concerns, in start order.
    fn group(&self, seq: u64) -> Vec<u64> {
        match self.strategy {
            Strategy::OneForOne => vec![seq],
            Strategy::OneForAll => self.children.seqs(..),
            Strategy::RestForOne => self.children.seqs(seq..),
        }
    }

    pub(super) async fn child_exited(
        &mut self,
        from: ServerId,
        reason: ExitReason,
        ctx: &mut Context<Self>,
    ) {
        if self.stopping.remove(&from) {
            return;
        }
        let Some(seq) = self.children.seq_of_server(from) else {
            // Not a child: the parent (or another link). Trapping, OTP's
            // supervisor exits with the parent's reason.
            if !reason.is_normal() {
                ctx.stop(reason);
            }
            return;
        };
        let child = self.children.get(seq).expect("indexed");
        let restart = child.spec.restart;
        report_exit(&child.spec.id, from, &reason);
        if !restart.restarts_after(&reason) {
            if restart == Restart::Temporary {
                self.children.remove(seq);
            } else {
                self.children.set(seq, State::Stopped);
            }
            return;
        }
        self.children.set(seq, State::Restarting(None));
        match self.children.restart_delay(seq) {
            Duration::ZERO => self.retry(seq, ctx).await,
            delay => self.retry_after(seq, delay, ctx),
        }
    }

    /// Schedules another try of child `seq`'s restart: at once, or after
    /// its backoff.
    fn schedule_retry(&mut self, seq: u64, ctx: &mut Context<Self>) {
        match self.children.restart_delay(seq) {
            Duration::ZERO => ctx.server().send(RetryRestart(seq)),
            delay => self.retry_after(seq, delay, ctx),
        }
    }

    fn retry_after(&self, seq: u64, delay: Duration, ctx: &mut Context<Self>) {
        if let Some(child) = self.children.get(seq) {
            tracing::info!(child = %child.spec.id, ?delay, "child restart backs off");
        }
        ctx.send_after(RetryRestart(seq), delay);
    }

    /// A restart of child `seq`, which is restarting: after its exit, and
    /// again after each failed try. Each counts against the intensity.
    pub(super) async fn retry(&mut self, seq: u64, ctx: &mut Context<Self>) {
        let Some(child) = self.children.get(seq) else {
            return;
        };
        // Stopped by `terminate_child` meanwhile, or restarted with its group.
        if !matches!(child.state, State::Restarting(_)) {
            return;
        }
        let id = child.spec.id.clone();
        if !self.intensity.allow(&id) {
            self.give_up(ctx).await;
            return;
        }
        self.restart_group(seq, ctx).await;
    }

    /// Restarts child `seq` and, for `OneForAll` and `RestForOne`, its
    /// group: the running siblings stop (last started first; temporary ones
    /// are dropped), then every child of the group starts in order. If one
    /// fails, see [`restart_failed`](Self::restart_failed).
    async fn restart_group(&mut self, seq: u64, ctx: &mut Context<Self>) {
        let group = self.group(seq);
        for &other in group.iter().rev() {
            if other == seq {
                continue;
            }
            let Some(child) = self.children.get(other) else {
                continue;
            };
            let temporary = child.spec.restart == Restart::Temporary;
            if child.server().is_some() {
                self.stop_child(other).await;
            }
            if temporary {
                self.children.remove(other);
            }
        }
        let me = AnyServer::from(ctx.server());
        let mut started = Vec::new();
        for &member in &group {
            let Some(child) = self.children.get(member) else {
                continue;
            };
            if child.server().is_some() {
                continue;
            }
            let id = child.spec.id.clone();
            match child.spec.start_linked(me.clone()).await {
                Ok(Some(server)) => {
                    tracing::info!(child = %id, server = %server.id(), "child restarted");
                    self.children.set(member, State::Running(server));
                    started.push(member);
                }
                Ok(None) => {
                    tracing::info!(child = %id, "child ignored its restart");
                    self.children.set(member, State::Stopped);
                }
                Err(error) => {
                    tracing::error!(child = %id, error = %Chain(&error), "child failed to restart");
                    self.restart_failed(seq, member, &group, &started, ctx)
                        .await;
                    return;
                }
            }
        }
    }

    /// Child `member` of `group` (restarted because `seq` exited) failed to
    /// start again; `started` were restarted before it in this round.
    ///
    /// As OTP's supervisor does: under `RestForOne`, those started before
    /// it keep running, and the failed child and those after it are
    /// retried (`rest_for_one_other_child_fails_restart`); under
    /// `OneForAll`, those started stop again and the whole group is
    /// retried; under `OneForOne`, the child alone.
    async fn restart_failed(
        &mut self,
        seq: u64,
        member: u64,
        group: &[u64],
        started: &[u64],
        ctx: &mut Context<Self>,
    ) {
        let retry = match self.strategy {
            Strategy::RestForOne => {
                for &later in group.iter().filter(|&&later| later >= member) {
                    if self.children.get(later).is_some() {
                        self.children.set(later, State::Restarting(None));
                    }
                }
                member
            }
            Strategy::OneForAll | Strategy::OneForOne => {
                for &again in started.iter().rev() {
                    self.stop_child(again).await;
                    self.children.set(again, State::Restarting(None));
                }
                self.children.set(member, State::Restarting(None));
                self.children.set(seq, State::Restarting(None));
                seq
            }
        };
        self.schedule_retry(retry, ctx);
    }

    /// Too many restarts: stop everything and exit with `Shutdown`, so the
    /// supervisor's own supervisor reacts.
    async fn give_up(&mut self, ctx: &mut Context<Self>) {
        self.stop_all().await;
        ctx.stop(ExitReason::Shutdown);
    }
}
