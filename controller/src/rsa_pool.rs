//! Runs RSA private-key work off the async runtime, at most `workers` jobs at once, in two
//! lanes that do not share a fate.
//!
//! An RSA-4096 decryption takes milliseconds of pure CPU; run on the runtime it would stall
//! watches and the HTTP API. Bounding it keeps a burst of reconciles from spawning hundreds
//! of blocking threads that only compete for the same cores.
//!
//! * **Reconciles** ([`RsaPool::run`]) may use every worker and wait as long as they must:
//!   their number is bounded by `--concurrency`, and unsealing is the controller's job. They
//!   wait in a queue, not on the runtime: a worker that finishes a job takes the next one
//!   from the queue on the same thread. Handing each job over through the runtime instead
//!   (a permit released, a task woken, a blocking thread woken) left the cores idle between
//!   jobs: 12% of a cold start's wall time at 10,000 objects (perf, issue 18).
//! * **HTTP** ([`HttpLane`], `/v1/verify` and `/v1/rotate`) is anyone's traffic. It holds at
//!   most `workers - reserved` workers (at least one), admits at most that many jobs plus a
//!   bounded queue ([`HttpLane::admit`] says [`Busy`] past it, and the API answers 503), and
//!   every HTTP job passes a [`Checkpoint`] before each RSA operation, where it first runs
//!   the reconciles then queued, on its own worker.
//!
//! **Bound.** With `reserved` ≥ 1 and more workers than that, a reconcile never waits for
//! HTTP work at all (HTTP cannot hold the reserved workers). When every worker is busy —
//! a one-CPU pod, where the one worker is shared — a reconcile waits for HTTP work at most
//! until each HTTP job holding a worker reaches its next checkpoint: one RSA private
//! operation, or the parse of one request body (capped by `--max-request-bytes`). A big
//! request is thereby chunked into single operations whenever a reconcile wants the worker.
//! The other way round, an HTTP job waiting for a worker waits for at most one reconcile
//! job per worker: a worker looks for waiting HTTP jobs before taking the next reconcile.
//!
//! **Nothing is left in the queue.** A reconcile queues its job first and then looks for a
//! free worker; whoever gives a worker back (a reconcile worker with an empty queue, an HTTP
//! job that is done) looks at the queue after giving it back. So either the one queueing
//! finds the worker free, or the one freeing it finds the job.

use crate::ControllerError;
use crate::sync::lock;
use std::{
    collections::VecDeque,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone)]
pub struct RsaPool {
    shared: Arc<Shared>,
}

/// A reconcile's job, with the channel its result goes back on.
type Job = Box<dyn FnOnce() + Send>;

struct Shared {
    workers: usize,
    /// One per worker, held by whoever runs jobs on it. tokio's semaphore is fair: a permit
    /// given back goes to the longest-waiting HTTP job.
    permits: Arc<Semaphore>,
    /// Reconcile jobs waiting for a worker, oldest first.
    queue: Mutex<VecDeque<Job>>,
    /// HTTP jobs waiting for a worker: reconcile workers give theirs up between jobs.
    http_waiting: AtomicUsize,
}

impl Shared {
    fn push(&self, job: Job) {
        lock(&self.queue).push_back(job);
    }

    fn pop(&self) -> Option<Job> {
        lock(&self.queue).pop_front()
    }

    fn queued(&self) -> usize {
        lock(&self.queue).len()
    }

    /// On a blocking thread holding `worker`: run queued reconcile jobs until none is left
    /// (or an HTTP job waits for a worker), then give the worker back and look again (see
    /// the module documentation).
    fn drain(&self, mut worker: OwnedSemaphorePermit) {
        loop {
            while self.http_waiting.load(Ordering::Acquire) == 0 {
                let Some(job) = self.pop() else { break };
                run_job(job);
            }
            match self.give_back(worker) {
                Some(again) => worker = again,
                None => return,
            }
        }
    }

    /// Give `worker` back, then look at the queue: a reconcile that queued meanwhile found
    /// no free worker and counts on this look. `Some`: a worker to run it with.
    fn give_back(&self, worker: OwnedSemaphorePermit) -> Option<OwnedSemaphorePermit> {
        drop(worker);
        if self.queued() == 0 {
            return None;
        }
        // `None` if someone holds the worker now: they give it back the same way.
        self.permits.clone().try_acquire_owned().ok()
    }
}

/// A panicking job loses its own result (its caller sees `PoolClosed`), not the worker.
fn run_job(job: Job) {
    let _ = catch_unwind(AssertUnwindSafe(job));
}

impl RsaPool {
    pub fn new(workers: usize) -> Self {
        let workers = workers.max(1);
        Self {
            shared: Arc::new(Shared {
                workers,
                permits: Arc::new(Semaphore::new(workers)),
                queue: Mutex::new(VecDeque::new()),
                http_waiting: AtomicUsize::new(0),
            }),
        }
    }

    pub fn workers(&self) -> usize {
        self.shared.workers
    }

    /// Run a reconcile's `job` on a worker. Any worker will do, and HTTP jobs holding one run
    /// it at their next checkpoint. Dropping this future before the job starts cancels it.
    pub async fn run<T, F>(&self, job: F) -> Result<T, ControllerError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.shared.push(Box::new(move || {
            // Nobody waits for it any more: no RSA work for nothing.
            if !tx.is_closed() {
                let _ = tx.send(job());
            }
        }));
        if let Ok(worker) = self.shared.permits.clone().try_acquire_owned() {
            let shared = self.shared.clone();
            tokio::task::spawn_blocking(move || shared.drain(worker));
        }
        rx.await.map_err(|_| ControllerError::PoolClosed)
    }

    /// The HTTP lane over this pool's workers: at most `workers - reserved` of them (at
    /// least one), and `queue` more admitted jobs waiting.
    pub fn http_lane(&self, reserved: usize, queue: usize) -> HttpLane {
        let workers = self.workers().saturating_sub(reserved).max(1);
        HttpLane {
            pool: self.clone(),
            lane: Arc::new(LaneShared {
                workers,
                queue,
                running: Arc::new(Semaphore::new(workers)),
                admitted: Arc::new(Semaphore::new(workers.saturating_add(queue))),
                mean_job_micros: AtomicU64::new(0),
                closed: Arc::new(AtomicBool::new(false)),
            }),
        }
    }
}

/// Counts one waiter for as long as it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn start(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The HTTP API's share of an [`RsaPool`]. Cheap to clone.
#[derive(Clone)]
pub struct HttpLane {
    pool: RsaPool,
    lane: Arc<LaneShared>,
}

struct LaneShared {
    workers: usize,
    queue: usize,
    /// HTTP jobs holding (or about to take) a worker.
    running: Arc<Semaphore>,
    /// HTTP jobs admitted: running or queued. Taken before the body is read, so it also
    /// bounds the request bodies held in memory.
    admitted: Arc<Semaphore>,
    /// Moving average of an HTTP job's duration, for `Retry-After`; 0 until the first job.
    mean_job_micros: AtomicU64,
    /// Set at shutdown: no new job starts, and running ones stop at their next checkpoint.
    closed: Arc<AtomicBool>,
}

/// The lane is full; try again after `retry_after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy {
    pub retry_after: Duration,
}

/// The longest `Retry-After` a busy lane advises.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl HttpLane {
    /// HTTP jobs that may hold a worker at once.
    pub fn workers(&self) -> usize {
        self.lane.workers
    }

    /// Admitted HTTP jobs that may wait for a worker.
    pub fn queue(&self) -> usize {
        self.lane.queue
    }

    /// Stop the lane's work, for shutdown: queued jobs never start and running ones stop at
    /// their next checkpoint, so open requests end within one RSA operation instead of
    /// keeping the process alive for a whole queue of them.
    pub fn close(&self) {
        self.lane.closed.store(true, Ordering::Release);
    }

    fn is_closed(&self) -> bool {
        self.lane.closed.load(Ordering::Acquire)
    }

    /// A place in the lane, or [`Busy`] when running and queued jobs fill it (or the lane is
    /// closed). Never waits.
    pub fn admit(&self) -> Result<Admission, Busy> {
        if self.is_closed() {
            return Err(Busy {
                retry_after: Duration::from_secs(1),
            });
        }
        match self.lane.admitted.clone().try_acquire_owned() {
            Ok(slot) => Ok(Admission {
                slot,
                lane: self.clone(),
            }),
            Err(_) => Err(Busy {
                retry_after: self.estimated_wait(),
            }),
        }
    }

    /// How long until the jobs now admitted are through: all of them, `workers` at a time,
    /// at the recent mean job duration. At least 1 s, at most [`MAX_RETRY_AFTER`].
    fn estimated_wait(&self) -> Duration {
        let mean = Duration::from_micros(self.lane.mean_job_micros.load(Ordering::Relaxed));
        let rounds = (self.lane.workers + self.lane.queue).div_ceil(self.lane.workers);
        mean.saturating_mul(u32::try_from(rounds).unwrap_or(u32::MAX))
            .clamp(Duration::from_secs(1), MAX_RETRY_AFTER)
    }

    fn record(&self, took: Duration) {
        let sample = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        // 1/8 weight per sample: follows a change of load within a few dozen requests.
        let _ =
            self.lane
                .mean_job_micros
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |mean| {
                    Some(if mean == 0 {
                        sample
                    } else {
                        mean - mean / 8 + sample / 8
                    })
                });
    }
}

/// An admitted HTTP job's place in the lane; dropping it unused gives the place back.
pub struct Admission {
    slot: OwnedSemaphorePermit,
    lane: HttpLane,
}

impl Admission {
    /// Run `job` on a blocking thread once the lane and a worker are free. The job must call
    /// [`Checkpoint::pass`] before each RSA operation.
    ///
    /// When this future is dropped before the job ends (the client went away), or the lane
    /// is closed, the job's next checkpoint reports [`Abandoned`]. The place in the lane
    /// stays taken until the job actually returns: until then its memory is still in use.
    /// A job that has not started when the lane closes never starts (`PoolClosed`).
    pub async fn run<T, F>(self, job: F) -> Result<T, ControllerError>
    where
        F: FnOnce(&Checkpoint) -> T + Send + 'static,
        T: Send + 'static,
    {
        let Self { slot, lane } = self;
        let running = lane
            .lane
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ControllerError::PoolClosed)?;
        let shared = lane.pool.shared.clone();
        let worker = {
            // Counted while waiting only; the guard also uncounts a request dropped while
            // it waits.
            let _waiting = Waiting::start(&shared.http_waiting);
            shared
                .permits
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| ControllerError::PoolClosed)?
        };
        if lane.is_closed() {
            // Given back the usual way: reconciles may have queued meanwhile.
            tokio::task::spawn_blocking(move || shared.drain(worker));
            return Err(ControllerError::PoolClosed);
        }
        let abandoned = Arc::new(AtomicBool::new(false));
        let mut on_drop = AbandonOnDrop(Some(abandoned.clone()));
        let checkpoint = Checkpoint {
            shared: shared.clone(),
            abandoned,
            closed: lane.lane.closed.clone(),
        };
        let started = Instant::now();
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::task::spawn_blocking(move || {
            let result = catch_unwind(AssertUnwindSafe(|| job(&checkpoint)));
            drop((checkpoint, running, slot));
            if let Ok(result) = result {
                let _ = tx.send(result);
            }
            // The answer is on its way; the worker goes on with waiting reconciles.
            shared.drain(worker);
        });
        let result = rx.await.map_err(|_| ControllerError::PoolClosed);
        on_drop.0 = None;
        lane.record(started.elapsed());
        result
    }
}

/// Marks the job abandoned when the future awaiting it is dropped early.
struct AbandonOnDrop(Option<Arc<AtomicBool>>);

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        if let Some(flag) = &self.0 {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

/// Nobody waits for this job's result any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the request was abandoned")]
pub struct Abandoned;

/// Where an HTTP job lets reconciles go first. Lives on the job's blocking thread.
pub struct Checkpoint {
    shared: Arc<Shared>,
    abandoned: Arc<AtomicBool>,
    /// The lane's shutdown flag.
    closed: Arc<AtomicBool>,
}

impl Checkpoint {
    /// Call before each unit of RSA work. Runs the reconcile jobs queued now, on this job's
    /// worker (later ones wait for the next checkpoint, so this job still moves on); fails
    /// when the request was abandoned (or the lane closed), so the job can stop.
    pub fn pass(&self) -> Result<(), Abandoned> {
        if self.abandoned.load(Ordering::Relaxed) || self.closed.load(Ordering::Acquire) {
            return Err(Abandoned);
        }
        for _ in 0..self.shared.queued() {
            let Some(job) = self.shared.pop() else { break };
            run_job(job);
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Real work, so jobs overlap if a bound is broken.
    fn spin(rounds: u64) -> u64 {
        let mut x = 0u64;
        for i in 0..rounds {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x)
    }

    /// Counts jobs running at once and remembers the peak.
    #[derive(Clone, Default)]
    struct Concurrency {
        running: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
    }

    impl Concurrency {
        fn work(&self) {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            spin(2_000_000);
            self.running.fetch_sub(1, Ordering::SeqCst);
        }

        fn peak(&self) -> usize {
            self.peak.load(Ordering::SeqCst)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn never_runs_more_than_its_workers() {
        let pool = RsaPool::new(2);
        let seen = Concurrency::default();
        let jobs = (0..16).map(|_| {
            let (pool, seen) = (pool.clone(), seen.clone());
            async move { pool.run(move || seen.work()).await.unwrap() }
        });
        futures::future::join_all(jobs).await;
        assert!(seen.peak() <= 2);
    }

    /// The race a queue invites: a worker finds the queue empty, a reconcile then queues
    /// and finds no free worker (the worker still holds it), and the worker gives itself
    /// back. The job must not wait for ever: giving back looks at the queue again.
    #[test]
    fn a_worker_given_back_looks_at_the_queue_again() {
        let pool = RsaPool::new(1);
        let shared = &pool.shared;
        let worker = shared.permits.clone().try_acquire_owned().unwrap();
        shared.push(Box::new(|| {}));
        assert!(shared.permits.clone().try_acquire_owned().is_err());
        let again = shared
            .give_back(worker)
            .expect("the queued job was left without a worker");
        // With the queue empty, the worker stays given back.
        run_job(shared.pop().unwrap());
        assert!(shared.give_back(again).is_none());
        assert_eq!(shared.permits.available_permits(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_job_fails_alone() {
        let pool = RsaPool::new(1);
        let panicked = pool.run(|| -> u64 { panic!("job failed") }).await;
        assert!(matches!(panicked, Err(ControllerError::PoolClosed)));
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }

    /// One worker and a long queue of reconciles: an HTTP job gets the worker after the
    /// reconcile running now, not after the whole queue.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_http_job_waits_for_one_reconcile_not_the_queue() {
        const RECONCILES: usize = 50;
        let pool = RsaPool::new(1);
        let lane = pool.http_lane(0, 0);
        let done = Arc::new(AtomicUsize::new(0));
        let (first_tx, first_rx) = tokio::sync::oneshot::channel();
        let mut first_tx = Some(first_tx);
        let mut reconciles = Vec::new();
        for _ in 0..RECONCILES {
            let (pool, done) = (pool.clone(), done.clone());
            let started = first_tx.take();
            reconciles.push(tokio::spawn(async move {
                pool.run(move || {
                    if let Some(tx) = started {
                        let _ = tx.send(());
                    }
                    spin(2_000_000);
                    done.fetch_add(1, Ordering::SeqCst);
                })
                .await
                .unwrap()
            }));
        }
        first_rx.await.unwrap();
        let seen = {
            let done = done.clone();
            lane.admit()
                .unwrap()
                .run(move |_| done.load(Ordering::SeqCst))
                .await
                .unwrap()
        };
        futures::future::join_all(reconciles).await;
        assert!(
            seen < RECONCILES / 2,
            "the HTTP job ran after {seen} of {RECONCILES} reconciles"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn http_holds_at_most_the_unreserved_workers() {
        let pool = RsaPool::new(3);
        let lane = pool.http_lane(1, 16);
        assert_eq!(lane.workers(), 2);
        let seen = Concurrency::default();
        let jobs = (0..12).map(|_| {
            let (lane, seen) = (lane.clone(), seen.clone());
            async move {
                let admission = lane.admit().unwrap();
                admission.run(move |_| seen.work()).await.unwrap()
            }
        });
        futures::future::join_all(jobs).await;
        assert_eq!(seen.peak(), 2);
        // Reserving every worker (or more) still leaves HTTP one.
        assert_eq!(pool.http_lane(3, 0).workers(), 1);
        assert_eq!(pool.http_lane(10, 0).workers(), 1);
        assert_eq!(pool.http_lane(0, 0).workers(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn admission_stops_at_workers_plus_queue() {
        let lane = RsaPool::new(2).http_lane(1, 2);
        let admitted: Vec<Admission> = (0..3).map(|_| lane.admit().unwrap()).collect();
        let busy = lane.admit().err().unwrap();
        assert!(busy.retry_after >= Duration::from_secs(1));
        assert!(busy.retry_after <= MAX_RETRY_AFTER);
        // A place comes back when an admission ends, used or not.
        drop(admitted);
        let one = lane.admit().unwrap();
        one.run(|_| ()).await.unwrap();
        assert!(lane.admit().is_ok());
    }

    /// One worker, shared (a one-CPU pod): a reconcile gets it at the HTTP job's next
    /// checkpoint, not when the whole HTTP job is done.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiting_reconcile_takes_the_worker_at_the_next_checkpoint() {
        const STEPS: usize = 2_000;
        let pool = RsaPool::new(1);
        let lane = pool.http_lane(1, 0);
        let steps_done = Arc::new(AtomicUsize::new(0));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let http = {
            let steps_done = steps_done.clone();
            let admission = lane.admit().unwrap();
            tokio::spawn(admission.run(move |checkpoint| {
                let _ = started_tx.send(());
                for _ in 0..STEPS {
                    checkpoint.pass().unwrap();
                    spin(100_000);
                    steps_done.fetch_add(1, Ordering::SeqCst);
                }
            }))
        };
        started_rx.await.unwrap();
        let seen_by_reconcile = {
            let steps_done = steps_done.clone();
            pool.run(move || steps_done.load(Ordering::SeqCst))
                .await
                .unwrap()
        };
        http.await.unwrap().unwrap();
        assert_eq!(steps_done.load(Ordering::SeqCst), STEPS);
        assert!(
            seen_by_reconcile < STEPS / 2,
            "the reconcile ran after {seen_by_reconcile} of {STEPS} HTTP steps"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closing_the_lane_stops_running_and_queued_jobs() {
        let lane = RsaPool::new(1).http_lane(0, 1);
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let running = lane.admit().unwrap();
        const STEPS: u64 = 1_000_000;
        let running = tokio::spawn(running.run(move |checkpoint| {
            let _ = started_tx.send(());
            let mut steps = 0u64;
            while steps < STEPS && checkpoint.pass().is_ok() {
                spin(10_000);
                steps += 1;
            }
            steps
        }));
        started_rx.await.unwrap();
        let queued = tokio::spawn(lane.admit().unwrap().run(|_| ()));
        lane.close();
        // The running job returns at its next checkpoint; the queued one never starts.
        assert!(running.await.unwrap().unwrap() < STEPS);
        assert!(matches!(
            queued.await.unwrap(),
            Err(ControllerError::PoolClosed)
        ));
        assert!(lane.admit().is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_job_is_told_at_its_next_checkpoint() {
        let lane = RsaPool::new(1).http_lane(0, 0);
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (ended_tx, ended_rx) = mpsc::channel();
        let admission = lane.admit().unwrap();
        let request = tokio::spawn(admission.run(move |checkpoint| {
            let _ = started_tx.send(());
            let mut steps = 0u64;
            while checkpoint.pass().is_ok() {
                spin(10_000);
                steps += 1;
            }
            ended_tx.send(steps).unwrap();
        }));
        started_rx.await.unwrap();
        // The client goes away: the handler future is dropped.
        request.abort();
        let ended =
            tokio::task::spawn_blocking(move || ended_rx.recv_timeout(Duration::from_secs(20)));
        assert!(ended.await.unwrap().is_ok(), "the job did not stop");
        // Its place in the lane comes back as the stopped job returns.
        let deadline = Instant::now() + Duration::from_secs(20);
        let again = loop {
            if let Ok(admission) = lane.admit() {
                break admission;
            }
            assert!(Instant::now() < deadline, "the place never came back");
            tokio::task::yield_now().await;
        };
        again.run(|_| ()).await.unwrap();
    }
}
