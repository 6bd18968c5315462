//! What `#[gen_server]` requires of your types, by the names its errors use.
//!
//! A server runs in its own task, on tokio's multi-threaded runtime, and
//! everything it is given travels there in a message. So the macro checks,
//! on your own tokens, that what crosses into the server's task can:
//!
//! - [`CrossesToServer`]: the state, every handler's arguments and reply,
//!   `init`'s arguments, the info and continue types are `Send`;
//! - [`SendFuture`]: an `async` handler's or callback's future is `Send`
//!   (it holds no `Rc` or `std::sync::MutexGuard` across an `.await`);
//! - [`InitReturn`] and [`InitResult`]: `init` returns `Result<Self, E>` or
//!   `Result<Option<Self>, E>`;
//! - [`InitFailure`]: that `E` can be printed and cross tasks;
//! - [`StatusText`]: `format_status` returns something `Display`;
//! - `CrossesWire` (feature `remote`): a `#[gen_server(remote)]` server's
//!   arguments and replies are `Serialize + DeserializeOwned`.
//!
//! Each trait is implemented for exactly the types that meet it: you never
//! implement one, and seldom name one. When a type does not meet it, the
//! error is on that type and says what to change:
//!
//! ```text
//! error[E0277]: `Rc<String>` cannot be sent to the server's task
//!    |
//! 11 |     pub fn push(&mut self, line: Rc<String>) {
//!    |                                  ^^^^^^^^^^ this value crosses into the server's task, which may run on another thread
//!    |
//!    = help: the trait `Send` is not implemented for `Rc<String>`
//!    = note: share with `Arc` instead of `Rc`, `Mutex` (or `tokio::sync::Mutex`) instead of `RefCell`, or build the value inside the server
//!    = note: required for `Rc<String>` to implement `CrossesToServer`
//! ```
//!
//! # Examples
//!
//! A helper generic over what a server may be given can ask for the same:
//!
//! ```
//! use genserver_core::checks::CrossesToServer;
//!
//! fn queue_for_server<T: CrossesToServer>(item: T) -> Vec<T> {
//!     vec![item]
//! }
//!
//! assert_eq!(queue_for_server(String::from("job")).len(), 1);
//! ```
//!
//! ```compile_fail
//! use genserver_core::checks::CrossesToServer;
//!
//! fn queue_for_server<T: CrossesToServer>(item: T) -> Vec<T> {
//!     vec![item]
//! }
//!
//! // `Rc<String>` cannot be sent to the server's task
//! queue_for_server(std::rc::Rc::new(String::from("job")));
//! ```

/// Every `Send` type: what may cross into a server's task.
///
/// # Examples
///
/// ```
/// use genserver_core::checks::CrossesToServer;
///
/// fn crosses<T: CrossesToServer + ?Sized>() {}
///
/// crosses::<String>();
/// crosses::<std::sync::Arc<std::sync::Mutex<Vec<u8>>>>();
/// crosses::<Box<dyn Fn(&mut u8) + Send>>();
/// ```
pub use crate::private_support::CrossesToServer;

/// What `init`'s error type needs: `Display` (start errors and crash
/// reports print it), `Debug`, `Send`, `Sync` and `'static`. `String`,
/// `std::io::Error` and `anyhow::Error` all qualify.
///
/// # Examples
///
/// ```
/// use genserver_core::checks::InitFailure;
///
/// fn an_init_error<E: InitFailure>(_: E) {}
///
/// an_init_error(String::from("no database"));
/// an_init_error(std::io::Error::other("disk on fire"));
/// ```
pub use crate::private_support::InitFailure;

/// Every `Send` future: what an `async` handler may return.
///
/// # Examples
///
/// ```
/// use genserver_core::checks::SendFuture;
///
/// fn runs_in_a_server(_: impl SendFuture) {}
///
/// runs_in_a_server(async {
///     let value = std::sync::Arc::new(1);
///     tokio::task::yield_now().await;
///     *value
/// });
/// ```
pub use crate::private_support::SendFuture;

/// Every `Display` type: what `format_status` may return, shown as text
/// by inspection and crash reports.
///
/// # Examples
///
/// ```
/// use genserver_core::checks::StatusText;
///
/// fn shown<T: StatusText>(value: T) -> String {
///     value.to_string()
/// }
///
/// assert_eq!(shown(format!("{} entries", 3)), "3 entries");
/// ```
pub use crate::private_support::StatusText;

/// What `init` may return, whatever the path or alias it is written with.
///
/// # Examples
///
/// ```
/// use genserver_core::checks::InitReturn;
///
/// struct Counter;
///
/// fn returns<R: InitReturn<Counter>>(_: R) {}
///
/// returns(Ok::<Counter, String>(Counter));
/// returns(Ok::<Option<Counter>, std::io::Error>(None));
/// ```
pub use crate::__private::InitReturn;

/// What `init` may return when its error type `E` is written out.
///
/// # Examples
///
/// ```
/// use genserver_core::checks::InitResult;
///
/// struct Counter;
///
/// fn returns<R: InitResult<Counter, String>>(_: R) {}
///
/// returns(Ok::<Counter, String>(Counter));
/// returns(Err::<Option<Counter>, String>("refused".into()));
/// ```
pub use crate::__private::InitResult;

#[cfg(feature = "remote")]
pub use crate::remote::wire::CrossesWire;

// The checks the expansion calls, spanned on the user's tokens; an error
// names them as "required by a bound in `crosses_to_server`".
#[doc(hidden)]
pub use crate::private_support::{crosses_to_server, handler_future, status_text};

#[cfg(feature = "remote")]
#[doc(hidden)]
pub use crate::remote::wire::crosses_wire;
