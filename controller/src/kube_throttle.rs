//! Bitnami's `--kubeclient-qps` / `--kubeclient-burst`: a client-side token bucket on every
//! request to the Kubernetes API, as client-go's: `burst` requests at once, refilled at
//! `qps` per second; a request waits for its token rather than failing (a reservation, as
//! Go's `rate.Limiter.Wait`). Negative qps turns it off, as in client-go.
//!
//! Leader-election requests (`coordination.k8s.io` Leases) do not wait: a renewal stuck
//! behind a backlog of reconcile requests would let the term lapse and the leadership flap.
//! client-go controllers get the same by giving leader election its own client and limiter.
//!
//! The wait happens before the request is sent: `call` reserves the token and returns a
//! future that sleeps, then drives the inner service's (lazy) future.
//!
//! **429 Too Many Requests.** An API server that answers 429 with `Retry-After: N` (its
//! priority-and-fairness limit) is asking the client to stop for N seconds. kube's own
//! retry waits that long before repeating the refused request only, while every other
//! reconcile keeps calling. Here the answer pauses the whole client: no request (Lease
//! renewals aside, as above) leaves before the pause is over, whatever the token bucket
//! says, and the refused request is then retried by the retry layer outside this one
//! (`client_from_flags`), so its retries pass the bucket and the pause too. A pause is
//! capped at [`MAX_RETRY_AFTER`], so a broken server cannot park the controller for good.

use crate::sync::lock;
use futures::future::BoxFuture;
use std::{
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};
use tokio::time::Instant;

/// Sustained requests per second when `--kubeclient-qps` is not given. Far above Bitnami's
/// 5: the limit is there to stop a runaway loop, not to slow convergence. A restart reads
/// every generated Secret once (the drift check): 50,000 of them at ~24,000 reads/s against
/// the benchmark's fake, where 10,000 made the limit, not the server, set the pace (3.0 of
/// 5.5 s; issue 18). The load a healthy server sees is bounded by `--concurrency` requests
/// in flight either way.
pub const DEFAULT_QPS: f64 = 25_000.0;
/// Requests at once when `--kubeclient-burst` is not given.
pub const DEFAULT_BURST: u32 = 20_000;

/// The longest pause a `Retry-After` can ask for.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// The client limit, resolved from the flags.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KubeRateLimit {
    Off,
    /// `qps` positive and finite, `burst` at least 1.
    Bucket {
        qps: f64,
        burst: u32,
    },
}

impl KubeRateLimit {
    /// Bitnami's meaning: negative qps turns the limit off; otherwise client-go's rules —
    /// qps 0 means its default and burst 0 means its default (ours here).
    pub fn from_flags(qps: Option<f64>, burst: Option<u32>) -> Self {
        let qps = qps.unwrap_or(DEFAULT_QPS);
        if qps < 0.0 {
            return Self::Off;
        }
        let qps = if qps == 0.0 { DEFAULT_QPS } else { qps };
        let burst = match burst {
            Some(0) | None => DEFAULT_BURST,
            Some(n) => n,
        };
        Self::Bucket { qps, burst }
    }
}

/// The tower layer kube's `ClientBuilder` takes.
#[derive(Clone, Copy, Debug)]
pub struct KubeThrottleLayer {
    pub limit: KubeRateLimit,
}

impl<S> tower_layer::Layer<S> for KubeThrottleLayer {
    type Service = KubeThrottle<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let bucket = match self.limit {
            KubeRateLimit::Off => None,
            KubeRateLimit::Bucket { qps, burst } => Some(Bucket {
                tokens: f64::from(burst),
                burst: f64::from(burst),
                qps,
                updated: Instant::now(),
            }),
        };
        KubeThrottle {
            inner,
            bucket,
            pause: Arc::default(),
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    burst: f64,
    qps: f64,
    updated: Instant,
}

impl Bucket {
    /// Reserve a token: how long the request must wait for it (zero when one is there).
    /// The bucket goes below zero while reservations are outstanding, so waiting requests
    /// are spaced 1/qps apart.
    fn reserve(&mut self, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.qps).min(self.burst);
        self.updated = now;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            // A tiny qps could overflow a Duration; a day is "not soon" enough.
            Duration::try_from_secs_f64(-self.tokens / self.qps)
                .unwrap_or(Duration::from_secs(86_400))
        }
    }
}

/// Until when the API server asked us to stop (a 429's `Retry-After`), shared by every
/// request's future.
#[derive(Debug, Default)]
struct Pause(Mutex<Option<Instant>>);

impl Pause {
    fn until(&self) -> Option<Instant> {
        *lock(&self.0)
    }

    /// Pause until `until`, unless a longer pause is already on.
    fn extend(&self, until: Instant) {
        let mut current = lock(&self.0);
        if current.is_none_or(|c| c < until) {
            *current = Some(until);
        }
    }

    /// Sleep while a pause is on (one may begin while an earlier one is slept out).
    async fn wait_out(&self) {
        while let Some(until) = self.until().filter(|u| *u > Instant::now()) {
            tokio::time::sleep_until(until).await;
        }
    }
}

/// How long a 429 asks the client to stop: `Retry-After` in seconds (the form the API
/// server sends), capped. `None` for any other answer.
fn retry_after<B>(response: &http::Response<B>) -> Option<Duration> {
    if response.status() != http::StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let seconds: u64 = response
        .headers()
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// Leader-election traffic, which never waits (see the module docs).
fn exempt(path: &str) -> bool {
    path.starts_with("/apis/coordination.k8s.io/")
}

pub struct KubeThrottle<S> {
    inner: S,
    bucket: Option<Bucket>,
    pause: Arc<Pause>,
}

impl<S, B, R> tower_service::Service<http::Request<B>> for KubeThrottle<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let exempt = exempt(request.uri().path());
        let wait = match &mut self.bucket {
            Some(bucket) if !exempt => bucket.reserve(Instant::now()),
            _ => Duration::ZERO,
        };
        let pause = self.pause.clone();
        // Lazy: nothing is sent before this future is polled, after the wait.
        let response = self.inner.call(request);
        Box::pin(async move {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            if !exempt {
                pause.wait_out().await;
            }
            let response = response.await;
            if let Ok(answer) = &response
                && let Some(stop) = retry_after(answer)
            {
                tracing::info!(
                    retry_after_secs = stop.as_secs(),
                    "the API server asked to slow down (429): pausing every request"
                );
                pause.extend(Instant::now() + stop);
            }
            response
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn answer(status: u16, retry: Option<&str>) -> http::Response<()> {
        let mut builder = http::Response::builder().status(status);
        if let Some(value) = retry {
            builder = builder.header(http::header::RETRY_AFTER, value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn only_a_429s_whole_seconds_pause_and_never_beyond_the_cap() {
        assert_eq!(
            retry_after(&answer(429, Some("3"))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&answer(429, Some("86400"))),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(retry_after(&answer(429, None)), None);
        assert_eq!(
            retry_after(&answer(429, Some("Wed, 21 Oct 2015 07:28:00 GMT"))),
            None
        );
        assert_eq!(retry_after(&answer(503, Some("3"))), None);
        assert_eq!(retry_after(&answer(200, Some("3"))), None);
    }

    #[test]
    fn a_pause_only_grows() {
        let pause = Pause::default();
        let now = Instant::now();
        pause.extend(now + Duration::from_secs(5));
        pause.extend(now + Duration::from_secs(1));
        assert_eq!(pause.until(), Some(now + Duration::from_secs(5)));
    }

    #[test]
    fn only_lease_requests_skip_the_wait() {
        assert!(exempt(
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/sealant-controller-leader"
        ));
        assert!(!exempt("/api/v1/namespaces/app/secrets/db"));
        assert!(!exempt("/apis/bitnami.com/v1alpha1/sealedsecrets"));
    }

    #[test]
    fn reservations_space_requests_after_the_burst() {
        let now = Instant::now();
        let mut bucket = Bucket {
            tokens: 2.0,
            burst: 2.0,
            qps: 4.0,
            updated: now,
        };
        let waits: Vec<Duration> = (0..4).map(|_| bucket.reserve(now)).collect();
        let quarter = Duration::from_millis(250);
        assert_eq!(
            waits,
            [Duration::ZERO, Duration::ZERO, quarter, quarter * 2]
        );
        // A second later the debt is paid and one token is back.
        assert_eq!(bucket.reserve(now + Duration::from_secs(1)), Duration::ZERO);
    }

    #[test]
    fn flags_map_as_in_client_go() {
        assert_eq!(
            KubeRateLimit::from_flags(Some(-1.0), Some(5)),
            KubeRateLimit::Off
        );
        assert_eq!(
            KubeRateLimit::from_flags(None, None),
            KubeRateLimit::Bucket {
                qps: DEFAULT_QPS,
                burst: DEFAULT_BURST
            }
        );
        assert_eq!(
            KubeRateLimit::from_flags(Some(0.0), Some(0)),
            KubeRateLimit::Bucket {
                qps: DEFAULT_QPS,
                burst: DEFAULT_BURST
            }
        );
        assert_eq!(
            KubeRateLimit::from_flags(Some(2.0), Some(1)),
            KubeRateLimit::Bucket { qps: 2.0, burst: 1 }
        );
    }
}
