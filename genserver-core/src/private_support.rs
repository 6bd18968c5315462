//! What `#[gen_server]`'s expansion names beyond the runtime's own types:
//! the per-handler spans, the checks that put an error on the user's token
//! (a type or a handler's future that cannot cross into the server's task),
//! and the body of `child_spec`. Re-exported from `__private`; not public API.

/// The span a `#[call]` handler runs in: `call{handler="increment"}`.
///
/// One callsite for every handler, so the expansion of a server holds a
/// function call per handler rather than a `tracing` macro expansion.
#[inline]
pub fn call_span(handler: &'static str) -> tracing::Span {
    tracing::debug_span!("call", handler)
}

/// The span a `#[cast]` handler runs in: `cast{handler="reset"}`.
#[inline]
pub fn cast_span(handler: &'static str) -> tracing::Span {
    tracing::debug_span!("cast", handler)
}

/// Implemented for every `Send` type: the generated checks ask for it on
/// the user's own tokens, so the error lands there and explains itself.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent to the server's task",
    label = "this value crosses into the server's task, which may run on another thread",
    note = "a server runs on tokio's multi-threaded runtime: its state, handler arguments, replies and info messages must be `Send`",
    note = "share with `Arc` instead of `Rc`, `Mutex` (or `tokio::sync::Mutex`) instead of `RefCell`, or build the value inside the server"
)]
pub trait CrossesToServer: Send {}

impl<T: Send + ?Sized> CrossesToServer for T {}

/// Checks, at the user's token, that `T` may cross into the server's task.
#[inline(always)]
pub const fn crosses_to_server<T: CrossesToServer + ?Sized>() {}

/// Implemented for every `Display` type: what `format_status` returns.
#[diagnostic::on_unimplemented(
    message = "`format_status` must return something `Display`, not `{Self}`",
    label = "inspection and crash reports show this as text",
    note = "return a `String`, e.g. `format!(\"{{}} entries\", self.entries.len())`"
)]
pub trait StatusText: std::fmt::Display {}

impl<T: std::fmt::Display + ?Sized> StatusText for T {}

/// What a user's `format_status` returned, as text; spanned on its return
/// type, so a type that is not `Display` is reported there.
pub fn status_text<T: StatusText>(value: T) -> String {
    value.to_string()
}

/// Implemented for every `'static` future that is `Send`.
#[diagnostic::on_unimplemented(
    message = "this handler's future cannot run in the server's task: it is not `Send`",
    label = "this `async` handler holds a value that is not `Send` across an `.await`",
    note = "the server runs handlers on tokio's multi-threaded runtime, between awaits it may move to another thread",
    note = "drop the value before the `.await` (end its scope, or `drop(guard)`), use `tokio::sync::Mutex` for a guard held across awaits, or `Arc` instead of `Rc`"
)]
pub trait SendFuture: core::future::Future + Send {}

impl<F: core::future::Future + Send> SendFuture for F {}

/// The body of every generated `child_spec`: id `T::NAME`, started again
/// with a clone of `args` on every restart.
pub fn child_spec<T: crate::GenServer>(args: T::Args) -> crate::ChildSpec
where
    T::Args: Clone + Sync,
{
    crate::ChildSpec::new(T::NAME, move || {
        crate::Start::<T>::__new(Clone::clone(&args))
    })
}

/// A handler's future, checked `Send` where it is built. The dispatch
/// future holding it is `Send` whatever the handler does, so a handler that
/// holds an `Rc` across an `.await` gets one error, on its own name, and
/// not a second one on the `#[gen_server]` line.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct HandlerFuture<F>(F);

// SAFETY: the only constructor, `handler_future`, requires `F: Send`; a
// bound that does not hold is a compile error, so every `HandlerFuture<F>`
// that exists has a `Send` future inside. (The generated impls that call it
// may assume `for<'__c> T: Send` for the types crossing into the server;
// the same expansion checks each of those in `__checks`, where a false one
// is a compile error too.)
unsafe impl<F> Send for HandlerFuture<F> {}

/// Wraps a handler's future; the error for a non-`Send` one lands here,
/// which the expansion spans on the handler's name.
#[inline(always)]
pub fn handler_future<F: SendFuture>(future: F) -> HandlerFuture<F> {
    HandlerFuture(future)
}

impl<F> HandlerFuture<F> {
    /// Runs the handler inside `span` (see [`call_span`], [`cast_span`]).
    #[inline(always)]
    pub fn in_span(self, span: tracing::Span) -> tracing::instrument::Instrumented<Self> {
        tracing::Instrument::instrument(self, span)
    }
}

impl<F: core::future::Future> core::future::Future for HandlerFuture<F> {
    type Output = F::Output;

    #[inline(always)]
    fn poll(
        self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<F::Output> {
        // SAFETY: structural pinning of the only field, which is never
        // moved out, nor reachable other than through this pin.
        unsafe { self.map_unchecked_mut(|this| &mut this.0) }.poll(cx)
    }
}

/// What `init`'s error type needs: it is printed (`Display`, and `Debug`
/// for `StartError`'s `Debug`) and crosses tasks (`Send + Sync + 'static`).
/// `String`, `std::io::Error` and `anyhow::Error` all qualify. A type that
/// misses one gets rustc's own error, on the type, for each missing part.
pub trait InitFailure: core::fmt::Display + core::fmt::Debug + Send + Sync + 'static {}

impl<E: core::fmt::Display + core::fmt::Debug + Send + Sync + 'static> InitFailure for E {}
