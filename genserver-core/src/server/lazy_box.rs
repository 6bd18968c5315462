//! [`LazyBox`]: a value allocated the first time it is needed, by any
//! thread, and freed with its owner: one pointer in every server, the
//! value only in those that use it (dead letter counts, an observer).

use std::sync::atomic::{AtomicPtr, Ordering};

/// A `T` made on first use; a null pointer until then.
pub(crate) struct LazyBox<T> {
    pointer: AtomicPtr<T>,
}

impl<T> Default for LazyBox<T> {
    fn default() -> Self {
        LazyBox {
            pointer: AtomicPtr::new(std::ptr::null_mut()),
        }
    }
}

impl<T: Default> LazyBox<T> {
    /// The value, if it was made: one load.
    #[inline]
    pub(crate) fn get(&self) -> Option<&T> {
        let pointer = self.pointer.load(Ordering::Acquire);
        // SAFETY: non-null only once set below from a leaked box, which is
        // freed only in `drop`, when no reference can remain.
        (!pointer.is_null()).then(|| unsafe { &*pointer })
    }

    /// The value, made now if it was not.
    pub(crate) fn get_or_make(&self) -> &T {
        if let Some(value) = self.get() {
            return value;
        }
        let fresh = Box::into_raw(Box::default());
        match self.pointer.compare_exchange(
            std::ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            // SAFETY: just stored; freed only in `drop`.
            Ok(_) => unsafe { &*fresh },
            Err(theirs) => {
                // SAFETY: `fresh` was never shared.
                drop(unsafe { Box::from_raw(fresh) });
                // SAFETY: as in `get`.
                unsafe { &*theirs }
            }
        }
    }
}

impl<T> Drop for LazyBox<T> {
    fn drop(&mut self) {
        let pointer = *self.pointer.get_mut();
        if !pointer.is_null() {
            // SAFETY: made from a box by `get_or_make`, no longer shared.
            drop(unsafe { Box::from_raw(pointer) });
        }
    }
}

impl<T: std::fmt::Debug + Default> std::fmt::Debug for LazyBox<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.get() {
            Some(value) => value.fmt(f),
            None => f.write_str("(none)"),
        }
    }
}

// SAFETY: a `LazyBox<T>` hands out `&T` to any thread, as `Arc<T>` would.
unsafe impl<T: Send + Sync> Send for LazyBox<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for LazyBox<T> {}

#[cfg(test)]
mod tests {
    use super::LazyBox;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn made_once_by_racing_threads_and_shared() {
        let lazy: LazyBox<AtomicU64> = LazyBox::default();
        assert!(lazy.get().is_none());
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    lazy.get_or_make().fetch_add(1, Ordering::Relaxed);
                });
            }
        });
        assert_eq!(lazy.get().unwrap().load(Ordering::Relaxed), 8);
    }
}
