//! The request pipeline verify, rotate and recipients share, cheapest step first, so a flood
//! is turned away before it costs a body read, memory or a worker:
//!
//! 1. the client must be within Bitnami's request limit of this endpoint (`--rate-limit`,
//!    one token per request) and hold an RSA-budget token at all (429 with `Retry-After`);
//! 2. a place in the HTTP lane of the RSA pool (503 with `Retry-After` when running and
//!    queued requests fill it); the place is taken before the body is read, so it also
//!    bounds the bodies held in memory;
//! 3. the capped body read (413);
//! 4. on a pool worker: for `/v1/recipients` only, the outer request (400) and its
//!    recipients (403), from the request alone; then parse, count the values (413 past the
//!    value limit, before any RSA work), take one token per value (429), open the values
//!    (passing a checkpoint before each RSA operation), and settle the charge to the
//!    operations really spent;
//! 5. a debug log of the real reason, and one of the fixed replies.
//!
//! A 429, 413, 503, 400 or 403 is about the client, the request or the server, never about
//! the object: every refusal *of an object* is the one [`super::FAILURE_BODY`] with 409.

use super::{
    HttpState,
    limits::{BodyError, RateLimiter, discard, read_capped},
    oracle::{self, Refused, Rejection, RsaWork},
    recipients::{self, AllowedRecipients, RequestRefusal, Resolved},
    reply, rotate, verify,
};
use crate::{KeyStore, rsa_pool::Checkpoint};
use axum::extract::State;
use axum::{
    extract::{ConnectInfo, Request},
    response::Response,
};
use sealant_api::{SealedSecret, contract::Route};
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

#[derive(Clone, Copy, Debug)]
pub(super) enum Endpoint {
    Verify,
    Rotate,
    Recipients,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Self::Verify => Route::Verify.path(),
            Self::Rotate => Route::Rotate.path(),
            Self::Recipients => Route::Recipients.path(),
        }
    }

    /// What a pool job does with the body: the body to open as a SealedSecret, and the
    /// task. A `/v1/recipients` request is unwrapped here and its recipients resolved, or it
    /// is refused before its object is looked at.
    fn task(
        self,
        body: Vec<u8>,
        keys: &KeyStore,
        allowed: Arc<AllowedRecipients>,
    ) -> Result<(Vec<u8>, Task), RequestRefusal> {
        match self {
            Self::Verify => Ok((body, Task::Verify)),
            Self::Rotate => Ok((body, Task::Rotate)),
            Self::Recipients => {
                let request = recipients::parse_request(&body)?;
                let resolved = recipients::resolve(keys.ring(), allowed, &request.recipients)?;
                Ok((request.sealed_secret, Task::Recipients(resolved)))
            }
        }
    }
}

/// The work on one parsed object.
enum Task {
    Verify,
    Rotate,
    /// Re-wrap for these recipients.
    Recipients(Resolved),
}

impl Task {
    fn run(
        &self,
        work: &RsaWork<'_>,
        parsed: Result<SealedSecret, Refused>,
    ) -> (Result<Success, Refused>, usize) {
        match self {
            Self::Verify => {
                let (outcome, spent) = verify::verify_parsed(work, parsed);
                (outcome.map(|()| Success::Verified), spent)
            }
            Self::Rotate => {
                let (outcome, spent) = rotate::rotate_parsed(work, parsed);
                (outcome.map(Success::Rotated), spent)
            }
            Self::Recipients(resolved) => {
                let (outcome, spent) = recipients::recipients_parsed(work, resolved, parsed);
                (outcome.map(Success::Rewrapped), spent)
            }
        }
    }
}

/// What a successful request answers.
pub(super) enum Success {
    Verified,
    /// The SealedSecret as JSON.
    Rotated(Vec<u8>),
    /// The SealedSecret re-wrapped for the requested recipients, as JSON.
    Rewrapped(Vec<u8>),
}

/// What the pool job came to.
enum Job {
    NoKey,
    /// More values than any request may have.
    TooManyValues,
    /// The client's tokens do not cover its values; it may retry after this.
    RateLimited(Duration),
    /// The client went away, or the server is shutting down, before the work began.
    Abandoned,
    /// Not a request this endpoint takes, decided before its object was looked at.
    Request(RequestRefusal),
    Done(Result<Success, Refused>),
}

/// `POST /v1/verify`.
pub(super) async fn verify(State(state): State<HttpState>, request: Request) -> Response {
    handle(&state, Endpoint::Verify, request).await
}

/// `POST /v1/rotate`.
pub(super) async fn rotate(State(state): State<HttpState>, request: Request) -> Response {
    handle(&state, Endpoint::Rotate, request).await
}

/// `POST /v1/recipients`.
pub(super) async fn recipients(State(state): State<HttpState>, request: Request) -> Response {
    handle(&state, Endpoint::Recipients, request).await
}

async fn handle(state: &HttpState, endpoint: Endpoint, request: Request) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    // For logs: the peer address, or "unknown" when served without connect info.
    let peer = client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let (parts, body) = request.into_parts();
    let max_body = state.limits.max_body_bytes;

    let requests = match endpoint {
        Endpoint::Verify => &state.verify_requests,
        Endpoint::Rotate => &state.rotate_requests,
        Endpoint::Recipients => &state.recipients_requests,
    };
    if let Err(retry_after) = requests.take(client, 1, Instant::now()) {
        tracing::debug!(endpoint = endpoint.name(), %peer, "request rate limited");
        discard(&parts.headers, body).await;
        return reply::too_many_requests(retry_after);
    }
    if let Err(retry_after) = state.limiter.admits(client, Instant::now()) {
        tracing::debug!(endpoint = endpoint.name(), %peer, "rate limited");
        discard(&parts.headers, body).await;
        return reply::too_many_requests(retry_after);
    }
    let admission = match state.lane.admit() {
        Ok(admission) => admission,
        Err(busy) => {
            tracing::debug!(endpoint = endpoint.name(), %peer, "HTTP RSA queue full");
            discard(&parts.headers, body).await;
            return reply::busy(busy.retry_after);
        }
    };

    let body = match read_capped(
        &parts.headers,
        body,
        max_body,
        state.limits.body_read_timeout,
    )
    .await
    {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return reply::too_large(max_body),
        // The client broke or stalled its own upload: nothing about any object to hide, and
        // probably nobody left to read the answer.
        Err(BodyError::Unreadable) => {
            tracing::debug!(
                endpoint = endpoint.name(),
                %peer,
                "request body unreadable"
            );
            return reply::failure();
        }
    };

    let request = PoolRequest {
        endpoint,
        keys: state.keys.clone(),
        limiter: state.limiter.clone(),
        client,
        value_limit: state.value_limit,
        allowed: state.allowed_recipients.clone(),
        body,
    };
    let job = admission
        .run(move |checkpoint| request.work(checkpoint))
        .await;

    match job {
        Ok(Job::Done(Ok(Success::Verified))) => reply::verified(),
        Ok(Job::Done(Ok(Success::Rotated(json)))) => reply::rotated(json),
        Ok(Job::Done(Ok(Success::Rewrapped(json)))) => reply::rewrapped(json),
        Ok(Job::Request(RequestRefusal::Malformed(why))) => {
            tracing::debug!(endpoint = endpoint.name(), %peer, why, "malformed request");
            reply::malformed_request(why)
        }
        Ok(Job::Request(RequestRefusal::NotAllowed(ids))) => {
            tracing::debug!(endpoint = endpoint.name(), %peer, recipients = ?ids, "recipients not allowed");
            reply::recipients_not_allowed(&ids)
        }
        Ok(Job::Done(Err(refused))) if matches!(*refused.reason, Rejection::Abandoned) => {
            reply::shutting_down()
        }
        Ok(Job::Done(Err(refused))) => {
            // Names and reasons only: the errors never carry values (docs/design.md, security rules).
            tracing::debug!(
                endpoint = endpoint.name(),
                %peer,
                object = %refused.object,
                reason = %refused.reason,
                "request refused"
            );
            reply::failure()
        }
        Ok(Job::TooManyValues) => {
            tracing::debug!(endpoint = endpoint.name(), %peer, "too many values");
            reply::too_many_values(state.value_limit)
        }
        Ok(Job::RateLimited(retry_after)) => {
            tracing::debug!(endpoint = endpoint.name(), %peer, "rate limited by values");
            reply::too_many_requests(retry_after)
        }
        Ok(Job::NoKey) => reply::no_key(),
        Ok(Job::Abandoned) | Err(_) => reply::shutting_down(),
    }
}

/// Everything the pool job needs, moved onto the worker thread.
struct PoolRequest {
    endpoint: Endpoint,
    keys: KeyStore,
    limiter: Arc<RateLimiter>,
    client: Option<IpAddr>,
    value_limit: usize,
    /// `--allowed-recipients` (used by `/v1/recipients` only).
    allowed: Arc<AllowedRecipients>,
    body: Vec<u8>,
}

impl PoolRequest {
    fn work(self, checkpoint: &Checkpoint) -> Job {
        let Self {
            endpoint,
            keys,
            limiter,
            client,
            value_limit,
            allowed,
            body,
        } = self;
        if keys.ring().is_empty() {
            return Job::NoKey;
        }
        // A reconcile that waited while this job queued goes first, before the parse.
        if checkpoint.pass().is_err() {
            return Job::Abandoned;
        }
        // `/v1/recipients` wraps the object's SealedSecret: the request itself, and whether
        // its recipients may be wrapped for, are decided first, from the request alone.
        let (body, task) = match endpoint.task(body, &keys, allowed) {
            Ok(prepared) => prepared,
            Err(refusal) => return Job::Request(refusal),
        };
        let parsed = oracle::parse_sealed(&body);
        // The parsed object holds what is needed; the raw body need not outlive the parse.
        drop(body);
        let values = parsed.as_ref().map_or(0, oracle::sealed_values);
        if values > value_limit {
            return Job::TooManyValues;
        }
        // At least one: an unparseable body is still refused with RSA padding.
        let charged = values.max(1);
        if let Err(retry_after) = limiter.take(client, charged, Instant::now()) {
            return Job::RateLimited(retry_after);
        }
        let pass = || checkpoint.pass();
        let work = RsaWork::new(&keys, &pass);
        let (outcome, spent) = task.run(&work, parsed);
        limiter.settle(client, charged, spent, Instant::now());
        Job::Done(outcome)
    }
}
