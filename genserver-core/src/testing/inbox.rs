//! What a probe or a mock received, kept for the test: [`Inbox`], and the
//! waits behind [`assert_receive!`](crate::assert_receive) and
//! [`assert_no_receive!`](crate::assert_no_receive).
//!
//! An inbox is a test's mailbox (ExUnit's): `assert_receive!` takes the
//! first item that matches and leaves the others in order, so a test can
//! assert on messages in any order.

use std::collections::VecDeque;
use std::fmt::{self, Debug, Write as _};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

/// How long [`assert_receive!`](crate::assert_receive) waits by default:
/// one second. Only a failing assertion waits it out.
pub const DEFAULT_RECEIVE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long [`assert_no_receive!`](crate::assert_no_receive) waits by
/// default: 100 ms (nothing under a paused clock).
pub const DEFAULT_NO_RECEIVE_TIMEOUT: Duration = Duration::from_millis(100);

/// Items received, in order, waiting for the test to take them.
pub struct Inbox<E> {
    items: Mutex<VecDeque<E>>,
    /// How many items were taken out so far, for failure messages.
    taken: Mutex<usize>,
    arrived: Notify,
}

impl<E> Default for Inbox<E> {
    fn default() -> Self {
        Inbox {
            items: Mutex::new(VecDeque::new()),
            taken: Mutex::new(0),
            arrived: Notify::new(),
        }
    }
}

impl<E> Inbox<E> {
    fn items(&self) -> MutexGuard<'_, VecDeque<E>> {
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds an item, waking whoever waits for one.
    pub(crate) fn push(&self, item: E) {
        self.items().push_back(item);
        self.arrived.notify_waiters();
    }

    /// Records an item, for the generated mocks.
    #[doc(hidden)]
    pub fn __push(&self, item: E) {
        self.push(item);
    }

    /// How many items wait in the inbox.
    pub fn len(&self) -> usize {
        self.items().len()
    }

    /// `true` when no item waits.
    pub fn is_empty(&self) -> bool {
        self.items().is_empty()
    }

    /// Takes every waiting item, in order.
    pub fn take_all(&self) -> Vec<E> {
        let items: Vec<E> = self.items().drain(..).collect();
        *self.taken.lock().unwrap_or_else(|e| e.into_inner()) += items.len();
        items
    }

    /// Takes the first waiting item for which `matches` holds.
    fn take_first(&self, matches: &mut impl FnMut(&E) -> bool) -> Option<E> {
        let mut items = self.items();
        let at = items.iter().position(matches)?;
        let item = items.remove(at);
        drop(items);
        *self.taken.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        item
    }

    /// Waits up to `timeout` for an item for which `matches` holds, and
    /// takes it; `None` if none came.
    pub async fn receive(
        &self,
        mut matches: impl FnMut(&E) -> bool,
        timeout: Duration,
    ) -> Option<E> {
        let wait = async {
            loop {
                let arrived = self.arrived.notified();
                tokio::pin!(arrived);
                // Registered before looking: no item slips in between.
                arrived.as_mut().enable();
                if let Some(item) = self.take_first(&mut matches) {
                    return item;
                }
                arrived.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.ok()
    }
}

impl<E: Debug> Inbox<E> {
    /// What waits in the inbox, one item a line, for failure messages.
    fn describe(&self) -> String {
        let items = self.items();
        let taken = *self.taken.lock().unwrap_or_else(|e| e.into_inner());
        let mut text = String::new();
        if items.is_empty() {
            text.push_str("  (nothing)\n");
        }
        for item in items.iter() {
            let _ = writeln!(text, "  {item:?}");
        }
        if taken > 0 {
            let _ = writeln!(text, "  ({taken} taken before by earlier assertions)");
        }
        text
    }
}

impl<E> Debug for Inbox<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbox").field("len", &self.len()).finish()
    }
}

/// What has an inbox the assertion macros read: a
/// [`Probe`](super::Probe), and every generated mock (its casts).
pub trait Receiver {
    /// What it receives.
    type Item: Debug;

    /// Its inbox.
    fn inbox(&self) -> &Inbox<Self::Item>;
}

/// The wait behind `assert_receive!`: the item, or the failure message.
#[doc(hidden)]
pub async fn __assert_receive<R: Receiver + ?Sized>(
    receiver: &R,
    matches: impl FnMut(&R::Item) -> bool,
    timeout: Duration,
    pattern: &str,
) -> Result<R::Item, String> {
    let inbox = receiver.inbox();
    match inbox.receive(matches, timeout).await {
        Some(item) => Ok(item),
        None => Err(format!(
            "assert_receive!: nothing matching `{pattern}` arrived within {timeout:?}; the inbox holds:\n{}",
            inbox.describe()
        )),
    }
}

/// The wait behind `assert_no_receive!`: `Err` with the failure message
/// when an item matching arrived within `timeout`.
#[doc(hidden)]
pub async fn __assert_no_receive<R: Receiver + ?Sized>(
    receiver: &R,
    matches: impl FnMut(&R::Item) -> bool,
    timeout: Duration,
    pattern: &str,
) -> Result<(), String> {
    let inbox = receiver.inbox();
    match inbox.receive(matches, timeout).await {
        None => Ok(()),
        Some(item) => Err(format!(
            "assert_no_receive!: `{item:?}` arrived within {timeout:?}, matching `{pattern}`; the inbox also holds:\n{}",
            inbox.describe()
        )),
    }
}
