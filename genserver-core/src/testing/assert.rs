//! `assert_receive!` and `assert_no_receive!` (ExUnit's `assert_receive`
//! and `refute_receive`), over anything with an [`Inbox`](super::Inbox):
//! a [`Probe`](super::Probe) or a generated mock.

/// Waits for an item matching a pattern in a probe's or a mock's inbox,
/// takes it, and binds the pattern's variables like a `let` (ExUnit's
/// `assert_receive`). Fails the test if none arrives within the timeout
/// (default [`DEFAULT_RECEIVE_TIMEOUT`](crate::testing::DEFAULT_RECEIVE_TIMEOUT),
/// one second; nothing under a paused clock), showing what did arrive.
///
/// ```text
/// assert_receive!(probe, pattern);
/// assert_receive!(probe, pattern if guard);
/// assert_receive!(probe, pattern, timeout);
/// ```
///
/// It is a statement: the pattern's bindings are in scope after it. Bind
/// the whole item with `item @ pattern`. Items that do not match stay in
/// the inbox, in order, for later assertions. In a guard, the bindings are
/// references to the item (as in `matches!` on a reference).
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::assert_receive;
/// use genserver_core::testing::Probe;
/// use std::time::Duration;
///
/// pub struct Worker;
///
/// #[gen_server]
/// impl Worker {
///     #[cast]
///     pub fn crash(&self) {
///         panic!("worker crashed")
///     }
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let probe: Probe<u32> = Probe::start().await;
/// probe.send(7);
/// probe.send(42);
/// assert_receive!(probe, Info::Message(n) if *n > 10);
/// assert_eq!(n, 42);
/// assert_receive!(probe, Info::Message(7), Duration::from_millis(10));
///
/// let worker = Worker::start(Worker).await?;
/// let watch = probe.monitor(&worker).await;
/// worker.crash();
/// assert_receive!(probe, Info::Down { monitor, reason, .. });
/// assert_eq!((monitor, reason), (watch, ExitReason::Panic("worker crashed".into())));
/// # Ok(())
/// # }
/// ```
#[macro_export]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
macro_rules! assert_receive {
    ($receiver:expr, $pattern:pat $(if $guard:expr)?, $timeout:expr $(,)?) => {
        let __receiver = &$receiver;
        #[allow(unused_variables)]
        let __matches = $crate::testing::__matcher(__receiver, |__item| {
            ::core::matches!(__item, $pattern $(if $guard)?)
        });
        let __received = match $crate::testing::__assert_receive(
            __receiver,
            __matches,
            $timeout,
            ::core::stringify!($pattern $(if $guard)?),
        )
        .await
        {
            ::core::result::Result::Ok(__item) => __item,
            ::core::result::Result::Err(__failure) => ::core::panic!("{}", __failure),
        };
        // A binding the guard used may be unused after it.
        #[allow(irrefutable_let_patterns, unused_variables)]
        let $pattern = __received else {
            ::core::unreachable!()
        };
    };
    ($receiver:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {
        $crate::assert_receive!(
            $receiver,
            $pattern $(if $guard)?,
            $crate::testing::DEFAULT_RECEIVE_TIMEOUT
        );
    };
}

/// Fails the test if an item matching a pattern (any item, without one)
/// arrives in a probe's or a mock's inbox within the timeout (ExUnit's
/// `refute_receive`; default
/// [`DEFAULT_NO_RECEIVE_TIMEOUT`](crate::testing::DEFAULT_NO_RECEIVE_TIMEOUT),
/// 100 ms, which a paused clock skips), showing what arrived.
///
/// ```text
/// assert_no_receive!(probe);
/// assert_no_receive!(probe, pattern);
/// assert_no_receive!(probe, pattern, timeout);
/// ```
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::assert_no_receive;
/// use genserver_core::testing::Probe;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let probe: Probe<&'static str> = Probe::start().await;
/// assert_no_receive!(probe);
/// probe.send("tick");
/// assert_no_receive!(probe, Info::Down { .. }, Duration::from_secs(5));
/// # }
/// ```
#[macro_export]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
macro_rules! assert_no_receive {
    ($receiver:expr $(,)?) => {
        $crate::assert_no_receive!($receiver, _, $crate::testing::DEFAULT_NO_RECEIVE_TIMEOUT)
    };
    ($receiver:expr, $pattern:pat $(if $guard:expr)?, $timeout:expr $(,)?) => {{
        let __receiver = &$receiver;
        #[allow(unused_variables)]
        let __matches = $crate::testing::__matcher(__receiver, |__item| {
            ::core::matches!(__item, $pattern $(if $guard)?)
        });
        if let ::core::result::Result::Err(__failure) = $crate::testing::__assert_no_receive(
            __receiver,
            __matches,
            $timeout,
            ::core::stringify!($pattern $(if $guard)?),
        )
        .await
        {
            ::core::panic!("{}", __failure);
        }
    }};
    ($receiver:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {
        $crate::assert_no_receive!(
            $receiver,
            $pattern $(if $guard)?,
            $crate::testing::DEFAULT_NO_RECEIVE_TIMEOUT
        )
    };
}

/// Gives a matcher closure the signature the receiver's items need, so
/// that it can be bound with a `let` (and its lints allowed there).
#[doc(hidden)]
pub fn __matcher<R, F>(_receiver: &R, matches: F) -> F
where
    R: super::Receiver + ?Sized,
    F: FnMut(&R::Item) -> bool,
{
    matches
}
