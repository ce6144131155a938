//! What one client may cost us: a body cap, a body read deadline, and a per-client token
//! bucket on `/v1/verify` and `/v1/rotate` (both spend RSA private operations, which an
//! anonymous caller must not be able to spend without bound).

use crate::ControllerError;
use axum::{
    body::Body,
    http::{HeaderMap, header},
};
use futures::StreamExt;
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

/// Default request body cap: 1 MiB. A SealedSecret of a full 1 MiB Secret would not fit, but
/// such objects are rare and may still be checked offline (`sealant check`, offline
/// re-encryption); the cap also bounds the RSA work one request can ask for (a 1 MiB body
/// holds at most ~1,400 values of a 4096-bit key).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default bucket size: requests a client may make at once.
pub const DEFAULT_RATE_BURST: u32 = 10;
/// Default refill: sustained requests per second per client.
pub const DEFAULT_RATE_PER_SECOND: f64 = 5.0;
/// The whole body must arrive within this, so a trickling client cannot hold a request open.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Client buckets kept at most; past this, idle (refilled) buckets are dropped, and if none
/// are, new clients share one overflow bucket, so memory stays bounded under a spoofed flood.
const MAX_TRACKED_CLIENTS: usize = 4096;

/// Limits of the verify and rotate endpoints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Largest accepted request body, in bytes; larger gets 413.
    pub max_body_bytes: usize,
    /// Token-bucket size per client (verify and rotate together). 0 disables rate limiting.
    pub rate_burst: u32,
    /// Tokens added per second per client; must be positive and finite when limiting.
    pub rate_per_second: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            rate_burst: DEFAULT_RATE_BURST,
            rate_per_second: DEFAULT_RATE_PER_SECOND,
        }
    }
}

impl Limits {
    pub fn validate(&self) -> Result<(), ControllerError> {
        if self.max_body_bytes == 0 {
            return Err(ControllerError::Config(
                "the HTTP body limit must be at least 1 byte".to_owned(),
            ));
        }
        if self.rate_burst > 0 && !(self.rate_per_second.is_finite() && self.rate_per_second > 0.0)
        {
            return Err(ControllerError::Config(format!(
                "the HTTP rate limit must refill at a positive rate, not {}",
                self.rate_per_second
            )));
        }
        Ok(())
    }
}

/// Which bucket a request draws from.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum ClientKey {
    V4(std::net::Ipv4Addr),
    /// IPv6 by /64: one host usually holds a whole /64, so per-address buckets would be free.
    V6Net(u64),
    /// No peer address known (router served without `ConnectInfo`).
    Unknown,
    Overflow,
}

impl ClientKey {
    fn of(ip: Option<IpAddr>) -> Self {
        match ip.map(|ip| ip.to_canonical()) {
            Some(IpAddr::V4(v4)) => Self::V4(v4),
            Some(IpAddr::V6(v6)) => Self::V6Net((v6.to_bits() >> 64) as u64),
            None => Self::Unknown,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Per-client token buckets.
///
/// Keyed by the TCP peer: behind the API server's service proxy (kubeseal's path) every
/// client shares the API server's address, so there it acts as one shared limit. Forwarded
/// headers are not trusted, since any client can set them.
pub(super) struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<ClientKey, Bucket>>,
}

impl RateLimiter {
    pub(super) fn new(limits: &Limits) -> Self {
        Self {
            burst: f64::from(limits.rate_burst),
            per_second: limits.rate_per_second,
            buckets: Mutex::default(),
        }
    }

    /// Take one token for `client`, or say how long until one is available.
    pub(super) fn check(&self, client: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        if self.burst <= 0.0 {
            return Ok(());
        }
        // A panic elsewhere cannot leave a bucket half-updated (plain numbers), so keep going.
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let mut key = ClientKey::of(client);
        if !buckets.contains_key(&key) && buckets.len() >= MAX_TRACKED_CLIENTS {
            buckets.retain(|_, b| self.refilled(b, now) < self.burst);
            if buckets.len() >= MAX_TRACKED_CLIENTS {
                key = ClientKey::Overflow;
            }
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        bucket.tokens = self.refilled(bucket, now);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        }
    }

    fn refilled(&self, bucket: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        (bucket.tokens + elapsed * self.per_second).min(self.burst)
    }
}

/// Why a body was not read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum BodyError {
    TooLarge,
    /// The client broke the stream or missed [`BODY_READ_TIMEOUT`].
    Unreadable,
}

/// How much of an oversized body is still read (and thrown away), as a multiple of the cap.
///
/// Clients that write the whole body before reading the answer (ureq, Python's http.client)
/// would otherwise see a broken pipe instead of the 413. Draining is bounded: past this, or
/// past [`BODY_READ_TIMEOUT`], the connection is simply closed.
const DRAIN_FACTOR: u64 = 4;

/// Read at most `limit` bytes of `body`. A larger body is refused with `TooLarge`, after
/// draining it when it is within `DRAIN_FACTOR × limit` (a declared `Content-Length` beyond
/// that is refused without reading).
pub(super) async fn read_capped(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let limit = limit as u64;
    let drain_budget = limit.saturating_mul(DRAIN_FACTOR);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > drain_budget) {
        return Err(BodyError::TooLarge);
    }
    let mut over = false;
    let read = async {
        let mut out = Vec::new();
        let mut seen = 0u64;
        let mut chunks = body.into_data_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|_| BodyError::Unreadable)?;
            seen = seen.saturating_add(chunk.len() as u64);
            if seen > limit {
                over = true;
                out = Vec::new();
            }
            if seen > drain_budget {
                break;
            }
            if !over {
                out.extend_from_slice(&chunk);
            }
        }
        Ok(out)
    };
    let result = tokio::time::timeout(BODY_READ_TIMEOUT, read).await;
    match result {
        _ if over => Err(BodyError::TooLarge),
        Ok(read) => read,
        Err(_elapsed) => Err(BodyError::Unreadable),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn limiter(burst: u32, per_second: f64) -> RateLimiter {
        RateLimiter::new(&Limits {
            rate_burst: burst,
            rate_per_second: per_second,
            ..Limits::default()
        })
    }

    #[test]
    fn bucket_allows_a_burst_then_refills_at_the_rate() {
        let l = limiter(3, 2.0);
        let t0 = Instant::now();
        let ip = Some("10.0.0.1".parse().unwrap());
        for _ in 0..3 {
            assert!(l.check(ip, t0).is_ok());
        }
        let wait = l.check(ip, t0).unwrap_err();
        assert!(wait > Duration::from_millis(400) && wait <= Duration::from_millis(500));
        // Another client has its own bucket.
        assert!(l.check(Some("10.0.0.2".parse().unwrap()), t0).is_ok());
        // Half a second later one token (2/s) is back, and only one.
        let t1 = t0 + Duration::from_millis(500);
        assert!(l.check(ip, t1).is_ok());
        assert!(l.check(ip, t1).is_err());
    }

    #[test]
    fn ipv6_is_limited_per_64_and_mapped_v4_as_v4() {
        let l = limiter(1, 1.0);
        let t = Instant::now();
        assert!(l.check(Some("2001:db8::1".parse().unwrap()), t).is_ok());
        assert!(l.check(Some("2001:db8::2".parse().unwrap()), t).is_err());
        assert!(l.check(Some("2001:db8:0:1::1".parse().unwrap()), t).is_ok());
        assert!(l.check(Some("192.0.2.7".parse().unwrap()), t).is_ok());
        assert!(
            l.check(Some("::ffff:192.0.2.7".parse().unwrap()), t)
                .is_err()
        );
    }

    #[test]
    fn tracked_clients_stay_bounded() {
        let l = limiter(1, 0.001);
        let t = Instant::now();
        for i in 0..(MAX_TRACKED_CLIENTS as u32 + 10) {
            let _ = l.check(Some(IpAddr::V4(i.into())), t);
        }
        assert!(l.buckets.lock().unwrap().len() <= MAX_TRACKED_CLIENTS + 1);
        // Once refilled, old buckets make room again.
        let later = t + Duration::from_secs(2000);
        assert!(l.check(Some("203.0.113.1".parse().unwrap()), later).is_ok());
        assert!(l.buckets.lock().unwrap().len() < 10);
    }

    #[test]
    fn zero_burst_disables_and_bad_rates_are_refused() {
        let l = limiter(0, 0.0);
        for _ in 0..100 {
            assert!(l.check(None, Instant::now()).is_ok());
        }
        let bad = Limits {
            rate_per_second: f64::NAN,
            ..Limits::default()
        };
        assert!(bad.validate().is_err());
        let bad = Limits {
            max_body_bytes: 0,
            ..Limits::default()
        };
        assert!(bad.validate().is_err());
        assert!(Limits::default().validate().is_ok());
    }

    #[tokio::test]
    async fn body_cap_applies_with_and_without_content_length() {
        let chunks = || {
            Body::from_stream(futures::stream::iter(
                [&b"abcd"[..], b"efgh"].map(|c| Ok::<_, std::io::Error>(c.to_vec())),
            ))
        };
        let none = HeaderMap::new();
        assert_eq!(read_capped(&none, chunks(), 8).await.unwrap(), b"abcdefgh");
        assert_eq!(
            read_capped(&none, chunks(), 7).await,
            Err(BodyError::TooLarge)
        );
        // Declared far beyond what is drained: refused unread.
        let mut declared = HeaderMap::new();
        declared.insert(header::CONTENT_LENGTH, 33.into());
        assert_eq!(
            read_capped(&declared, Body::empty(), 8).await,
            Err(BodyError::TooLarge)
        );
        // Within the drain budget: read to the end, still refused.
        let long = || {
            Body::from_stream(futures::stream::iter(
                (0..10).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 3])),
            ))
        };
        assert_eq!(
            read_capped(&none, long(), 8).await,
            Err(BodyError::TooLarge)
        );
        assert_eq!(read_capped(&none, long(), 30).await.unwrap().len(), 30);
    }
}
