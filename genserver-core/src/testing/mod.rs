//! The test kit (feature `testing`, for `[dev-dependencies]`): test a
//! server as you write it, in a few lines, as ExUnit does.
//!
//! ```toml
//! [dev-dependencies]
//! genserver-core = { version = "0.1", features = ["testing"] }
//! ```
//!
//! | ExUnit habit | here |
//! |---|---|
//! | `start_supervised!(spec)` | [`TestKit::start`]: stopped after the test, in reverse order; an unexpected crash fails it |
//! | `assert_receive pattern, timeout` / `refute_receive` | a [`Probe`] and [`assert_receive!`](crate::assert_receive) / [`assert_no_receive!`](crate::assert_no_receive) |
//! | `Process.monitor` + `assert_receive {:DOWN, ..}` | [`Probe::monitor`] |
//! | Mox | `CounterMock`: a typed mock of each server, written by `#[gen_server]` |
//! | (fault injection) | [`Faults`]: crash, delay or lose the next message; [`StartFaults`]: fail the next start |
//! | (property tests of a tree) | [`CrashStorm`]: seeded random crashes, a settle check, a report of restarts |
//! | `:sys.get_state` | see "State in tests" below |
//!
//! The guide, `docs/testing.md` in the repository, shows each part on one
//! example, at both levels: the pure functions a thin server calls, and
//! the server.
//!
//! # Mocks
//!
//! With this feature, `#[gen_server]` writes, beside `CounterClient`:
//!
//! - `CounterMock`: `CounterMock::start()` runs a stand-in whose
//!   `server()` is a `Server<Counter>` like any other, so the code
//!   under test cannot tell it from the real one. Each call's reply is
//!   scripted with a closure the compiler checks against the handler:
//!   `mock.on_increment(|by| by + 1)`. An unscripted call crashes the mock
//!   with a message naming the `on_..` to add. Info messages go to
//!   `mock.on_handle_info(|info| ..)`.
//! - `CounterCast`: one variant per `#[cast]`, with its arguments in
//!   order. The mock records each cast it receives; assert on them with
//!   `assert_receive!(mock, CounterCast::Reset)`.
//!
//! ```
//! use genserver_core::prelude::*;
//! use genserver_core::assert_receive;
//!
//! pub struct Counter {
//!     value: i64,
//! }
//!
//! #[gen_server]
//! impl Counter {
//!     #[call]
//!     pub fn increment(&mut self, by: i64) -> i64 {
//!         self.value += by;
//!         self.value
//!     }
//!
//!     #[cast]
//!     pub fn reset(&mut self) {
//!         self.value = 0;
//!     }
//!
//!     fn handle_info(&mut self, _msg: Info<()>) {}
//! }
//!
//! /// Code under test: it only knows a `Server<Counter>`.
//! async fn bump_twice(counter: &Server<Counter>) -> Result<i64, CallError> {
//!     counter.increment(1).await?;
//!     let n = counter.increment(1).await?;
//!     counter.reset();
//!     Ok(n)
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let mock = CounterMock::start();
//! let mut calls = 0;
//! mock.on_increment(move |by| {
//!     calls += by;
//!     calls * 100
//! });
//! assert_eq!(bump_twice(&mock.server()).await, Ok(200));
//! assert_receive!(mock, CounterCast::Reset);
//! # }
//! ```
//!
//! Messages stay sealed: the mock's dispatch is generated inside the
//! expansion, the only place a message can be opened, and no test can
//! build one. The feature is the switch: a build without it (a release
//! build, where `[dev-dependencies]` are off) has no mock at all.
//!
//! # Virtual time
//!
//! Every time-based feature follows tokio's clock, so a test under
//! `#[tokio::test(start_paused = true)]` (or `tokio::time::pause()`)
//! runs a 5 s call timeout, a minute's idle timeout, a restart backoff or
//! a `send_interval` in no real time, and exactly: call timeouts, timers,
//! idle timeouts, restart backoff, `init_timeout`, supervisors' shutdown
//! timeouts, the kit's own waits and injected delays. A paused clock
//! needs a current-thread runtime, and it jumps ahead whenever every task
//! waits: a test that waits on something outside tokio's clock (a real
//! socket, a blocking thread, `genserver-nats`' heartbeats over a real
//! NATS server) needs real time, as does the once-a-second throttle of
//! mailbox alarms, which counts real seconds so a busy program logs
//! little.
//!
//! # State in tests
//!
//! Reading a server's state in a test (`:sys.get_state`) is the `sys`
//! API's `server.sys().get_state()` and `inspect(|s| ..)` (issue 18), not
//! part of this module.

mod assert;
mod faults;
mod hook;
mod inbox;
mod kit;
pub(crate) mod mock;
mod probe;
mod storm;

pub use assert::__matcher;
pub use faults::{Faults, StartFault, StartFaults};
pub use hook::injected_crash;
pub use inbox::{
    __assert_no_receive, __assert_receive, DEFAULT_NO_RECEIVE_TIMEOUT, DEFAULT_RECEIVE_TIMEOUT,
    Inbox, Receiver,
};
pub use kit::{DEFAULT_STOP_TIMEOUT, TestKit};
pub use mock::CastIsRecorded;
pub use probe::{Probe, ProbeServer};
pub use storm::{Blow, CrashStorm, StormCrash, StormReport};
