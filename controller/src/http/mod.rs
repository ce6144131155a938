//! The controller's HTTP API (plain HTTP, `--listen-addr`, `:8080` by default), as Bitnami
//! serves it, without Bitnami's decryption oracles.
//!
//! | route | answer |
//! |---|---|
//! | `GET /healthz` | 200 `ok` always: liveness, from the first second |
//! | `GET /readyz` | 200 once keys are loaded and caches synced, else 503 and the reason |
//! | `GET /v1/cert.pem` | the newest certificate (`application/x-pem-file`), 503 before the first key |
//! | `POST /v1/verify` | 200 when every value decrypts with the object's own top-level scope, else 409 |
//! | `POST /v1/rotate` | 200 and the object re-encrypted under the newest key (JSON), else 409 |
//! | `GET /v1/keys` | the key inventory as JSON: fingerprint, Secrets, NotBefore/NotAfter, state, usage |
//!
//! Verify and rotate take one SealedSecret, as JSON (what kubeseal posts) or YAML.
//!
//! **No decryption oracle** (docs/design.md "Where we do better"; CVE-2026-22728 and the two template oracles):
//! * the OAEP label is always built from the object's top-level namespace, name and scope
//!   annotations, and rotate re-seals with exactly that label: the template cannot widen it;
//! * `spec.template.data` is parsed (plaintext-independent: an unparseable template can never
//!   unseal) but never rendered, so no answer depends on what a template would print;
//! * every refusal — unparseable body, not exactly one SealedSecret, no data, legacy and
//!   encrypted data both set, bad base64, malformed envelope, unusable template, wrong key,
//!   wrong label — gets the same status and byte-identical body, [`FAILURE_BODY`] with 409;
//!   the real reason is logged at debug level with the object's namespace/name only;
//! * timing (details in `oracle.rs`): a refusal that cost fewer RSA private operations than
//!   a wrong-key refusal is padded with dummy ones;
//! * bodies are capped ([`DEFAULT_MAX_BODY_BYTES`], 413; a moderately oversized body is
//!   drained first so clients that write before reading see the 413) and must arrive within
//!   [`BODY_READ_TIMEOUT`];
//! * all parsing and RSA work runs on the [`RsaPool`], never on the async runtime.
//!
//! **Bounded cost** (issue 12; every limit is a flag, see [`Limits`]):
//! * verify and rotate share a per-client token bucket charged in RSA private operations,
//!   not requests: a request needs one token per value up front and is then charged what
//!   it really spent, padding included ([`DEFAULT_RATE_BURST`], [`DEFAULT_RATE_PER_SECOND`];
//!   429 with `Retry-After`);
//! * at most [`DEFAULT_MAX_VALUES_PER_REQUEST`] values per request (and never more than
//!   the bucket holds), 413 before any RSA work;
//! * the API's RSA work runs in the pool's HTTP lane: never on the workers reserved for
//!   reconciles ([`DEFAULT_RESERVED_RSA_WORKERS`]), yielding to a waiting reconcile before
//!   each RSA operation, with a bounded queue ([`DEFAULT_HTTP_QUEUE`]; 503 with
//!   `Retry-After` when full). See `rsa_pool.rs` for the bound on a reconcile's wait.
//!
//! The bucket is keyed by the TCP peer. Behind the API server's service proxy (kubeseal's
//! path) every client shares the API server's address, so one client can spend everyone's
//! budget and lock them out of verify and rotate for a while; it cannot slow unsealing or
//! the probes, which is what the lanes and the queue guarantee.
//!
//! Wrong methods get 405 with an `Allow` header, unknown paths 404.

mod cert;
mod endpoint;
mod hybrid;
mod keys;
mod limits;
mod oracle;
mod probes;
mod recipients;
mod reply;
mod rotate;
mod verify;

pub use limits::{
    BODY_READ_TIMEOUT, DEFAULT_HTTP_QUEUE, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_VALUES_PER_REQUEST,
    DEFAULT_RATE_BURST, DEFAULT_RATE_PER_SECOND, DEFAULT_REQUESTS_BURST,
    DEFAULT_REQUESTS_PER_SECOND, DEFAULT_RESERVED_RSA_WORKERS, Limits, MAX_HTTP_QUEUE,
};
pub use probes::Readiness;
pub use recipients::{AllowedRecipients, MAX_RECIPIENTS};
pub use reply::FAILURE_BODY;

use crate::{ControllerError, KeyStore, RsaPool, rsa_pool::HttpLane};
use axum::{
    Router,
    routing::{get, post},
};
use limits::RateLimiter;
use sealant_api::contract::Route;
use sealant_crypto::Fingerprint;
use std::{collections::BTreeMap, future::Future, net::SocketAddr, sync::Arc};

/// Where `/v1/keys` gets SealedSecrets-per-key from; `None` means "not known here".
pub type UsageSource = Arc<dyn Fn() -> Option<BTreeMap<Fingerprint, usize>> + Send + Sync>;

/// Everything the handlers share. Cheap to clone (all handles).
#[derive(Clone)]
pub struct HttpState {
    keys: KeyStore,
    /// The API's share of the RSA pool.
    lane: HttpLane,
    readiness: Readiness,
    limits: Limits,
    /// [`Limits::value_limit`], computed once.
    value_limit: usize,
    limiter: Arc<RateLimiter>,
    /// Bitnami's `--rate-limit`: requests per client, one bucket per endpoint (v0.39
    /// limits /v1/rotate as /v1/verify, each path on its own, #1971).
    verify_requests: Arc<RateLimiter>,
    rotate_requests: Arc<RateLimiter>,
    recipients_requests: Arc<RateLimiter>,
    /// `--allowed-recipients`: the keys besides its own `/v1/recipients` wraps for.
    allowed_recipients: Arc<AllowedRecipients>,
    usage: Option<UsageSource>,
    /// `--hybrid-keys`: `/v1/xwing.pub` publishes the newest hybrid key (404 otherwise).
    hybrid_keys: bool,
}

impl HttpState {
    /// Fails only on unusable [`Limits`] (see [`Limits::validate`]). The API's RSA work runs
    /// in an HTTP lane of `pool` sized by `limits`; reconciles keep using `pool` directly.
    pub fn new(
        keys: KeyStore,
        pool: RsaPool,
        readiness: Readiness,
        limits: Limits,
    ) -> Result<Self, ControllerError> {
        limits.validate()?;
        Ok(Self {
            keys,
            lane: pool.http_lane(limits.reserved_rsa_workers, limits.http_queue),
            readiness,
            limits,
            value_limit: limits.value_limit(),
            limiter: Arc::new(RateLimiter::new(&limits)),
            verify_requests: Arc::new(RateLimiter::requests(&limits)),
            rotate_requests: Arc::new(RateLimiter::requests(&limits)),
            recipients_requests: Arc::new(RateLimiter::requests(&limits)),
            allowed_recipients: Arc::default(),
            usage: None,
            hybrid_keys: false,
        })
    }

    /// Report key usage in `/v1/keys` from `source`.
    pub fn with_usage(mut self, source: UsageSource) -> Self {
        self.usage = Some(source);
        self
    }

    /// Publish the hybrid public key on `/v1/xwing.pub` (`--hybrid-keys`).
    pub fn with_hybrid_keys(mut self, on: bool) -> Self {
        self.hybrid_keys = on;
        self
    }

    /// The keys besides its own that `/v1/recipients` wraps data keys for.
    pub fn with_allowed_recipients(mut self, allowed: AllowedRecipients) -> Self {
        self.allowed_recipients = Arc::new(allowed);
        self
    }

    /// For shutdown: stop the API's RSA work, so open verify/rotate requests end (503)
    /// within one RSA operation instead of holding the process for a queue of them.
    pub fn stop_rsa_work(&self) {
        self.lane.close();
    }

    pub fn readiness(&self) -> &Readiness {
        &self.readiness
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

/// The API's routes. Rate limiting keys on the peer address when the router is served with
/// `ConnectInfo<SocketAddr>` (as [`serve`] does); without it every client shares one bucket.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/healthz", get(probes::healthz))
        .route("/readyz", get(probes::readyz))
        .route(Route::CertPem.path(), get(cert::cert_pem))
        .route(Route::Verify.path(), post(endpoint::verify))
        .route(Route::Rotate.path(), post(endpoint::rotate))
        .route(Route::Recipients.path(), post(endpoint::recipients))
        .route(Route::Keys.path(), get(keys::keys))
        .route(
            Route::HybridPublicKey.path(),
            get(hybrid::hybrid_public_key),
        )
        // axum's own 405 and 404 have empty bodies; say what happened.
        .method_not_allowed_fallback(reply::method_not_allowed)
        .fallback(reply::not_found)
        .with_state(state)
}

/// Serve the API on `listener` until `shutdown` completes, then let open requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: HttpState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, shutdown, |router| router).await
}

/// [`serve`], with layers (such as request metrics) added around the routes.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: HttpState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    layers: impl FnOnce(Router) -> Router,
) -> std::io::Result<()> {
    let app = layers(router(state)).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
