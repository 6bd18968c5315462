//! One error type per operation.

use std::fmt;
use std::sync::Arc;

use crate::exit_reason::ExitReason;
use crate::id::ServerId;
use crate::remote::error::WireError;
use crate::server::Server;
use crate::server::call_graph::CallCycle;
use crate::server::gen_server::GenServer;

/// Why a call got no reply.
///
/// ```
/// use genserver_core::prelude::*;
/// use std::time::Duration;
///
/// pub struct Slow;
///
/// #[gen_server]
/// impl Slow {
///     #[call]
///     pub async fn work(&self, d: Duration) -> u32 {
///         tokio::time::sleep(d).await;
///         42
///     }
///
///     #[call]
///     pub fn fail(&self) -> u32 {
///         panic!("out of cheese")
///     }
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// /// What a caller does with each outcome.
/// async fn ask(slow: &Server<Slow>, d: Duration) -> String {
///     match slow.with_timeout(Duration::from_millis(100)).work(d).await {
///         Ok(answer) => format!("got {answer}"),
///         Err(CallError::Timeout) => "too slow: try later".into(),
///         Err(CallError::NoProc) => "not running: start it, or look it up again".into(),
///         Err(CallError::Exited(reason)) => format!("it died: {reason}"),
///         Err(other) => format!("failed: {other}"),
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let slow = Slow::start(Slow).await?;
/// assert_eq!(ask(&slow, Duration::ZERO).await, "got 42");
/// assert_eq!(ask(&slow, Duration::from_secs(1)).await, "too slow: try later");
/// assert_eq!(
///     slow.fail().await,
///     Err(CallError::Exited(ExitReason::Panic("out of cheese".into())))
/// );
/// assert_eq!(ask(&slow, Duration::ZERO).await, "not running: start it, or look it up again");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallError {
    /// No reply came within the call's timeout (5 s unless set with
    /// [`Server::with_timeout`]). A reply that arrives later is dropped.
    Timeout,
    /// The server was not running when the call was made (`:noproc`).
    NoProc,
    /// A server called itself from one of its own handlers, which would
    /// deadlock (`:calling_self`). Do the work directly, or use `ctx`.
    CallingSelf,
    /// The server exited before it replied; its exit reason.
    Exited(ExitReason),
    /// The task answering the call (see
    /// [`Context::reply_from_task`](crate::Context::reply_from_task))
    /// panicked or was aborted before it replied; the server itself runs
    /// on. [`ExitReason::Panic`] with the panic message, or
    /// [`ExitReason::Killed`] for an abort.
    TaskFailed(ExitReason),
    /// A call to a server on another node could not cross the wire: the
    /// name is served by another server type or another version of its
    /// handlers, or a message was malformed or too large.
    Wire(WireError),
    /// A handle that starts its server when nobody holds its name
    /// ([`Registry::named_or_start`](crate::Registry::named_or_start))
    /// could not start it; the start's own error is the
    /// [`source`](std::error::Error::source).
    NotStarted(StartFailed),
    /// A closure sent to run inside the server
    /// ([`Sys::inspect`](crate::sys::Sys::inspect),
    /// [`Sys::replace_state`](crate::sys::Sys::replace_state)) panicked,
    /// with this message; the panic was caught, and the server and its
    /// state are as they were.
    Panicked(Arc<str>),
    /// The call would have closed a cycle of calls: the server called is
    /// (through a chain of handlers each calling the next) waiting on the
    /// caller, so neither could ever answer. Failed at once rather than at
    /// the timeout; the [`CallCycle`] names the servers, the caller first.
    Deadlock(CallCycle),
}

/// Why a server started on a miss did not start (see
/// [`CallError::NotStarted`]): the start's own error, as its
/// [`source`](std::error::Error::source).
#[derive(Clone)]
pub struct StartFailed(Arc<dyn std::error::Error + Send + Sync>);

impl StartFailed {
    pub(crate) fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StartFailed(Arc::new(error))
    }

    /// The start's own error.
    pub fn error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Debug for StartFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StartFailed").field(&self.0).finish()
    }
}

impl fmt::Display for StartFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl PartialEq for StartFailed {
    /// The same error, or errors that read the same.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

impl Eq for StartFailed {}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Timeout => f.write_str("call timed out"),
            CallError::NoProc => f.write_str("no such server: it is not running"),
            CallError::CallingSelf => f.write_str("a server cannot call itself"),
            CallError::Exited(reason) => write!(f, "server exited before replying ({reason})"),
            CallError::TaskFailed(reason) => {
                write!(f, "the task answering the call failed ({reason})")
            }
            CallError::Wire(error) => {
                write!(f, "the call could not reach the remote server: {error}")
            }
            CallError::NotStarted(_) => f.write_str("the server could not be started"),
            CallError::Deadlock(cycle) => write!(f, "the call would deadlock: {cycle}"),
            CallError::Panicked(message) => {
                write!(f, "the closure run in the server panicked: {message}")
            }
        }
    }
}

impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CallError::NotStarted(failed) => Some(failed.error()),
            _ => None,
        }
    }
}

/// A cast found its server's bounded mailbox full (and, for a waiting
/// cast, still full when its timeout ran out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailboxFull;

impl fmt::Display for MailboxFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the server's mailbox is full")
    }
}

impl std::error::Error for MailboxFull {}

/// Why [`T::start(..)`](crate::Start) failed.
///
/// ```
/// use genserver_core::prelude::*;
///
/// pub struct Db {
///     url: String,
/// }
///
/// #[gen_server]
/// impl Db {
///     fn init(url: String) -> Result<Self, String> {
///         if url.is_empty() {
///             return Err("no url configured".into());
///         }
///         Ok(Db { url })
///     }
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// match Db::start(String::new()).await {
///     Err(StartError::Init(why)) => assert_eq!(why, "no url configured"),
///     other => panic!("{other:?}"),
/// }
/// let db = Db::start("db:5432".into()).name("start-error-doc-db").await?;
/// match Db::start("db:5433".into()).name("start-error-doc-db").await {
///     // `init` did not run: the name's holder is handed back.
///     Err(StartError::AlreadyStarted(holder)) => assert_eq!(holder, db),
///     other => panic!("{other:?}"),
/// }
/// # Ok(())
/// # }
/// ```
#[non_exhaustive]
pub enum StartError<T: GenServer> {
    /// `init` returned an error; the server never ran and `terminate` was not called.
    Init(T::InitError),
    /// The name is held by a running server of the same type, which is handed back.
    /// `init` did not run.
    AlreadyStarted(Server<T>),
    /// The name is held by a running server of another type. `init` did not run.
    NameTaken {
        /// The name asked for.
        name: String,
        /// The server holding it.
        holder: ServerId,
    },
    /// The name cannot name a server (a key of a duplicate registry); `init`
    /// did not run and nothing was started.
    InvalidName {
        /// The name asked for.
        name: String,
        /// Why it names no server.
        reason: &'static str,
    },
    /// `init` did not finish within the start's `init_timeout`; the server was killed.
    Timeout,
    /// `init` returned `Ok(None)`: nothing was started (OTP's `:ignore`).
    /// A supervisor keeps the child's spec without a running child.
    Ignored,
    /// `init` panicked or the server went away before it finished.
    Exited(ExitReason),
}

impl<T: GenServer> fmt::Debug for StartError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Init(e) => f.debug_tuple("Init").field(e).finish(),
            StartError::AlreadyStarted(s) => f.debug_tuple("AlreadyStarted").field(s).finish(),
            StartError::NameTaken { name, holder } => f
                .debug_struct("NameTaken")
                .field("name", name)
                .field("holder", holder)
                .finish(),
            StartError::InvalidName { name, reason } => f
                .debug_struct("InvalidName")
                .field("name", name)
                .field("reason", reason)
                .finish(),
            StartError::Timeout => f.write_str("Timeout"),
            StartError::Ignored => f.write_str("Ignored"),
            StartError::Exited(r) => f.debug_tuple("Exited").field(r).finish(),
        }
    }
}

impl<T: GenServer> fmt::Display for StartError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Init(_) => f.write_str("init failed"),
            StartError::AlreadyStarted(s) => write!(f, "already started as {}", s.id()),
            StartError::NameTaken { name, holder } => {
                write!(f, "the name {name:?} is taken by {holder}")
            }
            StartError::InvalidName { name, reason } => {
                write!(f, "the name {name:?} is not valid: {reason}")
            }
            StartError::Timeout => f.write_str("init timed out"),
            StartError::Ignored => f.write_str("init asked to be ignored"),
            StartError::Exited(r) => write!(f, "server exited during init ({r})"),
        }
    }
}

impl<T: GenServer> std::error::Error for StartError<T> {
    /// `init`'s own error, for [`StartError::Init`].
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Init(error) => Some(DisplayError::wrap(error)),
            _ => None,
        }
    }
}

/// An error that is only `Display + Debug` (an `init` error such as a
/// `String`), seen as a `std::error::Error`, so that it can be a
/// [`source`](std::error::Error::source).
#[repr(transparent)]
pub(crate) struct DisplayError<E>(E);

impl<E: fmt::Display + fmt::Debug + Send + Sync + 'static> DisplayError<E> {
    pub(crate) fn wrap(error: &E) -> &(dyn std::error::Error + Send + Sync + 'static) {
        // SAFETY: `DisplayError<E>` is `repr(transparent)` over `E`: a
        // reference to one is a valid reference to the other, for as long.
        unsafe { &*(error as *const E as *const DisplayError<E>) }
    }
}

impl<E: fmt::Debug> fmt::Debug for DisplayError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<E: fmt::Display> fmt::Display for DisplayError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl<E: fmt::Display + fmt::Debug> std::error::Error for DisplayError<E> {}
