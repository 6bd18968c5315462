//! The implementations under test: the same counter, written for each.
//!
//! Every implementation answers a call `add(by) -> u64` and a cast `bump()`,
//! and can be spawned and stopped (stop waits until the actor has stopped).

use std::future::Future;

pub mod actix;
pub mod genserver;
pub mod hand;
pub mod kameo;
pub mod ractor;

/// One counter actor, as seen by the measurements.
///
/// `spawn` must be called on the implementation's own runtime (see
/// [`Impl::block_on`]); the handle it returns may be used from anywhere.
pub trait Counter: Clone + Send + Sync + 'static {
    /// Starts a counter at 0 on the current runtime.
    fn spawn() -> impl Future<Output = Self>;
    /// The call: adds `by`, returns the new value.
    fn add(&self, by: u64) -> impl Future<Output = u64> + Send;
    /// The cast: adds one, fire-and-forget.
    fn bump(&self);
    /// Stops the actor and waits until it has stopped.
    fn stop(self) -> impl Future<Output = ()>;
}

/// The implementations, in the order of the table's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impl {
    /// The baseline: unbounded mpsc + a oneshot per call.
    Hand,
    /// The baseline with `tokio::time::timeout(5 s, ..)` on each call.
    HandTimeout,
    /// `#[gen_server]` with its defaults (unbounded, live 5 s call timeout).
    GenServer,
    /// `#[gen_server]` with a bounded mailbox (the `genserver-bounded`
    /// feature, on by default).
    GenServerBounded,
    /// `#[gen_server]` called through `Named<T>` (a local name resolved
    /// per call, cached).
    GenServerNamed,
    Kameo,
    Ractor,
    Actix,
}

pub const ALL: [Impl; 8] = [
    Impl::Hand,
    Impl::HandTimeout,
    Impl::GenServer,
    Impl::GenServerBounded,
    Impl::GenServerNamed,
    Impl::Kameo,
    Impl::Ractor,
    Impl::Actix,
];

impl Impl {
    pub fn name(self) -> &'static str {
        match self {
            Impl::Hand => "hand",
            Impl::HandTimeout => "hand+timeout",
            Impl::GenServer => "genserver",
            Impl::GenServerBounded => "genserver-bounded",
            Impl::GenServerNamed => "genserver-named",
            Impl::Kameo => "kameo",
            Impl::Ractor => "ractor",
            Impl::Actix => "actix",
        }
    }

    pub fn parse(name: &str) -> Option<Impl> {
        ALL.into_iter().find(|i| i.name() == name)
    }

    /// False for an implementation whose code is not compiled in (printed
    /// as "n/a").
    pub fn available(self) -> bool {
        self != Impl::GenServerBounded || cfg!(feature = "genserver-bounded")
    }

    /// Runs `f` on a single-threaded runtime of the kind this
    /// implementation needs: a current-thread tokio runtime with time
    /// enabled, or an `actix::System` (itself a current-thread tokio runtime
    /// with a `LocalSet`).
    pub fn block_on<F: Future>(self, f: F) -> F::Output {
        match self {
            Impl::Actix => ::actix::System::new().block_on(f),
            _ => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime")
                .block_on(f),
        }
    }
}

/// Runs `$body` with the type alias `$C` bound to `$imp`'s [`Counter`] type.
/// Evaluates to `None` for an implementation that is not compiled in.
#[macro_export]
macro_rules! with_counter {
    ($imp:expr, $C:ident => $body:expr) => {{
        use $crate::impls::Impl;
        match $imp {
            Impl::Hand => {
                type $C = $crate::impls::hand::Hand;
                Some($body)
            }
            Impl::HandTimeout => {
                type $C = $crate::impls::hand::HandTimeout;
                Some($body)
            }
            Impl::GenServer => {
                type $C = $crate::impls::genserver::GenServer;
                Some($body)
            }
            #[cfg(feature = "genserver-bounded")]
            Impl::GenServerBounded => {
                type $C = $crate::impls::genserver::GenServerBounded;
                Some($body)
            }
            #[cfg(not(feature = "genserver-bounded"))]
            Impl::GenServerBounded => None,
            Impl::GenServerNamed => {
                type $C = $crate::impls::genserver::GenServerNamed;
                Some($body)
            }
            Impl::Kameo => {
                type $C = $crate::impls::kameo::Kameo;
                Some($body)
            }
            Impl::Ractor => {
                type $C = $crate::impls::ractor::Ractor;
                Some($body)
            }
            Impl::Actix => {
                type $C = $crate::impls::actix::Actix;
                Some($body)
            }
        }
    }};
}
