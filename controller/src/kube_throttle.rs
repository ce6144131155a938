//! Bitnami's `--kubeclient-qps` / `--kubeclient-burst`: a client-side token bucket on every
//! request to the Kubernetes API, as client-go's: `burst` requests at once, refilled at
//! `qps` per second; a request waits for a token rather than failing. Negative qps turns it
//! off, as in client-go.
//!
//! The limit lives in `poll_ready`: kube's `Client` drives its service through a `Buffer`,
//! one request at a time, and polls readiness before each `call`, so holding readiness back
//! until a token is there spaces the requests without touching them.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};
use tokio::time::{Instant, Sleep};

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
        KubeThrottle {
            inner,
            bucket,
            holding: false,
            wait: None,
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
    /// Take a token now, or say how long until one is there.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.qps).min(self.burst);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            // A tiny qps could make this overflow a Duration; a day is "not soon" enough.
            Err(Duration::try_from_secs_f64((1.0 - self.tokens) / self.qps)
                .unwrap_or(Duration::from_secs(86_400)))
        }
    }
}

pub struct KubeThrottle<S> {
    inner: S,
    bucket: Option<Bucket>,
    /// A token taken for the next `call`.
    holding: bool,
    wait: Option<Pin<Box<Sleep>>>,
}

impl<S, R> tower_service::Service<R> for KubeThrottle<S>
where
    S: tower_service::Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if let Some(bucket) = &mut self.bucket {
            while !self.holding {
                if let Some(wait) = &mut self.wait {
                    if wait.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.wait = None;
                }
                match bucket.take(Instant::now()) {
                    Ok(()) => self.holding = true,
                    Err(delay) => self.wait = Some(Box::pin(tokio::time::sleep(delay))),
                }
            }
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        self.holding = false;
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
