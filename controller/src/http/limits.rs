//! What one client may cost us: a body cap, a body read deadline, a cap on values per
//! request, and a per-client token bucket on `/v1/verify` and `/v1/rotate` charged in RSA
//! private operations (the unit that costs: an anonymous caller must not be able to spend
//! them without bound, and one request must not spend a burst's worth for one token).

use crate::ControllerError;
use crate::sync::lock;
use axum::{
    body::Body,
    http::{HeaderMap, header},
};
use futures::StreamExt;
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Default request body cap: 1 MiB. A SealedSecret of a full 1 MiB Secret would not fit, but
/// such objects are rare and may still be checked offline (`sealant check`, offline
/// re-encryption).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default bucket size, in RSA private operations: what a client may spend at once.
pub const DEFAULT_RATE_BURST: u32 = 500;
/// Default refill, in RSA private operations per second per client.
pub const DEFAULT_RATE_PER_SECOND: f64 = 50.0;
/// Default `--rate-limit` (Bitnami's requests per second per client on /v1/verify, and since
/// v0.39 on /v1/rotate, each its own bucket): off. Bitnami's 2
/// would be shared, behind the API server's service proxy, by every `kubeseal --validate` in
/// the cluster; the RSA budget above is what protects the controller.
pub const DEFAULT_REQUESTS_PER_SECOND: f64 = 0.0;
/// Default `--rate-limit-burst` (Bitnami's default): used once `--rate-limit` is set.
pub const DEFAULT_REQUESTS_BURST: u32 = 2;
/// Default cap on the values of one request. A 1 MiB body holds about 1,460 values of a
/// 4096-bit key (2,600 of a 2048-bit one); real SealedSecrets hold a handful.
pub const DEFAULT_MAX_VALUES_PER_REQUEST: usize = 500;
/// Default number of admitted verify/rotate requests that may wait for an RSA worker.
pub const DEFAULT_HTTP_QUEUE: usize = 8;
/// Default RSA workers the HTTP API may never use (reconciles may use all).
pub const DEFAULT_RESERVED_RSA_WORKERS: usize = 1;
/// The largest `--http-queue`: every admitted request may hold a body of the full cap.
pub const MAX_HTTP_QUEUE: usize = 1024;
/// The whole body must arrive within this, so a trickling client cannot hold a request open.
/// Bitnami's `--read-timeout` (its HTTP server's whole-request deadline, 2 min) can only
/// shorten it.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Client buckets kept at most; past this, idle (refilled) buckets are dropped, and if none
/// are, new clients share one overflow bucket, so memory stays bounded under a spoofed flood.
const MAX_TRACKED_CLIENTS: usize = 4096;

/// Limits of the verify and rotate endpoints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Largest accepted request body, in bytes; larger gets 413.
    pub max_body_bytes: usize,
    /// Token-bucket size per client (verify and rotate together), in RSA private
    /// operations. 0 disables rate limiting.
    pub rate_burst: u32,
    /// Tokens (RSA private operations) added per second per client; must be positive and
    /// finite when limiting.
    pub rate_per_second: f64,
    /// Bitnami's request limit on `/v1/verify` and on `/v1/rotate` (one bucket each per
    /// client): requests a client may make at once (`--rate-limit-burst` + 1). 0 disables it.
    pub request_bucket: u32,
    /// Requests added per second per client (`--rate-limit`); must be positive and finite
    /// when limiting.
    pub requests_per_second: f64,
    /// Most values (encrypted data entries, or the one legacy blob) one request may hold;
    /// more gets 413 before any RSA work.
    pub max_values_per_request: usize,
    /// Admitted requests that may wait for an RSA worker; past them, 503.
    pub http_queue: usize,
    /// RSA workers the API may never hold (it always gets at least one).
    pub reserved_rsa_workers: usize,
    /// An admitted request's body must arrive within this ([`BODY_READ_TIMEOUT`] at most).
    pub body_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            rate_burst: DEFAULT_RATE_BURST,
            rate_per_second: DEFAULT_RATE_PER_SECOND,
            request_bucket: 0,
            requests_per_second: DEFAULT_REQUESTS_PER_SECOND,
            max_values_per_request: DEFAULT_MAX_VALUES_PER_REQUEST,
            http_queue: DEFAULT_HTTP_QUEUE,
            reserved_rsa_workers: DEFAULT_RESERVED_RSA_WORKERS,
            body_read_timeout: BODY_READ_TIMEOUT,
        }
    }
}

impl Limits {
    pub fn validate(&self) -> Result<(), ControllerError> {
        let invalid = |text: String| Err(ControllerError::Config(text));
        if self.max_body_bytes == 0 {
            return invalid("the HTTP body limit must be at least 1 byte".to_owned());
        }
        if self.rate_burst > 0 && !(self.rate_per_second.is_finite() && self.rate_per_second > 0.0)
        {
            return invalid(format!(
                "the HTTP rate limit must refill at a positive rate, not {}",
                self.rate_per_second
            ));
        }
        if self.request_bucket > 0
            && !(self.requests_per_second.is_finite() && self.requests_per_second > 0.0)
        {
            return invalid(format!(
                "the request rate limit must refill at a positive rate, not {}",
                self.requests_per_second
            ));
        }
        if self.body_read_timeout.is_zero() {
            return invalid("the body read deadline must be above 0".to_owned());
        }
        if self.max_values_per_request == 0 {
            return invalid("the values per request limit must be at least 1".to_owned());
        }
        if self.http_queue > MAX_HTTP_QUEUE {
            return invalid(format!(
                "the HTTP queue may hold at most {MAX_HTTP_QUEUE} requests, not {}",
                self.http_queue
            ));
        }
        Ok(())
    }

    /// The most values a request can ever be served with: the cap, and with rate limiting
    /// also the bucket size (a bigger request could never be paid for).
    pub fn value_limit(&self) -> usize {
        if self.rate_burst == 0 {
            self.max_values_per_request
        } else {
            self.max_values_per_request
                .min(usize::try_from(self.rate_burst).unwrap_or(usize::MAX))
        }
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
    /// The cost of the last request refused for want of tokens, until one is served: new
    /// requests are not even parsed before the bucket holds that much, so a refused large
    /// request is neither starved by small ones nor retried at the cost of a parse each
    /// time.
    wanted: f64,
}

/// Per-client token buckets; a token is one RSA private operation.
///
/// A request first needs one token to be looked at ([`RateLimiter::admits`]); once its body
/// is parsed it takes one per value ([`RateLimiter::take`]); when its work is done the
/// charge is corrected to the operations really spent ([`RateLimiter::settle`]): a refusal
/// padded to one operation per key, or values found only after trying several keys, cost
/// more, and the bucket may go below zero until it has refilled.
///
/// Keyed by the TCP peer: behind the API server's service proxy (kubeseal's path) every
/// client shares the API server's address, so there it acts as one shared limit, and one
/// client can spend everyone's budget. Forwarded headers are not trusted, since any client
/// can set them. What protects the controller is not this bucket but the per-operation
/// charge, the bounded queue and the workers reserved for reconciles.
pub(super) struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<ClientKey, Bucket>>,
}

impl RateLimiter {
    /// The RSA-operation budget of verify and rotate.
    pub(super) fn new(limits: &Limits) -> Self {
        Self::with(limits.rate_burst, limits.rate_per_second)
    }

    /// Bitnami's request limit on one endpoint: one token per request.
    pub(super) fn requests(limits: &Limits) -> Self {
        Self::with(limits.request_bucket, limits.requests_per_second)
    }

    /// `burst` tokens refilled at `per_second`; a `burst` of 0 disables the limit.
    fn with(burst: u32, per_second: f64) -> Self {
        Self {
            burst: f64::from(burst),
            per_second,
            buckets: Mutex::default(),
        }
    }

    fn enabled(&self) -> bool {
        self.burst > 0.0
    }

    /// Whether `client` holds a token at all (or, after a refusal, the tokens the refused
    /// request wanted), without taking any; else how long until it does.
    pub(super) fn admits(&self, client: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        self.with_bucket(client, now, |bucket| {
            let needed = bucket.wanted.max(1.0);
            if bucket.tokens >= needed {
                Ok(())
            } else {
                Err(needed - bucket.tokens)
            }
        })
    }

    /// Take `cost` tokens from `client`, or say how long until it holds that many.
    pub(super) fn take(
        &self,
        client: Option<IpAddr>,
        cost: usize,
        now: Instant,
    ) -> Result<(), Duration> {
        let cost = cost as f64;
        self.with_bucket(client, now, |bucket| {
            if bucket.tokens >= cost {
                bucket.tokens -= cost;
                bucket.wanted = 0.0;
                Ok(())
            } else {
                bucket.wanted = cost;
                Err(cost - bucket.tokens)
            }
        })
    }

    /// A request that took `charged` tokens spent `spent` RSA operations: give back the
    /// difference, or take it (the bucket may go negative: the client then waits longer).
    pub(super) fn settle(
        &self,
        client: Option<IpAddr>,
        charged: usize,
        spent: usize,
        now: Instant,
    ) {
        let correction = charged as f64 - spent as f64;
        let _ = self.with_bucket(client, now, |bucket| {
            bucket.tokens += correction;
            Ok::<(), f64>(())
        });
    }

    /// Run `f` on `client`'s refilled bucket. An `Err(missing)` from `f` becomes the time it
    /// takes to refill `missing` tokens.
    fn with_bucket<T>(
        &self,
        client: Option<IpAddr>,
        now: Instant,
        f: impl FnOnce(&mut Bucket) -> Result<T, f64>,
    ) -> Result<T, Duration>
    where
        T: Default,
    {
        if !self.enabled() {
            return Ok(T::default());
        }
        // A panic elsewhere cannot leave a bucket half-updated (plain numbers), so keep going.
        let mut buckets = lock(&self.buckets);
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
            wanted: 0.0,
        });
        bucket.tokens = self.refilled(bucket, now);
        bucket.updated = now;
        let result = f(bucket);
        bucket.tokens = bucket.tokens.min(self.burst);
        bucket.wanted = bucket.wanted.min(self.burst);
        // try_: a tiny rate and a deep debt could overflow a Duration.
        result.map_err(|missing| {
            Duration::try_from_secs_f64(missing / self.per_second).unwrap_or(Duration::MAX)
        })
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

/// How much of a body turned away unread (429, 503) is still read and thrown away.
///
/// Enough for any ordinary SealedSecret, so a client that writes its whole body before
/// reading sees the answer and keeps its connection. Not more: draining a 1 MiB body makes
/// the server's per-connection read buffer grow to hundreds of KiB, and a flood on many
/// connections would turn that into hundreds of MiB. A larger refused body is left unread
/// and its connection closed (such a client may see a reset instead of the answer).
pub(super) const REFUSAL_DRAIN_BYTES: usize = 64 * 1024;

/// Read at most `limit` bytes of `body`. A larger body is refused with `TooLarge`, after
/// draining it when it is within `DRAIN_FACTOR × limit` (a declared `Content-Length` beyond
/// that is refused without reading). Only admitted requests read bodies, so this draining
/// is bounded by the HTTP queue. The whole body must arrive within `deadline`.
pub(super) async fn read_capped(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    deadline: Duration,
) -> Result<Vec<u8>, BodyError> {
    let limit = limit as u64;
    consume(
        headers,
        body,
        limit,
        limit.saturating_mul(DRAIN_FACTOR),
        Keep::Body,
        deadline,
    )
    .await
}

/// Read and throw away a body turned away before it was needed (429, 503): at most
/// [`REFUSAL_DRAIN_BYTES`], and nothing when it declares more.
pub(super) async fn discard(headers: &HeaderMap, body: Body) {
    let budget = REFUSAL_DRAIN_BYTES as u64;
    let _ = consume(
        headers,
        body,
        budget,
        budget,
        Keep::Nothing,
        BODY_READ_TIMEOUT,
    )
    .await;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    Body,
    Nothing,
}

/// Read `body`, keeping it (`Keep::Body`) up to `limit` bytes; past `limit` it is
/// `TooLarge`, read on up to `drain_budget` bytes so the client sees the answer.
async fn consume(
    headers: &HeaderMap,
    body: Body,
    limit: u64,
    drain_budget: u64,
    keep: Keep,
    deadline: Duration,
) -> Result<Vec<u8>, BodyError> {
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
            if !over && keep == Keep::Body {
                out.extend_from_slice(&chunk);
            }
        }
        Ok(out)
    };
    let result = tokio::time::timeout(deadline, read).await;
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
            assert!(l.take(ip, 1, t0).is_ok());
        }
        let wait = l.take(ip, 1, t0).unwrap_err();
        assert!(wait > Duration::from_millis(400) && wait <= Duration::from_millis(500));
        // Another client has its own bucket.
        assert!(l.take(Some("10.0.0.2".parse().unwrap()), 1, t0).is_ok());
        // Half a second later one token (2/s) is back, and only one.
        let t1 = t0 + Duration::from_millis(500);
        assert!(l.take(ip, 1, t1).is_ok());
        assert!(l.take(ip, 1, t1).is_err());
    }

    #[test]
    fn ipv6_is_limited_per_64_and_mapped_v4_as_v4() {
        let l = limiter(1, 1.0);
        let t = Instant::now();
        assert!(l.take(Some("2001:db8::1".parse().unwrap()), 1, t).is_ok());
        assert!(l.take(Some("2001:db8::2".parse().unwrap()), 1, t).is_err());
        assert!(
            l.take(Some("2001:db8:0:1::1".parse().unwrap()), 1, t)
                .is_ok()
        );
        assert!(l.take(Some("192.0.2.7".parse().unwrap()), 1, t).is_ok());
        assert!(
            l.take(Some("::ffff:192.0.2.7".parse().unwrap()), 1, t)
                .is_err()
        );
    }

    #[test]
    fn tracked_clients_stay_bounded() {
        let l = limiter(1, 0.001);
        let t = Instant::now();
        for i in 0..(MAX_TRACKED_CLIENTS as u32 + 10) {
            let _ = l.take(Some(IpAddr::V4(i.into())), 1, t);
        }
        assert!(l.buckets.lock().unwrap().len() <= MAX_TRACKED_CLIENTS + 1);
        // Once refilled, old buckets make room again.
        let later = t + Duration::from_secs(2000);
        assert!(
            l.take(Some("203.0.113.1".parse().unwrap()), 1, later)
                .is_ok()
        );
        assert!(l.buckets.lock().unwrap().len() < 10);
    }

    #[test]
    fn zero_burst_disables_and_bad_rates_are_refused() {
        let l = limiter(0, 0.0);
        for _ in 0..100 {
            assert!(l.take(None, 1, Instant::now()).is_ok());
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

    #[test]
    fn a_request_takes_one_token_per_value_and_settles_to_what_it_spent() {
        let l = limiter(10, 2.0);
        let t = Instant::now();
        let ip = Some("10.0.0.1".parse().unwrap());
        assert!(l.admits(ip, t).is_ok());
        assert!(l.take(ip, 8, t).is_ok());
        // 2 left: 3 values do not fit; the wait is for the missing token at 2/s.
        let wait = l.take(ip, 3, t).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        // Until 3 are there, no request is looked at, not even a one-value one.
        assert_eq!(l.admits(ip, t).unwrap_err(), Duration::from_millis(500));
        let t = t + Duration::from_millis(500);
        assert!(l.admits(ip, t).is_ok());
        assert!(l.take(ip, 1, t).is_ok());
        // Served: what the refused request wanted no longer holds others back.
        assert!(l.admits(ip, t).is_ok());
        // The 8-value request found its values after trying more keys: 12 operations.
        l.settle(ip, 8, 12, t);
        // In debt by 2: not even looked at until it has refilled past one token.
        assert_eq!(l.admits(ip, t).unwrap_err(), Duration::from_millis(1500));
        let later = t + Duration::from_millis(1500);
        assert!(l.admits(ip, later).is_ok());
        assert!(l.take(ip, 1, later).is_ok());
        // A refund never lifts a bucket past its size.
        l.settle(ip, 100, 0, later);
        assert!(l.take(ip, 10, later).is_ok());
        assert!(l.take(ip, 1, later).is_err());
    }

    #[test]
    fn a_deep_debt_at_a_tiny_rate_is_a_long_wait_not_a_panic() {
        let l = limiter(1, f64::MIN_POSITIVE);
        let t = Instant::now();
        l.settle(None, 0, usize::MAX, t);
        assert_eq!(l.admits(None, t).unwrap_err(), Duration::MAX);
    }

    #[test]
    fn the_value_limit_is_the_cap_and_the_bucket_size() {
        let limits = |burst, max_values| Limits {
            rate_burst: burst,
            max_values_per_request: max_values,
            ..Limits::default()
        };
        assert_eq!(limits(500, 100).value_limit(), 100);
        assert_eq!(limits(8, 100).value_limit(), 8);
        assert_eq!(limits(0, 100).value_limit(), 100);
        for bad in [
            limits(10, 0),
            Limits {
                http_queue: MAX_HTTP_QUEUE + 1,
                ..Limits::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }

    /// `--read-timeout` shortens the body deadline: a body that never ends is given up on
    /// once it passes, well before the default 10 s (a generous bound).
    #[tokio::test]
    async fn a_body_must_arrive_within_the_deadline() {
        let never_ends =
            || Body::from_stream(futures::stream::pending::<Result<Vec<u8>, std::io::Error>>());
        let none = HeaderMap::new();
        let started = tokio::time::Instant::now();
        let result = read_capped(&none, never_ends(), 8, Duration::from_millis(200)).await;
        assert_eq!(result, Err(BodyError::Unreadable));
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(200) && waited < Duration::from_secs(5),
            "{waited:?}"
        );
    }

    #[tokio::test]
    async fn body_cap_applies_with_and_without_content_length() {
        let chunks = || {
            Body::from_stream(futures::stream::iter(
                [&b"abcd"[..], b"efgh"].map(|c| Ok::<_, std::io::Error>(c.to_vec())),
            ))
        };
        let none = HeaderMap::new();
        assert_eq!(
            read_capped(&none, chunks(), 8, BODY_READ_TIMEOUT)
                .await
                .unwrap(),
            b"abcdefgh"
        );
        assert_eq!(
            read_capped(&none, chunks(), 7, BODY_READ_TIMEOUT).await,
            Err(BodyError::TooLarge)
        );
        // Declared far beyond what is drained: refused unread.
        let mut declared = HeaderMap::new();
        declared.insert(header::CONTENT_LENGTH, 33.into());
        assert_eq!(
            read_capped(&declared, Body::empty(), 8, BODY_READ_TIMEOUT).await,
            Err(BodyError::TooLarge)
        );
        // Within the drain budget: read to the end, still refused.
        let long = || {
            Body::from_stream(futures::stream::iter(
                (0..10).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 3])),
            ))
        };
        assert_eq!(
            read_capped(&none, long(), 8, BODY_READ_TIMEOUT).await,
            Err(BodyError::TooLarge)
        );
        assert_eq!(
            read_capped(&none, long(), 30, BODY_READ_TIMEOUT)
                .await
                .unwrap()
                .len(),
            30
        );
        // Discarding reads a small body to the end and keeps nothing; a declared large one
        // is left unread.
        discard(&none, long()).await;
        let mut large = HeaderMap::new();
        large.insert(header::CONTENT_LENGTH, (REFUSAL_DRAIN_BYTES + 1).into());
        discard(&large, Body::empty()).await;
    }
}
