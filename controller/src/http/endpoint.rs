//! The request pipeline verify and rotate share: rate limit, capped body read, the work on
//! the RSA pool, a debug log of the real reason, and one of the fixed replies.
//!
//! The order is cheapest-first, so a flood is turned away before it costs a body read or a
//! pool slot.

use super::{
    HttpState,
    limits::{BodyError, read_capped},
    oracle::Refused,
    reply, rotate, verify,
};
use axum::{
    extract::{ConnectInfo, Request},
    response::Response,
};
use sealant_keys::KeyRing;
use std::{net::SocketAddr, time::Instant};

#[derive(Clone, Copy, Debug)]
pub(super) enum Endpoint {
    Verify,
    Rotate,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Self::Verify => "/v1/verify",
            Self::Rotate => "/v1/rotate",
        }
    }

    fn run(self, ring: &KeyRing, body: &[u8]) -> Result<Success, Refused> {
        match self {
            Self::Verify => verify::verify_body(ring, body),
            Self::Rotate => rotate::rotate_body(ring, body),
        }
    }
}

/// What a successful request answers.
pub(super) enum Success {
    Verified,
    /// The SealedSecret as JSON.
    Rotated(Vec<u8>),
}

/// What the pool job found before any request-dependent work.
enum Job {
    NoKey,
    Done(Result<Success, Refused>),
}

pub(super) async fn handle(state: &HttpState, endpoint: Endpoint, request: Request) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    // For logs: the peer address, or "unknown" when served without connect info.
    let peer = client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    if let Err(retry_after) = state.limiter.check(client, Instant::now()) {
        tracing::debug!(endpoint = endpoint.name(), %peer, "rate limited");
        return reply::too_many_requests(retry_after);
    }

    let (parts, body) = request.into_parts();
    let body = match read_capped(&parts.headers, body, state.limits.max_body_bytes).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return reply::too_large(state.limits.max_body_bytes),
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

    let keys = state.keys.clone();
    let job = state
        .pool
        .run(move || {
            let ring = keys.ring();
            if ring.is_empty() {
                return Job::NoKey;
            }
            Job::Done(endpoint.run(&ring, &body))
        })
        .await;

    match job {
        Ok(Job::Done(Ok(Success::Verified))) => reply::verified(),
        Ok(Job::Done(Ok(Success::Rotated(json)))) => reply::rotated(json),
        Ok(Job::Done(Err(refused))) => {
            // Names and reasons only: the errors never carry values (DESIGN §5).
            tracing::debug!(
                endpoint = endpoint.name(),
                %peer,
                object = %refused.object,
                reason = %refused.reason,
                "request refused"
            );
            reply::failure()
        }
        Ok(Job::NoKey) => reply::no_key(),
        Err(_) => reply::shutting_down(),
    }
}
