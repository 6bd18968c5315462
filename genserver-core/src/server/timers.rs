//! Timers (`Process.send_after/3`, `:timer.send_interval/2`): what
//! [`Context::send_after`] and [`Context::send_interval`] start, and the
//! [`TimerRef`] that cancels them. A timer is a task of the server's, so it
//! dies with it; its message takes the priority lane.

use std::time::Duration;

use tokio::task::AbortHandle;

use crate::server::context::Context;
use crate::server::gen_server::GenServer;
use crate::server::mailbox::{Envelope, Lane};

impl<T: GenServer> Context<T> {
    /// Delivers `Info::Message(message)` to `handle_info` after `delay`
    /// (`Process.send_after/3`).
    pub fn send_after(&mut self, message: T::Info, delay: Duration) -> TimerRef {
        let handle = self.server().handle().clone();
        TimerRef {
            task: self.track(async move {
                tokio::time::sleep(delay).await;
                handle.send(Envelope::Info(message), Lane::Priority);
            }),
        }
    }

    /// Delivers `Info::Message(message.clone())` to `handle_info` every
    /// `period`, first after one period, until cancelled or the server exits.
    /// A server that falls behind gets one tick, not a burst.
    pub fn send_interval(&mut self, message: T::Info, period: Duration) -> TimerRef
    where
        T::Info: Clone + Sync,
    {
        let handle = self.server().handle().clone();
        TimerRef {
            task: self.track(async move {
                let start = tokio::time::Instant::now() + period;
                let mut ticks = tokio::time::interval_at(start, period);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    if !handle.send(Envelope::Info(message.clone()), Lane::Priority) {
                        break;
                    }
                }
            }),
        }
    }
}

/// A running timer from [`Context::send_after`] or [`Context::send_interval`].
#[derive(Debug, Clone)]
pub struct TimerRef {
    task: AbortHandle,
}

/// Two `TimerRef`s are equal when they name the same timer.
impl PartialEq for TimerRef {
    fn eq(&self, other: &Self) -> bool {
        self.task.id() == other.task.id()
    }
}

impl Eq for TimerRef {}

impl std::hash::Hash for TimerRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.task.id().hash(state)
    }
}

impl TimerRef {
    /// Cancels the timer. Returns `false` if a one-shot timer had already
    /// fired (its message may be waiting in the mailbox, as with OTP's
    /// `cancel_timer`).
    pub fn cancel(&self) -> bool {
        let pending = !self.task.is_finished();
        self.task.abort();
        pending
    }
}
