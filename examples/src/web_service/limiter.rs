//! One rate limiter per API key: a fixed window of `limit` requests per
//! `window`, started on the key's first request and stopped after a minute
//! without one.

use std::time::Duration;

use genserver_core::prelude::*;
use tokio::time::Instant;

/// How long a limiter without requests lives.
pub const IDLE: Duration = Duration::from_secs(60);

/// The answer to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Served; this many requests are left in the window.
    Allowed { remaining: u32 },
    /// Refused until the window ends.
    Limited { retry_after: Duration },
}

/// A fixed-window rate limiter for one API key.
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    started: Instant,
    used: u32,
}

#[gen_server]
impl RateLimiter {
    fn init(limit: u32, window: Duration, ctx: &mut Context<Self>) -> Result<Self, String> {
        // Sticky: every callback re-arms it, so an unused limiter always ends.
        ctx.set_idle_timeout(Some(IDLE));
        Ok(RateLimiter {
            limit,
            window,
            started: Instant::now(),
            used: 0,
        })
    }

    /// Counts one request against the window.
    #[call]
    pub fn check(&mut self) -> Decision {
        let now = Instant::now();
        if now.duration_since(self.started) >= self.window {
            self.started = now;
            self.used = 0;
        }
        if self.used < self.limit {
            self.used += 1;
            Decision::Allowed {
                remaining: self.limit - self.used,
            }
        } else {
            Decision::Limited {
                retry_after: self.window - now.duration_since(self.started),
            }
        }
    }

    /// A bug on purpose, for the crash-recovery demo.
    #[cast]
    pub fn crash(&self) {
        panic!("rate limiter crashed on purpose");
    }

    fn handle_info(&mut self, msg: Info<()>, ctx: &mut Context<Self>) {
        if let Info::Timeout = msg {
            // Unused for a minute: a normal stop, so the transient child is
            // not restarted; the key's next request starts a fresh one.
            ctx.stop(ExitReason::Normal);
        }
    }
}
