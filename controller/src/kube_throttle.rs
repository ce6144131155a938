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

use futures::future::BoxFuture;
use std::{
    task::{Context, Poll},
    time::Duration,
};
use tokio::time::Instant;

/// Sustained requests per second when `--kubeclient-qps` is not given. Far above Bitnami's
/// 5: a cold start of 50,000 SealedSecrets converges in about 36 s at ~3 requests each
/// (issue 18's figures), about 4,200 requests/s, and the limit is there to stop a runaway
/// loop, not to slow convergence.
pub const DEFAULT_QPS: f64 = 10_000.0;
/// Requests at once when `--kubeclient-burst` is not given.
pub const DEFAULT_BURST: u32 = 20_000;

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
        KubeThrottle { inner, bucket }
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

/// Leader-election traffic, which never waits (see the module docs).
fn exempt(path: &str) -> bool {
    path.starts_with("/apis/coordination.k8s.io/")
}

pub struct KubeThrottle<S> {
    inner: S,
    bucket: Option<Bucket>,
}

impl<S, B> tower_service::Service<http::Request<B>> for KubeThrottle<S>
where
    S: tower_service::Service<http::Request<B>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let wait = match &mut self.bucket {
            Some(bucket) if !exempt(request.uri().path()) => bucket.reserve(Instant::now()),
            _ => Duration::ZERO,
        };
        // Lazy: nothing is sent before this future is polled, after the wait.
        let response = self.inner.call(request);
        Box::pin(async move {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            response.await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
