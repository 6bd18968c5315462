//! [`TableCounter`]: the value types of [`Table::update_counter`](crate::Table::update_counter).

/// An integer a table can count with: every primitive integer type.
/// Sealed: the runtime relies on `checked_add` being exact.
pub trait TableCounter: Copy + private::Sealed {
    /// `self + delta`, or `None` past the type's bounds.
    fn checked_add(self, delta: Self) -> Option<Self>;
}

mod private {
    pub trait Sealed {}
}

macro_rules! counters {
    ($($t:ty)*) => {$(
        impl private::Sealed for $t {}
        impl TableCounter for $t {
            fn checked_add(self, delta: Self) -> Option<Self> {
                <$t>::checked_add(self, delta)
            }
        }
    )*};
}

counters!(i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize);
