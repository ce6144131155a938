//! Runs RSA private-key work off the async runtime, at most `workers` jobs at once.
//!
//! An RSA-4096 decryption takes milliseconds of pure CPU; run on the runtime it would stall
//! watches and the HTTP API. Bounding it keeps a burst of reconciles from spawning hundreds
//! of blocking threads that only compete for the same cores.

use crate::ControllerError;
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct RsaPool {
    permits: Arc<Semaphore>,
}

impl RsaPool {
    pub fn new(workers: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(workers.max(1))),
        }
    }

    /// Run `job` on a blocking thread once a worker slot is free.
    pub async fn run<T, F>(&self, job: F) -> Result<T, ControllerError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ControllerError::PoolClosed)?;
        tokio::task::spawn_blocking(move || {
            let result = job();
            drop(permit);
            result
        })
        .await
        .map_err(|_| ControllerError::PoolClosed)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn never_runs_more_than_its_workers() {
        let pool = RsaPool::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let jobs = (0..16).map(|_| {
            let (pool, running, peak) = (pool.clone(), running.clone(), peak.clone());
            async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    // Real work, so jobs overlap if the bound is broken.
                    let mut x = 0u64;
                    for i in 0..2_000_000u64 {
                        x = x.wrapping_mul(31).wrapping_add(i);
                    }
                    running.fetch_sub(1, Ordering::SeqCst);
                    x
                })
                .await
                .unwrap()
            }
        });
        futures::future::join_all(jobs).await;
        assert!(peak.load(Ordering::SeqCst) <= 2);
    }
}
