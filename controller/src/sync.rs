//! One way to take a lock in this crate.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Lock `mutex`, poisoned or not. Every critical section in this crate is a single update
/// of plain data (a map entry, a counter, a queue), so a panic elsewhere cannot leave what
/// it guards half-changed, and going on is safer than taking the controller down with it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
